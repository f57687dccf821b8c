"""Map pages and map layers. Every layer reads through registry.selectors (area scoping)."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.cache import caches
from django.db.models import Case, Count, F, Q, Sum, When
from django.db.models.functions import Coalesce, Substr
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    JsonResponse,
)
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from gis import tiles
from gis.geojson import feature_collection, geojson_response, with_geojson
from gis.network_views import NETWORK_INDICATORS, network_indicators, network_map_config
from gis.tiles.projects import STAGE_GROUPS, stage_group
from registry import selectors
from registry.choices import (
    AreaLevel,
    AssetClass,
    AssetStatus,
    AssetSubtype,
    NeedCategory,
    ProjectCategory,
    ProjectStatus,
)
from registry.filtersets import AdminAreaFilterSet
from registry.models import AdminArea, ConstructionNeed
from registry.scoping import scope_prefix
from registry.views.base import bad_filters

INDICATORS = {
    "value": gettext_lazy("Asset value (10,000 yuan)"),
    "confirmed_rate": gettext_lazy("Share of assets with confirmed owners (%)"),
    "maintained_rate": gettext_lazy("Share of public assets with a maintainer (%)"),
    "overdue": gettext_lazy("Overdue inspections"),
    **NETWORK_INDICATORS,  # the network gaps (gis.network_views.network_indicators)
}


class MapView(TemplateView):
    """The county map: boundaries, villages and rivers of the user's area."""

    template_name = "gis/map.html"
    # Overlays that ``?layers=`` may switch on when the page opens (off otherwise).
    OPTIONAL_LAYERS = ("projects", "needs", "network", "sites", "groups")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        top = selectors.area_top(user=self.request.user)
        context["top_area"] = top
        tile_layers = {
            name: {
                "url": reverse("gis:tile", args=[name, 0, 0, 0]).replace("0/0/0", "{z}/{x}/{y}"),
                "featureMinZoom": layer.feature_min_zoom,
            }
            for name, layer in tiles.LAYERS.items()
        }
        context["map_config"] = {
            "topCode": top.code if top else None,
            "layers": {
                "areas": reverse("gis:areas_geojson"),
                "waterways": reverse("gis:waterways_geojson"),
                "assetPopup": reverse("gis:asset_popup", args=[0]).replace("0.json", "{id}.json"),
                "assetSearch": reverse("gis:asset_search"),
                "townships": reverse("gis:township_indicators"),
                "projectPopup": reverse("gis:project_popup", args=[0]).replace(
                    "0.json", "{id}.json"
                ),
                "needs": reverse("gis:needs_geojson"),
            },
            "tileLayers": tile_layers,
            # The project and need layers are off unless the address asks for them (the
            # library's "on the map" link): the asset register is what the map opens on.
            "initialLayers": [
                name
                for name in self.request.GET.get("layers", "").split(",")
                if name in self.OPTIONAL_LAYERS
            ],
            "projectStages": [
                {"key": key, "label": str(label), "statuses": list(statuses)}
                for key, (label, statuses) in STAGE_GROUPS.items()
            ],
            "basemap": settings.BASEMAP_URL or None,
            "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
            "choices": {
                "asset_class": AssetClass.choices,
                "status": AssetStatus.choices,
                "subtype": AssetSubtype.choices,
                "indicator": [(k, str(v)) for k, v in INDICATORS.items()],
                "project_status": ProjectStatus.choices,
                "project_category": ProjectCategory.choices,
                "project_year": [
                    (year, str(year))
                    for year in selectors.project_scope(user=self.request.user)
                    .order_by("-year")
                    .values_list("year", flat=True)
                    .distinct()
                ],
                "need_category": NeedCategory.choices,
            },
            "labels": {
                "county": _("County outline"),
                "townships": _("Townships"),
                "villages": _("Villages"),
                "villagers": _("Village (villagers' committee)"),
                "residents": _("Community (residents' committee)"),
                "waterways": _("Rivers"),
                "assets": _("Assets"),
                "choropleth": _("Township indicator"),
                "code": _("Code"),
                "kind": _("Kind"),
                "details": _("Open record"),
                "synthetic": _("Illustrative data, not an official boundary"),
                "loaded": _("Map loaded"),
                "failed": _("The map layers could not be loaded. Reload the page to try again."),
                "legend": _("Legend"),
                "filters": _("Filters"),
                "allClasses": _("All classes"),
                "allStatuses": _("All statuses"),
                "allSubtypes": _("All sub-types"),
                "overdue": _("Inspection overdue only"),
                "search": _("Search code or name"),
                "noResults": _("Nothing found."),
                "owner": _("Owner"),
                "maintainer": _("Maintainer"),
                "status": _("Status"),
                "cluster": _("%(n)s assets here; zoom in to see them."),
                "locate": _("Show my position"),
                "exportPng": _("Save the view as PNG"),
                "noIndicator": _("No indicator"),
                "assetsInAll": _("%(n)s assets in all"),
                "zoomIn": _("Zoom in"),
                "villageOutlines": _("Village outline (illustrative)"),
                "indicatorHint": _(
                    "While an indicator is shown, a click on a township tells its value; the "
                    "assets are dimmed and cannot be clicked. Choose “No indicator” to click "
                    "assets again."
                ),
                "projects": _("Projects"),
                "needs": _("Village construction needs"),
                "projectFilters": _("Project filters"),
                "allStages": _("All stages"),
                "stageGroups": _("Stage groups"),
                "stages": _("Stages"),
                "allYears": _("All library years"),
                "allCategories": _("All project categories"),
                "stage": _("Stage"),
                "libraryYear": _("Library year"),
                "leadArea": _("Led from"),
                "planned": _("Planned investment"),
                "tenThousandYuan": _("%(amount)s (10,000 yuan)"),
                "openProject": _("Open project"),
                "projectCluster": _("%(n)s projects here; zoom in to see them."),
                "village": _("Village"),
                "years": _("Years"),
                "mergedInto": _("Merged into project"),
                "operating": AssetClass.OPERATING.label,
                "public": AssetClass.PUBLIC.label,
                "household": AssetClass.HOUSEHOLD.label,
            },
        }
        context["map_config"].update(network_map_config())
        return context


