"""Ledgers: the county's tables of records, declared once. A ``Ledger`` names its model, its
columns (``LedgerColumn``: the Chinese header, the value as a field or an ORM expression, its
kind and choices, its Shapefile name, and what an import accepts under it), its date and its
FilterSet. The same declaration serves the HTML list, the exports in every format and the
imports (transfer), so what is exported is exactly what is on screen and what an import reads.

``ASSETS`` is the asset register's ledger (the county layout); ``LISTS`` are the record lists
auditors read beside it: ownership records, maintenance logs, income records, distribution
plans and disposal requests, each scoped through its asset's area. ``project_library()`` (the
county project library, its money columns one per fund source), ``PLAN`` (the year's
implementation plan) and ``TASKS`` (the task list) are the project libraries' (一库一单). A new
ledger is a declaration (and its tests), not new code.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Exists,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    AreaLevel,
    AssetClass,
    AssetForm,
    AssetStatus,
    AssetSubtype,
    BenefitLink,
    DisposalMethod,
    DisposalReason,
    DisposalStatus,
    FundEra,
    InspectionResult,
    MaintenanceKind,
    NetworkType,
    OwnershipKind,
    PlanStatus,
    ProjectCategory,
    ProjectNature,
    ProjectStatus,
    RoadGrade,
    Surface,
)
from registry.filtersets import (
    DisposalRequestFilterSet,
    DistributionPlanFilterSet,
    IncomeRecordFilterSet,
    MaintenanceLogFilterSet,
    OwnershipRecordFilterSet,
    ProjectFilterSet,
    TaskListFilterSet,
)
from registry.models import (
    AdminArea,
    Asset,
    DisposalRequest,
    DistributionPlan,
    FundSource,
    IncomeRecord,
    MaintenanceLog,
    OwnershipRecord,
    Project,
    ProjectFunding,
    TaskListItem,
    User,
)
from registry.scoping import scope_prefix, visible_to

KINDS = ("text", "number", "int", "date", "datetime", "bool", "choice")


@dataclass(frozen=True)
class LedgerColumn:
    """One column of a ledger.

    ``value`` is a field path or an ORM expression (default: the field named ``key``); ``kind``
    is text, number (money, quantities), int, date, datetime (the county's wall-clock time, to
    the minute), bool or choice (shown by the label of ``choices``). ``total``: whether an Excel
    export sums it under the rows (by default the numbers do, whole numbers not: a sum of years
    or distances means nothing, a sum of households does). ``shp`` is its field name in a
    Shapefile (10 characters at most). An import
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
    total: bool | None = None

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        if not self.shp:
            object.__setattr__(self, "shp", self.key)

    @property
    def expression(self) -> Any:
        return _expression(self.key if self.value is None else self.value)

    @property
    def summed(self) -> bool:
        return self.kind == "number" if self.total is None else self.total


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
    # Who sees which rows, when it is not "the area code at scope_field starts with the user's
    # prefix" (projects: any area they touch; the task list: the user's county).
    scope: Callable[[User, QuerySet[Any]], QuerySet[Any]] | None = None

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
        if self.scope is not None:
            return self.scope(user, self.prepare(qs))
        return visible_to(user, self.prepare(qs), code_field=self.scope_field)

    def rows(self, qs: QuerySet[Any], extra: dict[str, Any] | None = None) -> QuerySet[Any]:
        """``qs`` as tuples in column order, computed by PostgreSQL; ``extra`` expressions
        (a geometry for GIS formats) follow the columns."""
        names = {f"c_{c.key}": c.expression for c in self.exported}
        names.update({f"x_{k}": v for k, v in (extra or {}).items()})
        return qs.order_by(*self.ordering).annotate(**names).values_list(*names.keys())

    def filterset(self, data: Any, user: User) -> Any:
        return self.filterset_class(data, queryset=self.queryset(user))


def _expression(value: Any) -> Any:
    return F(value) if isinstance(value, str) else value


_IS_VILLAGE = Q(area__level="village")

