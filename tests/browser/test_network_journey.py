"""The planner's network questions in the browser (issue 20): the county planner opens the gaps
view for 龙驹镇, sees the gap list and the same gaps on the map; the county manager hardens a
group road of 向东村 from its asset page; the planner sees that group's gap gone; then opens a
relocation site and reads its facilities and support figures. Screenshots saved and looked at.
"""

import pytest
from playwright.sync_api import Browser, Page, expect

from gis import network
from gis.models import NetworkPlace
from registry.demo_network import harden_target
from registry.demo_sites import fill_demo_sites
from registry.models import AdminArea, RelocationSite, User
from registry.services.network import network_link_set
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LONGJU = "500101151000"
XIANGDONG = "500101151200"


def sign_in(browser: Browser, live_url: str, username: str, password: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
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


@pytest.fixture(scope="module")
def sites(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo's relocation sites, as `make run` loads them, committed for the server (outside
    the tests' transactions)."""
    with django_db_blocker.unblock():
        fill_demo_sites(notify=False)
        # Whoever filled them, 龙驹镇's answers count its sites.
        network.refresh_township(AdminArea.objects.get(code=LONGJU))


@pytest.fixture
def road(sites, django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo's unhardened group road of 向东村 and the group only it serves; put back
    unhardened afterwards (the live server's database is shared by the browser tests)."""
    with django_db_blocker.unblock():
        asset = harden_target()
        assert asset is not None
        link = asset.network
        served = NetworkPlace.objects.filter(
            kind="group", area_code__startswith=XIANGDONG, road="unhardened"
        )
        assert served.exists(), "the demo holds a gap in 向东村"
        yield asset
        admin = User.objects.get(username="admin")
        network_link_set(
            actor=admin, asset=asset, network_type=link.network_type, grade=link.grade,
            surface=link.surface, width_m=link.width_m, built_year=link.built_year,
        )  # fmt: skip


def gap_rows(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#gap-table tr.gap-row")


def test_the_planner_finds_the_gaps_a_manager_closes_one_and_a_site_shows_its_support(
    browser, live_url, demo_password, road
):
    # 1. The planner opens the gaps view for 龙驹镇: the list holds exactly the township's
    #    groups and sites without a hardened road (the analysis's answer).
    planner = sign_in(browser, live_url, "planner", demo_password)
    planner.click("[data-testid=nav-gaps]")
    planner.select_option("#id_township", LONGJU)
    planner.select_option("#id_gap", "road")
    planner.click("[data-testid=gap-apply]")
    planner.wait_for_selector("body[data-gap-map-ready='1']")
    gaps = NetworkPlace.objects.filter(township_code=LONGJU).exclude(road="hardened")
    expected = {p.code for p in gaps}
    assert len(expected) >= 3
    codes = set(gap_rows(planner).evaluate_all("rows => rows.map(r => r.dataset.code)"))
    assert codes == expected
    expect(planner.get_by_test_id("gap-computed-at")).to_contain_text("计算于")
    expect(planner.locator("#gap-table")).to_contain_text("仅经未硬化道路通达")

    # The same gaps are highlighted on the map: as many gap markers as rows (no served place
    # drawn as a gap), and a row's place opens on the map with its gap named.
    planner.wait_for_selector("body[data-gap-places-loaded='1']")
    group = AdminArea.objects.get(
        code=NetworkPlace.objects.filter(
            kind="group", area_code__startswith=XIANGDONG, road="unhardened"
        )
        .values_list("code", flat=True)
        .first()
    )
    row = planner.locator(f"#gap-table tr.gap-row[data-code='{group.code}']")
    expect(row).to_have_attribute("data-road", "unhardened")
    row.locator("[data-testid=fly-to]").click()
    popup = planner.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(group.name)
    expect(popup).to_contain_text("未硬化")
    highlighted = planner.locator("#gap-map path.gap-place.road-unhardened:not(.gap-faint)")
    assert highlighted.count() >= 1
    screenshot(planner, "network_gaps_longju")

    # 2. The manager opens the road and marks it hardened.
    manager = sign_in(browser, live_url, "manager", demo_password)
    manager.goto(f"{live_url}/assets/{road.code}/")
    expect(manager.get_by_test_id("network-attributes")).to_contain_text("未硬化")
    manager.select_option("#harden-surface", "concrete")
    screenshot(manager, "network_road_before_hardening")
    manager.click("#harden-submit")
    expect(manager.locator(".messages")).to_contain_text("已硬化")
    expect(manager.get_by_test_id("road-hardened")).to_contain_text("已硬化")
    screenshot(manager, "network_road_hardened")
    sign_out(manager)

    # 3. The planner reloads: that group is no longer a gap; the others are.
    planner.reload()
    planner.wait_for_selector("body[data-gap-map-ready='1']")
    expect(planner.locator(f"#gap-table tr.gap-row[data-code='{group.code}']")).to_have_count(0)
    left = set(gap_rows(planner).evaluate_all("rows => rows.map(r => r.dataset.code)"))
    assert left == expected - {group.code}
    screenshot(planner, "network_gaps_after_hardening")

    # 4. A relocation site: facilities by role and support figures by year.
    site = RelocationSite.objects.filter(area_code=XIANGDONG).order_by("code").first()
    assert site is not None
    planner.goto(f"{live_url}/sites/{site.code}/")
    expect(planner.get_by_test_id("site-name")).to_have_text(site.name)
    expect(planner.get_by_test_id("facility-row").first).to_be_visible()
    expect(planner.get_by_test_id("support-row").first).to_be_visible()
    expect(planner.get_by_test_id("support-table")).to_contain_text("%")
    expect(planner.get_by_test_id("site-households")).to_have_text(f"{site.households:,}")
    screenshot(planner, "network_site_page")
    sign_out(planner)
