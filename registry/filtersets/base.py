"""What every list's FilterSet shares: the area filter, which selects an area and everything
inside it by the area's scope prefix (the same rule as scoping), never by trimming zeros."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.models import AdminArea


def area_filter() -> django_filters.CharFilter:
    """The area filter of a ScopedFilterSet, declared by each list where its form shows it: a
    12-digit code, which the list pages pick township -> village (the area_filter_picker tag)."""
    return django_filters.CharFilter(label=_("Area"), method="filter_area")


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose records carry a 12-digit area code at ``area_code_field``; it declares
    ``area = area_filter()`` among its filters."""

    area_code_field = "area_code"

    def filter_area(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """A county, township or village selects everything inside it: township 500101150000
        is the prefix 500101150, which 500101151000 (another township) does not share. An
        unknown code selects nothing."""
        area = AdminArea.objects.filter(code=value.strip()).first()
        if area is None:
            return queryset.none()
        return queryset.filter(**{f"{self.area_code_field}__startswith": area.scope_prefix})
