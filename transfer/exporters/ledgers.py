"""Any ledger (registry.ledgers.Ledger) as Excel or CSV, and as a GeoPackage when its records
have a geometry: the record lists, the project library, the year's plan, the task list and every
ledger declared next."""

import csv
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import (
    QuerySet,
)
from django.utils import timezone

from registry import ledgers
from transfer.exporters.base import BATCH, EXCEL_MAX_ROWS, neutralise
from transfer.exporters.tables import SheetFormats, write_totals

# --- any ledger: the record lists (ownership, maintenance, income, distributions, disposals)
# and every ledger declared in registry.ledgers ------------------------------------------------


# Column widths (characters) of the Excel sheet by column key; 14 for the others.
WIDTHS = {"asset_code": 18, "asset_name": 18, "code": 17, "name": 26, "content": 30, "task": 24,
          "villages": 24, "area_codes": 16, "area_code": 14, "fund_direction": 24}  # fmt: skip


def export_ledger(
    spec: Any, qs: QuerySet[Any], fmt: str, *, meta: dict[str, str], layer: str = ""
) -> Path:
    """A ledger (registry.ledgers.Ledger) as Excel (a ledger sheet with Excel dates, an
    autofilter on the header and totals of the money columns that follow the filter, and a
    statement sheet), CSV (UTF-8 with BOM, ISO dates) or GeoPackage (one layer named ``layer``,
    transfer.exporters.vectors.write_ledger_vector), in its order, batch by batch. Choices
    are written by their labels and yes/no in words (registry.ledgers.label)."""

    folder = Path(tempfile.mkdtemp(prefix="atlas-export-"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "gpkg":
        from transfer.exporters.vectors import write_ledger_vector

        path = folder / f"{spec.key}-{stamp}.gpkg"
        write_ledger_vector(spec, qs, path, layer=layer or spec.key)
        return path
    columns = spec.exported
    rows = spec.rows(qs).iterator(chunk_size=BATCH)

    def cells(row: tuple[Any, ...], *, excel: bool) -> list[Any]:
        out: list[Any] = []
        for column, value in zip(columns, row, strict=True):
            value = ledgers.label(column, value)
            if value is None:
                out.append(None)
            elif column.kind in ("number", "int"):
                out.append(float(value) if column.kind == "number" else int(value))
            elif column.kind == "date":
                out.append(value if excel else value.isoformat())
            elif column.kind == "datetime":
                out.append(value if excel else value.strftime("%Y-%m-%d %H:%M"))
            else:
                out.append(neutralise(str(value)))
        return out

    if fmt == "csv":
        path = folder / f"{spec.key}-{stamp}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("\ufeff")
            writer = csv.writer(fh)
            writer.writerow([c.header for c in columns])
            for row in rows:
                writer.writerow(["" if v is None else v for v in cells(row, excel=False)])
        return path
    if fmt != "xlsx":
        raise ValueError(fmt)
    path = folder / f"{spec.key}-{stamp}.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = SheetFormats(book)
    sheet = book.add_worksheet(str(spec.title)[:31])
    sheet.freeze_panes(1, 2)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    for i, column in enumerate(columns):
        sheet.write_string(0, i, column.header, formats.head)
        sheet.set_column(i, i, WIDTHS.get(column.key, 14))
    totals: dict[int, Decimal] = {i: Decimal(0) for i, c in enumerate(columns) if c.summed}
    count = 0
    for row in rows:
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        for i, value in enumerate(cells(row, excel=True)):
            if value is None:
                continue
            kind = columns[i].kind
            if i in totals:
                totals[i] += Decimal(str(row[i]))
            if kind == "number":
                sheet.write_number(count, i, value, formats.money)
            elif kind == "int":
                sheet.write_number(count, i, value)
            elif kind == "date":
                sheet.write_datetime(count, i, value, formats.date)
            elif kind == "datetime":
                sheet.write_datetime(count, i, value, formats.minute)
            else:
                sheet.write_string(count, i, value)
    sheet.autofilter(0, 0, count, len(columns) - 1)
    whole = {i for i in totals if columns[i].kind == "int"}
    write_totals(sheet, formats, count, totals, whole=whole)
    info = book.add_worksheet("导出说明")
    lines = [
        ("导出内容", str(spec.title)),
        ("导出时间", meta.get("time", "")),
        ("导出人", meta.get("user", "")),
        ("筛选条件", meta.get("filters", "") or "无"),
        ("记录数（行）", str(count)),
        *[
            (f"{columns[i].header}合计", f"{total:.0f}" if i in whole else f"{total:.2f}")
            for i, total in totals.items()
        ],
    ]
    for r, (key, value) in enumerate(lines):
        info.write_string(r, 0, key, formats.head)
        info.write_string(r, 1, value)
    info.set_column(0, 0, 22)
    info.set_column(1, 1, 60)
    book.close()
    return path
