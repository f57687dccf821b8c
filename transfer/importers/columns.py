"""What an import knows of its columns, from the asset ledger (registry.ledgers.ASSETS)."""

from typing import Any

from django.core.exceptions import FieldDoesNotExist

from registry.ledgers import ASSETS
from registry.models import Asset, NetworkLink
from registry.services.bulk import BULK_FIELDS
from transfer.exporters import COLUMNS

BATCH = 5000
HEADER_SEARCH_ROWS = 10
# A ledger of the register has some 30 columns; a file with more than this many is not one
# (and its mapping page would be megabytes).
MAX_COLUMNS = 300
TOTALS_LABELS = {"合计", "总计", "total"}

# Everything an import knows of its columns comes from the asset ledger's declaration
# (registry.ledgers.ASSETS): headers and other names, which columns it reads, which a new asset
# needs, and (from the model's fields) the digits, decimals and lengths the register keeps.
# Exported columns an import does not read (status, owners, maintainer, inspections, fund era)
# are kept by their own workflows and derived values: an import leaves them alone.
READ_ONLY = {c.key for c in ASSETS.exported if not c.imported}
REQUIRED_FOR_NEW = [c.key for c in ASSETS.columns if c.required]
COMPARED = BULK_FIELDS
HEADERS = {c.key: c.header for c in ASSETS.columns}
HEADERS["geometry"] = "几何图形"  # a GIS layer's geometry column, which no ledger column names
EXTRA_HEADERS = {c.key: c.header for c in ASSETS.columns if not c.exported}
ALIASES = {c.key: list(c.aliases) for c in ASSETS.columns if c.aliases}


def _model_field(key: str) -> Any:
    """The field that keeps a column: the asset's, else its network attributes' (width_m)."""
    for model in (Asset, NetworkLink):
        try:
            return model._meta.get_field(key)
        except FieldDoesNotExist:
            continue
    return None


TEXT_LIMITS = {
    c.key: _model_field(c.key).max_length
    for c in ASSETS.imported
    if c.kind == "text" and getattr(_model_field(c.key), "max_length", None)
}
NUMBER_LIMITS = {
    c.key: (_model_field(c.key).max_digits, _model_field(c.key).decimal_places)
    for c in ASSETS.imported
    if c.kind == "number"
}
INTEGERS = [c.key for c in ASSETS.imported if c.kind == "int"]
YES = {"是", "yes", "y", "true", "1", "t", "√"}
NO = {"否", "no", "n", "false", "0", "f", ""}


def _norm(header: Any) -> str:
    text = str(header or "").strip().lower().replace("*", "").replace(" ", "")
    return text.replace("(", "（").replace(")", "）")


def _header_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, column.key, column.shp):
            mapping[_norm(name)] = column.key
    for key, header in EXTRA_HEADERS.items():
        mapping[_norm(header)] = key
        mapping[_norm(key)] = key
    for key, names in ALIASES.items():
        for name in names:
            mapping[_norm(name)] = key
    return mapping


HEADER_MAP = _header_map()
