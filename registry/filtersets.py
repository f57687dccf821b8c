"""One FilterSet per model: it serves the HTML list, the map layers, the API and the exports."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaLevel
from registry.models import AdminArea
from registry.models.areas import AdminAreaQuerySet


class AdminAreaFilterSet(django_filters.FilterSet):
    """Search areas by name or code prefix, and narrow by level."""

    q = django_filters.CharFilter(label=_("Name or code"), method="filter_q")
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=AreaLevel.choices, empty_label=_("All levels")
    )

    class Meta:
        model = AdminArea
        fields = ["q", "level"]

    def filter_q(self, queryset: AdminAreaQuerySet, name: str, value: str) -> AdminAreaQuerySet:
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(Q(name__icontains=value))
