"""Network columns in the asset ledger (网络类型, 道路等级, 路面, 宽度（米）, 建成年份): imported
with their labels or codes, under Chinese or English headers, checked with the rules of
registry.services.network on the row and column at fault, the gaps recomputed once per
township at the end of the import, and exported so that an export imports again.

The roads lie in a test township of their own (导入乡, around 113.5°E 30°N, far from the demo
county); positions are metres east and north of its seat."""

import csv
import json
import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from gis import network as gis_network
from gis.models import NetworkPlace
from registry.choices import AreaLevel
from registry.models import AdminArea, Asset, NetworkLink, User
from registry.selectors import asset_list
from registry.services.assets import asset_register
from registry.services.network import network_link_set
from tests.factories import asset_input
from transfer import exporters, importers
from transfer.importers.mapping import AreaNames, guess

pytestmark = pytest.mark.django_db

SEAT = (113.5, 30.0)
M_LON = 1 / (111_320 * math.cos(math.radians(SEAT[1])))
M_LAT = 1 / 110_850
VILLAGE = "500101396200"


def at(east: float, north: float) -> tuple[float, float]:
    return (SEAT[0] + east * M_LON, SEAT[1] + north * M_LAT)


@pytest.fixture
def township(db: Any) -> AdminArea:
    county = AdminArea.objects.get(code="500101000000")
    square = Polygon.from_bbox((SEAT[0] - 0.1, SEAT[1] - 0.1, SEAT[0] + 0.1, SEAT[1] + 0.1))
    square.srid = 4490
    town = AdminArea.objects.create(
        code="500101396000", name="导入乡", level=AreaLevel.TOWNSHIP, parent=county,
        county_code="500101", boundary=MultiPolygon(square, srid=4490),
        point=Point(*SEAT, srid=4490),
    )  # fmt: skip
    village = AdminArea.objects.create(
        code=VILLAGE, name="导入村", level=AreaLevel.VILLAGE, parent=town,
        county_code="500101", point=Point(*at(100, 100), srid=4490),
    )  # fmt: skip
    AdminArea.objects.create(
        code=f"{VILLAGE}001", name="一组", level=AreaLevel.GROUP, parent=village,
        county_code="500101", point=Point(*at(2000, 0), srid=4490), households=30,
    )  # fmt: skip
    return town


def group_road() -> str:
    return NetworkPlace.objects.get(kind="group", code=f"{VILLAGE}001").road


def ledger_row(name: str, **network: Any) -> dict[str, Any]:
    return {
        "资产名称": name, "资产类别": "公益性", "资产子类": "道路", "区划代码": VILLAGE,
        "资产原值（元）": 300000, "数量": 1, "单位": "km", "形成日期": "2020-06-01", **network,
    }  # fmt: skip


def geojson_file(tmp_path: Path, features: list[tuple[dict[str, Any], dict[str, Any]]]) -> Path:
    path = tmp_path / "roads.geojson"
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features
        ],
    }
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def line(*points: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(at(*p)) for p in points]}


def registered_road(user: User, points: list[tuple[float, float]], **link: Any) -> Asset:
    geom = LineString([at(*p) for p in points], srid=4490)
    village = AdminArea.objects.get(code=VILLAGE)
    asset = asset_register(actor=user, data=asset_input(area=village, geom=geom))
    if link:
        network_link_set(actor=user, asset=asset, **link)
    asset.refresh_from_db()
    return asset


