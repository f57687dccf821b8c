"""Reads for pages, exports and map layers; all of them go through registry.scoping."""

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from pghistory.models import Events

from registry.choices import (
    ACTIVE_STATUSES,
    ApprovalLevel,
    AreaLevel,
    AssetClass,
    AssetStatus,
    DisposalStatus,
    MaintenanceKind,
    PlanStatus,
)
from registry.filtersets import AssetFilterSet
from registry.history import (
    change_label,
    command_label,
    field_label,
    field_value_label,
    related_names,
)
from registry.models import (
    AdminArea,
    Asset,
    DisposalApproval,
    DisposalRequest,
    DistributionPlan,
    MaintenanceDuty,
    MaintenanceLog,
    OwnershipRecord,
    OwnershipShare,
    Party,
    PlanReturn,
    RegistrationReturn,
    User,
    Waterway,
)
from registry.models.areas import PREFIX_DIGITS, AdminAreaQuerySet, short_name
from registry.models.assets import AssetQuerySet
from registry.models.parties import mask_phone
from registry.scoping import (
    APPROVER_ROLES,
    EDITOR_ROLES,
    scope_level,
    scope_prefix,
    visible_to,
)

AreaBranch = tuple[AdminArea, list[AdminArea]]


def area_list(
    *, user: User | AnonymousUser, level: str | None = None, groups: bool = False
) -> AdminAreaQuerySet:
    """Active areas the user may see, optionally of one level (filter further with
    registry.filtersets.AdminAreaFilterSet). Village groups (thousands in a county, places of
    the network analysis rather than of the register's lists and pickers) only with
    ``groups`` or ``level="group"``."""
    qs = AdminArea.objects.active().select_related("parent")
    if level:
        qs = qs.filter(level=level)
    elif not groups:
        qs = qs.exclude(level=AreaLevel.GROUP)
    return visible_to(user, qs)  # type: ignore[return-value]


def area_reference(*, user: User | AnonymousUser) -> list[dict[str, Any]]:
    """The townships (outlines) and villages (points) a user may place assets in, as GeoJSON
    text written by PostGIS (CGCS2000 numbers are WGS84 numbers to well under a metre): the
    drawing form's reference layer, one query, no geometry objects in Python. A township or
    village user, who draws among a few villages, gets the villages' outlines where they have
    one (a county user's 600 outlines would weigh more than the page)."""
    outline = When(level=AreaLevel.TOWNSHIP, then=AsGeoJSON("boundary", precision=6))
    whens = [outline]
    if scope_level(user) in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE):
        whens.append(When(boundary__isnull=False, then=AsGeoJSON("boundary", precision=6)))
    shape = Case(*whens, default=AsGeoJSON("point", precision=6))
    rows = (
        area_list(user=user)
        .filter(level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
        .annotate(
            shape=shape,
            lon=Func("point", function="ST_X", output_field=FloatField()),
            lat=Func("point", function="ST_Y", output_field=FloatField()),
        )
        .values("pk", "name", "level", "shape", "lon", "lat")
    )
    return [{**row, "short_name": short_name(row["name"])} for row in rows]


def area_get(*, user: User | AnonymousUser, code: str) -> AdminArea | None:
    """One area by code, or None when it does not exist *or* lies outside the user's scope."""
    return area_list(user=user, groups=True).filter(code=code).first()


def area_children(*, user: User | AnonymousUser, area: AdminArea) -> AdminAreaQuerySet:
    return (
        area_list(user=user, groups=True)
        .filter(parent=area)
        .annotate(n_children=Count("children", filter=Q(children__retired_on__isnull=True)))
    )


def area_tree(*, user: User | AnonymousUser) -> tuple[AdminArea | None, list[AreaBranch]]:
    """The user's top area and, below it, each child with its own children (two queries)."""
    root = area_top(user=user)
    if root is None:
        return None, []
    below = area_list(user=user).filter(code__startswith=root.scope_prefix).exclude(pk=root.pk)
    by_parent: dict[int | None, list[AdminArea]] = defaultdict(list)
    for area in below:
        by_parent[area.parent_id].append(area)
    return root, [(child, by_parent[child.pk]) for child in by_parent[root.pk]]


def area_top(*, user: User | AnonymousUser) -> AdminArea | None:
    """The widest area the user may see: their own, or the county for a superuser."""
    if isinstance(user, User) and user.area_id is not None:
        return user.area
    return area_list(user=user, level=AreaLevel.COUNTY).first()


def waterway_list(*, user: User | AnonymousUser) -> QuerySet[Waterway]:
    """Rivers of the county the user works in (orientation only, so not clipped to the area)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return Waterway.objects.none()
    if prefix == "":
        return Waterway.objects.all()
    return Waterway.objects.filter(county_code=prefix[:6])


# --- assets ---------------------------------------------------------------------------------------


def _current_owner_names() -> Subquery:
    """Names of the owners in the asset's latest ownership record, joined with '、'."""
    # Two levels down: the record subquery sits inside the share subquery.
    latest = OwnershipRecord.objects.filter(asset=OuterRef(OuterRef("pk"))).order_by(
        "-effective_on", "-id"
    )
    return Subquery(
        OwnershipShare.objects.filter(record=Subquery(latest.values("pk")[:1]))
        .values("record")
        .annotate(names=StringAgg("party__name", delimiter="、", order_by="-percent"))
        .values("names")[:1]
    )


def _duty_in_force(today: datetime.date) -> QuerySet[MaintenanceDuty]:
    return MaintenanceDuty.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        asset=OuterRef("pk"),
        starts_on__lte=today,
    ).order_by("-starts_on", "-id")


