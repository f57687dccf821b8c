"""Relocation sites' business actions (易地扶贫搬迁安置点, DOMAIN.md 5): a site registered and
corrected (its place drawn inside its village's township, optimistic versions), the assets that
serve it (housing, facilities, industry) and the library projects that support it linked and
ended, its follow-up support figures of each year, and the residents' problems (急难愁盼)
raised and resolved. Nothing is deleted: a link ends, a problem is resolved.

Who acts follows registry.scoping: the editors of the area the site lies in (its village, its
township, the county); planners and auditors read.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from registry import geometry
from registry.choices import AreaLevel, AssetClass, AssetStatus, FacilityRole, ProblemStatus
from registry.errors import (
    ValidationError,
    bilingual,
    clean_bilingual,
    clean_stated,
    denied,
    field_error,
    visible,
)
from registry.models import (
    AdminArea,
    Asset,
    Project,
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteProject,
    SiteSupport,
    User,
)
from registry.scoping import visible_to
from registry.services._common import bump_version, require_edit, require_past, service
from registry.services.assets import validate_place
from registry.signals import notify_places_changed

# What a person states about a site (code, totals, scale, scope keys and version are the
# service's or the database's).
SITE_FIELDS = [
    "name", "site_type", "community", "point", "outline", "registered_households",
    "registered_persons", "alongside_households", "alongside_persons", "housing_units",
    "floor_area_m2", "built_from", "built_to", "moved_in_on", "reclamation", "note",
]  # fmt: skip
SUPPORT_FIELDS = [
    "labour_force", "employed", "per_capita_income", "welfare_posts", "workshops",
    "monitored_households", "note",
]  # fmt: skip
FIRST_YEAR = 2001  # 易地扶贫搬迁 began as a national programme in 2001
# How far (degrees, about 50 m) a site's point may lie outside its own outline: a point set
# at the entrance gate is still the site's.
POINT_TOLERANCE = 0.0005


# --- codes ----------------------------------------------------------------------------------

# Set while an import is previewed (rolled back at its end): the codes it shows are provisional
# and take no lock, which would otherwise stop every registration of the county for the check.
_PROVISIONAL: ContextVar[bool] = ContextVar("provisional_site_codes", default=False)


@contextmanager
def provisional_codes() -> Iterator[None]:
    """Codes handed out inside are provisional (for a preview that writes nothing)."""
    token = _PROVISIONAL.set(True)
    try:
        yield
    finally:
        _PROVISIONAL.reset(token)


def site_code(county_code: str) -> str:
    """The county's next site code, ``<county>AZ<4-digit serial>``, never reused. The county's
    prefix is locked until the transaction ends (not for a preview's provisional codes), so
    concurrent registrations queue up."""
    prefix = f"{county_code}AZ"
    if not _PROVISIONAL.get():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["site:" + prefix])
    last = (
        RelocationSite.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    serial = int(last[-4:]) + 1 if last else 1
    if serial > 9999:
        raise ValidationError(bilingual(gettext_noop("No site codes are left for this county.")))
    return f"{prefix}{serial:04d}"


# --- what a person states ---------------------------------------------------------------------


def _year(field: str, year: int | None, *, last: int | None = None) -> None:
    last = last if last is not None else timezone.localdate().year
    if year is not None and not FIRST_YEAR <= year <= last:
        raise field_error(
            field,
            gettext_noop("Choose a year from %(first)s to %(last)s."),
            first=FIRST_YEAR,
            last=last,
        )


def _site_values(values: dict[str, Any]) -> dict[str, Any]:
    """The particulars of ``values`` a person may set, checked against their columns and the
    rules that need no database (the place is checked against the area separately)."""
    stated = clean_stated(RelocationSite, {k: v for k, v in values.items() if k in SITE_FIELDS})
    if "name" in stated and not visible(stated["name"] or ""):
        raise field_error("name", gettext_noop("Name the site."))
    for part in ("registered", "alongside"):
        households, persons = f"{part}_households", f"{part}_persons"
        if (stated.get(households) or 0) > (stated.get(persons) or 0):
            raise field_error(
                persons, gettext_noop("A household moved is at least one person: check the counts.")
            )
    this_year = timezone.localdate().year
    _year("built_from", stated.get("built_from"), last=this_year + 5)
    _year("built_to", stated.get("built_to"), last=this_year + 5)
    first, last = stated.get("built_from"), stated.get("built_to")
    if first and last and last < first:
        raise field_error(
            "built_to", gettext_noop("The last build year cannot be before the first.")
        )
    moved_in = stated.get("moved_in_on")
    if moved_in is not None:
        require_past("moved_in_on", moved_in)
        _year("moved_in_on", moved_in.year)
        if first and moved_in.year < first:
            raise field_error(
                "moved_in_on",
                gettext_noop("People cannot move in before the site was built (from %(year)s)."),
                year=first,
            )
    return stated


def _polygons(geom: GEOSGeometry | None) -> MultiPolygon | None:
    if geom is None:
        return None
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    if not isinstance(geom, MultiPolygon):
        raise field_error("outline", gettext_noop("Draw the site's outline as an area (polygon)."))
    return geom


def _checked(field: str, geom: GEOSGeometry, area: AdminArea) -> None:
    """``geom`` can be drawn and exported and lies in the area's township (within the
    tolerance of the approximate boundaries), named on ``field``."""
    try:
        geometry.check_geos(geom)
    except geometry.GeometryRefused as exc:
        raise field_error(field, exc.message, **exc.params) from exc
    try:
        validate_place(geom, area)
    except ValidationError as exc:
        raise ValidationError({field: exc.message_dict.get("geom", exc.messages)}) from exc


def _place(
    point: GEOSGeometry | None, outline: GEOSGeometry | None, area: AdminArea
) -> tuple[Point, MultiPolygon | None]:
    """The site's point and outline: a point is required, or taken inside the outline when
    only the outline is drawn; both lie in the area's township, the point on the outline."""
    polygons = _polygons(outline)
    if polygons is not None:
        _checked("outline", polygons, area)
    if point is None:
        if polygons is None:
            raise field_error("point", gettext_noop("Mark the site's position on the map."))
        point = polygons.point_on_surface
        point.srid = 4490
    if not isinstance(point, Point):
        raise field_error("point", gettext_noop("The position is one point."))
    _checked("point", point, area)
    # In its own village where the village's outline is known (the township's is checked
    # above): a site listed under 向东村 must not stand in 玉合村.
    if area.boundary is not None and area.boundary.distance(point) > POINT_TOLERANCE:
        raise field_error(
            "point",
            gettext_noop("The position %(lon).6f, %(lat).6f lies outside %(area)s."),
            lon=point.x,
            lat=point.y,
            area=area.short_name,
        )
    # A distance, not a buffer: buffering an outline of thousands of parts took minutes of
    # GEOS time that no time limit can interrupt.
    if polygons is not None and polygons.distance(point) > POINT_TOLERANCE:
        raise field_error(
            "point",
            gettext_noop("The position %(lon).6f, %(lat).6f lies outside the site's outline."),
            lon=point.x,
            lat=point.y,
        )
    return point, polygons


