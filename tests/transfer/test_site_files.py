"""Relocation sites from files: a county's own table of sites checked row by row (each problem
by its row and column, in Chinese and English) and imported all or nothing, attributed to the
importer; an export of the list (Excel, GeoPackage with outlines) re-imported unchanged; a row
that changes a site; scope of the import."""

import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
import pghistory.models
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.models import AdminArea, RelocationSite, User
from registry.services import sites as S
from tests.factories import run_worker, village
from transfer.models import SiteImport

pytestmark = pytest.mark.django_db
XIANGDONG, YUHE = "500101151200", "500101151201"  # two villages of 龙驹镇
GANNING_VILLAGE = "500101139201"  # 新农村, 甘宁镇 (another township)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def lonlat(code: str, dx: float = 0.001) -> tuple[float, float]:
    area = AdminArea.objects.get(code=code)
    return round(area.point.x + dx, 6), round(area.point.y, 6)


def upload(client: Any, user: User, name: str, content: bytes, capture: Any) -> SiteImport:
    client.force_login(user)
    with capture(execute=True):
        response = client.post(
            reverse("transfer:site_import_list"),
            {"file": SimpleUploadedFile(name, content, content_type=XLSX)},
        )
    assert response.status_code == 302, response.content[:500]
    run_worker()
    return SiteImport.objects.filter(user=user).latest("pk")


def commit(client: Any, item: SiteImport, capture: Any) -> SiteImport:
    with capture(execute=True):
        response = client.post(reverse("transfer:site_import_commit", args=[item.pk]))
    assert response.status_code == 302
    run_worker()
    item.refresh_from_db()
    return item


HEADERS = ["序号", "安置点名称", "安置类别", "乡镇", "村", "建档立卡户数", "建档立卡人数",
           "同步搬迁户数", "同步搬迁人数", "安置房套数", "建筑面积", "开工年份", "竣工年份",
           "入住日期", "拆旧复垦情况", "经度", "纬度", "备注"]  # fmt: skip


