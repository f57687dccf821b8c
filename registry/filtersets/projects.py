"""The project libraries' FilterSets: the county library (and the township's review queue, the
year's plan, the map's project layer and the library's exports) and the villages' needs."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from registry.choices import NeedCategory, NeedStatus, ProjectCategory, ProjectStatus
from registry.filtersets.assets import YES_NO_ANY
from registry.filtersets.base import ScopedFilterSet, area_filter
from registry.models import AdminArea, ConstructionNeed, Project, TaskListItem


class ProjectFilterSet(ScopedFilterSet):
    """The library's filters. The area selects the projects that touch it (any of their
    areas), as the scope does."""

    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    area = area_filter()
    status = django_filters.MultipleChoiceFilter(
        label=_("Stage"), choices=ProjectStatus.choices, widget=django_filters.widgets.CSVWidget
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=ProjectCategory.choices, empty_label=_("All categories")
    )
    year = django_filters.NumberFilter(label=_("Library year"), field_name="year")
    plan_year = django_filters.NumberFilter(label=_("Plan year"), field_name="plan_year")
    construction = django_filters.BooleanFilter(
        label=_("In the rural construction library"), field_name="in_construction_library",
        widget=YES_NO_ANY,
    )  # fmt: skip
    bridging = django_filters.BooleanFilter(
        label=_("In the bridging-fund library"), field_name="in_bridging_library",
        widget=YES_NO_ANY,
    )  # fmt: skip

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_area(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        area = AdminArea.objects.filter(code=value.strip()).first()
        if area is None:
            return queryset.none()
        codes = list(
            AdminArea.objects.filter(code__startswith=area.scope_prefix).values_list(
                "code", flat=True
            )
        )
        return queryset.filter(area_codes__overlap=codes)

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(Q(name__icontains=value) | Q(implementing_unit__icontains=value))


class NeedFilterSet(ScopedFilterSet):
    """The villages' construction needs: by village (or township), status, category, year."""

    q = django_filters.CharFilter(label=_("Need"), field_name="title", lookup_expr="icontains")
    area = area_filter()
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=NeedStatus.choices, empty_label=_("All statuses")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=NeedCategory.choices, empty_label=_("All categories")
    )
    year = django_filters.NumberFilter(label=_("For the year"), method="filter_year")

    class Meta:
        model = ConstructionNeed
        fields: list[str] = []

    def filter_year(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(horizon_from__lte=value, horizon_to__gte=value)


class TaskListFilterSet(django_filters.FilterSet):
    """The county's yearly task list (乡村建设任务清单): by year and by words of the task or its
    department. Its scope is the user's county (registry.ledgers.TASKS)."""

    q = django_filters.CharFilter(label=_("Task or department"), method="filter_q")
    year = django_filters.NumberFilter(label=_("Year"), field_name="year")

    class Meta:
        model = TaskListItem
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(task__icontains=value) | Q(department__icontains=value))