def _area(actor: User, area: Any) -> AdminArea:
    """The village or community a site lies in: one the actor may edit."""
    if not isinstance(area, AdminArea) or area.level != AreaLevel.VILLAGE:
        raise field_error("area", gettext_noop("A site lies in a village or community."))
    if not visible_to(actor, AdminArea.objects.filter(pk=area.pk)).exists():
        raise field_error("area", gettext_noop("Choose a location inside your own area."))
    require_edit(actor, area.code)
    return area


def _community(actor: User, area: AdminArea, community: Any) -> None:
    """The residents' committee the site became: a village-level area of the same county that
    the actor may see (else a site in a village would name an area its clerk may not see)."""
    if community is None:
        return
    if (
        not isinstance(community, AdminArea)
        or community.level != AreaLevel.VILLAGE
        or community.county_code != area.county_code
        or not visible_to(actor, AdminArea.objects.filter(pk=community.pk)).exists()
    ):
        raise field_error(
            "community", gettext_noop("Choose the community (居委会) of the site's county.")
        )


# --- the site -----------------------------------------------------------------------------------


@service
def site_create(*, actor: User, area: AdminArea, values: dict[str, Any]) -> RelocationSite:
    """Register a relocation site in a village or community of the actor's area: its code is
    allocated now (``<county>AZ<serial>``) and never reused. The network gaps near it are
    recomputed in the same transaction."""
    area = _area(actor, area)
    stated = _site_values(values)
    for required in ("name", "site_type"):
        if not stated.get(required):
            raise field_error(required, gettext_noop("This field is required."))
    _community(actor, area, stated.get("community"))
    stated["point"], stated["outline"] = _place(stated.get("point"), stated.get("outline"), area)
    site = RelocationSite(
        **stated,
        code=site_code(area.county_code),
        area=area,
        area_code=area.code,
        county_code=area.county_code,
    )
    clean_bilingual(site, exclude=["code"])
    site.save()
    notify_places_changed([site.point, site.outline], [site.area_code])
    return site


