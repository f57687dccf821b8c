"""One FilterSet per model: it serves the HTML list, the map layers, the API and the exports."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaLevel, AssetClass, AssetStatus, AssetSubtype, FundEra
from registry.models import AdminArea, Asset
from registry.models.areas import AdminAreaQuerySet

YES_NO_ANY = forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


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


class AssetFilterSet(django_filters.FilterSet):
    """The asset list's filters; the same definition serves the map, the API and exports.
    Expects the queryset of ``selectors.asset_list`` (owner, maintainer, overdue annotations)."""

    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    area = django_filters.CharFilter(label=_("Area code"), method="filter_area")
    asset_class = django_filters.ChoiceFilter(
        label=_("Class"), choices=AssetClass.choices, empty_label=_("All classes")
    )
    subtype = django_filters.ChoiceFilter(
        label=_("Sub-type"), choices=AssetSubtype.choices, empty_label=_("All sub-types")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=AssetStatus.choices, empty_label=_("All statuses")
    )
    fund_era = django_filters.ChoiceFilter(
        label=_("Funding era"), choices=FundEra.choices, empty_label=_("Both eras")
    )
    owner = django_filters.CharFilter(
        label=_("Owner"), field_name="owner_names", lookup_expr="icontains"
    )
    maintainer = django_filters.CharFilter(
        label=_("Maintainer"), field_name="maintainer_name", lookup_expr="icontains"
    )
    overdue = django_filters.BooleanFilter(
        label=_("Inspection overdue"), field_name="inspection_overdue", widget=YES_NO_ANY
    )
    no_maintainer = django_filters.BooleanFilter(
        label=_("No maintainer named"), field_name="no_maintainer", widget=YES_NO_ANY
    )
    value_min = django_filters.NumberFilter(
        label=_("Value from (yuan)"), field_name="original_value", lookup_expr="gte"
    )
    value_max = django_filters.NumberFilter(
        label=_("Value up to (yuan)"), field_name="original_value", lookup_expr="lte"
    )

    class Meta:
        model = Asset
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value))

    def filter_area(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        area = AdminArea.objects.filter(code=value.strip()).first()
        if area is None:
            return queryset.none()
        # A county, township or village selects everything inside it.
        return queryset.filter(area_code__startswith=area.scope_prefix)
