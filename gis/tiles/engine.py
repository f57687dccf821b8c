"""Vector tiles (MVT) from declared layers (``TileLayer``): the one module that turns a layer
into tile SQL. Every query is built by the ORM with the layer's scoped and filtered queryset and
the small functions of ``gis.functions``; every number is a query parameter, and the only SQL
written here is the ST_AsMVT wrapper around the ORM's query, with quoted column names.

From a layer's ``feature_min_zoom`` a tile holds every feature, its id as the MVT feature id.
Below it, clusters: one point per 16th-of-a-tile cell with its count and the layer's counts by
kind, summed from the layer's precomputed cell table (``CellTable``) when the filters are ones
the cells are keyed by (or from the cells its own ``scoped_cells`` selects, when it answers the
scope and filters), else aggregated on the fly from the matching features.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Polygon
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Model,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Floor

from gis.functions import AsMVTGeom, MercatorPoint, PointOnSurface, TileEnvelope, X, Y
from registry.models import AdminArea

MAX_ZOOM = 20
EXTENT = 4096
CELLS_PER_TILE = 16
HALF_WORLD = 20037508.342789244
GEOMETRY = "tile_geom"  # the name of the geometry column inside a tile query


@dataclass(frozen=True)
class TileRequest:
    z: int
    x: int
    y: int

    def valid(self) -> bool:
        n = 1 << self.z if 0 <= self.z <= MAX_ZOOM else 0
        return n > 0 and 0 <= self.x < n and 0 <= self.y < n


@dataclass(frozen=True)
class CellTable:
    """A table of precomputed cluster cells (z, cx, cy of the 16 x 16 cells per tile, an area
    code, a count ``n`` and coordinate sums ``sx``, ``sy``), with the filters it is keyed by
    besides the area (they must be columns of the table)."""

    model: type[Model]
    keys: frozenset[str]


@dataclass(frozen=True)
class TileLayer:
    """One kind of record on the map.

    ``queryset(user, filters)`` gives what the user may see (scoped) before the filters, which
    ``filterset`` applies; ``geometry`` is a Web Mercator geometry field of it; ``attributes``
    maps each MVT property to a field or expression. Below ``feature_min_zoom`` the tile holds
    clusters with a count ``n`` and one count per entry of ``cluster_counts`` (the features
    matching its Q). ``version(tile)`` is the data version the tile cache is keyed by; a layer
    without one is not cached.

    ``scoped_cells(prefix, filters)``, for cells that the generic ``CellTable`` cannot use
    (a scope that is not an area-code prefix, filters by lists of values), gives the layer's
    own cell rows (z, cx, cy, n, sx, sy and the fields of ``cluster_counts``) for the user's
    scope prefix and filters, or None when they cannot answer them."""

    name: str
    queryset: Callable[[Any, Mapping[str, Any]], QuerySet[Any]]
    geometry: str
    attributes: Mapping[str, Any]
    filterset: Any = None
    feature_min_zoom: int = 14
    buffer: int = 64
    cluster_counts: Mapping[str, Q] = field(default_factory=dict)
    cells: CellTable | None = None
    version: Callable[[TileRequest], int] | None = None
    scoped_cells: Callable[[str, Mapping[str, Any]], QuerySet[Any] | None] | None = None
    # Narrows or annotates the features for the tile's zoom: a network drawn by its main links
    # when zoomed out, relocation sites as points far out and as outlines close in.
    at_zoom: Callable[[QuerySet[Any], int], QuerySet[Any]] | None = None

    @property
    def clusters(self) -> str:
        return "clusters"


def cell_size(z: int) -> float:
    return (2 * HALF_WORLD) / (1 << z) / CELLS_PER_TILE


def envelope(tile: TileRequest, margin_units: int = 0) -> Polygon:
    """The tile's bounds in Web Mercator, widened by ``margin_units`` of its 4096 units."""
    size = 2 * HALF_WORLD / (1 << tile.z)
    margin = size * margin_units / EXTENT
    xmin = -HALF_WORLD + tile.x * size
    ymax = HALF_WORLD - tile.y * size
    box = Polygon.from_bbox(
        (xmin - margin, ymax - size - margin, xmin + size + margin, ymax + margin)
    )
    box.srid = 3857
    return box


def _mvt_sql(
    name: str, rows: QuerySet[Any], columns: Iterable[str], id_column: str = ""
) -> tuple[str, list[Any]]:
    """ST_AsMVT over the ORM query ``rows``, whose columns are ``p_<property>`` for each of
    ``columns`` and ``tile_geom``: renamed here to the property names (model fields may own
    them in the ORM, as the cell table owns ``n``), features without geometry dropped."""
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    names = [*columns, *([id_column] if id_column else [])]
    selected = ", ".join(f"i.{quote('p_' + c)} AS {quote(c)}" for c in names)
    args: list[Any] = [name, EXTENT, "geom"] + ([id_column] if id_column else [])
    marks = ", ".join(["%s"] * len(args))
    query = (
        f"SELECT ST_AsMVT(t.*, {marks}) FROM ("
        f"SELECT {selected}, i.{quote(GEOMETRY)} AS geom FROM ({sql}) i"
        f") t WHERE t.geom IS NOT NULL"
    )
    return query, [*args, *params]


