"""The tests' shared helpers (the one module tests import from each other): valid inputs for
the services and forms, and the background worker run in the test's process."""

import datetime
import math
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point

from registry.models import AdminArea, Party
from registry.services.assets import AssetInput

XIANGDONG = "500101151200"  # 向东村, 龙驹镇


def village(code: str = XIANGDONG) -> AdminArea:
    return AdminArea.objects.get(code=code)


def asset_input(area: AdminArea | None = None, **overrides: Any) -> AssetInput:
    area = area or village()
    assert area.point is not None
    x, y = area.point.coords
    values: dict[str, Any] = {
        "name": "向东村通组公路",
        "asset_class": "public",
        "subtype": "road",
        "form": "fixed",
        "area": area,
        "address": "三组",
        "geom": Point(x + 0.001, y + 0.001, srid=4490),
        "formed_on": datetime.date(2022, 5, 1),
        "original_value": Decimal("350000.00"),
        "quantity": Decimal("2.5"),
        "unit": "km",
        "beneficiary_households": 40,
        "beneficiary_persons": 120,
        "beneficiary_exited_households": 12,
        "beneficiary_monitored_households": 2,
        "benefit_links": [],
        "booked": False,
        "booked_on": None,
        "voucher_no": "",
        "supervising_department": "区交通运输局",
        "note": "",
    }
    funding = overrides.pop(
        "funding", {"central_bridging": Decimal("300000"), "county": Decimal("50000")}
    )
    values.update(overrides)
    return AssetInput(values=values, funding=funding)


def collective(area: AdminArea | None = None, name: str = "向东村股份经济合作联合社") -> Party:
    area = area or village()
    party, _ = Party.objects.get_or_create(
        name=name,
        defaults={
            "kind": "village_collective",
            "area": area,
            "area_code": area.code,
            "county_code": area.county_code,
        },
    )
    return party


