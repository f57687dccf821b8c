"""Bulk import of asset ledgers: read, validate, preview, and commit all or nothing.

A ledger comes as Excel (our template or an export of ours), CSV (UTF-8 or GBK), a zipped
Shapefile (several layers allowed, GBK without .cpg recognised), GeoPackage or GeoJSON. The
file is read in batches (python-calamine for Excel, the csv module, GDAL through pyogrio for
the GIS formats), each row is checked against the same rules the register form applies, and
the outcome is counted: rows that create an asset, rows that update one (by asset code), rows
that change nothing, rows with problems. Every problem names its row, its column and the reason
in Chinese and English.

``commit`` reads and checks the file again inside one transaction (the register may have
changed since the preview) and writes only if no row has a problem: a failure anywhere leaves
the database exactly as it was. History triggers record every row written with the importing
user and the import's number.

The package: ``columns`` (what an import knows of its columns, from the asset ledger),
``rows`` (a row, its problems, its outcome), ``sources`` (reading each format in batches),
``cells`` (cell parsers), ``checker`` (the row checker), ``network`` (the network columns of
roads, pipes and lines: their rules, their writing, the gaps recomputed once per township),
``run`` (preview and commit) and ``problems`` (the problems workbook).
"""

from transfer.exporters import FORMULA_START, LABELS
from transfer.importers.checker import Checker
from transfer.importers.columns import (
    HEADERS,
    INTEGERS,
    NUMBER_LIMITS,
    REQUIRED_FOR_NEW,
    TEXT_LIMITS,
)
from transfer.importers.problems import ProblemsWriter, problems_workbook
from transfer.importers.rows import ImportRefused, Problem, Row, RowOutcome
from transfer.importers.run import Outcome, Rejected, commit, preview
from transfer.importers.sources import Source, open_source

__all__ = [
    "FORMULA_START",
    "HEADERS",
    "INTEGERS",
    "LABELS",
    "NUMBER_LIMITS",
    "REQUIRED_FOR_NEW",
    "TEXT_LIMITS",
    "Checker",
    "ImportRefused",
    "Outcome",
    "Problem",
    "ProblemsWriter",
    "Rejected",
    "Row",
    "RowOutcome",
    "Source",
    "commit",
    "open_source",
    "preview",
    "problems_workbook",
]
