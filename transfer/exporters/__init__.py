"""Exports of the asset register, filtered exactly as the list on screen and scoped to the user.

Every format is written from one column list (the county ledger layout with Chinese headers)
in batches, never all rows in memory: CSV (UTF-8 with BOM, for Excel on Chinese Windows),
Excel (xlsxwriter in constant-memory mode, with a totals row and a sheet stating the filters,
time, user and row count/sum), GeoJSON (RFC 7946), GeoPackage and zipped Shapefile (GDAL
through pyogrio, CRS EPSG:4490). Text cells that a spreadsheet would run as a formula (starting
with = + - @) are neutralised with a leading apostrophe.

The package: ``base`` (the ledger's columns as SQL, formats, rows), ``tables`` (CSV, Excel),
``vectors`` (GeoJSON, GeoPackage, Shapefile), ``files`` (an export as a file) and ``ledgers``
(any declared ledger as Excel or CSV).
"""

from transfer.exporters.base import (
    BATCH,
    COLUMNS,
    EXCEL_MAX_ROWS,
    FORMAT_LABELS,
    FORMATS,
    FORMULA_START,
    LABELS,
    labelled,
    neutralise,
    rows,
)
from transfer.exporters.files import export, meta_for
from transfer.exporters.ledgers import export_ledger
from transfer.exporters.tables import write_csv, write_xlsx
from transfer.exporters.vectors import write_geojson, write_vector

__all__ = [
    "BATCH",
    "COLUMNS",
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "FORMAT_LABELS",
    "FORMULA_START",
    "LABELS",
    "export",
    "export_ledger",
    "labelled",
    "meta_for",
    "neutralise",
    "rows",
    "write_csv",
    "write_geojson",
    "write_vector",
    "write_xlsx",
]  # fmt: skip
