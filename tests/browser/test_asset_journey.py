"""The issue's journey: a village clerk registers a road by drawing it, names its maintainer,
logs an inspection from the field with GPS and a photo; the township approves; the auditor
reads the whole history."""

import struct
import zlib

import pytest
from playwright.sync_api import Browser, expect

from registry.models import Asset, MaintenanceLog
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
XIANGDONG = "500101151200"


def png_photo() -> bytes:
    """A small real PNG (a grey square), as a phone camera would upload an image."""
    width = height = 32
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def login(page, live_url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button.primary")
    page.wait_for_url(live_url + "/map/")


def test_clerk_registers_maintains_inspects_township_approves_auditor_reads(
    browser: Browser, live_url: str, demo_password: str
):
    # --- the village clerk, on a phone-sized screen, with the phone's GPS ---------------------
    context = browser.new_context(
        viewport={"width": 1100, "height": 900},
        locale="zh-CN",
        geolocation={"latitude": 30.7262, "longitude": 108.6591, "accuracy": 6},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_url, "village_clerk", demo_password)
    page.goto(live_url + "/assets/new/")
    page.fill("#id_name", "向东村三组通组公路")
    page.select_option("#id_asset_class", "public")
    page.select_option("#id_subtype", "road")
    page.fill("#id_formed_on", "2023-10-15")
    page.fill("#id_original_value", "480000")
    page.fill("#id_quantity", "2.4")
    page.fill("#id_unit", "km")
    page.fill("#id_funding_central_bridging", "400000")
    page.fill("#id_funding_county", "80000")
    page.fill("#id_beneficiary_households", "56")
    page.fill("#id_beneficiary_persons", "190")
    # Draw the road as a line of three clicks on the map, centred on the village.
    page.locator(".leaflet-container").first.scroll_into_view_if_needed()
    page.click(".leaflet-draw-draw-polyline")
    box = page.locator(".leaflet-container").first.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(-80, 30), (0, 0), (90, -20)]:
        page.mouse.move(cx + dx, cy + dy, steps=4)
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(300)
    page.get_by_role("link", name="完成").click()  # Leaflet.draw's tools speak Chinese
    screenshot(page, "clerk_register_asset_drawn")
    expect(page.locator("path.leaflet-interactive")).not_to_have_count(0)
    screenshot(page, "clerk_register_asset")
    page.click("form.asset-form button.primary")
    expect(page.get_by_test_id("asset-status")).to_have_text("清查登记中")
    code = page.get_by_test_id("asset-code").inner_text()
    # The server committed it; this test's own transaction reads what is committed.
    asset = Asset.objects.get(code=code)
    assert asset.geom.geom_type == "LineString" and asset.area_code == XIANGDONG

    # Name the maintainer.
    page.click("text=落实管护责任")
    page.select_option("#id_maintainer", label="向东村股份经济合作联合社")
    page.fill("#id_responsible_person", "王国华")
    page.fill("#id_responsible_phone", "13800001111")
    page.fill("#id_duties", "每月巡查路面、边沟，清理塌方，发现损毁及时上报。")
    page.fill("#id_funding_source", "公益性岗位")
    page.fill("#id_inspection_interval_days", "30")
    page.fill("#id_starts_on", "2024-01-01")
    page.click("form.stacked button.primary")
    expect(page.get_by_test_id("current-maintainer")).to_have_text("向东村股份经济合作联合社")

    # Log an inspection from the field: the phone's position and a photo.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("text=记录巡查或维修")
    page.click("#use-gps")
    expect(page.locator("#id_latitude")).to_have_value("30.7262000")
    page.check("input[name=result][value=needs_repair]")
    page.fill("#id_findings", "K1+200 处边沟堵塞")
    page.set_input_files(
        "#id_photos", files=[{"name": "边沟.png", "mimeType": "image/png", "buffer": png_photo()}]
    )
    screenshot(page, "clerk_field_inspection_phone")
    page.click("form.stacked button.primary")
    expect(page.get_by_test_id("log-gps")).to_have_text("30.72620, 108.65910")
    log = MaintenanceLog.objects.filter(asset__code=code).order_by("-id").first()
    assert log is not None and log.location_accuracy_m == 6  # the phone's accuracy is kept
    expect(page.locator("img.thumb")).to_have_count(1)
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("管护记录")
    expect(timeline).to_contain_text("向东村文书")
    page.set_viewport_size({"width": 1100, "height": 900})
    screenshot(page, "clerk_asset_timeline")
    context.close()
    assert not errors, errors

    # --- the township approves the registration -------------------------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, live_url, "township_manager", demo_password)
    page.goto(f"{live_url}/assets/{code}/")
    page.get_by_test_id("approve-registration").click()
    expect(page.get_by_test_id("asset-status")).to_have_text("已登记")
    screenshot(page, "township_approves")
    context.close()
    events = list(Asset.objects.get(code=code).events.order_by("pgh_id"))  # type: ignore[attr-defined]
    assert [e.status for e in events][:1] == ["draft"]
    assert "registered" in [e.status for e in events]

    # --- the auditor reads everything, changes nothing ---------------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, live_url, "auditor", demo_password)
    page.goto(f"{live_url}/assets/{code}/")
    timeline = page.get_by_test_id("timeline")
    for text in ("资产", "管护责任", "管护记录", "资金来源明细", "龙驹镇资产管理员", "向东村文书"):
        expect(timeline).to_contain_text(text)
    expect(timeline).to_contain_text("状态: 清查登记中 → 已登记")  # labels, never the codes
    expect(page.locator("text=编辑")).to_have_count(0)
    response = page.goto(f"{live_url}/assets/{code}/edit/")
    assert response is not None and response.status == 403
    page.goto(f"{live_url}/assets/{code}/#timeline")
    screenshot(page, "auditor_history")
    context.close()
