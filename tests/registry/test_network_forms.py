"""The network attributes on the asset form and page, and the road's "mark as hardened" action
(registry:asset_harden): one POST writes the asset and its link or nothing, errors come back
on the form in Chinese and English, and hardening a road changes the gaps at once."""

import json
import math
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.test import Client
from django.urls import reverse

from gis.models import NetworkPlace
from registry.choices import AreaLevel
from registry.models import AdminArea, Asset, NetworkLink, User
from registry.services.assets import asset_register
from registry.services.network import network_link_set
from tests.factories import XIANGDONG, asset_form_data, asset_input

pytestmark = pytest.mark.django_db


def xiangdong_line(dx: float = 0.004, dy: float = 0.002) -> LineString:
    """A short line from 向东村's point (the clerk's village)."""
    x, y = AdminArea.objects.get(code=XIANGDONG).point.coords
    return LineString([(x, y), (x + dx / 2, y + dy), (x + dx, y + dy)], srid=4490)


def new_assets(before: set[int]) -> list[Asset]:
    return list(Asset.objects.exclude(pk__in=before))


def road_with_link(user: User, surface: str = "gravel", **link: Any) -> Asset:
    asset = asset_register(actor=user, data=asset_input(geom=xiangdong_line()))
    network_link_set(actor=user, asset=asset, network_type="group_road", surface=surface, **link)
    asset.refresh_from_db()
    return asset


# --- the asset form ------------------------------------------------------------------------------


def test_a_road_is_registered_with_its_network_attributes_in_one_post(
    client: Client, village_clerk: User
) -> None:
    client.force_login(village_clerk)
    page = client.get(reverse("registry:asset_create"))
    assert 'data-testid="network-section"' in page.content.decode()
    assert "网络属性" in page.content.decode() and "硬化路" in page.content.decode()
    before = set(Asset.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("registry:asset_create"),
        asset_form_data(
            geom=xiangdong_line().geojson, network_type="group_road", grade="grade_4",
            surface="gravel", width_m="4.5", built_year="2018",
        ),
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    (asset,) = new_assets(before)
    link = NetworkLink.objects.get(asset=asset)
    assert (link.network_type, link.grade, link.surface, link.hardened) == (
        "group_road", "grade_4", "gravel", False,
    )  # fmt: skip
    assert (link.width_m, link.built_year) == (Decimal("4.50"), 2018)
    assert link.length_m == pytest.approx(asset.geom.transform(3857, clone=True).length
                                          * math.cos(math.radians(asset.geom.centroid.y)),
                                          rel=0.01)  # fmt: skip
    assert link.events.get().pgh_context.metadata["user"] == village_clerk.pk  # type: ignore[attr-defined]


def test_an_asset_without_network_attributes_gets_no_link(
    client: Client, village_clerk: User
) -> None:
    client.force_login(village_clerk)
    before = set(Asset.objects.values_list("pk", flat=True))
    response = client.post(reverse("registry:asset_create"), asset_form_data(network_type=""))
    assert response.status_code == 302
    (asset,) = new_assets(before)
    assert not NetworkLink.objects.filter(asset=asset).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"subtype": "water_supply", "network_type": "water_branch", "surface": "concrete"},
            "surface",
            "只有道路才有路面。 / Only a road has a surface.",
        ),
        (
            {"network_type": "village_road", "surface": "asphalt", "line": False},
            "network_type",
            "道路、管道或线路须按线绘制其走向。 / A road, pipe or line needs its course drawn",
        ),
        (
            {"network_type": "village_road"},
            "surface",
            "请填写道路路面。 / State the road's surface.",
        ),
        (
            {"network_type": "power_line", "width_m": "四米"},
            "width_m",
            "请输入数字。 / Enter a number.",
        ),
        (
            {"network_type": "group_road", "surface": "earth", "built_year": "1900"},
            "built_year",
            " / ",
        ),
    ],
)
def test_refused_network_attributes_come_back_on_the_form_and_nothing_is_written(
    client: Client, village_clerk: User, overrides: dict[str, Any], field: str, message: str
) -> None:
    client.force_login(village_clerk)
    line = overrides.pop("line", True)
    geom = xiangdong_line().geojson if line else None
    before = (Asset.objects.count(), NetworkLink.objects.count())
    data = asset_form_data(**({"geom": geom} if geom else {}), **overrides)
    response = client.post(reverse("registry:asset_create"), data)
    assert response.status_code == 400
    errors = response.context["network_form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")
    assert (Asset.objects.count(), NetworkLink.objects.count()) == before
    # The page keeps what was typed, and its section stays open to show it.
    assert response.context["network_form"]["network_type"].value() == overrides["network_type"]


