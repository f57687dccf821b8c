"""Demo project libraries (一库一单) for the demo county, consistent with the demo register:
villages' construction needs, projects in every stage with their funding, performance targets
and steps, the yearly rural-construction task list, and the assets the handed-over projects
formed. All marked synthetic.

``generate_projects(count=P, seed=S, asset_ids=[...])`` runs inside ``generate_register`` (so
``make run`` and the tests' registers get it; P is a tenth of the assets unless told). It
chooses, among the register's assets formed from 2021 on (the 帮扶 era), groups of one village,
year and kind as the works of handed-over projects: each such asset points to its project
(``source_project``, ``source_share``), and the project's actual investment per fund source is
the sum of its assets' funding lines, so that its total is the sum of their original values.
The other projects are the library's open pipeline (proposed ... accepted, carried over) and
the projects that were refused or withdrawn. The same seed, asset ids and day give the same
projects (dates count back from the day, so that nothing lies in the future).

Who took the steps (the demo has one village account and one township account):
- village acts (a need entered, posted, sent up): ``village_clerk`` in 向东村; elsewhere the
  county's asset manager ``manager``, recording for villages without an account;
- township acts (needs reviewed, projects proposed and reviewed by the township):
  ``township_manager`` in 龙驹镇; elsewhere the county approver ``approver``, recording for the
  township (the step's reason says so);
- county acts (appraisal, approval, plan, works, handover, evaluation, archive, carry-over,
  withdrawal): ``approver``.

``bulk_load_projects(projects=N)`` is the benchmarks' mode: the same projects, steps, funding
and targets written with COPY (no needs, no asset links, no row history).
"""

import datetime
import io
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pghistory
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, MultiPoint, Point
from django.db import connection, models, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone

from registry.choices import (
    AreaLevel,
    AssetStatus,
    AssetSubtype,
    BenefitLink,
    MeetingKind,
    NeedCategory,
    NeedStatus,
    ProjectCategory,
    ProjectNature,
    ProjectStatus,
    ProjectStepKind,
    TargetKind,
)
from registry.models import (
    AdminArea,
    Asset,
    AssetFunding,
    ConstructionNeed,
    FundSource,
    FundUse,
    PerformanceTarget,
    Project,
    ProjectFunding,
    ProjectStep,
    TaskListItem,
    User,
)
from registry.services.projects import COUNTY_CHECKS, TOWNSHIP_CHECKS

FIRST_YEAR = 2021  # the 帮扶 era: the project libraries start with the bridging funds
CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")  # Asset.source_share has four decimals
MAX_ASSETS_PER_PROJECT = 5

# Steps of a project's life, in order: (step, from, to).
S, K = ProjectStatus, ProjectStepKind
MAIN: list[tuple[str, str, str]] = [
    (K.PROPOSE, "", S.PROPOSED),
    (K.TOWNSHIP_REVIEW, S.PROPOSED, S.TOWNSHIP_REVIEWED),
    (K.COUNTY_APPRAISE, S.TOWNSHIP_REVIEWED, S.APPRAISED),
    (K.APPROVE, S.APPRAISED, S.IN_LIBRARY),
    (K.PLAN, S.IN_LIBRARY, S.PLANNED),
    (K.START, S.PLANNED, S.IN_PROGRESS),
    (K.COMPLETE, S.IN_PROGRESS, S.COMPLETED),
    (K.ACCEPT, S.COMPLETED, S.ACCEPTED),
    (K.HAND_OVER, S.ACCEPTED, S.HANDED_OVER),
    (K.EVALUATE, S.HANDED_OVER, S.EVALUATED),
    (K.ARCHIVE, S.EVALUATED, S.ARCHIVED),
]
MAIN_STATUSES = [to for _k, _f, to in MAIN]
FINISHED = [S.HANDED_OVER, S.EVALUATED, S.ARCHIVED]
# Where a demo project ends: a status of the main line, or one of these.
CARRIED, REJECTED_TOWNSHIP, REJECTED_COUNTY, WITHDRAWN = (
    "carried",
    "rejected_township",
    "rejected_county",
    "withdrawn",
)
# Share of the demo projects in each outcome; the finished ones are formed from assets.
OUTCOME_WEIGHTS: dict[str, float] = {
    S.ARCHIVED: 0.22,
    S.EVALUATED: 0.14,
    S.HANDED_OVER: 0.12,
    S.PROPOSED: 0.06,
    S.TOWNSHIP_REVIEWED: 0.04,
    S.APPRAISED: 0.04,
    S.IN_LIBRARY: 0.05,
    CARRIED: 0.04,
    S.PLANNED: 0.05,
    S.IN_PROGRESS: 0.08,
    S.COMPLETED: 0.04,
    S.ACCEPTED: 0.04,
    REJECTED_TOWNSHIP: 0.03,
    REJECTED_COUNTY: 0.02,
    WITHDRAWN: 0.03,
}
# Days between a step and the one before it (the plan and the carry-over follow the calendar).
GAPS: dict[str, tuple[int, int]] = {
    K.TOWNSHIP_REVIEW: (5, 25),
    K.COUNTY_APPRAISE: (10, 35),
    K.APPROVE: (7, 30),
    K.START: (10, 45),
    K.COMPLETE: (60, 240),
    K.ACCEPT: (7, 30),
    K.HAND_OVER: (5, 30),
    K.EVALUATE: (60, 200),
    K.ARCHIVE: (30, 120),
    K.REJECT: (5, 30),
    K.WITHDRAW: (30, 200),
}

