"""Demo relocation sites (易地扶贫搬迁安置点) for the demo county, all marked synthetic.

``generate_sites(seed=S)`` places a few dozen sites of the 2016-2020 relocation across the
county's townships, at least three in 龙驹镇 (500101151000) and one in 向东村 (500101151200):
each site's point inside its village's (synthetic) outline, a concentrated site with a small
outline around it; households and persons moved (建档立卡 and 同步搬迁), housing, build and
move-in years and the 拆旧复垦 status. Its facilities are real assets of the register (the
resettlement housing, a school or kindergarten, a clinic, an assistance workshop, the water
supply and the access road; marked synthetic like the sites), linked with their roles; its
follow-up support figures of 2021-2025, a few residents' problems (some resolved), and the
demo library's relocation or industry projects of its village, where there are any, as its
follow-up support projects. The same seed and areas give the same sites.

``fill_demo_sites()`` does it once for a demo database that has none (``load_demo_county``, also
with ``--if-empty``); one cheap query afterwards.
"""

import datetime
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pghistory
import shapely
from django.contrib.gis.geos import GEOSGeometry, LineString, Point
from django.db import transaction
from django.utils import timezone

from registry.choices import (
    AreaLevel,
    AssetClass,
    AssetForm,
    AssetStatus,
    AssetSubtype,
    FacilityRole,
    ProblemCategory,
    ProblemStatus,
    ProjectCategory,
    ReclamationStatus,
    SiteType,
)
from registry.models import (
    AdminArea,
    Asset,
    AssetFunding,
    FundSource,
    Project,
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteProject,
    SiteSupport,
    User,
)
from registry.services.assets import CodeAllocator, fund_era_for
from registry.services.sites import site_code
from registry.signals import notify_places_changed

LONGJU = "500101151000"  # 龙驹镇
XIANGDONG = "500101151200"  # 向东村 (the village clerk's)
SITES = 36
LONGJU_SITES = 4
SUPPORT_YEARS = range(2021, 2026)
COMMAND = "load_demo_county"  # history reads "System (demo data)" (registry.history)

CONCENTRATED = [
    (SiteType.MARKET_TOWN, 0.35),
    (SiteType.CENTRAL_VILLAGE, 0.35),
    (SiteType.INDUSTRIAL_PARK, 0.1),
    (SiteType.TOURISM_AREA, 0.08),
    (SiteType.COUNTY_TOWN, 0.12),
]
DISPERSED = [SiteType.SCATTERED, SiteType.BOUGHT_IN_TOWN, SiteType.WITH_RELATIVES]
NAMES = {
    SiteType.MARKET_TOWN: "场镇集中安置点",
    SiteType.CENTRAL_VILLAGE: "中心村集中安置点",
    SiteType.INDUSTRIAL_PARK: "产业园区安置区",
    SiteType.TOURISM_AREA: "乡村旅游安置点",
    SiteType.COUNTY_TOWN: "城区安置小区",
    SiteType.SCATTERED: "插花安置点",
    SiteType.BOUGHT_IN_TOWN: "进城购房安置",
    SiteType.WITH_RELATIVES: "投亲靠友安置",
}
RECLAMATION = [
    (ReclamationStatus.DONE, 0.55),
    (ReclamationStatus.IN_PROGRESS, 0.25),
    (ReclamationStatus.NOT_STARTED, 0.12),
    (ReclamationStatus.NOT_APPLICABLE, 0.08),
]
PROBLEMS = [
    (ProblemCategory.EMPLOYMENT, "部分搬迁劳动力外出务工返乡后就业不稳定，希望增加就近就业岗位"),
    (ProblemCategory.EDUCATION, "安置点幼儿园学位不足，部分适龄儿童需到场镇入园"),
    (ProblemCategory.HEALTH, "卫生服务站缺少全科医生，慢病患者随访不及时"),
    (ProblemCategory.HOUSING, "部分安置房屋面渗水、外墙空鼓，需维修"),
    (ProblemCategory.UTILITIES, "高峰时段供水水压不足，高层住户用水困难"),
    (ProblemCategory.COMMUNITY, "安置社区物业服务不到位，公共区域卫生差"),
    (ProblemCategory.UTILITIES, "安置点连接道路路灯损坏，夜间出行不便"),
]
RESOLUTIONS = [
    "已协调车间新增岗位并开展技能培训",
    "已新建增压泵站，供水恢复正常",
    "已落实维修资金并完成维修",
    "已签约家庭医生团队，每月巡诊",
]


@dataclass
class SiteSummary:
    sites: int = 0
    assets: int = 0
    projects: int = 0


