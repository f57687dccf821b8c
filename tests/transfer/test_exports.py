"""Exports: every format opens, says what it holds, and holds exactly what the list shows."""

import csv
import io
import json
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from django.urls import reverse

from registry.demo_assets import generate_register
from registry.models import Asset
from registry.selectors import asset_list
from registry.services.assets import asset_register
from tests.factories import asset_input

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"


@pytest.fixture
def register(db):  # type: ignore[no-untyped-def]
    generate_register(assets=150, seed=5)


def download(client, fmt: str, **params: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(reverse("transfer:asset_export", args=[fmt]), params)
    assert response.status_code == 200, response.content[:300]
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_csv_has_a_bom_chinese_headers_and_exactly_the_filtered_rows(client, planner, register):
    client.force_login(planner)
    body = download(client, "csv", asset_class="public")
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0][:3] == ["资产编号", "资产名称", "资产类别"]
    expected = asset_list(user=planner).filter(asset_class="public")
    assert sorted(r[0] for r in table[1:]) == sorted(expected.values_list("code", flat=True))
    assert {r[2] for r in table[1:]} == {"公益性"}


def test_excel_opens_with_totals_that_reconcile_and_a_statement_sheet(client, planner, register):
    client.force_login(planner)
    body = download(client, "xlsx", area="500101151000")
    # data_only: the totals row is a SUBTOTAL formula (it follows the autofilter); its stored
    # value is the sum of every row.
    book = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
    sheet = book["资产台账"]
    rows = list(sheet.iter_rows(values_only=True))
    header, data, totals = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "资产编号" and totals[0] == "合计"
    expected = asset_list(user=planner).filter(area_code__startswith="500101151")
    assert len(data) == expected.count()
    value_col = header.index("资产原值（元）")
    expected_total = sum(a.original_value for a in expected)
    assert Decimal(str(totals[value_col])).quantize(Decimal("0.01")) == expected_total
    statement = dict(book["导出说明"].iter_rows(values_only=True))
    assert statement["资产数（行）"] == str(len(data))
    assert statement["筛选条件"] == "区划：龙驹镇（500101151000）"
    assert statement["导出人"].startswith("县规划人员")


def test_geopackage_and_shapefile_open_in_gdal_with_cgcs2000_and_every_row(
    client, planner, register, tmp_path
):
    client.force_login(planner)
    expected = asset_list(user=planner).count()
    gpkg = tmp_path / "assets.gpkg"
    gpkg.write_bytes(download(client, "gpkg"))
    info = pyogrio.read_info(gpkg)
    assert info["features"] == expected and info["crs"] == "EPSG:4490"
    frame = pyogrio.read_dataframe(gpkg)
    assert set(frame["asset_class"]) <= {"经营性", "公益性", "到户类"}
    # The system GDAL (3.6 on Debian 12, as in older QGIS installs) reads it without complaint.
    layer = info["layer_name"] if "layer_name" in info else pyogrio.list_layers(gpkg)[0][0]
    report = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(gpkg), layer], capture_output=True, text=True, check=True
    )
    assert f"Feature Count: {expected}" in report.stdout
    assert 'ID["EPSG",4490]' in report.stdout
    assert "Warning" not in report.stderr

    archive = zipfile.ZipFile(io.BytesIO(download(client, "shp")))
    names = set(archive.namelist())
    assert "FIELDS.txt" in names
    archive.extractall(tmp_path / "shp")
    total = 0
    for layer in ("assets_points", "assets_lines"):  # the register has points and lines
        parts = {f"{layer}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")}
        assert parts <= names
        assert archive.read(f"{layer}.cpg").decode().strip().upper() in {"UTF-8", "UTF8"}
        info = pyogrio.read_info(tmp_path / "shp" / f"{layer}.shp")
        assert info["crs"] == "EPSG:4490"
        total += info["features"]
        names_in_dbf = pyogrio.read_dataframe(tmp_path / "shp" / f"{layer}.shp")["name"]
        assert any("村" in n for n in names_in_dbf)  # Chinese survives the DBF
    assert total == expected


def test_geojson_is_rfc7946_and_scoped_to_the_village_clerk(
    client, village_clerk, county_manager, register
):
    asset_register(actor=county_manager, data=asset_input())  # one in 向东村 for sure
    client.force_login(village_clerk)
    data = json.loads(download(client, "geojson"))
    own = Asset.objects.filter(area_code=XIANGDONG)
    assert sorted(f["properties"]["code"] for f in data["features"]) == sorted(
        own.values_list("code", flat=True)
    )
    assert own.exists() and data["type"] == "FeatureCollection"
    first = data["features"][0]["geometry"]["coordinates"]
    while isinstance(first[0], list):
        first = first[0]
    lon, lat = first[:2]
    assert 107.5 < lon < 109.5 and 30 < lat < 31.5  # longitude first (RFC 7946)