def test_the_edit_page_shows_and_changes_the_network_attributes(
    client: Client, county_manager: User
) -> None:
    road = road_with_link(county_manager, width_m=Decimal("3.5"), built_year=2012)
    client.force_login(county_manager)
    url = reverse("registry:asset_edit", args=[road.code])
    page = client.get(url)
    form = page.context["network_form"]
    assert (form["network_type"].value(), form["surface"].value()) == ("group_road", "gravel")
    assert 'data-open="1"' in page.content.decode()

    response = client.post(
        url,
        asset_form_data(
            road, geom=road.geom.geojson, network_type="group_road", surface="asphalt",
            width_m="5", built_year="2012",
        ),
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    link = NetworkLink.objects.get(asset=road)
    assert (link.surface, link.hardened, link.width_m) == ("asphalt", True, Decimal("5.00"))
    # A form opened before that change is stale: its old surface cannot come back.
    stale = client.post(
        url,
        asset_form_data(road, geom=road.geom.geojson, network_type="group_road", surface="earth"),
    )
    assert stale.status_code == 400
    assert NetworkLink.objects.get(asset=road).surface == "asphalt"

    # Emptying the network type of a linked asset is refused, not taken as "no network".
    road.refresh_from_db()
    emptied = client.post(
        url, asset_form_data(road, geom=road.geom.geojson, network_type="", surface="asphalt")
    )
    assert emptied.status_code == 400
    assert "请选择网络类型。 / Choose a network type." in emptied.content.decode()


def test_the_asset_page_shows_the_network_attributes(client: Client, county_manager: User) -> None:
    road = road_with_link(county_manager, grade="grade_4", width_m=Decimal("4.5"), built_year=2019)
    client.force_login(county_manager)
    page = client.get(reverse("registry:asset_detail", args=[road.code]))
    html = page.content.decode()
    assert 'data-testid="network-attributes"' in html
    assert "通组路" in html and "四级公路" in html and "砂石" in html
    assert 'data-testid="road-hardened">未硬化' in html
    assert "4.50 米" in html and "2019" in html
    km = NetworkLink.objects.get(asset=road).length_m / 1000
    assert f"{km:.3f} km" in html
    assert 'id="harden-road"' in html  # a road not yet hardened, and the user may edit it


# --- mark as hardened ----------------------------------------------------------------------------


def harden(client: Client, asset: Asset, **data: Any) -> Any:
    return client.post(
        reverse("registry:asset_harden", args=[asset.code]),
        {"surface": "concrete", "version": asset.version, **data},
        follow=True,
    )


def test_marking_a_road_hardened_from_its_page(client: Client, county_manager: User) -> None:
    road = road_with_link(county_manager, width_m=Decimal("4"), built_year=2010)
    client.force_login(county_manager)
    page = harden(client, road, surface="asphalt")
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("registry:asset_detail", args=[road.code])
    assert "道路已标记为已硬化" in html
    assert 'data-testid="road-hardened">已硬化' in html
    assert 'id="harden-road"' not in html  # nothing left to harden
    # The timeline says it in words: the surface and the generated "hardened", never codes.
    assert "路面: <code>砂石</code> → <code>沥青</code>" in html
    assert "已硬化: <code>否</code> → <code>是</code>" in html
    link = NetworkLink.objects.get(asset=road)
    assert (link.surface, link.hardened, link.built_year, link.width_m) == (
        "asphalt", True, 2010, Decimal("4.00"),
    )  # fmt: skip
    assert link.events.order_by("-pgh_id").first().pgh_context.metadata["user"] == (  # type: ignore[attr-defined]
        county_manager.pk
    )


def test_hardening_keeps_the_year_built_when_none_is_given(
    client: Client, county_manager: User
) -> None:
    road = road_with_link(county_manager, built_year=2010)
    client.force_login(county_manager)
    harden(client, road)
    link = NetworkLink.objects.get(asset=road)
    assert (link.surface, link.built_year) == ("concrete", 2010)


def test_a_junk_surface_is_refused_in_both_languages(client: Client, county_manager: User) -> None:
    road = road_with_link(county_manager)
    client.force_login(county_manager)
    html = harden(client, road, surface="gravel'; DROP TABLE x").content.decode()
    assert "选择一个有效的选项" in html and "Select a valid choice" in html
    assert NetworkLink.objects.get(asset=road).surface == "gravel"


def test_hardening_from_a_stale_page_is_refused(client: Client, county_manager: User) -> None:
    road = road_with_link(county_manager)
    client.force_login(county_manager)
    stale_version = road.version
    network_link_set(
        actor=county_manager, asset=road, network_type="group_road", surface="earth",
        expected_version=road.version,
    )  # fmt: skip
    road.version = stale_version
    page = harden(client, road)
    assert "Someone else changed this record" in page.content.decode()
    assert NetworkLink.objects.get(asset=road).surface == "earth"


def test_hardening_is_only_for_roads_and_only_for_their_editors(
    client: Client, county_manager: User, village_clerk: User, planner: User
) -> None:
    pipe = asset_register(
        actor=county_manager, data=asset_input(geom=xiangdong_line(), subtype="water_supply")
    )
    network_link_set(actor=county_manager, asset=pipe, network_type="water_main")
    plain = asset_register(actor=county_manager, data=asset_input(geom=xiangdong_line()))
    client.force_login(county_manager)
    for asset in (pipe, plain):
        page = harden(client, asset)
        assert "只有填写了网络属性的道路才能标记为已硬化" in page.content.decode()
    assert NetworkLink.objects.get(asset=pipe).surface == ""
    assert not NetworkLink.objects.filter(asset=plain).exists()

    road = road_with_link(county_manager)
    client.force_login(planner)  # a planner reads, never writes
    response = client.post(
        reverse("registry:asset_harden", args=[road.code]),
        {"surface": "concrete", "version": road.version},
    )
    assert response.status_code == 403
    assert NetworkLink.objects.get(asset=road).surface == "gravel"


def test_hardening_needs_the_pages_csrf_token(county_manager: User) -> None:
    road = road_with_link(county_manager)
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_manager)
    response = client.post(
        reverse("registry:asset_harden", args=[road.code]),
        {"surface": "concrete", "version": road.version},
    )
    assert response.status_code == 403
    assert NetworkLink.objects.get(asset=road).surface == "gravel"