# The kinds of rural construction (乡村建设): the task of the year's list each belongs to, its
# department and standard, the need categories villages raise for it, and project names.
FAMILIES: dict[str, dict[str, Any]] = {
    "road": {
        "task": "农村公路建设",
        "department": "区交通运输局",
        "standard": "路基宽度不低于4.5米，水泥混凝土路面，设置必要的安全防护设施",
        "needs": [NeedCategory.RURAL_ROAD, NeedCategory.VILLAGE_ROAD],
        "names": ["通组公路硬化", "产业路新建", "村内道路硬化及路灯安装", "便民桥新建"],
        "unit": ("新（改）建道路长度", "km"),
        "linear": True,
    },
    "water": {
        "task": "农村供水保障",
        "department": "区水利局",
        "standard": "供水水质达到《生活饮用水卫生标准》，集中供水率不低于90%",
        "needs": [NeedCategory.WATER],
        "names": ["集中供水管网延伸", "人饮工程提升改造", "山坪塘整治", "灌溉渠道维修"],
        "unit": ("新建管网长度", "km"),
        "linear": True,
    },
    "power": {
        "task": "农村电网与通信网络巩固提升",
        "department": "区经济信息委",
        "standard": "户均配变容量不低于2.5千伏安，行政村5G网络覆盖",
        "needs": [NeedCategory.POWER, NeedCategory.TELECOM, NeedCategory.GAS],
        "names": ["农网线路改造", "5G基站及光纤入户", "天然气管道入户"],
        "unit": ("改造线路长度", "km"),
        "linear": True,
    },
    "sanitation": {
        "task": "农村人居环境整治",
        "department": "区农业农村委",
        "standard": "卫生厕所普及率不低于85%，生活垃圾收运处置体系行政村全覆盖",
        "needs": [NeedCategory.SANITATION, NeedCategory.VILLAGE_LOOK],
        "names": ["生活污水处理设施建设", "户厕改造", "垃圾收集点建设", "村容村貌整治"],
        "unit": ("建成设施", "处"),
        "linear": False,
    },
    "services": {
        "task": "农村公共服务设施建设",
        "department": "区卫生健康委",
        "standard": "村卫生室、村级互助养老服务点达到建设标准",
        "needs": [NeedCategory.CARE, NeedCategory.LOGISTICS, NeedCategory.OTHER],
        "names": ["村卫生室标准化建设", "互助养老服务点建设", "村级寄递物流服务点建设"],
        "unit": ("建成设施", "处"),
        "linear": False,
    },
}
# A need's title by its category, so that a need named 天然气管道入户 is filed under 燃气.
NEED_TITLES: dict[str, list[str]] = {
    NeedCategory.RURAL_ROAD: ["通组公路硬化", "产业路新建", "便民桥新建"],
    NeedCategory.VILLAGE_ROAD: ["村内道路硬化及路灯安装", "入户便道硬化"],
    NeedCategory.WATER: ["集中供水管网延伸", "人饮工程提升改造", "山坪塘整治", "灌溉渠道维修"],
    NeedCategory.POWER: ["农网线路改造", "台区变压器增容"],
    NeedCategory.TELECOM: ["5G基站及光纤入户"],
    NeedCategory.GAS: ["天然气管道入户"],
    NeedCategory.SANITATION: ["生活污水处理设施建设", "户厕改造", "垃圾收集点建设"],
    NeedCategory.VILLAGE_LOOK: ["村容村貌整治", "公共空间治理"],
    NeedCategory.CARE: ["村卫生室标准化建设", "互助养老服务点建设"],
    NeedCategory.LOGISTICS: ["村级寄递物流服务点建设"],
    NeedCategory.INDUSTRY: ["产业路及生产便道建设"],
    NeedCategory.OTHER: ["便民服务中心改造"],
}
SUBTYPE_FAMILY: dict[str, str] = {
    AssetSubtype.ROAD: "road",
    AssetSubtype.BRIDGE: "road",
    AssetSubtype.IRRIGATION: "water",
    AssetSubtype.WATER_SUPPLY: "water",
    AssetSubtype.WATERSHED: "water",
    AssetSubtype.HOUSEHOLD_WATER: "water",
    AssetSubtype.POWER: "power",
    AssetSubtype.NETWORK: "power",
    AssetSubtype.SANITATION: "sanitation",
    AssetSubtype.TOILET: "sanitation",
    AssetSubtype.PUBLIC_SERVICE: "services",
    AssetSubtype.VILLAGE_HALL: "services",
}
SUBTYPE_CATEGORY: dict[str, str] = {
    **dict.fromkeys(SUBTYPE_FAMILY, ProjectCategory.CONSTRUCTION),
    AssetSubtype.RELOCATION_FACILITY: ProjectCategory.RELOCATION,
    AssetSubtype.RELOCATION_HOUSING: ProjectCategory.RELOCATION,
    AssetSubtype.HOUSE_RENOVATION: ProjectCategory.GUARANTEES,
    AssetSubtype.WORKSHOP: ProjectCategory.EMPLOYMENT,
}  # every other sub-type: industry development
CATEGORY_USE: dict[str, str] = {
    ProjectCategory.INDUSTRY: "specialty_industry",
    ProjectCategory.EMPLOYMENT: "work_relief",
    ProjectCategory.CONSTRUCTION: "small_infrastructure",
    ProjectCategory.RELOCATION: "relocation_support",
    ProjectCategory.GUARANTEES: "monitoring",
    ProjectCategory.OTHER: "special_groups",
}
SUBCATEGORY: dict[str, str] = {
    ProjectCategory.INDUSTRY: "种养殖加工服务",
    ProjectCategory.EMPLOYMENT: "就业帮扶车间",
    ProjectCategory.CONSTRUCTION: "农村基础设施",
    ProjectCategory.RELOCATION: "安置点配套设施",
    ProjectCategory.GUARANTEES: "住房和饮水安全保障",
    ProjectCategory.OTHER: "其他",
}
PIPELINE_NAMES: dict[str, list[str]] = {
    ProjectCategory.INDUSTRY: ["柑橘产业基地提质增效", "冷链仓储设施建设", "村级光伏电站建设",
                               "中药材种植基地建设", "农产品初加工厂建设"],
    ProjectCategory.EMPLOYMENT: ["就业帮扶车间建设", "以工代赈产业路建设"],
    ProjectCategory.RELOCATION: ["安置点配套设施完善", "安置社区“一站式”服务中心建设"],
    ProjectCategory.GUARANTEES: ["农村危房改造", "饮水安全巩固提升"],
    ProjectCategory.OTHER: ["少数民族特色村寨保护"],
}  # fmt: skip
# The mix of the open pipeline's categories (rural construction first, as in DOMAIN.md 4.1).
PIPELINE_CATEGORIES: list[tuple[str, float]] = [
    (ProjectCategory.CONSTRUCTION, 0.5),
    (ProjectCategory.INDUSTRY, 0.3),
    (ProjectCategory.EMPLOYMENT, 0.07),
    (ProjectCategory.RELOCATION, 0.05),
    (ProjectCategory.GUARANTEES, 0.06),
    (ProjectCategory.OTHER, 0.02),
]
# Sources a proposal plans besides the central bridging funds.
OTHER_SOURCES = ["provincial", "municipal", "county", "integrated", "east_west", "designated",
                 "local_bonds", "self_raised"]  # fmt: skip
TOWNSHIP_REFUSALS = [
    "项目选址涉及基本农田，用地手续无法落实，不予通过。",
    "与已入库项目内容重复，不予通过。",
    "群众受益面窄，联农带农机制不明确，不予通过。",
]
COUNTY_REFUSALS = [
    "投资估算依据不足，建设内容与资金规模不匹配，暂不入库。",
    "前期工作不充分，实施条件不具备，暂不入库。",
]
WITHDRAWALS = [
    "村民意愿发生变化，经村民代表大会决议不再实施，出库。",
    "建设内容已由行业部门项目覆盖，避免重复投入，出库。",
    "选址地质条件不满足建设要求，出库。",
]
NEED_REFUSALS = [
    "需求与村庄规划不符，暂不纳入。",
    "受益户数过少，建议通过其他渠道解决。",
    "已列入行业部门建设计划，不重复申报。",
]
CONTRACTORS = ["重庆万川建设工程有限公司", "重庆三峡路桥建设有限公司", "万州区平湖水利工程有限公司",
               "重庆渝东农业开发有限公司", "重庆峡江电力工程有限公司"]  # fmt: skip
NEGATIVE_USE = "office_buildings"  # 修建楼堂馆所及党政机关办公用房 (migration 0016)
PEOPLE = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "国华建明秀兰军平德福志强玉英春梅文海燕成忠"


@dataclass
class ProjectSummary:
    projects: int = 0
    needs: int = 0
    steps: int = 0
    tasks: int = 0
    formed_assets: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class _Step:
    kind: str
    from_status: str
    to_status: str
    on: datetime.date
    at: datetime.datetime
    actor: User | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    """A project as the generator builds it in memory, before it is written."""

    project: Project
    family: str | None
    path: list[tuple[str, str, str]]
    dates: list[datetime.date]
    planned: dict[str, Decimal] = field(default_factory=dict)  # fund-source code -> yuan
    actual: dict[str, Decimal] = field(default_factory=dict)
    targets: list[PerformanceTarget] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    needs: list[ConstructionNeed] = field(default_factory=list)
    formed: list[tuple[int, Decimal]] = field(default_factory=list)  # asset id, share (%)
    asset_codes: list[str] = field(default_factory=list)


@dataclass
class _Actors:
    """The demo accounts that take the steps (see the module's docstring)."""

    county: User
    county_editor: User
    township: User | None
    village: User | None

    def for_village(self, code: str) -> User:
        if self.village is not None and code == self.village_code():
            return self.village
        return self.county_editor

    def for_township(self, code: str) -> User:
        prefix = self.township_prefix()
        if self.township is not None and prefix and code.startswith(prefix):
            return self.township
        return self.county

    def records_for_township(self, code: str) -> bool:
        return self.for_township(code) is self.county

    def township_prefix(self) -> str | None:
        if self.township is None or self.township.area is None:
            return None
        return self.township.area.scope_prefix

    def village_code(self) -> str | None:
        if self.village is None or self.village.area is None:
            return None
        return self.village.area.code