# The network attributes an asset carries (registry.models.NetworkLink), in the asset ledger: an
# import writes them through registry.services.network (empty: no network, or unchanged for a
# row that names a registered asset); the length is measured, exported and never read.
NETWORK_COLUMNS = [
    LedgerColumn("network_type", "网络类型", "network__network_type", kind="choice",
                 choices=NetworkType.choices, shp="net_type",
                 aliases=("网络设施类型", "线路类型", "管线类型", "network type"), imported=True,
                 hint=_("For a road, pipe or line (drawn as a line) or a water source (a point): "
                        "from the list. Empty: not part of a network.")),
    LedgerColumn("grade", "道路等级", "network__grade", kind="choice",
                 choices=RoadGrade.choices, shp="road_grade",
                 aliases=("公路等级", "公路技术等级", "技术等级", "road grade"), imported=True,
                 hint=_("Roads only: from the list.")),
    LedgerColumn("surface", "路面", "network__surface", kind="choice", choices=Surface.choices,
                 aliases=("路面类型", "路面材料", "路面结构", "road surface"), imported=True,
                 hint=_("Required for a road. 沥青, 水泥混凝土 and 块石（石板） count as hardened "
                        "(硬化); 砂石 and 土路 do not.")),
    LedgerColumn("width_m", "宽度（米）", "network__width_m", kind="number", shp="width_m",
                 aliases=("宽度", "路面宽度", "路宽", "宽度（m）", "width", "width (m)"),
                 imported=True, hint=_("Metres, up to 2 decimals.")),
    LedgerColumn("built_year", "建成年份", "network__built_year", kind="int", shp="built_year",
                 aliases=("year built",), imported=True,
                 hint=_("The year the road, pipe or line was built, e.g. 2019.")),
    LedgerColumn("length_km", "长度（公里）",
                 Cast(F("network__length_m") / Value(1000.0),
                      DecimalField(max_digits=12, decimal_places=3)),
                 kind="number", shp="length_km"),
]  # fmt: skip

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
        # The network attributes of a road, pipe or line (or a water source): NetworkLink.
        *NETWORK_COLUMNS,
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
    if column.kind == "choice" and isinstance(value, (list, tuple)):
        # An array of choices (a project's benefit links): their labels, in the stored order.
        labels = dict(column.choices)
        return "、".join(str(labels.get(v, v)) for v in value)
    if column.kind == "choice" and value is not None:
        return str(dict(column.choices).get(value, value))
    if column.kind == "bool" and value is not None:
        return str(_("yes") if value else _("no"))
    return value


# --- the project libraries (一库一单, DOMAIN.md 4) ------------------------------------------------
#
# No province's published layout of the county library was at hand: the headers are the plain
# names of the fields that 国乡振发〔2021〕3号 and the provinces' guides ask for (DOMAIN.md 4.1,
# 4.3), one header row, money in yuan like every other ledger of the register. An import also
# reads the names counties commonly use (aliases) and money in 万元 when the header says so.


class _AnyOf(Func):
    """``value = ANY(array)``: an area among a project's areas, which the area-code index
    answers (Django's own lookups would wrap ``ANY(...)`` in brackets)."""

    output_field = BooleanField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        value, array = self.get_source_expressions()
        value_sql, value_params = compiler.compile(value)
        array_sql, array_params = compiler.compile(array)
        return f"{value_sql} = ANY({array_sql})", (*value_params, *array_params)


def _village_names() -> Any:
    """The names of the villages a project touches (its ``area_codes``), in code order."""
    villages = (
        AdminArea.objects.filter(_AnyOf(F("code"), OuterRef("area_codes")))
        .filter(level=AreaLevel.VILLAGE)
        .order_by()
        .values("level")
        .annotate(names=StringAgg("name", delimiter="、", order_by="code"))
        .values("names")[:1]
    )
    return Subquery(villages, output_field=CharField())


def _lead_township() -> Any:
    """The township the project is led from (the village's township; none for the county)."""
    return Case(
        When(area__level=AreaLevel.VILLAGE, then=F("area__parent__name")),
        When(area__level=AreaLevel.TOWNSHIP, then=F("area__name")),
        default=Value(""),
        output_field=CharField(),
    )


def _planned(**condition: Any) -> Any:
    return Sum("funding__planned", filter=Q(**condition) if condition else None)


def _actual(**condition: Any) -> Any:
    return Sum("funding__actual", filter=Q(**condition) if condition else None)


