"""The FilterSets of the network views: the gap table of the places the networks serve (its
page, its map, its exports and the place tiles) and the network layer's links."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gis.models import NetworkPlace
from registry.choices import Network, PlaceKind, RoadReach
from registry.models import Asset

# What a place lacks, as the gaps view asks it; "any" is what the page opens on.
GAP_ANY = "any"
GAP_CHOICES = [
    (GAP_ANY, _("Any gap")),
    ("road", _("No hardened road")),
    ("water", _("No piped water")),
    ("both", _("Neither hardened road nor piped water")),
    ("all", _("All places, with or without gaps")),
]
NO_HARDENED_ROAD = ~Q(road=RoadReach.HARDENED)
NO_WATER = Q(water=False)
GAP_Q = {
    GAP_ANY: NO_HARDENED_ROAD | NO_WATER,
    "road": NO_HARDENED_ROAD,
    "water": NO_WATER,
    "both": NO_HARDENED_ROAD & NO_WATER,
}

# The orders the table offers (each a column heading to click), then the code as a tie-break.
ORDERS = {
    "code": ("township_code", "code"),
    "households": ("-households", "code"),
    "harden": ("-harden_m", "code"),
    "road_gap": ("-hardened_gap_m", "code"),
    "water_gap": ("-water_gap_m", "code"),
}


class NetworkPlaceFilterSet(django_filters.FilterSet):
    """The gap table's filters: township, kind of place (village group or relocation site),
    gap, and a name or code. The user's scope is the queryset's (registry.scoping)."""

    township = django_filters.CharFilter(label=_("Township"), method="filter_township")
    kind = django_filters.ChoiceFilter(
        label=_("Kind of place"), choices=PlaceKind.choices, empty_label=_("Groups and sites")
    )
    gap = django_filters.ChoiceFilter(
        label=_("Gap"), choices=GAP_CHOICES, method="filter_gap", empty_label=None
    )
    q = django_filters.CharFilter(label=_("Name or code"), method="filter_q")

    class Meta:
        model = NetworkPlace
        fields: list[str] = []

    def filter_township(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """A township by its 12-digit code; anything else selects nothing."""
        value = value.strip()
        if not (len(value) == 12 and value.isdigit()):
            return queryset.none()
        return queryset.filter(township_code=value)

    def filter_gap(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        condition = GAP_Q.get(value)
        return queryset if condition is None else queryset.filter(condition)

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():  # a code, or its last digits (a group's serial, 902)
            return queryset.filter(code__contains=value)
        return queryset.filter(name__icontains=value)


class NetworkLinkFilterSet(django_filters.FilterSet):
    """The network layer's filters: networks (comma-separated: ``road,water``), hardened or
    not (roads)."""

    network = django_filters.MultipleChoiceFilter(
        label=_("Network"),
        choices=Network.choices,
        field_name="network__network",
        widget=django_filters.widgets.CSVWidget,
    )
    hardened = django_filters.BooleanFilter(label=_("Hardened"), field_name="network__hardened")

    class Meta:
        model = Asset
        fields: list[str] = []
