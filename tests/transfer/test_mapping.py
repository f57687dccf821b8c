"""Issue 18: ledgers as counties keep them. Each county file is read in its own column layout
through the mapping step (guessed from headers and cells, corrected by the user, remembered for
the next file of the layout); values in 万元, the county's own numbers, likely duplicates,
unusual values and formula-looking text."""

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from registry.models import Asset
from tests.factories import (
    county_point,
    county_villages,
    gbk_shapefile_without_cpg,
    gcj02_geojson,
    gk_shapefile_without_prj,
    gpkg_4545,
    run_worker,
)
from transfer import importers
from transfer.importers.mapping import Layout, inspect
from transfer.importers.options import WAN, YUAN, ImportOptions
from transfer.models import AssetImport, ImportLayout

pytestmark = pytest.mark.django_db


def options_from(layout: Layout, **changes: object) -> ImportOptions:
    """What the mapping page submits when the user accepts every guess."""
    fixed = changes.pop("fixed", {})
    return ImportOptions(
        columns=layout.guessed(),
        header_row=layout.header_row,
        fixed=fixed,  # type: ignore[arg-type]
        value_unit=str(changes.pop("value_unit", layout.value_unit)),
        **changes,  # type: ignore[arg-type]
    )


def guesses(layout: Layout) -> dict[str, str]:
    return {c.name: c.guess for c in layout.columns}


# --- the guesses -------------------------------------------------------------------------------


def test_a_surveyors_pinyin_shapefile_is_understood(tmp_path, county_manager):
    layout = inspect(gk_shapefile_without_prj(tmp_path), county_manager)
    assert guesses(layout) == {
        "ZCMC": "name", "ZCLB": "asset_class", "ZCZL": "subtype", "XZ": "township",
        "CUN": "village", "YZ": "original_value", "SL": "quantity", "DW": "unit",
        "JCNF": "formed_on",
    }  # fmt: skip
    # Values from 12.5 to 14.5 with nothing in the header: 万元, and the page says it guessed.
    assert (layout.value_unit, layout.value_unit_reason) == (WAN, "content")


def test_cells_decide_when_the_header_says_otherwise(tmp_path, county_manager):
    """A column headed 行政村 holding 12-digit numbers holds area codes, not village names; the
    county's own numbers under 原编号 are kept as original codes; sub-types under 类型."""
    layout = inspect(gpkg_4545(tmp_path), county_manager)
    found = guesses(layout)
    assert found["行政村"] == "area_code"
    assert found["原编号"] == "original_code"
    assert found["类型"] == "subtype"
    assert found["大类"] == "asset_class"
    assert found["完工时间"] == "formed_on"
    assert (layout.value_unit, layout.value_unit_reason) == (YUAN, "header")
    reasons = {c.name: c.reason for c in layout.columns}
    assert reasons["行政村"] == "content"


def test_a_gbk_shapefile_without_cpg_is_read_in_chinese(tmp_path, county_manager):
    layout = inspect(gbk_shapefile_without_cpg(tmp_path), county_manager)
    found = guesses(layout)
    assert found == {
        "工程名称": "name", "类别": "asset_class", "类型": "subtype", "村代码": "area_code",
        "金额": "original_value", "数量": "quantity", "建成日期": "formed_on",
    }  # fmt: skip
    samples = {c.name: c.samples for c in layout.columns}
    assert samples["类型"][0] == "环卫设施（公厕、排污、垃圾）"  # GBK, not mojibake


def test_phone_points_with_english_keys(tmp_path, county_manager):
    layout = inspect(gcj02_geojson(tmp_path), county_manager)
    assert guesses(layout) == {
        "name": "name", "category": "asset_class", "type": "subtype", "village": "village",
        "value": "original_value", "qty": "quantity", "unit": "unit", "date": "formed_on",
    }  # fmt: skip
    assert layout.value_unit == WAN


