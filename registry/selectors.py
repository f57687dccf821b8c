"""Reads for pages, exports and map layers; all of them go through registry.scoping."""

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from pghistory.models import Events

from registry.choices import AreaLevel, MaintenanceKind
from registry.filtersets import AssetFilterSet
from registry.models import (
    AdminArea,
    Asset,
    MaintenanceDuty,
    MaintenanceLog,
    OwnershipRecord,
    OwnershipShare,
    Party,
    User,
    Waterway,
)
from registry.models.areas import AdminAreaQuerySet, short_name
from registry.models.assets import AssetQuerySet
from registry.models.parties import mask_phone
from registry.scoping import scope_prefix, visible_to

AreaBranch = tuple[AdminArea, list[AdminArea]]


def area_list(*, user: User | AnonymousUser, level: str | None = None) -> AdminAreaQuerySet:
    """Active areas the user may see, optionally of one level (filter further with
    registry.filtersets.AdminAreaFilterSet)."""
    qs = AdminArea.objects.active().select_related("parent")
    if level:
        qs = qs.filter(level=level)
    return visible_to(user, qs)  # type: ignore[return-value]


def area_reference(*, user: User | AnonymousUser) -> list[dict[str, Any]]:
    """The townships (outlines) and villages (points) a user may place assets in, as GeoJSON
    text written by PostGIS (CGCS2000 numbers are WGS84 numbers to well under a metre): the
    drawing form's reference layer, one query, no geometry objects in Python."""
    shape = Case(
        When(level=AreaLevel.TOWNSHIP, then=AsGeoJSON("boundary", precision=6)),
        default=AsGeoJSON("point", precision=6),
    )
    rows = (
        area_list(user=user)
        .filter(level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
        .annotate(
            shape=shape,
            lon=Func("point", function="ST_X", output_field=FloatField()),
            lat=Func("point", function="ST_Y", output_field=FloatField()),
        )
        .values("pk", "name", "shape", "lon", "lat")
    )
    return [{**row, "short_name": short_name(row["name"])} for row in rows]


def area_get(*, user: User | AnonymousUser, code: str) -> AdminArea | None:
    """One area by code, or None when it does not exist *or* lies outside the user's scope."""
    return area_list(user=user).filter(code=code).first()


def area_children(*, user: User | AnonymousUser, area: AdminArea) -> AdminAreaQuerySet:
    return (
        area_list(user=user)
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


def _field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a column the model no longer has keeps its name
        return name


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
    *, asset: Asset, mask_personal: bool = True, limit: int = 200
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
    for event in events:
        context = event["pgh_context"] or {}
        event["user"] = users.get(int(context["user"])) if context.get("user") else None
        event["command"] = context.get("command")
        model = apps.get_model(event["pgh_obj_model"])
        event["what"] = str(model._meta.verbose_name)
        event["changes"] = [
            (_field_label(model, name), change)
            for name, change in (event["pgh_diff"] or {}).items()
            if name not in {"updated_at", "version"}
        ]
        if mask_personal:
            data: dict[str, Any] = event["pgh_data"] or {}
            diff: dict[str, Any] = event["pgh_diff"] or {}
            for name in PERSONAL_FIELDS & set(data):
                data[name] = mask_phone(str(data[name] or ""))
            for name in PERSONAL_FIELDS & set(diff):
                diff[name] = [mask_phone(str(v or "")) for v in diff[name]]
    return events
