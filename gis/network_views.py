"""The network pages and map layers' popups: the gaps view (网络缺口: the groups and sites
without a hardened road to their township seat or without piped water, as a table beside a map,
with each township's network lengths, maintainers and when its gaps were computed), and what a
click on a link, a place or a relocation site of the map shows. Everything within the user's
area (gis.gaps, registry.scoping)."""

from typing import Any

from django.contrib.gis.db.models.functions import Transform
from django.core.paginator import Paginator
from django.db.models import FloatField, Func
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from gis import gaps
from gis.filtersets import GAP_ANY, GAP_CHOICES, ORDERS
from gis.geojson import feature_collection, geojson_response, with_geojson
from gis.models import NetworkPlace, NetworkRun
from registry import selectors
from registry.choices import Network, NetworkType, PlaceKind, RoadReach, SiteScale
from registry.models import AdminArea
from registry.models.areas import short_name
from registry.scoping import scope_prefix

# --- shared bits ----------------------------------------------------------------------------


def site_page_url(code: str) -> str | None:
    """The address of a relocation site's page, or None while the site pages are not
    installed (their URL name has been spelt both ways)."""
    for name in ("registry:site_detail", "registry:site-detail"):
        try:
            return reverse(name, kwargs={"code": code})
        except NoReverseMatch:
            continue
    return None


def km(metres: float | None, digits: int = 2) -> str | None:
    """Metres as kilometres for a reader ("1.25"), None when there is no distance."""
    if metres is None:
        return None
    # Rounded first: number_format cuts the digits off (0.79999 would read 0.79).
    return formats.number_format(round(metres / 1000, digits), digits, use_l10n=True)


def local_time(value: Any) -> str:
    """A time as the county's clock shows it, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _label(choices: Any, value: str) -> str:
    """A stored code as its reader's words (an unknown code stays as stored)."""
    return str(choices(value).label) if value in choices.values else value


def road_label(value: str) -> str:
    return str(RoadReach(value).label) if value in RoadReach.values else value


def water_label(water: bool) -> str:
    return _("Has piped water") if water else _("No piped water")


def network_map_config() -> dict[str, Any]:
    """What the map page's network layers (gis/static/gis/map-network.js) need: the popups'
    addresses, the networks' and types' labels, and their legend's words."""
    return {
        "network": {
            "linkPopup": reverse("gis:network_link_popup", args=[0]).replace("0.json", "{id}.json"),
            "placePopup": reverse("gis:network_place_popup", args=[0]).replace(
                "0.json", "{id}.json"
            ),
            "sitePopup": reverse("gis:site_popup", args=[0]).replace("0.json", "{id}.json"),
            "gapsUrl": reverse("gis:network_gaps"),
            "networks": Network.choices,
            "types": NetworkType.choices,
            "labels": network_labels(),
        }
    }


def network_labels() -> dict[str, str]:
    """The words of the network layers, their legends and popups (in the page's language)."""
    return {
        "network": _("Infrastructure networks"),
        "groups": _("Village groups"),
        "sites": _("Relocation sites"),
        "hardened": _("hardened"),
        "unhardened": _("unhardened"),
        "hardenedSolid": _("Solid: hardened road; dashed: unhardened"),
        "countyRoad": _("County road (thicker)"),
        "waterSource": _("Water source or works"),
        "roadGap": _("No hardened road"),
        "waterGap": _("No piped water"),
        "bothGaps": _("Neither hardened road nor piped water"),
        "served": _("Hardened road and piped water"),
        "notGap": _("Not a gap of this kind"),
        "site": _("Relocation site"),
        "group": _("Village group"),
        "type": _("Type"),
        "surface": _("Surface"),
        "grade": _("Road grade"),
        "length": _("Length"),
        "kmUnit": _("%(km)s km"),
        "maintainer": _("Maintainer"),
        "noMaintainer": _("No maintainer assigned"),
        "openAsset": _("Open asset"),
        "openSite": _("Open site"),
        "households": _("Households"),
        "persons": _("Persons"),
        "road": _("Road to the township seat"),
        "water": _("Water"),
        "hardenKm": _("Road to harden"),
        "roadGapKm": _("Nearest hardened road"),
        "waterGapKm": _("Nearest piped water"),
        "computedAt": _("Computed at %(time)s"),
        "village": _("Village"),
        "code": _("Code"),
        "placeCluster": _("%(n)s places here; zoom in to see them."),
        "clusterRoad": _("%(n)s without a hardened road"),
        "clusterWater": _("%(n)s without piped water"),
        "zoomIn": _("Zoom in"),
        "gapsLink": _("Open the gaps view"),
        "legend": _("Legend"),
        "townships": _("Townships"),
        "networkStatus": _("Network status not computed yet"),
        "failed": _("The map layers could not be loaded. Reload the page to try again."),
    }


