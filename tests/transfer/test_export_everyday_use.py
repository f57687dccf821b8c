"""Exports as county staff open them (issue 18): Excel with real dates, an autofilter and a
statement that says in words what was exported and by whom; a change history that says what
changed, who (by name) and from where; record lists that name people; GeoPackages that QGIS
shows with a stable layer name, Chinese aliases and a declared geometry type; and no stored
code anywhere."""

import csv
import datetime
import io
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from django.urls import reverse
from django.utils import translation

from registry.choices import AssetStatus, Role
from registry.demo_assets import generate_register
from registry.history import change_label, command_label
from registry.ledgers import ASSETS, LISTS
from registry.models import Asset, MaintenanceLog, User
from registry.selectors import asset_list
from registry.services.assets import asset_register, asset_update
from registry.services.maintenance import maintenance_log_add
from tests.factories import asset_input, village

pytestmark = pytest.mark.django_db
LONGJU = "500101151000"


@pytest.fixture
def register(db):  # type: ignore[no-untyped-def]
    generate_register(assets=150, seed=5)


def download(client, url: str, **params: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def asset_export(client, fmt: str, **params: str) -> bytes:  # type: ignore[no-untyped-def]
    return download(client, reverse("transfer:asset_export", args=[fmt]), **params)


def record_export(client, kind: str, fmt: str, **params: str) -> bytes:  # type: ignore[no-untyped-def]
    return download(client, reverse("transfer:record_export", args=[kind, fmt]), **params)


def workbook(body: bytes, *, data_only: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(body), data_only=data_only)


def statement(book: openpyxl.Workbook) -> dict[str, str]:
    return dict(book["导出说明"].iter_rows(values_only=True))


def near(area_code: str, dx: float, dy: float) -> tuple[float, float]:
    x, y = village(area_code).point.coords
    return x + dx, y + dy


# --- Excel: dates, autofilter, totals --------------------------------------------------------


def test_excel_ledger_has_real_dates_an_autofilter_and_totals_that_follow_it(
    client, auditor, county_manager, register
):
    asset_register(actor=county_manager, data=asset_input())  # one in 龙驹镇 for sure
    client.force_login(auditor)
    body = asset_export(client, "xlsx", area=LONGJU)
    sheet = workbook(body)["资产台账"]
    header = [c.value for c in sheet[1]]
    rows = sheet.max_row - 2  # the header and the totals row
    assert rows == asset_list(user=auditor).filter(area_code__startswith="500101151").count() > 0

    formed = header.index("形成日期") + 1
    dates = [sheet.cell(row=r, column=formed) for r in range(2, rows + 2)]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates)
    assert all(isinstance(c.value, datetime.datetime) for c in dates)
    assert datetime.datetime(2022, 5, 1) in {c.value for c in dates}  # asset_input's date
    inspected = header.index("最近巡查日期") + 1
    filled = [sheet.cell(row=r, column=inspected) for r in range(2, rows + 2)]
    assert all(c.is_date for c in filled if c.value is not None)
    assert not any(isinstance(c.value, str) for c in dates + filled)

    # The filter covers the header and every data row, not the totals row under them.
    last = openpyxl.utils.get_column_letter(len(header))
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}"
    assert sheet.freeze_panes == "C2"
    totals_row = rows + 2
    assert sheet.cell(row=totals_row, column=1).value == "合计"
    value_col = header.index("资产原值（元）") + 1
    letter = openpyxl.utils.get_column_letter(value_col)
    formula = sheet.cell(row=totals_row, column=value_col).value
    assert formula == f"=SUBTOTAL(109,{letter}2:{letter}{rows + 1})"  # sums what a filter shows
    cached = workbook(body, data_only=True)["资产台账"].cell(row=totals_row, column=value_col)
    expected = sum(
        asset_list(user=auditor)
        .filter(area_code__startswith="500101151")
        .values_list("original_value", flat=True)
    )
    assert Decimal(str(cached.value)).quantize(Decimal("0.01")) == expected


