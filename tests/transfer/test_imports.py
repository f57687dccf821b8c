"""Imports: what an asset manager brings in is checked row by row, previewed, and written all or
nothing; broken files of every kind are refused with a reason and leave the register as it was."""

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pghistory.models
import pytest
import shapely
from django.urls import reverse
from pyproj import Transformer

from gis import coords
from registry.choices import ASSET_CLASS_DIGIT
from registry.demo_assets import generate_register
from registry.models import AdminArea, Asset
from registry.selectors import asset_list
from tests.factories import run_worker
from transfer import exporters, importers
from transfer.importers import sources as import_sources
from transfer.models import AssetImport

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"  # 向东村, 龙驹镇


@pytest.fixture
def register(db):  # type: ignore[no-untyped-def]
    generate_register(assets=120, seed=7)


def snapshot() -> tuple[int, int, str]:
    """Asset count, history event count and a digest of every asset row: 'nothing changed'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM registry_asset AS t")
        digest = cursor.fetchone()[0] or ""
    return Asset.objects.count(), pghistory.models.Events.objects.count(), digest


def village_point() -> tuple[float, float]:
    area = AdminArea.objects.get(code=XIANGDONG)
    return area.point.x, area.point.y


def ledger(tmp_path: Path, rows: list[dict], name: str = "ledger.xlsx") -> Path:
    """An Excel ledger with our Chinese headers (as the template has them)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "资产台账"
    sheet.append([importers.HEADERS[k] for k in keys])
    for row in rows:
        sheet.append([row.get(k) for k in keys])
    path = tmp_path / name
    book.save(path)
    return path


def new_row(**values: object) -> dict:
    lon, lat = village_point()
    row = {
        "name": "向东村蔬菜大棚",
        "asset_class": "经营性",
        "subtype": "设施农业（大棚）",
        "area_code": XIANGDONG,
        "original_value": 125000.5,
        "quantity": 2,
        "unit": "个",
        "formed_on": "2022-04-18",
        "beneficiary_households": 12,
        "beneficiary_exited_households": 5,
        "booked": "是",
        "lon": lon,
        "lat": lat,
    }
    row.update(values)
    return row


def problems_of(outcome: importers.Outcome) -> list[tuple[str, str, str]]:
    return [(p.row, p.column, p.message) for p in outcome.problems]


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "geojson", "gpkg", "shp"])
def test_an_export_imported_again_changes_nothing(fmt, county_manager, register):
    path = exporters.export(asset_list(user=county_manager), fmt, meta={})
    before = snapshot()
    outcome = importers.commit(path, county_manager, label="round trip")
    assert outcome.rows == Asset.objects.count() > 100
    assert outcome.unchanged == outcome.rows
    assert (outcome.create, outcome.update, outcome.errors) == (0, 0, 0)
    assert "资产状态" in outcome.ignored or "status" in outcome.ignored
    assert snapshot() == before


# --- creating and changing ---------------------------------------------------------------------


def test_template_rows_register_new_assets_and_coded_rows_change_them(
    tmp_path, county_manager, register
):
    existing = Asset.objects.filter(area_code__startswith="500101").exclude(status="disposed")
    target = existing.first()
    path = ledger(
        tmp_path,
        [
            new_row(),
            new_row(
                name="向东村光伏电站", subtype="村级光伏电站", formed_on="2021/6/1", quantity="1"
            ),
            {"code": target.code, "name": "改过名字的资产", "original_value": "1,234.50"},
        ],
    )
    preview = importers.preview(path, county_manager)
    assert problems_of(preview) == []
    assert (preview.create, preview.update, preview.unchanged) == (2, 1, 0)

    outcome = importers.commit(path, county_manager, label="test import")
    assert outcome.committed
    created = Asset.objects.filter(name__in=["向东村蔬菜大棚", "向东村光伏电站"]).order_by("name")
    assert created.count() == 2
    greenhouse = created.get(name="向东村蔬菜大棚")
    assert greenhouse.code.startswith("5001012022" + ASSET_CLASS_DIGIT["operating"])
    assert greenhouse.area.code == XIANGDONG
    assert greenhouse.status == "registered"  # a county manager's registration stands
    assert greenhouse.original_value == Decimal("125000.50")
    assert greenhouse.booked is True
    assert greenhouse.geom.distance(AdminArea.objects.get(code=XIANGDONG).point) < 1e-7
    assert greenhouse.fund_era == "assistance"
    target.refresh_from_db()
    assert (target.name, target.original_value) == ("改过名字的资产", Decimal("1234.50"))
    assert target.version >= 2
    # Attributable: the history names the importing user and the import.
    event = pghistory.models.Events.objects.get(
        pgh_obj_model="registry.Asset",
        pgh_obj_id=str(target.pk),
        pgh_label="update",
        pgh_data__name="改过名字的资产",
    )
    assert event.pgh_context.get("user") == county_manager.pk, event.pgh_context
    created = pghistory.models.Events.objects.get(
        pgh_obj_model="registry.Asset", pgh_obj_id=str(greenhouse.pk), pgh_label="insert"
    )
    assert created.pgh_context["user"] == county_manager.pk
    assert created.pgh_context["command"] == "test import"
    assert event.pgh_context["command"] == "test import"


