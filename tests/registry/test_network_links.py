"""Network links (registry.services.network): what a road, pipe or line (or a water source)
must be to carry network attributes, its length on the ellipsoid, who may set them, and how a
change of the asset (its course, its disposal) reaches the gap analysis at once.

The hand-made networks lie in a test township of their own (测线乡, around 111.5°E 30°N, far
from the demo county and from the analysis tests' township), 1.2° square so that a 1° meridian
arc fits in it. Positions are metres east and north of the township seat."""

import datetime
import math
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.core.exceptions import PermissionDenied

from gis.models import NetworkPlace
from registry.choices import AreaLevel, Role
from registry.errors import ConflictError, ValidationError
from registry.models import AdminArea, Asset, NetworkLink, User
from registry.services.assets import asset_register, asset_update
from registry.services.disposal import disposal_complete, disposal_decide, disposal_request
from registry.services.network import network_link_set, network_links_write
from tests.factories import XIANGDONG, asset_input

pytestmark = pytest.mark.django_db

SEAT = (111.5, 30.0)
M_LON = 1 / (111_320 * math.cos(math.radians(SEAT[1])))  # degrees per metre east
M_LAT = 1 / 110_850  # degrees per metre north at 30°

# CGCS2000's ellipsoid (the GRS80 parameters), for the hand computations.
A = 6_378_137.0
F = 1 / 298.257222101
E2 = F * (2 - F)


def at(east: float, north: float) -> tuple[float, float]:
    return (SEAT[0] + east * M_LON, SEAT[1] + north * M_LAT)


@pytest.fixture
def township(db: Any) -> AdminArea:
    county = AdminArea.objects.get(code="500101000000")
    square = Polygon.from_bbox((SEAT[0] - 0.6, SEAT[1] - 0.6, SEAT[0] + 0.6, SEAT[1] + 0.6))
    square.srid = 4490
    town = AdminArea.objects.create(
        code="500101398000", name="测线乡", level=AreaLevel.TOWNSHIP, parent=county,
        county_code="500101", boundary=MultiPolygon(square, srid=4490),
        point=Point(*SEAT, srid=4490),
    )  # fmt: skip
    AdminArea.objects.create(
        code="500101398200", name="测线村", level=AreaLevel.VILLAGE, parent=town,
        county_code="500101", point=Point(*at(100, 100), srid=4490),
    )  # fmt: skip
    return town


def hand_village() -> AdminArea:
    return AdminArea.objects.get(code="500101398200")


def group(serial: int, east: float, north: float) -> AdminArea:
    return AdminArea.objects.create(
        code=f"500101398200{serial:03d}", name=f"{serial}组", level=AreaLevel.GROUP,
        parent=hand_village(), county_code="500101", point=Point(*at(east, north), srid=4490),
        households=25,
    )  # fmt: skip


def line(points: list[tuple[float, float]]) -> LineString:
    return LineString([at(*p) for p in points], srid=4490)


def registered(user: User, geom: Any, area: AdminArea | None = None, **values: Any) -> Asset:
    return asset_register(
        actor=user, data=asset_input(area=area or hand_village(), geom=geom, **values)
    )


def place(area: AdminArea) -> NetworkPlace:
    return NetworkPlace.objects.get(kind="group", place_id=area.pk)


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --- what a link must be ------------------------------------------------------------------------


def test_a_road_pipe_or_line_needs_a_line_and_a_water_source_a_point(
    township: AdminArea, county_manager: User
) -> None:
    point = registered(county_manager, Point(*at(50, 50), srid=4490), name="水厂")
    road = registered(county_manager, line([(0, 0), (500, 0)]))
    for network_type in ("village_road", "water_main", "power_line"):
        with pytest.raises(ValidationError) as refused:
            network_link_set(
                actor=county_manager, asset=point, network_type=network_type,
                surface="concrete" if network_type.endswith("_road") else "",
            )  # fmt: skip
        assert refused.value.message_dict.keys() == {"network_type"}
        assert "须按线绘制其走向。 / A road, pipe or line needs its course drawn as a line." in (
            error_text(refused)
        )
    with pytest.raises(ValidationError) as refused:
        network_link_set(actor=county_manager, asset=road, network_type="water_source")
    assert "A water source is a point" in error_text(refused)
    assert not NetworkLink.objects.filter(asset__in=[point, road]).exists()

    source = network_link_set(actor=county_manager, asset=point, network_type="water_source")
    assert (source.network, source.length_m) == ("water", 0)


