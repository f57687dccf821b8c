"""The record lists auditors read beside the asset list: ownership records, maintenance logs,
income records, distribution plans and disposal requests, each scoped through its asset's area.

One definition per list names its model, its date, its filters and its columns (Chinese ledger
headers); the same definition serves the HTML page and the exports (transfer.exporters), so
what is exported is exactly what is on screen.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import CharField, F, Model, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    DisposalMethod,
    DisposalReason,
    DisposalStatus,
    InspectionResult,
    MaintenanceKind,
    OwnershipKind,
    PlanStatus,
)
from registry.filtersets import (
    DisposalRequestFilterSet,
    DistributionPlanFilterSet,
    IncomeRecordFilterSet,
    MaintenanceLogFilterSet,
    OwnershipRecordFilterSet,
    RecordFilterSet,
)
from registry.models import (
    DisposalRequest,
    DistributionPlan,
    IncomeRecord,
    MaintenanceLog,
    OwnershipRecord,
    User,
)
from registry.scoping import visible_to


@dataclass(frozen=True)
class RecordColumn:
    key: str
    header: str  # the ledger's Chinese header, as in the county's forms
    value: Any  # a field path or an ORM expression
    kind: str = "text"  # text | number | date | choice
    choices: Any = None


@dataclass(frozen=True)
class RecordList:
    key: str
    title: Any
    model: type[Model]
    date_field: str
    filterset_class: type[RecordFilterSet]
    columns: list[RecordColumn]
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]] = lambda qs: qs

    def queryset(self, user: User) -> QuerySet[Any]:
        qs = self.model._default_manager.all()
        return visible_to(user, self.prepare(qs), code_field="asset__area_code")

    def rows(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """``qs`` as tuples in column order, computed by PostgreSQL."""
        names = {f"c_{c.key}": _expression(c.value) for c in self.columns}
        return qs.order_by(f"-{self.date_field}", "pk").annotate(**names).values_list(*names.keys())

    def filterset(self, data: Any, user: User) -> RecordFilterSet:
        return self.filterset_class(data, queryset=self.queryset(user))


def _expression(value: Any) -> Any:
    return F(value) if isinstance(value, str) else value


ASSET_COLUMNS = [
    RecordColumn("asset_code", "资产编号", "asset__code"),
    RecordColumn("asset_name", "资产名称", "asset__name"),
    RecordColumn("area", "所在村（乡镇）", "asset__area__name"),
]

LISTS: dict[str, RecordList] = {
    "ownership": RecordList(
        key="ownership",
        title=_("Ownership records"),
        model=OwnershipRecord,
        date_field="effective_on",
        filterset_class=OwnershipRecordFilterSet,
        columns=[
            *ASSET_COLUMNS,
            RecordColumn("effective_on", "生效日期", "effective_on", "date"),
            RecordColumn("kind", "登记类型", "kind", "choice", OwnershipKind.choices),
            RecordColumn(
                "owners",
                "所有权人及份额",
                StringAgg(
                    Concat(
                        "shares__party__name",
                        Value("（"),
                        Cast("shares__percent", CharField()),
                        Value("%）"),
                        output_field=CharField(),
                    ),
                    delimiter="、",
                    distinct=True,
                ),
            ),
            RecordColumn("basis", "确权依据", "basis"),
            RecordColumn("certificate_no", "证书编号", "certificate_no"),
            RecordColumn("registered_by", "登记人", "registered_by__username"),
        ],
    ),
    "maintenance": RecordList(
        key="maintenance",
        title=_("Maintenance logs"),
        model=MaintenanceLog,
        date_field="performed_on",
        filterset_class=MaintenanceLogFilterSet,
        columns=[
            *ASSET_COLUMNS,
            RecordColumn("performed_on", "日期", "performed_on", "date"),
            RecordColumn("kind", "类型", "kind", "choice", MaintenanceKind.choices),
            RecordColumn("result", "结果", "result", "choice", InspectionResult.choices),
            RecordColumn("findings", "发现问题及处理", "findings"),
            RecordColumn("cost", "费用（元）", "cost", "number"),
            RecordColumn("logged_by", "记录人", "logged_by__username"),
        ],
    ),
    "income": RecordList(
        key="income",
        title=_("Income records"),
        model=IncomeRecord,
        date_field="period_end",
        filterset_class=IncomeRecordFilterSet,
        columns=[
            *ASSET_COLUMNS,
            RecordColumn("period_start", "收益期起", "period_start", "date"),
            RecordColumn("period_end", "收益期止", "period_end", "date"),
            RecordColumn("gross", "收入（元）", "gross", "number"),
            RecordColumn("costs", "成本费用（元）", "costs", "number"),
            RecordColumn("net", "净收益（元）", F("gross") - F("costs"), "number"),
            RecordColumn("account", "收款账户", "account"),
            RecordColumn("recorded_by", "记录人", "recorded_by__username"),
        ],
    ),
    "distributions": RecordList(
        key="distributions",
        title=_("Distribution plans"),
        model=DistributionPlan,
        date_field="year",
        filterset_class=DistributionPlanFilterSet,
        columns=[
            *ASSET_COLUMNS,
            RecordColumn("year", "年度", "year"),
            RecordColumn("total", "分配总额（元）", "total", "number"),
            RecordColumn("status", "状态", "status", "choice", PlanStatus.choices),
            RecordColumn("resolution", "村级决议", "resolution"),
            RecordColumn("created_by", "编制人", "created_by__username"),
        ],
    ),
    "disposals": RecordList(
        key="disposals",
        title=_("Disposal requests"),
        model=DisposalRequest,
        date_field="requested_on",
        filterset_class=DisposalRequestFilterSet,
        columns=[
            *ASSET_COLUMNS,
            RecordColumn("requested_on", "申请日期", "requested_on", "date"),
            RecordColumn("reason", "处置原因", "reason", "choice", DisposalReason.choices),
            RecordColumn("method", "处置方式", "method", "choice", DisposalMethod.choices),
            RecordColumn("book_value", "账面价值（元）", "book_value", "number"),
            RecordColumn("status", "状态", "status", "choice", DisposalStatus.choices),
            RecordColumn("completed_on", "完成日期", "completed_on", "date"),
            RecordColumn("proceeds", "处置收入（元）", "proceeds", "number"),
            RecordColumn("requested_by", "申请人", "requested_by__username"),
        ],
    ),
}


def label(column: RecordColumn, value: Any) -> Any:
    """A choice's label in the current language; other values as they are."""
    if column.kind == "choice" and value is not None:
        return str(dict(column.choices).get(value, value))
    return value