def test_record_ledgers_have_real_dates_an_autofilter_and_named_people(
    client, auditor, county_manager, register
):
    asset = Asset.objects.filter(area_code="500101151200").exclude(status="disposed").first()
    asset = asset or asset_register(actor=county_manager, data=asset_input())
    maintenance_log_add(actor=county_manager, asset=asset, kind="inspection",
                        performed_on=datetime.date(2024, 3, 9), result="normal",
                        cost=Decimal("12.50"))  # fmt: skip
    client.force_login(auditor)
    spec = LISTS["maintenance"]
    keys = [c.key for c in spec.columns]
    book = workbook(record_export(client, "maintenance", "xlsx", q=asset.code))
    sheet = book.worksheets[0]
    rows = sheet.max_row - 2
    assert rows == MaintenanceLog.objects.filter(asset=asset).count() >= 1
    last = openpyxl.utils.get_column_letter(len(keys))
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}"
    date_cells = [
        sheet.cell(row=r, column=keys.index("performed_on") + 1) for r in range(2, rows + 2)
    ]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in date_cells)
    assert datetime.datetime(2024, 3, 9) in {c.value for c in date_cells}
    people = {
        sheet.cell(row=r, column=keys.index("logged_by") + 1).value for r in range(2, rows + 2)
    }
    assert "县资产管理员" in people and "manager" not in people
    cost = keys.index("cost") + 1
    assert "SUBTOTAL(109," in sheet.cell(row=rows + 2, column=cost).value
    # CSV keeps ISO dates (text is all CSV has).
    table = list(csv.reader(io.StringIO(
        record_export(client, "maintenance", "csv", q=asset.code).decode("utf-8-sig")
    )))  # fmt: skip
    assert "2024-03-09" in {r[keys.index("performed_on")] for r in table[1:]}
    assert "县资产管理员" in {r[keys.index("logged_by")] for r in table[1:]}


# --- the statement sheet ----------------------------------------------------------------------


def test_statement_states_the_filters_in_words_and_the_user_by_name(
    client, auditor, county_manager, register
):
    asset_register(actor=county_manager, data=asset_input())
    client.force_login(auditor)
    book = workbook(asset_export(client, "xlsx", area=LONGJU, asset_class="public",
                                 overdue="false", status="in_use"))  # fmt: skip
    said = statement(book)
    filters = said["筛选条件"]
    assert "区划：龙驹镇" in filters and "资产类别：公益性" in filters
    assert "状态：在用" in filters and "巡查逾期：否" in filters
    assert "asset_class" not in filters and "500101151000&" not in filters
    assert "public" not in filters and "false" not in filters
    assert said["导出人"].startswith("县审计人员")
    assert "auditor" not in said["导出人"] and "万州区" in said["导出人"]
    # Nothing filtered: says so.
    assert statement(workbook(asset_export(client, "xlsx")))["筛选条件"] == "无"


def test_record_statement_names_dates_and_choices(client, auditor, register):
    client.force_login(auditor)
    body = record_export(client, "maintenance", "xlsx", area=LONGJU, choice="needs_repair",
                         date_from="2023-01-01")  # fmt: skip
    said = dict(workbook(body).worksheets[1].iter_rows(values_only=True))
    assert said["筛选条件"] == "区划：龙驹镇（500101151000）；日期起始：2023-01-01；结果：需维修"
    assert said["导出人"].startswith("县审计人员")


def test_an_area_outside_the_users_scope_is_not_named(client, village_clerk, register):
    client.force_login(village_clerk)
    said = statement(workbook(asset_export(client, "xlsx", area="500101150001")))
    assert said["筛选条件"] == "区划：500101150001" and said["资产数（行）"] == "0"
    assert said["导出人"].startswith("向东村文书")


