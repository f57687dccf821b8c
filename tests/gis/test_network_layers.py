"""The map's network layers on a hand-made network like 龙驹镇's (tests.factories.hand_network):
the links drawn by type, network and surface, scoped by their asset's area; the village groups
and sites with the gap analysis's answer; the relocation sites as points far out and outlines
close in; their popups; the township choropleth's network measures; and junk tile addresses
answered 4xx, never 500."""

from typing import Any

import mapbox_vector_tile
import pytest
from django.test import Client
from django.urls import reverse

from gis import tiles
from gis.models import NetworkPlace
from registry.models import AdminArea, Asset, User
from registry.services.network import network_link_set
from tests.factories import HAND_SEAT, hand_network, tile_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(county_manager: User) -> dict[str, Any]:
    return hand_network(county_manager)


def tile(client: Client, layer: str, z: int, x: int, y: int, **params: str) -> dict[str, Any]:
    response = client.get(reverse("gis:tile", args=[layer, z, x, y]), params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def features_at(
    client: Client, layer: str, lon: float, lat: float, z: int = 12, **params: str
) -> dict[int, dict[str, Any]]:
    """The features of ``layer`` in the zoom-z tile holding the point, by their MVT id (the
    zoom-12 tile of the test township's seat holds all of its network)."""
    decoded = tile(client, layer, *tile_of(lon, lat, z), **params)
    return {f["id"]: f["properties"] for f in decoded.get(layer, {}).get("features", [])}


def seat(net: dict[str, Any]) -> tuple[float, float]:
    return HAND_SEAT


def test_network_tiles_carry_each_links_type_network_and_surface(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    links = net["links"]
    drawn = features_at(client, "network", *seat(net))
    assert drawn[links["trunk"].pk] == {"t": "township_road", "n": "road", "h": True, "d": 1}
    assert drawn[links["xd_gravel"].pk] == {"t": "group_road", "n": "road", "h": False, "d": 1}
    assert drawn[links["main"].pk] == {"t": "water_main", "n": "water", "h": False, "d": 1}
    assert drawn[links["power"].pk]["n"] == "power"
    assert drawn[links["works"].pk] == {"t": "water_source", "n": "water", "h": False, "d": 0}
    assert drawn[links["sib"].pk]["h"] is True
    # Zoomed out, only the main links: the township road stays, the group roads go.
    far = features_at(client, "network", *seat(net), z=9)
    assert links["trunk"].pk in far and links["main"].pk in far
    assert links["xd_gravel"].pk not in far and links["power"].pk in far
    assert (
        set(features_at(client, "network", *seat(net), z=7))
        & {
            links["power"].pk,
            links["xd_paved"].pk,
        }
        == set()
    )


def test_a_hardened_road_shows_hardened_on_the_next_tile(
    client: Client, county_manager: User, net: dict[str, Any]
) -> None:
    client.force_login(county_manager)
    gravel = net["links"]["xd_gravel"]
    assert features_at(client, "network", *seat(net))[gravel.pk]["h"] is False  # now cached
    network_link_set(
        actor=county_manager, asset=gravel, network_type="group_road", surface="concrete"
    )
    assert features_at(client, "network", *seat(net))[gravel.pk]["h"] is True
    # The group it serves is no gap any more, on the places layer too.
    place = NetworkPlace.objects.get(kind="group", place_id=net["groups"]["xd_gravel"].pk)
    assert features_at(client, "places", *seat(net))[place.pk]["r"] == "hardened"


def test_the_network_layer_filters_by_network(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    water = features_at(client, "network", *seat(net), network="water")
    assert set(water) == {net["links"]["main"].pk, net["links"]["works"].pk}
    bad = client.get(reverse("gis:tile", args=["network", 14, 0, 0]), {"network": "sewer"})
    assert bad.status_code == 400


def test_places_tiles_hold_groups_and_sites_with_their_gaps(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    groups, site = net["groups"], net["site"]
    places = {
        p.place_id if p.kind == "group" else -p.place_id: p for p in NetworkPlace.objects.all()
    }
    drawn = features_at(client, "places", *seat(net))

    def props(key: str) -> dict[str, Any]:
        return drawn[places[groups[key].pk].pk]

    assert props("xd_paved") == {"k": "group", "r": "hardened", "w": True, "h": 30}
    assert props("xd_gravel") == {"k": "group", "r": "unhardened", "w": False, "h": 40}
    assert props("xd_none") == {"k": "group", "r": "none", "w": False, "h": 25}
    assert drawn[places[-site.pk].pk] == {"k": "site", "r": "none", "w": False, "h": 20}
    # The gap filter of the gaps view: only the places without piped water.
    dry = features_at(client, "places", *seat(net), gap="water", township=net["town"].code)
    assert places[groups["xd_paved"].pk].pk not in dry
    assert places[groups["xd_gravel"].pk].pk in dry
    # Below zoom 8 they are clusters, counting the places and those without a hardened road
    # (the test township's zoom-7 tile holds none of the demo county's).
    clusters = tile(client, "places", *tile_of(*seat(net), 7))["clusters"]["features"]
    assert sum(c["properties"]["n"] for c in clusters) == 6
    assert sum(c["properties"].get("n_road", 0) for c in clusters) == 3


def test_sites_are_points_far_out_and_outlines_close_in(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    site = net["site"]
    lon, lat = site.point.coords
    assert features_at(client, "sites", lon, lat, 11)[site.pk]["d"] == 0
    close = features_at(client, "sites", lon, lat, 15)[site.pk]
    assert close == {"m": "concentrated", "s": "lt100", "p": 80, "d": 2}


def test_a_village_users_tiles_hold_only_their_villages_links_and_places(
    client: Client, net: dict[str, Any]
) -> None:
    links, groups = net["links"], net["groups"]
    own_places = set(
        NetworkPlace.objects.filter(area_code__startswith=net["xd"].code).values_list(
            "pk", flat=True
        )
    )
    assert len(own_places) == 4  # three groups and the site

    client.force_login(net["clerk"])
    drawn = features_at(client, "network", *seat(net))
    assert links["trunk"].pk in drawn and links["sib"].pk not in drawn
    assert set(features_at(client, "places", *seat(net))) == own_places
    sib_place = NetworkPlace.objects.get(kind="group", place_id=groups["sib"].pk)
    assert client.get(reverse("gis:network_place_popup", args=[sib_place.pk])).status_code == 404
    assert client.get(reverse("gis:network_link_popup", args=[links["sib"].pk])).status_code == 404
    other = net["other_town"].point.coords
    assert features_at(client, "network", *other) == {}
    assert features_at(client, "places", *other) == {}
    assert net["site"].pk in features_at(client, "sites", *net["site"].point.coords)

    client.force_login(net["township_user"])
    assert links["sib"].pk in features_at(client, "network", *seat(net))
    assert sib_place.pk in features_at(client, "places", *seat(net))
    assert features_at(client, "network", *other) == {}
    assert features_at(client, "places", *other) == {}


def test_the_demo_village_clerk_sees_only_xiangdongs_part_of_the_demo_network(
    client: Client, village_clerk: User, planner: User
) -> None:
    """On the demo county's own network: the zoom-12 tile around 向东村 as the clerk of 向东村
    and as the planner."""
    xd = "500101151200"
    village = AdminArea.objects.get(code=xd)
    links_of = dict(Asset.objects.filter(network__isnull=False).values_list("pk", "area_code"))
    places_of = dict(NetworkPlace.objects.values_list("pk", "area_code"))
    client.force_login(village_clerk)
    own_links = features_at(client, "network", *village.point.coords, z=12)
    own_places = features_at(client, "places", *village.point.coords, z=12)
    assert own_links and own_places  # the demo network reaches 向东村
    assert {links_of[pk][:12] for pk in own_links} == {xd}
    assert {places_of[pk][:12] for pk in own_places} == {xd}
    client.force_login(planner)
    all_links = features_at(client, "network", *village.point.coords, z=12)
    assert set(own_links) < set(all_links)
    assert {links_of[pk][:12] for pk in all_links} - {xd}


def test_junk_tile_addresses_are_4xx_never_500(client: Client, planner: User) -> None:
    client.force_login(planner)
    for name in ("network", "places", "sites"):
        assert name in tiles.LAYERS
        for path in (
            f"/gis/tiles/{name}/25/0/0.mvt",
            f"/gis/tiles/{name}/3/9/0.mvt",
            f"/gis/tiles/{name}/3/0/99999999999999999999.mvt",
            f"/gis/tiles/{name}/x/0/0.mvt",
            f"/gis/tiles/{name}/-1/0/0.mvt",
            f"/gis/tiles/{name}%00/1/0/0.mvt",
        ):
            status = client.get(path).status_code
            assert 400 <= status < 500, (path, status)
    for params in ({"kind": "farm"}, {"gap": "x" * 500}, {"township": "%00"}):
        status = client.get(reverse("gis:tile", args=["places", 14, 0, 0]), params).status_code
        assert status in (200, 400), (params, status)
    assert (
        client.get(reverse("gis:tile", args=["places", 14, 0, 0]), {"kind": "farm"}).status_code
        == 400
    )
    for name in ("network_link_popup", "network_place_popup", "site_popup"):
        assert client.get(reverse(f"gis:{name}", args=[2**62])).status_code == 404


def test_popups_say_what_a_link_place_and_site_are(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    gravel = client.get(reverse("gis:network_link_popup", args=[net["links"]["xd_gravel"].pk]))
    data = gravel.json()
    assert data["type"] == "group_road" and data["type_label"] not in ("", "group_road")
    assert data["surface"] and data["hardened"] is False
    assert float(data["length_km"]) == pytest.approx(0.8, abs=0.01)
    assert data["url"] == reverse("registry:asset_detail", args=[net["links"]["xd_gravel"].code])

    place = NetworkPlace.objects.get(kind="group", place_id=net["groups"]["xd_gravel"].pk)
    popup = client.get(reverse("gis:network_place_popup", args=[place.pk])).json()
    assert popup["road"] == "unhardened" and popup["households"] == 40
    assert float(popup["harden_km"]) == pytest.approx(0.8, abs=0.02)
    assert popup["computed_at"]

    site = client.get(reverse("gis:site_popup", args=[net["site"].pk])).json()
    assert site["persons"] == 80 and site["households"] == 20
    assert site["url"] and net["site"].code in site["url"]
    assert site["network"]["road"] == "none"


def test_the_choropleth_counts_groups_without_hardened_road_and_households_without_water(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    url = reverse("gis:township_indicators")
    by_code = {
        f["properties"]["code"]: f["properties"]
        for f in client.get(url, {"indicator": "no_road_groups"}).json()["features"]
    }
    town = by_code[net["town"].code]
    # 902 (gravel), 903 (no road); not 901, nor the sibling's group on a hardened road.
    assert town["value"] == 2
    assert "4" in town["note"] and "150" in town["note"]  # 4 groups; 150 households with the site
    water = {
        f["properties"]["code"]: f["properties"]["value"]
        for f in client.get(url, {"indicator": "no_water_households"}).json()["features"]
    }
    # Without water: 902 (40), 903 (25), the site (20), the sibling's group (35).
    assert water[net["town"].code] == 40 + 25 + 20 + 35
    assert water[net["other_town"].code] == 50
    assert client.get(url, {"indicator": "no_such"}).status_code == 400
