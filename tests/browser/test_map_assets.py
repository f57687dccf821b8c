"""The asset map in a real browser: layers, filters that change the tile requests, search,
feature popups that link to the record, and the township choropleth."""

import mapbox_vector_tile
import pytest
from playwright.sync_api import expect

from registry.demo_assets import generate_register
from registry.models import Asset
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A small committed register, so that the server process sees it."""
    with django_db_blocker.unblock():
        if not Asset.objects.filter(synthetic=True).exists():
            generate_register(assets=600, seed=3)


def ready(page):  # type: ignore[no-untyped-def]
    page.wait_for_selector("body[data-map-ready='1']", timeout=20_000)
    page.wait_for_selector("body[data-first-tiles-at]", timeout=20_000)


def test_filter_by_class_changes_tile_requests_and_their_content(login, register):
    page = login("planner")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if ".mvt" in r.url else None)
    ready(page)
    assert requested and all("asset_class" not in url for url in requested)
    screenshot(page, "map_assets_all")

    requested.clear()
    page.select_option(".map-filters select[name=asset_class]", "household")
    page.wait_for_timeout(1500)
    assert requested, "choosing a class must request new tiles"
    assert all("asset_class=household" in url for url in requested)
    counted = 0
    # Fetch what the map asked for, with the page's own session (the renderer keeps no bodies).
    for url in requested:
        body = page.request.get(url).body()
        if not body:
            continue
        for feature in mapbox_vector_tile.decode(body).get("clusters", {}).get("features", []):
            assert feature["properties"].get("n_public", 0) == 0
            assert feature["properties"].get("n_operating", 0) == 0
            counted += feature["properties"]["n"]
    assert counted > 0
    screenshot(page, "map_assets_household_only")

    # The layer switcher hides the assets layer altogether.
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("资产台账").uncheck()
    expect(page.locator(".leaflet-assets-pane svg")).to_have_count(0)
    page.get_by_label("资产台账").check()
    expect(page.locator(".leaflet-assets-pane svg").first).to_be_attached()


def test_search_a_code_click_the_feature_and_follow_its_link(login, register):
    asset = next(
        a
        for a in Asset.objects.filter(synthetic=True, geom__isnull=False).order_by("code")
        if a.geom.geom_type == "Point"
    )
    page = login("planner")
    ready(page)
    page.fill(".map-search input", asset.code)
    page.press(".map-search input", "Enter")
    expect(page.locator(".leaflet-popup-content .popup-code")).to_have_text(
        asset.code, timeout=10_000
    )
    screenshot(page, "map_search_popup")
    page.locator(".leaflet-popup-close-button").click()

    # Now click the feature itself where the map drew it (tiles load after the flight).
    lon, lat = asset.geom.point_on_surface.coords
    page.wait_for_timeout(2500)
    point = page.evaluate(
        "([lat, lon]) => { const m = window['leafletmapatlas-map'];"
        " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator("#atlas-map").bounding_box()
    x, y = box["x"] + point[0], box["y"] + point[1]
    on_symbol = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y).closest('.leaflet-assets-pane')", [x, y]
    )
    assert on_symbol, "the asset's symbol should be drawn where it lies"
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".popup-code")).to_have_text(asset.code, timeout=10_000)
    popup.locator("a.popup-link").click()
    expect(page.get_by_test_id("asset-code")).to_have_text(asset.code)


def test_township_choropleth_renders_for_every_township(login, register):
    page = login("planner")
    ready(page)
    page.select_option(".indicator-panel select", "confirmed_rate")
    page.wait_for_selector("body[data-choropleth='confirmed_rate']")
    expect(page.locator("path.choropleth-area")).to_have_count(52)
    expect(page.locator(".choropleth-legend")).to_be_visible()
    screenshot(page, "map_choropleth_confirmed_rate")


def test_village_clerk_map_requests_tiles_that_hold_only_their_village(login, register):
    page = login("village_clerk")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if ".mvt" in r.url else None)
    ready(page)
    page.wait_for_timeout(1000)
    assert requested
    own = set(Asset.objects.filter(area_code="500101151200").values_list("id", flat=True))
    for url in requested:
        body = page.request.get(url).body()
        for feature in (
            mapbox_vector_tile.decode(body).get("assets", {}).get("features", []) if body else []
        ):
            assert feature["id"] in own
    screenshot(page, "village_clerk_map")
