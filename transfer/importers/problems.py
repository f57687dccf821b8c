"""The problems workbook: every row with a problem, with its reasons, for the user to fix."""

import io
from pathlib import Path
from typing import Any

import xlsxwriter

from registry.models import User
from transfer.exporters import neutralise
from transfer.importers.columns import HEADERS
from transfer.importers.options import ImportOptions
from transfer.importers.rows import Row, RowOutcome
from transfer.importers.run import _walk
from transfer.importers.sources import Source


def problems_workbook(
    path: Path, actor: User, *, gcj02: bool = False, options: ImportOptions | None = None
) -> io.BytesIO:
    """The rows of the file that have problems, each with its problems in a first column, as an
    Excel workbook: fix them in the original file and upload it again."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("问题 Problems")
    head = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "font_color": "#9C0006", "valign": "top"})
    state: dict[str, Any] = {"line": 1, "keys": None}

    def each(checked: list[tuple[Row, RowOutcome, dict]], source: Source) -> None:
        for row, _action, _values in checked:
            if state["keys"] is None:
                keys = list(row.cells)
                state["keys"] = keys
                titles = ["问题 / Problems", "行 / Row", *(HEADERS.get(k, k) for k in keys)]
                sheet.write_row(0, 0, titles, head)
                sheet.set_column(0, 0, 60)
                sheet.set_column(1, len(titles), 14)
                sheet.freeze_panes(1, 2)
            if not row.problems:
                continue
            text = "\n".join(f"{p.column}: {p.message}" for p in row.problems)
            sheet.write_string(state["line"], 0, text, wrap)
            sheet.write_string(state["line"], 1, row.where)
            for col, key in enumerate(state["keys"], start=2):
                value = row.cells.get(key)
                if value is None:
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(state["line"], col, value)
                else:
                    sheet.write_string(state["line"], col, neutralise(str(value)))
            state["line"] += 1

    _walk(path, actor, options=options or ImportOptions(gcj02=gcj02), progress=None, each=each)
    book.close()
    out.seek(0)
    return out
