"""What a planner and a township manager see and can open, in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def wait_for_map(page: Page) -> None:
    page.wait_for_selector("body[data-map-ready='1']", timeout=20_000)


def test_planner_sees_52_townships_and_clicks_one_for_its_name_and_code(login):
    page = login("planner")
    wait_for_map(page)
    expect(page.locator(".township-label")).to_have_count(52)
    # Each township is one SVG path; 52 filled township shapes plus the dashed county outline.
    assert page.locator("path.leaflet-interactive[fill='#fff3e0']").count() == 52
    expect(page.locator(".legend")).to_contain_text("示意数据，非真实边界")
    screenshot(page, "planner_map")

    page.locator(".township-label", has_text="龙驹镇").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".popup-name")).to_have_text("龙驹镇")
    expect(popup.locator(".popup-code")).to_have_text("500101151000")
    screenshot(page, "planner_map_popup")

    popup.get_by_role("link").click()
    expect(page.get_by_test_id("area-code")).to_have_text("500101151000")
    expect(page.locator("h1")).to_have_text("龙驹镇")
    screenshot(page, "planner_area_detail")


def test_planner_searches_the_area_list(login, live_url):
    page = login("planner")
    page.goto(live_url + "/areas/")
    page.fill("#id_q", "向东")
    page.click("form.filters button")
    expect(page.locator("table.table tbody tr")).to_have_count(1)
    expect(page.locator("table.table")).to_contain_text("500101151200")
    screenshot(page, "planner_area_search")


def test_township_manager_cannot_see_or_open_any_area_outside_longju(login, live_url):
    page = login("township_manager")
    wait_for_map(page)
    expect(page.locator(".township-label")).to_have_count(1)
    expect(page.locator(".township-label")).to_have_text("龙驹镇")
    screenshot(page, "township_manager_map")

    for code in ("500101001000", "500101000000", "500101152200"):
        response = page.goto(f"{live_url}/areas/{code}/")
        assert response is not None and response.status == 404
    response = page.goto(f"{live_url}/gis/areas.geojson?level=village")
    assert response is not None
    codes = [f["properties"]["code"] for f in response.json()["features"]]
    assert len(codes) == 21 and all(c.startswith("500101151") for c in codes)

    page.goto(live_url + "/areas/")
    expect(page.locator(".tree-root")).to_contain_text("龙驹镇")
    assert "高笋塘街道" not in page.content()
    screenshot(page, "township_manager_areas")


def test_language_switch_to_english_and_back(login, live_url):
    page = login("planner")
    page.goto(live_url + "/areas/")
    expect(page.locator("h1")).to_have_text("行政区划")
    page.click("button[name=language][value=en]")
    expect(page.locator("h1")).to_have_text("Administrative areas")
    page.click("button[name=language][value=zh-hans]")
    expect(page.locator("h1")).to_have_text("行政区划")


def test_the_map_saves_as_png_under_the_content_security_policy(login):
    """html-to-image draws the map into a data: URL that the page offers as a download; the
    browser may not save files here, so the test reads the URL the link was given."""
    import base64

    page = login("planner")
    page.evaluate(
        "() => { HTMLAnchorElement.prototype.click = function () {"
        " if (this.download) { window.savedPng = this.href; } }; }"
    )
    wait_for_map(page)
    page.locator(".leaflet-control a.export").click()
    page.wait_for_function("() => window.savedPng !== undefined", timeout=20_000)
    url = page.evaluate("() => window.savedPng")
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    csp = page.request.get(page.url).headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp
