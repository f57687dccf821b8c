"""The network gaps view and the map's network layers in a real browser, on the demo county's
network (registry.demo_network, loaded with the demo county): 龙驹镇's gaps listed beside the
map with the same places highlighted, a row flown to; the map's roads, pipes and village
groups with their legend; the township choropleth's network measures. Screenshots saved."""

import pytest
from playwright.sync_api import Page, expect

from gis.filtersets import GAP_Q
from gis.models import NetworkPlace
from registry.models import AdminArea
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
LONGJU = "500101151000"


def gaps_ready(page: Page) -> None:
    page.wait_for_selector("body[data-gap-map-ready='1']", state="attached", timeout=20_000)
    page.wait_for_selector("body[data-gap-places-loaded='1']", state="attached", timeout=20_000)


def test_the_gaps_view_lists_a_townships_gaps_beside_the_map(login, live_url):  # type: ignore[no-untyped-def]
    gaps = NetworkPlace.objects.filter(township_code=LONGJU).filter(GAP_Q["any"])
    assert gaps.exists(), "the demo network leaves gaps in 龙驹镇"
    page = login("planner")
    page.get_by_test_id("nav-gaps").click()
    page.wait_for_url(live_url + "/network/gaps/")
    page.select_option("#id_township", LONGJU)
    page.get_by_test_id("gap-apply").click()
    gaps_ready(page)
    expect(page.get_by_test_id("gap-count")).to_contain_text(str(gaps.count()))
    expect(page.get_by_test_id("gap-computed-at")).to_contain_text("计算于")
    rows = page.locator("#gap-table tr.gap-row")
    shown = min(gaps.count(), 50)
    expect(rows).to_have_count(shown)
    # The same gaps on the map: every listed place is drawn in a gap colour (places inside
    # the township; tiles may repeat one at their edges).
    page.wait_for_timeout(1000)
    highlighted = page.locator(".leaflet-places-pane path.gap-place:not(.gap-faint)").count()
    assert highlighted >= gaps.count()
    legend = page.get_by_test_id("gap-legend")
    expect(legend).to_contain_text("未通硬化路")
    expect(legend).to_contain_text("未通自来水")
    expect(page.locator("#gap-table thead")).to_contain_text("需硬化里程（公里）")
    screenshot(page, "network_gaps_view")

    first = rows.first
    code = first.get_attribute("data-code")
    first.locator(".fly-to").click()
    popup = page.locator(".leaflet-popup-content .place-popup")
    expect(popup.locator(".popup-code")).to_contain_text(code or "?", timeout=10_000)
    expect(popup).to_contain_text("通乡镇驻地道路")
    screenshot(page, "network_gaps_row_on_the_map")


def test_the_map_draws_roads_pipes_and_village_groups_with_their_legend(login):  # type: ignore[no-untyped-def]
    page = login("planner")
    page.goto(page.url + "?layers=network,groups,sites")
    page.wait_for_selector("body[data-map-ready='1']", timeout=20_000)
    # Close in on 龙驹镇's seat, without the asset layer (roads are assets too).
    page.locator(".leaflet-control-layers-overlays label", has_text="资产台账").locator(
        "input"
    ).uncheck()
    seat = AdminArea.objects.get(code=LONGJU).point
    page.evaluate(
        "([lat, lon]) => { window['leafletmapatlas-map'].setView([lat, lon], 13, "
        "{animate: false}); }",
        [seat.y, seat.x],
    )
    assert page.evaluate("() => window['leafletmapatlas-map'].getZoom()") == 13
    page.wait_for_timeout(4000)
    assert page.evaluate("() => window['leafletmapatlas-map'].getZoom()") == 13
    assert page.locator(".leaflet-network-pane path.net-hardened").count() > 0
    assert page.locator(".leaflet-network-pane path.net-unhardened").count() > 0
    assert page.locator(".leaflet-network-pane path.net-water").count() > 0
    assert page.locator(".leaflet-groups-pane path.gap-place").count() > 0
    legend = page.locator(".legend .network-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("县道（粗线）")
    expect(page.locator(".legend .groups-legend")).to_contain_text("未通硬化路")
    screenshot(page, "map_network_layers")

    page.evaluate("() => window['leafletmapatlas-map'].setZoom(10, {animate: false})")
    page.select_option(".indicator-panel select", "no_road_groups")
    page.wait_for_selector("body[data-choropleth='no_road_groups']")
    expect(page.locator(".choropleth-legend")).to_contain_text("未通硬化路的村民小组")
    page.locator(".township-label", has_text="龙驹镇").click()
    expect(page.locator(".indicator-popup")).to_contain_text("村民小组")
    page.wait_for_timeout(500)  # the popup fades in
    screenshot(page, "map_choropleth_no_road_groups")