def test_the_command_line_export_states_its_filters_in_words(planner, register, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "public.xlsx"
    call_command("export_assets", "--user", "planner", "--format", "xlsx", "--output",
                 str(target), "asset_class=public")  # fmt: skip
    said = statement(openpyxl.load_workbook(target))
    assert said["筛选条件"] == "资产类别：公益性"
    assert said["导出人"].startswith("县规划人员") and "export_assets" in said["导出人"]


# --- the change history sheet -----------------------------------------------------------------


def test_history_sheet_says_what_changed_who_and_from_where(
    client, auditor, county_manager, register
):
    asset = asset_register(actor=county_manager, data=asset_input())
    asset_update(actor=county_manager, asset=asset, expected_version=asset.version,
                 data=asset_input(name="改过名的公路"))  # fmt: skip
    client.force_login(auditor)
    sheet = workbook(asset_export(client, "xlsx", q="500101", history="1"))["变更历史"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "资产编号", "变更", "操作人", "来源", "状态", "资产名称",
                       "资产原值（元）")  # fmt: skip
    mine = [r for r in rows[1:] if r[1] == asset.code]
    assert [r[2] for r in mine] == ["新增", "修改"]
    assert {r[3] for r in mine} == {"县资产管理员"}
    with translation.override("zh-hans"):
        assert {r[5] for r in mine} <= {str(label) for _value, label in AssetStatus.choices}
    # What generate_register wrote (other tests of the session may have committed more).
    generated = [r for r in rows[1:] if r[4] == "系统（演示数据）"]
    assert generated and {r[3] for r in generated} == {""}  # no person made them
    assert {"新增", "修改"} <= {r[2] for r in generated}
    assert not {"insert", "update", "delete"} & {r[2] for r in rows[1:]}
    people_and_sources = {r[3] for r in rows[1:]} | {r[4] for r in rows[1:]}
    assert not {"generate_register", "manager"} & people_and_sources
    when = [sheet.cell(row=i, column=1) for i in range(2, sheet.max_row + 1)]
    assert all(isinstance(c.value, datetime.datetime) and c.is_date for c in when)
    assert when[0].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.auto_filter.ref == f"A1:H{len(rows)}"


@pytest.mark.parametrize(
    ("command", "chinese", "english"),
    [
        ("generate_register", "系统（演示数据）", "System (demo data)"),
        ("load_demo_county", "系统（演示数据）", "System (demo data)"),
        ("import #12 台账.xlsx", "导入 #12 台账.xlsx", "Import #12 台账.xlsx"),
        ("import", "导入", "Import"),
        ("migration registry.0005: repair geometries",
         "系统（数据迁移）：registry.0005: repair geometries",
         "System (data migration): registry.0005: repair geometries"),
        ("/assets/5001012022100001/edit/", "/assets/5001012022100001/edit/",
         "/assets/5001012022100001/edit/"),
        ("rebuild_cells", "系统：rebuild_cells", "System: rebuild_cells"),
        (None, "系统", "system"),
    ],
)  # fmt: skip
def test_command_label_says_what_a_command_was_for(command, chinese, english):
    with translation.override("zh-hans"):
        assert command_label(command) == chinese
    with translation.override("en"):
        assert command_label(command) == english


def test_change_label_in_both_languages():
    with translation.override("zh-hans"):
        assert [change_label(x) for x in ("insert", "update", "delete")] == ["新增", "修改", "删除"]
    with translation.override("en"):
        assert [change_label(x) for x in ("insert", "update", "delete")] == [
            "Created",
            "Changed",
            "Deleted",
        ]


# --- record lists name people -----------------------------------------------------------------


def test_record_lists_show_people_by_name_on_the_page_and_in_files(client, auditor, register):
    nameless = User.objects.create(username="clerk_no_name", role=Role.MANAGER,
                                   area=User.objects.get(username="manager").area)  # fmt: skip
    western = User.objects.create(username="clerk_two_names", first_name="Li", last_name="Ming",
                                  role=Role.MANAGER, area=nameless.area)  # fmt: skip
    logs = MaintenanceLog.objects.filter(asset__area_code__startswith="500101").order_by("pk")
    first, second = logs[0], logs[1]
    MaintenanceLog.objects.filter(pk=first.pk).update(logged_by=nameless)
    MaintenanceLog.objects.filter(pk=second.pk).update(logged_by=western)
    client.force_login(auditor)
    column = [c.key for c in LISTS["maintenance"].columns].index("logged_by")

    # What the top bar would show for them (get_full_name, else the login name).
    assert western.get_full_name() == "Li Ming" and nameless.get_full_name() == ""

    page = client.get(
        reverse("registry:record_list", args=["maintenance"]), {"q": first.asset.code}
    )
    html = page.content.decode()
    assert re.search(r'<td class="nowrap"[^>]*>clerk_no_name</td>', html)
    page = client.get(reverse("registry:record_list", args=["maintenance"]))
    names = {row[column][1] for row in page.context["rows"]}
    assert "系统管理员" in names and "admin" not in names  # the demo's records, by admin

    table = list(csv.reader(io.StringIO(
        record_export(client, "maintenance", "csv").decode("utf-8-sig")
    )))  # fmt: skip
    people = {r[column] for r in table[1:]}
    assert {"系统管理员", "Li Ming", "clerk_no_name"} <= people
    assert "admin" not in people and "clerk_two_names" not in people


@pytest.mark.parametrize("kind", list(LISTS))
def test_every_record_list_names_its_people_in_excel(kind, client, auditor, register):
    spec = LISTS[kind]
    column = next(i for i, c in enumerate(spec.columns) if c.key.endswith("_by"))
    client.force_login(auditor)
    sheet = workbook(record_export(client, kind, "xlsx")).worksheets[0]
    people = {r[column] for r in sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1,
                                                 values_only=True)}  # fmt: skip
    # generate_register records everything as admin: by name, and no login anywhere.
    assert "系统管理员" in people, kind
    logins = set(User.objects.values_list("username", flat=True))
    assert not people & logins, (kind, people & logins)