def test_our_own_template_needs_no_mapping(tmp_path, county_manager):
    from transfer.importers.mapping import recognised
    from transfer.views.imports import TEMPLATE_COLUMNS

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([importers.HEADERS[key] for key, _note in TEMPLATE_COLUMNS])
    sheet.append(["", "向东村大棚", "经营性", "设施农业（大棚）"])
    path = tmp_path / "template.xlsx"
    book.save(path)
    assert recognised(inspect(path, county_manager))


# --- reading with the mapping --------------------------------------------------------------------


def test_values_in_wan_are_stored_in_yuan_and_gauss_kruger_points_land_within_1_cm(
    tmp_path, county_manager
):
    path = gk_shapefile_without_prj(tmp_path)
    layout = inspect(path, county_manager)
    outcome = importers.commit(path, county_manager, options=options_from(layout))
    assert (outcome.create, outcome.errors, outcome.unusual) == (3, 0, 0), outcome.problems
    villages = county_villages()
    for i, v in enumerate(villages):
        asset = Asset.objects.get(name=f"{v.short_name}1组通组公路")
        assert asset.original_value == Decimal("125000.00") + 10000 * i  # 12.5 万元
        assert asset.formed_on == datetime.date(2019 + i, 1, 1)  # the year alone
        assert asset.area_id == v.pk  # by township and the village's short name
        # Back from Gauss-Kruger without a .prj: within a centimetre (1e-7 degrees) of the
        # point it was made from.
        lon, lat = county_point(v, 1, i)
        assert abs(asset.geom.x - lon) < 1e-7 and abs(asset.geom.y - lat) < 1e-7


def test_phone_positions_in_gcj02_are_converted_within_1_cm(tmp_path, county_manager):
    path = gcj02_geojson(tmp_path)
    layout = inspect(path, county_manager)
    outcome = importers.commit(path, county_manager, options=options_from(layout, gcj02=True))
    assert (outcome.create, outcome.errors) == (3, 0), outcome.problems
    for i, v in enumerate(county_villages()):
        asset = Asset.objects.get(name=f"{v.short_name}1号灌溉渠")
        lon, lat = county_point(v, 1, i)
        assert abs(asset.geom.x - lon) < 1e-7 and abs(asset.geom.y - lat) < 1e-7
        assert asset.original_value == Decimal("186000.00") + 10000 * i


def test_the_same_ledger_imported_again_finds_its_assets_by_their_original_code(
    tmp_path, county_manager
):
    path = gpkg_4545(tmp_path)
    options = options_from(inspect(path, county_manager))
    assert importers.commit(path, county_manager, options=options).create == 3
    stored = Asset.objects.get(original_code="LJ-SL-1000")
    again = importers.preview(path, county_manager, options=options)
    assert (again.create, again.unchanged, again.duplicates, again.errors) == (0, 3, 0, 0)
    # The county corrected a value in its ledger: the re-import changes that asset only.
    import geopandas as gpd

    frame = gpd.read_file(path)
    frame.loc[frame["原编号"] == "LJ-SL-1000", "原值（元）"] = 240000.0
    changed = tmp_path / "water_1_corrected.gpkg"
    frame.to_file(changed, engine="pyogrio", layer="蓄水池")
    outcome = importers.commit(changed, county_manager, options=options)
    assert (outcome.update, outcome.unchanged, outcome.create) == (1, 2, 0)
    stored.refresh_from_db()
    assert stored.original_value == Decimal("240000.00")
    assert Asset.objects.filter(original_code__startswith="LJ-SL-1").count() == 3