def asset_list(*, user: User | AnonymousUser, today: datetime.date | None = None) -> AssetQuerySet:
    """Assets the user may see, each with its current owners, maintainer, last inspection and
    whether an inspection is overdue, in one query whatever the number of rows."""
    today = today or timezone.localdate()
    duty = _duty_in_force(today)
    last_inspection = (
        MaintenanceLog.objects.filter(asset=OuterRef("pk"), kind=MaintenanceKind.INSPECTION)
        .order_by("-performed_on")
        .values("performed_on")[:1]
    )
    qs = (
        Asset.objects.with_related()
        .annotate(
            owner_names=_current_owner_names(),
            maintainer_name=Subquery(duty.values("maintainer__name")[:1]),
            duty_starts=Subquery(duty.values("starts_on")[:1]),
            inspection_interval=Subquery(duty.values("inspection_interval_days")[:1]),
            last_inspection=Subquery(last_inspection),
        )
        .annotate(
            # date + integer is a date in PostgreSQL.
            inspection_due=ExpressionWrapper(
                Coalesce("last_inspection", "duty_starts") + F("inspection_interval"),
                output_field=DateField(),
            )
        )
        .annotate(
            inspection_overdue=Case(
                When(inspection_due__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            no_maintainer=Case(
                When(maintainer_name__isnull=True, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )
    return visible_to(user, qs, code_field="area_code")  # type: ignore[return-value]


# Filters of AssetFilterSet that need asset_list's per-asset annotations.
ANNOTATED_FILTERS = frozenset({"owner", "maintainer", "overdue", "no_maintainer"})


# How long a count of the asset list is kept; any change to an asset changes the key anyway.
LIST_COUNT_SECONDS = 600


def assets_version() -> int | None:
    """The asset table's change counter (atlas_asset_version, migration 0007): every statement
    that changes an asset raises it in its own transaction, to a value never used before."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM atlas_asset_version WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else None


def asset_list_count(
    qs: QuerySet[Asset], *, user: User | AnonymousUser, filters: Mapping[str, Any]
) -> int:
    """``qs.count()`` for the asset list, ``qs`` being ``asset_list(user=user)`` narrowed by
    AssetFilterSet with the (cleaned, non-empty) ``filters``; kept in the cache under the
    user's scope, the filters and the asset table's change counter, so that paging through a
    county counts its million assets once, not on every page, and any change to an asset
    recounts. The counter is read before counting: a change committed in between can only
    make the cached count newer than its key, never older. Filters that read other tables
    (owner, maintainer, overdue: they also depend on the day) are not cached."""
    if set(filters) & ANNOTATED_FILTERS:
        return qs.count()
    version = assets_version()
    prefix = scope_prefix(user)
    if version is None or prefix is None:
        return qs.count()
    signature = json.dumps([version, prefix, sorted((k, str(v)) for k, v in filters.items())])
    key = "asset-list-count:" + hashlib.sha1(signature.encode(), usedforsecurity=False).hexdigest()
    count = cache.get(key)
    if count is None:
        count = qs.count()
        cache.set(key, count, LIST_COUNT_SECONDS)
    return int(count)


def asset_scope(*, user: User | AnonymousUser) -> AssetQuerySet:
    """Assets the user may see, without per-asset annotations: for maps and counts, where
    building those subqueries would cost more than the query itself."""
    return visible_to(user, Asset.objects.all(), code_field="area_code")  # type: ignore[return-value]


def asset_filterset(
    *, user: User | AnonymousUser, filters: Mapping[str, Any] | None, annotated: bool = True
) -> AssetFilterSet:
    """The one door to filtered assets: the asset list's FilterSet bound to ``filters`` (a
    request's GET, a job's stored filters, a command's name=value pairs) over what ``user`` may
    see, for the list page, the map's search, exports, jobs and commands. ``.qs`` is the
    result, ``.form`` the form, ``.errors`` what is wrong. ``annotated=False`` filters the
    plain scope (no owners or maintainers): for filters that do not read them."""
    base = asset_list(user=user) if annotated else asset_scope(user=user)
    return AssetFilterSet(filters, queryset=base)


def asset_get(*, user: User | AnonymousUser, code: str) -> Asset | None:
    """One asset by code, or None when it does not exist or lies outside the user's scope."""
    return asset_list(user=user).filter(code=code).first()


def party_list(*, user: User | AnonymousUser) -> QuerySet[Party]:
    """Parties a user may pick: those in their area, plus county and township bodies above it."""
    prefix = scope_prefix(user)
    if prefix is None:
        return Party.objects.none()
    qs = Party.objects.filter(active=True).select_related("area")
    if prefix == "":
        return qs
    above = [
        prefix[:6] + "000000",
        prefix[:9] + "000" if len(prefix) >= 9 else prefix[:6] + "000000",
    ]
    return qs.filter(Q(area_code__startswith=prefix) | Q(area_code__in=above))


def asset_ownership(*, asset: Asset) -> list[OwnershipRecord]:
    return list(
        asset.ownership_records.select_related("registered_by").prefetch_related(
            Prefetch("shares", queryset=OwnershipShare.objects.select_related("party"))
        )
    )


def duties_in_force(
    *, asset_ids: list[int], today: datetime.date | None = None
) -> QuerySet[MaintenanceDuty]:
    """The duty in force for each of the assets (the newest whose period covers today)."""
    today = today or timezone.localdate()
    return (
        MaintenanceDuty.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today),
            asset_id__in=asset_ids,
            starts_on__lte=today,
        )
        .order_by("asset_id", "-starts_on", "-id")
        .distinct("asset_id")
    )


PERSONAL_FIELDS = {"responsible_phone", "phone", "id_number"}


def asset_timeline(
    *,
    asset: Asset,
    mask_personal: bool = True,
    limit: int = 200,
    user: User | AnonymousUser | None = None,
) -> list[dict[str, Any]]:
    """The asset's row history merged with that of every record that refers to it (ownership,
    duties, logs, income, disposals, notices, attachments), newest first, with who did it."""
    # pghistory aggregates events of rows that point at the given objects, one type at a time:
    # the asset (its own rows and everything with a foreign key to it), then the records whose
    # children point at them (ownership shares, allocation lines, disposal approvals).
    groups: list[list[Any]] = [
        [asset],
        list(asset.ownership_records.all()),
        list(asset.distribution_plans.all()),
        list(asset.disposal_requests.all()),
    ]
    fields = ["pgh_created_at", "pgh_id", "pgh_label", "pgh_model", "pgh_obj_model", "pgh_data",
              "pgh_diff", "pgh_context"]  # fmt: skip
    events: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for group in groups:
        if not group:
            continue
        for event in (
            Events.objects.references(group).order_by("-pgh_created_at").values(*fields)[:limit]
        ):
            key = (event["pgh_model"], event["pgh_id"])
            if key not in seen:
                seen.add(key)
                events.append(event)
    events.sort(key=lambda e: (e["pgh_created_at"], e["pgh_id"]), reverse=True)
    events = events[:limit]
    user_ids = {
        e["pgh_context"].get("user")
        for e in events
        if e["pgh_context"] and e["pgh_context"].get("user")
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    hidden = {"updated_at", "version", "area_code", "county_code"}
    for event in events:
        event["model"] = apps.get_model(event["pgh_obj_model"])
        if mask_personal:  # before anything is shown of them
            data: dict[str, Any] = event["pgh_data"] or {}
            diff: dict[str, Any] = event["pgh_diff"] or {}
            for name in PERSONAL_FIELDS & set(data):
                data[name] = mask_phone(str(data[name] or ""))
            for name in PERSONAL_FIELDS & set(diff):
                diff[name] = [mask_phone(str(v or "")) for v in diff[name]]
    related = related_names(
        [
            (event["model"], name, list(change))
            for event in events
            for name, change in (event["pgh_diff"] or {}).items()
        ]
    )
    if user is not None and AdminArea in related:
        # An asset moved from an area the reader may not see: that area is not named to them,
        # as its page would not be (404).
        areas = AdminArea.objects.filter(pk__in=list(related[AdminArea]))
        shown = {area.pk for area in visible_to(user, areas).only("pk")}
        outside = gettext("(outside your area)")
        related[AdminArea] = {
            pk: name if pk in shown else outside for pk, name in related[AdminArea].items()
        }
    for event in events:
        context = event["pgh_context"] or {}
        model = event["model"]
        event["user"] = users.get(int(context["user"])) if context.get("user") else None
        event["command"] = context.get("command")
        # Who or what made the change, in words: a person by name, a program by its purpose.
        event["actor"] = (
            (event["user"].get_full_name() or event["user"].get_username())
            if event["user"]
            else command_label(event["command"])
        )
        event["kind"] = change_label(event["pgh_label"])
        event["what"] = str(model._meta.verbose_name)
        event["changes"] = [
            (
                field_label(model, name),
                field_value_label(model, name, change[0], related),
                field_value_label(model, name, change[1], related),
            )
            for name, change in (event["pgh_diff"] or {}).items()
            if name not in hidden
        ]
    # A save that changed nothing a reader sees (a status set again: version and time only).
    return [e for e in events if e["pgh_label"] != "update" or e["changes"]]


# --- areas in context: small maps and asset counts --------------------------------------------

# How far around an area its small map looks for neighbours: a share of the area's own extent,
# at least about 2 km (a village known only by its point has no extent).
SURROUNDINGS_MARGIN = 0.5
SURROUNDINGS_MIN_DEGREES = 0.02


def area_surroundings(*, user: User | AnonymousUser, area: AdminArea) -> dict[str, Any]:
    """The area and the places around it as one GeoJSON FeatureCollection for a page's small
    map, in one query (PostGIS writes the geometry; CGCS2000 numbers are WGS84 numbers to well
    under a metre). Each feature's ``role``: ``focus`` (the area), ``parent`` (its township or
    county, drawn as the frame), ``neighbour`` (the areas of the same parent near it) and
    ``child`` (the areas directly below it); ``name``, ``code``, ``url`` and a label point
    (``lon``, ``lat``). Neighbours and children are limited to the user's scope; the parent is
    drawn whatever the scope, as the area pages already name it."""
    geom = area.boundary or area.point
    if geom is None:
        return {"type": "FeatureCollection", "features": []}
    xmin, ymin, xmax, ymax = geom.extent
    margin = max(SURROUNDINGS_MIN_DEGREES, SURROUNDINGS_MARGIN * max(xmax - xmin, ymax - ymin))
    window = Polygon.from_bbox((xmin - margin, ymin - margin, xmax + margin, ymax + margin))
    window.srid = geom.srid
    near = Q(boundary__bboverlaps=window) | Q(boundary__isnull=True, point__bboverlaps=window)
    around = visible_to(user, AdminArea.objects.active()).filter(
        Q(parent_id=area.pk) | (Q(parent_id=area.parent_id) & near & ~Q(pk=area.pk))
    )
    own = AdminArea.objects.filter(pk__in=[pk for pk in (area.pk, area.parent_id) if pk])
    rows = (
        (around | own)
        .annotate(
            shape=AsGeoJSON(
                Coalesce("boundary", "point", output_field=GeometryField(srid=4490)), precision=6
            ),
            lon=Func("point", function="ST_X", output_field=FloatField()),
            lat=Func("point", function="ST_Y", output_field=FloatField()),
        )
        .order_by("code")
        .values("pk", "code", "name", "level", "parent_id", "shape", "lon", "lat")
    )
    features = []
    for row in rows:
        if row["shape"] is None:
            continue
        if row["pk"] == area.pk:
            role = "focus"
        elif row["pk"] == area.parent_id:
            role = "parent"
        elif row["parent_id"] == area.pk:
            role = "child"
        else:
            role = "neighbour"
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(row["shape"]),
                "properties": {
                    "role": role,
                    "code": row["code"],
                    "name": short_name(row["name"]),
                    "level": row["level"],
                    "lon": row["lon"],
                    "lat": row["lat"],
                    "url": reverse("registry:area_detail", args=[row["code"]]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def area_asset_summary(*, user: User | AnonymousUser, area: AdminArea) -> dict[str, Any]:
    """Assets inside ``area`` that the user may see, counted by class and summed by original
    value, for each area directly below it and for those registered at ``area`` itself: one
    query whatever the number of areas or assets. Returns ``{"by_code": {child prefix: row},
    "own": row or None, "total": row}``; a row has ``n``, ``value`` and ``n_<class>``."""
    # A county's summary reads every asset of the county: kept like the asset list's count,
    # under the user's scope, the area and the asset table's change counter.
    version, prefix = assets_version(), scope_prefix(user)
    key = f"area-summary:{version}:{prefix}:{area.code}"
    if version is not None and prefix is not None:
        cached = cache.get(key)
        if cached is not None:
            return dict(cached)
    summary = _area_asset_summary(user=user, area=area)
    if version is not None and prefix is not None:
        cache.set(key, summary, LIST_COUNT_SECONDS)
    return summary


def _area_asset_summary(*, user: User | AnonymousUser, area: AdminArea) -> dict[str, Any]:
    level = AreaLevel(area.level)
    levels = list(PREFIX_DIGITS)
    below = levels[levels.index(level) + 1] if levels.index(level) + 1 < len(levels) else level
    digits = PREFIX_DIGITS[below]
    counts: dict[str, Any] = {
        f"n_{value}": Count("id", filter=Q(asset_class=value)) for value in AssetClass.values
    }
    rows = (
        asset_scope(user=user)
        .filter(area_code__startswith=area.scope_prefix)
        .annotate(key=Substr("area_code", 1, digits))
        .values("key")
        .annotate(n=Count("id"), value=Sum("original_value"), **counts)
        .order_by()
    )
    by_code = {row.pop("key"): row for row in rows}
    total: dict[str, Any] = {name: 0 for name in ["n", "value", *counts]}
    for row in by_code.values():
        row["value"] = row["value"] or 0
        for name in total:
            total[name] += row[name]
    own = by_code.pop(area.code[:digits], None)
    return {"by_code": by_code, "own": own, "total": total}


# --- to-do (待办) ---------------------------------------------------------------------------------


class CountOf(Subquery):
    """How many rows a queryset has, as a scalar subquery: several counts go in one query.
    A sliced queryset is counted up to its limit (the top bar's badge stops at 99+)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


# The kinds of work a to-do list holds, in the order the page shows them.
TODO_KINDS = (
    "returned", "registrations", "plans", "disposals", "inspections", "needs", "projects"
)  # fmt: skip


def todo_sources(
    *, user: User | AnonymousUser, today: datetime.date | None = None
) -> dict[str, QuerySet[Any]]:
    """What waits for ``user``, by kind (TODO_KINDS), each a queryset inside the user's area:

    * ``returned``: their registrations returned to them and not corrected yet (to a village
      editor: every open return in their village);
    * ``registrations``: village registrations waiting for approval (township and county
      approvers), not those returned and waiting for their correction;
    * ``plans``: distribution plans whose next step is the user's level (the village's
      resolution or revision, the township's review, the county's filing), and plans the user
      wrote that were sent back;
    * ``disposals``: disposal requests waiting for the user's level to decide;
    * ``inspections``: assets whose maintenance duty in force is overdue for an inspection
      (editors).
    * ``needs``: villages' construction needs sent to the township (its approvers);
    * ``projects``: project proposals waiting for the review of the user's level (a township's
      approvers: those led in the township; the county's: those it leads itself), and for the
      county's approvers the projects waiting for its appraisal or its approval.

    The same rules as the services' (registration_can_review, plan_can_advance,
    disposal_can_decide). Readers get nothing; no query runs here."""
    sources: dict[str, QuerySet[Any]] = {
        "returned": RegistrationReturn.objects.none(),
        "registrations": Asset.objects.none(),
        "plans": DistributionPlan.objects.none(),
        "disposals": DisposalRequest.objects.none(),
        # With asset_list's annotations, which the page orders by.
        "inspections": asset_list(user=user, today=today).none(),
    }
    sources.update(_project_todo(user))
    if not isinstance(user, User) or scope_prefix(user) is None:
        return sources
    level = scope_level(user)
    editor = user.is_superuser or user.role in EDITOR_ROLES
    approver = user.is_superuser or user.role in APPROVER_ROLES
    if not editor:
        return sources
    open_return = RegistrationReturn.objects.filter(asset=OuterRef("pk"), corrected_at__isnull=True)
    returned_to = Q(author=user) if level != AreaLevel.VILLAGE else Q()
    sources["returned"] = visible_to(
        user,
        RegistrationReturn.objects.filter(
            returned_to, corrected_at__isnull=True, asset__status=AssetStatus.DRAFT
        ),
        code_field="asset__area_code",
    )
    if approver and level in (ApprovalLevel.TOWNSHIP, ApprovalLevel.COUNTY):
        sources["registrations"] = asset_scope(user=user).filter(
            ~Exists(open_return), status=AssetStatus.DRAFT
        )
    waiting = Q(status=PlanStatus.REJECTED, created_by=user)
    if level == ApprovalLevel.VILLAGE:
        waiting |= Q(status__in=[PlanStatus.DRAFT, PlanStatus.REJECTED])
    elif approver and level == ApprovalLevel.TOWNSHIP:
        waiting |= Q(status=PlanStatus.VILLAGE_RESOLVED)
    elif approver and level == ApprovalLevel.COUNTY:
        waiting |= Q(status=PlanStatus.TOWNSHIP_REVIEWED)
    sources["plans"] = visible_to(
        user, DistributionPlan.objects.filter(waiting), code_field="asset__area_code"
    )
    decided = DisposalApproval.objects.filter(request=OuterRef("pk"))
    pending: Q | None = None
    if approver and level == ApprovalLevel.TOWNSHIP:
        pending = Q(~Exists(decided.filter(level=ApprovalLevel.TOWNSHIP)))
    elif approver and level == ApprovalLevel.COUNTY:
        pending = (
            Q(required_level=ApprovalLevel.COUNTY)
            & Exists(decided.filter(level=ApprovalLevel.TOWNSHIP, approved=True))
            & ~Exists(decided.filter(level=ApprovalLevel.COUNTY))
        )
    if pending is not None:
        sources["disposals"] = visible_to(
            user,
            DisposalRequest.objects.filter(pending, status=DisposalStatus.REQUESTED),
            code_field="asset__area_code",
        )
    # Assets in the register (not drafts, not disposed or pending disposal) whose duty in force
    # is overdue for an inspection, found from the duties (asset_list's inspection_overdue,
    # the same rule, would compute it for every asset of the area: 2.5 s for a province).
    sources["inspections"] = asset_list(user=user, today=today).filter(
        pk__in=_overdue_duties(user=user, today=today).values("asset_id")
    )
    return sources


def _project_todo(user: User | AnonymousUser) -> dict[str, QuerySet[Any]]:
    """The project libraries' waiting work (todo_sources' ``needs`` and ``projects``): the same
    rules as need_can_review and project_can."""
    from registry.choices import NeedStatus, ProjectStatus
    from registry.models import ConstructionNeed, Project

    sources: dict[str, QuerySet[Any]] = {
        "needs": ConstructionNeed.objects.none(),
        "projects": Project.objects.none(),
    }
    approver = isinstance(user, User) and (user.is_superuser or user.role in APPROVER_ROLES)
    level = scope_level(user)
    if not approver or level not in (ApprovalLevel.TOWNSHIP, ApprovalLevel.COUNTY):
        return sources
    proposed = Q(status=ProjectStatus.PROPOSED)
    if level == ApprovalLevel.TOWNSHIP:
        sources["needs"] = visible_to(
            user,
            ConstructionNeed.objects.filter(status=NeedStatus.SUBMITTED),
            code_field="area_code",
        )
        waiting = (
            proposed
            & Q(area_code__startswith=scope_prefix(user) or "\x00")
            & ~Q(area__level=AreaLevel.COUNTY)
        )
    else:
        waiting = (proposed & Q(area__level=AreaLevel.COUNTY)) | Q(
            status__in=[ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.APPRAISED]
        )
    sources["projects"] = project_scope(user=user).filter(waiting)
    return sources


def _overdue_duties(*, user: User, today: datetime.date | None = None) -> QuerySet[MaintenanceDuty]:
    """The duties in force (the newest whose period covers today, as asset_list takes it) of
    the user's assets in the register whose next inspection is due before today: the last
    inspection, or the duty's start, plus its interval."""
    today = today or timezone.localdate()
    in_force = MaintenanceDuty.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today
    )
    newer = in_force.filter(asset=OuterRef("asset")).filter(
        Q(starts_on__gt=OuterRef("starts_on"))
        | Q(starts_on=OuterRef("starts_on"), id__gt=OuterRef("id"))
    )
    last_inspection = (
        MaintenanceLog.objects.filter(asset=OuterRef("asset"), kind=MaintenanceKind.INSPECTION)
        .order_by("-performed_on")
        .values("performed_on")[:1]
    )
    duties = in_force.filter(~Exists(newer), asset__status__in=ACTIVE_STATUSES).annotate(
        due=ExpressionWrapper(
            Coalesce(Subquery(last_inspection), F("starts_on")) + F("inspection_interval_days"),
            output_field=DateField(),
        )
    )
    return visible_to(user, duties.filter(due__lt=today), code_field="asset__area_code")


# The badge in the top bar counts each kind up to this many: its cost stays that of a few
# index lookups however big the county (99+ says enough).
TODO_BADGE_CAP = 100


def todo_counts(
    *, user: User | AnonymousUser, cap: int | None = None, today: datetime.date | None = None
) -> dict[str, int]:
    """How many things of each kind wait for ``user`` (todo_sources), in one query (none for
    readers); with ``cap``, each kind is counted up to ``cap``."""
    sources = todo_sources(user=user, today=today)
    live = {
        kind: qs.order_by().values("pk")[:cap]
        for kind, qs in sources.items()
        if not qs.query.is_empty()
    }
    counts = dict.fromkeys(sources, 0)
    if live and isinstance(user, User):
        row = (
            User.objects.filter(pk=user.pk)
            .annotate(**{f"todo_{kind}": CountOf(qs) for kind, qs in live.items()})
            .values_list(*(f"todo_{kind}" for kind in live))
            .get()
        )
        counts.update(zip(live, row, strict=True))
    return counts


def todo_items(
    *, user: User | AnonymousUser, limit: int = 50, today: datetime.date | None = None
) -> dict[str, list[Any]]:
    """The first ``limit`` things of each kind waiting for ``user``, with what their page
    shows: one query per kind, whatever the numbers."""
    sources = todo_sources(user=user, today=today)
    latest_return = PlanReturn.objects.filter(plan=OuterRef("pk")).order_by("-returned_at", "-id")
    corrected = RegistrationReturn.objects.filter(asset=OuterRef("pk"), corrected_at__isnull=False)
    township_done = DisposalApproval.objects.filter(
        request=OuterRef("pk"), level=ApprovalLevel.TOWNSHIP
    )

    def first(qs: QuerySet[Any]) -> list[Any]:
        return [] if qs.query.is_empty() else list(qs[:limit])

    items = {
        "returned": first(
            sources["returned"]
            .select_related("asset", "asset__area", "returned_by")
            .order_by("-returned_at", "-id")
        ),
        "registrations": first(
            sources["registrations"]
            .select_related("area")
            .annotate(was_returned=Exists(corrected))
            .order_by("created_at", "id")
        ),
        "plans": first(
            sources["plans"]
            .select_related("asset", "asset__area")
            .annotate(
                return_reason=Subquery(latest_return.values("reason")[:1]),
                return_level=Subquery(latest_return.values("level")[:1]),
                return_at=Subquery(latest_return.values("returned_at")[:1]),
            )
            .order_by("status", "-year", "asset__code")
        ),
        "disposals": first(
            sources["disposals"]
            .select_related("asset", "asset__area")
            .annotate(township_done=Exists(township_done))
            .order_by("requested_on", "id")
        ),
        "inspections": first(sources["inspections"].order_by("inspection_due", "code")),
        "needs": first(sources["needs"].select_related("area").order_by("created_at", "id")),
        "projects": first(sources["projects"].select_related("area").order_by("status", "code")),
    }
    for plan in items["plans"]:  # levels as ApprovalLevel: a page shows their label
        plan.return_level = ApprovalLevel(plan.return_level) if plan.return_level else None
    for request in items["disposals"]:
        done = request.township_done and request.required_level == ApprovalLevel.COUNTY
        request.pending_level = ApprovalLevel.COUNTY if done else ApprovalLevel.TOWNSHIP
    return items


# The project libraries' reads live in their own module; re-exported as the package's names.
from registry.selectors.projects import (  # noqa: E402, F401
    PLANNED_OR_LATER,
    asset_trace,
    industry_share,
    need_filterset,
    need_list,
    project_detail,
    project_filterset,
    project_get,
    project_list,
    project_scope,
    projects_led_in,
)

# The relocation sites' reads live in their own module; re-exported as the package's names.
from registry.selectors.sites import (  # noqa: E402, F401
    site_detail,
    site_filterset,
    site_get,
    site_list,
    site_scope,
    site_timeline,
    site_totals,
)