def _lock(site: RelocationSite) -> RelocationSite:
    return RelocationSite.objects.select_for_update().select_related("area").get(pk=site.pk)


@service
def site_update(
    *,
    actor: User,
    site: RelocationSite,
    expected_version: int,
    values: dict[str, Any],
    area: AdminArea | None = None,
) -> RelocationSite:
    """Correct a site's particulars or move it (``area``: another village of the actor's area).
    Refused with ConflictError if someone saved it since ``expected_version`` was read. A move
    recomputes the network gaps of the old place and the new one."""
    current = _lock(site)
    require_edit(actor, current.area_code)
    target = current.area if area is None or area.pk == current.area_id else _area(actor, area)
    stated = _site_values(values)
    merged = {name: getattr(current, name) for name in SITE_FIELDS} | stated
    if not visible(merged["name"] or ""):
        raise field_error("name", gettext_noop("Name the site."))
    _site_values(merged)  # the pairs of counts and years as they will stand together
    _community(actor, target, merged.get("community"))
    # A point left out of the form is taken again from the outline when that changed.
    point = stated.get("point", current.point)
    if "outline" in stated and "point" not in stated:
        point = None if stated["outline"] is not None else current.point
    merged["point"], merged["outline"] = _place(point, merged.get("outline"), target)
    old_geoms = [current.point, current.outline]
    for name, value in merged.items():
        setattr(current, name, value)
    current.area, current.area_code, current.county_code = (
        target,
        target.code,
        target.county_code,
    )
    clean_bilingual(current, exclude=["code"])
    bump_version(
        RelocationSite,
        current.pk,
        expected_version,
        **merged,
        area=target,
        area_code=target.code,
        county_code=target.county_code,
        updated_at=timezone.now(),
    )
    moved = (
        old_geoms[0] != merged["point"]
        or old_geoms[1] != merged["outline"]
        or target.code != site.area_code
    )
    if moved:
        notify_places_changed(
            [*old_geoms, merged["point"], merged["outline"]], {site.area_code, target.code}
        )
    current.refresh_from_db()
    return current


# --- facilities and projects ------------------------------------------------------------------


def _site_for_edit(actor: User, site: RelocationSite) -> RelocationSite:
    current = _lock(site)
    require_edit(actor, current.area_code)
    return current