def _actors() -> _Actors:
    users = {u.username: u for u in User.objects.select_related("area").filter(is_active=True)}
    fallback = (
        User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.order_by("pk").first()
    )
    assert fallback is not None, "load the demo county (and its accounts) first"
    county = users.get("approver", fallback)
    return _Actors(
        county=county,
        county_editor=users.get("manager", county),
        township=users.get("township_manager"),
        village=users.get("village_clerk"),
    )


@dataclass
class _Place:
    """What the generator needs of the county: its villages with a point, by township."""

    villages: list[AdminArea]
    neighbours: dict[int, list[AdminArea]]
    county_code: str

    @classmethod
    def load(cls) -> "_Place":
        villages = list(
            AdminArea.objects.filter(level=AreaLevel.VILLAGE, point__isnull=False)
            .select_related("parent")
            .order_by("code")
        )
        neighbours: dict[int, list[AdminArea]] = {}
        for v in villages:
            neighbours.setdefault(v.parent_id or 0, []).append(v)
        county = villages[0].county_code if villages else ""
        return cls(villages, neighbours, county)


def _person(rng: random.Random) -> str:
    return rng.choice(PEOPLE) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _at(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A time of the working day on ``day``, in the county's time zone."""
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _money(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("1"))


def _path(outcome: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """The steps a project ending in ``outcome`` went through."""
    if outcome in MAIN_STATUSES:
        return MAIN[: MAIN_STATUSES.index(outcome) + 1]
    if outcome == CARRIED:
        return [*MAIN[:4], (K.CARRY_OVER, S.IN_LIBRARY, S.IN_LIBRARY)]
    if outcome == REJECTED_TOWNSHIP:
        return [MAIN[0], (K.REJECT, S.PROPOSED, S.REJECTED)]
    if outcome == REJECTED_COUNTY:
        return [*MAIN[:2], (K.REJECT, S.TOWNSHIP_REVIEWED, S.REJECTED)]
    if outcome == WITHDRAWN:
        before = MAIN[:5] if rng.random() < 0.3 else MAIN[:4]
        return [*before, (K.WITHDRAW, before[-1][2], S.WITHDRAWN)]
    raise ValueError(outcome)


def _next_day(rng: random.Random, kind: str, before: datetime.date, year: int) -> datetime.date:
    if kind == K.PLAN:
        return max(before + datetime.timedelta(days=3), datetime.date(year, 1, 5)) + (
            datetime.timedelta(days=rng.randint(0, 50))
        )
    if kind == K.CARRY_OVER:
        return max(
            before + datetime.timedelta(days=3), datetime.date(year, 12, rng.randint(10, 28))
        )
    low, high = GAPS[kind]
    return before + datetime.timedelta(days=rng.randint(low, high))


def _timeline(
    rng: random.Random, path: list[tuple[str, str, str]], year: int, today: datetime.date
) -> tuple[int, list[datetime.date]] | None:
    """Dates of ``path`` for a project of the library year ``year`` (proposed in the autumn
    before it, planned in its first months); a year earlier each time the last step would not
    lie before ``today``. None if no year from 2021 on fits."""
    for library_year in range(year, FIRST_YEAR - 1, -1):
        day = datetime.date(library_year - 1, 9, 1) + datetime.timedelta(days=rng.randint(0, 45))
        dates = [day]
        for kind, _from, _to in path[1:]:
            day = _next_day(rng, kind, day, library_year)
            dates.append(day)
        if dates[-1] < today:
            return library_year, dates
    return None


def _anchored_timeline(
    rng: random.Random, path: list[tuple[str, str, str]], first: datetime.date,
    last: datetime.date,
) -> list[datetime.date] | None:  # fmt: skip
    """Dates of a handed-over project's ``path`` whose works formed assets from ``first`` to
    ``last``: completed before the first was formed, accepted by the last, handed over on the
    last; None when the year leaves no time to build it."""
    year = first.year
    day = datetime.date(year - 1, 9, 1) + datetime.timedelta(days=rng.randint(0, 45))
    dates = [day]
    for kind, _from, _to in path[1:]:
        if kind == K.PLAN:
            day = max(day + datetime.timedelta(days=3), datetime.date(year, 1, 5))
            day += datetime.timedelta(days=rng.randint(0, 20))
        elif kind == K.START:
            day += datetime.timedelta(days=rng.randint(10, 30))
        elif kind == K.COMPLETE:
            low = max(day + datetime.timedelta(days=20), first - datetime.timedelta(days=120))
            high = first - datetime.timedelta(days=1)
            if low > high:
                return None
            day = low + datetime.timedelta(days=rng.randint(0, (high - low).days))
        elif kind == K.ACCEPT:
            day += datetime.timedelta(days=rng.randint(1, max(1, min(30, (last - day).days))))
        elif kind == K.HAND_OVER:
            day = last
        else:
            day = _next_day(rng, kind, day, year)
        dates.append(day)
    return dates


def _split(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` random amounts (whole yuan) adding up to it."""
    amounts = []
    left = total
    for _ in range(parts - 1):
        amount = (left * Decimal(rng.uniform(0.25, 0.6))).quantize(Decimal("1"))
        amounts.append(amount)
        left -= amount
    amounts.append(left)
    return amounts


def _planned_funding(rng: random.Random, sources: set[str], total: Decimal) -> dict[str, Decimal]:
    codes = ["central_bridging"] if rng.random() < 0.85 else []
    others = [c for c in OTHER_SOURCES if c in sources]
    codes += rng.sample(others, min(len(others), rng.randint(0 if codes else 1, 2)))
    codes = [c for c in codes if c in sources] or sorted(sources)[:1]
    return dict(zip(codes, _split(rng, total, len(codes)), strict=True))


def _targets(
    rng: random.Random, output: tuple[str, str, str], households: int, exited: int,
    category: str, evaluated: bool,
) -> list[PerformanceTarget]:  # fmt: skip
    """产出/效益/满意度 targets, with their actual values once evaluated."""
    indicator, value, unit = output
    rows = [
        (TargetKind.OUTPUT, indicator, f"≥{value}", unit, value),
        (TargetKind.OUTPUT, "工程验收合格率", "100", "%", "100"),
        (TargetKind.BENEFIT, "受益户数", f"≥{households}", "户", str(households)),
        (TargetKind.BENEFIT, "受益脱贫户数", f"≥{exited}", "户", str(exited)),
    ]
    if category == ProjectCategory.INDUSTRY:
        rows.append((TargetKind.BENEFIT, "村集体经济年增收", "≥5", "万元",
                     f"{rng.uniform(5, 9):.1f}"))  # fmt: skip
    rows.append((TargetKind.SATISFACTION, "受益群众满意度", "≥90", "%", str(rng.randint(91, 99))))
    return [
        PerformanceTarget(kind=kind, indicator=name, target=target, unit=unit,
                          actual=actual if evaluated else "")
        for kind, name, target, unit, actual in rows
    ]  # fmt: skip


class _Codes:
    """Project codes county + year + serial, continuing each year's series already stored."""

    def __init__(self, county_code: str) -> None:
        self.county_code = county_code
        self.last: dict[str, int] = {
            row["prefix"]: int(row["last"][-4:])
            for row in Project.objects.annotate(prefix=Substr("code", 1, 10))
            .values("prefix")
            .annotate(last=Max("code"))
        }

    def next(self, year: int) -> str:
        prefix = f"{self.county_code}{year:04d}"
        serial = self.last.get(prefix, 0) + 1
        if serial > 9999:
            raise ValueError(f"no project codes left for {year}")
        self.last[prefix] = serial
        return f"{prefix}{serial:04d}"

    def room(self, year: int) -> int:
        return 9999 - self.last.get(f"{self.county_code}{year:04d}", 0)


class _Generator:
    """Builds the demo's projects, needs and tasks in memory (see the module's docstring)."""

    def __init__(self, rng: random.Random, today: datetime.date, actors: _Actors) -> None:
        self.rng = rng
        self.today = today
        self.actors = actors
        self.place = _Place.load()
        self.codes = _Codes(self.place.county_code)
        self.sources = set(FundSource.objects.filter(active=True).values_list("code", flat=True))
        self.uses = {
            u.code: u for u in FundUse.objects.filter(province_code="").order_by("year_from")
        }

    # --- one project --------------------------------------------------------------------------

    def project(
        self, *, outcome: str, village: AdminArea, year: int, category: str,
        family: str | None, name: str, total: Decimal, geom: GEOSGeometry,
        area_codes: list[str], households: int, exited: int, output: tuple[str, str, str],
        dates: list[datetime.date] | None = None, path: list[tuple[str, str, str]] | None = None,
    ) -> _Plan | None:  # fmt: skip
        """A project of ``village`` ending in ``outcome``: its steps dated from the library
        ``year`` (or the given ``dates``), planned funding of ``total`` yuan, targets."""
        rng = self.rng
        path = path or _path(outcome, rng)
        if dates is None:
            timed = _timeline(rng, path, year, self.today)
            if timed is None:
                return None
            year, dates = timed
        if self.codes.room(year) < 1:
            return None
        code_year = year
        final_year = year + 1 if path[-1][0] == K.CARRY_OVER else year
        status = path[-1][2]
        township = village.parent
        planned_to = [d for (k, _f, _t), d in zip(path, dates, strict=True) if k == K.PLAN]
        bridging_only = category != ProjectCategory.CONSTRUCTION
        use = CATEGORY_USE[category]
        project = Project(
            code=self.codes.next(code_year),
            name=name,
            year=final_year,
            in_construction_library=not bridging_only,
            in_bridging_library=True,
            category=category,
            subcategory=FAMILIES[family]["task"] if family else SUBCATEGORY[category],
            nature=ProjectNature.NEW if rng.random() < 0.7 else ProjectNature.EXPANSION,
            area=village,
            area_code=village.code,
            area_codes=sorted(set(area_codes)),
            county_code=village.county_code,
            geom=geom,
            content=f"{name}：{output[0]}{output[1]}{output[2]}，惠及{households}户。",
            scale=f"{output[0]}{output[1]}{output[2]}",
            period_start=datetime.date(final_year, 3, 1),
            period_end=datetime.date(final_year, rng.choice([9, 10, 11, 12]), 30),
            implementing_unit=(
                FAMILIES[family]["department"].replace("区", "万州区", 1)
                if family and rng.random() < 0.4
                else f"{township.name}人民政府" if township else ""
            ),
            responsible_person=_person(rng),
            fund_direction=self.uses.get(use),
            fund_uses=[use] if use in self.uses else [],
            beneficiary_households=households,
            beneficiary_persons=households * rng.randint(2, 4),
            beneficiary_exited_households=exited,
            beneficiary_monitored_households=min(exited, rng.randint(0, max(1, households // 20))),
            benefit_links=rng.sample(
                [BenefitLink.EMPLOYMENT, BenefitLink.DIVIDEND, BenefitLink.ASSET_INCOME,
                 BenefitLink.LAND_TRANSFER], rng.randint(1, 2),
            ) if category == ProjectCategory.INDUSTRY else [BenefitLink.EMPLOYMENT]
            if category == ProjectCategory.EMPLOYMENT else [],
            expected_ownership=(
                f"资产归{village.short_name}股份经济合作联合社所有"
                if category != ProjectCategory.GUARANTEES else "资产归受益农户所有"
            ),
            expected_income=(
                "村集体年收益不低于5万元，收益主要用于公益岗位和小型公益事业"
                if category == ProjectCategory.INDUSTRY else ""
            ),
            status=status,
            plan_year=planned_to[0].year if planned_to else None,
            version=len(path),
            synthetic=True,
        )  # fmt: skip
        if project.plan_year is not None:
            # The works run in the plan year (a plan made late in the year runs into the next).
            project.period_start = datetime.date(project.plan_year, 3, 1)
            project.period_end = datetime.date(project.plan_year, rng.choice([9, 10, 11, 12]), 30)
        plan = _Plan(project=project, family=family, path=path, dates=dates)
        plan.planned = _planned_funding(rng, self.sources, total)
        plan.targets = _targets(
            rng, output, households, exited, category, status in (S.EVALUATED, S.ARCHIVED)
        )
        return plan

    def steps(self, plan: _Plan) -> None:
        """The recorded steps of ``plan``: who, when, why, and what a page shows of them."""
        rng = self.rng
        project = plan.project
        township = project.area.parent if project.area else None
        township_name = township.name if township else ""
        for (kind, from_status, to_status), day in zip(plan.path, plan.dates, strict=True):
            step = _Step(kind, from_status, to_status, day, _at(rng, day))
            if plan.steps and step.at <= plan.steps[-1].at:  # two steps on one day, in order
                step.at = plan.steps[-1].at + datetime.timedelta(minutes=rng.randint(10, 90))
            township_step = kind in (K.PROPOSE, K.TOWNSHIP_REVIEW) or (
                kind == K.REJECT and from_status == S.PROPOSED
            )
            step.actor = (
                self.actors.for_township(project.area_code) if township_step else self.actors.county
            )
            recorded = (
                f"（代{township_name}录入）"
                if kind in (K.TOWNSHIP_REVIEW, K.REJECT)
                and from_status == S.PROPOSED
                and self.actors.records_for_township(project.area_code)
                else ""
            )
            if kind == K.PROPOSE:
                step.details = {"needs": []}  # filled in once the needs have their ids
            elif kind == K.TOWNSHIP_REVIEW:
                step.reason = f"经{township_name}审核，项目真实、必要、可行，同意上报。{recorded}"
                step.details = {"checks": dict.fromkeys(TOWNSHIP_CHECKS, True), "step": kind}
            elif kind == K.COUNTY_APPRAISE:
                step.reason = "经县项目库联审，符合入库条件。"
                step.details = {"checks": dict.fromkeys(COUNTY_CHECKS, True), "step": kind}
            elif kind == K.APPROVE:
                step.reason = "经区巩固拓展脱贫攻坚成果同乡村振兴领导小组审定，同意入库。"
            elif kind == K.PLAN:
                step.reason = f"列入{day.year}年度项目实施计划。"
                step.details = {"year": day.year}
            elif kind == K.START:
                step.reason = f"公开招标，中标单位：{rng.choice(CONTRACTORS)}"
                step.details = {"started_on": day.isoformat()}
            elif kind == K.COMPLETE:
                step.reason = "工程完工。"
                step.details = {"completed_on": day.isoformat()}
            elif kind == K.ACCEPT:
                step.reason = "经区级验收，工程质量合格。"
                step.details = {"accepted_on": day.isoformat()}
            elif kind == K.HAND_OVER:
                step.details = {"handed_on": day.isoformat(), "assets": plan.asset_codes}
            elif kind == K.EVALUATE:
                step.reason = "绩效自评完成，各项绩效目标均已实现。"
                step.details = {"actuals": {t.indicator: t.actual for t in plan.targets}}
            elif kind == K.ARCHIVE:
                step.reason = "项目资料已整理归档。"
            elif kind == K.CARRY_OVER:
                step.reason = "当年资金未能安排，结转下一年度项目库。"
                step.details = {"from_year": project.year - 1, "to_year": project.year}
            elif kind == K.WITHDRAW:
                step.reason = rng.choice(WITHDRAWALS)
            elif kind == K.REJECT:
                at_township = from_status == S.PROPOSED
                checks = TOWNSHIP_CHECKS if at_township else COUNTY_CHECKS
                failed = rng.choice(checks[1:])
                hits = [self.uses[u] for u in project.fund_uses if u in self.uses
                        and self.uses[u].kind == "negative"]  # fmt: skip
                if hits:
                    failed = "sound" if at_township else "compliant"
                    step.reason = (
                        f"拟使用衔接资金用于{hits[0].name}，属负面清单（{hits[0].basis}），"
                        f"不予通过。{recorded}"
                    )
                else:
                    refusals = TOWNSHIP_REFUSALS if at_township else COUNTY_REFUSALS
                    step.reason = rng.choice(refusals) + recorded
                step.details = {
                    "checks": {c: c != failed for c in checks},
                    "step": K.TOWNSHIP_REVIEW if at_township else K.COUNTY_APPRAISE,
                }
            plan.steps.append(step)

    # --- needs --------------------------------------------------------------------------------

    def need(
        self, *, village: AdminArea, family: str | None, category: str, status: str,
        meeting_on: datetime.date, horizon_from: int, estimate: Decimal, geom: GEOSGeometry | None,
        project: Project | None = None,
    ) -> ConstructionNeed:  # fmt: skip
        """A village's need with its meeting, posting and the township's review so far."""
        rng = self.rng
        titles = NEED_TITLES.get(category) or NEED_TITLES[NeedCategory.OTHER]
        need = ConstructionNeed(
            area=village,
            area_code=village.code,
            county_code=village.county_code,
            title=f"{village.short_name}{rng.choice(titles)}",
            category=category,
            description="经村民代表大会讨论，群众意愿强烈，符合村庄规划。",
            horizon_from=horizon_from,
            horizon_to=horizon_from + rng.randint(2, 4),
            estimated_investment=estimate.quantize(CENT),
            geom=geom,
            meeting_kind=rng.choice(MeetingKind.values),
            meeting_on=meeting_on,
            meeting_attendance=rng.randint(25, 120),
            status=status,
            project=project,
            synthetic=True,
            created_by=self.actors.for_village(village.code),
        )
        if status == NeedStatus.DRAFT:
            return need
        need.posted_from = meeting_on + datetime.timedelta(days=rng.randint(1, 5))
        need.posted_to = need.posted_from + datetime.timedelta(days=6)
        if rng.random() < 0.15:
            need.objection = "有村民对选址提出意见，村委会已作解释说明，无异议。"
        if status in (NeedStatus.POSTED, NeedStatus.SUBMITTED):
            return need
        accepted = status != NeedStatus.REJECTED
        need.genuine = True
        need.necessary = accepted or rng.random() < 0.5
        need.feasible = accepted or not need.necessary
        need.review_note = "" if accepted else rng.choice(NEED_REFUSALS)
        need.reviewed_by = self.actors.for_township(village.code)
        reviewed = min(
            need.posted_to + datetime.timedelta(days=rng.randint(3, 15)),
            self.today - datetime.timedelta(days=1),
        )
        need.reviewed_at = _at(rng, reviewed)
        return need


def _geometry(
    rng: random.Random, village: AdminArea, neighbours: list[AdminArea], linear: bool
) -> tuple[GEOSGeometry, list[str]]:
    """A point near the village, or a line to a neighbouring village (then touching both)."""
    assert village.point is not None
    x, y = village.point.coords
    others = [n for n in neighbours if n.pk != village.pk and n.point is not None]
    if linear and others and rng.random() < 0.6:
        other = rng.choice(others)
        assert other.point is not None
        ox, oy = other.point.coords
        mx = (x + ox) / 2 + rng.uniform(-0.004, 0.004)
        my = (y + oy) / 2 + rng.uniform(-0.004, 0.004)
        return LineString([(x, y), (mx, my), (ox, oy)], srid=4490), [village.code, other.code]
    return Point(x + rng.gauss(0, 0.004), y + rng.gauss(0, 0.004), srid=4490), [village.code]


def _formed_geometry(geoms: list[GEOSGeometry]) -> GEOSGeometry:
    """The project's shape from its assets': the one shape, all lines, or their points."""
    if len(geoms) == 1:
        return geoms[0]
    if all(isinstance(g, LineString) for g in geoms):
        return MultiLineString(*geoms, srid=4490)
    return MultiPoint(*[g.point_on_surface for g in geoms], srid=4490)


def _shares(values: list[Decimal]) -> list[Decimal]:
    """Each value's share (per cent, four decimals) of their total, adding up to 100 exactly:
    the ten-thousandths lost by rounding down go to the parts that lost the most."""
    total = sum(values, Decimal(0))
    exact = [v * 100 / total for v in values]
    shares = [e.quantize(SHARE_PLACES, rounding=ROUND_DOWN) for e in exact]
    left = int((Decimal(100) - sum(shares, Decimal(0))) / SHARE_PLACES)
    for i in sorted(range(len(shares)), key=lambda i: exact[i] - shares[i], reverse=True)[:left]:
        shares[i] += SHARE_PLACES
    return shares


def _allocate(count: int, weights: dict[str, float]) -> dict[str, int]:
    """``count`` split by ``weights``: one of each first when there are enough, then the rest
    by largest remainder."""
    keys = list(weights)
    base = dict.fromkeys(keys, 1 if count >= len(keys) else 0)
    if count < len(keys):
        for key in sorted(keys, key=lambda k: -weights[k])[:count]:
            base[key] = 1
        return base
    rest = count - len(keys)
    total = sum(weights.values())
    exact = {k: rest * weights[k] / total for k in keys}
    for k in keys:
        base[k] += int(exact[k])
    left = count - sum(base.values())
    for k in sorted(keys, key=lambda k: exact[k] - int(exact[k]), reverse=True)[:left]:
        base[k] += 1
    return base


# --- the demo -------------------------------------------------------------------------------


def generate_projects(
    *, count: int, seed: int = 500101, asset_ids: Iterable[int] | None = None
) -> ProjectSummary:
    """Write ``count`` synthetic projects (with their needs, steps and tasks) consistent with
    the assets ``asset_ids`` (by default every synthetic asset not yet formed by a project).
    Run inside the caller's transaction and history context (generate_register's)."""
    if count <= 0:
        return ProjectSummary()
    rng = random.Random(seed * 7 + 19)  # its own stream: the register stays as it was
    today = timezone.localdate()
    gen = _Generator(rng, today, _actors())
    if not gen.place.villages:
        return ProjectSummary()
    wanted = _allocate(count, OUTCOME_WEIGHTS)
    finished = sum(wanted[s] for s in FINISHED)
    plans = _finished_plans(gen, finished, asset_ids, wanted)
    # The finished projects the assets could not give are built but not handed over yet.
    short = finished - len(plans)
    wanted[S.IN_PROGRESS] += short // 2
    wanted[S.ACCEPTED] += short - short // 2
    plans += _pipeline_plans(gen, wanted)
    for plan in plans:
        gen.steps(plan)
    needs = _waiting_needs(gen, max(4, count // 4))
    tasks = _tasks(gen, plans)
    return _write(plans, needs, tasks)


def fill_demo_projects(*, seed: int = 500101) -> int:
    """Give a demo database loaded before the project libraries existed its projects (a tenth
    of its synthetic assets), once: one cheap query when it has them or is not a demo.
    Returns how many projects were written."""
    if Project.objects.filter(synthetic=True).exists():
        return 0
    assets = Asset.objects.filter(synthetic=True).count()
    if assets < 10:
        return 0
    with transaction.atomic(), pghistory.context(command="generate_register", seed=seed):
        return generate_projects(count=assets // 10, seed=seed).projects


def _candidate_groups(
    gen: _Generator, asset_ids: Iterable[int] | None
) -> list[list[dict[str, Any]]]:
    """Assets that a project may have formed: synthetic, formed from April 2021 on (a project
    approved in the winter is built by spring), not waiting for review, not yet linked;
    grouped by village, year and kind of project, with their funding lines."""
    qs = Asset.objects.filter(
        synthetic=True,
        source_project__isnull=True,
        formed_on__gte=datetime.date(FIRST_YEAR, 1, 1),
        formed_on__lt=gen.today,
        formed_on__month__gte=4,
        area__point__isnull=False,
    ).exclude(status=AssetStatus.DRAFT)
    rows: list[dict[str, Any]] = []
    ids = None if asset_ids is None else list(asset_ids)
    chunks: list[list[int] | None] = (
        [None] if ids is None else [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    )
    for chunk in chunks:
        part = qs if chunk is None else qs.filter(pk__in=chunk)
        rows.extend(
            dict(row)
            for row in part.values(
                "pk", "code", "name", "asset_class", "subtype", "area_id", "area_code",
                "formed_on", "original_value", "geom", "quantity", "unit",
                "beneficiary_households", "beneficiary_exited_households",
            )
        )  # fmt: skip
    funding: dict[int, dict[str, Decimal]] = {}
    pks = [r["pk"] for r in rows]
    for i in range(0, len(pks), 5000):
        for line in AssetFunding.objects.filter(asset_id__in=pks[i : i + 5000]).values(
            "asset_id", "source__code", "amount"
        ):
            funding.setdefault(line["asset_id"], {})[line["source__code"]] = line["amount"]
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["code"]):
        row["funding"] = funding.get(row["pk"], {})
        if sum(row["funding"].values(), Decimal(0)) != row["original_value"]:
            continue  # a project's sums must add up: only assets whose lines make their value
        category = SUBTYPE_CATEGORY.get(row["subtype"], ProjectCategory.INDUSTRY)
        key = (row["area_code"], row["formed_on"].year, category)
        groups.setdefault(key, []).append(row)
    ordered = [groups[k][:MAX_ASSETS_PER_PROJECT] for k in sorted(groups)]
    gen.rng.shuffle(ordered)
    # The demo township's villages first, so that its accounts see finished projects too.
    home = gen.actors.township_prefix()
    ordered.sort(key=lambda g: not (home and g[0]["area_code"].startswith(home)))
    return ordered


def _finished_plans(
    gen: _Generator, wanted: int, asset_ids: Iterable[int] | None, counts: dict[str, int]
) -> list[_Plan]:
    """Handed-over, evaluated and archived projects, each formed by a group of assets: the
    oldest archived, then evaluated, the newest just handed over."""
    rng = gen.rng
    villages = {v.code: v for v in gen.place.villages}
    chosen: list[tuple[list[dict[str, Any]], list[datetime.date]]] = []
    for group in _candidate_groups(gen, asset_ids):
        if len(chosen) >= wanted:
            break
        first = min(r["formed_on"] for r in group)
        last = max(r["formed_on"] for r in group)
        dates = _anchored_timeline(rng, MAIN, first, last)
        if dates is None or gen.codes.room(first.year) < 1:
            continue
        chosen.append((group, dates))
    chosen.sort(key=lambda c: (c[1][MAIN_STATUSES.index(S.HANDED_OVER)], c[0][0]["code"]))
    # The three finished stages in the proportions asked for, whatever the assets could give.
    shares = _allocate(len(chosen), {s: float(counts[s]) for s in FINISHED if counts[s]})
    outcomes: list[str] = [
        str(s) for s in (S.ARCHIVED, S.EVALUATED, S.HANDED_OVER) for _ in range(shares.get(s, 0))
    ]
    plans = []
    for (group, dates), outcome in zip(chosen, outcomes, strict=False):
        # A step that would lie in the future has not happened yet.
        while dates[MAIN_STATUSES.index(outcome)] >= gen.today:
            outcome = MAIN_STATUSES[MAIN_STATUSES.index(outcome) - 1]
        village = villages[group[0]["area_code"]]
        category = SUBTYPE_CATEGORY.get(group[0]["subtype"], ProjectCategory.INDUSTRY)
        family = SUBTYPE_FAMILY.get(group[0]["subtype"])
        year = group[0]["formed_on"].year
        lead = re.sub(r"\d+号$", "", group[0]["name"])  # 光伏电站3号 -> 光伏电站
        kind = (
            "建设项目"
            if category in (ProjectCategory.CONSTRUCTION, ProjectCategory.RELOCATION)
            else "项目"
        )
        name = f"{year}年{lead}{kind}" if len(group) == 1 else (
            f"{year}年{lead}等{len(group)}项{kind}")  # fmt: skip
        units = {r["unit"] for r in group}
        output = (
            ("建设规模", f"{sum(r['quantity'] for r in group).normalize():f}", units.pop())
            if len(units) == 1
            else ("建成设施", str(len(group)), "处")
        )
        households = max(r["beneficiary_households"] for r in group)
        exited = max(r["beneficiary_exited_households"] for r in group)
        actual: dict[str, Decimal] = {}
        for row in group:
            for code, amount in row["funding"].items():
                actual[code] = actual.get(code, Decimal(0)) + amount
        total = sum(actual.values(), Decimal(0))
        path = MAIN[: MAIN_STATUSES.index(outcome) + 1]
        plan = gen.project(
            outcome=outcome, village=village, year=year, category=category, family=family,
            name=name[:200], total=total, geom=_formed_geometry([r["geom"] for r in group]),
            area_codes=[village.code], households=households, exited=exited, output=output,
            dates=dates[: len(path)], path=path,
        )  # fmt: skip
        if plan is None:
            continue
        plan.project.in_bridging_library = "central_bridging" in actual or (
            category != ProjectCategory.CONSTRUCTION
        )
        plan.actual = actual
        # What was planned: near what it cost, from the same sources.
        plan.planned = {
            code: _money(float(amount) * rng.uniform(0.97, 1.1)) for code, amount in actual.items()
        }
        plan.formed = list(
            zip([r["pk"] for r in group], _shares([r["original_value"] for r in group]),
                strict=True)
        )  # fmt: skip
        plan.asset_codes = [r["code"] for r in group]
        if family:
            _merged_needs(gen, plan, village)
        plans.append(plan)
    return plans


def _merged_needs(gen: _Generator, plan: _Plan, village: AdminArea) -> None:
    """The village needs a rural-construction project answers: decided, posted and accepted
    before it was proposed, then merged into it."""
    rng = gen.rng
    family = plan.family
    assert family is not None
    proposed = plan.dates[0]
    total = sum(plan.planned.values(), Decimal(0))
    for _ in range(rng.choice([1, 1, 2])):
        plan.needs.append(
            gen.need(
                village=village, family=family, category=rng.choice(FAMILIES[family]["needs"]),
                status=NeedStatus.MERGED,
                meeting_on=proposed - datetime.timedelta(days=rng.randint(75, 150)),
                horizon_from=plan.project.year - rng.randint(0, 1),
                estimate=total * Decimal(rng.uniform(0.5, 1.0)), geom=plan.project.geom,
                project=plan.project,
            )
        )  # fmt: skip


def _pipeline_village(gen: _Generator, index: int) -> AdminArea:
    """Every fifth project in the demo township (every tenth in the demo village), so that its
    accounts have work in every stage; the others anywhere in the county."""
    rng = gen.rng
    own, prefix = gen.actors.village_code(), gen.actors.township_prefix()
    if index % 10 == 0 and own:
        village = next((v for v in gen.place.villages if v.code == own), None)
        if village is not None:
            return village
    if index % 5 == 0 and prefix:
        home = [v for v in gen.place.villages if v.code.startswith(prefix)]
        if home:
            return rng.choice(home)
    return rng.choice(gen.place.villages)


def _pipeline_year(rng: random.Random, outcome: str, today: datetime.date) -> int:
    """The library year a project in ``outcome`` most likely has, given the day."""
    building = today.year if today.month >= 9 else today.year - 1
    upcoming = today.year + 1 if today.month >= 9 else today.year
    if outcome in (S.PROPOSED, S.TOWNSHIP_REVIEWED, S.APPRAISED):
        return upcoming
    if outcome in (S.IN_LIBRARY, S.PLANNED):
        return today.year
    if outcome in (S.IN_PROGRESS, S.COMPLETED, S.ACCEPTED):
        return rng.choice([today.year, today.year, building])
    if outcome == CARRIED:
        return today.year - 1
    if outcome in FINISHED:
        return rng.randint(FIRST_YEAR, today.year - 1)
    return rng.randint(FIRST_YEAR, upcoming)  # refused or withdrawn: any year


def _pipeline_plan(gen: _Generator, outcome: str, village: AdminArea, year: int) -> _Plan | None:
    """A project without formed assets: the library's open pipeline, refused, withdrawn (or,
    for the benchmarks, finished)."""
    rng = gen.rng
    category = rng.choices(
        [c for c, _w in PIPELINE_CATEGORIES], [w for _c, w in PIPELINE_CATEGORIES]
    )[0]
    family = rng.choice(list(FAMILIES)) if category == ProjectCategory.CONSTRUCTION else None
    title = rng.choice(FAMILIES[family]["names"] if family else PIPELINE_NAMES[category])
    # Some township refusals are a bridging-fund use on the negative list, named in the reason.
    negative = outcome == REJECTED_TOWNSHIP and rng.random() < 0.6 and NEGATIVE_USE in gen.uses
    if negative:
        category, family, title = ProjectCategory.OTHER, None, "村级综合办公楼新建"
    linear = bool(family and FAMILIES[family]["linear"])
    geom, areas = _geometry(rng, village, gen.place.neighbours[village.parent_id or 0], linear)
    total = _money(rng.lognormvariate(13.0 if category != ProjectCategory.GUARANTEES else 12.0,
                                      0.7))  # fmt: skip
    households = rng.randint(20, 400)
    if family:
        label, unit = FAMILIES[family]["unit"]
        size = f"{rng.uniform(0.8, 9):.1f}" if unit == "km" else str(rng.randint(1, 6))
        output = (label, size, unit)
    else:
        output = ("建成项目", "1", "个")
    plan = gen.project(
        outcome=outcome, village=village, year=year, category=category, family=family,
        name=f"{village.short_name}{title}项目", total=total, geom=geom, area_codes=areas,
        households=households, exited=rng.randint(0, households // 3), output=output,
    )  # fmt: skip
    if plan is None:
        return None
    if negative:
        plan.project.fund_uses = [*plan.project.fund_uses, NEGATIVE_USE]
        if "central_bridging" in gen.sources and "central_bridging" not in plan.planned:
            plan.planned = {"central_bridging": total}
    status = plan.project.status
    if status in (S.COMPLETED, S.ACCEPTED, *FINISHED):
        plan.actual = {
            code: _money(float(amount) * rng.uniform(0.9, 1.0))
            for code, amount in plan.planned.items()
        }
    return plan


def _pipeline_plans(gen: _Generator, wanted: dict[str, int]) -> list[_Plan]:
    plans = []
    index = 0
    for outcome, count in wanted.items():
        if outcome in FINISHED:
            continue
        for _ in range(count):
            village = _pipeline_village(gen, index)
            index += 1
            plan = _pipeline_plan(
                gen, outcome, village, _pipeline_year(gen.rng, outcome, gen.today)
            )
            if plan is None:
                continue
            if plan.family:
                _merged_needs(gen, plan, village)
            plans.append(plan)
    return plans


def _waiting_needs(gen: _Generator, count: int) -> list[ConstructionNeed]:
    """Needs not (yet) in a project: being drafted, posted, sent up, accepted and waiting, or
    not accepted; the demo village has one of each of the first three, the demo township's
    villages some waiting for its review."""
    rng = gen.rng
    today = gen.today
    statuses: list[str] = []
    villages: list[AdminArea] = []
    own_code, prefix = gen.actors.village_code(), gen.actors.township_prefix()
    own = next((v for v in gen.place.villages if v.code == own_code), None)
    if own is not None:
        statuses += [NeedStatus.DRAFT, NeedStatus.POSTED, NeedStatus.SUBMITTED]
        villages += [own] * 3
    home = [v for v in gen.place.villages if prefix and v.code.startswith(prefix)]
    for _ in range(2 if home else 0):
        statuses.append(NeedStatus.SUBMITTED)
        villages.append(rng.choice(home))
    mix = [(NeedStatus.DRAFT, 0.15), (NeedStatus.POSTED, 0.15), (NeedStatus.SUBMITTED, 0.3),
           (NeedStatus.ACCEPTED, 0.25), (NeedStatus.REJECTED, 0.15)]  # fmt: skip
    while len(statuses) < count:
        statuses.append(rng.choices([s for s, _w in mix], [w for _s, w in mix])[0])
        villages.append(rng.choice(gen.place.villages))
    needs = []
    for status, village in zip(statuses, villages, strict=True):
        family = rng.choice(list(FAMILIES))
        category = rng.choice(FAMILIES[family]["needs"])
        if status == NeedStatus.POSTED:
            meeting = today - datetime.timedelta(days=rng.randint(3, 10))  # posting under way
        else:
            meeting = today - datetime.timedelta(days=rng.randint(20, 200))
        geom, _areas = _geometry(rng, village, [], False)
        needs.append(
            gen.need(
                village=village, family=family, category=category, status=status,
                meeting_on=meeting, horizon_from=today.year + 1,
                estimate=_money(rng.lognormvariate(12.5, 0.7)), geom=geom,
            )
        )  # fmt: skip
        if status == NeedStatus.POSTED:
            posted = needs[-1]
            posted.posted_from = min(
                posted.posted_from or today, today - datetime.timedelta(days=1)
            )
            posted.posted_to = posted.posted_from + datetime.timedelta(days=6)
    return needs


def _tasks(gen: _Generator, plans: list[_Plan]) -> list[TaskListItem]:
    """The task list: one task per year and kind of rural construction that has projects in
    that year's plan, each of those projects attached to its task."""
    by_key: dict[tuple[int, str], list[_Plan]] = {}
    for plan in plans:
        if plan.family and plan.project.plan_year and plan.project.in_construction_library:
            by_key.setdefault((plan.project.plan_year, plan.family), []).append(plan)
    tasks = []
    creator = gen.actors.county
    done = {S.COMPLETED, S.ACCEPTED, *FINISHED}
    for (year, family), members in sorted(by_key.items()):
        spec = FAMILIES[family]
        finished = sum(1 for p in members if p.project.status in done)
        progress = 100 if year < gen.today.year else finished * 100 // len(members)
        task = TaskListItem(
            county_code=gen.place.county_code,
            year=year,
            task=f"{year}年{spec['task']}",
            department=spec["department"],
            target=f"完成{len(members)}个{spec['task']}项目",
            content="、".join(sorted({p.project.name for p in members}))[:2000],
            standard=spec["standard"],
            scale=f"{len(members)}个项目",
            fund_source="中央衔接资金、地方政府债券、行业部门资金",
            progress=progress,
            progress_note="已全部完工" if progress == 100 else f"已完工{finished}个",
            created_by=creator,
            synthetic=True,
        )
        tasks.append(task)
        for plan in members:
            plan.project.task = task
    return tasks


def _write(
    plans: list[_Plan], needs: list[ConstructionNeed], tasks: list[TaskListItem]
) -> ProjectSummary:
    """Everything in a few bulk statements; the steps with the days they were taken."""
    TaskListItem.objects.bulk_create(tasks)
    for plan in plans:
        if plan.project.task is not None:
            plan.project.task_id = plan.project.task.pk
        plan.project.created_by = next(s.actor for s in plan.steps if s.actor is not None)
    Project.objects.bulk_create([p.project for p in plans])
    sources = {s.code: s.pk for s in FundSource.objects.all()}
    ProjectFunding.objects.bulk_create(
        ProjectFunding(
            project=plan.project, source_id=sources[code], planned=amount,
            actual=plan.actual.get(code),
        )
        for plan in plans
        for code, amount in sorted({**dict.fromkeys(plan.actual, Decimal(0)),
                                    **plan.planned}.items())
    )  # fmt: skip
    targets = []
    for plan in plans:
        for target in plan.targets:
            target.project = plan.project
            targets.append(target)
    PerformanceTarget.objects.bulk_create(targets)
    merged = [n for plan in plans for n in plan.needs]
    for need in merged:
        need.project_id = need.project.pk if need.project else None
    ConstructionNeed.objects.bulk_create([*merged, *needs])
    for plan in plans:
        plan.steps[0].details = {"needs": [n.pk for n in plan.needs]}
    steps = _insert_steps(plans)
    formed = [
        (asset_id, plan.project.pk, share) for plan in plans for asset_id, share in plan.formed
    ]
    if formed:
        assets = list(Asset.objects.filter(pk__in=[a for a, _p, _s in formed]).only("pk"))
        link = {a: (p, s) for a, p, s in formed}
        for asset in assets:
            asset.source_project_id, asset.source_share = link[asset.pk]
        Asset.objects.bulk_update(assets, ["source_project", "source_share"], batch_size=1000)
    by_status: dict[str, int] = {}
    for plan in plans:
        by_status[plan.project.status] = by_status.get(plan.project.status, 0) + 1
    return ProjectSummary(
        projects=len(plans),
        needs=len(merged) + len(needs),
        steps=steps,
        tasks=len(tasks),
        formed_assets=len(formed),
        by_status=by_status,
    )


def _insert_steps(plans: list[_Plan]) -> int:
    """Insert the steps with the time each was taken (``at`` is set by the database's clock
    when a service records a step; bulk_create would overwrite it with now)."""
    meta = ProjectStep._meta
    columns = ["project_id", "kind", "from_status", "to_status", "reason", "details",
               "actor_id", "at"]  # fmt: skip
    rows: list[list[Any]] = [[] for _ in columns]
    for plan in plans:
        for step in plan.steps:
            assert step.actor is not None
            values = [plan.project.pk, step.kind, step.from_status, step.to_status, step.reason,
                      json.dumps(step.details, ensure_ascii=False), step.actor.pk,
                      step.at]  # fmt: skip
            for column, value in zip(rows, values, strict=True):
                column.append(value)
    if not rows[0]:
        return 0
    column_of = {f.attname: f.column for f in meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(column_of[c]) for c in columns)
    types = ["bigint", "text", "text", "text", "text", "jsonb", "bigint", "timestamptz"]
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) "
            f"SELECT * FROM unnest({arrays})",
            rows,
        )
    return len(rows[0])


# --- the benchmarks -------------------------------------------------------------------------


def _bench_outcome(rng: random.Random, year: int, today: datetime.date) -> str:
    """A plausible outcome for a project of the library ``year``, seen on ``today``."""
    if year <= today.year - 2:
        mix = {S.ARCHIVED: 0.5, S.EVALUATED: 0.2, S.HANDED_OVER: 0.1, S.IN_PROGRESS: 0.05,
               REJECTED_TOWNSHIP: 0.05, REJECTED_COUNTY: 0.03, WITHDRAWN: 0.07}  # fmt: skip
    elif year == today.year - 1:
        mix = {S.EVALUATED: 0.25, S.HANDED_OVER: 0.25, S.ACCEPTED: 0.08, S.COMPLETED: 0.07,
               S.IN_PROGRESS: 0.15, REJECTED_TOWNSHIP: 0.04, WITHDRAWN: 0.06,
               CARRIED: 0.1}  # fmt: skip
    elif year == today.year:
        mix = {S.IN_LIBRARY: 0.1, S.PLANNED: 0.2, S.IN_PROGRESS: 0.3, S.COMPLETED: 0.1,
               S.ACCEPTED: 0.1, REJECTED_COUNTY: 0.05, WITHDRAWN: 0.05,
               S.HANDED_OVER: 0.1}  # fmt: skip
    else:
        mix = {S.PROPOSED: 0.35, S.TOWNSHIP_REVIEWED: 0.25, S.APPRAISED: 0.2, S.IN_LIBRARY: 0.1,
               REJECTED_TOWNSHIP: 0.1}  # fmt: skip
    return rng.choices(list(mix), list(mix.values()))[0]


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        text = "{" + ",".join(value) + "}"  # codes: no commas, quotes or spaces
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, GEOSGeometry):
        text = value.ewkt
    elif isinstance(value, (datetime.date, datetime.datetime)):
        text = value.isoformat()
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(cursor: Any, model: type[models.Model], objects: Sequence[models.Model],
          with_pk: bool = False) -> None:  # fmt: skip
    """COPY ``objects`` into ``model``'s table (generated columns left to the database)."""
    fields = [
        f for f in model._meta.concrete_fields
        if not getattr(f, "generated", False) and (with_pk or not f.primary_key)
    ]  # fmt: skip
    buffer = io.StringIO()
    for obj in objects:
        buffer.write("\t".join(_copy_value(getattr(obj, f.attname)) for f in fields) + "\n")
    buffer.seek(0)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    cursor.copy_expert(f"COPY {model._meta.db_table} ({names}) FROM STDIN", buffer)


def bulk_load_projects(*, projects: int, seed: int = 500101, batch: int = 5000) -> int:
    """Benchmark mode: ``projects`` synthetic projects of every stage over the library years
    2021 to next year, spread over the county's villages, with their funding lines, targets
    and steps, streamed in with COPY and every trigger off (row history included).

    For benchmark databases only: no needs, tasks or asset links are written, the rows'
    history is not recorded, and whatever triggers keep derived data in step (the map's tile
    versions) must be raised by the caller afterwards."""
    rng = random.Random(seed)
    today = timezone.localdate()
    gen = _Generator(rng, today, _actors())
    if not gen.place.villages:
        return 0
    now = timezone.now()
    sources = {s.code: s.pk for s in FundSource.objects.all()}
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"LOCK TABLE {Project._meta.db_table} IN EXCLUSIVE MODE")
        next_id = (Project.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        while written < projects:
            plans: list[_Plan] = []
            misses = 0
            while len(plans) < min(batch, projects - written):
                year = rng.randint(FIRST_YEAR, today.year + 1)
                outcome = _bench_outcome(rng, year, today)
                plan = _pipeline_plan(gen, outcome, rng.choice(gen.place.villages), year)
                if plan is None:
                    misses += 1
                    if misses > 10_000:  # every year's codes used up
                        raise ValueError("no project codes left in the library years")
                    continue
                gen.steps(plan)
                plan.project.pk = next_id
                plan.project.created_by = gen.actors.county
                plan.project.created_at = plan.project.updated_at = now
                next_id += 1
                plans.append(plan)
            _copy(cursor, Project, [p.project for p in plans], with_pk=True)
            _copy(cursor, ProjectFunding, [
                ProjectFunding(project_id=p.project.pk, source_id=sources[code], planned=amount,
                               actual=p.actual.get(code))
                for p in plans for code, amount in p.planned.items()
            ])  # fmt: skip
            for p in plans:
                for target in p.targets:
                    target.project_id = p.project.pk
            _copy(cursor, PerformanceTarget, [t for p in plans for t in p.targets])
            _copy(cursor, ProjectStep, [
                ProjectStep(project_id=p.project.pk, kind=s.kind, from_status=s.from_status,
                            to_status=s.to_status, reason=s.reason, details=s.details,
                            actor_id=s.actor.pk if s.actor else gen.actors.county.pk,
                            at=s.at)
                for p in plans for s in p.steps
            ])  # fmt: skip
            written += len(plans)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Project._meta.db_table, next_id - 1],
        )
    return written