def test_hardening_a_road_closes_the_gap_at_once(client: Client, county_manager: User) -> None:
    """A group reached only over a gravel road is a gap; marking that road hardened on its
    page closes it in the same request (a township of its own, far from the demo county)."""
    seat = (112.5, 31.0)
    m_lon, m_lat = 1 / (111_320 * math.cos(math.radians(seat[1]))), 1 / 110_880

    def at(east: float, north: float) -> tuple[float, float]:
        return (seat[0] + east * m_lon, seat[1] + north * m_lat)

    county = AdminArea.objects.get(code="500101000000")
    square = Polygon.from_bbox((seat[0] - 0.1, seat[1] - 0.1, seat[0] + 0.1, seat[1] + 0.1))
    square.srid = 4490
    town = AdminArea.objects.create(
        code="500101397000", name="硬化乡", level=AreaLevel.TOWNSHIP, parent=county,
        county_code="500101", boundary=MultiPolygon(square, srid=4490),
        point=Point(*seat, srid=4490),
    )  # fmt: skip
    village = AdminArea.objects.create(
        code="500101397200", name="硬化村", level=AreaLevel.VILLAGE, parent=town,
        county_code="500101", point=Point(*at(100, 100), srid=4490),
    )  # fmt: skip
    group = AdminArea.objects.create(
        code="500101397200001", name="一组", level=AreaLevel.GROUP, parent=village,
        county_code="500101", point=Point(*at(2000, 0), srid=4490), households=30,
    )  # fmt: skip

    def road(points: list[tuple[float, float]], surface: str) -> Asset:
        geom = LineString([at(*p) for p in points], srid=4490)
        asset = asset_register(actor=county_manager, data=asset_input(area=village, geom=geom))
        network_link_set(
            actor=county_manager, asset=asset, network_type="group_road", surface=surface
        )
        asset.refresh_from_db()
        return asset

    road([(0, 0), (1000, 0)], "concrete")
    gravel = road([(1000, 0), (2000, 0)], "gravel")
    assert NetworkPlace.objects.get(kind="group", place_id=group.pk).road == "unhardened"

    client.force_login(county_manager)
    harden(client, gravel)
    after = NetworkPlace.objects.get(kind="group", place_id=group.pk)
    assert (after.road, after.harden_m) == ("hardened", None)


def test_the_asset_form_offers_the_network_section_by_sub_type_and_drawing(
    client: Client, county_manager: User
) -> None:
    client.force_login(county_manager)
    page = client.get(reverse("registry:asset_create"))
    data = json.loads(
        page.content.decode().split('id="asset-form-data" type="application/json">')[1]
        .split("</script>")[0]
    )  # fmt: skip
    assert {"road", "water_supply", "power"} <= set(data["networkSubtypes"])
    assert "registry/asset_network.js" in page.content.decode()