def test_the_original_code_is_searched_and_exported(client, tmp_path, county_manager):
    path = gpkg_4545(tmp_path)
    importers.commit(path, county_manager, options=options_from(inspect(path, county_manager)))
    client.force_login(county_manager)
    page = client.get(reverse("registry:asset_list"), {"q": "LJ-SL-1001"}).content.decode()
    asset = Asset.objects.get(original_code="LJ-SL-1001")
    assert asset.code in page and Asset.objects.filter(original_code="LJ-SL-1001").count() == 1
    body = b"".join(
        client.get(
            reverse("transfer:asset_export", args=["csv"]), {"q": "LJ-SL-1001"}
        ).streaming_content
    ).decode("utf-8-sig")
    table = list(csv.reader(body.splitlines()))
    column = table[0].index("原资产编号")
    assert [row[column] for row in table[1:]] == ["LJ-SL-1001"]


def test_a_file_that_lacks_columns_says_so_once(tmp_path, county_manager):
    """Missing 子类, 数量 and 单位 is one summary for the file, not the same error on every row;
    a value for the whole file fills it in."""
    path = gbk_shapefile_without_cpg(tmp_path)
    layout = inspect(path, county_manager)
    options = options_from(layout)
    outcome = importers.preview(path, county_manager, options=options)
    assert outcome.missing == ["单位"]
    assert outcome.incomplete == 3 and outcome.create == 0
    assert not any("Required" in p.message for p in outcome.problems)
    with pytest.raises(importers.Rejected):
        importers.commit(path, county_manager, options=options)
    fixed = options_from(layout, fixed={"unit": "处"})
    outcome = importers.commit(path, county_manager, options=fixed)
    assert (outcome.create, outcome.missing) == (3, [])
    assert set(
        Asset.objects.filter(name__endswith="1号公共厕所").values_list("unit", flat=True)
    ) == {"处"}


def test_the_same_points_imported_twice_are_flagged_and_skipped_unless_kept(
    tmp_path, county_manager
):
    path = gcj02_geojson(tmp_path)
    options = options_from(inspect(path, county_manager), gcj02=True)
    importers.commit(path, county_manager, options=options)
    before = Asset.objects.count()
    # The same file again, without codes of ours or the county's: the same names, same places.
    again = importers.preview(path, county_manager, options=options)
    assert (again.create, again.duplicates) == (0, 3)
    assert {d["distance"] for d in again.duplicate_rows} == {0.0}
    outcome = importers.commit(path, county_manager, options=options)
    assert (outcome.create, outcome.skipped) == (0, 3)
    assert Asset.objects.count() == before
    keep = frozenset([again.duplicate_rows[0]["row"]])
    kept = importers.commit(
        path, county_manager, options=options_from(
            inspect(path, county_manager), gcj02=True, keep_duplicates=keep
        ),
    )  # fmt: skip
    assert (kept.create, kept.kept, kept.skipped) == (1, 1, 2)
    assert Asset.objects.count() == before + 1


def test_a_point_60_m_away_is_not_a_duplicate(tmp_path, county_manager):
    path = gcj02_geojson(tmp_path, batch=1)
    options = options_from(inspect(path, county_manager), gcj02=True)
    importers.commit(path, county_manager, options=options)
    import json

    data = json.loads(path.read_text("utf-8"))
    for feature in data["features"]:
        feature["geometry"]["coordinates"][1] += 0.00055  # ~61 m north
    path.write_text(json.dumps(data), "utf-8")
    outcome = importers.preview(path, county_manager, options=options)
    assert (outcome.create, outcome.duplicates) == (3, 0)


def test_unusual_values_need_a_confirmation(tmp_path, county_manager):
    """A value column in 万元 read as yuan: a road worth 19.23 yuan is asked about."""
    path = gcj02_geojson(tmp_path)
    layout = inspect(path, county_manager)
    as_yuan = options_from(layout, gcj02=True, value_unit=YUAN)
    outcome = importers.preview(path, county_manager, options=as_yuan)
    assert outcome.unusual == 3 and outcome.unusual_rows[0]["value"] == "18.60"
    with pytest.raises(importers.Rejected):
        importers.commit(path, county_manager, options=as_yuan)
    assert not Asset.objects.filter(name__endswith="1号灌溉渠").exists()
    confirmed = options_from(layout, gcj02=True, value_unit=YUAN, confirm_values=True)
    assert importers.commit(path, county_manager, options=confirmed).create == 3