@pytest.fixture
def refreshed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The townships whose gaps are recomputed, in order, each time one is."""
    calls: list[str] = []
    original = gis_network.refresh_township

    def spy(township: AdminArea) -> Any:
        calls.append(township.code)
        return original(township)

    monkeypatch.setattr(gis_network, "refresh_township", spy)
    return calls


def test_a_layer_of_roads_and_a_water_source_imports_their_network_attributes(
    tmp_path: Path, township: AdminArea, county_manager: User, refreshed: list[str]
) -> None:
    path = geojson_file(
        tmp_path,
        [
            (ledger_row("导入乡公路", 网络类型="乡道", 道路等级="三级公路", 路面="沥青",
                        **{"宽度（米）": 6.5}, 建成年份=2015),
             line((0, 0), (1000, 0))),
            (ledger_row("一组通组路", 网络类型="group_road", 路面="砂石", **{"宽度（米）": "3.5"}),
             line((1000, 0), (1500, 40), (2000, 0))),
            (ledger_row("导入村水厂", 资产子类="供水饮水", 网络类型="水源（水厂）"),
             {"type": "Point", "coordinates": list(at(2100, 100))}),
            (ledger_row("导入村公厕"), {"type": "Point", "coordinates": list(at(300, 300))}),
        ],
    )  # fmt: skip
    outcome = importers.commit(path, county_manager, label="roads")
    assert (outcome.create, outcome.errors) == (4, 0), outcome.problems
    links = {
        link.asset.name: link for link in NetworkLink.objects.select_related("asset").filter(
            asset__area_code=VILLAGE
        )
    }  # fmt: skip
    assert set(links) == {"导入乡公路", "一组通组路", "导入村水厂"}  # not the toilet block
    road = links["导入乡公路"]
    assert (road.network_type, road.grade, road.surface, road.hardened) == (
        "township_road", "grade_3", "asphalt", True,
    )  # fmt: skip
    assert (str(road.width_m), road.built_year) == ("6.50", 2015)
    assert road.length_m == pytest.approx(1000, rel=0.01)
    assert (links["一组通组路"].surface, links["一组通组路"].hardened) == ("gravel", False)
    assert links["导入村水厂"].network_type == "water_source"
    # History names the importing user, as for every row an import writes.
    event = road.events.get()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["user"] == county_manager.pk
    # The gaps were recomputed once for the township, at the end: the group's only way to
    # the seat is over the gravel road.
    assert refreshed == ["500101396000"]
    assert group_road() == "unhardened"


def test_coded_rows_with_english_headers_change_the_network_attributes(
    tmp_path: Path, township: AdminArea, county_manager: User, refreshed: list[str]
) -> None:
    first = registered_road(county_manager, [(0, 0), (1000, 0)],
                            network_type="township_road", surface="concrete")  # fmt: skip
    second = registered_road(county_manager, [(1000, 0), (2000, 0)],
                             network_type="group_road", surface="earth")  # fmt: skip
    plain = registered_road(county_manager, [(0, 500), (900, 500)])
    assert group_road() == "unhardened"
    refreshed.clear()
    path = tmp_path / "changes.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "network type", "surface", "width (m)", "year built"])
        writer.writerow([second.code, "", "Cement concrete", "4", "2024"])
        writer.writerow([plain.code, "village_road", "gravel", "", ""])
        writer.writerow([first.code, "", "", "", ""])  # names it, changes nothing
    outcome = importers.commit(path, county_manager, label="hardening")
    assert (outcome.update, outcome.unchanged, outcome.errors) == (2, 1, 0), outcome.problems
    hardened = NetworkLink.objects.get(asset=second)
    assert (hardened.network_type, hardened.surface, str(hardened.width_m)) == (
        "group_road", "concrete", "4.00",
    )  # fmt: skip
    assert hardened.built_year == 2024
    assert NetworkLink.objects.get(asset=plain).surface == "gravel"
    assert NetworkLink.objects.get(asset=first).surface == "concrete"
    assert refreshed == ["500101396000"]  # once, for the three rows
    assert group_road() == "hardened"


def test_bad_network_cells_name_their_row_and_column_and_nothing_is_written(
    tmp_path: Path, township: AdminArea, county_manager: User
) -> None:
    road = registered_road(county_manager, [(0, 0), (1000, 0)],
                           network_type="group_road", surface="earth")  # fmt: skip
    other = registered_road(county_manager, [(0, 200), (1000, 200)],
                            network_type="group_road", surface="earth")  # fmt: skip
    x, y = at(300, 300)
    rows = [
        {"资产编号": road.code, "路面": "泥巴路"},
        {"资产编号": other.code, "网络类型": "供水支管"},  # a pipe keeps no road surface...
        ledger_row("新水管", 资产子类="供水饮水", 网络类型="供水主管", 路面="水泥混凝土",
                   经度=x, 纬度=y),
        ledger_row("新道路", 网络类型="村道", 路面="沥青", 经度=x, 纬度=y),
        ledger_row("宽路", 网络类型="电力线路", 经度=x, 纬度=y, **{"宽度（米）": 250}),
    ]  # fmt: skip
    keys = list(dict.fromkeys(k for row in rows for k in row))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "资产台账"
    sheet.append(keys)
    for row in rows:
        sheet.append([row.get(k) for k in keys])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    before = (Asset.objects.count(), NetworkLink.objects.count())

    outcome = importers.preview(path, county_manager)
    problems = {(p.row, p.column): p.message for p in outcome.problems}
    assert problems[("2", "路面")].startswith("无效值 泥巴路；可选：沥青、水泥混凝土")
    assert "Unknown value 泥巴路; allowed: 沥青" in problems[("2", "路面")]
    # ...changed into a pipe, the road's earth surface is dropped: that row is fine.
    assert not any(row == "3" for row, _column in problems)
    assert problems[("4", "路面")] == "只有道路才有路面。 / Only a road has a surface."
    assert problems[("5", "网络类型")] == (
        "道路、管道或线路须按线绘制其走向。 / "
        "A road, pipe or line needs its course drawn as a line."
    )
    assert "100" in problems[("6", "宽度（米）")] and " / " in problems[("6", "宽度（米）")]
    assert outcome.errors == 4

    with pytest.raises(importers.Rejected):
        importers.commit(path, county_manager, label="bad")
    assert (Asset.objects.count(), NetworkLink.objects.count()) == before
    assert NetworkLink.objects.get(asset=road).surface == "earth"


def test_a_link_too_long_or_too_detailed_is_refused_by_an_import_as_by_the_form(
    tmp_path: Path, township: AdminArea, county_manager: User
) -> None:
    """The service's limits (500 km, 5,000 points) hold for a layer too: beyond them one
    link would slow every recompute of its township."""
    detailed = [(i * 0.2, (i % 2) * 0.1) for i in range(6_000)]  # 1.2 km, 6,000 points
    features = [
        (ledger_row("长路", 网络类型="县道", 路面="沥青"), line((0, 0), (600_000, 0))),
        (ledger_row("细路", 网络类型="村道", 路面="沥青"), line(*detailed)),
        (ledger_row("好路", 网络类型="村道", 路面="沥青"), line((0, 0), (4_000, 0))),
    ]
    path = geojson_file(tmp_path, features)
    before = (Asset.objects.count(), NetworkLink.objects.count())
    outcome = importers.preview(path, county_manager)
    problems = {(p.row, p.column): p.message for p in outcome.problems}
    for row in ("1", "2"):
        assert "at most 500 km and 5,000 points" in problems[(row, "网络类型")], problems
        assert "500" in problems[(row, "网络类型")].split(" / ")[0]  # the Chinese half
    assert not any(row == "3" for row, _column in problems) and outcome.errors == 2
    with pytest.raises(importers.Rejected):
        importers.commit(path, county_manager, label="long")
    assert (Asset.objects.count(), NetworkLink.objects.count()) == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "geojson", "gpkg", "shp"])
def test_an_export_with_network_columns_imports_again_unchanged(
    fmt: str, township: AdminArea, county_manager: User
) -> None:
    roads = [
        registered_road(county_manager, [(0, 0), (1000, 0)], network_type="township_road",
                        grade="grade_3", surface="asphalt", width_m="6.5", built_year=2015),
        registered_road(county_manager, [(1000, 0), (2000, 0)], network_type="group_road",
                        surface="gravel"),
        registered_road(county_manager, [(0, 300), (800, 300)], network_type="water_main"),
        registered_road(county_manager, [(0, 600), (800, 600)]),
    ]  # fmt: skip
    assets = asset_list(user=county_manager).filter(pk__in=[r.pk for r in roads])
    headers = [c.header for c in exporters.COLUMNS]
    for header in ("网络类型", "道路等级", "路面", "宽度（米）", "建成年份", "长度（公里）"):
        assert header in headers
    path = exporters.export(assets, fmt, meta={})
    if fmt == "csv":
        text = path.read_text(encoding="utf-8-sig")
        assert "乡道,三级公路,沥青,6.50,2015," in text.replace('"', "")
    links = {n.asset_id: (n.surface, n.length_m, n.updated_at) for n in NetworkLink.objects.all()}
    outcome = importers.commit(path, county_manager, label="round trip")
    assert (outcome.rows, outcome.unchanged, outcome.errors) == (4, 4, 0), outcome.problems
    assert {
        n.asset_id: (n.surface, n.length_m, n.updated_at) for n in NetworkLink.objects.all()
    } == links


def test_the_mapping_step_reads_the_year_built_beside_a_date_formed() -> None:
    areas = AreaNames(set(), set())
    both = guess(
        {"资产名称": ["一组通组路"], "形成日期": ["2020-06-01"], "建成年份": [2019, 2018],
         "路面宽度（米）": [4.5], "路面": ["水泥"], "网络类型": ["通组路"]},
        areas,
    )  # fmt: skip
    assert both["形成日期"][0] == "formed_on" and both["建成年份"][0] == "built_year"
    assert both["路面宽度（米）"][0] == "width_m" and both["路面"][0] == "surface"
    assert both["网络类型"][0] == "network_type"
    # A county ledger whose only date is the year built: that year is the date formed.
    alone = guess({"资产名称": ["一组通组路"], "建成年份": [2019, 2018]}, areas)
    assert alone["建成年份"][0] == "formed_on"


def test_the_import_template_offers_the_network_columns_with_their_lists(
    client: Any, county_manager: User
) -> None:
    import io

    from django.urls import reverse

    client.force_login(county_manager)
    response = client.get(reverse("transfer:import_template"))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    headers = [c.value for c in book["资产台账"][1]]
    for header in ("网络类型", "道路等级", "路面", "宽度（米）", "建成年份"):
        assert header in headers
    assert "长度（公里）" not in headers  # measured, never read
    options = book["选项"]
    lists = {options.cell(1, col).value: col for col in range(1, options.max_column + 1)}
    surface_list = [options.cell(r, lists["路面"]).value for r in range(2, 7)]
    assert surface_list == ["沥青", "水泥混凝土", "块石（石板）", "砂石", "土路"]
    validations = {
        str(v.sqref): v.formula1 for v in book["资产台账"].data_validations.dataValidation
    }
    surface_col = openpyxl.utils.get_column_letter(headers.index("路面") + 1)
    assert validations[f"{surface_col}2:{surface_col}50001"] == "选项!$G$2:$G$6"
    notes = [row[1] for row in book["填写说明"].iter_rows(values_only=True)]
    assert any("沥青、水泥混凝土、块石（石板）算硬化路" in (note or "") for note in notes)