def asset_form_data(asset: Any = None, **overrides: object) -> dict[str, object]:
    """What the asset form posts for ``asset_input()`` (``asset`` for an edit: its version);
    an override of None leaves the field out."""
    values = asset_input().values
    data: dict[str, object] = {
        k: v for k, v in values.items() if k not in {"geom", "area", "benefit_links", "booked_on"}
    }
    data.update(
        area=values["area"].pk,
        geom=values["geom"].geojson,
        booked="",
        funding_central_bridging="300000",
        version=asset.version if asset else "",
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def run_worker() -> None:
    """The database worker, as `make run` starts it, processing what is queued, then exiting.
    (Run in this process, it must not close the connection that holds the test's transaction.)"""
    from unittest import mock

    from django.core.management import call_command

    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("db_worker", batch=True, no_startup_delay=True, interval=0.1, verbosity=0)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the Web Mercator tile holding a longitude and latitude."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


# --- ledgers as counties keep them (issue 18): their own columns, systems and encodings --------

LONGJU = "500101151000"  # 龙驹镇


def county_villages(n: int = 3) -> list[AdminArea]:
    """Villages of 龙驹镇 whose short names no other village of the county has (a file that
    names only the village must be unambiguous)."""
    from collections import Counter

    from registry.models.areas import short_name

    names = Counter(
        short_name(n)
        for n in AdminArea.objects.filter(level="village").values_list("name", flat=True)
    )
    villages = AdminArea.objects.filter(
        code__startswith=LONGJU[:9], level="village", point__isnull=False
    ).order_by("code")
    return [v for v in villages if names[v.short_name] == 1 and v.code[9] >= "2"][:n]


BATCH_STEP = 0.0003  # degrees east between the positions of two batches (about 30 m)


def county_point(village: AdminArea, batch: int, index: int) -> tuple[float, float]:
    """Where the county files put their ``index``-th asset of ``batch`` (near its village)."""
    return village.point.x + BATCH_STEP * batch, village.point.y + 0.001 * index


def _points(villages: list[AdminArea], batch: int) -> list[tuple[float, float]]:
    """A position near each village (a different one for each batch of a layout)."""
    return [county_point(v, batch, i) for i, v in enumerate(villages)]


def _shapefile_zip(folder: Any, frame: Any, name: str, *, encoding: str, keep: set[str]) -> Any:
    import zipfile

    parts = folder / name
    parts.mkdir(parents=True, exist_ok=True)
    frame.to_file(parts / f"{name}.shp", encoding=encoding, engine="pyogrio")
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(parts.iterdir()):
            if part.suffix.lower() in keep:
                archive.write(part, part.name)
    return path


def gk_shapefile_without_prj(folder: Any, batch: int = 1) -> Any:
    """A surveyor's Shapefile: pinyin field names (ZCMC 资产名称, YZ 原值 ...), CGCS2000
    Gauss-Kruger zone 36 with the zone in front of the easting (EPSG:4524), no .prj, values in
    万元, the year built only."""
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    villages = county_villages()
    to_gk = Transformer.from_crs(4490, 4524, always_xy=True)
    rows, points = [], []
    for i, (v, (lon, lat)) in enumerate(zip(villages, _points(villages, batch), strict=True)):
        rows.append({
            "ZCMC": f"{v.short_name}{batch}组通组公路", "ZCLB": "公益性", "ZCZL": "道路",
            "XZ": "龙驹镇", "CUN": v.short_name, "YZ": 12.5 + i, "SL": 1.2 + i, "DW": "公里",
            "JCNF": 2019 + i,
        })  # fmt: skip
        points.append(shapely.Point(*to_gk.transform(lon, lat)))
    frame = gpd.GeoDataFrame(rows, geometry=points, crs=None)
    return _shapefile_zip(
        folder, frame, f"gk_roads_{batch}", encoding="UTF-8", keep={".shp", ".shx", ".dbf", ".cpg"}
    )


def gbk_shapefile_without_cpg(folder: Any, batch: int = 1) -> Any:
    """A Chinese desktop GIS Shapefile: Chinese field names and text in GBK with no .cpg,
    12-digit village codes under 村代码, amounts in yuan under 金额, no unit column (every row
    is counted in 处: a value for the whole file)."""
    import geopandas as gpd
    import shapely

    villages = county_villages()
    rows, points = [], []
    for i, (v, (lon, lat)) in enumerate(zip(villages, _points(villages, batch), strict=True)):
        rows.append({
            "工程名称": f"{v.short_name}{batch}号公共厕所", "类别": "公益性",
            "类型": "环卫设施（公厕、排污、垃圾）", "村代码": v.code, "金额": 86000.0 + 1000 * i,
            "数量": 1.0, "建成日期": f"2022/0{i + 3}/15",
        })  # fmt: skip
        points.append(shapely.Point(lon, lat))
    frame = gpd.GeoDataFrame(rows, geometry=points, crs="EPSG:4490")
    return _shapefile_zip(
        folder, frame, f"toilets_{batch}", encoding="GBK", keep={".shp", ".shx", ".dbf", ".prj"}
    )


def gpkg_4545(folder: Any, batch: int = 1) -> Any:
    """A GeoPackage in CGCS2000 Gauss-Kruger CM 108E without the zone (EPSG:4545): its own
    numbers under 原编号, 12-digit codes under 行政村, sub-types under 类型."""
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    villages = county_villages()
    to_gk = Transformer.from_crs(4490, 4545, always_xy=True)
    rows, points = [], []
    for i, (v, (lon, lat)) in enumerate(zip(villages, _points(villages, batch), strict=True)):
        rows.append({
            "原编号": f"LJ-SL-{batch}{i:03d}", "名称": f"{v.short_name}{batch}号蓄水池",
            "大类": "公益性", "类型": "供水饮水", "行政村": v.code, "原值（元）": 230000.0 + i,
            "数量": 1.0, "计量单位": "座", "完工时间": f"2021-0{i + 4}-30",
        })  # fmt: skip
        points.append(shapely.Point(*to_gk.transform(lon, lat)))
    frame = gpd.GeoDataFrame(rows, geometry=points, crs="EPSG:4545")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"water_{batch}.gpkg"
    frame.to_file(path, engine="pyogrio", layer="蓄水池")
    return path


def gcj02_geojson(folder: Any, batch: int = 1) -> Any:
    """Points taken with a phone map app (GCJ-02, about 500 m off), English keys, the village
    alone, values in 万元 under "value"."""
    import json

    import numpy as np

    from gis import coords

    villages = county_villages()
    features = []
    for i, (v, (lon, lat)) in enumerate(zip(villages, _points(villages, batch), strict=True)):
        glon, glat = coords.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(glon[0]), float(glat[0])]},
            "properties": {
                "name": f"{v.short_name}{batch}号灌溉渠", "category": "公益性", "type": "农田水利",
                "village": v.short_name, "value": 18.6 + i, "qty": 0.8, "unit": "公里",
                "date": f"2023-0{i + 5}-10",
            },
        })  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"canals_{batch}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