@require_GET
def area_features(request: HttpRequest) -> HttpResponseBase:
    """Areas as GeoJSON, filtered like the area list (``level``, ``q``): each area's boundary or,
    without one, its point; villages as their points (the map's labelled village layer) unless
    ``shape=outline`` asks for their outlines."""
    filterset = AdminAreaFilterSet(request.GET, queryset=selectors.area_list(user=request.user))
    if not filterset.is_valid():
        return bad_filters(filterset)
    geometry: GeometryField[Any, Any] = GeometryField(srid=4490)
    shape: Any = Coalesce("boundary", "point", output_field=geometry)
    if request.GET.get("shape") != "outline":
        shape = Case(
            When(level=AreaLevel.VILLAGE, then=F("point")), default=shape, output_field=geometry
        )
    qs = with_geojson(
        filterset.qs.annotate(shape=shape),
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


TILE_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


@require_GET
def tile(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponseBase:
    """One vector tile of a declared layer (gis.tiles.LAYERS), in the user's scope, filtered by
    the layer's FilterSet; cached by the layer's data version and revalidated by ETag."""
    spec = tiles.LAYERS.get(layer)
    request_tile = tiles.TileRequest(z, x, y)
    prefix = scope_prefix(request.user)
    if spec is None or not request_tile.valid() or prefix is None:
        raise Http404
    # Validate the filters alone first: cluster tiles answered from the cells never need the
    # (annotated) queryset, whose construction costs more than their SQL. An unfiltered map
    # (most tiles) skips the FilterSet altogether: building one deep-copies every filter, which
    # costs more than summing a cluster tile.
    filterset: Any = None
    params: dict[str, Any] = {}
    if spec.filterset is not None and any(
        request.GET.get(name) for name in spec.filterset.base_filters
    ):
        filterset = spec.filterset(request.GET, queryset=spec.queryset(request.user, {}).none())
        if not filterset.is_valid():
            return bad_filters(filterset)
        params = {k: v for k, v in filterset.form.cleaned_data.items() if v not in (None, "")}

    def render() -> bytes:
        return tiles.render(
            spec, request_tile, user=request.user, prefix=prefix, filters=params,
            filterset=filterset,
        )  # fmt: skip

    if spec.version is None:  # a layer without a data version is rendered every time
        response: HttpResponseBase = HttpResponse(render(), content_type=TILE_CONTENT_TYPE)
        response["Cache-Control"] = "private, no-store"
        return response
    signature = json.dumps([layer, prefix, z, x, y, sorted((k, str(v)) for k, v in params.items())])
    version = spec.version(request_tile)
    key = (
        "tile:" + hashlib.sha1(f"{version}:{signature}".encode(), usedforsecurity=False).hexdigest()
    )
    etag = f'"{key[5:25]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        data = caches["tiles"].get(key)
        if data is None:
            data = render()
            caches["tiles"].set(key, data)
        response = HttpResponse(data, content_type=TILE_CONTENT_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def asset_popup(request: HttpRequest, pk: int) -> JsonResponse:
    """What a click on a map feature shows; 404 outside the user's area."""
    asset: Any = selectors.asset_list(user=request.user).filter(pk=pk).first()
    if asset is None:
        raise Http404
    return JsonResponse(
        {
            "code": asset.code,
            "name": asset.name,
            "class": asset.get_asset_class_display(),
            "subtype": asset.get_subtype_display(),
            "status": asset.get_status_display(),
            "area": asset.area.name,
            "owner": asset.owner_names or "",
            "maintainer": asset.maintainer_name or "",
            "overdue": asset.inspection_overdue,
            "url": reverse("registry:asset_detail", args=[asset.code]),
        }
    )


@require_GET
def asset_search(request: HttpRequest) -> JsonResponse:
    """Up to ten assets whose code starts with, or whose name contains, the query; with a point
    to fly to."""
    query = request.GET.get("q", "").strip()[:60]
    if not query:
        return JsonResponse({"results": []})
    # The plain scoped queryset: the text filter needs none of the list's annotations.
    filterset = selectors.asset_filterset(user=request.user, filters={"q": query}, annotated=False)
    rows = (
        filterset.qs.filter(geom__isnull=False)
        # CGCS2000 numbers are WGS84 numbers to well under a metre: no ST_Transform (which
        # starts PROJ in every parallel worker, 200-300 ms).
        .annotate(pt=PointOnSurface("geom"))
        .order_by("code")
        .values("id", "code", "name", "pt")[:10]
    )
    return JsonResponse(
        {
            "results": [
                {
                    "id": r["id"],
                    "code": r["code"],
                    "name": r["name"],
                    "lon": r["pt"].x,
                    "lat": r["pt"].y,
                }
                for r in rows
            ]
        }
    )


@require_GET
def township_indicators(request: HttpRequest) -> HttpResponseBase:
    """Townships of the user's area with one indicator each, for the choropleth."""
    indicator = request.GET.get("indicator", "value")
    if indicator not in INDICATORS:
        return JsonResponse({"errors": {"indicator": list(INDICATORS)}}, status=400)
    if indicator in NETWORK_INDICATORS:
        return network_indicators(request, indicator)
    stats = {
        row["township"]: row
        for row in selectors.asset_list(user=request.user)
        .annotate(township=Substr("area_code", 1, 9))
        .values("township")
        .annotate(
            total=Count("id"),
            value=Sum("original_value"),
            confirmed=Count("id", filter=Q(owner_names__isnull=False)),
            public=Count("id", filter=Q(asset_class="public")),
            maintained=Count("id", filter=Q(asset_class="public", maintainer_name__isnull=False)),
            overdue=Count("id", filter=Q(inspection_overdue=True)),
        )
        .order_by()
    }

    def measure(row: dict[str, Any] | None) -> float | None:
        if not row or not row["total"]:
            return None
        if indicator == "value":
            return round(float(row["value"] or 0) / 10000, 1)
        if indicator == "confirmed_rate":
            return round(100 * row["confirmed"] / row["total"], 1)
        if indicator == "maintained_rate":
            return round(100 * row["maintained"] / row["public"], 1) if row["public"] else None
        return float(row["overdue"])

    qs = with_geojson(
        selectors.area_list(user=request.user, level="township")
        .filter(boundary__isnull=False)
        .select_related(None),
        "boundary",
    ).only("code", "name")

    def properties(area: AdminArea) -> dict[str, Any]:
        row = stats.get(area.code[:9])
        return {
            "code": area.code,
            "name": area.name,
            "value": measure(row),
            "assets": row["total"] if row else 0,
            "url": reverse("registry:area_detail", args=[area.code]),
        }

    return geojson_response(feature_collection(qs, properties))


def project_page_url(code: str) -> str | None:
    """The address of a project's page, or None while the library pages are not installed."""
    try:
        return reverse("registry:project_detail", kwargs={"code": code})
    except NoReverseMatch:
        return None


@require_GET
def project_popup(request: HttpRequest, pk: int) -> JsonResponse:
    """What a click on a project of the map shows; 404 outside the user's area."""
    project: Any = selectors.project_list(user=request.user).filter(pk=pk).first()
    if project is None:
        raise Http404
    area = project.area
    township = area.parent if area.level == AreaLevel.VILLAGE else None
    planned = project.planned_total or 0
    return JsonResponse(
        {
            "code": project.code,
            "name": project.name,
            "status": project.get_status_display(),
            "stage": stage_group(project.status),
            "year": project.year,
            "category": project.get_category_display(),
            "area": " ".join(a.short_name for a in (township, area) if a is not None),
            # Counties plan in 万元: two decimals of 10,000 yuan.
            "planned": f"{planned / 10000:,.2f}",
            "url": project_page_url(project.code),
        }
    )


@require_GET
def need_features(request: HttpRequest) -> HttpResponseBase:
    """The villages' construction needs that have a place, as GeoJSON (a village states a few
    each: hundreds in a county), filtered like the need list."""
    filterset = selectors.need_filterset(user=request.user, filters=request.GET)
    if not filterset.is_valid():
        return bad_filters(filterset)
    qs = with_geojson(filterset.qs.filter(geom__isnull=False).order_by("id"), "geom")

    def properties(need: ConstructionNeed) -> dict[str, Any]:
        project = need.project
        return {
            "title": need.title,
            "category": need.category,
            "category_label": need.get_category_display(),
            "status": need.get_status_display(),
            "village": need.area.short_name,
            "years": f"{need.horizon_from}–{need.horizon_to}",
            "project": project.name if project else None,
            "project_url": project_page_url(project.code) if project else None,
        }

    return geojson_response(feature_collection(qs.iterator(chunk_size=500), properties))
