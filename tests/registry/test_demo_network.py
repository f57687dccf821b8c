"""The demo county's village groups and road and water network (registry.demo_network), as the
test database holds them after ``load_demo_county``: plausible, marked synthetic, measured on
the ellipsoid, owned and maintained by the right bodies, with the gaps promised in 龙驹镇 found
by the analysis (gis.network), and one road whose hardening closes a gap."""

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from gis.models import NetworkPlace, NetworkRun
from registry.choices import AreaKind, AreaLevel, NetworkType, PartyKind
from registry.demo import SOURCE_LABELS
from registry.demo_network import GROUP_SOURCE, LONGJU, XIANGDONG, fill_demo_network, harden_target
from registry.models import AdminArea, Asset, NetworkLink, User
from registry.services.network import network_link_set
from registry.views.areas import source_labels

pytestmark = pytest.mark.django_db

COUNTY = "500101"


def rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def network_assets() -> Any:
    return Asset.objects.filter(county_code=COUNTY, network__isnull=False)


# --- village groups ------------------------------------------------------------------------


def test_every_village_has_three_to_eight_groups_coded_after_it() -> None:
    villages = AdminArea.objects.filter(level=AreaLevel.VILLAGE, county_code=COUNTY)
    groups = AdminArea.objects.filter(level=AreaLevel.GROUP, county_code=COUNTY)
    per_village = Counter(groups.values_list("parent__code", flat=True))
    assert set(per_village) == set(villages.values_list("code", flat=True))
    assert min(per_village.values()) >= 3 and max(per_village.values()) <= 8
    assert 3 * 610 < groups.count() < 8 * 610
    for group in groups.select_related("parent"):
        assert group.parent is not None
        serial = int(group.code[12:])
        assert (
            group.code[:12] == group.parent.code and 1 <= serial <= per_village[group.parent.code]
        )
        assert group.kind == AreaKind.VILLAGE_GROUP
        assert 15 <= (group.households or 0) <= 80
        assert 2 * (group.households or 0) < (group.persons or 0) < 4 * (group.households or 0)
    names = Counter(groups.values_list("name", flat=True))
    assert names["一组"] > 300  # numbered groups ...
    assert sum(n for name, n in names.items() if "家" in name) > 100  # ... and natural villages


def test_group_names_are_unique_in_their_village() -> None:
    (dupes,) = rows(
        """SELECT count(*) FROM (SELECT parent_id, name FROM registry_adminarea
           WHERE level = 'group' GROUP BY 1, 2 HAVING count(*) > 1) d"""
    )[0]
    assert dupes == 0


def test_every_group_point_lies_inside_its_villages_outline() -> None:
    ((outside, no_point),) = rows(
        """SELECT count(*) FILTER (WHERE NOT ST_Covers(v.boundary, g.point)),
                  count(*) FILTER (WHERE g.point IS NULL)
           FROM registry_adminarea g JOIN registry_adminarea v ON v.id = g.parent_id
           WHERE g.level = 'group'"""
    )
    assert (outside, no_point) == (0, 0)


def test_groups_are_marked_synthetic_and_say_where_they_come_from() -> None:
    groups = AdminArea.objects.filter(level=AreaLevel.GROUP)
    assert not groups.filter(synthetic=False).exists()
    assert set(groups.values_list("source", flat=True)) == {GROUP_SOURCE}
    # The area page names the source in the reader's language, never the stored text.
    assert source_labels(GROUP_SOURCE) == [str(SOURCE_LABELS[GROUP_SOURCE])]
    assert "demo_network.py" not in source_labels(GROUP_SOURCE)[0]


# --- the network -------------------------------------------------------------------------------