def _weighted(rng: random.Random, pairs: list[tuple[Any, float]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _geos(geom: shapely.Geometry) -> Any:
    out = GEOSGeometry(memoryview(shapely.to_wkb(geom)))
    out.srid = 4490
    return out


def _place(rng: random.Random, village: AdminArea) -> shapely.Point:
    """A point inside the village's outline, near its village point (the village itself where
    no nearby point falls inside)."""
    assert village.point is not None
    x, y = village.point.coords
    boundary = shapely.from_wkb(bytes(village.boundary.wkb)) if village.boundary else None
    for _ in range(20):
        candidate = shapely.Point(x + rng.uniform(-0.004, 0.004), y + rng.uniform(-0.004, 0.004))
        if boundary is None or boundary.buffer(-0.0008).contains(candidate):
            return candidate
    return shapely.Point(x, y)


def _outline(rng: random.Random, point: shapely.Point, village: AdminArea) -> shapely.Geometry:
    """A small turned rectangle around the point (about 150-300 m across), inside the village."""
    half_w, half_h = rng.uniform(0.0007, 0.0015), rng.uniform(0.0006, 0.0012)
    turn = rng.uniform(0, math.pi)
    corners = []
    for dx, dy in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)):
        corners.append(
            (
                point.x + dx * math.cos(turn) - dy * math.sin(turn),
                point.y + dx * math.sin(turn) + dy * math.cos(turn),
            )
        )
    shape = shapely.Polygon(corners)
    if village.boundary is not None:
        clipped = shape.intersection(shapely.from_wkb(bytes(village.boundary.wkb)))
        parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon"]
        if parts and shapely.MultiPolygon(parts).contains(point):
            return shapely.MultiPolygon(parts)
    return shapely.MultiPolygon([shape])


def _villages(rng: random.Random) -> list[AdminArea]:
    """The villages the sites lie in: 向东村 and three more of 龙驹镇, then one village of as
    many other townships as there are sites left (drawn with the seed)."""
    villages = list(
        AdminArea.objects.filter(
            level=AreaLevel.VILLAGE, point__isnull=False, retired_on__isnull=True
        )
        .only("pk", "code", "parent_id")
        .order_by("code")
    )
    by_township: dict[int, list[AdminArea]] = {}
    for village in villages:
        by_township.setdefault(village.parent_id or 0, []).append(village)
    longju = [v for v in villages if v.code.startswith(LONGJU[:9])]
    chosen = [v for v in longju if v.code == XIANGDONG]
    others = [v for v in longju if v.code != XIANGDONG]
    chosen += rng.sample(others, min(LONGJU_SITES - len(chosen), len(others)))
    townships = [pk for pk, members in by_township.items() if members[0].code[:9] != LONGJU[:9]]
    rng.shuffle(townships)
    for pk in townships[: max(SITES - len(chosen), 0)]:
        chosen.append(rng.choice(by_township[pk]))
    # Their outlines and names only now: the county's 600 outlines are not needed.
    full = AdminArea.objects.select_related("parent").in_bulk([v.pk for v in chosen])
    return [full[v.pk] for v in chosen]


def _asset(
    codes: CodeAllocator,
    site: RelocationSite,
    *,
    name: str,
    asset_class: str,
    subtype: str,
    quantity: Decimal,
    unit: str,
    value: Decimal,
    geom: GEOSGeometry,
    formed_on: datetime.date,
) -> Asset:
    village = site.area
    return Asset(
        code=codes.code(village.county_code, formed_on.year, asset_class),
        name=name,
        asset_class=asset_class,
        subtype=subtype,
        form=AssetForm.FIXED,
        fund_era=fund_era_for(formed_on),
        original_value=value.quantize(Decimal("0.01")),
        quantity=quantity,
        unit=unit,
        formed_on=formed_on,
        status=AssetStatus.IN_USE,
        area=village,
        area_code=village.code,
        county_code=village.county_code,
        address=site.name,
        geom=geom,
        beneficiary_households=site.households,
        beneficiary_persons=site.persons,
        beneficiary_exited_households=site.registered_households,
        synthetic=True,
    )


