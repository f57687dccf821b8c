"""One FilterSet per list, on a shared base (``base.ScopedFilterSet``) whose area filter is the
scoping rule's prefix. Each serves its HTML list, the map, the exports, jobs and commands."""

from registry.filtersets.assets import (
    COMMON_PIECE_SHARE,
    AdminAreaFilterSet,
    AssetFilterSet,
    code_prefix_q,
    piece_share,
    text_q,
)
from registry.filtersets.base import ScopedFilterSet, area_filter
from registry.filtersets.projects import NeedFilterSet, ProjectFilterSet, TaskListFilterSet
from registry.filtersets.records import (
    DisposalRequestFilterSet,
    DistributionPlanFilterSet,
    IncomeRecordFilterSet,
    MaintenanceLogFilterSet,
    OwnershipRecordFilterSet,
    RecordFilterSet,
)

__all__ = [
    "COMMON_PIECE_SHARE",
    "AdminAreaFilterSet",
    "AssetFilterSet",
    "DisposalRequestFilterSet",
    "DistributionPlanFilterSet",
    "IncomeRecordFilterSet",
    "MaintenanceLogFilterSet",
    "NeedFilterSet",
    "OwnershipRecordFilterSet",
    "ProjectFilterSet",
    "RecordFilterSet",
    "ScopedFilterSet",
    "TaskListFilterSet",
    "area_filter",
    "code_prefix_q",
    "piece_share",
    "text_q",
]
