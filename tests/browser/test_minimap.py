"""The small maps of the asset and area pages, in a real browser: the place among its
surroundings (its village and township outlines, the neighbouring villages by name), framed so
that the asset or area is seen in context, not as a dot in an empty square."""

import pytest
from playwright.sync_api import Page, expect

from registry.demo_assets import generate_register, has_demo_register
from registry.models import AdminArea, Asset
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# The colours registry/static/registry/minimap.js draws each role with.
FOCUS, PARENT, AROUND = "#b03a2e", "#8d6e63", "#a1887f"


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A small committed register, so that the server process sees it."""
    with django_db_blocker.unblock():
        if not has_demo_register():
            generate_register(assets=600, seed=3)


def paths(page: Page, map_id: str, colour: str) -> list[dict[str, float]]:
    """The page boxes of the outlines drawn in ``colour`` on the small map ``map_id``."""
    return page.evaluate(
        """([id, colour]) => [...document.querySelectorAll('#' + id + ' path')]
             .filter(p => p.getAttribute('stroke') === colour)
             .map(p => { const r = p.getBoundingClientRect();
                         return {x: r.x, y: r.y, width: r.width, height: r.height}; })""",
        [map_id, colour],
    )


def test_asset_page_map_shows_the_village_and_township_outlines_and_neighbours(
    login, live_url, register
):
    asset = (
        Asset.objects.filter(synthetic=True, geom__isnull=False, area__level="village")
        .select_related("area__parent")
        .order_by("code")
        .first()
    )
    assert asset is not None
    page = login("planner")
    page.goto(f"{live_url}/assets/{asset.code}/")
    minimap = page.locator("#asset-map")
    expect(minimap).to_have_attribute("data-ready", "1")
    minimap.scroll_into_view_if_needed()
    frame = minimap.bounding_box()
    assert frame is not None

    village = paths(page, "asset-map", FOCUS)
    township = paths(page, "asset-map", PARENT)
    neighbours = paths(page, "asset-map", AROUND)
    assert len(village) == 1 and len(township) == 1
    siblings = AdminArea.objects.filter(parent=asset.area.parent).exclude(pk=asset.area.pk)
    # The villages around it, and the village's own groups (drawn in the same colour).
    groups = AdminArea.objects.filter(parent=asset.area)
    assert 1 <= len(neighbours) <= siblings.count() + groups.count()
    # Framed on the village with room around it: the village is neither a dot nor the frame.
    v = village[0]
    assert frame["width"] * 0.25 < max(v["width"], v["height"]) < frame["width"] * 1.2
    assert minimap.get_attribute("data-asset-drawn") == "1"
    expect(page.locator("#asset-map .minimap-label-focus")).to_have_text(asset.area.short_name)
    shown = page.locator("#asset-map .minimap-label-neighbour:visible")
    assert shown.count() >= 1
    assert set(shown.all_inner_texts()) <= {s.short_name for s in siblings}
    expect(page.locator(".minimap-legend")).to_contain_text("示意数据，非真实边界")
    screenshot(page, "asset_minimap_in_context")


def test_township_page_map_shows_its_villages_named(login, live_url, register):
    page = login("planner")
    page.goto(f"{live_url}/areas/500101151000/")
    minimap = page.locator("#area-map")
    expect(minimap).to_have_attribute("data-ready", "1")
    township = paths(page, "area-map", FOCUS)
    assert len(township) == 1
    frame = minimap.bounding_box()
    assert frame is not None and township[0]["height"] > frame["height"] * 0.6
    # 21 villages plus the townships around it.
    assert len(paths(page, "area-map", AROUND)) > 21
    assert page.locator("#area-map .minimap-label-child:visible").count() >= 8
    expect(page.get_by_test_id("area-children")).to_be_visible()
    screenshot(page, "township_page_minimap")

    page.locator("#area-map .minimap-label-child", has_text="向东村").wait_for(state="attached")
    page.goto(f"{live_url}/areas/500101151200/")
    expect(page.locator("#area-map")).to_have_attribute("data-ready", "1")
    expect(page.locator("#area-map .minimap-label-focus")).to_have_text("向东村")
    # Its groups (points) are named around it.
    expect(page.locator("#area-map .minimap-label-child", has_text="一组")).to_have_count(1)
    screenshot(page, "village_page_minimap")