def test_cells_that_would_run_as_formulas_are_neutralised(client, county_manager):
    formula = '=HYPERLINK("http://x")'
    asset_register(actor=county_manager, data=asset_input(name=formula))
    client.force_login(county_manager)
    table = list(csv.reader(io.StringIO(download(client, "csv").decode("utf-8-sig"))))
    names = [r[1] for r in table[1:]]
    assert "'" + formula in names and not any(n.startswith("=") for n in names)
    book = openpyxl.load_workbook(io.BytesIO(download(client, "xlsx")))
    cells = [row[1] for row in book["资产台账"].iter_rows(min_row=2, values_only=True)]
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)


def test_unknown_format_is_404_and_bad_filter_is_400(client, planner):
    client.force_login(planner)
    assert client.get(reverse("transfer:asset_export", args=["exe"])).status_code == 404
    response = client.get(reverse("transfer:asset_export", args=["csv"]), {"status": "gone"})
    assert response.status_code == 400


def test_management_command_exports_what_the_user_sees(planner, register, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "public.csv"
    call_command("export_assets", "--user", "planner", "--format", "csv", "--output", str(target),
                 "asset_class=public")  # fmt: skip
    table = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    assert len(table) - 1 == asset_list(user=planner).filter(asset_class="public").count()


def test_excel_with_history_lists_every_version_with_its_author(client, auditor, county_manager):
    from registry.services.assets import asset_update

    asset = asset_register(actor=county_manager, data=asset_input())
    asset_update(actor=county_manager, asset=asset, expected_version=asset.version,
                 data=asset_input(name="改过名的公路"))  # fmt: skip
    client.force_login(auditor)
    body = download(client, "xlsx", q=asset.code, history="1")
    book = openpyxl.load_workbook(io.BytesIO(body))
    history = list(book["变更历史"].iter_rows(values_only=True))
    assert history[0][:3] == ("时间", "资产编号", "变更")
    mine = [row for row in history[1:] if row[1] == asset.code]
    assert [row[2] for row in mine] == ["新增", "修改"]
    assert {row[3] for row in mine} == {"县资产管理员"}
    assert [row[6] for row in mine] == ["向东村通组公路", "改过名的公路"]
    statement = dict(book["导出说明"].iter_rows(values_only=True))
    assert statement["历史记录（行）"] == str(len(history) - 1)


def test_a_big_export_is_written_by_the_worker_and_downloaded_from_its_page(
    client, auditor, county_manager, register, settings, django_capture_on_commit_callbacks
):
    from tests.factories import run_worker
    from transfer.models import ExportJob

    settings.EXPORT_INLINE_MAX_ROWS = 10
    client.force_login(auditor)
    expected = asset_list(user=auditor).filter(asset_class="public").count()
    assert expected > 10
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            reverse("transfer:asset_export", args=["xlsx"]), {"asset_class": "public"}
        )
    job = ExportJob.objects.order_by("-pk").first()
    assert response.status_code == 302
    assert response["Location"] == reverse("transfer:export_detail", args=[job.pk])
    assert (job.state, job.rows_total, job.params) == (
        "queued",
        expected,
        [["asset_class", ["public"]]],
    )
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'data-testid="progress"' in page.content.decode()

    run_worker()
    job.refresh_from_db()
    assert job.state == "done", job.message
    status = client.get(reverse("transfer:export_status", args=[job.pk])).json()
    assert status == {"state": "done", "busy": False, "rows_done": expected, "percent": 100}
    download = client.get(reverse("transfer:export_download", args=[job.pk]))
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    ledger = book["资产台账"]
    assert ledger.max_row == expected + 2  # header and totals
    assert {
        row[2] for row in ledger.iter_rows(min_row=2, max_row=expected + 1, values_only=True)
    } == {"公益性"}
    # Someone else's export is not theirs to see.
    client.force_login(county_manager)
    assert client.get(reverse("transfer:export_download", args=[job.pk])).status_code == 404
    # A file removed from the media folder is a 404 for its owner too, not a 500.
    client.force_login(auditor)
    Path(job.file.path).unlink()
    assert client.get(reverse("transfer:export_download", args=[job.pk])).status_code == 404


def test_a_failing_gdal_writer_raises_instead_of_hanging(tmp_path, auditor, register):
    from transfer.exporters import write_vector

    with pytest.raises(Exception, match=r"(?i)no such file|does not exist|cannot|failed"):
        write_vector(asset_list(user=auditor), tmp_path / "missing" / "x.gpkg", driver="GPKG")
