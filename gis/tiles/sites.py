"""The relocation sites (易地扶贫搬迁安置点): outlines from zoom 13 (the point where a site has no
outline), points further out, where an outline would be a speck; with the site's placement
(concentrated or dispersed), scale band and persons moved. Scoped like the sites' pages (the
area code of the village or community a site lies in). A county has a few dozen sites, a
province a few thousand: tiles are rendered on every request, never stale after an edit.
"""

from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from gis.functions import Dimension
from gis.tiles.engine import TileLayer
from registry import selectors

OUTLINE_ZOOM = 13


def sites_for(user: Any, filters: Any) -> QuerySet[Any]:
    """The relocation sites in the user's area."""
    return selectors.site_scope(user=user)


def sites_at_zoom(sites: QuerySet[Any], z: int) -> QuerySet[Any]:
    """The shape drawn: the outline (else the point) from OUTLINE_ZOOM, the point below."""
    if z >= OUTLINE_ZOOM:
        return sites.annotate(
            shape=Coalesce("outline_3857", "point_3857", output_field=GeometryField(srid=3857))
        )
    return sites.annotate(shape=F("point_3857"))


SITES = TileLayer(
    name="sites",
    queryset=sites_for,
    geometry="shape",
    attributes={"m": "mode", "s": "scale", "p": "persons", "d": Dimension("shape")},
    feature_min_zoom=0,
    buffer=16,
    at_zoom=sites_at_zoom,
)