# --- the township choropleth's network measures ----------------------------------------------

NETWORK_INDICATORS = {
    "no_road_groups": gettext_lazy("Village groups without a hardened road"),
    "no_water_households": gettext_lazy("Households without piped water"),
}


def network_indicators(request: HttpRequest, indicator: str) -> HttpResponseBase:
    """The townships of the user's area with one network measure each (gis.views
    .township_indicators asks for it): the groups without a hardened road or the households
    without piped water; no value where no place has been computed."""
    counts = gaps.township_gap_counts(user=request.user)
    qs = with_geojson(
        selectors.area_list(user=request.user, level="township")
        .filter(boundary__isnull=False)
        .select_related(None),
        "boundary",
    ).only("code", "name")

    def properties(area: AdminArea) -> dict[str, Any]:
        row = counts.get(area.code)
        note = (
            _("%(groups)s village groups, %(households)s households in all")
            % {"groups": row["groups"], "households": row["households"]}
            if row
            else _("No village group or site computed yet")
        )
        return {
            "code": area.code,
            "name": area.name,
            "value": row[indicator] if row else None,
            "assets": 0,
            "note": note,
            "url": reverse("registry:area_detail", args=[area.code]),
        }

    return geojson_response(feature_collection(qs, properties))


# --- popups ---------------------------------------------------------------------------------


@require_GET
def link_popup(request: HttpRequest, pk: int) -> JsonResponse:
    """What a click on a road, pipe or line shows: its type, surface, length in km,
    maintainer (the duty in force) and its asset's page; 404 outside the user's area."""
    asset: Any = (
        selectors.asset_list(user=request.user)
        .filter(pk=pk, network__isnull=False)
        .select_related("network")
        .first()
    )
    if asset is None:
        raise Http404
    link = asset.network
    return JsonResponse(
        {
            "code": asset.code,
            "name": asset.name,
            "network": link.network,
            "network_label": _label(Network, link.network),
            "type": link.network_type,
            "type_label": link.get_network_type_display(),
            "grade": link.get_grade_display() if link.grade else "",
            "surface": link.get_surface_display() if link.surface else "",
            "hardened": link.hardened if link.network == Network.ROAD else None,
            "length_km": km(link.length_m, 2),
            "maintainer": asset.maintainer_name or "",
            "status": asset.get_status_display(),
            "url": reverse("registry:asset_detail", args=[asset.code]),
        }
    )


def _place_json(place: NetworkPlace) -> dict[str, Any]:
    village = AdminArea.objects.filter(code=place.area_code[:12]).values_list("name", flat=True)
    return {
        "kind": place.kind,
        "kind_label": str(PlaceKind(place.kind).label) if place.kind in PlaceKind.values else "",
        "name": place.name,
        "code": place.code,
        "village": short_name(next(iter(village), "")),
        "households": place.households,
        "persons": place.persons,
        "road": place.road,
        "road_label": road_label(place.road),
        "harden_km": km(place.harden_m),
        "road_gap_km": km(place.hardened_gap_m),
        "water": place.water,
        "water_label": water_label(place.water),
        "water_gap_km": km(place.water_gap_m),
        "computed_at": local_time(place.computed_at),
        "township": place.township_code,
        "url": site_page_url(place.code) if place.kind == PlaceKind.SITE else None,
        "lon": place.point.x,
        "lat": place.point.y,
    }