# --- projects on the map (issue 19) -------------------------------------------------------------


def map_project(
    area: AdminArea,
    *,
    status: str = "in_library",
    year: int = 2024,
    geom: Any = None,
    other_areas: tuple[AdminArea, ...] = (),
    name: str = "",
    category: str = "construction",
    planned: Decimal = Decimal("350000"),
) -> Any:
    """A project written straight to the table (no lifecycle steps), at ``geom`` or a point
    beside its area's, with one planned funding line: for map and tile tests."""
    from registry.models import FundSource, Project, ProjectFunding, User

    assert area.point is not None
    prefix = f"{area.county_code}{year:04d}"
    last = (
        Project.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    x, y = area.point.coords
    project = Project.objects.create(
        code=f"{prefix}{int(last[-4:]) + 1 if last else 1:04d}",
        name=name or f"{area.short_name}项目{year}",
        year=year,
        category=category,
        status=status,
        area=area,
        area_code=area.code,
        county_code=area.county_code,
        area_codes=sorted({area.code, *(a.code for a in other_areas)}),
        geom=geom if geom is not None else Point(x + 0.002, y + 0.001, srid=4490),
        created_by=User.objects.get(username="admin"),
    )
    ProjectFunding.objects.create(
        project=project, source=FundSource.objects.get(code="central_bridging"), planned=planned
    )
    return project


def map_need(area: AdminArea, *, geom: Any = None, title: str = "", **values: Any) -> Any:
    """A village's construction need with a place, written straight to the table."""
    from registry.models import ConstructionNeed, User

    assert area.point is not None
    x, y = area.point.coords
    fields: dict[str, Any] = {
        "category": "village_road",
        "horizon_from": 2025,
        "horizon_to": 2027,
        "status": "submitted",
        **values,
    }
    return ConstructionNeed.objects.create(
        area=area,
        area_code=area.code,
        county_code=area.county_code,
        title=title or f"{area.short_name}通组路硬化",
        geom=geom if geom is not None else Point(x - 0.002, y + 0.001, srid=4490),
        created_by=User.objects.get(username="admin"),
        **fields,
    )


# --- a hand-made network (issue 20: the network layers and the gaps view) ----------------------

HAND_SEAT = (110.5225, 30.0311)  # far east of the demo county; the middle of a zoom-12 tile
HAND_TOWN, HAND_VILLAGE, HAND_SIBLING = "500101398000", "500101398200", "500101398201"
HAND_OTHER_TOWN, HAND_OTHER_VILLAGE = "500101397000", "500101397200"


def metres_from(origin: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    """The longitude and latitude ``east`` and ``north`` metres from ``origin``."""
    lon, lat = origin
    return (lon + east / (111_320 * math.cos(math.radians(lat))), lat + north / 110_850)


def hand_network(user: Any) -> dict[str, Any]:
    """A township like 龙驹镇 (试验镇), with its gaps known, 150 km east of the demo county so that
    nothing of the demo network reaches it (positions in metres east and north of its seat):

    * 试验村 groups 901 (30 households) on a hardened group road off the hardened township road,
      with piped water (a main from a works beside the seat); 902 (40) on a gravel road off the
      same township road, no water; 903 (25) 1.5 km from any road, no water;
    * a relocation site of 试验村 (20 households, 80 persons) 600 m south of the township road,
      an outline of 200 x 200 m, with no road or pipe; a power line in 试验村;
    * a group 901 (35) of a second village on a hardened village road, no water;
    * another township 22 km north with one group (50) on a hardened road from its seat;
    * accounts for the village (``clerk``, an asset manager of 试验村) and the township
      (``township_user``, an approver of 试验镇).

    Returns the areas, links (assets), site and accounts by name; the gaps are computed (the
    link service recomputes them, and both townships are refreshed at the end)."""
    from django.contrib.gis.geos import LineString, MultiPolygon, Polygon

    from gis.network import refresh_township
    from registry.models import RelocationSite, User
    from registry.services.assets import asset_register
    from registry.services.network import network_link_set

    county = AdminArea.objects.get(code="500101000000")

    def township(code: str, name: str, seat: tuple[float, float]) -> AdminArea:
        x0, y0 = metres_from(seat, -10_000, -10_000)
        x1, y1 = metres_from(seat, 10_000, 10_000)
        return AdminArea.objects.create(
            code=code, name=name, level="township", parent=county, county_code="500101",
            boundary=MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4490),
            point=Point(*seat, srid=4490), synthetic=True,
        )  # fmt: skip

    def village_of(town: AdminArea, code: str, name: str, at: tuple[float, float]) -> AdminArea:
        return AdminArea.objects.create(
            code=code, name=name, level="village", kind="villagers_committee", parent=town,
            county_code="500101", point=Point(*at, srid=4490), synthetic=True,
        )  # fmt: skip

    def at(east: float, north: float, origin: Any = HAND_SEAT) -> tuple[float, float]:
        return metres_from(origin, east, north)

    other_seat = at(0, 22_000)
    town = township(HAND_TOWN, "试验镇", HAND_SEAT)
    other_town = township(HAND_OTHER_TOWN, "邻试验乡", other_seat)
    xd = village_of(town, HAND_VILLAGE, "试验村村民委员会", at(800, 200))
    sibling = village_of(town, HAND_SIBLING, "邻村村民委员会", at(-900, 100))
    other_village = village_of(
        other_town, HAND_OTHER_VILLAGE, "外乡村村民委员会", at(400, 0, other_seat)
    )

    def group(area: AdminArea, serial: int, where: tuple[float, float], households: int) -> Any:
        return AdminArea.objects.create(
            code=f"{area.code}{serial:03d}", name=f"{area.short_name}{serial - 900}组",
            level="group", kind="village_group", parent=area, county_code="500101",
            point=Point(*where, srid=4490), households=households,
            persons=households * 3, synthetic=True,
        )  # fmt: skip

    def link(area: AdminArea, name: str, points: list[tuple[float, float]], kind: str,
             surface: str = "", subtype: str = "road") -> Any:  # fmt: skip
        data = asset_input(
            area=area, name=name, subtype=subtype, geom=LineString(points, srid=4490)
        )
        asset = asset_register(actor=user, data=data)
        network_link_set(actor=user, asset=asset, network_type=kind, surface=surface)
        return asset

    groups = {
        "xd_paved": group(xd, 901, at(1000, 800), 30),
        "xd_gravel": group(xd, 902, at(1800, 0), 40),
        "xd_none": group(xd, 903, at(1000, -1500), 25),
        "sib": group(sibling, 901, at(-1000, 0), 35),
        "oth": group(other_village, 901, at(500, 0, other_seat), 50),
    }
    x0, y0 = at(-100, -700)
    x1, y1 = at(100, -500)
    site = RelocationSite.objects.create(
        code="500101AZ9901", name="试验村集中安置点", site_type="central_village", area=xd,
        area_code=xd.code, county_code="500101", point=Point(*at(0, -600), srid=4490),
        outline=MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4490),
        registered_households=20, registered_persons=80, synthetic=True,
    )  # fmt: skip
    works = asset_register(
        actor=user,
        data=asset_input(area=xd, name="试验水厂", subtype="water_supply",
                         geom=Point(*at(-200, 0), srid=4490)),
    )  # fmt: skip
    network_link_set(actor=user, asset=works, network_type="water_source")
    links = {
        "trunk": link(xd, "试验乡道", [at(0, 0), at(1000, 0)], "township_road", "concrete"),
        "xd_paved": link(xd, "试验一组通组路", [at(1000, 0), at(1000, 800)], "group_road",
                         "concrete"),
        "xd_gravel": link(xd, "试验二组通组路", [at(1000, 0), at(1800, 0)], "group_road",
                          "gravel"),
        "main": link(xd, "试验供水主管", [at(-200, 0), at(-200, 790), at(1000, 790)],
                     "water_main", subtype="water_supply"),
        "power": link(xd, "试验村电力线", [at(0, 300), at(800, 300)], "power_line",
                      subtype="power"),
        "sib": link(sibling, "邻村村道", [at(0, 0), at(-1000, 0)], "village_road", "asphalt"),
        "oth": link(other_village, "外乡通组路", [other_seat, at(500, 0, other_seat)],
                    "group_road", "concrete"),
        "works": works,
    }  # fmt: skip
    for each in (town, other_town):
        refresh_township(each)
    clerk = User.objects.create_user(
        username="hand_clerk", password="x", role="manager", area=xd, first_name="试验村文书"
    )
    township_user = User.objects.create_user(
        username="hand_township", password="x", role="approver", area=town
    )
    return {
        "town": town, "other_town": other_town, "xd": xd, "sibling": sibling,
        "other_village": other_village, "groups": groups, "links": links, "site": site,
        "clerk": clerk, "township_user": township_user,
    }  # fmt: skip