def test_formula_looking_text_is_stored_as_text_and_exported_neutralised(
    tmp_path, client, county_manager
):
    v = county_villages()[0]
    path = tmp_path / "formula.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["资产名称", "资产类别", "资产子类", "区划代码", "资产原值（元）", "数量",
                         "单位", "形成日期", "地址"])  # fmt: skip
        writer.writerow(["=SUM(A1:A3)", "公益性", "道路", v.code, "150000", "1", "公里",
                         "2022-03-01", "@二组"])  # fmt: skip
    outcome = importers.commit(path, county_manager)
    assert (outcome.create, outcome.errors) == (1, 0), outcome.problems
    asset = Asset.objects.get(name="=SUM(A1:A3)")
    assert asset.address == "@二组"
    client.force_login(county_manager)
    body = b"".join(
        client.get(
            reverse("transfer:asset_export", args=["csv"]), {"q": asset.code}
        ).streaming_content
    ).decode("utf-8-sig")
    assert "'=SUM(A1:A3)" in body  # neutralised for spreadsheets, as before


# --- the pages and the worker ------------------------------------------------------------------


def upload(client, path: Path, **extra: object) -> AssetImport:  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        response = client.post(reverse("transfer:import_list"), {"file": handle, **extra})
    assert response.status_code == 302, response.content[:500]
    return AssetImport.objects.order_by("-pk").first()


def mapping_post(item: AssetImport, **changes: str) -> dict[str, str]:
    """The mapping form as the page fills it (every guess accepted) with ``changes``."""
    layout = Layout.from_dict(item.layout)
    data = {f"col_{i}": c.guess for i, c in enumerate(layout.columns)}
    data["value_unit"] = layout.value_unit
    data.update(changes)
    return data


def test_upload_map_check_commit_and_the_next_file_of_the_layout_needs_no_mapping(
    tmp_path, client, county_manager, django_capture_on_commit_callbacks
):
    client.force_login(county_manager)
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, gbk_shapefile_without_cpg(tmp_path))
    run_worker()
    item.refresh_from_db()
    assert item.state == "mapping"
    page = client.get(reverse("transfer:import_detail", args=[item.pk]))
    assert page.status_code == 302 and page.url == reverse(
        "transfer:import_mapping", args=[item.pk]
    )
    page = client.get(page.url).content.decode()
    assert "工程名称" in page and "环卫设施（公厕、排污、垃圾）" in page
    assert "单位" in page.split('data-testid="mapping-summary"')[1][:400]  # what is missing

    # Two columns for one particular: refused with both named, nothing queued.
    clash = mapping_post(item, col_1="name")
    response = client.post(reverse("transfer:import_mapping", args=[item.pk]), clash)
    assert response.status_code == 400 and "工程名称" in response.content.decode()
    # Junk in every field: a form error, never a 500.
    junk = {f"col_{i}": "\x00'; DROP" for i in range(10)} | {
        "value_unit": "x",
        "fixed_area_code": "9",
    }
    response = client.post(reverse("transfer:import_mapping", args=[item.pk]), junk)
    assert response.status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("transfer:import_mapping", args=[item.pk]), mapping_post(item, fixed_unit="处")
        )
    assert response.status_code == 302
    run_worker()
    item.refresh_from_db()
    assert item.state == "checked", item.message
    assert (item.outcome["create"], item.outcome["errors"]) == (3, 0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("transfer:import_commit", args=[item.pk]))
    run_worker()
    item.refresh_from_db()
    assert item.state == "committed", item.message
    assert Asset.objects.filter(name__endswith="1号公共厕所", unit="处").count() == 3
    assert ImportLayout.objects.filter(user=county_manager).count() == 1

    # The next file of the same layout goes straight to its check with the same mapping.
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(client, gbk_shapefile_without_cpg(tmp_path / "next", batch=2))
    run_worker()
    second.refresh_from_db()
    assert second.state == "checked", second.message
    assert second.mapping["how"] == "remembered" and second.mapping["fixed"] == {"unit": "处"}
    assert (second.outcome["create"], second.outcome["errors"]) == (3, 0)
    page = client.get(reverse("transfer:import_detail", args=[second.pk])).content.decode()
    assert "更改列对应" in page or "Change the column mapping" in page