def test_the_network_has_every_kind_of_link_in_plausible_numbers() -> None:
    kinds = Counter(NetworkLink.objects.values_list("network_type", flat=True))
    assert 6 <= kinds[NetworkType.WATER_SOURCE] <= 10
    assert kinds[NetworkType.COUNTY_ROAD] >= 52  # township seats linked, in pieces per township
    assert kinds[NetworkType.TOWNSHIP_ROAD] >= 52
    assert kinds[NetworkType.VILLAGE_ROAD] >= 300
    assert kinds[NetworkType.GROUP_ROAD] >= 610
    assert kinds[NetworkType.WATER_MAIN] >= 40
    assert kinds[NetworkType.WATER_BRANCH] >= 500
    # Most road length is hardened, a plausible share is not.
    ((hard_km, soft_km),) = rows(
        """SELECT sum(length_m) FILTER (WHERE hardened) / 1000,
                  sum(length_m) FILTER (WHERE NOT hardened) / 1000
           FROM registry_networklink WHERE network = 'road'"""
    )
    assert 0.75 < hard_km / (hard_km + soft_km) < 0.97
    # Widths and grades as their type has them.
    widths = {
        kind: (float(lo), float(hi))
        for kind, lo, hi in rows(
            "SELECT network_type, min(width_m), max(width_m) FROM registry_networklink "
            "WHERE network = 'road' GROUP BY 1"
        )
    }
    assert widths[NetworkType.COUNTY_ROAD][0] >= 7
    assert widths[NetworkType.TOWNSHIP_ROAD][0] >= 5.5
    assert widths[NetworkType.GROUP_ROAD][1] <= 4.5
    assert not NetworkLink.objects.filter(network="road", grade="").exists()
    assert not NetworkLink.objects.filter(network="water").exclude(surface="", grade="").exists()


def test_every_link_is_a_synthetic_public_asset_in_use_measured_on_the_ellipsoid() -> None:
    assets = network_assets()
    assert assets.count() > 2000
    assert not assets.filter(synthetic=False).exists()
    assert set(assets.values_list("asset_class", "status").distinct()) == {("public", "in_use")}
    assert set(assets.values_list("subtype", flat=True)) == {"road", "water_supply"}
    # length_m within 1 % of the geometry's length on the ellipsoid, and so is the quantity.
    ((links, off_length, off_quantity, not_km),) = rows(
        """SELECT count(*),
             count(*) FILTER (WHERE abs(l.length_m - ST_Length(a.geom::geography))
                                    > 0.01 * ST_Length(a.geom::geography)),
             count(*) FILTER (WHERE abs(a.quantity * 1000 - ST_Length(a.geom::geography))
                                    > 0.01 * ST_Length(a.geom::geography) + 1),
             count(*) FILTER (WHERE a.unit <> 'km')
           FROM registry_asset a JOIN registry_networklink l ON l.asset_id = a.id
           WHERE l.network_type <> 'water_source'"""
    )
    assert links > 2000 and (off_length, off_quantity, not_km) == (0, 0, 0)
    # Lines of 3 to 5 vertices per part (a road follows the ground), none degenerate.
    ((short, few, many),) = rows(
        """SELECT count(*) FILTER (WHERE ST_Length(d.geom::geography) < 20),
                  count(*) FILTER (WHERE ST_NPoints(d.geom) < 2),
                  count(*) FILTER (WHERE ST_NPoints(d.geom) > 5)
           FROM registry_asset a JOIN registry_networklink l ON l.asset_id = a.id,
                LATERAL ST_Dump(a.geom) d
           WHERE l.network_type IN ('group_road', 'village_road', 'township_road')"""
    )
    assert (short, few, many) == (0, 0, 0)
    values = rows(
        """SELECT l.network_type, percentile_cont(0.5) WITHIN GROUP
                  (ORDER BY a.original_value / nullif(a.quantity, 0))
           FROM registry_asset a JOIN registry_networklink l ON l.asset_id = a.id
           WHERE l.network_type <> 'water_source' AND l.hardened IS NOT FALSE
           GROUP BY 1"""
    )
    per_km = {kind: float(v) for kind, v in values}
    assert 2_000_000 < per_km[NetworkType.COUNTY_ROAD] < 5_000_000  # yuan per km
    assert 300_000 < per_km[NetworkType.GROUP_ROAD] < 700_000


