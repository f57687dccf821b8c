"""The relocation sites' FilterSet: the site list, its exports and the map's site layer."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from registry.choices import ProblemStatus, ReclamationStatus, SiteMode, SiteScale, SiteType
from registry.filtersets.assets import YES_NO_ANY
from registry.filtersets.base import ScopedFilterSet, area_filter
from registry.models import RelocationSite, SiteProblem


class SiteFilterSet(ScopedFilterSet):
    """The sites' filters: code or name, the area they lie in (a township selects its
    villages'), placement type and mode, scale band, 拆旧复垦 status and open problems."""

    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    area = area_filter()
    site_type = django_filters.ChoiceFilter(
        label=_("Placement type"), choices=SiteType.choices, empty_label=_("All types")
    )
    mode = django_filters.ChoiceFilter(
        label=_("Placement"), choices=SiteMode.choices, empty_label=_("Concentrated or dispersed")
    )
    scale = django_filters.ChoiceFilter(
        label=_("Site scale"), choices=SiteScale.choices, empty_label=_("All scales")
    )
    reclamation = django_filters.ChoiceFilter(
        label=_("Demolition and reclamation"),
        choices=ReclamationStatus.choices,
        empty_label=_("Any status"),
    )
    open_problems = django_filters.BooleanFilter(
        label=_("Has open problems"), method="filter_open_problems", widget=YES_NO_ANY
    )

    class Meta:
        model = RelocationSite
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        if value.isascii() and value.replace("AZ", "").replace("az", "").isdigit():
            # A whole code, its start, or its serial without the county ("AZ0001"): a county
            # has hundreds of sites, so a scan of their codes costs nothing.
            return queryset.filter(code__icontains=value)
        return queryset.filter(Q(name__icontains=value) | Q(note__icontains=value))

    def filter_open_problems(
        self, queryset: QuerySet[Any], name: str, value: bool | None
    ) -> QuerySet[Any]:
        if value is None:
            return queryset
        open_ = Exists(SiteProblem.objects.filter(site=OuterRef("pk"), status=ProblemStatus.OPEN))
        return queryset.filter(open_) if value else queryset.exclude(open_)
