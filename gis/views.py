"""Map pages and map layers. Every layer reads through registry.selectors (area scoping)."""

from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from gis.geojson import feature_collection, geojson_response, with_geojson
from registry import selectors
from registry.filtersets import AdminAreaFilterSet
from registry.models import AdminArea


class MapView(TemplateView):
    """The county map: boundaries, villages and rivers of the user's area."""

    template_name = "gis/map.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        top = selectors.area_top(user=self.request.user)
        context["top_area"] = top
        context["map_config"] = {
            "topCode": top.code if top else None,
            "layers": {
                "areas": reverse("gis:areas_geojson"),
                "waterways": reverse("gis:waterways_geojson"),
            },
            "basemap": settings.BASEMAP_URL or None,
            "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
            "labels": {
                "county": _("County outline"),
                "townships": _("Townships"),
                "villages": _("Villages"),
                "villagers": _("Village (villagers' committee)"),
                "residents": _("Community (residents' committee)"),
                "waterways": _("Rivers"),
                "code": _("Code"),
                "kind": _("Kind"),
                "details": _("Open record"),
                "synthetic": _("Illustrative data, not an official boundary"),
                "loaded": _("Map loaded"),
                "failed": _("The map layers could not be loaded. Reload the page to try again."),
                "legend": _("Legend"),
            },
        }
        return context


@require_GET
def area_features(request: HttpRequest) -> HttpResponseBase:
    """Areas as GeoJSON, filtered like the area list (``level``, ``q``); boundary or point."""
    filterset = AdminAreaFilterSet(request.GET, queryset=selectors.area_list(user=request.user))
    if not filterset.is_valid():
        return HttpResponse(filterset.errors.as_json(), status=400, content_type="application/json")
    qs = with_geojson(
        filterset.qs.annotate(
            shape=Coalesce("boundary", "point", output_field=GeometryField(srid=4490))
        ),
        "shape",
    ).only("code", "name", "level", "kind", "synthetic", "parent__code")

    def properties(area: AdminArea) -> dict[str, Any]:
        return {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "kind": area.get_kind_display(),
            "synthetic": area.synthetic,
            "parent": area.parent.code if area.parent else None,
            "url": reverse("registry:area_detail", args=[area.code]),
        }

    return geojson_response(feature_collection(qs.iterator(chunk_size=500), properties))


@require_GET
def waterway_features(request: HttpRequest) -> HttpResponseBase:
    """Rivers for orientation, as GeoJSON."""
    qs = with_geojson(selectors.waterway_list(user=request.user), "geom")
    return geojson_response(feature_collection(qs, lambda w: {"name": w.name, "source": w.source}))