# --- no stored code in any file ---------------------------------------------------------------


def _codes_leaked(column, values) -> set[str]:  # type: ignore[no-untyped-def]
    values = {v for v in values if v == v}  # NaN: GDAL's empty cell (an asset with no network)
    if column.kind == "choice":
        labels = {str(label) for _value, label in column.choices}
        raw = {value for value, label in column.choices if value != str(label)}
        return {v for v in values if v in raw or (v not in labels and v not in ("", None))}
    if column.kind == "bool":
        return {v for v in values if v not in ("是", "否", "", None)}
    return set()


def test_no_stored_code_reaches_any_asset_export(client, auditor, register, tmp_path):
    client.force_login(auditor)
    columns = ASSETS.exported
    checked = [c for c in columns if c.kind in ("choice", "bool")]
    assert {c.key for c in checked} >= {"asset_class", "subtype", "form", "fund_era", "status",
                                        "inspection_overdue", "booked"}  # fmt: skip
    leaks: dict[str, set[str]] = {}

    table = list(csv.reader(io.StringIO(asset_export(client, "csv").decode("utf-8-sig"))))
    xlsx = list(workbook(asset_export(client, "xlsx"))["资产台账"].iter_rows(values_only=True))
    geojson = __import__("json").loads(asset_export(client, "geojson"))
    gpkg = tmp_path / "a.gpkg"
    gpkg.write_bytes(asset_export(client, "gpkg"))
    frame = pyogrio.read_dataframe(gpkg)
    archive = zipfile.ZipFile(io.BytesIO(asset_export(client, "shp")))
    archive.extractall(tmp_path / "shp")
    shp = [pyogrio.read_dataframe(p) for p in sorted((tmp_path / "shp").glob("*.shp"))]
    for i, column in enumerate(columns):
        if column not in checked:
            continue
        found = {
            "csv": {r[i] for r in table[1:]},
            "xlsx": {r[i] for r in xlsx[1:-1]},
            "geojson": {f["properties"][column.key] for f in geojson["features"]},
            "gpkg": set(frame[column.key]),
            "shp": set().union(*(set(f[column.shp]) for f in shp)),
        }
        for fmt, values in found.items():
            if leaked := _codes_leaked(column, values):
                leaks[f"{fmt}:{column.key}"] = leaked
    assert leaks == {}


@pytest.mark.parametrize("kind", list(LISTS))
def test_no_stored_code_reaches_any_record_export(kind, client, auditor, register):
    spec = LISTS[kind]
    client.force_login(auditor)
    table = list(csv.reader(io.StringIO(record_export(client, kind, "csv").decode("utf-8-sig"))))
    xlsx = list(workbook(record_export(client, kind, "xlsx")).worksheets[0].iter_rows(
        values_only=True))  # fmt: skip
    assert len(table) > 1
    for i, column in enumerate(spec.columns):
        for values in ({r[i] for r in table[1:]}, {r[i] for r in xlsx[1:-1]}):
            assert not _codes_leaked(column, values), (kind, column.key)


