"""The places the networks serve: every village group and relocation site with the gap
analysis's answer (gis.models.NetworkPlace): its kind, whether a hardened road reaches it from
the township seat, whether piped water does, and its households. Drawn as points from zoom 10
(a county's few thousand groups), counted into clusters below it, with the number of places
without a hardened road and without piped water. Scoped by the place's area code (a group's own
15-digit code, a site's village) and filtered by the gap table's FilterSet, so the gaps view's
map shows the places its table lists.

Cached tiles are keyed by the analysis's runs (gis.models.NetworkRun): every recomputation of a
township renews them.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from gis import gaps
from gis.filtersets import NO_HARDENED_ROAD, NO_WATER, NetworkPlaceFilterSet
from gis.models import NetworkPlace
from gis.tiles.engine import TileLayer, TileRequest
from registry.scoping import visible_to


def places_for(user: Any, filters: Any) -> QuerySet[Any]:
    """The groups and sites in the user's area, as the analysis last answered for them."""
    return visible_to(user, NetworkPlace.objects.all(), code_field="area_code")


def places_version(tile: TileRequest) -> int:
    """The version a cached tile is keyed by: that of the gap analysis's runs."""
    return gaps.places_version()


PLACES = TileLayer(
    name="places",
    queryset=places_for,
    geometry="point_3857",
    attributes={"k": "kind", "r": "road", "w": "water", "h": Coalesce("households", 0)},
    filterset=NetworkPlaceFilterSet,
    feature_min_zoom=8,
    buffer=16,
    cluster_counts={"n_road": NO_HARDENED_ROAD, "n_water": NO_WATER, "n_site": Q(kind="site")},
    version=places_version,
)
