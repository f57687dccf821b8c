"""A deterministic demo register for the demo county: parties, assets of every class and
sub-type placed in their villages, roads and pipes as lines between villages, owners, duties,
inspection logs, income, distribution plans and a few disposals. All marked synthetic.

``generate_register(assets=N, seed=S)`` gives the same register for the same N, S and day
(inspection dates count back from the day it runs, so that some are overdue, not all). The demo
uses a few thousand assets; benchmarks ask for 1,000,000 (written in batches).
"""

import datetime
import io
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pghistory
from django.contrib.gis.geos import LineString, Point
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone

from registry.choices import (
    ASSET_CLASS_DIGIT,
    SUBTYPES_BY_CLASS,
    AllocationUse,
    AreaLevel,
    AssetClass,
    AssetForm,
    AssetStatus,
    AssetSubtype,
    BenefitLink,
    DisposalMethod,
    DisposalReason,
    DisposalStatus,
    InspectionResult,
    MaintenanceKind,
    OwnershipKind,
    PartyKind,
    PlanStatus,
)
from registry.demo_projects import generate_projects
from registry.models import (
    AdminArea,
    Asset,
    AssetFunding,
    DisposalRequest,
    DistributionLine,
    DistributionPlan,
    FundSource,
    IncomeRecord,
    MaintenanceDuty,
    MaintenanceLog,
    OwnershipRecord,
    OwnershipShare,
    Party,
    User,
)
from registry.services.assets import fund_era_for

