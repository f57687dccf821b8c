"""The project and need layers of the map in a real browser: switched on in the layer switcher,
their legend and filters shown with them, a project clicked for its popup and its page, the
filters changing the project tiles, the villages' needs, and all of it on a phone."""

import random
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import translation
from playwright.sync_api import Page, expect

from gis.tiles.projects import STAGE_GROUPS
from registry.choices import NeedCategory, ProjectStatus
from registry.demo_assets import generate_register, has_demo_register
from registry.models import AdminArea, Asset, ConstructionNeed, Project, User
from registry.services.assets import asset_register
from tests.browser.conftest import screenshot
from tests.factories import asset_input, map_need, map_project, village

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
TARGET = "向东村冷链仓储中心"


@pytest.fixture(scope="module")
def library(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Committed data the server sees: a small register, 240 projects over the county in every
    stage (points and roads), and in 向东村 one project with an asset at its very place, and
    three needs. Returns the project and the asset of 向东村."""
    with django_db_blocker.unblock():
        if not has_demo_register():
            generate_register(assets=600, seed=3)
        target = Project.objects.filter(name=TARGET).first()
        if target is None:
            rng = random.Random(19)
            villages = list(AdminArea.objects.filter(level="village", point__isnull=False))
            statuses = list(ProjectStatus.values)
            for i in range(240):
                area = rng.choice(villages)
                x, y = area.point.coords
                x, y = x + rng.uniform(-0.01, 0.01), y + rng.uniform(-0.01, 0.01)
                geom = (
                    LineString((x, y), (x + 0.006, y + 0.003), srid=4490)
                    if i % 4 == 0
                    else Point(x, y, srid=4490)
                )
                map_project(
                    area, status=statuses[i % len(statuses)], year=2021 + i % 5, geom=geom,
                    name=f"{area.short_name}示例项目{i}",
                    category=("industry", "construction", "employment")[i % 3],
                )  # fmt: skip
            home = village()
            x, y = home.point.coords
            place = Point(x + 0.004, y - 0.003, srid=4490)
            target = map_project(
                home, status="in_progress", year=2025, geom=place, name=TARGET,
                planned=Decimal("1280000"),
            )  # fmt: skip
            asset_register(
                actor=User.objects.get(username="manager"),
                data=asset_input(name="向东村冷库（已形成资产）", geom=place),
            )
            map_need(home, title="向东村三组通组路硬化")
            map_need(
                home, title="向东村供水管网改造", category="water",
                geom=LineString((x - 0.006, y), (x - 0.002, y + 0.002), srid=4490),
            )  # fmt: skip
            map_need(home, title="向东村村卫生室改造", category="care", geom=Point(x, y - 0.004))
        asset = Asset.objects.get(name="向东村冷库（已形成资产）")
        return target, asset


def ready(page: Page) -> None:
    page.wait_for_selector("body[data-map-ready='1']", timeout=20_000)
    page.wait_for_selector("body[data-first-tiles-at]", timeout=20_000)


def map_eval(page: Page, script: str, arg=None):  # type: ignore[no-untyped-def]
    """Run ``script`` (a function of the Leaflet map and ``arg``) in the page."""
    return page.evaluate(
        f"([arg]) => {{ const map = window['leafletmapatlas-map']; return ({script})(map, arg); }}",
        [arg],
    )


def page_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    x, y = map_eval(
        page,
        "(map, p) => { const c = map.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; }",
        [lon, lat],
    )
    box = page.locator("#atlas-map").bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


def switch(page: Page, label: str, on: bool = True) -> None:
    page.locator(".leaflet-control-layers").hover()
    checkbox = page.get_by_label(label, exact=True)
    checkbox.check() if on else checkbox.uncheck()
    page.mouse.move(640, 780)  # away from the switcher, which folds up again


def tiles_of(page: Page, urls: list[str], layer: str) -> list[dict]:
    """The features of ``layer`` in the tiles the map asked for (fetched again with the page's
    own session: the renderer keeps no bodies)."""
    found = []
    for url in urls:
        body = page.request.get(url).body()
        if body:
            found += mapbox_vector_tile.decode(body).get(layer, {}).get("features", [])
    return found


def test_turn_on_projects_click_one_and_follow_its_link(login, library):
    target, asset = library
    page = login("planner")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if "/tiles/projects/" in r.url else None)
    ready(page)
    assert not requested, "the project layer is off until it is switched on"
    expect(page.locator(".project-legend")).to_be_hidden()
    expect(page.locator(".project-filters")).to_be_hidden()

    switch(page, "项目")
    expect(page.locator(".leaflet-projects-pane svg").first).to_be_attached()
    expect(page.locator(".project-legend")).to_be_visible()
    expect(page.locator(".project-legend")).to_contain_text("在建")
    expect(page.locator(".project-filters select[name=status]")).to_be_visible()
    page.wait_for_timeout(1500)
    counted = sum(c["properties"]["n"] for c in tiles_of(page, requested, "clusters"))
    assert counted == Project.objects.filter(geom__isnull=False).count()
    screenshot(page, "map_projects_county")

    # At the project's place: a ring in its stage's colour around the asset it formed.
    lon, lat = target.geom.coords
    map_eval(page, "(map, p) => map.setView([p[1], p[0]], 16, { animate: false })", [lon, lat])
    page.wait_for_timeout(2500)
    x, y = page_point(page, lon, lat)
    on = (
        "([x, y]) => { const p = document.elementFromPoint(x, y).closest('.leaflet-pane');"
        " return p ? p.className : ''; }"
    )
    assert "leaflet-assets-pane" in page.evaluate(on, [x, y]), "inside the ring: the asset"
    assert "leaflet-projects-pane" in page.evaluate(on, [x + 9, y]), "on the ring: the project"
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".asset-popup .popup-code")).to_have_text(asset.code, timeout=10_000)
    page.locator(".leaflet-popup-close-button").click()
    expect(page.locator(".leaflet-popup")).to_have_count(0)  # gone after its fade

    page.mouse.click(x + 9, y)
    expect(popup.locator(".project-popup .popup-code")).to_have_text(target.code, timeout=10_000)
    expect(popup).to_contain_text(TARGET)
    expect(popup).to_contain_text("128.00 万元")
    expect(popup).to_contain_text("龙驹镇 向东村")
    expect(popup).to_contain_text("2025")
    page.wait_for_timeout(400)  # the popup's fade-in
    screenshot(page, "map_project_popup")
    link = popup.locator("a.popup-link")
    expect(link).to_have_attribute("href", f"/projects/{target.code}/")
    link.click()
    page.wait_for_url(f"**/projects/{target.code}/")
    expect(page.locator("body")).to_contain_text(target.code)
    screenshot(page, "map_project_link_followed")


def test_the_stage_and_year_filters_change_the_project_tiles(login, library):
    page = login("planner")
    ready(page)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if "/tiles/projects/" in r.url else None)
    switch(page, "项目")
    page.wait_for_timeout(1500)
    assert requested

    requested.clear()
    building = ",".join(STAGE_GROUPS["building"][1])
    page.select_option(".project-filters select[name=status]", building)
    page.wait_for_timeout(1500)
    assert requested and all(
        parse_qs(urlparse(url).query).get("status") == [building] for url in requested
    )
    clusters = tiles_of(page, requested, "clusters")
    assert sum(c["properties"]["n"] for c in clusters) == (
        Project.objects.filter(geom__isnull=False, status__in=STAGE_GROUPS["building"][1]).count()
    )
    assert all(c["properties"]["n"] == c["properties"]["n_building"] for c in clusters)

    requested.clear()
    page.select_option(".project-filters select[name=year]", "2023")
    page.wait_for_timeout(1500)
    assert requested and all("year=2023" in url for url in requested)
    counted = sum(c["properties"]["n"] for c in tiles_of(page, requested, "clusters"))
    assert (
        counted
        == Project.objects.filter(
            geom__isnull=False, status__in=STAGE_GROUPS["building"][1], year=2023
        ).count()
    )
    screenshot(page, "map_projects_filtered")

    # The asset filters do not touch the project tiles, and the reverse.
    requested.clear()
    page.select_option(".map-filters select[name=asset_class]", "public")
    page.wait_for_timeout(1000)
    assert not requested


def test_needs_show_with_their_legend_and_popup(login, library):
    page = login("village_clerk")
    ready(page)
    switch(page, "村级建设需求")
    page.wait_for_selector("body[data-needs]")
    placed = ConstructionNeed.objects.filter(area_code=village().code, geom__isnull=False)
    assert page.evaluate("document.body.dataset.needs") == str(placed.count())
    legend = page.locator(".need-legend")
    expect(legend).to_be_visible()
    with translation.override("zh-hans"):
        expect(legend).to_contain_text(str(NeedCategory.WATER.label))
    # The clinic's need lies apart from the others (which may overlap at the village's zoom).
    page.locator(".need-marker[title='向东村村卫生室改造']").click()
    popup = page.locator(".leaflet-popup-content .need-popup")
    expect(popup).to_contain_text("向东村村卫生室改造")
    expect(popup).to_contain_text("向东村")
    expect(popup).to_contain_text("2025–2027")
    page.wait_for_timeout(400)
    screenshot(page, "map_need_popup")
    switch(page, "村级建设需求", on=False)
    expect(page.locator(".need-marker")).to_have_count(0)
    expect(legend).to_be_hidden()


def test_with_an_indicator_on_projects_are_dimmed_and_let_clicks_through(login, library):
    page = login("planner")
    page.goto(page.url + "?layers=projects")
    ready(page)
    expect(page.locator(".leaflet-projects-pane svg").first).to_be_attached()
    page.select_option(".indicator-panel select", "value")
    page.wait_for_selector("body[data-choropleth='value']")
    pane = page.locator(".leaflet-projects-pane")
    assert pane.evaluate("p => getComputedStyle(p).opacity") == "0.35"
    assert pane.evaluate("p => getComputedStyle(p).pointerEvents") == "none"
    # The legend, longer with the projects and the indicator, stays clear of the boxes above it.
    legend = page.locator(".legend").bounding_box()
    for above in (".indicator-box", ".leaflet-control-layers"):
        assert not overlaps(legend, page.locator(above).bounding_box()), above
    screenshot(page, "map_projects_under_indicator")


def overlaps(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_on_a_phone_the_project_layers_fit(login, library, page):
    page.set_viewport_size({"width": 390, "height": 844})
    login("planner")
    page.goto(page.url + "?layers=projects,needs")
    ready(page)
    page.wait_for_selector("body[data-needs]")
    project_filters = page.locator(".project-filters")
    expect(project_filters).to_be_visible()
    assert project_filters.evaluate("d => d.open") is False  # folded, like the asset filters
    legend = page.locator(".legend")
    assert legend.evaluate("d => d.open") is False
    boxes = {
        name: page.locator(selector).bounding_box()
        for name, selector in [("panel", ".main-panel"), ("layers", ".leaflet-control-layers"),
                               ("legend", ".legend")]
    }  # fmt: skip
    for name, box in boxes.items():
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    assert not overlaps(boxes["panel"], boxes["layers"])
    assert boxes["legend"]["height"] < 60
    screenshot(page, "map_projects_phone_390")

    page.locator(".project-filters summary").click()
    expect(page.locator(".project-filters select[name=year]")).to_be_visible()
    assert not overlaps(page.locator(".main-panel").bounding_box(), boxes["layers"])
    page.locator(".legend summary").click()
    expect(page.locator(".project-legend")).to_be_visible()
    expect(page.locator(".need-legend")).to_be_visible()
    screenshot(page, "map_projects_phone_390_open")