# --- GeoPackage and Shapefile for QGIS and GDAL ----------------------------------------------


def _square(x: float, y: float, size: float = 0.0005) -> Polygon:
    return Polygon(((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)))


def _gpkg(client, tmp_path: Path, name: str, **params: str) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.gpkg"
    path.write_bytes(asset_export(client, "gpkg", **params))
    return path


def _ogrinfo(path: Path) -> subprocess.CompletedProcess[str]:
    """The system GDAL (3.6 on Debian 12, as older QGIS installs have)."""
    return subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                          text=True, check=True)  # fmt: skip


def test_geopackage_has_a_stable_layer_chinese_aliases_and_its_geometry_type(
    client, county_manager, tmp_path
):
    x, y = near("500101151200", 0.001, 0.001)
    for i in range(2):
        asset_register(actor=county_manager, data=asset_input(
            name=f"多边形测试大棚{i}", asset_class="operating", subtype="greenhouse",
            geom=MultiPolygon(_square(x + i * 0.001, y), srid=4490)))  # fmt: skip
    road = LineString((x, y), (x + 0.001, y + 0.002), srid=4490)
    asset_register(actor=county_manager, data=asset_input(name="多边形测试公路", geom=road))
    client.force_login(county_manager)

    polygons = _gpkg(client, tmp_path, "polygons", q="多边形测试大棚")
    assert [list(layer) for layer in pyogrio.list_layers(polygons)] == [
        ["资产台账", "MultiPolygon"]
    ]
    assert pyogrio.read_info(polygons)["features"] == 2
    report = _ogrinfo(polygons)
    assert "Layer name: 资产台账" in report.stdout and "Geometry: Multi Polygon" in report.stdout
    assert report.stderr == ""

    mixed = _gpkg(client, tmp_path, "mixed", q="多边形测试")
    assert [list(layer) for layer in pyogrio.list_layers(mixed)] == [["资产台账", "Unknown"]]
    assert pyogrio.read_info(mixed)["features"] == 3
    assert "Geometry: Unknown (any)" in _ogrinfo(mixed).stdout

    lines = _gpkg(client, tmp_path, "line", q="多边形测试公路")
    assert pyogrio.list_layers(lines)[0][1] == "LineString"

    # The Chinese headers are the fields' alternative names, as GDAL reads them back (QGIS
    # shows them as aliases); the field names stay the short keys.
    _meta, table = pyogrio.read_arrow(polygons)
    aliases = {
        f.name: (f.metadata or {}).get(b"GDAL:OGR:alternative_name", b"").decode()
        for f in table.schema
    }
    for column in ASSETS.exported:
        assert aliases[column.key] == column.header
    assert aliases["original_code"] == "原资产编号" and aliases["code"] == "资产编号"


def test_geopackage_layer_name_does_not_depend_on_the_file_name(
    client, planner, register, tmp_path
):
    client.force_login(planner)
    path = _gpkg(client, tmp_path, "whatever")
    ((layer, kind),) = pyogrio.list_layers(path)
    assert layer == "资产台账"
    assert kind == "Unknown"  # the demo register has points and lines
    assert pyogrio.read_info(path)["features"] == asset_list(user=planner).count()


def test_shapefile_fields_list_and_code_page_match_what_is_in_the_zip(
    client, planner, register, tmp_path
):
    client.force_login(planner)
    archive = zipfile.ZipFile(io.BytesIO(asset_export(client, "shp")))
    archive.extractall(tmp_path)
    fields = dict(
        line.split("\t") for line in archive.read("FIELDS.txt").decode("utf-8").splitlines()
    )
    assert fields == {c.shp: c.header for c in ASSETS.exported}
    assert fields["orig_code"] == "原资产编号" and all(len(name) <= 10 for name in fields)
    layers = sorted(p.stem for p in tmp_path.glob("*.shp"))
    assert layers == ["assets_lines", "assets_points"]
    for layer in layers:
        assert archive.read(f"{layer}.cpg").decode().strip().upper() in {"UTF-8", "UTF8"}
        info = pyogrio.read_info(tmp_path / f"{layer}.shp")
        assert list(info["fields"]) == list(fields)
        assert pyogrio.list_layers(tmp_path / f"{layer}.shp")[0][0] == layer