def test_every_link_lies_where_the_register_allows_its_area() -> None:
    """validate_place's rule, in SQL for all at once: inside its township's boundary grown by
    0.01 degrees; the area is a village of the county."""
    ((outside, not_village),) = rows(
        """SELECT count(*) FILTER (WHERE NOT ST_Covers(ST_Buffer(t.boundary, 0.01), a.geom)),
                  count(*) FILTER (WHERE v.level <> 'village')
           FROM registry_asset a JOIN registry_networklink l ON l.asset_id = a.id
           JOIN registry_adminarea v ON v.id = a.area_id
           JOIN registry_adminarea t ON t.id = v.parent_id"""
    )
    assert (outside, not_village) == (0, 0)
    # Group roads lie in the village they serve.
    ((astray,),) = rows(
        """SELECT count(*) FROM registry_asset a JOIN registry_networklink l ON l.asset_id = a.id
           JOIN registry_adminarea v ON v.id = a.area_id
           WHERE l.network_type = 'group_road'
             AND NOT ST_Covers(ST_Buffer(v.boundary, 0.001), a.geom)"""
    )
    assert astray == 0


def test_every_link_has_its_owner_and_the_maintainer_its_type_calls_for() -> None:
    expected = {
        NetworkType.COUNTY_ROAD: ({"department"}, {"department"}),
        NetworkType.TOWNSHIP_ROAD: ({"department"}, {"department"}),
        NetworkType.VILLAGE_ROAD: ({"village_collective"}, {"township_government"}),
        NetworkType.GROUP_ROAD: ({"village_collective"}, {"village_collective"}),
        NetworkType.WATER_MAIN: ({"department"}, {"enterprise"}),
        NetworkType.WATER_SOURCE: ({"department"}, {"enterprise"}),
        NetworkType.WATER_BRANCH: ({"village_collective"}, {"village_collective"}),
    }
    found: dict[str, tuple[set[str], set[str]]] = {}
    for kind, owner_kind, owner_name, maintainer_kind, maintainer_name in rows(
        """SELECT l.network_type, po.kind, po.name, pm.kind, pm.name
           FROM registry_networklink l
           JOIN registry_ownershiprecord r ON r.asset_id = l.asset_id
           JOIN registry_ownershipshare s ON s.record_id = r.id AND s.percent = 100
           JOIN registry_party po ON po.id = s.party_id
           JOIN registry_maintenanceduty d ON d.asset_id = l.asset_id
           JOIN registry_party pm ON pm.id = d.maintainer_id"""
    ):
        owners, maintainers = found.setdefault(kind, (set(), set()))
        owners.add(owner_kind)
        maintainers.add(maintainer_kind)
        if kind in (NetworkType.COUNTY_ROAD, NetworkType.TOWNSHIP_ROAD):
            assert owner_name.endswith("交通运输局") and maintainer_name.endswith("交通运输局")
    assert found == expected
    ((links, owned, dutied),) = rows(
        """SELECT count(*),
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM registry_ownershiprecord r
                                                 WHERE r.asset_id = l.asset_id)),
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM registry_maintenanceduty d
                                                 WHERE d.asset_id = l.asset_id))
           FROM registry_networklink l"""
    )
    assert links == owned == dutied


def test_the_maintainers_are_parties_of_the_county() -> None:
    company = NetworkLink.objects.filter(network_type=NetworkType.WATER_MAIN).values_list(
        "asset__maintenance_duties__maintainer__kind", "asset__maintenance_duties__maintainer__name"
    )
    assert set(company) == {(PartyKind.ENTERPRISE, "万州区乡村供水有限公司")}


# --- the gaps ----------------------------------------------------------------------------------


