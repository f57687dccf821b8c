"""The import journey in a real browser, with the real worker process: an asset manager
downloads the template, fills it, uploads it, follows the check, fixes a problem, imports, and
finds the new assets in the list."""

import io
import subprocess
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from registry.models import AdminArea, Asset, User
from tests.browser.conftest import screenshot
from transfer import importers
from transfer.importers import HEADERS
from transfer.views.imports import TEMPLATE_COLUMNS

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
XIANGDONG = "500101151200"


def filled_template(template: bytes, names: list[str], *, bad_unit: bool) -> bytes:
    area = AdminArea.objects.get(code=XIANGDONG)
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["资产台账"]
    keys = [key for key, _note in TEMPLATE_COLUMNS]
    assert [c.value for c in sheet[1]] == [HEADERS[k] for k in keys]
    for i, name in enumerate(names):
        values = {
            "name": name,
            "asset_class": "公益性",
            "subtype": "道路",
            "area_code": XIANGDONG,
            "original_value": 380000 + i,
            "quantity": 1.2,
            "unit": "" if bad_unit and i == 1 else "公里",
            "formed_on": "2023-09-30",
            "booked": "是",
            "lon": area.point.x + 0.001 * i,
            "lat": area.point.y,
        }
        sheet.append([values.get(key) for key in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def wait_for_state(page: Page, state: str) -> None:
    expect(page.get_by_test_id("state")).to_have_text(state, timeout=30_000)


def test_manager_imports_a_ledger_from_the_template(page: Page, login, live_url):  # type: ignore[no-untyped-def]
    login("manager")
    page.goto(live_url + "/assets/")
    page.get_by_test_id("import").click()
    expect(page.get_by_role("heading", name="导入台账")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("template").click()
    template = open(download.value.path(), "rb").read()  # noqa: SIM115
    screenshot(page, "import_upload")

    names = ["向东村四组导入公路", "向东村五组导入公路"]
    # First attempt: one row lacks its unit. The check names the row and column; nothing is written.
    page.set_input_files(
        "#id_file",
        files=[{"name": "台账.xlsx", "mimeType": "application/octet-stream",
                "buffer": filled_template(template, names, bad_unit=True)}],
    )  # fmt: skip
    page.get_by_role("button", name="上传并检查").click()
    wait_for_state(page, "已检查")
    expect(page.get_by_test_id("count-errors")).to_have_text("1")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("单位")
    expect(problems).to_contain_text("新资产必填。 / Required for a new asset.")
    expect(page.get_by_test_id("commit")).to_have_count(0)
    screenshot(page, "import_problems")
    assert not Asset.objects.filter(name__in=names).exists()

    # Fixed file: two new roads, checked, then imported by the worker.
    page.get_by_role("link", name="上传其他文件").click()
    page.set_input_files(
        "#id_file",
        files=[{"name": "台账.xlsx", "mimeType": "application/octet-stream",
                "buffer": filled_template(template, names, bad_unit=False)}],
    )  # fmt: skip
    page.get_by_role("button", name="上传并检查").click()
    wait_for_state(page, "已检查")
    expect(page.get_by_test_id("count-create")).to_have_text("2")
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    screenshot(page, "import_preview")
    page.get_by_test_id("commit").click()
    wait_for_state(page, "已导入")
    expect(page.get_by_test_id("committed")).to_be_visible()
    screenshot(page, "import_committed")

    page.goto(live_url + "/assets/?q=组导入公路")
    for name in names:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert Asset.objects.filter(name__in=names, status="registered").count() == 2

    # The server (outside any transaction) writes GeoPackages with GDAL's ogr2ogr; what it
    # wrote opens in ogrinfo with CGCS2000 and imports again without changing anything.
    with page.expect_download() as download:
        page.get_by_test_id("export-gpkg").click()
    gpkg = Path(download.value.path())
    info = subprocess.run(
        ["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True, check=True
    ).stdout
    assert "Feature Count: 2" in info and 'ID["EPSG",4490]' in info
    manager = User.objects.select_related("area").get(username="manager")
    copy = gpkg.with_suffix(".gpkg")
    copy.write_bytes(gpkg.read_bytes())
    outcome = importers.preview(copy, manager)
    assert (outcome.rows, outcome.unchanged, outcome.errors) == (2, 2, 0), outcome.problems