@require_GET
def place_popup(request: HttpRequest, pk: int) -> JsonResponse:
    """What a click on a village group or site of the gap map shows: its households, how a
    road and piped water reach it and how far the nearest connection is; 404 outside the
    user's area."""
    place = gaps.place_scope(user=request.user).filter(pk=pk).first()
    if place is None:
        raise Http404
    return JsonResponse(_place_json(place))


@require_GET
def site_popup(request: HttpRequest, pk: int) -> JsonResponse:
    """What a click on a relocation site shows: its name, type, persons and households moved,
    its page, and how the networks serve it when that is computed; 404 outside the area."""
    site: Any = selectors.site_scope(user=request.user).filter(pk=pk).first()
    if site is None:
        raise Http404
    place = NetworkPlace.objects.filter(kind=PlaceKind.SITE, place_id=site.pk).first()
    return JsonResponse(
        {
            "name": site.name,
            "code": site.code,
            "type_label": site.get_site_type_display(),
            "scale_label": _label(SiteScale, site.scale),
            "households": site.households,
            "persons": site.persons,
            "url": site_page_url(site.code),
            "network": _place_json(place) if place is not None else None,
        }
    )


# The networks drawn beside the places of each gap (the others would only hide them).
CONTEXT_NETWORKS = {"road": "road", "water": "water"}

# --- the gaps view --------------------------------------------------------------------------


# The township rows the summary table shows at most (its totals count every township).
SUMMARY_ROWS = 100