def _facilities(
    rng: random.Random, codes: CodeAllocator, site: RelocationSite
) -> list[tuple[Asset, str]]:
    """The assets that serve a site, each with its role: housing for every site; for a
    concentrated one also its school or kindergarten, clinic, workshop, water and road."""
    built = datetime.date(site.built_to or 2019, rng.randint(6, 11), rng.randint(1, 28))
    short = site.name.removesuffix("安置点").removesuffix("安置区").removesuffix("安置小区")
    x, y = site.point.coords
    housing_geom = site.outline or site.point
    out: list[tuple[Asset, str]] = [
        (
            _asset(
                codes,
                site,
                name=f"{short}安置住房",
                asset_class=AssetClass.HOUSEHOLD,
                subtype=AssetSubtype.RELOCATION_HOUSING,
                quantity=Decimal(site.housing_units),
                unit="套",
                value=site.floor_area_m2 * Decimal(rng.randint(1500, 2200)),
                geom=housing_geom,
                formed_on=built,
            ),
            FacilityRole.HOUSING,
        )
    ]
    if site.outline is None:
        return out
    near = [Point(x + rng.uniform(-0.0006, 0.0006), y + rng.uniform(-0.0006, 0.0006), srid=4490)
            for _ in range(3)]  # fmt: skip
    school = "小学" if site.persons >= 800 else "幼儿园"
    village = site.area
    assert village.point is not None
    road = LineString([(x, y), ((x + village.point.x) / 2 + 0.0008, (y + village.point.y) / 2),
                       village.point.coords], srid=4490)  # fmt: skip
    pipe = LineString([(x - 0.001, y - 0.0015), (x - 0.0003, y - 0.0005), (x, y)], srid=4490)
    specs = [
        (f"{short}{school}", AssetClass.PUBLIC, AssetSubtype.PUBLIC_SERVICE, Decimal(1), "处",
         rng.randint(800, 3000) * 1000, near[0], FacilityRole.FACILITY),
        (f"{short}社区卫生服务站", AssetClass.PUBLIC, AssetSubtype.PUBLIC_SERVICE, Decimal(1), "处",
         rng.randint(150, 600) * 1000, near[1], FacilityRole.FACILITY),
        (f"{short}供水管网", AssetClass.PUBLIC, AssetSubtype.WATER_SUPPLY,
         Decimal(f"{rng.uniform(0.4, 2.5):.3f}"), "km", rng.randint(200, 900) * 1000, pipe,
         FacilityRole.FACILITY),
        (f"{short}连接道路", AssetClass.PUBLIC, AssetSubtype.ROAD,
         Decimal(f"{rng.uniform(0.5, 3.5):.3f}"), "km", rng.randint(400, 2500) * 1000, road,
         FacilityRole.FACILITY),
        (f"{short}就业帮扶车间", AssetClass.OPERATING, AssetSubtype.WORKSHOP,
         Decimal(rng.randint(400, 2000)), "m²", rng.randint(600, 2500) * 1000, near[2],
         FacilityRole.INDUSTRY),
    ]  # fmt: skip
    for name, cls, subtype, quantity, unit, value, geom, role in specs:
        asset = _asset(
            codes, site, name=name, asset_class=cls, subtype=subtype, quantity=quantity,
            unit=unit, value=Decimal(value), geom=geom, formed_on=built,
        )  # fmt: skip
        out.append((asset, role))
    return out


def _support(rng: random.Random, site: RelocationSite) -> list[SiteSupport]:
    """Follow-up figures of 2021-2025: the labour force about half the persons, employment
    rising towards 95 %, income rising about 8 % a year."""
    labour = max(1, round(site.persons * rng.uniform(0.45, 0.6)))
    rate = rng.uniform(0.84, 0.92)
    income = Decimal(rng.randint(8500, 11500))
    rows = []
    for year in SUPPORT_YEARS:
        labour = max(1, labour + rng.randint(-3, 4))
        rate = min(0.99, rate + rng.uniform(0.0, 0.025))
        income = income * Decimal(str(round(rng.uniform(1.05, 1.1), 3)))
        rows.append(
            SiteSupport(
                site=site,
                year=year,
                labour_force=labour,
                employed=min(labour, round(labour * rate)),
                per_capita_income=income.quantize(Decimal("0.01")),
                welfare_posts=max(0, round(site.households * rng.uniform(0.02, 0.06))),
                workshops=rng.randint(0, 2) if site.outline is not None else 0,
                monitored_households=min(
                    site.households, round(site.households * rng.uniform(0.01, 0.05))
                ),
            )
        )
    return rows


def _problems(
    rng: random.Random, site: RelocationSite, recorder: User, today: datetime.date
) -> list[SiteProblem]:
    out = []
    for category, text in rng.sample(PROBLEMS, rng.randint(0, 3)):
        raised = today - datetime.timedelta(days=rng.randint(30, 700))
        problem = SiteProblem(
            site=site, category=category, description=text, raised_on=raised, recorded_by=recorder
        )
        if rng.random() < 0.5:
            problem.status = ProblemStatus.RESOLVED
            problem.resolved_on = min(today, raised + datetime.timedelta(days=rng.randint(10, 120)))
            problem.resolution = rng.choice(RESOLUTIONS)
        out.append(problem)
    return out


