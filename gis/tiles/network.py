"""The network layer: the roads, pipes and lines of the infrastructure networks (assets with
network attributes, registry.NetworkLink), drawn from the assets' stored Web Mercator geometry
with their type, network and whether they are hardened; water sources as points. Scoped like
the assets (the area code of the link's asset) and never clustered: zoomed out, only the main
links are drawn (county and township roads, water mains, power lines), so that a province-wide
tile stays small.

Cached tiles are keyed by the assets' z12 region versions (gis.tiles.assets.data_version): the
asset table's triggers raise them when a link is drawn or moved, and those of migration
atlas_gis 0012 when its network attributes change (a road hardened), so a changed link shows on
the next request.
"""

from typing import Any

from django.db.models import QuerySet

from gis.filtersets import NetworkLinkFilterSet
from gis.functions import Dimension
from gis.network import GONE_STATUSES
from gis.tiles.assets import data_version
from gis.tiles.engine import TileLayer
from registry import selectors
from registry.choices import NetworkType

# Below these zooms only the main links are drawn (a group road is a few pixels long there).
ALL_LINKS_ZOOM = 10
MAIN_LINKS_ZOOM = 8
MAIN_LINKS = (
    NetworkType.COUNTY_ROAD,
    NetworkType.TOWNSHIP_ROAD,
    NetworkType.VILLAGE_ROAD,
    NetworkType.WATER_MAIN,
    NetworkType.WATER_SOURCE,
    NetworkType.POWER_LINE,
)
TRUNK_LINKS = (NetworkType.COUNTY_ROAD, NetworkType.TOWNSHIP_ROAD, NetworkType.WATER_MAIN)


def links_for(user: Any, filters: Any) -> QuerySet[Any]:
    """The standing assets that carry network attributes, in the user's area."""
    return (
        selectors.asset_scope(user=user)
        .filter(network__isnull=False, geom_3857__isnull=False)
        .exclude(status__in=GONE_STATUSES)
    )


def links_at_zoom(links: QuerySet[Any], z: int) -> QuerySet[Any]:
    """Every link from zoom 10; the main ones from 8; county and township roads and water
    mains further out."""
    if z >= ALL_LINKS_ZOOM:
        return links
    kept = MAIN_LINKS if z >= MAIN_LINKS_ZOOM else TRUNK_LINKS
    return links.filter(network__network_type__in=kept)


NETWORK = TileLayer(
    name="network",
    queryset=links_for,
    geometry="geom_3857",
    attributes={
        "t": "network__network_type",
        "n": "network__network",
        "h": "network__hardened",
        "d": Dimension("geom_3857"),
    },
    filterset=NetworkLinkFilterSet,
    feature_min_zoom=0,  # lines are not counted into clusters: they are thinned by type
    buffer=32,
    version=data_version,
    at_zoom=links_at_zoom,
)