def test_a_village_clerks_import_waits_for_township_approval(tmp_path, village_clerk):
    outcome = importers.commit(ledger(tmp_path, [new_row()]), village_clerk)
    assert outcome.create == 1
    assert Asset.objects.get(name="向东村蔬菜大棚").status == "draft"


# --- problems ----------------------------------------------------------------------------------


def test_every_problem_names_row_column_and_reason_in_both_languages(
    tmp_path, county_manager, register
):
    disposed = Asset.objects.filter(status="disposed").first()
    rows = [
        new_row(),  # row 2: fine
        new_row(asset_class="耕地"),  # 3
        new_row(subtype="道路"),  # 4: sub-type of another class
        new_row(original_value="十万"),  # 5
        new_row(formed_on="2030-01-01"),  # 6
        new_row(formed_on="2009-05-01"),  # 7
        new_row(beneficiary_exited_households=50),  # 8
        new_row(area_code="500101999999"),  # 9
        new_row(name="+cmd|' /C calc'!A0"),  # 10: formula-like text: kept as text
        new_row(lon=109.9, lat=31.9),  # 11: outside the township
        {"code": "5001019999100001", "name": "不存在"},  # 12
        new_row(name=""),  # 13
        new_row(booked="也许"),  # 14
        new_row(quantity=-3),  # 15
    ]
    if disposed is not None:
        rows.append({"code": disposed.code, "name": "处置后改名"})  # 16
    before = snapshot()
    outcome = importers.preview(ledger(tmp_path, rows), county_manager)
    found = {(row, column): message for row, column, message in problems_of(outcome)}
    expected = {
        ("3", "资产类别"): "Unknown value 耕地",
        ("4", "资产子类"): "does not belong to the class",
        ("5", "资产原值（元）"): "Not a number",
        ("6", "形成日期"): "cannot be in the future",
        ("7", "形成日期"): "count from 2012",
        ("8", "其中脱贫户"): "Cannot exceed",
        ("9", "区划代码"): "No township or village in your area has the code 500101999999",
        ("11", "经度"): "lies outside 龙驹镇",
        ("12", "资产编号"): "No asset 5001019999100001 in your area",
        ("13", "资产名称"): "Required for a new asset",
        ("14", "是否入账"): "是 or 否",
        ("15", "数量"): "zero or more",
    }
    if disposed is not None:
        expected[("16", "资产编号")] = "A disposed asset cannot be changed"
    for key, english in expected.items():
        assert key in found, (key, found)
        assert english in found[key], (key, found[key])
        chinese, _, english_part = found[key].partition(" / ")
        assert chinese and english_part and chinese != english_part, found[key]
    assert ("2", "资产名称") not in found
    assert not any(row == "10" for row, _column in found)  # stored as text, as the form does
    assert outcome.errors == len(expected)
    assert outcome.create == 2
    with pytest.raises(importers.Rejected):
        importers.commit(ledger(tmp_path, rows, "again.xlsx"), county_manager)
    assert snapshot() == before


def test_a_problem_in_a_late_batch_undoes_the_batches_already_written(
    tmp_path, county_manager, monkeypatch
):
    monkeypatch.setattr(import_sources, "BATCH", 2)  # where the readers read it
    rows = [new_row(name=f"大棚{i}") for i in range(5)] + [new_row(unit="")]
    before = snapshot()
    with pytest.raises(importers.Rejected) as caught:
        importers.commit(ledger(tmp_path, rows), county_manager)
    assert caught.value.outcome.create == 5
    assert problems_of(caught.value.outcome)[0][:2] == ("7", "单位")
    assert snapshot() == before