TODAY = timezone.localdate()  # inspections and disposals are dated back from the day of generation
CLASS_WEIGHTS: list[tuple[str, float]] = [
    (AssetClass.PUBLIC, 0.6),
    (AssetClass.HOUSEHOLD, 0.25),
    (AssetClass.OPERATING, 0.15),
]
LINEAR = {AssetSubtype.ROAD, AssetSubtype.IRRIGATION, AssetSubtype.WATER_SUPPLY, AssetSubtype.POWER}
UNITS: dict[str, tuple[str, str]] = {
    AssetSubtype.ROAD: ("km", "通组公路"),
    AssetSubtype.BRIDGE: ("座", "便民桥"),
    AssetSubtype.IRRIGATION: ("km", "灌溉渠"),
    AssetSubtype.WATER_SUPPLY: ("km", "供水管网"),
    AssetSubtype.POWER: ("km", "农网线路"),
    AssetSubtype.SANITATION: ("座", "公共厕所"),
    AssetSubtype.PUBLIC_SERVICE: ("处", "村卫生室"),
    AssetSubtype.VILLAGE_HALL: ("处", "村级活动场所"),
    AssetSubtype.NETWORK: ("处", "便民服务点"),
    AssetSubtype.WATERSHED: ("km²", "小流域治理"),
    AssetSubtype.RELOCATION_FACILITY: ("处", "安置点配套设施"),
    AssetSubtype.INDUSTRY_BASE: ("亩", "柑橘产业基地"),
    AssetSubtype.PROCESSING: ("座", "农产品加工厂"),
    AssetSubtype.TOURISM: ("处", "乡村旅游接待中心"),
    AssetSubtype.ECOMMERCE: ("处", "电商服务站"),
    AssetSubtype.PV_STATION: ("kW", "村级光伏电站"),
    AssetSubtype.WORKSHOP: ("m²", "就业帮扶车间"),
    AssetSubtype.GREENHOUSE: ("亩", "蔬菜大棚"),
    AssetSubtype.COLD_STORAGE: ("m³", "冷藏保鲜库"),
    AssetSubtype.MACHINERY: ("台", "农机设备"),
    AssetSubtype.EQUITY: ("万元", "入股合作社股权"),
    AssetSubtype.LIVESTOCK: ("头", "能繁母牛"),
    AssetSubtype.PERENNIAL: ("株", "脆李果苗"),
    AssetSubtype.HOUSEHOLD_PV: ("kW", "户用光伏"),
    AssetSubtype.RELOCATION_HOUSING: ("套", "易地搬迁安置住房"),
    AssetSubtype.HOUSE_RENOVATION: ("户", "危房改造"),
    AssetSubtype.TOILET: ("座", "户厕改造"),
    AssetSubtype.HOUSEHOLD_WATER: ("户", "饮水入户"),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "国华建明秀兰军平德福志强玉英春梅文华海燕成忠"


@dataclass
class RegisterSummary:
    parties: int
    assets: int
    projects: int = 0


def _weighted(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def _parties(
    rng: random.Random, townships: list[AdminArea], villages: list[AdminArea]
) -> dict[str, Party]:
    """The county's existing bodies (loaded with the demo county) plus a cooperative and an
    enterprise per township and two households per village, keyed for lookup."""
    by_area = {(p.area_id, p.kind): p for p in Party.objects.all()}
    parties: dict[str, Party] = {}
    for v in villages:
        parties[f"coll:{v.code}"] = by_area[(v.pk, PartyKind.VILLAGE_COLLECTIVE)]
    new: list[tuple[str, Party]] = []
    for t in townships:
        new.append(
            (
                f"coop:{t.code}",
                Party(
                    kind=PartyKind.COOPERATIVE,
                    name=f"{t.name[:2]}果蔬专业合作社",
                    area=t,
                    contact_person=_person(rng),
                    phone=_phone(rng),
                ),
            )
        )
        new.append(
            (
                f"ent:{t.code}",
                Party(kind=PartyKind.ENTERPRISE, name=f"重庆{t.name[:2]}农业发展有限公司", area=t),
            )
        )
    for v in villages:
        for i in range(2):
            new.append(
                (
                    f"hh:{v.code}:{i}",
                    Party(
                        kind=PartyKind.HOUSEHOLD,
                        name=_person(rng),
                        area=v,
                        phone=_phone(rng),
                        id_number=f"{v.code[:6]}19{rng.randrange(50, 99)}0{rng.randrange(1, 9)}"
                        f"{rng.randrange(10, 28)}{rng.randrange(1000):03d}X",
                    ),
                )
            )
    for _, party in new:
        party.area_code, party.county_code = party.area.code, party.area.county_code
    created = Party.objects.bulk_create([p for _, p in new])
    parties.update({key: party for (key, _), party in zip(new, created, strict=True)})
    return parties


def _geometry(
    rng: random.Random, subtype: str, village: AdminArea, neighbours: list[AdminArea]
) -> Point | LineString:
    assert village.point is not None
    x, y = village.point.coords
    others = [n for n in neighbours if n.pk != village.pk]
    if subtype in LINEAR and others:
        other = rng.choice(others)
        assert other.point is not None
        ox, oy = other.point.coords
        mx, my = (
            (x + ox) / 2 + rng.uniform(-0.004, 0.004),
            (y + oy) / 2 + rng.uniform(-0.004, 0.004),
        )
        return LineString([(x, y), (mx, my), (ox, oy)], srid=4490)
    return Point(x + rng.gauss(0, 0.004), y + rng.gauss(0, 0.004), srid=4490)


def _asset_rows(
    rng: random.Random,
    count: int,
    villages: list[AdminArea],
    neighbours: dict[int, list[AdminArea]],
) -> Iterator[Asset]:
    # Continue each code series after the assets already registered.
    serials: dict[str, int] = {
        row["prefix"]: int(row["last"][-5:])
        for row in Asset.objects.annotate(prefix=Substr("code", 1, 11))
        .values("prefix")
        .annotate(last=Max("code"))
    }
    for _ in range(count):
        village = rng.choice(villages)
        asset_class = _weighted(rng, CLASS_WEIGHTS)
        subtype = rng.choice(SUBTYPES_BY_CLASS[asset_class])
        unit, noun = UNITS[subtype]
        formed_on = datetime.date(rng.randint(2014, 2025), rng.randint(1, 12), rng.randint(1, 28))
        prefix = f"{village.county_code}{formed_on.year}{ASSET_CLASS_DIGIT[asset_class]}"
        serials[prefix] = serials.get(prefix, 0) + 1
        short = village.name.replace("村民委员会", "").replace("居民委员会", "")
        value = Decimal(
            rng.lognormvariate(12.0 if asset_class != AssetClass.HOUSEHOLD else 9.5, 0.9)
        )
        households = rng.randint(5, 300) if asset_class != AssetClass.HOUSEHOLD else 1
        yield Asset(
            code=f"{prefix}{serials[prefix]:05d}",
            name=f"{short}{noun}" + (f"{rng.randint(1, 9)}号" if rng.random() < 0.4 else ""),
            asset_class=asset_class,
            subtype=subtype,
            form=AssetForm.BIOLOGICAL
            if subtype in (AssetSubtype.LIVESTOCK, AssetSubtype.PERENNIAL)
            else AssetForm.EQUITY
            if subtype == AssetSubtype.EQUITY
            else AssetForm.FIXED,
            fund_era=fund_era_for(formed_on),
            original_value=value.quantize(Decimal("0.01")),
            quantity=Decimal(rng.randint(1, 200))
            if unit != "km"
            else Decimal(f"{rng.uniform(0.3, 8):.3f}"),
            unit=unit,
            formed_on=formed_on,
            status=AssetStatus.IN_USE,
            area=village,
            area_code=village.code,
            county_code=village.county_code,
            geom=_geometry(rng, subtype, village, neighbours[village.parent_id or 0]),
            beneficiary_households=households,
            beneficiary_persons=households * rng.randint(2, 4),
            beneficiary_exited_households=rng.randint(0, households),
            beneficiary_monitored_households=rng.randint(
                0, max(households // 10, 1) if households > 1 else 0
            ),
            benefit_links=rng.sample(BenefitLink.values, rng.randint(1, 2))
            if asset_class == AssetClass.OPERATING
            else [],
            booked=rng.random() < 0.8,
            synthetic=True,
        )


@transaction.atomic
def has_demo_register() -> bool:
    """Whether the database holds the demo register (generate_register's assets). The demo
    network's roads and pipes are synthetic assets too, and a test database loaded with the
    areas and the network holds nothing else: they do not count."""
    return Asset.objects.filter(synthetic=True, network__isnull=True).exists()


def generate_register(
    *, assets: int = 3000, seed: int = 500101, batch: int = 5000, projects: int | None = None
) -> RegisterSummary:
    """Fill the demo county (already loaded) with a deterministic register, and its project
    libraries (registry.demo_projects: ``projects``, by default a tenth of the assets)
    consistent with it."""
    rng = random.Random(seed)
    townships = list(AdminArea.objects.filter(level=AreaLevel.TOWNSHIP).order_by("code"))
    villages = list(
        AdminArea.objects.filter(level=AreaLevel.VILLAGE, point__isnull=False).order_by("code")
    )
    neighbours: dict[int, list[AdminArea]] = {}
    for v in villages:
        neighbours.setdefault(v.parent_id or 0, []).append(v)
    clerk = (
        User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.order_by("pk").first()
    )
    assert clerk is not None, "load the demo county (and its accounts) first"
    sources = list(FundSource.objects.filter(active=True).order_by("sort_order"))

    with pghistory.context(command="generate_register", seed=seed):
        parties = _parties(rng, townships, villages)
        made = 0
        formed_since_2021: list[int] = []  # the 帮扶 era: what the project libraries formed
        rows = _asset_rows(rng, assets, villages, neighbours)
        while made < assets:
            chunk = [a for _, a in zip(range(batch), rows, strict=False)]
            if not chunk:
                break
            created = Asset.objects.bulk_create(chunk)
            _records(rng, created, parties, sources, clerk)
            made += len(created)
            formed_since_2021 += [a.pk for a in created if a.formed_on.year >= 2021]
        libraries = generate_projects(
            count=assets // 10 if projects is None else projects,
            seed=seed,
            asset_ids=formed_since_2021,
        )
    return RegisterSummary(parties=len(parties), assets=made, projects=libraries.projects)


def _records(
    rng: random.Random,
    assets: list[Asset],
    parties: dict[str, Party],
    sources: list[FundSource],
    clerk: User,
) -> None:
    """Funding, ownership, duties, logs, income, plans and disposals for a batch of assets."""
    funding: list[AssetFunding] = []
    records: list[tuple[OwnershipRecord, list[tuple[Party, Decimal]]]] = []
    duties: list[MaintenanceDuty] = []
    logs: list[MaintenanceLog] = []
    income: list[IncomeRecord] = []
    plans: list[tuple[DistributionPlan, dict[str, Decimal]]] = []
    lines: list[DistributionLine] = []
    disposals: list[DisposalRequest] = []
    for asset in assets:
        village = asset.area_code
        collective = parties[f"coll:{village}"]
        # Funding: one to three sources adding up to the original value.
        picks = rng.sample(sources[:8], rng.randint(1, 3))
        remaining = asset.original_value
        for i, source in enumerate(picks):
            amount = (
                remaining
                if i == len(picks) - 1
                else (remaining * Decimal(rng.uniform(0.3, 0.7))).quantize(Decimal("0.01"))
            )
            remaining -= amount
            funding.append(AssetFunding(asset=asset, source=source, amount=amount))
        # Ownership: most assets are confirmed; households own household assets.
        roll = rng.random()
        if roll < 0.85:
            owner = (
                parties[f"hh:{village}:{rng.randint(0, 1)}"]
                if asset.asset_class == AssetClass.HOUSEHOLD
                else collective
            )
            record = OwnershipRecord(
                asset=asset,
                kind=OwnershipKind.CONFIRMATION,
                effective_on=min(
                    asset.formed_on + datetime.timedelta(days=rng.randint(30, 400)), TODAY
                ),
                basis="万州区扶贫项目资产确权登记表",
                certificate_no=f"WZQQ{asset.code[-9:]}",
                registered_by=clerk,
            )
            records.append((record, [(owner, Decimal(100))]))
        else:
            asset.status = AssetStatus.REGISTERED
        if roll > 0.97:
            asset.status = AssetStatus.DRAFT
        # Maintenance: public assets need named maintainers; a few are missing on purpose.
        if asset.asset_class == AssetClass.PUBLIC and rng.random() < 0.9:
            starts = max(asset.formed_on, datetime.date(2021, 1, 1))
            interval = rng.choice([30, 90, 180])
            duties.append(
                MaintenanceDuty(
                    asset=asset,
                    maintainer=collective,
                    responsible_person=_person(rng),
                    responsible_phone=_phone(rng),
                    duties="日常巡查、保洁和简易维修，发现损毁及时上报乡镇。",
                    funding_source=rng.choice(["村集体经营收益", "公益性岗位", "县级管护资金"]),
                    inspection_interval_days=interval,
                    starts_on=starts,
                    posted_on=min(starts + datetime.timedelta(days=7), TODAY),
                    assigned_by=clerk,
                )
            )
            # About one in six duties is overdue for its next inspection.
            day = TODAY - datetime.timedelta(days=rng.randint(1, interval * 6 // 5))
            result = _weighted(
                rng,
                [
                    (InspectionResult.NORMAL, 0.85),
                    (InspectionResult.NEEDS_REPAIR, 0.12),
                    (InspectionResult.DAMAGED, 0.03),
                ],
            )
            if day >= starts:
                logs.append(
                    MaintenanceLog(
                        asset=asset,
                        kind=MaintenanceKind.INSPECTION,
                        performed_on=day,
                        result=result,
                        findings="" if result == InspectionResult.NORMAL else "路面局部破损",
                        logged_by=clerk,
                        location=asset.geom.point_on_surface if asset.geom else None,
                    )
                )
                if result != InspectionResult.NORMAL:
                    asset.status = AssetStatus.DAMAGED
        # Income of operating assets, and a distribution plan for last year.
        if asset.asset_class == AssetClass.OPERATING and asset.formed_on.year < 2025:
            gross = (asset.original_value * Decimal(rng.uniform(0.04, 0.12))).quantize(
                Decimal("0.01")
            )
            income.append(
                IncomeRecord(
                    asset=asset,
                    period_start=datetime.date(2025, 1, 1),
                    period_end=datetime.date(2025, 12, 31),
                    gross=gross,
                    costs=(gross * Decimal("0.1")).quantize(Decimal("0.01")),
                    account="区财政局代管账户",
                    recorded_by=clerk,
                )
            )
            total = (gross * Decimal("0.9")).quantize(Decimal("0.01"))
            split: dict[str, Decimal] = {
                AllocationUse.WELFARE_POSTS: Decimal("0.6"),
                AllocationUse.PUBLIC_WORKS: Decimal("0.2"),
                AllocationUse.UPKEEP: Decimal("0.1"),
            }
            plan = DistributionPlan(
                asset=asset,
                year=2025,
                total=total,
                resolution="村民代表大会决议",
                status=rng.choice(
                    [
                        PlanStatus.DRAFT,
                        PlanStatus.VILLAGE_RESOLVED,
                        PlanStatus.TOWNSHIP_REVIEWED,
                        PlanStatus.COUNTY_FILED,
                    ]
                ),
                created_by=clerk,
            )
            amounts = {
                use: (total * share).quantize(Decimal("0.01")) for use, share in split.items()
            }
            amounts[AllocationUse.RETAINED] = total - sum(amounts.values())
            plans.append((plan, amounts))
        # A few disposals: idle or damaged assets end their life.
        if rng.random() < 0.01 and asset.status not in (AssetStatus.DRAFT,):
            done = rng.random() < 0.5
            disposals.append(
                DisposalRequest(
                    asset=asset,
                    reason=DisposalReason.END_OF_LIFE,
                    method=DisposalMethod.SCRAP,
                    book_value=asset.original_value / 4,
                    explanation="设施老化，已无使用价值。",
                    required_level="township",
                    status=DisposalStatus.COMPLETED if done else DisposalStatus.REQUESTED,
                    requested_by=clerk,
                    requested_on=TODAY - datetime.timedelta(days=60),
                    completed_on=TODAY if done else None,
                    proceeds=Decimal(0) if done else None,
                )
            )
            asset.status = AssetStatus.DISPOSED if done else AssetStatus.DISPOSAL_PENDING
    Asset.objects.bulk_update(assets, ["status"])
    AssetFunding.objects.bulk_create(funding)
    OwnershipRecord.objects.bulk_create([r for r, _ in records])
    OwnershipShare.objects.bulk_create(
        OwnershipShare(record=r, party=p, percent=pct) for r, owners in records for p, pct in owners
    )
    MaintenanceDuty.objects.bulk_create(duties)
    MaintenanceLog.objects.bulk_create(logs)
    IncomeRecord.objects.bulk_create(income)
    DistributionPlan.objects.bulk_create([p for p, _ in plans])
    for plan, amounts in plans:
        lines.extend(
            DistributionLine(plan=plan, use=u, amount=a) for u, a in amounts.items() if a > 0
        )
    DistributionLine.objects.bulk_create(lines)
    DisposalRequest.objects.bulk_create(disposals)


def bulk_load_assets(*, assets: int, seed: int = 500101, batch: int = 50_000) -> int:
    """Benchmark mode: stream ``assets`` synthetic assets of the same generator into the table
    with COPY, in batches, with every trigger off (row history included).

    For benchmark databases only: nothing else is written (no parties, owners or logs), the
    history of these rows is not recorded, and whatever triggers keep derived tables in step
    (the map's tile cells) must be rebuilt by the caller afterwards.
    """
    rng = random.Random(seed)
    villages = list(
        AdminArea.objects.filter(level=AreaLevel.VILLAGE, point__isnull=False).order_by("code")
    )
    neighbours: dict[int, list[AdminArea]] = {}
    for v in villages:
        neighbours.setdefault(v.parent_id or 0, []).append(v)
    columns = [
        "code", "name", "asset_class", "subtype", "form", "fund_era", "original_value",
        "quantity", "unit", "formed_on", "status", "area_id", "area_code", "county_code",
        "address", "geom", "beneficiary_households", "beneficiary_persons",
        "beneficiary_exited_households", "beneficiary_monitored_households", "benefit_links",
        "booked", "voucher_no", "supervising_department", "synthetic", "note", "version",
        "created_at", "updated_at",
    ]  # fmt: skip
    now = timezone.now().isoformat()
    rows = _asset_rows(rng, assets, villages, neighbours)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        while written < assets:
            buffer = io.StringIO()
            count = 0
            for asset in itertools.islice(rows, batch):
                assert asset.geom is not None
                values = [
                    asset.code, asset.name, asset.asset_class, asset.subtype, asset.form,
                    asset.fund_era, str(asset.original_value), str(asset.quantity), asset.unit,
                    asset.formed_on.isoformat(), asset.status, str(asset.area.pk),
                    asset.area_code, asset.county_code, "", asset.geom.ewkt,
                    str(asset.beneficiary_households), str(asset.beneficiary_persons),
                    str(asset.beneficiary_exited_households),
                    str(asset.beneficiary_monitored_households),
                    "{" + ",".join(asset.benefit_links) + "}", "t" if asset.booked else "f",
                    "", "", "t", "", "1", now, now,
                ]  # fmt: skip
                buffer.write("\t".join(values) + "\n")
                count += 1
            if not count:
                break
            buffer.seek(0)
            cursor.copy_expert(f"COPY registry_asset ({', '.join(columns)}) FROM STDIN", buffer)
            written += count
    return written
