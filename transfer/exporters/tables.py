"""CSV (UTF-8 with BOM, from COPY) and Excel (xlsxwriter, constant memory, with totals, the
statement sheet and, when asked, the change history)."""

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db import connection
from django.db.models import (
    QuerySet,
)
from django.utils import timezone

from registry.models import Asset
from transfer.exporters.base import (
    BATCH,
    COLUMNS,
    EXCEL_MAX_ROWS,
    LABELS,
    _Ticker,
    labelled,
    neutralise,
)


def write_csv(assets: QuerySet[Asset], out: io.TextIOBase) -> None:
    """CSV straight from PostgreSQL's COPY: labels and neutralised text come from the query."""
    out.write("\ufeff")  # Excel on Chinese Windows reads UTF-8 only with a BOM
    csv.writer(out).writerow([c.header for c in COLUMNS])
    sql, params = labelled(assets).query.sql_with_params()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", out)


HISTORY_HEADERS = [
    "时间",
    "资产编号",
    "变更",
    "操作人",
    "来源",
    "状态",
    "资产名称",
    "资产原值（元）",
]


def _write_history(book: Any, head: Any, assets: QuerySet[Asset]) -> int:
    """Every recorded version of the exported assets, oldest first (the row history kept by the
    database triggers), with who made it and from where."""
    from registry.models import User

    event_model = Asset.events.rel.related_model  # type: ignore[attr-defined]
    events = (
        event_model.objects.filter(pgh_obj__in=assets.order_by().values("pk"))
        .order_by("pgh_obj_id", "pgh_id")
        .values_list("pgh_created_at", "code", "pgh_label", "pgh_context__metadata", "status",
                     "name", "original_value")
    )  # fmt: skip
    users = dict(User.objects.values_list("pk", "username"))
    sheet = book.add_worksheet("变更历史")
    for i, header in enumerate(HISTORY_HEADERS):
        sheet.write_string(0, i, header, head)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 18)
    count = 0
    for created, code, label, context, status, name, value in events.iterator(chunk_size=BATCH):
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        context = context or {}
        who = users.get(int(context["user"]), "") if context.get("user") else ""
        source = context.get("url") or context.get("command") or ""
        row = [timezone.localtime(created).strftime("%Y-%m-%d %H:%M:%S"), code, label, who, source,
               str(LABELS["status"].get(status, status)), neutralise(name)]  # fmt: skip
        for i, text in enumerate(row):
            sheet.write_string(count, i, text)
        sheet.write_number(count, len(row), float(value))
    return count


def write_xlsx(
    assets: QuerySet[Asset],
    path: Path,
    *,
    meta: dict[str, str],
    history: bool = False,
    ticker: _Ticker | None = None,
) -> int:
    """The county ledger sheet with a totals row, a sheet that lets the file be reconciled and,
    on request, the change history of every exported asset."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#F1ECE6", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("资产台账")
    sheet.freeze_panes(1, 2)
    widths = {"code": 18, "name": 24, "owner_names": 22, "maintainer_name": 20, "subtype": 16,
              "fund_era": 24, "village": 20, "form": 14}  # fmt: skip
    for i, column in enumerate(COLUMNS):
        sheet.write_string(0, i, column.header, head)
        sheet.set_column(i, i, widths.get(column.key, 12))
    # Printed (or converted to PDF) as the county ledger is filed: A3 landscape, all columns
    # on one page width, the header row on every page, page numbers in the footer.
    sheet.set_paper(8)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    count = 0
    total = Decimal(0)
    value_col = next(i for i, c in enumerate(COLUMNS) if c.key == "original_value")
    kinds = [c.kind for c in COLUMNS]
    for row in labelled(assets).iterator(chunk_size=BATCH):
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        if ticker is not None:
            ticker.tick()
        total += row[value_col] or 0
        for i, value in enumerate(row):
            if value is None or value == "":
                continue
            kind = kinds[i]
            if kind in ("number", "int"):
                sheet.write_number(count, i, float(value), money if i == value_col else None)
            elif kind == "date":
                sheet.write_string(count, i, value.isoformat())
            else:
                sheet.write_string(count, i, value)
    sheet.write_string(count + 1, 0, "合计", head)
    sheet.write_number(count + 1, value_col, float(total), money)
    info = book.add_worksheet("导出说明")
    lines = [
        ("导出时间", meta.get("time", "")),
        ("导出人", meta.get("user", "")),
        ("筛选条件", meta.get("filters", "") or "无"),
        ("资产数（行）", str(count)),
        ("资产原值合计（元）", f"{total:.2f}"),
        ("坐标系", "CGCS2000 (EPSG:4490)"),
    ]
    for r, (key, value) in enumerate(lines):
        info.write_string(r, 0, key, head)
        info.write_string(r, 1, value)
    info.set_column(0, 0, 18)
    info.set_column(1, 1, 60)
    if history:
        versions = _write_history(book, head, assets)
        info.write_string(len(lines), 0, "历史记录（行）", head)
        info.write_string(len(lines), 1, str(versions))
    book.close()
    return count