# The class an asset must have to serve a site in a role (DOMAIN.md 2 and 5.3): relocation
# housing is a household asset (易地搬迁安置住房, 到户类), the site's facilities are public-welfare
# assets (安置点附属设施, 公益性) and its workshops and industry operating assets (经营性).
ROLE_CLASS = {
    FacilityRole.HOUSING: AssetClass.HOUSEHOLD,
    FacilityRole.FACILITY: AssetClass.PUBLIC,
    FacilityRole.INDUSTRY: AssetClass.OPERATING,
}
ROLE_CLASS_MESSAGES = {
    FacilityRole.HOUSING: gettext_noop(
        "Resettlement housing is a household asset (到户类): this asset is of another class."
    ),
    FacilityRole.FACILITY: gettext_noop(
        "A supporting facility is a public-welfare asset (公益性): this asset is of another class."
    ),
    FacilityRole.INDUSTRY: gettext_noop(
        "Industry and employment are operating assets (经营性): this asset is of another class."
    ),
}


@service
def facility_link(*, actor: User, site: RelocationSite, asset: Asset, role: str) -> SiteFacility:
    """Link an asset the actor may see to the site with its role: resettlement housing
    (到户类), a supporting facility (公益性) or industry and employment (经营性)."""
    current = _site_for_edit(actor, site)
    if role not in FacilityRole.values:
        raise field_error("role", gettext_noop("Choose the asset's role at the site."))
    pk: int = getattr(asset, "pk", None) or 0  # not an asset: found nowhere
    found = (
        visible_to(actor, Asset.objects.filter(pk=pk), code_field="area_code")
        .only("pk", "status", "asset_class")
        .first()
    )
    if found is None:
        raise field_error("asset", gettext_noop("Choose an asset inside your area."))
    if found.asset_class != ROLE_CLASS[FacilityRole(role)]:
        raise field_error("role", ROLE_CLASS_MESSAGES[FacilityRole(role)])
    if found.status == AssetStatus.DISPOSED:
        raise field_error("asset", gettext_noop("A disposed asset cannot serve a site."))
    if SiteFacility.objects.filter(site=current, asset=found, active=True).exists():
        raise field_error("asset", gettext_noop("This asset is linked to the site already."))
    link = SiteFacility(site=current, asset=found, role=role)
    clean_bilingual(link)
    link.save()
    return link


@service
def facility_end(*, actor: User, facility: SiteFacility) -> SiteFacility:
    """End an asset's link to the site (it no longer serves it); the link stays in the record."""
    _site_for_edit(actor, facility.site)
    current = SiteFacility.objects.select_for_update().get(pk=facility.pk)
    # Only a link the actor may see the asset of (the page shows no other): the same rule
    # as linking it.
    if not visible_to(
        actor, Asset.objects.filter(pk=current.asset_id), code_field="area_code"
    ).exists():
        raise denied()
    if not current.active:
        raise ValidationError(bilingual(gettext_noop("This link has ended already.")))
    current.active = False
    current.save(update_fields=["active"])
    return current


@service
def site_project_link(*, actor: User, site: RelocationSite, project: Project) -> SiteProject:
    """Name a project of the library that supports the site (后扶项目), one the actor sees."""
    from registry.selectors.projects import project_scope  # selectors import the services' models

    current = _site_for_edit(actor, site)
    pk: int = getattr(project, "pk", None) or 0  # not a project: found nowhere
    if not project_scope(user=actor).filter(pk=pk).exists():
        raise field_error("project", gettext_noop("Choose a project of your area's library."))
    if SiteProject.objects.filter(site=current, project_id=pk, active=True).exists():
        raise field_error("project", gettext_noop("This project is linked to the site already."))
    link = SiteProject(site=current, project_id=pk)
    clean_bilingual(link)
    link.save()
    return link


@service
def site_project_end(*, actor: User, link: SiteProject) -> SiteProject:
    """The project no longer counts as support of the site; the link stays in the record."""
    from registry.selectors.projects import project_scope  # selectors import the services' models

    _site_for_edit(actor, link.site)
    current = SiteProject.objects.select_for_update().get(pk=link.pk)
    if not project_scope(user=actor).filter(pk=current.project_id).exists():
        raise denied()
    if not current.active:
        raise ValidationError(bilingual(gettext_noop("This link has ended already.")))
    current.active = False
    current.save(update_fields=["active"])
    return current


