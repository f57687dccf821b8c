"""The asset layer: every registered asset, drawn from its stored Web Mercator geometry, with
its class, sub-type, status and dimension; clusters below zoom 14 counted by class, from the
precomputed cells (gis.models.AssetCell) when the filters are area, class and status."""

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from gis.functions import Dimension
from gis.models import AssetCell
from gis.tiles.engine import CellTable, TileLayer, TileRequest
from registry import selectors
from registry.filtersets import AssetFilterSet

REGION_ZOOM = 12


def assets_for(user: Any, filters: Any) -> QuerySet[Any]:
    """The scoped assets; with the list's annotations only for filters that need them (owner,
    maintainer, overdue), which cost more than most tiles."""
    if set(filters) & selectors.ANNOTATED_FILTERS:
        return selectors.asset_list(user=user)
    return selectors.asset_scope(user=user)


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


def rebuild_cells() -> None:
    """Recount every cell from the asset table (after bulk loads that bypass the triggers), and
    raise the global version: no tile cached before the load may be served after it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT atlas_cells_rebuild()")
        cursor.execute("SELECT atlas_tile_version_bump_now()")


ASSETS = TileLayer(
    name="assets",
    queryset=assets_for,
    geometry="geom_3857",
    attributes={"c": "asset_class", "t": "subtype", "s": "status", "d": Dimension("geom_3857")},
    filterset=AssetFilterSet,
    feature_min_zoom=14,
    cluster_counts={
        "n_operating": Q(asset_class="operating"),
        "n_public": Q(asset_class="public"),
        "n_household": Q(asset_class="household"),
    },
    cells=CellTable(AssetCell, keys=frozenset({"asset_class", "status"})),
    version=data_version,
)