def _mvt(name: str, rows: QuerySet[Any], columns: Iterable[str], id_column: str = "") -> bytes:
    try:
        query, params = _mvt_sql(name, rows, columns, id_column)
    except EmptyResultSet:  # a filter that matches nothing (an unknown area): an empty tile
        return b""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def features_tile(layer: TileLayer, tile: TileRequest, features: QuerySet[Any]) -> bytes:
    """Every feature of ``features`` (scoped and filtered) in the tile, with the layer's
    attributes. The bounding-box test is in the same query, on the geometry's GiST index; the
    margin keeps symbols that straddle the tile edge whole."""
    rows = (
        features.filter(**{f"{layer.geometry}__bboverlaps": envelope(tile, layer.buffer)})
        .order_by()
        .annotate(
            p_id=F("pk"),
            **{f"p_{name}": _expression(value) for name, value in layer.attributes.items()},
            **{
                GEOMETRY: AsMVTGeom(
                    F(layer.geometry), TileEnvelope(tile.z, tile.x, tile.y), EXTENT, layer.buffer
                )
            },
        )
        .values("p_id", *(f"p_{name}" for name in layer.attributes), GEOMETRY)
    )
    return _mvt(layer.name, rows, layer.attributes, id_column="id")


def _cluster_point(tile: TileRequest) -> dict[str, Any]:
    point = MercatorPoint(F("p_mx"), F("p_my"))
    return {GEOMETRY: AsMVTGeom(point, TileEnvelope(tile.z, tile.x, tile.y), EXTENT, 0)}


def cells_tile(
    layer: TileLayer, tile: TileRequest, *, prefix: str, filters: Mapping[str, Any]
) -> bytes:
    """Clusters summed from the layer's precomputed cells of this tile inside area ``prefix``,
    narrowed by the cell keys among ``filters``."""
    assert layer.cells is not None
    keys = tuple(sorted(key for key in layer.cells.keys if filters.get(key)))
    sql, slots = _compiled_cells(layer, keys)
    lo_x, lo_y = tile.x * CELLS_PER_TILE, tile.y * CELLS_PER_TILE
    values = {
        "z": tile.z, "x": tile.x, "y": tile.y, "lo_x": lo_x, "hi_x": lo_x + CELLS_PER_TILE - 1,
        "lo_y": lo_y, "hi_y": lo_y + CELLS_PER_TILE - 1,
        "prefix": connection.ops.prep_for_like_query(prefix) + "%",
        **{key: filters[key] for key in keys},
    }  # fmt: skip
    params = [values[slot] if slot is not None else value for slot, value in slots]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


# Placeholders the cell query is compiled with once per shape; each stands for one value.
# (In the columns' ranges: Django answers an out-of-range integer lookup with no query at all.)
_SLOTS = {"z": 32_001, "x": 2_100_000_002, "y": 2_100_000_003, "lo_x": 2_100_000_004,
          "hi_x": 2_100_000_005, "lo_y": 2_100_000_006, "hi_y": 2_100_000_007}  # fmt: skip


_COMPILED: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def _compiled_cells(layer: TileLayer, keys: tuple[str, ...]) -> tuple[str, list[Any]]:
    # Keyed by what the query is made of (not id(layer): an id can be reused by another layer).
    assert layer.cells is not None
    key = (layer.name, layer.cells.model._meta.label, keys)
    cached = _COMPILED.get(key)
    if cached is None:
        cached = _COMPILED[key] = _compile_cells(layer, keys)
    return cached