def project_scope(user: User, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Projects the user sees: those touching an area of theirs (registry.selectors)."""
    from registry.selectors.projects import project_scope as scope

    return scope(user=user, qs=qs)


def county_scope(user: User, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Rows of the user's county (the task list is the county's, read by all its staff)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    return qs if prefix == "" else qs.filter(county_code=prefix[:6])


def funding_sources() -> list[FundSource]:
    """The fund sources a library's money columns show: the active ones and every one that a
    project's funding names (a source retired since keeps its column, so the columns add up
    to the total)."""
    used = ProjectFunding.objects.filter(source=OuterRef("pk"))
    return list(
        FundSource.objects.filter(Q(active=True) | Exists(used)).order_by("sort_order", "code")
    )


# Other names of each fund source's column in the counties' own tables (by its code).
FUNDING_ALIASES: dict[str, tuple[str, ...]] = {
    "central_bridging": ("中央衔接资金", "中央财政衔接资金", "中央财政衔接推进乡村振兴补助资金"),
    "provincial": ("省级衔接资金", "省级资金", "省级财政衔接资金"),
    "municipal": ("市级衔接资金", "市级资金", "市级财政衔接资金"),
    "county": ("县级衔接资金", "县级资金", "县级财政衔接资金", "区县级资金"),
    "integrated": ("整合资金", "统筹整合资金", "涉农整合资金"),
    "sector": ("行业部门资金", "行业资金"),
    "local_bonds": ("债券资金", "地方政府专项债券"),
    "east_west": ("东西部协作", "东西部协作资金"),
    "designated": ("定点帮扶", "定点帮扶资金"),
    "donations": ("社会捐赠资金", "社会帮扶资金"),
    "self_raised": ("自筹资金", "群众自筹资金", "自筹"),
    "other": ("其他资金",),
}


def funding_column(source: FundSource) -> LedgerColumn:
    """A fund source's planned amount as a column of the library."""
    return LedgerColumn(
        f"planned_{source.code}",
        f"其中：{source.name}（元）",
        _planned(funding__source_id=source.pk),
        "number",
        shp=f"plan_{source.code}"[:10],
        aliases=(source.name, f"{source.name}（元）", *FUNDING_ALIASES.get(source.code, ())),
        imported=True,
        hint=_("Planned yuan from this source; empty keeps what is recorded."),
    )


PROJECT_AREA_COLUMNS = [
    LedgerColumn("township", "乡镇（街道）", _lead_township(), aliases=("乡镇", "实施乡镇"),
                 imported=True, hint=_("Name, if you do not give the area code.")),
    LedgerColumn("villages", "村（社区）", _village_names(), shp="villages",
                 aliases=("村", "行政村", "实施村", "涉及村", "村名"), imported=True,
                 hint=_("The villages it touches, separated by 、; the first leads it unless the "
                        "area code says otherwise.")),
]  # fmt: skip