class GapsView(TemplateView):
    """The gaps a planner must close: the groups and sites of the chosen township (or of the
    whole area) without a hardened road to the seat or without piped water, filtered and paged,
    with the same places on a map beside the table, each township's network lengths,
    maintainers and gap counts, and when its answers were computed. A fixed number of queries
    whatever the number of places."""

    template_name = "gis/gaps.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        query = gaps.with_default_gap(self.request.GET)
        townships = gaps.gap_townships(user=user)
        chosen = query.get("township", "")
        # A township outside the user's area: its table is empty (the scope filters it) and
        # nothing of it shows, not even when it was computed.
        foreign = bool(chosen) and chosen not in {t.code for t in townships}
        if not chosen and len(townships) == 1:
            # A township's or a village's user has one township: it is theirs.
            chosen = townships[0].code
            query["township"] = chosen
        filterset = gaps.gap_filterset(user=user, filters=query)
        gap = query.get("gap", GAP_ANY)
        order = query.get("order", "code")
        if order not in ORDERS:
            order = "code"
        paginator = Paginator(NetworkPlace.objects.none(), self.paginate_by)
        if filterset.is_valid():
            # Paged by id alone: the names of the page's villages are then read for its 50
            # rows, not for every row an OFFSET skips (0.13 s at page 900 of 50,000 places).
            ordered = filterset.qs.order_by(*ORDERS[order]).values_list("pk", flat=True)
            paginator = Paginator(ordered, self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        ids = list(page.object_list)
        places = {
            place.pk: place
            for place in gaps.gap_rows(NetworkPlace.objects.filter(pk__in=ids), order).annotate(
                lon=Func("point", function="ST_X", output_field=FloatField()),
                lat=Func("point", function="ST_Y", output_field=FloatField()),
            )
        }
        shown = [t for t in townships if t.code == chosen] if chosen else townships
        summaries = gaps.township_summaries(user=user, townships=shown)
        prefix = scope_prefix(user) or ""
        maintainer_prefix = ""
        if len(prefix) > 9:
            maintainer_prefix = prefix
        elif len(shown) == 1:
            maintainer_prefix = shown[0].code[:9]
        maintainers = (
            gaps.maintainer_lengths(user=user, prefix=maintainer_prefix)
            if maintainer_prefix
            else None
        )
        run = (
            NetworkRun.objects.filter(township_code=chosen).first()
            if chosen and not foreign
            else None
        )
        plain = query.copy()
        plain.pop("page", None)
        unordered = plain.copy()
        unordered.pop("order", None)
        focus = self._focus(shown[0] if len(shown) == 1 else None)
        context.update(
            filterset=filterset,
            townships=townships,
            chosen=chosen,
            foreign=foreign,
            gap=gap,
            gap_choices=GAP_CHOICES,
            kind_choices=PlaceKind.choices,
            order=order,
            page_obj=page,
            rows=[self._row(places[pk]) for pk in ids if pk in places],
            query=plain.urlencode(),
            order_query=unordered.urlencode(),
            # A county has tens of townships; a superuser's province a thousand, whose rows
            # alone took 0.5 s to render: the table shows the first ones, the totals all.
            summaries=summaries[:SUMMARY_ROWS],
            summaries_hidden=max(0, len(summaries) - SUMMARY_ROWS),
            totals=self._totals(summaries),
            networks=Network.choices,
            maintainers=maintainers,
            run=run,
            computed_at=local_time(run.computed_at) if run else "",
            map_config={
                "tiles": {
                    name: reverse("gis:tile", args=[name, 0, 0, 0]).replace("0/0/0", "{z}/{x}/{y}")
                    for name in ("network", "places")
                },
                "placeFilters": {
                    k: v for k, v in (("township", chosen), ("kind", query.get("kind", ""))) if v
                },
                # The networks the gap asks about, for orientation: roads, pipes or both.
                "networkFilters": {"network": CONTEXT_NETWORKS.get(gap, "road,water")},
                "gap": gap,
                "areas": reverse("gis:areas_geojson"),
                # A village's user sees their village's outline, the others the townships'.
                "outlineLevel": "village" if len(prefix) > 9 else "township",
                "focus": focus,
                **network_map_config(),
            },
        )
        return context

    def _focus(self, township: AdminArea | None) -> list[float] | None:
        """The bounds [west, south, east, north] the map opens on: the chosen township, else
        the user's own area."""
        area = township
        top = selectors.area_top(user=self.request.user)
        if area is None or (top is not None and len(top.scope_prefix) > 9):
            area = top
        if area is None:
            return None
        shape = (
            AdminArea.objects.filter(pk=area.pk)
            .annotate(wgs=Transform("boundary", 4326))
            .values_list("wgs", flat=True)
            .first()
        )
        if shape is None:
            return None
        return list(shape.extent)

    @staticmethod
    def _row(place: Any) -> dict[str, Any]:
        return {
            "pk": place.pk,
            "kind": place.kind,
            "kind_label": PlaceKind(place.kind).label if place.kind in PlaceKind.values else "",
            "place_id": place.place_id,
            "name": place.name,
            "code": place.code,
            "village": short_name(place.village_name or ""),
            "township": place.township_name or "",
            "households": place.households,
            "road": place.road,
            "road_label": road_label(place.road),
            "harden_km": km(place.harden_m),
            "road_gap_km": km(place.hardened_gap_m),
            "water": place.water,
            "water_label": water_label(place.water),
            "water_gap_km": km(place.water_gap_m),
            "url": site_page_url(place.code) if place.kind == PlaceKind.SITE else None,
            "lon": place.lon,
            "lat": place.lat,
        }

    @staticmethod
    def _totals(summaries: list[gaps.TownshipSummary]) -> gaps.TownshipSummary | None:
        """The sum of several townships' rows (None for one)."""
        if len(summaries) < 2:
            return None
        total = gaps.TownshipSummary(
            code="",
            name=_("All townships"),
            computed_at=None,
            networks={n: gaps.NetworkLength() for n in Network.values},
        )
        for summary in summaries:
            for key in (
                "groups", "sites", "households", "road_groups", "road_sites", "road_households",
                "water_groups", "water_sites", "water_households",
            ):  # fmt: skip
                setattr(total, key, getattr(total, key) + getattr(summary, key))
            for network, length in summary.networks.items():
                total.networks[network].km += length.km
                total.networks[network].hardened_km += length.hardened_km
        return total