def test_duplicates_and_unusual_values_are_decided_on_the_preview(
    tmp_path, client, county_manager, django_capture_on_commit_callbacks
):
    client.force_login(county_manager)
    path = gcj02_geojson(tmp_path)
    importers.commit(
        path, county_manager, options=options_from(inspect(path, county_manager), gcj02=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, path, gcj02="on")
    run_worker()
    item.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("transfer:import_mapping", args=[item.pk]),
            mapping_post(item, value_unit="yuan"),
        )
    run_worker()
    item.refresh_from_db()
    assert (item.outcome["duplicates"], item.outcome["unusual"]) == (3, 3)
    page = client.get(reverse("transfer:import_detail", args=[item.pk])).content.decode()
    assert 'data-testid="duplicates"' in page and 'data-testid="confirm-values"' in page
    before = Asset.objects.count()
    keep = item.outcome["duplicate_rows"][0]["row"]
    # Without the confirmation: refused with a reason, nothing queued.
    response = client.post(reverse("transfer:import_commit", args=[item.pk]), {"keep": [keep]})
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("transfer:import_commit", args=[item.pk]),
            {"keep": [keep, "not-a-row"], "confirm_values": "1"},
        )
    assert response.status_code == 302
    run_worker()
    item.refresh_from_db()
    assert item.state == "committed", item.message
    assert item.keep_duplicates == [keep]
    assert (item.outcome["kept"], item.outcome["skipped"]) == (1, 2)
    assert Asset.objects.count() == before + 1


# --- what the review found --------------------------------------------------------------------


def workbook(tmp_path: Path, headers: list[str], rows: list[list[object]], name: str) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_our_headers_with_values_in_wan_or_the_countys_own_numbers_go_to_the_mapping_step(
    tmp_path, county_manager
):
    from transfer.importers.mapping import recognised

    v = county_villages()[0]
    headers = ["资产名称", "资产类别", "资产子类", "区划代码", "原值", "数量", "单位", "形成日期"]
    small = [["向东村便道", "公益性", "道路", v.code, 19.23, 1, "公里", "2022-01-01"]]
    layout = inspect(workbook(tmp_path, headers, small * 3, "wan.xlsx"), county_manager)
    assert (layout.value_unit, layout.value_unit_reason) == (WAN, "content")
    assert not recognised(layout)  # the unit is a guess the user must see
    own = [["WZ-2019-001", *small[0]]]
    layout = inspect(workbook(tmp_path, ["资产编号", *headers], own, "own.xlsx"), county_manager)
    assert {c.name: c.guess for c in layout.columns}["资产编号"] == "original_code"
    assert not recognised(layout)


def test_preview_and_commit_find_the_same_duplicates_across_batches(
    tmp_path, county_manager, monkeypatch
):
    """Four street lamps of one name 20 m apart, read two rows at a time: the commit (which
    writes batch after batch) finds no more duplicates than the preview did."""
    from transfer.importers import columns as import_columns
    from transfer.importers import sources as import_sources

    monkeypatch.setattr(import_columns, "BATCH", 2)
    monkeypatch.setattr(import_sources, "BATCH", 2)
    v = county_villages()[0]
    rows = [
        ["太阳能路灯", "公益性", "电力设施", v.code, 3000, 1, "盏", "2023-05-01",
         v.point.x + 0.0002 * i, v.point.y]
        for i in range(4)
    ]  # fmt: skip
    headers = ["资产名称", "资产类别", "资产子类", "区划代码", "资产原值（元）", "数量", "单位",
               "形成日期", "经度", "纬度"]  # fmt: skip
    path = workbook(tmp_path, headers, rows, "lamps.xlsx")
    preview = importers.preview(path, county_manager)
    outcome = importers.commit(path, county_manager)
    assert (preview.create, preview.duplicates) == (outcome.create, outcome.duplicates) == (4, 0)
    assert Asset.objects.filter(name="太阳能路灯", area=v).count() == 4


