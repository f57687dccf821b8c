"""Issue 18 on a phone (390x844): the top bar in one row with a menu, the map's controls out of
each other's way, an asset's tables as cards, and an inspection logged with the phone's GPS
refused: the inspector taps the place on the small map; a photo chosen before an error is
kept; the error shows once; no English from the browser on the page."""

import datetime
import struct
import zlib
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, expect

from registry.models import Asset, MaintenanceLog, User
from registry.services import assets as asset_services
from registry.services import maintenance, ownership
from tests.browser.conftest import CHROMIUM, screenshot
from tests.factories import asset_input, collective

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
PHONE = {"width": 390, "height": 844}


def png_photo() -> bytes:
    width = height = 24
    raw = b"".join(b"\x00" + b"\x40\x90\x40" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )  # fmt: skip


@pytest.fixture(scope="module")
def road(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A committed road of 向东村 with its owner and keeper, so that the server sees it."""
    with django_db_blocker.unblock():
        existing = Asset.objects.filter(name="向东村手机巡查测试路").first()
        if existing is not None:
            return existing
        manager = User.objects.get(username="manager")
        asset = asset_services.asset_register(
            actor=manager, data=asset_input(name="向东村手机巡查测试路")
        )
        owner = collective()
        ownership.ownership_confirm(
            actor=manager,
            asset=asset,
            shares=[(owner, Decimal(100))],
            effective_on=datetime.date(2024, 3, 1),
            basis="村民代表大会决议（2024）第3号",
        )
        maintenance.maintenance_assign(
            actor=manager,
            asset=asset,
            maintainer=owner,
            responsible_person="王国华",
            responsible_phone="13800001111",
            duties="每月巡查路面、边沟，清理塌方。",
            funding_source="公益性岗位",
            inspection_interval_days=30,
            starts_on=datetime.date(2024, 3, 1),
        )
        return asset


def test_an_inspection_on_a_phone_with_gps_refused(
    browser: Browser, live_url: str, demo_password: str, road: Asset
):
    assert CHROMIUM
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, device_scale_factor=2
    )  # no geolocation permission: the phone refuses the position
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", "village_clerk")
    page.fill("#id_password", demo_password)
    page.click("form button.primary")
    page.wait_for_url(live_url + "/map/")
    page.wait_for_selector("body[data-map-ready='1']", timeout=20_000)

    # The top bar is one row; the menu opens below it.
    bar = page.locator("#topbar").bounding_box()
    assert bar is not None and bar["height"] < 64, bar
    expect(page.locator(".mainnav")).to_be_hidden()
    screenshot(page, "phone_map")
    page.get_by_test_id("menu-toggle").click()
    expect(page.locator(".mainnav")).to_be_visible()
    screenshot(page, "phone_menu_open")
    page.get_by_test_id("menu-toggle").click()

    # The asset page: tables read as cards, not one character per line.
    page.goto(f"{live_url}/assets/{road.code}/")
    expect(page.get_by_test_id("current-maintainer")).to_have_text("向东村股份经济合作联合社")
    cell = page.locator("table.cards td[data-label]").first
    box = cell.bounding_box()
    assert box is not None and box["width"] > 300, box  # a full-width line of the card
    screenshot(page, "phone_asset_page")

    # The inspection: GPS refused, the place tapped on the small map.
    page.get_by_role("link", name="记录巡查或维修").first.click()
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.get_by_test_id("use-gps").click()
    status = page.get_by_test_id("gps-status")
    expect(status).to_contain_text("手机未允许")
    assert not any(c.isascii() and c.isalpha() for c in status.inner_text())  # no browser English
    page.wait_for_timeout(800)  # the page scrolls the map into view
    pick = page.get_by_test_id("pick-map").bounding_box()
    assert pick is not None
    page.touchscreen.tap(pick["x"] + pick["width"] / 2, pick["y"] + pick["height"] / 2)
    expect(status).to_contain_text("已从地图上取得位置")
    latitude = float(page.input_value("#id_latitude"))
    longitude = float(page.input_value("#id_longitude"))
    assert 30 < latitude < 31.5 and 108 < longitude < 109
    page.check("input[name=result][value=needs_repair]")
    page.fill("#id_findings", "路面有一处塌陷，已设警示")
    page.set_input_files(
        "#id_photos", files=[{"name": "塌陷.png", "mimeType": "image/png", "buffer": png_photo()}]
    )
    # A slip: a date in the future. The error shows once; the photo and the place are kept.
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    page.fill("#id_performed_on", tomorrow)
    screenshot(page, "phone_inspection_form")
    page.click("form.stacked button.primary")
    expect(page.get_by_test_id("kept-photos")).to_contain_text("塌陷.png")
    alerts = page.locator(".field-error, .form-errors p")
    expect(alerts).to_have_count(1)
    assert float(page.input_value("#id_latitude")) == latitude
    screenshot(page, "phone_inspection_error_kept_photo")
    page.fill("#id_performed_on", datetime.date.today().isoformat())
    page.click("form.stacked button.primary")
    expect(page.get_by_test_id("log-gps")).to_be_visible()
    expect(page.locator("img.thumb")).to_have_count(1)
    screenshot(page, "phone_inspection_logged")
    log = MaintenanceLog.objects.filter(asset=road).order_by("-id").first()
    assert log is not None and log.result == "needs_repair"
    assert abs(log.location.y - latitude) < 1e-6 and log.location_accuracy_m is None
    assert log.attachments.count() == 1
    context.close()
    assert not errors, errors