def test_only_a_road_has_a_surface_and_a_road_must_state_it(
    township: AdminArea, county_manager: User
) -> None:
    pipe = registered(county_manager, line([(0, 0), (800, 0)]), subtype="water_supply")
    road = registered(county_manager, line([(0, 100), (800, 100)]))
    with pytest.raises(ValidationError) as refused:
        network_link_set(
            actor=county_manager, asset=pipe, network_type="water_branch", surface="concrete"
        )
    assert refused.value.message_dict.keys() == {"surface"}
    assert "只有道路才有路面。 / Only a road has a surface." in error_text(refused)
    with pytest.raises(ValidationError) as refused:
        network_link_set(
            actor=county_manager, asset=pipe, network_type="water_main", grade="grade_4"
        )
    assert refused.value.message_dict.keys() == {"grade"}
    with pytest.raises(ValidationError) as refused:
        network_link_set(actor=county_manager, asset=road, network_type="group_road")
    assert refused.value.message_dict.keys() == {"surface"}
    assert "State the road's surface." in error_text(refused)
    with pytest.raises(ValidationError) as refused:  # the model's limits, in both languages
        network_link_set(
            actor=county_manager, asset=road, network_type="group_road", surface="gravel",
            width_m=Decimal("250"),
        )  # fmt: skip
    assert refused.value.message_dict.keys() == {"width_m"}
    assert " / " in error_text(refused)
    assert not NetworkLink.objects.filter(asset__in=[pipe, road]).exists()

    link = network_link_set(
        actor=county_manager, asset=road, network_type="group_road", grade="grade_4",
        surface="gravel", width_m=Decimal("4.5"), built_year=2016,
    )  # fmt: skip
    link.refresh_from_db()
    assert (link.network, link.hardened, link.width_m, link.built_year) == (
        "road", False, Decimal("4.50"), 2016,
    )  # fmt: skip
    assert network_link_set(
        actor=county_manager, asset=pipe, network_type="water_branch"
    ).network == ("water")


# --- length on the ellipsoid --------------------------------------------------------------------


def meridian_arc_m(lat0: float, lat1: float, steps: int = 1000) -> float:
    """The meridian arc between two latitudes on the ellipsoid, by Simpson's rule over the
    meridian's radius of curvature M(φ) = a(1 − e²) / (1 − e² sin²φ)^(3/2)."""
    f0, f1 = math.radians(lat0), math.radians(lat1)
    h = (f1 - f0) / steps

    def radius(phi: float) -> float:
        return A * (1 - E2) / (1 - E2 * math.sin(phi) ** 2) ** 1.5

    total = radius(f0) + radius(f1)
    total += sum((4 if i % 2 else 2) * radius(f0 + i * h) for i in range(1, steps))
    return total * h / 3


def test_length_is_measured_on_the_ellipsoid(township: AdminArea, county_manager: User) -> None:
    # A 1° meridian arc centred on 30°N: 110.85 km on the ellipsoid (110.57 km at the equator,
    # 111.69 km at the pole; a sphere of the mean radius would say 111.19 km).
    x = SEAT[0] + 0.2
    arc = registered(
        county_manager, LineString([(x, 29.5), (x, 29.9), (x, 30.5)], srid=4490), name="纵线"
    )
    link = network_link_set(actor=county_manager, asset=arc, network_type="power_line")
    expected = meridian_arc_m(29.5, 30.5)
    assert expected == pytest.approx(110_851, abs=5)
    assert link.length_m == pytest.approx(expected, rel=0.005)
    assert link.length_m == pytest.approx(expected, rel=0.0001)  # in fact to 0.01 %

    # Half a degree along the 30th parallel: N cos φ Δλ (the geodesic is shorter by cm).
    parallel = registered(
        county_manager, LineString([(SEAT[0] - 0.25, 30), (SEAT[0] + 0.25, 30)], srid=4490)
    )
    link = network_link_set(actor=county_manager, asset=parallel, network_type="telecom_line")
    phi = math.radians(30)
    normal = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    assert link.length_m == pytest.approx(normal * math.cos(phi) * math.radians(0.5), rel=0.0001)


