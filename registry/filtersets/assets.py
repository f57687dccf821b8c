"""The asset list's FilterSet (the list page, the map and its tiles, exports, jobs and commands)
and the areas' search, with the search expressions they use."""

import unicodedata

import django_filters
from django import forms
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    ExpressionWrapper,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Upper
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaLevel, AssetClass, AssetStatus, AssetSubtype, FundEra
from registry.filtersets.base import ScopedFilterSet, area_filter
from registry.models import AdminArea, Asset
from registry.models.areas import AdminAreaQuerySet
from registry.models.assets import code_prefix_q

YES_NO_ANY = forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


def _search_grams() -> Expression:
    """The expression of the asset_search_grams index, so that the query matches it exactly."""
    index = next(i for i in Asset._meta.indexes if i.name == "asset_search_grams")
    return index.expressions[0]


# A 1- or 2-character piece found in more than this share of the assets is looked for with the
# LIKE alone: PostgreSQL reads the whole table for it anyway, and calling atlas_search_grams()
# for each matching row would cost more than the index saves (村 is in 72 % of the benchmark's
# assets: its count took 5.3 s with the piece, 1.0 s without; 号, in 40 %, still gains from it).
COMMON_PIECE_SHARE = 0.5


def piece_share(value: str) -> float | None:
    """The share of assets whose name or address has the piece UPPER(value), as ANALYZE last
    measured it (the asset_search_grams index's most common elements): 0.0 for a piece rarer
    than those, None when there are no statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(s.freqs[array_position(s.elems, upper(%s))], 0)"
            " FROM (SELECT most_common_elems::text::text[] AS elems,"
            "              most_common_elem_freqs AS freqs"
            "       FROM pg_stats WHERE schemaname = current_schema()"
            "        AND tablename = 'asset_search_grams' AND attname = 'atlas_search_grams') s",
            [value],
        )
        row = cursor.fetchone()
    return float(row[0]) if row else None


def text_q(value: str) -> Q:
    """Assets whose name or address contains ``value``, ignoring case: ``name__icontains`` or
    ``address__icontains``, i.e. UPPER(...) LIKE UPPER('%value%'), which the trigram index
    serves for terms of 3+ characters.

    A term of 1 or 2 characters has no trigram. It is contained in UPPER(name) or
    UPPER(address) exactly when UPPER(value) is one of their 1- and 2-character pieces, which
    the asset_search_grams index finds; the LIKE stays beside it as the cheap per-row check
    (PostgreSQL evaluates it first, so a walk along the code index for a common term calls
    atlas_search_grams only for rows that match), wrapped in COALESCE so that the planner
    estimates the rows from the pieces' statistics alone instead of multiplying two estimates
    of the same condition (which expected a handful of rows where there were thousands).
    Either way the rows are those of the LIKE alone."""
    contains = Q(name__icontains=value) | Q(address__icontains=value)
    if len(value) > 2 or (piece_share(value) or 0.0) > COMMON_PIECE_SHARE:
        return contains
    like = ExpressionWrapper(contains, output_field=BooleanField())
    piece = Func(
        Upper(Value(value)),
        function="ARRAY",
        template="%(function)s[%(expressions)s]",
        output_field=ArrayField(TextField()),
    )
    return Q(Coalesce(like, Value(False), output_field=BooleanField())) & Q(
        DataContains(_search_grams(), piece)
    )


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


class AssetFilterSet(ScopedFilterSet):
    """The asset list's filters; the same definition serves the map, the API and exports.
    Expects the queryset of ``selectors.asset_list`` (owner, maintainer, overdue annotations)."""

    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    area = area_filter()
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
        # A county's own number from its old ledger (原资产编号) is found whole, by its index,
        # as typed or in the width and case its ledger most likely has (ＷＺＱ－００１, wzq-001).
        plain = unicodedata.normalize("NFKC", value)
        original = Q(original_code__in=sorted({value, plain, plain.upper(), plain.lower()}))
        if value.isdigit():
            return queryset.filter(code_prefix_q(value) | original)  # the code index's range
        return queryset.filter(text_q(value) | original)