def test_every_township_was_analysed_when_the_demo_was_loaded() -> None:
    runs = NetworkRun.objects.filter(county_code=COUNTY)
    assert runs.count() == 52
    groups = AdminArea.objects.filter(level=AreaLevel.GROUP, county_code=COUNTY).count()
    assert NetworkPlace.objects.filter(kind="group", county_code=COUNTY).count() == groups
    roads = Counter(NetworkPlace.objects.filter(kind="group").values_list("road", flat=True))
    # Most groups have a hardened road to their seat; some only an unhardened one; a few none.
    assert roads["hardened"] > 0.75 * groups
    assert 0.05 * groups < roads["unhardened"] < 0.2 * groups
    assert 0.005 * groups < roads["none"] < 0.05 * groups


def test_longju_has_the_gaps_promised() -> None:
    places = NetworkPlace.objects.filter(kind="group", township_code=LONGJU)
    roads = Counter(places.values_list("road", flat=True))
    assert roads["unhardened"] >= 3
    assert roads["none"] >= 1
    assert places.filter(water=False).count() >= 2
    assert roads["hardened"] > places.count() / 2
    # Gaps come with what closing them takes.
    for place in places.filter(road="unhardened"):
        assert place.harden_m and place.harden_m > 100
        assert place.hardened_gap_m is not None
    for place in places.filter(road="none"):
        assert place.harden_m is None and place.hardened_gap_m and place.hardened_gap_m > 150


def test_a_township_without_pipes_leaves_its_groups_and_sites_without_piped_water() -> None:
    """One township has no main and no branch (wells and cisterns): its places are gaps."""
    piped = {
        code[:9]
        for code in NetworkLink.objects.filter(
            network_type__in=[NetworkType.WATER_MAIN, NetworkType.WATER_BRANCH]
        ).values_list("asset__area_code", flat=True)
    }
    townships = AdminArea.objects.filter(level=AreaLevel.TOWNSHIP, county_code=COUNTY)
    dry = [t.code for t in townships if t.code[:9] not in piped]
    assert len(dry) == 1 and dry[0] != LONGJU
    places = NetworkPlace.objects.filter(township_code=dry[0])
    assert places.count() > 20
    assert places.filter(water=True).count() < 0.1 * places.count()


def test_hardening_the_one_gravel_road_of_xiangdong_closes_its_groups_gap(
    county_manager: User,
) -> None:
    road = harden_target()
    assert road is not None and road.area_code == XIANGDONG
    assert road.name.startswith("向东村") and road.name.endswith("组通组路")
    link = road.network
    assert link.surface in ("gravel", "earth") and not link.hardened
    served = NetworkPlace.objects.filter(
        kind="group", township_code=LONGJU, road="unhardened", area_code__startswith=XIANGDONG
    )
    assert served.count() == 1
    group = served.get()
    assert group.harden_m == pytest.approx(link.length_m, rel=0.02)
    gaps_before = NetworkPlace.objects.filter(township_code=LONGJU).exclude(road="hardened").count()

    network_link_set(
        actor=county_manager, asset=road, network_type=link.network_type, grade=link.grade,
        surface="concrete", width_m=Decimal("3.5"), built_year=link.built_year,
    )  # fmt: skip

    group = NetworkPlace.objects.get(kind="group", place_id=group.place_id)  # rows are rewritten
    assert (group.road, group.harden_m, group.hardened_gap_m) == ("hardened", None, None)
    after = NetworkPlace.objects.filter(township_code=LONGJU).exclude(road="hardened").count()
    assert after == gaps_before - 1


def test_filling_again_does_nothing_and_costs_a_few_queries(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    before = (AdminArea.objects.count(), Asset.objects.count(), NetworkLink.objects.count())
    with django_assert_max_num_queries(8):
        summary = fill_demo_network(county_code=COUNTY)
    assert (summary.groups, summary.links, summary.register_lines) == (0, 0, 0)
    assert (AdminArea.objects.count(), Asset.objects.count(), NetworkLink.objects.count()) == before


def test_a_countys_own_areas_get_no_demo_network() -> None:
    AdminArea.objects.filter(level=AreaLevel.VILLAGE).update(synthetic=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_asset")
        (assets,) = cursor.fetchone()
    summary = fill_demo_network(county_code=COUNTY)
    assert (summary.groups, summary.links) == (0, 0)
    assert Asset.objects.count() == assets