def project_library(sources: list[FundSource] | None = None) -> Ledger:
    """The county project library (项目库) in the county layout: every project of both
    libraries with its place, content, period, who carries it out, planned investment by fund
    source, direction, beneficiaries, benefit links, expected ownership and income, stage and
    years. Built when it is used: the money columns follow the fund sources configured
    (``funding_sources``)."""
    sources = funding_sources() if sources is None else sources
    return Ledger(
        key="projects",
        title=_("Project library"),
        model=Project,
        filterset_class=ProjectFilterSet,
        scope=project_scope,
        order_by=("code",),
        columns=[
            LedgerColumn("code", "项目编号", aliases=("项目代码", "项目库编号", "入库编号"),
                         imported=True,
                         hint=_("Empty: a new project. Filled: changes that project.")),
            LedgerColumn("name", "项目名称", imported=True, required=True,
                         hint=_("Required.")),
            LedgerColumn("in_construction_library", "乡村建设项目库", kind="bool",
                         shp="lib_constr", aliases=("入乡村建设项目库", "是否乡村建设项目"),
                         imported=True, hint=_("是 or 否.")),
            LedgerColumn("in_bridging_library", "巩固衔接项目库", kind="bool", shp="lib_bridge",
                         aliases=("巩固拓展脱贫攻坚成果和乡村振兴项目库", "衔接资金项目库",
                                  "入巩固衔接项目库"),
                         imported=True, hint=_("是 or 否; 是 when both are empty.")),
            LedgerColumn("category", "项目类别", kind="choice", choices=ProjectCategory.choices,
                         aliases=("项目类型", "一级项目类型"), imported=True, required=True,
                         hint=_("Required. Choose from the list.")),
            LedgerColumn("subcategory", "项目子类", shp="subcat",
                         aliases=("二级项目类型", "项目子类型", "子类"), imported=True),
            LedgerColumn("nature", "建设性质", kind="choice", choices=ProjectNature.choices,
                         imported=True, hint=_("新建 when empty.")),
            *PROJECT_AREA_COLUMNS,
            LedgerColumn("area_code", "区划代码", shp="area_code",
                         aliases=("行政区划代码", "统计用区划代码", "主导区划代码"),
                         imported=True,
                         hint=_("12-digit code of the area that leads it.")),
            LedgerColumn("area_codes", "涉及区划代码",
                         Func(F("area_codes"), Value("、"), function="array_to_string",
                              output_field=CharField()),
                         shp="areas", aliases=("涉及区划",), imported=True,
                         hint=_("Every area it touches, separated by 、.")),
            LedgerColumn("content", "建设内容", aliases=("建设内容及规模", "主要建设内容",
                                                     "项目内容"), imported=True),
            LedgerColumn("scale", "建设规模", aliases=("规模",), imported=True),
            LedgerColumn("period_start", "计划开工日期", kind="date", shp="start",
                         aliases=("计划开工时间", "开工时间", "实施期限起"), imported=True),
            LedgerColumn("period_end", "计划完工日期", kind="date", shp="end",
                         aliases=("计划完工时间", "完工时间", "实施期限止"), imported=True),
            LedgerColumn("implementing_unit", "实施单位", shp="unit",
                         aliases=("项目实施单位", "建设单位"), imported=True),
            LedgerColumn("responsible_person", "责任人", shp="person",
                         aliases=("项目负责人", "负责人"), imported=True),
            LedgerColumn("planned_total", "计划总投资（元）", Coalesce(_planned(), Decimal(0)),
                         "number", shp="planned",
                         aliases=("计划投资", "总投资", "项目总投资", "计划投资合计"),
                         imported=True,
                         hint=_("Checked against the sum of the fund sources.")),
            *[funding_column(source) for source in sources],
            LedgerColumn("fund_direction", "资金投向", "fund_direction__name", shp="direction",
                         aliases=("支出方向", "资金支出方向"), imported=True,
                         hint=_("A direction of the positive list (支出方向).")),
            LedgerColumn("beneficiary_households", "受益户数", kind="int", shp="benef_hh",
                         imported=True),
            LedgerColumn("beneficiary_persons", "受益人数", kind="int", shp="benef_pers",
                         aliases=("受益人口数", "受益人口"), imported=True),
            LedgerColumn("beneficiary_exited_households", "其中脱贫户", kind="int",
                         shp="exited_hh", aliases=("受益脱贫户数", "脱贫户数"), imported=True),
            LedgerColumn("beneficiary_monitored_households", "其中监测户", kind="int",
                         shp="monitor_hh",
                         aliases=("监测户数", "监测对象户数", "受益监测对象户数"), imported=True),
            LedgerColumn("benefit_links", "联农带农机制", kind="choice",
                         choices=BenefitLink.choices, shp="links",
                         aliases=("利益联结机制", "联农带农方式"), imported=True,
                         hint=_("From the list, separated by 、.")),
            LedgerColumn("expected_ownership", "预计资产归属", shp="ownership",
                         aliases=("资产权属", "产权归属", "预期资产归属"), imported=True),
            LedgerColumn("expected_income", "预期收益", shp="income",
                         aliases=("预计收益", "预期年收益"), imported=True),
            LedgerColumn("status", "项目阶段", kind="choice", choices=ProjectStatus.choices,
                         aliases=("项目状态", "当前阶段"), imported=True,
                         hint=_("申报 when empty; a later stage only for the county's approver.")),
            LedgerColumn("year", "入库年度", kind="int", aliases=("项目库年度", "库年度"),
                         imported=True, required=True, hint=_("Required, e.g. 2025.")),
            LedgerColumn("plan_year", "计划年度", kind="int", shp="plan_year",
                         aliases=("实施年度", "年度计划"), imported=True,
                         hint=_("For a project in the year's plan.")),
        ],
    )  # fmt: skip


def _in_a_plan(qs: QuerySet[Any]) -> QuerySet[Any]:
    from registry.selectors.projects import PLANNED_OR_LATER

    return qs.filter(plan_year__isnull=False, status__in=PLANNED_OR_LATER)