def test_a_remembered_layout_asks_again_for_the_values_of_one_file(
    tmp_path, client, county_manager, django_capture_on_commit_callbacks
):
    """A layout mapped with the whole file's village (a per-file value) is not applied to the
    next file of that layout silently: its mapping page comes back, the rest prefilled."""
    client.force_login(county_manager)
    path = gk_shapefile_without_prj(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, path)
    run_worker()
    item.refresh_from_db()
    layout = Layout.from_dict(item.layout)
    # The user maps no township/village column and gives the village for the whole file.
    changes = {
        f"col_{i}": "" for i, c in enumerate(layout.columns) if c.guess in ("township", "village")
    }
    changes["fixed_area_code"] = county_villages()[0].code
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("transfer:import_mapping", args=[item.pk]), mapping_post(item, **changes)
        )
    run_worker()
    item.refresh_from_db()
    assert item.state == "checked", item.message
    remembered = ImportLayout.objects.get(user=county_manager)
    assert "area_code" not in remembered.mapping["fixed"]
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(client, gk_shapefile_without_prj(tmp_path / "next", batch=2))
    run_worker()
    second.refresh_from_db()
    assert second.state == "mapping" and second.mapping["how"] == "remembered"
    page = client.get(reverse("transfer:import_mapping", args=[second.pk])).content.decode()
    assert "区划代码" in page.split('data-testid="mapping-summary"')[1][:300]  # asked again


def test_all_likely_duplicates_can_be_kept(tmp_path, county_manager):
    path = gcj02_geojson(tmp_path)
    options = options_from(inspect(path, county_manager), gcj02=True)
    importers.commit(path, county_manager, options=options)
    import dataclasses

    outcome = importers.commit(
        path, county_manager, options=dataclasses.replace(options, keep_all_duplicates=True)
    )
    assert (outcome.create, outcome.kept, outcome.skipped) == (3, 3, 0)


# --- what the hostile probe found ----------------------------------------------------------------


