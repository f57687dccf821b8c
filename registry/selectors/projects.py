"""Reads of the project libraries, all through the user's scope.

A project is seen by everyone whose area holds one of the areas it touches (``area_codes``:
a road from one village to the next is both villages'), and acted on by those whose area
holds the area it is led from (``area_code``). A need is its village's.
"""

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from registry.choices import ProjectCategory, ProjectStatus
from registry.models import (
    AdminArea,
    Asset,
    ConstructionNeed,
    FundSource,
    Project,
    ProjectFunding,
    ProjectStep,
    User,
)
from registry.scoping import scope_prefix, visible_to

# Statuses of a project that is (or was) part of a year's plan.
PLANNED_OR_LATER = [
    ProjectStatus.PLANNED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.COMPLETED,
    ProjectStatus.ACCEPTED,
    ProjectStatus.HANDED_OVER,
    ProjectStatus.EVALUATED,
    ProjectStatus.ARCHIVED,
]


def project_scope(*, user: User | AnonymousUser, qs: QuerySet[Project] | None = None) -> Any:
    """Projects the user may see: the whole county for a county user; for a township or
    village user, those touching an area of theirs (the GIN index of ``area_codes`` answers the
    overlap with the few codes of their area)."""
    qs = Project.objects.all() if qs is None else qs
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    if len(prefix) <= 6:
        return qs.filter(county_code=prefix)
    # The codes as a subquery (an InitPlan, which the index still answers): no query of its own.
    codes = ArraySubquery(AdminArea.objects.filter(code__startswith=prefix).values("code"))
    return qs.filter(area_codes__overlap=codes)


def _funding_sum(field: str) -> Subquery:
    """The sum of one money column of a project's funding lines, as a correlated subquery: it
    runs only for the rows a page shows, and a count leaves it out (a join with GROUP BY over
    every project's columns cost 0.9 s a page at 50,000 projects, bench/projects.py)."""
    lines = ProjectFunding.objects.filter(project=OuterRef("pk")).order_by().values("project")
    return Subquery(lines.annotate(total=Sum(field)).values("total"))


def project_list(*, user: User | AnonymousUser) -> Any:
    """Projects in the user's scope with what a list shows: the lead area, and the planned and
    actual investment summed in the same query."""
    return (
        project_scope(user=user)
        .select_related("area", "area__parent")
        .annotate(
            planned_total=Coalesce(_funding_sum("planned"), Decimal(0)),
            actual_total=_funding_sum("actual"),
        )
    )


def project_get(*, user: User | AnonymousUser, code: str) -> Project | None:
    """One project by code, or None when it does not exist or lies outside the user's scope."""
    return (
        project_scope(user=user)
        .select_related("area", "area__parent", "fund_direction", "task", "carried_from")
        .filter(code=code)
        .first()
    )


def project_detail(*, user: User | AnonymousUser, project: Project) -> dict[str, Any]:
    """What a project's page shows, in a fixed number of queries whatever its size: its
    funding lines, targets, steps (with who took them), the needs it answers, and the assets
    it formed (those the user may see) with their current owner and maintainer."""
    from registry.selectors import asset_list  # the package imports this module

    steps = list(
        project.steps.select_related("actor").prefetch_related("files").order_by("at", "id")
    )
    funding = list(project.funding.select_related("source"))
    formed = list(asset_list(user=user).filter(source_project=project).order_by("code"))
    return {
        "funding": funding,
        "planned_total": sum((f.planned for f in funding), Decimal(0)),
        "actual_total": sum((f.actual or Decimal(0) for f in funding), Decimal(0)),
        "targets": list(project.targets.all()),
        "steps": steps,
        "needs": list(project.needs.select_related("area")),
        "assets": formed,
    }


def asset_trace(*, asset: Asset) -> dict[str, Any] | None:
    """Funds -> project -> asset for one asset's page: the project that formed it, its funding
    lines and steps, in a fixed number of queries (three) whatever the project's size."""
    if asset.source_project_id is None:
        return None
    project = (
        Project.objects.select_related("area")
        .prefetch_related(
            Prefetch("funding", queryset=ProjectFunding.objects.select_related("source")),
            Prefetch("steps", queryset=ProjectStep.objects.select_related("actor").order_by("at")),
        )
        .get(pk=asset.source_project_id)
    )
    funding = list(project.funding.all())
    return {
        "project": project,
        "funding": funding,
        "steps": list(project.steps.all()),
        "actual_total": sum((f.actual or Decimal(0) for f in funding), Decimal(0)),
    }


def need_list(*, user: User | AnonymousUser) -> QuerySet[ConstructionNeed]:
    """Needs of the villages in the user's area."""
    return visible_to(
        user, ConstructionNeed.objects.select_related("area", "area__parent", "project"),
        code_field="area_code",
    )  # fmt: skip


def industry_share(*, county_code: str, year: int) -> dict[str, Any]:
    """The year's central bridging funds (衔接资金 from the central budget) planned for the
    county's projects in the year's plan, and the share going to industry development (the
    aim is 60 % or more): ``{"industry", "total", "share"}`` (share None when nothing is
    planned)."""
    central = FundSource.objects.filter(bridging=True, central=True)
    lines = ProjectFunding.objects.filter(
        source__in=central,
        project__county_code=county_code,
        project__plan_year=year,
        project__status__in=PLANNED_OR_LATER,
    )
    total = lines.aggregate(total=Coalesce(Sum("planned"), Decimal(0)))["total"]
    industry = lines.filter(project__category=ProjectCategory.INDUSTRY).aggregate(
        total=Coalesce(Sum("planned"), Decimal(0))
    )["total"]
    share = (industry * 100 / total).quantize(Decimal("0.1")) if total else None
    return {"industry": industry, "total": total, "share": share, "aim": Decimal(60)}


def projects_led_in(*, user: User | AnonymousUser, prefix: str) -> Any:
    """Projects led from an area under ``prefix`` (a township's review queue)."""
    return project_scope(user=user).filter(Q(area_code__startswith=prefix))


def project_filterset(*, user: User | AnonymousUser, filters: Any) -> Any:
    """The one door to filtered projects (the library page, the map layer, exports): the
    library's FilterSet bound to ``filters`` over what ``user`` may see."""
    from registry.filtersets import ProjectFilterSet

    return ProjectFilterSet(filters, queryset=project_list(user=user))


def need_filterset(*, user: User | AnonymousUser, filters: Any) -> Any:
    """The villages' needs, filtered, in the user's area."""
    from registry.filtersets import NeedFilterSet

    return NeedFilterSet(filters, queryset=need_list(user=user))