def test_changing_the_course_of_a_linked_asset_measures_it_again(
    township: AdminArea, county_manager: User
) -> None:
    road = registered(county_manager, line([(0, 0), (1000, 0)]))
    link = network_link_set(
        actor=county_manager, asset=road, network_type="village_road", surface="asphalt"
    )
    assert link.length_m == pytest.approx(1000, rel=0.01)
    road.refresh_from_db()
    asset_update(
        actor=county_manager, asset=road, expected_version=road.version,
        data=asset_input(area=hand_village(), geom=line([(0, 0), (1000, 0), (1000, 1500)])),
    )  # fmt: skip
    link.refresh_from_db()
    assert link.length_m == pytest.approx(2500, rel=0.01)


def test_a_link_keeps_its_assets_area_code_whichever_way_the_asset_moves(
    township: AdminArea, county_manager: User
) -> None:
    """The link's copy of the area code (what the gap summaries select links by) is its
    asset's from the first write on, follows the asset to another area however the asset is
    changed (a trigger, not the services), and writes no history of its own."""
    road = registered(county_manager, line([(0, 0), (1000, 0)]))
    link = network_link_set(
        actor=county_manager, asset=road, network_type="village_road", surface="asphalt"
    )
    link.refresh_from_db()
    assert link.area_code == road.area_code == hand_village().code
    events = link.events.count()  # type: ignore[attr-defined]
    Asset.objects.filter(pk=road.pk).update(area_code=XIANGDONG)
    link.refresh_from_db()
    assert link.area_code == XIANGDONG
    assert link.events.count() == events  # type: ignore[attr-defined]
    written = network_links_write(
        actor=county_manager,
        links=[{"asset_id": registered(county_manager, line([(0, 50), (900, 50)])).pk,
                "network_type": "group_road", "surface": "gravel"}],
    )  # fmt: skip
    assert NetworkLink.objects.get(pk=written[0]).area_code == hand_village().code


# --- who may set it, and what history says ------------------------------------------------------


def test_a_village_clerk_sets_links_of_their_village_only(
    county_manager: User, village_clerk: User
) -> None:
    here = AdminArea.objects.get(code=XIANGDONG)
    there = (
        AdminArea.objects.filter(level=AreaLevel.VILLAGE, code__startswith="500101151")
        .exclude(code=XIANGDONG)
        .exclude(point=None)
        .first()
    )
    assert there is not None

    def road_in(area: AdminArea) -> Asset:
        x, y = area.point.coords
        geom = LineString([(x, y), (x + 0.004, y + 0.002)], srid=4490)
        return registered(county_manager, geom, area=area, name=f"{area.name}通组路")

    theirs, ours = road_in(there), road_in(here)
    network_link_set(actor=county_manager, asset=theirs, network_type="group_road", surface="earth")
    with pytest.raises(PermissionDenied):
        network_link_set(
            actor=village_clerk, asset=theirs, network_type="group_road", surface="concrete"
        )
    assert NetworkLink.objects.get(asset=theirs).surface == "earth"

    link = network_link_set(
        actor=village_clerk, asset=ours, network_type="group_road", surface="concrete"
    )
    event = link.events.get()  # type: ignore[attr-defined]
    assert event.pgh_label == "insert"
    assert event.pgh_context.metadata["user"] == village_clerk.pk

    # The county's manager changes it: the new row of history names them.
    network_link_set(actor=county_manager, asset=ours, network_type="group_road", surface="asphalt")
    latest = link.events.order_by("-pgh_id").first()  # type: ignore[attr-defined]
    assert (latest.pgh_label, latest.surface) == ("update", "asphalt")
    assert latest.pgh_context.metadata["user"] == county_manager.pk


