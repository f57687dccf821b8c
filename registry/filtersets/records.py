"""The FilterSets of the record lists auditors read beside the asset list (registry.ledgers):
each finds its records by their asset's code or name and area, a date range and one choice."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.choices import DisposalStatus, InspectionResult, OwnershipKind, PlanStatus
from registry.filtersets.base import ScopedFilterSet, area_filter
from registry.models import (
    DisposalRequest,
    DistributionPlan,
    IncomeRecord,
    MaintenanceLog,
    OwnershipRecord,
)

DATE_INPUT = django_filters.widgets.forms.DateInput(attrs={"type": "date"})


def from_date(field: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=_("From"), field_name=field, lookup_expr="gte", widget=DATE_INPUT
    )


def to_date(field: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=_("To"), field_name=field, lookup_expr="lte", widget=DATE_INPUT
    )


def choice_filter(field: str, label: Any, choices: Any) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        label=label, field_name=field, choices=choices, empty_label=_("All")
    )


class RecordFilterSet(ScopedFilterSet):
    """Records of an asset: ``q`` is the asset's code prefix or a part of its name."""

    area_code_field = "asset__area_code"

    q = django_filters.CharFilter(label=_("Asset code or name"), method="filter_q")
    area = area_filter()

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if value.isdigit():
            return queryset.filter(asset__code__startswith=value)
        return queryset.filter(asset__name__icontains=value) if value else queryset


class OwnershipRecordFilterSet(RecordFilterSet):
    date_from = from_date("effective_on")
    date_to = to_date("effective_on")
    choice = choice_filter("kind", _("Kind"), OwnershipKind.choices)

    class Meta:
        model = OwnershipRecord
        fields: list[str] = []


class MaintenanceLogFilterSet(RecordFilterSet):
    date_from = from_date("performed_on")
    date_to = to_date("performed_on")
    choice = choice_filter("result", _("Result"), InspectionResult.choices)

    class Meta:
        model = MaintenanceLog
        fields: list[str] = []


class IncomeRecordFilterSet(RecordFilterSet):
    date_from = from_date("period_end")
    date_to = to_date("period_end")

    class Meta:
        model = IncomeRecord
        fields: list[str] = []


class DistributionPlanFilterSet(RecordFilterSet):
    date_from = django_filters.NumberFilter(
        label=_("Year from"), field_name="year", lookup_expr="gte"
    )
    date_to = django_filters.NumberFilter(label=_("Year to"), field_name="year", lookup_expr="lte")
    choice = choice_filter("status", _("Status"), PlanStatus.choices)

    class Meta:
        model = DistributionPlan
        fields: list[str] = []


class DisposalRequestFilterSet(RecordFilterSet):
    date_from = from_date("requested_on")
    date_to = to_date("requested_on")
    choice = choice_filter("status", _("Status"), DisposalStatus.choices)

    class Meta:
        model = DisposalRequest
        fields: list[str] = []
