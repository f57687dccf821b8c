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
from xlsxwriter.utility import xl_range

from registry.history import change_label, command_label
from registry.models import Asset, User
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


class SheetFormats:
    """The cell formats every ledger workbook uses."""

    def __init__(self, book: Any) -> None:
        self.head = book.add_format(
            {"bold": True, "bg_color": "#F1ECE6", "border": 1, "text_wrap": True}
        )
        self.money = book.add_format({"num_format": "#,##0.00"})
        self.total = book.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.minute = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.whole_total = book.add_format({"bold": True, "num_format": "#,##0", "top": 1})


def _user_names() -> dict[int, str]:
    """Every user's name as the top bar shows it (the full name, else the login name)."""
    names = User.objects.values_list("pk", "first_name", "last_name", "username")
    return {pk: f"{first} {last}".strip() or login for pk, first, last, login in names}


def _write_history(book: Any, formats: SheetFormats, assets: QuerySet[Asset]) -> int:
    """Every recorded version of the exported assets, oldest first (the row history kept by the
    database triggers): when (an Excel date and time), what kind of change, who (by name) and
    from where (the page, or what the command was for: registry.history.command_label)."""
    event_model = Asset.events.rel.related_model  # type: ignore[attr-defined]
    events = (
        event_model.objects.filter(pgh_obj__in=assets.order_by().values("pk"))
        .order_by("pgh_obj_id", "pgh_id")
        .values_list("pgh_created_at", "code", "pgh_label", "pgh_context__metadata", "status",
                     "name", "original_value")
    )  # fmt: skip
    users = _user_names()
    sheet = book.add_worksheet("变更历史")
    for i, header in enumerate(HISTORY_HEADERS):
        sheet.write_string(0, i, header, formats.head)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 18)
    sheet.set_column(3, 3, 16)
    sheet.set_column(4, 4, 30)
    sheet.set_column(6, 6, 24)
    sheet.set_column(7, 7, 14)
    count = 0
    for created, code, label, context, status, name, value in events.iterator(chunk_size=BATCH):
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        context = context or {}
        user = context.get("user")
        who = users.get(int(user), "") if user else ""
        if context.get("url"):
            source = str(context["url"])
        elif context.get("command") or not user:
            source = command_label(context.get("command"))
        else:
            source = ""
        # Excel stores local wall-clock time: the register's time zone, without its offset.
        when = timezone.localtime(created).replace(tzinfo=None)
        sheet.write_datetime(count, 0, when, formats.moment)
        row = [code, change_label(label), who, neutralise(source),
               str(LABELS["status"].get(status, status)), neutralise(name)]  # fmt: skip
        for i, text in enumerate(row, start=1):
            sheet.write_string(count, i, text)
        sheet.write_number(count, len(row) + 1, float(value), formats.money)
    sheet.autofilter(0, 0, count, len(HISTORY_HEADERS) - 1)
    return count


def write_totals(
    sheet: Any,
    formats: SheetFormats,
    count: int,
    totals: dict[int, Decimal],
    *,
    whole: set[int] | frozenset[int] = frozenset(),
) -> None:
    """The totals row under ``count`` data rows, outside the autofilter: SUBTOTAL(109, ...)
    sums the rows a filter leaves visible (the whole column when nothing is filtered), and the
    exact sum of every row is stored as the cell's value for readers that do not calculate.
    The columns in ``whole`` (households, persons) are totalled without decimals."""
    sheet.write_string(count + 1, 0, "合计", formats.head)
    for col, total in totals.items():
        style = formats.whole_total if col in whole else formats.total
        if count == 0:
            sheet.write_number(count + 1, col, 0, style)
            continue
        cells = xl_range(1, col, count, col)
        sheet.write_formula(count + 1, col, f"=SUBTOTAL(109,{cells})", style, float(total))


def write_xlsx(
    assets: QuerySet[Asset],
    path: Path,
    *,
    meta: dict[str, str],
    history: bool = False,
    ticker: _Ticker | None = None,
) -> int:
    """The county ledger sheet (dates as Excel dates, an autofilter on the header, a totals row
    that follows the filter), a sheet that lets the file be reconciled and, on request, the
    change history of every exported asset."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = SheetFormats(book)
    sheet = book.add_worksheet("资产台账")
    sheet.freeze_panes(1, 2)
    widths = {"code": 18, "name": 24, "owner_names": 22, "maintainer_name": 20, "subtype": 16,
              "fund_era": 24, "village": 20, "form": 14, "original_code": 16}  # fmt: skip
    for i, column in enumerate(COLUMNS):
        sheet.write_string(0, i, column.header, formats.head)
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
                sheet.write_number(
                    count, i, float(value), formats.money if i == value_col else None
                )
            elif kind == "date":
                sheet.write_datetime(count, i, value, formats.date)
            else:
                sheet.write_string(count, i, value)
    sheet.autofilter(0, 0, count, len(COLUMNS) - 1)
    write_totals(sheet, formats, count, {value_col: total})
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
        info.write_string(r, 0, key, formats.head)
        info.write_string(r, 1, value)
    info.set_column(0, 0, 18)
    info.set_column(1, 1, 60)
    if history:
        versions = _write_history(book, formats, assets)
        info.write_string(len(lines), 0, "历史记录（行）", formats.head)
        info.write_string(len(lines), 1, str(versions))
    book.close()
    return count
