"""The network gap analysis (gis.network) on small hand-made networks.

Every network lies in a test township of its own, 150 km east of the demo county, so that
nothing of the demo reaches it. Positions are given in metres east and north of the township
seat; the snap tolerance is 5 m and the reach of a road or pipe 150 m (gis.network).
"""

import math
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from gis import network
from gis.models import NetworkPlace, NetworkRun
from registry.choices import AreaLevel
from registry.models import AdminArea, Asset, RelocationSite, User
from registry.services.assets import asset_register
from registry.services.network import network_link_set
from tests.factories import asset_input

SEAT = (110.0, 30.0)
M_LON = 1 / (111_320 * math.cos(math.radians(SEAT[1])))  # degrees per metre east
M_LAT = 1 / 110_850  # degrees per metre north at 30°


def at(east: float, north: float) -> tuple[float, float]:
    return (SEAT[0] + east * M_LON, SEAT[1] + north * M_LAT)


@pytest.fixture
def township(db: Any) -> AdminArea:
    county = AdminArea.objects.get(code="500101000000")
    x0, y0 = at(-10_000, -10_000)
    x1, y1 = at(10_000, 10_000)
    square = Polygon.from_bbox((x0, y0, x1, y1))
    square.srid = 4490
    town = AdminArea.objects.create(
        code="500101399000", name="试验乡", level=AreaLevel.TOWNSHIP, parent=county,
        county_code="500101", boundary=MultiPolygon(square, srid=4490),
        point=Point(*SEAT, srid=4490),
    )  # fmt: skip
    AdminArea.objects.create(
        code="500101399200", name="试验村", level=AreaLevel.VILLAGE, parent=town,
        county_code="500101", point=Point(*at(100, 100), srid=4490),
    )  # fmt: skip
    return town


def village() -> AdminArea:
    return AdminArea.objects.get(code="500101399200")


def group(serial: int, east: float, north: float, households: int = 30) -> AdminArea:
    return AdminArea.objects.create(
        code=f"500101399200{serial:03d}", name=f"{serial}组", level=AreaLevel.GROUP,
        parent=village(), county_code="500101", point=Point(*at(east, north), srid=4490),
        households=households,
    )  # fmt: skip


def link(
    user: User, points: list[tuple[float, float]], network_type: str, surface: str = ""
) -> Asset:
    """A road or pipe through ``points`` (metres from the seat), registered and typed."""
    geom = LineString([at(*p) for p in points], srid=4490)
    data = asset_input(area=village(), name=f"{network_type} {points[0]}", geom=geom)
    asset = asset_register(actor=user, data=data)
    network_link_set(actor=user, asset=asset, network_type=network_type, surface=surface)
    return asset


def source(user: User, east: float, north: float) -> Asset:
    data = asset_input(
        area=village(), name="水厂", subtype="water_supply", geom=Point(*at(east, north), srid=4490)
    )
    asset = asset_register(actor=user, data=data)
    network_link_set(actor=user, asset=asset, network_type="water_source")
    return asset


def place(area: AdminArea) -> NetworkPlace:
    return NetworkPlace.objects.get(kind="group", place_id=area.pk)


@pytest.fixture
def user(county_manager: User) -> User:
    return county_manager


def test_a_group_reached_only_over_an_unhardened_road_is_a_gap_and_hardening_closes_it(
    township: AdminArea, user: User
) -> None:
    g = group(1, 2000, 0)
    link(user, [(0, 0), (1000, 0)], "township_road", "concrete")
    gravel = link(user, [(1000, 0), (1500, 50), (2000, 0)], "group_road", "gravel")

    before = place(g)
    assert before.road == "unhardened"
    # The least unhardened length on the way: the gravel road's own length (~1005 m).
    assert before.harden_m == pytest.approx(1005, rel=0.01)
    assert before.hardened_gap_m == pytest.approx(1000, rel=0.01)

    # The manager hardens the road: the answer changes in the same transaction, no refresh.
    network_link_set(actor=user, asset=gravel, network_type="group_road", surface="concrete")
    after = place(g)
    assert (after.road, after.harden_m, after.hardened_gap_m) == ("hardened", None, None)
    assert after.computed_at > before.computed_at
    assert NetworkRun.objects.get(township_code="500101399000").places == 1


