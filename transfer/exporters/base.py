"""What every export shares: the asset ledger's columns as SQL (labels, neutralised text,
yes/no), the formats, and rows batch by batch."""

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.gis.db.models.functions import AsWKB
from django.db.models import (
    Case,
    CharField,
    F,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from gis.functions import Raw
from registry.ledgers import ASSETS, LedgerColumn
from registry.models import Asset

BATCH = 5000
Progress = Callable[[int], None]


class _Ticker:
    """Counts rows written and tells ``progress`` (rows so far) once per batch."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.rows = 0
        self.reported = 0

    def tick(self, rows: int = 1) -> None:
        self.rows += rows
        if self.progress is not None and self.rows - self.reported >= BATCH:
            self.reported = self.rows
            self.progress(self.rows)


FORMULA_START = ("=", "+", "-", "@")
EXCEL_MAX_ROWS = 1_048_575


# The asset ledger's columns (registry.ledgers.ASSETS) that exports write, in their order.
COLUMNS = ASSETS.exported
LABELS = {c.key: dict(c.choices) for c in ASSETS.columns if c.kind == "choice"}
FORMAT_LABELS = [
    ("xlsx", "Excel"),
    ("csv", "CSV"),
    ("geojson", "GeoJSON"),
    ("gpkg", "GeoPackage"),
    ("shp", "Shapefile"),
]
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
}


def _text(field: str) -> Any:
    """A text column as SQL, neutralised when it would start a spreadsheet formula."""
    return Case(
        When(**{f"{field}__regex": r"^[=+@-]"}, then=Concat(Value("'"), F(field))),
        default=F(field),
        output_field=CharField(),
    )


def _label(key: str, field: str | None = None) -> Any:
    """A choice column (``key``) as its label; ``field`` is its path when it is not the key
    (network__surface)."""
    field = field or key
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in LABELS[key].items()],
        default=F(field),
        output_field=CharField(),
    )


def _path(column: LedgerColumn) -> str:
    """The field path of a column: its declared path (network__surface), else its key."""
    return column.value if isinstance(column.value, str) else column.key


def _yes_no(field: str) -> Any:
    return Case(
        When(**{field: True}, then=Value(_("yes"))),
        When(**{field: False}, then=Value(_("no"))),
        default=Value(""),
        output_field=CharField(),
    )


def labelled(
    assets: QuerySet[Asset], *, geometry: bool | str = False
) -> "QuerySet[Asset, tuple[Any, ...]]":
    """The ledger columns computed by PostgreSQL (labels, neutralised text, yes/no), in COLUMNS
    order, so that exports stream values instead of building each cell in Python."""
    expressions: dict[str, Any] = {}
    for column in COLUMNS:
        if column.value is not None and not isinstance(column.value, str):
            expressions[column.key] = column.value  # declared as an expression (township, village)
        elif column.kind == "choice":
            expressions[column.key] = _label(column.key, _path(column))
        elif column.kind == "bool":
            expressions[column.key] = _yes_no(_path(column))
        elif column.kind == "text":
            expressions[column.key] = _text(_path(column))
        else:
            expressions[column.key] = F(_path(column))
    names = {c.key: f"x_{c.key}" for c in COLUMNS}
    if geometry:
        # "raw": the geometry itself, for GDAL reading this SQL (the export benchmark's
        # ogr2ogr baseline); otherwise WKB for Python.
        expressions["wkb"] = Raw("geom") if geometry == "raw" else AsWKB("geom")
        names["wkb"] = "x_wkb"
    return (
        assets.order_by("code")
        .annotate(**{names[k]: v for k, v in expressions.items()})
        .values_list(*names.values())
    )


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows(assets: QuerySet[Asset], *, geometry: bool = False) -> Iterator[dict[str, Any]]:
    """The ledger rows of ``assets`` (an asset_list queryset), in code order, batch by batch."""
    fields = [c.key for c in COLUMNS if c.value is None]
    # Columns declared by a path or an expression (the network attributes), by their key.
    computed = {
        c.key: F(c.value) if isinstance(c.value, str) else c.value
        for c in COLUMNS
        if c.value is not None and c.key not in {"township", "village"}
    }
    qs = assets.order_by("code")
    extra = ["area__name", "area__parent__name", "area__level"]
    if geometry:
        qs = qs.annotate(wkb=AsWKB("geom"))
        extra.append("wkb")
    for row in qs.values(*fields, *extra, **computed).iterator(chunk_size=BATCH):
        village = row.pop("area__level") == "village"
        row["village"] = row["area__name"] if village else ""
        row["township"] = row["area__parent__name"] if village else row["area__name"]
        del row["area__name"], row["area__parent__name"]
        for key, labels in LABELS.items():
            if row[key] is not None:  # None: an asset without network attributes
                row[key] = str(labels.get(row[key], row[key]))
        yield row


def _cell(column: LedgerColumn, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "number":
        return float(value)
    if column.kind == "bool":
        return _("yes") if value else _("no")
    if column.kind == "date":
        return value.isoformat()
    return neutralise(value)
