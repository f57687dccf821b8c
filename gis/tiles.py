"""Vector tiles (MVT) of the asset register: the one module that writes raw tile SQL.

Zoom 14 and up: every asset in the tile, drawn from the stored Web Mercator geometry with its id
as the MVT feature id. Below 14: clusters, one point per 16th-of-a-tile cell with its count and
its counts by class. Clusters are summed from the precomputed cells (gis.models.AssetCell) when
the filters are ones the cells are keyed by (area, class, status); other filters aggregate the
matching assets on the fly. Every query carries the user's area scope.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Polygon
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL

from registry.models import AdminArea, Asset

RAW_MIN_ZOOM = 14
MAX_ZOOM = 20
EXTENT = 4096
CELLS_PER_TILE = 16
HALF_WORLD = 20037508.342789244
# Filters the precomputed cells can answer; anything else is aggregated on the fly.
CELL_FILTERS = frozenset({"area", "asset_class", "status"})


@dataclass(frozen=True)
class TileRequest:
    z: int
    x: int
    y: int

    def valid(self) -> bool:
        n = 1 << self.z if 0 <= self.z <= MAX_ZOOM else 0
        return n > 0 and 0 <= self.x < n and 0 <= self.y < n


def cell_size(z: int) -> float:
    return (2 * HALF_WORLD) / (1 << z) / CELLS_PER_TILE


def _fetch(sql: str, params: Iterable[Any]) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def envelope(tile: TileRequest, margin_units: int = 0) -> Polygon:
    """The tile's bounds in Web Mercator, widened by ``margin_units`` of its 4096 units."""
    size = 2 * HALF_WORLD / (1 << tile.z)
    margin = size * margin_units / EXTENT
    xmin = -HALF_WORLD + tile.x * size
    ymax = HALF_WORLD - tile.y * size
    return Polygon.from_bbox(
        (xmin - margin, ymax - size - margin, xmin + size + margin, ymax + margin)
    )


def _in_tile(assets: QuerySet[Asset], tile: TileRequest, margin_units: int) -> tuple[str, Any]:
    """SQL for the matching assets in the tile: id, class, sub-type, status and geometry ``g``.

    The bounding-box test is part of the ORM query so that it reaches the GiST index on
    geom_3857. The geometry is selected as raw SQL: as a geometry field the ORM would cast it to
    bytea, which no spatial function can use.
    """
    box = envelope(tile, margin_units)
    box.srid = 3857
    return (
        assets.filter(geom_3857__bboverlaps=box)
        .order_by()
        .annotate(g=RawSQL('"registry_asset"."geom_3857"', (), output_field=TextField()))
        .values("id", "asset_class", "subtype", "status", "g")
        .query.sql_with_params()
    )


def raw_tile(tile: TileRequest, assets: QuerySet[Asset]) -> bytes:
    """Every asset of ``assets`` (already scoped and filtered) that falls in the tile."""
    try:
        inner_sql, inner_params = _in_tile(assets, tile, margin_units=64)
    except EmptyResultSet:  # a filter that matches nothing (an unknown area): an empty tile
        return b""
    # The 64-unit margin keeps symbols that straddle the tile edge whole.
    sql = f"""
        SELECT ST_AsMVT(mvt, 'assets', {EXTENT}, 'geom', 'id') FROM (
          SELECT f.id, f.asset_class AS c, f.subtype AS t, f.status AS s, ST_Dimension(f.g) AS d,
                 ST_AsMVTGeom(f.g, ST_TileEnvelope(%s, %s, %s), {EXTENT}, 64, true) AS geom
          FROM ({inner_sql}) f
        ) mvt WHERE mvt.geom IS NOT NULL
    """
    return _fetch(sql, (tile.z, tile.x, tile.y, *inner_params))


def _cluster_select(tile: TileRequest) -> str:
    return f"""
        SELECT ST_AsMVT(mvt, 'clusters', {EXTENT}, 'geom') FROM (
          SELECT n, n_operating, n_public, n_household,
                 ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(mx, my), 3857),
                              ST_TileEnvelope({tile.z}, {tile.x}, {tile.y}),
                              {EXTENT}, 0, true) AS geom
          FROM ({{groups}}) g
        ) mvt WHERE mvt.geom IS NOT NULL
    """