def _compile_cells(layer: TileLayer, keys: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The cell query of ``layer`` with the filters ``keys``, compiled by the ORM once (its
    construction costs more than the query runs: 2 ms against 1-3 ms) with a placeholder for
    each value, and where each value goes among the parameters."""
    assert layer.cells is not None
    tile = TileRequest(_SLOTS["z"], _SLOTS["x"], _SLOTS["y"])
    cells = layer.cells.model._default_manager.filter(
        z=_SLOTS["z"],
        cx__range=(_SLOTS["lo_x"], _SLOTS["hi_x"]),
        cy__range=(_SLOTS["lo_y"], _SLOTS["hi_y"]),
        area_code__startswith="\x01prefix",
        **{key: f"\x01{key}" for key in keys},
    )
    rows = (
        cells.values("cx", "cy")
        .annotate(
            p_n=Sum("n"),
            **{f"p_{name}": Sum("n", filter=q) for name, q in layer.cluster_counts.items()},
            p_mx=ExpressionWrapper(Sum("sx") / Sum("n"), output_field=FloatField()),
            p_my=ExpressionWrapper(Sum("sy") / Sum("n"), output_field=FloatField()),
        )
        .filter(p_n__gt=0)
        .annotate(**_cluster_point(tile))
        .values("p_n", *(f"p_{name}" for name in layer.cluster_counts), GEOMETRY)
        .order_by()
    )
    sql, params = _mvt_sql(layer.clusters, rows, ["n", *layer.cluster_counts])
    by_value = {value: slot for slot, value in _SLOTS.items()}
    slots: list[Any] = []
    for value in params:
        if isinstance(value, str) and value.startswith("\x01"):
            slots.append(("prefix" if value.startswith("\x01prefix") else value[1:], None))
        elif isinstance(value, int) and not isinstance(value, bool) and value in by_value:
            slots.append((by_value[value], None))
        else:
            slots.append((None, value))
    return sql, slots


def summed_cells_tile(layer: TileLayer, tile: TileRequest, cells: QuerySet[Any]) -> bytes:
    """Clusters summed from the cell rows ``cells`` (already narrowed to the user's scope and
    filters) of this tile."""
    lo_x, lo_y = tile.x * CELLS_PER_TILE, tile.y * CELLS_PER_TILE
    rows = (
        cells.filter(
            z=tile.z,
            cx__range=(lo_x, lo_x + CELLS_PER_TILE - 1),
            cy__range=(lo_y, lo_y + CELLS_PER_TILE - 1),
        )
        .values("cx", "cy")
        .annotate(
            p_n=Sum("n"),
            **{f"p_{name}": Sum("n", filter=q) for name, q in layer.cluster_counts.items()},
            p_mx=ExpressionWrapper(Sum("sx") / Sum("n"), output_field=FloatField()),
            p_my=ExpressionWrapper(Sum("sy") / Sum("n"), output_field=FloatField()),
        )
        .filter(p_n__gt=0)
        .annotate(**_cluster_point(tile))
        .values("p_n", *(f"p_{name}" for name in layer.cluster_counts), GEOMETRY)
        .order_by()
    )
    return _mvt(layer.clusters, rows, ["n", *layer.cluster_counts])


def aggregate_tile(layer: TileLayer, tile: TileRequest, features: QuerySet[Any]) -> bytes:
    """Clusters of the matching features, aggregated on the fly (filters the cells cannot
    answer): each feature counted at a point on its surface, in the cell of that point."""
    size = cell_size(tile.z)
    point = PointOnSurface(F(layer.geometry))
    rows = (
        features.filter(**{f"{layer.geometry}__bboverlaps": envelope(tile)})
        .order_by()
        .annotate(p_x=X(point), p_y=Y(point))
        .annotate(
            cell_x=Floor((F("p_x") + Value(HALF_WORLD)) / Value(size)),
            cell_y=Floor((Value(HALF_WORLD) - F("p_y")) / Value(size)),
        )
        .values("cell_x", "cell_y")
        .annotate(
            p_n=Count("pk"),
            **{f"p_{name}": Count("pk", filter=q) for name, q in layer.cluster_counts.items()},
            p_mx=Avg("p_x"),
            p_my=Avg("p_y"),
        )
        .annotate(**_cluster_point(tile))
        .values("p_n", *(f"p_{name}" for name in layer.cluster_counts), GEOMETRY)
    )
    return _mvt(layer.clusters, rows, ["n", *layer.cluster_counts])


def _expression(value: Any) -> Any:
    return F(value) if isinstance(value, str) else value


def effective_prefix(user_prefix: str, area_code: str | None) -> str | None:
    """The narrower of the user's scope and the chosen area; None when they do not overlap."""
    if not area_code:
        return user_prefix
    area = AdminArea.objects.filter(code=area_code).only("code", "level").first()
    if area is None:
        return None
    chosen = area.scope_prefix
    if chosen.startswith(user_prefix):
        return chosen
    if user_prefix.startswith(chosen):
        return user_prefix
    return None


def render(
    layer: TileLayer, tile: TileRequest, *, user: Any, prefix: str, filters: Mapping[str, Any],
    filterset: Any,
) -> bytes:  # fmt: skip
    """The tile of ``layer`` for ``user`` (area ``prefix``), with the (validated, non-empty)
    ``filters`` of the bound ``filterset`` (None when there are none)."""

    def features() -> QuerySet[Any]:
        qs = layer.queryset(user, filters)
        if layer.at_zoom is not None:
            qs = layer.at_zoom(qs, tile.z)
        return filterset.filter_queryset(qs) if filterset is not None else qs

    if tile.z >= layer.feature_min_zoom:
        return features_tile(layer, tile, features())
    if layer.cells is not None and set(filters) <= {"area", *layer.cells.keys}:
        narrowed = effective_prefix(prefix, filters.get("area"))
        if narrowed is None:
            return b""
        return cells_tile(layer, tile, prefix=narrowed, filters=filters)
    if layer.scoped_cells is not None:
        cells = layer.scoped_cells(prefix, filters)
        if cells is not None:
            return summed_cells_tile(layer, tile, cells)
    return aggregate_tile(layer, tile, features())
