"""Ledgers: the county's tables of records, declared once. A ``Ledger`` names its model, its
columns (``LedgerColumn``: the Chinese header, the value as a field or an ORM expression, its
kind and choices, its Shapefile name, and what an import accepts under it), its date and its
FilterSet. The same declaration serves the HTML list, the exports in every format and the
imports (transfer), so what is exported is exactly what is on screen and what an import reads.

``ASSETS`` is the asset register's ledger (the county layout); ``LISTS`` are the record lists
auditors read beside it: ownership records, maintenance logs, income records, distribution
plans and disposal requests, each scoped through its asset's area. A new ledger is a
declaration (and its tests), not new code.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Case, CharField, F, Model, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    AssetClass,
    AssetForm,
    AssetStatus,
    AssetSubtype,
    DisposalMethod,
    DisposalReason,
    DisposalStatus,
    FundEra,
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
)
from registry.models import (
    Asset,
    DisposalRequest,
    DistributionPlan,
    IncomeRecord,
    MaintenanceLog,
    OwnershipRecord,
    User,
)
from registry.scoping import visible_to

KINDS = ("text", "number", "int", "date", "bool", "choice")


@dataclass(frozen=True)
class LedgerColumn:
    """One column of a ledger.

    ``value`` is a field path or an ORM expression (default: the field named ``key``); ``kind``
    is text, number (money, quantities), int, date, bool or choice (shown by the label of
    ``choices``). ``shp`` is its field name in a Shapefile (10 characters at most). An import
    reads it when ``imported`` (under its header, its key, its Shapefile name or one of
    ``aliases``); ``required`` columns must be filled for a new record; ``hint`` is the note
    the import template shows on it. A column that is not
    ``exported`` is one an import reads but exports do not write (coordinates, the address)."""

    key: str
    header: str  # the ledger's Chinese header, as in the county's forms
    value: Any = None
    kind: str = "text"
    choices: Any = None
    shp: str = ""
    aliases: tuple[str, ...] = ()
    imported: bool = False
    required: bool = False
    exported: bool = True
    hint: Any = ""  # the note on the column in the import template

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        if not self.shp:
            object.__setattr__(self, "shp", self.key)

    @property
    def expression(self) -> Any:
        return _expression(self.key if self.value is None else self.value)


@dataclass(frozen=True)
class Ledger:
    key: str
    title: Any
    model: type[Model]
    columns: list[LedgerColumn]
    date_field: str = ""
    filterset_class: Any = None
    scope_field: str = "asset__area_code"
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]] = lambda qs: qs
    order_by: tuple[str, ...] = ()

    @property
    def exported(self) -> list[LedgerColumn]:
        return [c for c in self.columns if c.exported]

    @property
    def ordering(self) -> tuple[str, ...]:
        """The declared order, else the newest date first, else the order of entry."""
        if self.order_by:
            return self.order_by
        return (f"-{self.date_field}", "pk") if self.date_field else ("pk",)

    @property
    def imported(self) -> list[LedgerColumn]:
        return [c for c in self.columns if c.imported]

    def queryset(self, user: User) -> QuerySet[Any]:
        qs = self.model._default_manager.all()
        return visible_to(user, self.prepare(qs), code_field=self.scope_field)

    def rows(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """``qs`` as tuples in column order, computed by PostgreSQL."""
        names = {f"c_{c.key}": c.expression for c in self.exported}
        return qs.order_by(*self.ordering).annotate(**names).values_list(*names.keys())

    def filterset(self, data: Any, user: User) -> Any:
        return self.filterset_class(data, queryset=self.queryset(user))


def _expression(value: Any) -> Any:
    return F(value) if isinstance(value, str) else value


_IS_VILLAGE = Q(area__level="village")

# The asset register in the county's ledger layout, for exports (every format) and imports.
ASSETS = Ledger(
    key="assets",
    title=_("Asset register"),
    model=Asset,
    scope_field="area_code",
    order_by=("code",),
    columns=[
        LedgerColumn("code", "资产编号", aliases=("编号", "资产代码"), imported=True,
                     hint=_("Empty: a new asset. Filled: changes that asset; empty cells keep its "
                            "values.")),
        LedgerColumn("name", "资产名称", aliases=("名称", "项目名称"), imported=True,
                     required=True,
                     hint=_("Required for a new asset.")),
        LedgerColumn("asset_class", "资产类别", kind="choice", choices=AssetClass.choices,
                     shp="class", imported=True, required=True,
                     hint=_("Required. Choose from the list.")),
        LedgerColumn("subtype", "资产子类", kind="choice", choices=AssetSubtype.choices,
                     imported=True, required=True,
                     hint=_("Required. Must belong to the class.")),
        LedgerColumn("form", "资产形态", kind="choice", choices=AssetForm.choices, imported=True,
                     hint=_("Optional; fixed asset when empty.")),
        LedgerColumn("fund_era", "资金性质", kind="choice", choices=FundEra.choices),
        LedgerColumn(
            "township", "乡镇（街道）",
            Case(When(_IS_VILLAGE, then=F("area__parent__name")), default=F("area__name"),
                 output_field=CharField()),
            aliases=("乡镇", "乡镇（街道）名称"), imported=True,
                     hint=_("Name, if you do not give the area code.")),
        LedgerColumn(
            "village", "村（社区）",
            Case(When(_IS_VILLAGE, then=F("area__name")), default=Value(""),
                 output_field=CharField()),
            aliases=("村", "村（社区）名称", "行政村"), imported=True,
                     hint=_("Name, if you do not give the area code; empty for a township.")),
        LedgerColumn("area_code", "区划代码", aliases=("行政区划代码", "村代码", "统计用区划代码"),
                     imported=True,
                     hint=_("12-digit statistical code (sheet 区划代码).")),
        LedgerColumn("original_value", "资产原值（元）", kind="number", shp="value_yuan",
                     aliases=("资产原值", "原值", "原值（元）", "original value", "value"),
                     imported=True, required=True,
                     hint=_("Required. Yuan, up to 2 decimals.")),
        LedgerColumn("quantity", "数量", kind="number", imported=True, required=True,
                     hint=_("Required. Up to 3 decimals.")),
        LedgerColumn("unit", "单位", imported=True, required=True,
                     hint=_("Required, e.g. 座, 公里, 头.")),
        LedgerColumn("formed_on", "形成日期", kind="date", imported=True, required=True,
                     hint=_("Required. 2021-05-03; from 2012 on.")),
        LedgerColumn("status", "资产状态", kind="choice", choices=AssetStatus.choices),
        LedgerColumn("owner_names", "所有权人", shp="owners"),
        LedgerColumn("maintainer_name", "管护主体", shp="maintainer"),
        LedgerColumn("last_inspection", "最近巡查日期", kind="date", shp="last_insp"),
        LedgerColumn("inspection_overdue", "巡查逾期", kind="bool", shp="overdue"),
        LedgerColumn("beneficiary_households", "受益户数", kind="int", shp="benef_hh",
                     imported=True,
                     hint=_("Whole number.")),
        LedgerColumn("beneficiary_persons", "受益人数", kind="int", shp="benef_pers",
                     imported=True,
                     hint=_("Whole number.")),
        LedgerColumn("beneficiary_exited_households", "其中脱贫户", kind="int", shp="exited_hh",
                     imported=True,
                     hint=_("Not more than the beneficiary households.")),
        LedgerColumn("beneficiary_monitored_households", "其中监测户", kind="int",
                     shp="monitor_hh", imported=True,
                     hint=_("Not more than the beneficiary households.")),
        LedgerColumn("booked", "是否入账", kind="bool", imported=True,
                     hint=_("是 or 否.")),
        LedgerColumn("original_code", "原资产编号", shp="orig_code",
                     aliases=("原编号", "旧资产编号", "原资产编码", "原台账编号", "original code"),
                     imported=True,
                     hint=_("Optional: the number in your old ledger. Kept beside ours; a "
                            "re-import matches rows on it.")),
        # Read by imports, not written by exports:
        LedgerColumn("address", "地址", imported=True, exported=False,
                     hint=_("Optional.")),
        LedgerColumn("lon", "经度", aliases=("longitude", "lng", "经度（°）"), imported=True,
                     exported=False,
                     hint=_("Optional. Longitude (CGCS2000), or use X/Y instead.")),
        LedgerColumn("lat", "纬度", aliases=("latitude", "纬度（°）"), imported=True,
                     exported=False,
                     hint=_("Optional. Latitude (CGCS2000).")),
        LedgerColumn("x", "X坐标", aliases=("x", "东坐标", "横坐标"), imported=True,
                     exported=False),
        LedgerColumn("y", "Y坐标", aliases=("y", "北坐标", "纵坐标"), imported=True,
                     exported=False),
    ],
)  # fmt: skip


def person(user: str) -> Any:
    """The name of the user at the path ``user`` as the top bar shows it (``get_full_name()``:
    first and last name, else the login name), computed by PostgreSQL so that exports still
    stream from one query; empty when nobody is recorded."""
    full_name = Trim(
        Concat(
            F(f"{user}__first_name"),
            Value(" "),
            F(f"{user}__last_name"),
            output_field=CharField(),
        )
    )
    return Coalesce(NullIf(full_name, Value("")), F(f"{user}__username"), output_field=CharField())


ASSET_COLUMNS = [
    LedgerColumn("asset_code", "资产编号", "asset__code"),
    LedgerColumn("asset_name", "资产名称", "asset__name"),
    LedgerColumn("area", "所在村（乡镇）", "asset__area__name"),
]

LISTS: dict[str, Ledger] = {
    "ownership": Ledger(
        key="ownership",
        title=_("Ownership records"),
        model=OwnershipRecord,
        date_field="effective_on",
        filterset_class=OwnershipRecordFilterSet,
        columns=[
            *ASSET_COLUMNS,
            LedgerColumn("effective_on", "生效日期", "effective_on", "date"),
            LedgerColumn("kind", "登记类型", "kind", "choice", OwnershipKind.choices),
            LedgerColumn(
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
            LedgerColumn("basis", "确权依据", "basis"),
            LedgerColumn("certificate_no", "证书编号", "certificate_no"),
            LedgerColumn("registered_by", "登记人", person("registered_by")),
        ],
    ),
    "maintenance": Ledger(
        key="maintenance",
        title=_("Maintenance logs"),
        model=MaintenanceLog,
        date_field="performed_on",
        filterset_class=MaintenanceLogFilterSet,
        columns=[
            *ASSET_COLUMNS,
            LedgerColumn("performed_on", "日期", "performed_on", "date"),
            LedgerColumn("kind", "类型", "kind", "choice", MaintenanceKind.choices),
            LedgerColumn("result", "结果", "result", "choice", InspectionResult.choices),
            LedgerColumn("findings", "发现问题及处理", "findings"),
            LedgerColumn("cost", "费用（元）", "cost", "number"),
            LedgerColumn("logged_by", "记录人", person("logged_by")),
        ],
    ),
    "income": Ledger(
        key="income",
        title=_("Income records"),
        model=IncomeRecord,
        date_field="period_end",
        filterset_class=IncomeRecordFilterSet,
        columns=[
            *ASSET_COLUMNS,
            LedgerColumn("period_start", "收益期起", "period_start", "date"),
            LedgerColumn("period_end", "收益期止", "period_end", "date"),
            LedgerColumn("gross", "收入（元）", "gross", "number"),
            LedgerColumn("costs", "成本费用（元）", "costs", "number"),
            LedgerColumn("net", "净收益（元）", F("gross") - F("costs"), "number"),
            LedgerColumn("account", "收款账户", "account"),
            LedgerColumn("recorded_by", "记录人", person("recorded_by")),
        ],
    ),
    "distributions": Ledger(
        key="distributions",
        title=_("Distribution plans"),
        model=DistributionPlan,
        date_field="year",
        filterset_class=DistributionPlanFilterSet,
        columns=[
            *ASSET_COLUMNS,
            LedgerColumn("year", "年度", "year"),
            LedgerColumn("total", "分配总额（元）", "total", "number"),
            LedgerColumn("status", "状态", "status", "choice", PlanStatus.choices),
            LedgerColumn("resolution", "村级决议", "resolution"),
            LedgerColumn("created_by", "编制人", person("created_by")),
        ],
    ),
    "disposals": Ledger(
        key="disposals",
        title=_("Disposal requests"),
        model=DisposalRequest,
        date_field="requested_on",
        filterset_class=DisposalRequestFilterSet,
        columns=[
            *ASSET_COLUMNS,
            LedgerColumn("requested_on", "申请日期", "requested_on", "date"),
            LedgerColumn("reason", "处置原因", "reason", "choice", DisposalReason.choices),
            LedgerColumn("method", "处置方式", "method", "choice", DisposalMethod.choices),
            LedgerColumn("book_value", "账面价值（元）", "book_value", "number"),
            LedgerColumn("status", "状态", "status", "choice", DisposalStatus.choices),
            LedgerColumn("completed_on", "完成日期", "completed_on", "date"),
            LedgerColumn("proceeds", "处置收入（元）", "proceeds", "number"),
            LedgerColumn("requested_by", "申请人", person("requested_by")),
        ],
    ),
}


def label(column: LedgerColumn, value: Any) -> Any:
    """A choice's label and a yes/no in the current language; other values as they are."""
    if column.kind == "choice" and value is not None:
        return str(dict(column.choices).get(value, value))
    if column.kind == "bool" and value is not None:
        return str(_("yes") if value else _("no"))
    return value
