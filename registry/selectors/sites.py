"""Reads of the relocation sites (易地扶贫搬迁安置点), all through the user's scope.

A site is seen by everyone whose area holds the village or community it lies in
(``area_code``, like an asset); what its page shows of other records (the assets that serve it,
the library projects that support it) is limited to what the reader may see on their own.
"""

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from pghistory.models import Events

from registry.choices import FacilityRole, ProblemStatus
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
    Project,
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteProject,
    SiteSupport,
    User,
)
from registry.scoping import scope_prefix, visible_to


def site_scope(*, user: User | AnonymousUser) -> QuerySet[RelocationSite]:
    """Sites the user may see (those lying in their area), without annotations."""
    return visible_to(user, RelocationSite.objects.all(), code_field="area_code")


def open_problems_count() -> Subquery:
    """How many of the site's problems are open, as a scalar subquery (no GROUP BY)."""
    problems = (
        SiteProblem.objects.filter(site=OuterRef("pk"), status=ProblemStatus.OPEN)
        .order_by()
        .values("site")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Subquery(problems, output_field=IntegerField())


def site_list(*, user: User | AnonymousUser) -> QuerySet[RelocationSite]:
    """Sites in the user's scope with what a list shows: the village and its township, and the
    number of open problems, in the same query whatever the number of rows."""
    return (
        site_scope(user=user)
        .select_related("area", "area__parent")
        .annotate(open_problems=Coalesce(open_problems_count(), 0))
    )


def site_filterset(*, user: User | AnonymousUser, filters: Any) -> Any:
    """The one door to filtered sites (the list page, its exports, the map layer): the sites'
    FilterSet bound to ``filters`` over what ``user`` may see."""
    from registry.filtersets.sites import SiteFilterSet

    return SiteFilterSet(filters, queryset=site_list(user=user))


def site_totals(qs: QuerySet[RelocationSite]) -> dict[str, int]:
    """How many sites ``qs`` holds and the households and persons they moved (建档立卡 and
    同步搬迁 apart), in one query."""
    sums = qs.order_by().aggregate(
        sites=Count("id"),
        households=Coalesce(Sum("households"), 0),
        persons=Coalesce(Sum("persons"), 0),
        registered_households=Coalesce(Sum("registered_households"), 0),
        registered_persons=Coalesce(Sum("registered_persons"), 0),
        alongside_households=Coalesce(Sum("alongside_households"), 0),
        alongside_persons=Coalesce(Sum("alongside_persons"), 0),
    )
    return {k: int(v or 0) for k, v in sums.items()}


def site_get(*, user: User | AnonymousUser, code: str) -> RelocationSite | None:
    """One site by code, or None when it does not exist or lies outside the user's scope."""
    return (
        site_scope(user=user)
        .select_related("area", "area__parent", "community")
        .filter(code=code)
        .first()
    )


def site_detail(*, user: User | AnonymousUser, site: RelocationSite) -> dict[str, Any]:
    """What a site's page shows, in a fixed number of queries whatever it holds: the assets
    that serve it by role (those the user may see; the others only counted), the links ended,
    its support figures by year, the library projects that support it (those the user may
    see) and its problems, open first."""
    from registry.selectors.projects import project_scope  # the package imports this module

    prefix = scope_prefix(user)
    links = list(
        SiteFacility.objects.filter(site=site)
        .select_related("asset", "asset__area")
        .order_by("-active", "role", "asset__code")
    )
    # The scoping rule itself (registry.scoping): an asset outside the reader's area is counted,
    # never named, as its own page would answer 404.
    for link in links:
        link.seen = prefix is not None and link.asset.area_code.startswith(prefix)  # type: ignore[attr-defined]
    shown = [f for f in links if f.seen]  # type: ignore[attr-defined]
    by_role: dict[str, list[SiteFacility]] = defaultdict(list)
    for link in shown:
        if link.active:
            by_role[link.role].append(link)
    roles = [
        {"role": role, "label": role.label, "links": by_role[role.value]}
        for role in FacilityRole
        if by_role[role.value]
    ]
    projects = list(
        SiteProject.objects.filter(site=site, project__in=project_scope(user=user).values("pk"))
        .select_related("project", "project__area")
        .order_by("-active", "project__code")
    )
    problems = list(SiteProblem.objects.filter(site=site).select_related("recorded_by"))
    return {
        "roles": roles,
        "ended": [f for f in shown if not f.active],
        "hidden_facilities": len([f for f in links if f.active and not f.seen]),  # type: ignore[attr-defined]
        "support": list(SiteSupport.objects.filter(site=site).order_by("year")),
        "projects": [p for p in projects if p.active],
        "ended_projects": [p for p in projects if not p.active],
        "open_problems": [p for p in problems if p.status == ProblemStatus.OPEN],
        "resolved_problems": [p for p in problems if p.status != ProblemStatus.OPEN],
    }


# --- history --------------------------------------------------------------------------------

# What an inserted row of a site's records says in the timeline besides "created".
INSERT_FIELDS: dict[type, tuple[str, ...]] = {
    SiteFacility: ("asset", "role"),
    SiteProject: ("project",),
    SiteSupport: ("year", "labour_force", "employed"),
    SiteProblem: ("category", "description", "raised_on"),
}
HIDDEN = {"updated_at", "version", "area_code", "county_code", "created_at"}


def site_timeline(
    *, site: RelocationSite, user: User | AnonymousUser, limit: int = 200
) -> list[dict[str, Any]]:
    """The site's row history merged with that of its facility links, project links, support
    figures and problems, newest first: when, what, who (a person by name, a program by its
    purpose) and what changed, in labels. Records of other areas (an asset that serves the
    site from outside the reader's area) are not named."""
    fields = ["pgh_created_at", "pgh_id", "pgh_label", "pgh_model", "pgh_obj_model", "pgh_data",
              "pgh_diff", "pgh_context"]  # fmt: skip
    events = list(
        Events.objects.references([site])
        .order_by("-pgh_created_at", "-pgh_id")
        .values(*fields)[:limit]
    )
    user_ids = {
        (e["pgh_context"] or {}).get("user") for e in events if (e["pgh_context"] or {}).get("user")
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    changes: list[tuple[Any, str, list[Any]]] = []
    for event in events:
        model = apps.get_model(event["pgh_obj_model"])
        event["model"] = model
        for name, change in (event["pgh_diff"] or {}).items():
            changes.append((model, name, list(change)))
        if event["pgh_label"] == "insert":
            data = event["pgh_data"] or {}
            for name in INSERT_FIELDS.get(model, ()):
                key = f"{name}_id" if f"{name}_id" in data else name
                changes.append((model, name, [data.get(key)]))
    related = related_names(changes)
    from registry.selectors.projects import project_scope  # the package imports this module

    outside = gettext("(outside your area)")
    for model, seen_qs in (
        (AdminArea, visible_to(user, AdminArea.objects.all())),
        (Asset, visible_to(user, Asset.objects.all(), code_field="area_code")),
        (Project, project_scope(user=user)),
    ):
        if model in related:
            seen = set(seen_qs.filter(pk__in=list(related[model])).values_list("pk", flat=True))
            related[model] = {pk: n if pk in seen else outside for pk, n in related[model].items()}
    for event in events:
        model = event["model"]
        context = event["pgh_context"] or {}
        person = users.get(int(context["user"])) if context.get("user") else None
        event["actor"] = (
            (person.get_full_name() or person.get_username())
            if person
            else command_label(context.get("command"))
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
            if name not in HIDDEN and not name.endswith("_3857")
        ]
        data = event["pgh_data"] or {}
        event["facts"] = (
            [
                (
                    field_label(model, name),
                    field_value_label(model, name, data.get(f"{name}_id", data.get(name)), related),
                )
                for name in INSERT_FIELDS.get(model, ())
            ]
            if event["pgh_label"] == "insert"
            else []
        )
    return [e for e in events if e["pgh_label"] != "update" or e["changes"]]