def county_table(rows: list[list[Any]]) -> bytes:
    """Sites as a county keeps them: a title row, its own headers (other names of ours)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["XX区易地扶贫搬迁安置点台账"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", None, None, None, None, 999])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_row(name: str = "向东村中心村集中安置点", village_name: str = "向东村") -> list[Any]:
    lon, lat = lonlat(XIANGDONG)
    return [1, name, "集中安置：中心村", "龙驹镇", village_name, 40, 150, 5, 16, 45, 3600.5,
            2017, 2018, "2018-10-01", "进行中", lon, lat, "老台账"]  # fmt: skip


def test_a_county_table_of_sites_is_checked_row_by_row_and_imported_all_or_nothing(
    client, county_manager, django_capture_on_commit_callbacks
):
    lon, lat = lonlat(YUHE)
    bad = [2, "玉合村安置点", "大院", "龙驹镇", "玉合村", 10, 5, 0, 0, 10, "很多", 2019, 2017,
           "2019-13-01", "", lon, None, ""]  # fmt: skip
    nowhere = [3, "不存在村安置点", "分散安置：插花", "龙驹镇", "不存在村", 3, 9, 0, 0, 3, 240,
               2018, 2018, "", "", lon, lat, ""]  # fmt: skip
    item = upload(client, county_manager, "安置点.xlsx", county_table([good_row(), bad, nowhere]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "checked", item.message
    outcome = item.outcome
    assert (outcome["rows"], outcome["create"], outcome["errors"]) == (3, 1, 2), outcome["problems"]
    problems = {(p["row"], p["column"]): p["message"] for p in outcome["problems"]}
    assert ("4", "安置类别") in problems and ("4", "建筑面积") in problems
    assert ("4", "入住日期") in problems and ("4", "纬度") in problems
    assert problems[("4", "安置类别")].startswith("无效值 大院；可选：")
    assert "Unknown value 大院; allowed:" in problems[("4", "安置类别")]
    assert (
        "不是数字" in problems[("4", "建筑面积")] and "Not a number." in problems[("4", "建筑面积")]
    )
    assert "Not a date" in problems[("4", "入住日期")]
    assert "No area named 不存在村 in your area." in problems[("5", "村")]
    assert outcome["ignored"] == ["序号"]
    assert not RelocationSite.objects.exists()  # the check wrote nothing
    page = client.get(reverse("transfer:site_import_detail", args=[item.pk])).content.decode()
    assert "大院" in page and 'data-testid="commit"' not in page
    assert client.post(reverse("transfer:site_import_commit", args=[item.pk])).status_code == 409
    assert client.get(reverse("transfer:site_import_problems", args=[item.pk])).status_code == 200

    item = upload(client, county_manager, "安置点-改.xlsx", county_table([good_row()]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert (item.outcome["create"], item.outcome["errors"]) == (1, 0), item.outcome
    item = commit(client, item, django_capture_on_commit_callbacks)
    assert item.state == "committed", item.message
    site = RelocationSite.objects.get()
    assert site.code == "500101AZ0001" and site.area.code == XIANGDONG
    assert (site.households, site.persons, site.reclamation) == (45, 166, "in_progress")
    assert site.moved_in_on == datetime.date(2018, 10, 1) and site.note == "老台账"
    assert item.outcome["codes"] == [site.code]
    events = pghistory.models.Events.objects.filter(
        pgh_obj_model="registry.RelocationSite", pgh_obj_id=str(site.pk)
    )
    contexts = [e.pgh_context or {} for e in events]
    assert {c.get("user") for c in contexts} == {county_manager.pk}
    assert {c.get("command") for c in contexts} == {f"import #{item.pk} 安置点-改.xlsx"}


def test_a_commit_that_meets_a_new_problem_writes_nothing(
    client, county_manager, django_capture_on_commit_callbacks
):
    rows = [good_row(), good_row("向东村第二安置点")]
    item = upload(client, county_manager, "安置点.xlsx", county_table(rows),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.outcome["create"] == 2
    lon, lat = lonlat(XIANGDONG, 0.002)
    S.site_create(  # someone registers the second site by hand meanwhile
        actor=county_manager, area=village(XIANGDONG),
        values={"name": "向东村第二安置点", "site_type": "scattered",
                "point": Point(lon, lat, srid=4490)},
    )  # fmt: skip
    item = commit(client, item, django_capture_on_commit_callbacks)
    assert item.state == "checked" and "nothing was imported" in item.message
    assert RelocationSite.objects.count() == 1
    [problem] = item.outcome["problems"]
    assert (problem["row"], problem["column"]) == ("4", "安置点名称")


def test_a_village_clerk_imports_only_into_their_village_and_a_planner_not_at_all(
    client, village_clerk, planner, django_capture_on_commit_callbacks
):
    elsewhere = good_row("玉合村安置点", "玉合村")
    elsewhere[15], elsewhere[16] = lonlat(YUHE)
    item = upload(client, village_clerk, "安置点.xlsx", county_table([good_row(), elsewhere]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert (item.outcome["create"], item.outcome["errors"]) == (1, 1)
    [problem] = item.outcome["problems"]
    assert problem["column"] == "村" and "玉合村" in problem["message"]
    client.force_login(planner)
    assert client.get(reverse("transfer:site_import_list")).status_code == 403
    assert client.get(reverse("transfer:site_import_detail", args=[item.pk])).status_code == 403


def square(centre: Point, half: float = 0.001) -> MultiPolygon:
    x, y = centre.x, centre.y
    ring = ((x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half),
            (x - half, y - half))  # fmt: skip
    return MultiPolygon(Polygon(ring), srid=4490)


@pytest.fixture
def two_sites(county_manager) -> list[RelocationSite]:
    lon, lat = lonlat(XIANGDONG)
    first = S.site_create(
        actor=county_manager, area=village(XIANGDONG),
        values={"name": "向东村中心村集中安置点", "site_type": "central_village",
                "outline": square(Point(lon, lat, srid=4490)), "registered_households": 30,
                "registered_persons": 100, "floor_area_m2": "2400.50", "built_from": 2017,
                "moved_in_on": datetime.date(2018, 5, 1), "reclamation": "done"},
    )  # fmt: skip
    lon, lat = lonlat(GANNING_VILLAGE)
    second = S.site_create(
        actor=county_manager, area=village(GANNING_VILLAGE),
        values={"name": "新农村插花安置点", "site_type": "scattered",
                "point": Point(lon, lat, srid=4490), "registered_households": 4,
                "registered_persons": 13},
    )  # fmt: skip
    return [first, second]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "gpkg"])
def test_an_export_of_the_list_reimports_without_change(
    client, county_manager, two_sites, django_capture_on_commit_callbacks, fmt, tmp_path
):
    client.force_login(county_manager)
    response = client.get(reverse("transfer:site_export", args=[fmt]))
    content = b"".join(response.streaming_content)
    item = upload(client, county_manager, f"sites.{fmt}", content,
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "checked", item.message
    assert (item.outcome["unchanged"], item.outcome["errors"]) == (2, 0), item.outcome
    assert item.outcome["create"] == item.outcome["update"] == 0
    page = client.get(reverse("transfer:site_import_detail", args=[item.pk])).content.decode()
    assert 'data-testid="nothing"' in page


def test_the_excel_list_totals_households_persons_and_floor_area_not_years(
    client, county_manager, two_sites
):
    client.force_login(county_manager)
    response = client.get(reverse("transfer:site_export", args=["xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header, totals = rows[0], dict(zip(rows[0], rows[3], strict=True))
    assert rows[3][0] == "合计" and len(rows) == 4, rows
    assert (totals["建档立卡搬迁户数"], totals["建档立卡搬迁人数"]) == (34, 113)
    assert (totals["搬迁总户数"], totals["搬迁总人数"]) == (34, 113)
    assert totals["住房建筑面积（平方米）"] == 2400.5 and totals["建设起始年份"] is None
    statement = dict(r[:2] for r in book.worksheets[1].iter_rows(values_only=True))
    assert statement["搬迁总人数合计"] == "113" and "建设起始年份" in header


def test_a_geopackage_row_changes_its_site_outline_and_numbers(
    client, county_manager, two_sites, django_capture_on_commit_callbacks, tmp_path
):
    import pyogrio
    import shapely

    client.force_login(county_manager)
    path = Path(tmp_path) / "sites.gpkg"
    path.write_bytes(
        b"".join(client.get(reverse("transfer:site_export", args=["gpkg"])).streaming_content)
    )
    frame = pyogrio.read_dataframe(path, layer="安置点")
    first = frame.index[frame["code"] == two_sites[0].code][0]
    frame.loc[first, "registered_persons"] = 120
    frame.loc[first, "geometry"] = shapely.affinity.scale(frame.loc[first, "geometry"], 1.5, 1.5)
    changed = Path(tmp_path) / "changed.gpkg"
    pyogrio.write_dataframe(frame, changed, layer="安置点", driver="GPKG")
    item = upload(client, county_manager, "changed.gpkg", changed.read_bytes(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert (item.outcome["update"], item.outcome["unchanged"], item.outcome["errors"]) == (
        1,
        1,
        0,
    ), item.outcome
    item = commit(client, item, django_capture_on_commit_callbacks)
    site = RelocationSite.objects.get(pk=two_sites[0].pk)
    assert item.state == "committed" and site.registered_persons == 120 and site.version == 2
    assert site.outline.area > two_sites[0].outline.area * 2


def test_a_file_that_is_no_list_of_sites_is_refused_with_the_reason(
    client, county_manager, django_capture_on_commit_callbacks
):
    book = openpyxl.Workbook()
    book.active.append(["甲", "乙"])
    book.active.append([1, 2])
    out = io.BytesIO()
    book.save(out)
    item = upload(client, county_manager, "别的.xlsx", out.getvalue(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "rejected"
    assert "安置点编号" in item.message and "Start from an export" in item.message


def _exported_gpkg(client: Any, tmp_path: Path) -> Any:
    import pyogrio

    path = Path(tmp_path) / "sites.gpkg"
    path.write_bytes(
        b"".join(client.get(reverse("transfer:site_export", args=["gpkg"])).streaming_content)
    )
    return pyogrio.read_dataframe(path, layer="安置点")


def test_a_geopackage_of_several_layers_is_refused_naming_them_not_read_in_part(
    client, county_manager, two_sites, django_capture_on_commit_callbacks, tmp_path
):
    import pyogrio

    client.force_login(county_manager)
    frame = _exported_gpkg(client, tmp_path)
    both = Path(tmp_path) / "two-layers.gpkg"
    pyogrio.write_dataframe(frame, both, layer="安置点", driver="GPKG")
    pyogrio.write_dataframe(frame.iloc[:1], both, layer="旧安置点", driver="GPKG", append=True)
    item = upload(client, county_manager, "two-layers.gpkg", both.read_bytes(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "rejected"
    assert "2 个有记录的图层" in item.message and "安置点、旧安置点" in item.message
    assert "save the one to import as a file of its own" in item.message


def _damage(path: Path, fid: int, blob: bytes) -> None:
    """Overwrite one feature's stored geometry (GDAL's index triggers dropped first: they call
    spatial functions plain SQLite lacks)."""
    import sqlite3

    connection = sqlite3.connect(path)
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        connection.execute(f'DROP TRIGGER "{name}"')
    table, column = connection.execute(
        "SELECT table_name, column_name FROM gpkg_geometry_columns"
    ).fetchone()
    connection.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE fid = ?', (blob, fid))
    connection.commit()
    connection.close()


def test_a_damaged_geometry_is_named_never_read_as_a_site_without_outline(
    client, county_manager, two_sites, django_capture_on_commit_callbacks, tmp_path
):
    import pyogrio

    client.force_login(county_manager)
    frame = _exported_gpkg(client, tmp_path)
    frame.loc[frame.index[0], "registered_persons"] = 999  # a change, so a write would show
    path = Path(tmp_path) / "damaged.gpkg"
    pyogrio.write_dataframe(frame, path, layer="安置点", driver="GPKG")
    _damage(path, 2, b"not a geometry at all")
    item = upload(client, county_manager, "damaged.gpkg", path.read_bytes(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "rejected"
    assert "要素 2 的几何图形无法读取" in item.message and "damaged" in item.message

    # A GeoPackage header over bytes that are no geometry: that row's error, on its geometry.
    pyogrio.write_dataframe(frame, path, layer="安置点", driver="GPKG")
    _damage(path, 1, b"GP\x00\x01\xaa\x11\x00\x00" + b"\x01\x07\x00\x00\xff\xff\xff\x7f")
    item = upload(client, county_manager, "damaged.gpkg", path.read_bytes(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "checked" and item.outcome["errors"] == 1, item.outcome
    (problem,) = item.outcome["problems"]
    assert problem["row"] == "1" and problem["column"] == "几何图形"
    assert "无法读取该要素的几何图形" in problem["message"] and "damaged" in problem["message"]
    assert not RelocationSite.objects.filter(registered_persons=999).exists()