def cell_tile(
    tile: TileRequest, *, prefix: str, asset_class: str | None, status: str | None
) -> bytes:
    """Clusters summed from the precomputed cells of this tile, inside the area ``prefix``."""
    lo_x, lo_y = tile.x * CELLS_PER_TILE, tile.y * CELLS_PER_TILE
    where = ["z = %s", "cx BETWEEN %s AND %s", "cy BETWEEN %s AND %s", "area_code LIKE %s"]
    params: list[Any] = [tile.z, lo_x, lo_x + CELLS_PER_TILE - 1, lo_y, lo_y + CELLS_PER_TILE - 1]
    params.append(prefix.replace("%", "") + "%")
    if asset_class:
        where.append("asset_class = %s")
        params.append(asset_class)
    if status:
        where.append("status = %s")
        params.append(status)
    groups = f"""
        SELECT sum(n) AS n,
               sum(n) FILTER (WHERE asset_class = 'operating') AS n_operating,
               sum(n) FILTER (WHERE asset_class = 'public') AS n_public,
               sum(n) FILTER (WHERE asset_class = 'household') AS n_household,
               sum(sx) / sum(n) AS mx, sum(sy) / sum(n) AS my
        FROM atlas_gis_assetcell WHERE {" AND ".join(where)}
        GROUP BY cx, cy HAVING sum(n) > 0
    """
    return _fetch(_cluster_select(tile).replace("{groups}", groups), params)


def aggregate_tile(tile: TileRequest, assets: QuerySet[Asset]) -> bytes:
    """Clusters of the matching assets, aggregated on the fly (filters the cells cannot answer)."""
    try:
        inner_sql, inner_params = _in_tile(assets, tile, margin_units=0)
    except EmptyResultSet:
        return b""
    size = cell_size(tile.z)
    groups = f"""
        SELECT count(*) AS n,
               count(*) FILTER (WHERE asset_class = 'operating') AS n_operating,
               count(*) FILTER (WHERE asset_class = 'public') AS n_public,
               count(*) FILTER (WHERE asset_class = 'household') AS n_household,
               avg(ST_X(p)) AS mx, avg(ST_Y(p)) AS my
        FROM (SELECT ST_PointOnSurface(f.g) AS p, f.asset_class FROM ({inner_sql}) f) pts
        GROUP BY floor((ST_X(p) + {HALF_WORLD}) / {size}), floor(({HALF_WORLD} - ST_Y(p)) / {size})
    """
    return _fetch(_cluster_select(tile).replace("{groups}", groups), inner_params)


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


def rebuild_cells() -> None:
    """Recount every cell from the asset table (after bulk loads that bypass the triggers), and
    raise the global version: no tile cached before the load may be served after it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT atlas_cells_rebuild()")
        cursor.execute("SELECT atlas_tile_version_bump_now()")


REGION_ZOOM = 12


def data_version(tile: TileRequest) -> int:
    """The version a cached tile is keyed by: the newest change under it (the z12 regions it
    covers, one region around it for symbols that reach over its edge) or the last bulk
    rebuild, whichever is newer. One indexed range read."""
    if tile.z >= REGION_ZOOM:
        shift = tile.z - REGION_ZOOM
        lo_x, hi_x, lo_y, hi_y = tile.x >> shift, tile.x >> shift, tile.y >> shift, tile.y >> shift
    else:
        shift = REGION_ZOOM - tile.z
        lo_x, lo_y = tile.x << shift, tile.y << shift
        hi_x, hi_y = lo_x + (1 << shift) - 1, lo_y + (1 << shift) - 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest("
            " (SELECT version FROM atlas_gis_tileversion WHERE id = 1),"
            " (SELECT max(version) FROM atlas_gis_tileregion"
            "   WHERE x BETWEEN %s AND %s AND y BETWEEN %s AND %s))",
            [lo_x - 1, hi_x + 1, lo_y - 1, hi_y + 1],
        )
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0