# The year's implementation plan (年度实施计划): the projects picked from the library for a year,
# with what they were to cost and what they cost (bridging funds: 衔接资金 of every level).
PLAN = Ledger(
    key="plan",
    title=_("Annual implementation plan"),
    model=Project,
    filterset_class=ProjectFilterSet,
    scope=project_scope,
    prepare=_in_a_plan,
    order_by=("plan_year", "code"),
    columns=[
        LedgerColumn("plan_year", "计划年度", kind="int"),
        LedgerColumn("code", "项目编号"),
        LedgerColumn("name", "项目名称"),
        LedgerColumn("category", "项目类别", kind="choice", choices=ProjectCategory.choices),
        LedgerColumn("nature", "建设性质", kind="choice", choices=ProjectNature.choices),
        *PROJECT_AREA_COLUMNS,
        LedgerColumn("content", "建设内容"),
        LedgerColumn("scale", "建设规模"),
        LedgerColumn("implementing_unit", "实施单位"),
        LedgerColumn("responsible_person", "责任人"),
        LedgerColumn("period_start", "计划开工日期", kind="date"),
        LedgerColumn("period_end", "计划完工日期", kind="date"),
        LedgerColumn("planned_total", "计划投资（元）", Coalesce(_planned(), Decimal(0)), "number"),
        LedgerColumn("planned_bridging", "其中：衔接资金（元）",
                     Coalesce(_planned(funding__source__bridging=True), Decimal(0)), "number"),
        LedgerColumn("actual_total", "实际投资（元）", _actual(), "number"),
        LedgerColumn("actual_bridging", "其中：衔接资金实际（元）",
                     _actual(funding__source__bridging=True), "number"),
        LedgerColumn("status", "项目阶段", kind="choice", choices=ProjectStatus.choices),
        LedgerColumn("task", "所属建设任务", "task__task"),
        LedgerColumn("fund_direction", "资金投向", "fund_direction__name"),
        LedgerColumn("beneficiary_households", "受益户数", kind="int"),
        LedgerColumn("beneficiary_exited_households", "其中脱贫户", kind="int"),
        LedgerColumn("beneficiary_monitored_households", "其中监测户", kind="int"),
    ],
)  # fmt: skip

# The county's yearly rural-construction task list (乡村建设任务清单) with the basic elements of
# 《乡村建设任务清单管理指引（试行）》 (DOMAIN.md 4.3) and the progress kept on it.
TASKS = Ledger(
    key="tasks",
    title=_("Task list"),
    model=TaskListItem,
    filterset_class=TaskListFilterSet,
    scope=county_scope,
    order_by=("year", "id"),
    columns=[
        LedgerColumn("year", "年度", kind="int"),
        LedgerColumn("task", "年度建设任务名称"),
        LedgerColumn("department", "责任部门"),
        LedgerColumn("target", "建设目标"),
        LedgerColumn("content", "建设内容"),
        LedgerColumn("standard", "建设标准"),
        LedgerColumn("scale", "建设规模"),
        LedgerColumn("fund_source", "资金来源"),
        LedgerColumn("progress", "进度（%）", kind="int"),
        LedgerColumn("progress_note", "进度说明"),
    ],
)


# --- relocation sites (易地扶贫搬迁安置点, DOMAIN.md 5) -------------------------------------------
#
# The headers are the names 易地扶贫搬迁 ledgers use (安置点名称, 安置类别, 建档立卡/同步搬迁 户数
# and 人数, 拆旧复垦); the position as longitude/latitude text (a totals row must not add them up),
# the outline in a GeoPackage's geometry.


def _site_open_problems() -> Any:
    from registry.selectors.sites import open_problems_count

    return Coalesce(open_problems_count(), 0)


def _coordinate(function: str) -> Any:
    """The site point's longitude or latitude to six decimals (about 0.1 m), as text."""
    from django.db.models import DecimalField, FloatField

    # numeric(11, 6) rounds to the sixth decimal itself.
    number = Func("point", function=function, output_field=FloatField())
    return Cast(Cast(number, DecimalField(max_digits=11, decimal_places=6)), CharField())


def _site_scope(user: User, qs: QuerySet[Any]) -> QuerySet[Any]:
    return visible_to(user, qs, code_field="area_code")