def test_a_stale_page_is_refused_and_an_unchanged_link_writes_nothing(
    township: AdminArea, county_manager: User
) -> None:
    road = registered(county_manager, line([(0, 0), (600, 0)]))
    link = network_link_set(
        actor=county_manager, asset=road, network_type="group_road", surface="gravel",
        expected_version=road.version,
    )  # fmt: skip
    road.refresh_from_db()
    assert road.version == 2  # the link is part of the asset's record
    with pytest.raises(ConflictError):
        network_link_set(
            actor=county_manager, asset=road, network_type="group_road", surface="concrete",
            expected_version=1,
        )  # fmt: skip
    assert NetworkLink.objects.get(asset=road).surface == "gravel"
    network_link_set(
        actor=county_manager, asset=road, network_type="group_road", surface="gravel",
        expected_version=2,
    )  # fmt: skip
    road.refresh_from_db()
    assert road.version == 2 and link.events.count() == 1  # type: ignore[attr-defined]


# --- the gap analysis follows the asset ----------------------------------------------------------


def test_disposing_of_the_only_road_to_a_group_leaves_it_without_a_road(
    township: AdminArea, county_manager: User
) -> None:
    g = group(1, 2000, 0)
    road = registered(county_manager, line([(0, 0), (1000, 0), (2000, 0)]), name="一组公路")
    network_link_set(
        actor=county_manager, asset=road, network_type="group_road", surface="concrete"
    )
    assert place(g).road == "hardened"

    approver = User.objects.create(username="测线乡审批人", role=Role.APPROVER, area=township)
    request = disposal_request(
        actor=county_manager, asset=road, reason="disaster", method="scrap",
        book_value=Decimal(20000), explanation="山体滑坡损毁",
    )  # fmt: skip
    assert place(g).road == "hardened"  # pending: the road still stands
    request = disposal_decide(actor=approver, request=request, approved=True)
    disposal_complete(
        actor=county_manager, request=request, completed_on=datetime.date.today(),
        proceeds=Decimal(0), proceeds_use="",
    )  # fmt: skip
    assert place(g).road == "none"
    with pytest.raises(ValidationError) as refused:  # a disposed asset's link stays as it was
        network_link_set(
            actor=county_manager, asset=road, network_type="group_road", surface="asphalt"
        )
    assert "A disposed asset cannot be changed." in error_text(refused)


def test_many_links_at_once_keep_the_same_rules(
    township: AdminArea, county_manager: User, village_clerk: User
) -> None:
    from django.db import transaction

    road = registered(county_manager, line([(0, 0), (900, 0)]))
    pipe = registered(county_manager, line([(0, 50), (900, 50)]), subtype="water_supply")
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        network_links_write(
            actor=county_manager,
            links=[
                {"asset_id": road.pk, "network_type": "group_road", "surface": "earth"},
                {"asset_id": pipe.pk, "network_type": "water_main", "surface": "concrete"},
            ],
        )
    assert pipe.code in error_text(refused) and "Only a road has a surface." in error_text(refused)
    assert not NetworkLink.objects.filter(asset__in=[road, pipe]).exists()
    with pytest.raises(PermissionDenied), transaction.atomic():
        network_links_write(
            actor=village_clerk,
            links=[{"asset_id": road.pk, "network_type": "group_road", "surface": "earth"}],
        )
    with transaction.atomic():
        written = network_links_write(
            actor=county_manager,
            links=[
                {"asset_id": road.pk, "network_type": "group_road", "surface": "earth",
                 "width_m": Decimal("3.5"), "built_year": 2015},
                {"asset_id": pipe.pk, "network_type": "water_main"},
            ],
        )  # fmt: skip
    assert sorted(written) == sorted([road.pk, pipe.pk])
    link = NetworkLink.objects.get(asset=road)
    assert (link.surface, link.width_m, link.built_year) == ("earth", Decimal("3.50"), 2015)
    assert link.length_m == pytest.approx(900, rel=0.01)