def generate_sites(*, seed: int = 500101, notify: bool = True) -> SiteSummary:
    """Write the demo county's relocation sites, their facility assets, support figures,
    problems and project links (see the module's docstring). Call inside a transaction with a
    history context. ``notify`` recomputes the network gaps of the townships they lie in (a
    few seconds; tests that do not look at the gaps skip it)."""
    rng = random.Random(seed)
    today = timezone.localdate()
    recorder = (
        User.objects.filter(username="manager").first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.order_by("pk").first()
    )
    clerk = User.objects.filter(username="village_clerk").first() or recorder
    assert recorder is not None and clerk is not None, "load the demo county (and its accounts)"
    summary = SiteSummary()
    codes = CodeAllocator()
    source = FundSource.objects.filter(code="integrated").first() or FundSource.objects.first()
    villages = _villages(rng)
    sites: list[RelocationSite] = []
    for index, village in enumerate(villages):
        concentrated = index < 4 or rng.random() < 0.75
        site_type = _weighted(rng, CONCENTRATED) if concentrated else rng.choice(DISPERSED)
        if village.code == XIANGDONG:
            site_type = SiteType.CENTRAL_VILLAGE
        point = _place(rng, village)
        big = site_type in (SiteType.MARKET_TOWN, SiteType.COUNTY_TOWN, SiteType.INDUSTRIAL_PARK)
        households = rng.randint(60, 320) if big else rng.randint(8, 90)
        if not concentrated:
            households = rng.randint(3, 25)
        alongside = round(households * rng.uniform(0.0, 0.3))
        built_from = rng.randint(2016, 2019)
        built_to = min(2020, built_from + rng.randint(0, 1))
        site = RelocationSite(
            code=site_code(village.county_code),
            name=f"{village.short_name}{NAMES[site_type]}",
            site_type=site_type,
            area=village,
            area_code=village.code,
            county_code=village.county_code,
            point=_geos(point),
            outline=_geos(_outline(rng, point, village)) if concentrated else None,
            registered_households=households,
            registered_persons=round(households * rng.uniform(3.0, 4.2)),
            alongside_households=alongside,
            alongside_persons=round(alongside * rng.uniform(2.8, 4.0)),
            housing_units=households + alongside if concentrated else households,
            floor_area_m2=Decimal((households + alongside) * rng.randint(70, 95)),
            built_from=built_from,
            built_to=built_to,
            moved_in_on=datetime.date(built_to, rng.randint(6, 12), rng.randint(1, 28)),
            reclamation=_weighted(rng, RECLAMATION),
            synthetic=True,
            note="示意数据，非真实安置点",
        )
        site.save()
        site.refresh_from_db()  # the generated totals and scale band
        sites.append(site)
        linked = _facilities(rng, codes, site)
        assets = Asset.objects.bulk_create([asset for asset, _role in linked])
        if source is not None:
            AssetFunding.objects.bulk_create(
                AssetFunding(asset=a, source=source, amount=a.original_value) for a in assets
            )
        SiteFacility.objects.bulk_create(
            SiteFacility(site=site, asset=asset, role=role)
            for asset, (_a, role) in zip(assets, linked, strict=True)
        )
        summary.assets += len(assets)
        SiteSupport.objects.bulk_create(_support(rng, site))
        who = clerk if village.code == XIANGDONG else recorder
        problems = _problems(rng, site, who, today)
        if village.code == XIANGDONG and not problems:
            problems = [
                SiteProblem(site=site, category=PROBLEMS[1][0], description=PROBLEMS[1][1],
                            raised_on=today - datetime.timedelta(days=90), recorded_by=who)
            ]  # fmt: skip
        SiteProblem.objects.bulk_create(problems)
        projects = list(
            Project.objects.filter(
                synthetic=True,
                area_codes__contains=[village.code],
                category__in=[ProjectCategory.RELOCATION, ProjectCategory.INDUSTRY],
            )
            .order_by("code")
            .values_list("pk", flat=True)[:2]
        )
        SiteProject.objects.bulk_create(SiteProject(site=site, project_id=pk) for pk in projects)
        summary.projects += len(projects)
    summary.sites = len(sites)
    if notify:  # the network gaps list every site: recompute the townships they lie in
        notify_places_changed(
            [g for s in sites for g in (s.point, s.outline)], [s.area_code for s in sites]
        )
    return summary


def fill_demo_sites(*, seed: int = 500101, notify: bool = True) -> int:
    """Give a demo database its relocation sites once (none when it has sites, or is not the
    demo county); one cheap query afterwards. Returns how many sites were written."""
    if RelocationSite.objects.exists():
        return 0
    if not AdminArea.objects.filter(code=XIANGDONG, synthetic=True).exists():
        return 0
    with transaction.atomic(), pghistory.context(command=COMMAND, seed=seed):
        return generate_sites(seed=seed, notify=notify).sites
