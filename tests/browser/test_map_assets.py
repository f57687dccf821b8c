"""The asset map in a real browser: layers, filters that change the tile requests, search,
feature popups that link to the record, and the township choropleth."""

import mapbox_vector_tile
import pytest
from playwright.sync_api import expect

from registry.demo_assets import generate_register, has_demo_register
from registry.models import Asset
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A small committed register, so that the server process sees it."""
    with django_db_blocker.unblock():
        if not has_demo_register():
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


def map_eval(page, script, arg=None):  # type: ignore[no-untyped-def]
    """Run ``script`` (a function of the Leaflet map and ``arg``) in the page."""
    return page.evaluate(
        f"([arg]) => {{ const map = window['leafletmapatlas-map']; return ({script})(map, arg); }}",
        [arg],
    )


def biggest_asset_symbol(page):  # type: ignore[no-untyped-def]
    """The page position of the centre of the biggest asset symbol drawn well inside the map."""
    return page.evaluate(
        """() => {
          const frame = document.getElementById('atlas-map').getBoundingClientRect();
          const boxes = [...document.querySelectorAll('.leaflet-assets-pane path')]
            .map(p => p.getBoundingClientRect())
            .filter(r => r.width > 8 && r.left > frame.left + 300 && r.right < frame.right - 300
                         && r.top > frame.top + 150 && r.bottom < frame.bottom - 150)
            .sort((a, b) => b.width - a.width);
          const b = boxes[0];
          return b ? [b.x + b.width / 2, b.y + b.height / 2] : null;
        }"""
    )


def test_with_an_indicator_on_a_click_on_a_township_tells_its_value(login, register):
    from django.contrib.gis.geos import Point
    from django.db.models import Sum

    from registry.models import AdminArea

    page = login("planner")
    ready(page)
    page.wait_for_timeout(1000)
    point = biggest_asset_symbol(page)
    assert point, "the county map should draw asset clusters"
    x, y = point
    on_asset = "([x, y]) => !!document.elementFromPoint(x, y).closest('.leaflet-assets-pane')"
    assert page.evaluate(on_asset, [x, y])

    page.select_option(".indicator-panel select", "value")
    page.wait_for_selector("body[data-choropleth='value']")
    expect(page.locator(".choropleth-legend .indicator-hint")).to_be_visible()
    # The cluster is still drawn (dimmed) but a click there reaches the township beneath it.
    assert not page.evaluate(on_asset, [x, y])
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".popup-indicator-value")).to_be_visible()
    expect(popup).not_to_contain_text("此处有")
    lon, lat = map_eval(
        page,
        "(map, p) => { const box = map.getContainer().getBoundingClientRect();"
        " const ll = map.containerPointToLatLng([p[0] - box.left, p[1] - box.top]);"
        " return [ll.lng, ll.lat]; }",
        [x, y],
    )
    township = AdminArea.objects.get(level="township", boundary__covers=Point(lon, lat, srid=4490))
    value = Asset.objects.filter(area_code__startswith=township.code[:9]).aggregate(
        v=Sum("original_value")
    )["v"]
    expect(popup.locator(".popup-name")).to_have_text(township.name)
    expect(popup.locator(".popup-indicator-value")).to_have_text(
        str(round(float(value) / 10000, 1))
    )
    page.wait_for_timeout(400)  # the popup's fade-in
    screenshot(page, "map_indicator_township_value")

    # A township's name label tells the value too.
    page.locator(".leaflet-popup-close-button").click()
    expect(page.locator(".leaflet-popup")).to_have_count(0)  # gone after its fade
    page.locator(".township-label", has_text="龙驹镇").click()
    expect(popup.locator(".popup-name")).to_have_text("龙驹镇")
    expect(popup.locator(".popup-indicator-value")).to_be_visible()

    # Without an indicator the assets take clicks again.
    page.select_option(".indicator-panel select", "")
    page.wait_for_selector("body[data-choropleth='']", state="attached")
    assert page.evaluate(on_asset, [x, y])
    page.mouse.click(x, y)
    expect(popup.locator(".popup-cluster-count")).to_contain_text("此处有")


def test_zooming_out_closes_the_open_popup(login, register):
    asset = Asset.objects.filter(synthetic=True, geom__isnull=False).order_by("code").first()
    page = login("planner")
    ready(page)
    # A cluster's popup closes at the next zoom: that cluster is no longer drawn.
    page.wait_for_timeout(1000)
    x, y = biggest_asset_symbol(page)
    page.mouse.click(x, y)
    expect(page.locator(".leaflet-popup-content .popup-cluster-count")).to_be_visible()
    page.locator(".cluster-popup .zoom-in").click()
    expect(page.locator(".leaflet-popup")).to_have_count(0)

    # An asset's popup (here opened by a search, which flies in) closes when the map zooms out.
    page.fill(".map-search input", asset.code)
    page.press(".map-search input", "Enter")
    expect(page.locator(".leaflet-popup-content .popup-code")).to_have_text(
        asset.code, timeout=10_000
    )
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    page.wait_for_timeout(500)
    expect(page.locator(".leaflet-popup-content .popup-code")).to_be_visible()
    page.locator(".leaflet-control-zoom-out").click()
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    screenshot(page, "map_popup_closed_after_zoom_out")


def overlaps(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_on_a_phone_the_search_indicator_and_filters_do_not_cover_each_other(login, register, page):
    page.set_viewport_size({"width": 390, "height": 844})
    login("planner")
    ready(page)
    search = page.locator(".map-search input")
    indicator = page.locator(".indicator-panel")
    filters = page.locator(".map-filters")
    layers = page.locator(".leaflet-control-layers")
    legend = page.locator(".legend")
    # Filters and legend start collapsed, so that the map is visible.
    assert filters.evaluate("d => d.open") is False
    assert legend.evaluate("d => d.open") is False
    boxes = {
        name: locator.bounding_box()
        for name, locator in [("search", search), ("indicator", indicator),
                              ("filters", filters), ("layers", layers), ("legend", legend)]
    }  # fmt: skip
    for name, box in boxes.items():
        assert box is not None and box["width"] > 0, name
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    for a, b in [("search", "indicator"), ("search", "filters"), ("indicator", "filters"),
                 ("layers", "search"), ("layers", "indicator"), ("layers", "filters")]:  # fmt: skip
        assert not overlaps(boxes[a], boxes[b]), (a, b, boxes[a], boxes[b])
    # The legend takes a corner, not the map.
    assert boxes["legend"]["height"] < 60
    screenshot(page, "map_phone_390")

    # Opened, the filters grow below the search box and the indicator, which stay usable.
    page.locator(".map-filters summary").click()
    expect(page.locator(".map-filters select[name=asset_class]")).to_be_visible()
    opened = filters.bounding_box()
    assert not overlaps(search.bounding_box(), opened)
    assert not overlaps(indicator.bounding_box(), opened)
    page.select_option(".indicator-panel select", "overdue")
    page.wait_for_selector("body[data-choropleth='overdue']")
    search.fill("500101")
    screenshot(page, "map_phone_390_filters_open")

    # The same page at 1280x800: the indicator has its own box at the top right.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    ready(page)
    assert filters.evaluate("d => d.open") is True
    panel = page.locator(".main-panel").bounding_box()
    box = page.locator(".indicator-box .indicator-panel").bounding_box()
    assert box is not None and panel is not None and box["x"] > 640
    assert not overlaps(panel, box)
    screenshot(page, "map_desktop_1280")