def test_a_hardened_detour_beats_a_short_unhardened_road(township: AdminArea, user: User) -> None:
    g = group(1, 1000, 0)
    link(user, [(0, 0), (1000, 0)], "group_road", "earth")
    link(user, [(0, 0), (0, 1000), (1000, 1000), (1000, 0)], "village_road", "asphalt")
    assert place(g).road == "hardened"


@pytest.mark.parametrize(("miss_m", "joined"), [(3, True), (8, False)])
def test_a_line_ending_short_of_a_node_joins_it_within_the_snap_tolerance(
    township: AdminArea, user: User, miss_m: float, joined: bool
) -> None:
    g = group(1, 1000, 2000)
    link(user, [(0, 0), (1000, 0)], "township_road", "concrete")
    # Starts miss_m short of the township road's far end, which it was meant to meet.
    link(user, [(1000, miss_m), (1000, 2000)], "group_road", "concrete")
    assert network.SNAP_M == 5
    assert place(g).road == ("hardened" if joined else "none")


@pytest.mark.parametrize(("miss_m", "joined"), [(3, True), (8, False)])
def test_a_line_ending_short_of_another_lines_middle_joins_it_within_the_snap_tolerance(
    township: AdminArea, user: User, miss_m: float, joined: bool
) -> None:
    g = group(1, 500, 2000)
    link(user, [(0, 0), (1000, 0)], "township_road", "concrete")
    link(user, [(500, miss_m), (500, 2000)], "group_road", "concrete")
    assert place(g).road == ("hardened" if joined else "none")


def test_roads_that_cross_without_a_shared_point_do_not_join(
    township: AdminArea, user: User
) -> None:
    """A crossing with no vertex is a bridge or an underpass, not a junction."""
    g = group(1, 500, 2000)
    link(user, [(0, 0), (1000, 0)], "township_road", "concrete")
    link(user, [(500, -2000), (500, 2000)], "group_road", "concrete")
    assert place(g).road == "none"


def test_a_group_no_road_comes_near_is_measured_to_the_nearest_hardened_road(
    township: AdminArea, user: User
) -> None:
    g = group(1, 500, 1200)
    link(user, [(0, 0), (1000, 0)], "township_road", "concrete")
    result = place(g)
    assert result.road == "none"
    assert result.harden_m is None
    assert result.hardened_gap_m == pytest.approx(1200, rel=0.01)


def test_a_water_line_that_stops_short_of_a_site_leaves_it_uncovered(
    township: AdminArea, user: User
) -> None:
    source(user, 0, -3000)
    link(user, [(0, -3000), (0, 0)], "water_main")
    link(user, [(0, 0), (2000, 0)], "water_branch")
    near = RelocationSite.objects.create(
        code="500101AZ9001", name="近点安置点", site_type="central_village", area=village(),
        area_code="500101399200", county_code="500101", point=Point(*at(2100, 0), srid=4490),
        registered_households=20, registered_persons=80,
    )  # fmt: skip
    far = RelocationSite.objects.create(
        code="500101AZ9002", name="远点安置点", site_type="central_village", area=village(),
        area_code="500101399200", county_code="500101", point=Point(*at(2400, 0), srid=4490),
        registered_households=40, registered_persons=150,
    )  # fmt: skip
    network.refresh_township(township)
    served = NetworkPlace.objects.get(kind="site", place_id=near.pk)
    unserved = NetworkPlace.objects.get(kind="site", place_id=far.pk)
    assert (served.water, served.water_gap_m) == (True, None)
    assert unserved.water is False
    assert unserved.water_gap_m == pytest.approx(400, rel=0.01)
    assert (unserved.households, unserved.persons) == (40, 150)


def test_pipes_reach_only_from_a_water_source(township: AdminArea, user: User) -> None:
    g = group(1, 1000, 0)
    link(user, [(0, 0), (1000, 0)], "water_branch")
    assert place(g).water is False  # a pipe with no source feeds nothing
    source(user, 0, 0)
    assert place(g).water is True


