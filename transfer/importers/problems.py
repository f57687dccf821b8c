"""The problems workbook: every row with a problem, with its reasons, for the user to fix.

The worker writes it while it checks the file (``ProblemsWriter`` is the check's ``each``), so
that downloading it costs nothing; ``problems_workbook`` reads the file again for callers that
have no check at hand (the command line, tests)."""

import io
from pathlib import Path
from typing import BinaryIO

import xlsxwriter

from registry.models import User
from transfer.exporters import neutralise
from transfer.importers.columns import HEADERS
from transfer.importers.options import ImportOptions
from transfer.importers.rows import Row, RowOutcome
from transfer.importers.run import _walk
from transfer.importers.sources import Source


class ProblemsWriter:
    """Writes the rows with problems of each checked batch into an Excel workbook at
    ``target`` (a path or a binary stream), in constant memory; ``close()`` finishes it and
    says how many rows it holds."""

    def __init__(self, target: str | BinaryIO) -> None:
        in_memory = not isinstance(target, str)  # a stream: xlsxwriter builds it in memory
        self.book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": in_memory})
        self.sheet = self.book.add_worksheet("问题 Problems")
        self.head = self.book.add_format(
            {"bold": True, "bg_color": "#FDE9D9", "border": 1, "text_wrap": True}
        )
        self.wrap = self.book.add_format(
            {"text_wrap": True, "font_color": "#9C0006", "valign": "top"}
        )
        self.line = 1
        self.keys: list[str] | None = None

    def __call__(self, checked: list[tuple[Row, RowOutcome, dict]], source: Source) -> None:
        for row, _action, _values in checked:
            if self.keys is None:
                self.keys = list(row.cells)
                titles = ["问题 / Problems", "行 / Row", *(HEADERS.get(k, k) for k in self.keys)]
                self.sheet.write_row(0, 0, titles, self.head)
                self.sheet.set_column(0, 0, 60)
                self.sheet.set_column(1, len(titles), 14)
                self.sheet.freeze_panes(1, 2)
            if not row.problems:
                continue
            text = "\n".join(f"{p.column}: {p.message}" for p in row.problems)
            self.sheet.write_string(self.line, 0, text, self.wrap)
            self.sheet.write_string(self.line, 1, row.where)
            for col, key in enumerate(self.keys, start=2):
                value = row.cells.get(key)
                if value is None:
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self.sheet.write_number(self.line, col, value)
                else:
                    self.sheet.write_string(self.line, col, neutralise(str(value)))
            self.line += 1

    def close(self) -> int:
        self.book.close()
        return self.line - 1


def problems_workbook(
    path: Path, actor: User, *, gcj02: bool = False, options: ImportOptions | None = None
) -> io.BytesIO:
    """The rows of the file that have problems, each with its problems in a first column, as an
    Excel workbook: fix them in the original file and upload it again."""
    out = io.BytesIO()
    writer = ProblemsWriter(out)
    _walk(path, actor, options=options or ImportOptions(gcj02=gcj02), progress=None, each=writer)
    writer.close()
    out.seek(0)
    return out