# --- follow-up support ----------------------------------------------------------------------


@service
def support_set(
    *, actor: User, site: RelocationSite, year: int, values: dict[str, Any]
) -> SiteSupport:
    """The site's follow-up support figures of one year (后续扶持): one row per site and
    year, entered or corrected. The employed are part of the labour force; households under
    monitoring are among the site's households."""
    current = _site_for_edit(actor, site)
    year = clean_stated(SiteSupport, {"year": year})["year"]
    _year("year", year)
    stated = clean_stated(SiteSupport, {k: v for k, v in values.items() if k in SUPPORT_FIELDS})
    row = SiteSupport.objects.filter(site=current, year=year).first() or SiteSupport(
        site=current, year=year
    )
    for name, value in stated.items():
        setattr(row, name, value)
    if row.employed > row.labour_force:
        raise field_error(
            "employed", gettext_noop("More persons employed than able to work: check the counts.")
        )
    if row.labour_force > current.persons:
        raise field_error(
            "labour_force",
            gettext_noop("Cannot exceed the %(n)s persons the site moved."),
            n=current.persons,
        )
    if row.monitored_households > current.households:
        raise field_error(
            "monitored_households",
            gettext_noop("Cannot exceed the %(n)s households the site moved."),
            n=current.households,
        )
    clean_bilingual(row)
    row.save()
    return row


# --- residents' problems (急难愁盼) ----------------------------------------------------------


def _date(field: str, value: datetime.date | None) -> None:
    require_past(field, value)
    if value is not None and value.year < FIRST_YEAR:
        raise field_error(field, gettext_noop("Choose a date from %(first)s on."), first=FIRST_YEAR)


@service
def problem_add(
    *,
    actor: User,
    site: RelocationSite,
    category: str,
    description: str,
    raised_on: datetime.date,
) -> SiteProblem:
    """Record a residents' urgent problem at the site, open until it is resolved."""
    current = _site_for_edit(actor, site)
    stated = clean_stated(
        SiteProblem,
        {"category": category, "description": (description or "").strip(), "raised_on": raised_on},
    )
    if not visible(stated["description"]):
        raise field_error("description", gettext_noop("Describe the problem."))
    _date("raised_on", stated["raised_on"])
    problem = SiteProblem(site=current, recorded_by=actor, **stated)
    clean_bilingual(problem)
    problem.save()
    return problem


@service
def problem_resolve(
    *, actor: User, problem: SiteProblem, resolved_on: datetime.date, resolution: str
) -> SiteProblem:
    """Record how and when an open problem was resolved."""
    _site_for_edit(actor, problem.site)
    current = SiteProblem.objects.select_for_update().get(pk=problem.pk)
    if current.status != ProblemStatus.OPEN:
        raise ValidationError(bilingual(gettext_noop("This problem is resolved already.")))
    stated = clean_stated(
        SiteProblem, {"resolved_on": resolved_on, "resolution": (resolution or "").strip()}
    )
    if not visible(stated["resolution"]):
        raise field_error("resolution", gettext_noop("Say how it was resolved."))
    _date("resolved_on", stated["resolved_on"])
    if stated["resolved_on"] is None:
        raise field_error("resolved_on", gettext_noop("Give the date it was resolved."))
    if stated["resolved_on"] < current.raised_on:
        raise field_error(
            "resolved_on", gettext_noop("It cannot be resolved before it was raised.")
        )
    current.status = ProblemStatus.RESOLVED
    current.resolved_on = stated["resolved_on"]
    current.resolution = stated["resolution"]
    clean_bilingual(current)
    current.save(update_fields=["status", "resolved_on", "resolution", "updated_at"])
    return current


def site_can_edit(user: Any, site: RelocationSite) -> bool:
    """May ``user`` change the site and its records? (The rule of every service above.)"""
    from registry.scoping import can_edit

    return can_edit(user, site.area_code)