def test_a_village_clerk_cannot_import_into_another_village(tmp_path, village_clerk):
    outcome = importers.preview(
        ledger(tmp_path, [new_row(area_code="500101151201")]), village_clerk
    )
    assert any(
        "No township or village in your area has the code 500101151201" in message
        for *_, message in problems_of(outcome)
    )


def test_the_problems_workbook_lists_each_bad_row_with_its_reasons(
    tmp_path, county_manager, client, django_capture_on_commit_callbacks
):
    client.force_login(county_manager)
    path = ledger(tmp_path, [new_row(), new_row(asset_class="耕地", quantity="x")])
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, path)
    run_worker()  # the worker writes the workbook as it checks the file
    response = client.get(reverse("transfer:import_problems", args=[item.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("问题 / Problems", "行 / Row", "资产名称")
    assert len(rows) == 2 and rows[1][1] == "3"
    assert "资产类别" in rows[1][0] and "数量" in rows[1][0]


# --- broken files ------------------------------------------------------------------------------


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BROKEN = {
    "empty.xlsx": (b"", "empty"),
    "photo.xlsx": (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, "not a table"),
    "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    "corrupt.zip": (b"PK\x03\x04" + b"\x14\x00" * 40, "not a readable zip"),
    "other.zip": (zip_bytes({"readme.txt": b"hello"}), "neither an Excel workbook nor"),
    "no-dbf.zip": (zip_bytes({"a.shp": b"x" * 100, "a.shx": b"x" * 100}), "without its .dbf"),
    "table.csv": ("随便,什么\n1,2\n".encode(), "No column of the asset ledger"),
    "bad.geojson": (b'{"type": "FeatureCollection", "features": [', "GeoJSON cannot be read"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_files_are_refused_with_a_reason(name, tmp_path, county_manager, register):
    data, reason = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot()
    with pytest.raises(importers.ImportRefused) as caught:
        importers.commit(path, county_manager)
    assert reason in str(caught.value)
    assert " / " in str(caught.value)  # Chinese and English
    assert snapshot() == before


def test_a_truncated_workbook_is_refused(tmp_path, county_manager):
    whole = ledger(tmp_path, [new_row()]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(importers.ImportRefused):
        importers.preview(path, county_manager)


def test_files_over_the_row_limit_are_refused_before_reading(tmp_path, county_manager, settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(importers.ImportRefused, match="more than 3 rows"):
        importers.preview(ledger(tmp_path, [new_row()] * 20), county_manager)
    path = tmp_path / "big.csv"
    path.write_text("资产名称,单位\n" + "a,b\n" * 50, encoding="utf-8")
    with pytest.raises(importers.ImportRefused, match="more than 3 rows"):
        importers.preview(path, county_manager)


def test_a_gbk_csv_from_chinese_excel_is_read_correctly(tmp_path, county_manager):
    row = new_row()
    path = tmp_path / "gbk.csv"
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([importers.HEADERS[k] for k in row])
        writer.writerow(list(row.values()))
    outcome = importers.commit(path, county_manager)
    assert outcome.create == 1
    assert Asset.objects.filter(name="向东村蔬菜大棚", unit="个").exists()


def shapefile_zip(tmp_path: Path, frame: gpd.GeoDataFrame, *, encoding: str, cpg: bool) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / "assets.shp", encoding=encoding, engine="pyogrio")
    path = tmp_path / "assets.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            if part.suffix == ".cpg" and not cpg:
                continue
            archive.write(part, part.name)
    return path


def gdf(rows: list[dict], points: list[tuple[float, float]], epsg: int) -> gpd.GeoDataFrame:
    columns = {c.key: c.shp for c in exporters.COLUMNS}
    records = [
        {columns.get(k, k): v for k, v in r.items() if k not in {"lon", "lat"}} for r in rows
    ]
    return gpd.GeoDataFrame(
        records, geometry=[shapely.Point(p) for p in points], crs=f"EPSG:{epsg}"
    )


def test_a_gbk_shapefile_without_cpg_keeps_its_chinese(tmp_path, county_manager):
    lon, lat = village_point()
    frame = gdf([new_row(formed_on="2022-04-18")], [(lon, lat)], 4490)
    path = shapefile_zip(tmp_path, frame, encoding="GBK", cpg=False)
    outcome = importers.commit(path, county_manager)
    assert problems_of(outcome) == [] and outcome.create == 1
    assert Asset.objects.filter(name="向东村蔬菜大棚").exists()


# --- coordinate systems ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epsg", "prefix"),
    [(4524, True), (4545, False)],  # CGCS2000 3-degree GK zone 36 with / without zone prefix
)
def test_gauss_kruger_x_y_without_prj_are_recognised_by_their_digits(
    epsg, prefix, tmp_path, county_manager
):
    lon, lat = village_point()
    easting, northing = Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)
    assert (easting > 1e7) == prefix
    row = new_row(lon=None, lat=None, x=northing, y=easting)  # surveyors' X is the northing
    row = {k: v for k, v in row.items() if k not in {"lon", "lat"}}
    outcome = importers.commit(ledger(tmp_path, [row]), county_manager)
    assert problems_of(outcome) == []
    asset = Asset.objects.get(name="向东村蔬菜大棚")
    assert abs(asset.geom.x - lon) < 1e-7 and abs(asset.geom.y - lat) < 1e-7


def test_a_xian80_shapefile_is_converted_as_its_prj_says(tmp_path, county_manager):
    lon, lat = village_point()
    x, y = Transformer.from_crs(4490, 2381, always_xy=True).transform(lon, lat)
    path = shapefile_zip(tmp_path, gdf([new_row()], [(x, y)], 2381), encoding="UTF-8", cpg=True)
    outcome = importers.commit(path, county_manager)
    assert "2381" in outcome.crs and "Xian 1980" in outcome.crs
    asset = Asset.objects.get(name="向东村蔬菜大棚")
    assert abs(asset.geom.x - lon) < 1e-6 and abs(asset.geom.y - lat) < 1e-6


def test_gcj02_positions_are_converted_when_the_uploader_says_so(tmp_path, county_manager):
    lon, lat = village_point()
    glon, glat = coords.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    assert abs(glon[0] - lon) > 1e-3  # the offset is hundreds of metres
    path = ledger(tmp_path, [new_row(lon=float(glon[0]), lat=float(glat[0]))])
    importers.commit(path, county_manager, gcj02=True)
    asset = Asset.objects.get(name="向东村蔬菜大棚")
    assert abs(asset.geom.x - lon) < 1e-7 and abs(asset.geom.y - lat) < 1e-7


def test_a_gpkg_in_an_unsupported_crs_is_refused(tmp_path, county_manager):
    lon, lat = village_point()
    x, y = Transformer.from_crs(4490, 3857, always_xy=True).transform(lon, lat)
    path = tmp_path / "mercator.gpkg"
    gdf([new_row()], [(x, y)], 3857).to_file(path, engine="pyogrio")
    with pytest.raises(importers.ImportRefused, match="EPSG:3857"):
        importers.preview(path, county_manager)


def test_an_invalid_polygon_is_repaired_or_refused_with_its_reason(tmp_path, county_manager):
    lon, lat = village_point()
    bowtie = shapely.Polygon(
        [(lon, lat), (lon + 0.001, lat + 0.001), (lon + 0.001, lat), (lon, lat + 0.001)]
    )
    frame = gpd.GeoDataFrame(
        [{"name": "领结", "class": "公益性", "subtype": "道路", "area_code": XIANGDONG,
          "value_yuan": 1000, "quantity": 1, "unit": "处", "formed_on": "2022-01-01"}],
        geometry=[bowtie], crs="EPSG:4490",
    )  # fmt: skip
    path = tmp_path / "bowtie.gpkg"
    frame.to_file(path, engine="pyogrio")
    assert problems_of(importers.preview(path, county_manager)) == []
    outcome = importers.commit(path, county_manager)
    assert outcome.create == 1
    stored = Asset.objects.get(name="领结").geom
    assert stored.valid and stored.geom_type == "MultiPolygon"


# --- the pages and the worker ------------------------------------------------------------------


def upload(client, path: Path, **extra: object) -> AssetImport:  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        response = client.post(reverse("transfer:import_list"), {"file": handle, **extra})
    assert response.status_code == 302, response.content[:500]
    return AssetImport.objects.order_by("-pk").first()


def test_upload_check_and_commit_run_as_background_jobs(
    tmp_path, client, county_manager, django_capture_on_commit_callbacks
):
    client.force_login(county_manager)
    response = client.get(reverse("transfer:import_template"))
    template = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert template.sheetnames[:2] == ["资产台账", "选项"]
    headers = [c.value for c in template["资产台账"][1]]
    assert headers[:3] == ["资产编号", "资产名称", "资产类别"]
    sheet = template["资产台账"]
    values = new_row()
    sheet.append([values.get(key) for key, _ in _template_keys()])
    path = tmp_path / "filled.xlsx"
    template.save(path)

    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, path)
    assert item.state == "queued"
    page = client.get(reverse("transfer:import_detail", args=[item.pk]))
    assert "waiting for the worker" in page.content.decode() or "等待" in page.content.decode()
    run_worker()
    item.refresh_from_db()
    assert item.state == "checked", item.message
    assert item.outcome["create"] == 1 and item.outcome["errors"] == 0
    assert item.rows_total >= 2  # the sheet's rows (header included), for the progress bar
    assert not Asset.objects.filter(name="向东村蔬菜大棚").exists()  # checked, not written
    status = client.get(reverse("transfer:import_status", args=[item.pk])).json()
    assert status["percent"] == 100 and status["busy"] is False

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("transfer:import_commit", args=[item.pk]))
    assert response.status_code == 302
    run_worker()
    item.refresh_from_db()
    assert item.state == "committed", item.message
    assert Asset.objects.filter(name="向东村蔬菜大棚").count() == 1
    # A second commit of the same upload is refused.
    assert client.post(reverse("transfer:import_commit", args=[item.pk])).status_code == 409


def _template_keys() -> list[tuple[str, object]]:
    from transfer.views.imports import TEMPLATE_COLUMNS

    return TEMPLATE_COLUMNS


def test_a_broken_upload_gets_a_reason_on_its_page_never_a_500(
    tmp_path, client, county_manager, django_capture_on_commit_callbacks
):
    client.force_login(county_manager)
    path = tmp_path / "台账.zip"
    path.write_bytes(b"PK\x03\x04 definitely not a zip")
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, path)
    run_worker()
    item.refresh_from_db()
    assert item.state == "rejected"
    page = client.get(reverse("transfer:import_detail", args=[item.pk]))
    assert page.status_code == 200
    assert "not a readable zip" in page.content.decode()


def test_readers_cannot_import_and_others_cannot_see_an_import(
    tmp_path, client, planner, auditor, county_manager, township_manager
):
    for user in (planner, auditor):
        client.force_login(user)
        assert client.get(reverse("transfer:import_list")).status_code == 403
    client.force_login(county_manager)
    item = upload(client, ledger(tmp_path, [new_row()]))
    client.force_login(township_manager)
    assert client.get(reverse("transfer:import_detail", args=[item.pk])).status_code == 404


def test_an_upload_over_the_size_limit_is_refused_on_the_form(
    tmp_path, client, county_manager, settings
):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(county_manager)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a" * 1001)  # one byte over: the message must say so exactly
    before = AssetImport.objects.count()
    with path.open("rb") as handle:
        response = client.post(reverse("transfer:import_list"), {"file": handle})
    assert response.status_code == 200
    text = response.content.decode()
    assert "The file is 1,001 bytes; at most 1,000 bytes" in text and " / " in text
    assert AssetImport.objects.count() == before


def test_a_file_broken_part_way_is_refused_and_writes_nothing(tmp_path, county_manager):
    lon, lat = village_point()
    rows = [new_row(name=f"大棚{i}") for i in range(3000)]
    frame = gdf(rows, [(lon, lat)] * len(rows), 4490)
    whole = tmp_path / "whole.gpkg"
    frame.to_file(whole, engine="pyogrio")
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    before = snapshot()
    with pytest.raises(importers.ImportRefused) as caught:
        importers.commit(cut, county_manager)
    assert " / " in str(caught.value)
    assert snapshot() == before


def test_a_workbook_that_unpacks_to_too_much_is_refused(tmp_path, county_manager, settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(importers.ImportRefused, match="unpacks to"):
        importers.preview(ledger(tmp_path, [new_row()] * 200), county_manager)


def test_a_vanished_upload_is_a_404_not_a_500(tmp_path, client, county_manager):
    client.force_login(county_manager)
    item = upload(client, ledger(tmp_path, [new_row(asset_class="耕地")]))
    Path(item.file.path).unlink()
    assert client.get(reverse("transfer:import_problems", args=[item.pk])).status_code == 404
