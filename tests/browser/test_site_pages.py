"""Relocation sites in the browser: a county planner lists the sites of 龙驹镇 with their totals
and opens the site of 向东村 (its outline on the small map, facilities by role, support figures
by year, problems); the village clerk of 向东村 registers a new site by drawing its outline on
the map and finds it on its own page. Screenshots saved and looked at."""

import pytest
from playwright.sync_api import Browser, Page, expect

from registry.demo_sites import XIANGDONG, fill_demo_sites
from registry.models import RelocationSite
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="module")
def sites(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo sites, committed for the server to see."""
    with django_db_blocker.unblock():
        fill_demo_sites(notify=False)
        return RelocationSite.objects.get(area_code=XIANGDONG, synthetic=True)


def sign_in(browser: Browser, live_url: str, username: str, password: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None,
    )
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button.primary")
    page.wait_for_url(live_url + "/map/")
    return page


def sign_out(page: Page) -> None:
    errors = page.errors  # type: ignore[attr-defined]
    page.context.close()
    assert not errors, errors


def test_a_planner_lists_the_sites_and_opens_one(browser, live_url, demo_password, sites):
    page = sign_in(browser, live_url, "planner", demo_password)
    page.click("[data-testid=nav-sites]")
    expect(page.locator("h1")).to_have_text("易地扶贫搬迁安置点")
    expect(page.get_by_test_id("site-create")).to_have_count(0)  # a reader registers nothing
    page.goto(live_url + "/sites/?area=500101151000")
    rows = page.get_by_test_id("site-row")
    expect(rows).to_have_count(
        RelocationSite.objects.filter(area_code__startswith="500101151").count()
    )
    expect(page.get_by_test_id("site-totals")).to_contain_text("个安置点")
    screenshot(page, "sites_list_longju")
    page.get_by_role("link", name=sites.name).click()
    expect(page.get_by_test_id("site-name")).to_have_text(sites.name)
    expect(page.locator("[data-asset-drawn='1']")).to_have_count(1)  # the outline on the map
    expect(page.get_by_test_id("facilities-housing").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("facilities-facility").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("support-row")).to_have_count(5)
    expect(page.get_by_test_id("support-table")).to_contain_text("%")
    expect(page.get_by_test_id("open-problems")).to_be_visible()
    expect(page.get_by_test_id("site-edit")).to_have_count(0)
    screenshot(page, "site_page_planner")
    page.get_by_test_id("facilities-facility").locator("a").first.click()
    expect(page.get_by_test_id("asset-code")).to_be_visible()
    sign_out(page)


def test_the_village_clerk_registers_a_site_by_drawing_its_outline(
    browser, live_url, demo_password, sites
):
    page = sign_in(browser, live_url, "village_clerk", demo_password)
    page.goto(live_url + "/sites/")
    expect(page.get_by_test_id("site-row")).to_have_count(1)  # only 向东村's
    page.click("[data-testid=site-create]")
    page.fill("#id_name", "向东村二期集中安置点")
    page.select_option("#id_site_type", "central_village")
    page.fill("#id_registered_households", "18")
    page.fill("#id_registered_persons", "61")
    page.fill("#id_housing_units", "18")
    page.fill("#id_floor_area_m2", "1520")
    page.fill("#id_built_from", "2019")
    page.fill("#id_built_to", "2020")
    page.wait_for_function("document.documentElement.dataset.drawMapReady === '1'")
    outline_map = page.locator(".leaflet-container").nth(1)
    outline_map.scroll_into_view_if_needed()
    page.locator(".leaflet-draw-draw-polygon").click()
    box = outline_map.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(-40, -30), (40, -30), (40, 30), (-40, 30), (-40, -30)]:
        page.mouse.move(cx + dx, cy + dy, steps=3)
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(250)
    screenshot(page, "site_form_clerk_drawn")
    page.click("[data-testid=site-save]")
    expect(page.get_by_test_id("site-name")).to_have_text("向东村二期集中安置点")
    site = RelocationSite.objects.get(name="向东村二期集中安置点")
    assert site.area_code == XIANGDONG and site.outline is not None
    assert site.outline.covers(site.point)
    expect(page.get_by_test_id("site-households")).to_have_text("18")
    expect(page.get_by_test_id("no-facilities")).to_be_visible()
    screenshot(page, "site_page_clerk_new")
    sign_out(page)