def _sites_ledger() -> Ledger:
    from registry.choices import ReclamationStatus, SiteMode, SiteScale, SiteType
    from registry.filtersets.sites import SiteFilterSet
    from registry.models import RelocationSite

    return Ledger(
        key="sites",
        title=_("Relocation sites"),
        model=RelocationSite,
        filterset_class=SiteFilterSet,
        scope=_site_scope,
        order_by=("code",),
        columns=[
            LedgerColumn("code", "安置点编号", aliases=("编号", "安置点代码"), imported=True,
                         hint=_("Empty: a new site. Filled: changes that site.")),
            LedgerColumn("name", "安置点名称", aliases=("名称", "安置区名称", "安置点"),
                         imported=True, required=True, hint=_("Required for a new site.")),
            LedgerColumn("site_type", "安置类别", kind="choice", choices=SiteType.choices,
                         shp="site_type", aliases=("安置类型", "安置点类型", "安置方式类别"),
                         imported=True, required=True, hint=_("Required. Choose from the list.")),
            LedgerColumn("mode", "集中或分散", kind="choice", choices=SiteMode.choices),
            LedgerColumn("township", "乡镇（街道）", "area__parent__name",
                         aliases=("乡镇", "所在乡镇"), imported=True,
                         hint=_("Name, if you do not give the area code.")),
            LedgerColumn("village", "村（社区）", "area__name",
                         aliases=("村", "行政村", "所在村", "所在村（社区）"), imported=True,
                         hint=_("Name, if you do not give the area code.")),
            LedgerColumn("area_code", "区划代码",
                         aliases=("行政区划代码", "统计用区划代码", "村代码"), imported=True,
                         hint=_("12-digit code of the village or community.")),
            LedgerColumn("community_code", "安置社区代码", "community__code", shp="comm_code",
                         aliases=("社区代码", "安置社区区划代码"), imported=True,
                         hint=_("Optional: the 12-digit code of the community the site became.")),
            LedgerColumn("registered_households", "建档立卡搬迁户数", kind="int", shp="reg_hh",
                         total=True, aliases=("建档立卡户数", "建档立卡贫困户数"), imported=True),
            LedgerColumn("registered_persons", "建档立卡搬迁人数", kind="int", shp="reg_pers",
                         total=True, aliases=("建档立卡人数", "建档立卡贫困人口"), imported=True),
            LedgerColumn("alongside_households", "同步搬迁户数", kind="int", shp="along_hh",
                         total=True, imported=True),
            LedgerColumn("alongside_persons", "同步搬迁人数", kind="int", shp="along_pers",
                         total=True, imported=True),
            LedgerColumn("households", "搬迁总户数", kind="int", shp="households", total=True),
            LedgerColumn("persons", "搬迁总人数", kind="int", shp="persons", total=True),
            LedgerColumn("scale", "安置规模", kind="choice", choices=SiteScale.choices),
            LedgerColumn("housing_units", "安置住房套数", kind="int", shp="housing",
                         total=True, aliases=("住房套数", "安置房套数"), imported=True),
            LedgerColumn("floor_area_m2", "住房建筑面积（平方米）", kind="number", shp="floor_m2",
                         aliases=("建筑面积", "住房面积", "建筑面积（平方米）"), imported=True),
            LedgerColumn("built_from", "建设起始年份", kind="int", shp="built_from",
                         aliases=("开工年份", "建设年份"), imported=True),
            LedgerColumn("built_to", "建设完成年份", kind="int", shp="built_to",
                         aliases=("竣工年份", "建成年份"), imported=True),
            LedgerColumn("moved_in_on", "搬迁入住日期", kind="date", shp="moved_in",
                         aliases=("入住日期", "入住时间"), imported=True),
            LedgerColumn("reclamation", "拆旧复垦", kind="choice",
                         choices=ReclamationStatus.choices, shp="reclaim",
                         aliases=("拆旧复垦情况", "拆旧复垦状态"), imported=True,
                         hint=_("未开始 when empty.")),
            LedgerColumn("open_problems", "未解决问题数", _site_open_problems(), kind="int",
                         total=True, shp="open_probs"),
            LedgerColumn("lon", "经度", _coordinate("ST_X"), aliases=("longitude", "lng"),
                         imported=True,
                         hint=_("Longitude (CGCS2000) of the site; a GeoPackage's outline "
                                "gives it too.")),
            LedgerColumn("lat", "纬度", _coordinate("ST_Y"), aliases=("latitude",),
                         imported=True, hint=_("Latitude (CGCS2000).")),
            LedgerColumn("note", "备注", aliases=("说明",), imported=True),
        ],
    )  # fmt: skip


# The relocation sites' ledger: the site list, its exports (Excel, CSV, GeoPackage) and imports.
SITES = _sites_ledger()
