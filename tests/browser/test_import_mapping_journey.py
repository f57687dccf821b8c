"""Issue 18's import journey in a real browser with the real worker: a county asset manager
imports the county's own files, each in its own column layout, through the mapping step — a
surveyor's Gauss-Kruger Shapefile without .prj, a GBK Shapefile without .cpg, an EPSG:4545
GeoPackage and phone points in GCJ-02 — and the next file of a layout needs no mapping."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from registry.models import Asset
from tests.browser.conftest import screenshot
from tests.factories import (
    county_point,
    county_villages,
    gbk_shapefile_without_cpg,
    gcj02_geojson,
    gk_shapefile_without_prj,
    gpkg_4545,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def wait_for_state(page: Page, state: str) -> None:
    expect(page.get_by_test_id("state")).to_have_text(state, timeout=60_000)


def upload(page: Page, live_url: str, path: Path, *, gcj02: bool = False) -> None:
    page.goto(live_url + "/gis/imports/")
    page.set_input_files("#id_file", str(path))
    if gcj02:
        page.check("#id_gcj02")
    page.get_by_role("button", name="上传并检查").click()


def mapped_as(page: Page, column: str) -> str:
    row = page.locator(f'tr[data-column="{column}"] select')
    return row.evaluate("s => s.options[s.selectedIndex].text")


def commit(page: Page, count: int) -> None:
    wait_for_state(page, "已检查")
    expect(page.get_by_test_id("count-create")).to_have_text(str(count))
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    page.get_by_test_id("commit").click()
    wait_for_state(page, "已导入")


def test_county_files_in_their_own_layouts(page: Page, login, live_url, tmp_path):  # type: ignore[no-untyped-def]
    login("manager")
    villages = county_villages()

    # 1. The surveyor's Shapefile: pinyin field names, Gauss-Kruger without .prj, 万元.
    upload(page, live_url, gk_shapefile_without_prj(tmp_path, batch=5))
    wait_for_state(page, "等待核对列对应")
    assert mapped_as(page, "ZCMC") == "资产名称"
    assert mapped_as(page, "YZ") == "资产原值（元）"
    assert mapped_as(page, "JCNF") == "形成日期"
    expect(page.locator("input[name=value_unit][value=wan]")).to_be_checked()
    expect(page.get_by_test_id("mapping-summary")).to_contain_text("齐全")
    screenshot(page, "import_mapping_gk_shapefile")
    page.get_by_test_id("apply-mapping").click()
    commit(page, 3)
    screenshot(page, "import_committed_gk_shapefile")
    road = Asset.objects.get(name=f"{villages[0].short_name}5组通组公路")
    assert str(road.original_value) == "125000.00"

    # 2. The GBK Shapefile without .cpg and without a unit column: one value for the file.
    upload(page, live_url, gbk_shapefile_without_cpg(tmp_path, batch=5))
    wait_for_state(page, "等待核对列对应")
    expect(page.locator("table.mapping")).to_contain_text("环卫设施（公厕、排污、垃圾）")
    summary = page.get_by_test_id("mapping-summary")
    expect(summary).to_contain_text("新登记资产还缺少：单位")
    page.fill("#id_fixed_unit", "处")
    expect(summary).to_contain_text("齐全")
    screenshot(page, "import_mapping_gbk_shapefile")
    page.get_by_test_id("apply-mapping").click()
    commit(page, 3)
    assert Asset.objects.filter(name__endswith="5号公共厕所", unit="处").count() == 3

    # 3. The EPSG:4545 GeoPackage: 行政村 holds 12-digit codes, so it is the area code.
    upload(page, live_url, gpkg_4545(tmp_path, batch=5))
    wait_for_state(page, "等待核对列对应")
    assert mapped_as(page, "行政村") == "区划代码"
    assert mapped_as(page, "原编号") == "原资产编号"
    expect(page.locator('tr[data-column="行政村"]')).to_contain_text("按单元格内容推测")
    screenshot(page, "import_mapping_gpkg_4545")
    page.get_by_test_id("apply-mapping").click()
    commit(page, 3)
    assert Asset.objects.filter(original_code__startswith="LJ-SL-5").count() == 3

    # 4. Phone points in GCJ-02 with English keys, values in 万元.
    upload(page, live_url, gcj02_geojson(tmp_path, batch=5), gcj02=True)
    wait_for_state(page, "等待核对列对应")
    assert mapped_as(page, "category") == "资产类别"
    assert mapped_as(page, "village") == "村（社区）"
    page.get_by_test_id("apply-mapping").click()
    commit(page, 3)
    canal = Asset.objects.get(name=f"{villages[0].short_name}5号灌溉渠")
    assert abs(canal.geom.x - county_point(villages[0], 5, 0)[0]) < 1e-7  # within 1 cm

    # The next file of each layout: straight to its check with the remembered mapping.
    for path, gcj02 in (
        (gk_shapefile_without_prj(tmp_path / "2", batch=6), False),
        (gbk_shapefile_without_cpg(tmp_path / "2", batch=6), False),
        (gpkg_4545(tmp_path / "2", batch=6), False),
        (gcj02_geojson(tmp_path / "2", batch=6), True),
    ):
        upload(page, live_url, path, gcj02=gcj02)
        wait_for_state(page, "已检查")
        expect(page.get_by_test_id("mapping-used")).to_contain_text("同类文件")
        commit(page, 3)
    screenshot(page, "import_second_file_no_mapping")
    assert Asset.objects.filter(name__contains="6号公共厕所", unit="处").count() == 3

    # The first file again: its rows look like the assets it registered, and are skipped.
    upload(page, live_url, gcj02_geojson(tmp_path / "again", batch=5), gcj02=True)
    wait_for_state(page, "已检查")
    expect(page.get_by_test_id("count-duplicates")).to_have_text("3")
    expect(page.get_by_test_id("duplicates")).to_contain_text("5号灌溉渠")
    screenshot(page, "import_duplicates")