def test_a_disposed_road_no_longer_serves(township: AdminArea, user: User) -> None:
    g = group(1, 1000, 0)
    road = link(user, [(0, 0), (1000, 0)], "group_road", "concrete")
    assert place(g).road == "hardened"
    Asset.objects.filter(pk=road.pk).update(status="disposed")
    network.refresh_township(township)
    assert place(g).road == "none"


def test_the_length_is_measured_on_the_ellipsoid(township: AdminArea, user: User) -> None:
    road = link(user, [(0, 0), (0, 5000)], "village_road", "gravel")
    road.network.refresh_from_db()
    assert road.network.length_m == pytest.approx(5000, rel=0.005)
    assert road.network.width_m is None
    assert Decimal(road.network.length_m).quantize(Decimal(1)) > 0


def test_a_township_whose_seat_no_road_reaches_has_every_place_unreached(
    township: AdminArea, user: User
) -> None:
    g = group(1, 3000, 0)
    link(user, [(2000, 0), (3000, 0)], "group_road", "concrete")  # nowhere near the seat
    assert place(g).road == "none"
    empty = group(2, -3000, 0)
    network.refresh_township(township)  # and a township with a group no link is near
    assert place(empty).road == "none"
    assert place(empty).water is False


def test_a_main_from_a_source_in_a_far_township_feeds_it_and_a_change_downstream_is_seen(
    township: AdminArea, user: User
) -> None:
    """Water mains and sources of the whole county take part (a works 25 km away feeds the
    township); a change to a main recomputes every township of its county."""
    x0, y0 = at(10_000, -10_000)
    x1, y1 = at(30_000, 10_000)
    square = Polygon.from_bbox((x0, y0, x1, y1))
    square.srid = 4490
    east = AdminArea.objects.create(
        code="500101398000", name="试验东乡", level=AreaLevel.TOWNSHIP, parent=township.parent,
        county_code="500101", boundary=MultiPolygon(square, srid=4490),
        point=Point(*at(20_000, 0), srid=4490),
    )  # fmt: skip
    east_village = AdminArea.objects.create(
        code="500101398200", name="试验东村", level=AreaLevel.VILLAGE, parent=east,
        county_code="500101", point=Point(*at(20_000, 100), srid=4490),
    )  # fmt: skip
    g = group(1, 0, 100)
    works = asset_register(
        actor=user,
        data=asset_input(
            area=east_village, name="远水厂", subtype="water_supply",
            geom=Point(*at(25_000, 0), srid=4490),
        ),
    )  # fmt: skip
    network_link_set(actor=user, asset=works, network_type="water_source")
    far_main = asset_register(
        actor=user,
        data=asset_input(
            area=east_village, name="东段主管",
            geom=LineString([at(25_000, 0), at(10_000, 0)], srid=4490),
        ),
    )  # fmt: skip
    network_link_set(actor=user, asset=far_main, network_type="water_main")
    link(user, [(10_000, 0), (0, 0)], "water_main")
    assert place(g).water is True

    # The far main turns out to be a power line: the township downstream is recomputed
    # although the change lies mostly outside its reach, and is no longer fed.
    network_link_set(actor=user, asset=far_main, network_type="power_line")
    assert place(g).water is False


def test_a_place_keeps_its_row_when_its_township_is_recomputed(
    township: AdminArea, user: User
) -> None:
    """A popup or link opened before a recompute (it names the row) still answers after it."""
    g = group(1, 1000, 0)
    gravel = link(user, [(0, 0), (1000, 0)], "group_road", "gravel")
    before = place(g)
    network_link_set(actor=user, asset=gravel, network_type="group_road", surface="concrete")
    after = place(g)
    assert after.pk == before.pk and (before.road, after.road) == ("unhardened", "hardened")
    g.retired_on = before.computed_at.date()
    g.save()
    network.refresh_township(township)
    assert not NetworkPlace.objects.filter(kind="group", place_id=g.pk).exists()