def test_a_workbook_with_one_cell_far_away_is_refused_before_the_reader_allocates_it(
    tmp_path, county_manager
):
    """A 2 KB workbook with a cell at XFD1048576 made the Excel reader ask for 512 GB and
    abort the worker; it is refused with a reason instead."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["资产名称", "资产类别"])
    sheet.append(["向东村便道", "公益性"])
    sheet["XFD1048576"] = "x"
    path = tmp_path / "sparse.xlsx"
    book.save(path)
    with pytest.raises(importers.ImportRefused, match="XFD"):
        inspect(path, county_manager)


def test_a_file_with_thousands_of_columns_is_refused(tmp_path, county_manager):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(5000)) + "\n" + "1," * 4999 + "1\n", "utf-8")
    with pytest.raises(importers.ImportRefused, match="5,000"):
        inspect(path, county_manager)


def test_a_nul_in_a_cell_never_leaves_the_import_busy(
    tmp_path, client, county_manager, django_capture_on_commit_callbacks
):
    import xlsxwriter

    v = county_villages()[0]
    path = tmp_path / "nul.xlsx"
    book = xlsxwriter.Workbook(str(path))  # writes the NUL as Excel does: _x0000_
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["名称\x00", "类别", "子类", "区划代码", "原值", "数量", "单位", "日期"])
    sheet.write_row(
        1, 0, ["便道\x00一", "公益\x00性", "道路", v.code, 1000, 1, "公里", "2022-01-01"]
    )
    book.close()
    client.force_login(county_manager)
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, path)
    run_worker()
    item.refresh_from_db()
    assert item.state == "mapping"  # the columns were read and kept (NUL replaced)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("transfer:import_mapping", args=[item.pk]), mapping_post(item))
    run_worker()
    item.refresh_from_db()
    assert not item.busy and item.state == "checked", item.state
    assert item.outcome["errors"] == 1


def test_a_geopackage_with_a_generated_column_is_refused(tmp_path, county_manager):
    import sqlite3

    path = gpkg_4545(tmp_path)
    connection = sqlite3.connect(path)
    connection.execute(
        'ALTER TABLE "蓄水池" ADD COLUMN gen TEXT GENERATED ALWAYS AS (upper("名称")) VIRTUAL'
    )
    connection.commit()
    connection.close()
    with pytest.raises(importers.ImportRefused, match="SQL"):
        inspect(path, county_manager)


def test_excels_unicode_text_serial_dates_and_totals_rows_are_read(tmp_path, county_manager):
    v = county_villages()[0]
    lines = [
        ["资产名称", "资产类别", "资产子类", "区划代码", "资产原值（元）", "数量", "单位",
         "形成日期"],
        ["向东村便桥", "公益性", "桥梁", v.code, "86000", "1", "座", "44927"],  # 2023-01-01
        ["合计", "", "", "", "86000", "", "", ""],
    ]  # fmt: skip
    path = tmp_path / "unicode.txt"
    path.write_text("\r\n".join("\t".join(line) for line in lines), "utf-16")
    outcome = importers.commit(path, county_manager)
    assert (outcome.rows, outcome.create, outcome.errors) == (1, 1, 0), outcome.problems
    assert Asset.objects.get(name="向东村便桥").formed_on == datetime.date(2023, 1, 1)


def test_the_original_code_is_found_in_any_width_and_case(client, tmp_path, county_manager):
    path = gpkg_4545(tmp_path)
    importers.commit(path, county_manager, options=options_from(inspect(path, county_manager)))
    asset = Asset.objects.get(original_code="LJ-SL-1001")
    client.force_login(county_manager)
    for typed in ("lj-sl-1001", "ＬＪ－ＳＬ－１００１"):
        page = client.get(reverse("registry:asset_list"), {"q": typed}).content.decode()
        assert asset.code in page, typed


def test_a_village_clerk_learns_nothing_of_areas_outside_their_village(tmp_path, village_clerk):
    """Codes and names of other villages are answered as unknown, and a position is not
    judged against another township (whose name it would tell)."""
    other = "500101139201"  # a village of another township
    headers = ["资产名称", "资产类别", "资产子类", "区划代码", "乡镇", "村", "资产原值（元）",
               "数量", "单位", "形成日期", "经度", "纬度"]  # fmt: skip
    own = village_clerk.area
    rows = [
        ["a", "公益性", "道路", other, "", "", 1000, 1, "公里", "2022-01-01",
         own.point.x, own.point.y],
        ["b", "公益性", "道路", "", "龙驹镇", "玉合村", 1000, 1, "公里", "2022-01-01", "", ""],
        ["c", "公益性", "道路", "500101139299", "", "", 1000, 1, "公里", "2022-01-01", "", ""],
    ]  # fmt: skip
    outcome = importers.preview(workbook(tmp_path, headers, rows, "scope.xlsx"), village_clerk)
    messages: dict[str, str] = {}
    for problem in outcome.problems:
        messages[problem.row] = messages.get(problem.row, "") + problem.message
    assert "No township or village in your area has the code 500101139201" in messages["2"]
    assert "No township or village in your area has the code 500101139299" in messages["4"]
    assert "in your area" in messages["3"]
    names = " ".join(p.message for p in outcome.problems)
    assert "甘宁镇" not in names and "outside your area" not in names
