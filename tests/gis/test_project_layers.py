"""The map's project and need layers: project tiles (features from zoom 14, clusters counted by
stage group below it) scoped to the projects touching the user's area and filtered by the
library's filters, never stale after a change; the project popup and the need layer scoped."""

from decimal import Decimal

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString, Point, Polygon
from django.db import connection
from django.urls import reverse

from gis import tiles
from gis.tiles.projects import STAGE_GROUPS
from registry.choices import ProjectStatus
from registry.models import AdminArea, ConstructionNeed, Project
from registry.services.projects import project_approve
from tests.factories import map_need, map_project, tile_of, village

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"  # 向东村, the village of village_clerk
COUNTY_TILE = (6, 51, 26)  # 万州区 lies in one zoom-6 tile


def fetch(client, z: int, x: int, y: int, **params: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(reverse("gis:tile", args=["projects", z, x, y]), params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def features(client, project: Project, **params: str) -> dict[int, dict]:  # type: ignore[no-untyped-def]
    """The project features of the zoom-15 tile under ``project``, by id."""
    lon, lat = project.geom.point_on_surface.coords
    tile = fetch(client, *tile_of(lon, lat, 15), **params)
    return {f["id"]: f["properties"] for f in tile.get("projects", {}).get("features", [])}


def clusters(client, **params: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The county tile's cluster counts added up: n and n_<stage group> (a count of none may
    be left out of a tile)."""
    totals: dict[str, int] = {"n": 0, **{f"n_{key}": 0 for key in STAGE_GROUPS}}
    for feature in fetch(client, *COUNTY_TILE, **params).get("clusters", {}).get("features", []):
        for key, value in feature["properties"].items():
            totals[key] = totals.get(key, 0) + value
    return totals


@pytest.fixture
def places() -> dict[str, AdminArea]:
    """向东村, another village of 龙驹镇, and a village of another township."""
    sibling = (
        AdminArea.objects.filter(parent__code="500101151000", point__isnull=False)
        .exclude(code=XIANGDONG)
        .order_by("code")
        .first()
    )
    other = (
        AdminArea.objects.filter(level="village", point__isnull=False)
        .exclude(code__startswith="500101151")
        .order_by("code")
        .first()
    )
    assert sibling and other
    return {"XD": village(), "SIB": sibling, "OTH": other}


@pytest.fixture
def projects(places) -> dict[str, Project]:  # type: ignore[no-untyped-def]
    """A project of each shape and of several stages and years; one led from the sibling
    village that also touches 向东村 (a road between them) and lies beside the sibling's own."""
    xd, sib, oth = places["XD"], places["SIB"], places["OTH"]
    x, y = xd.point.coords
    sx, sy = sib.point.coords
    ox, oy = oth.point.coords
    return {
        "xd_point": map_project(xd, status="in_progress", year=2024, name="向东村冷库"),
        "sib_road": map_project(
            sib, status="planned", year=2025, name="两村连接路", other_areas=(xd,),
            geom=LineString((sx, sy), (sx + 0.004, sy + 0.002), srid=4490),
        ),
        "sib_own": map_project(
            sib, status="accepted", year=2023, name="邻村蓄水池",
            geom=Point(sx + 0.001, sy + 0.0005, srid=4490), category="industry",
        ),
        "oth_area": map_project(
            oth, status="withdrawn", year=2024, name="外镇产业园",
            geom=Polygon.from_bbox((ox, oy, ox + 0.003, oy + 0.002)), category="industry",
        ),
        "xd_proposed": map_project(xd, status="proposed", year=2025, name="向东村便民桥",
                                   geom=Point(x - 0.003, y - 0.002, srid=4490)),
    }  # fmt: skip


def test_project_tiles_draw_each_project_from_zoom_14_and_clusters_by_stage_below(
    client, planner, projects
):
    client.force_login(planner)
    point, road, area = projects["xd_point"], projects["sib_road"], projects["oth_area"]
    drawn = features(client, point)
    assert drawn[point.pk] == {"s": "in_progress", "g": "building", "y": 2024, "d": 0}
    assert features(client, road)[road.pk]["d"] == 1  # a line stays a line
    assert features(client, area)[area.pk] == {"s": "withdrawn", "g": "closed", "y": 2024, "d": 2}

    # Below zoom 14: one cluster per cell, the whole county's projects counted by stage group.
    totals = clusters(client)
    placed = Project.objects.filter(geom__isnull=False)
    assert totals["n"] == placed.count() >= 5
    for key, (_label, statuses) in STAGE_GROUPS.items():
        assert totals[f"n_{key}"] == placed.filter(status__in=statuses).count(), key
    assert totals["n_building"] >= 1 and totals["n_closed"] >= 1
    z13 = fetch(client, *tile_of(*point.geom.coords, 13))
    assert "projects" not in z13 and z13["clusters"]["features"]


CELLS = (
    "SELECT z, cx, cy, county_code, status, year, category, n, round(sx), round(sy)"
    " FROM atlas_gis_projectcell WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7"
)


def test_project_cells_follow_every_change_and_equal_a_full_rebuild(county_approver, projects):
    """The county view's clusters come from cells kept in step by triggers: after inserts,
    a change of stage (by the service), a move and a change of year, the cells are what a
    full recount gives, and every level counts every placed project."""
    project_approve(actor=county_approver, project=map_project(village(), status="appraised"))
    moved = projects["sib_own"]
    Project.objects.filter(pk=moved.pk).update(
        geom=Point(108.2, 30.6, srid=4490), year=2022, category="employment"
    )
    Project.objects.filter(pk=projects["oth_area"].pk).update(geom=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT z, sum(n) FROM atlas_gis_projectcell GROUP BY z")
        placed = Project.objects.filter(geom__isnull=False).count()
        assert dict(cursor.fetchall()) == {z: placed for z in range(14)}
        cursor.execute(CELLS)
        incremental = cursor.fetchall()
        tiles.rebuild_project_cells()
        cursor.execute(CELLS)
        assert cursor.fetchall() == incremental


def test_every_status_belongs_to_one_stage_group():
    grouped = [s for _label, statuses in STAGE_GROUPS.values() for s in statuses]
    assert sorted(grouped) == sorted(ProjectStatus.values)


def test_a_village_clerk_sees_only_projects_touching_their_village(
    client, village_clerk, township_manager, projects
):
    client.force_login(village_clerk)
    totals = clusters(client)
    assert totals["n"] == 3  # its two own projects and the road from the sibling village
    visible = {projects[k].pk for k in ("xd_point", "xd_proposed", "sib_road")}
    road, own, far = projects["sib_road"], projects["sib_own"], projects["oth_area"]
    assert road.pk in features(client, road)  # led from the sibling village, reaches 向东村
    assert own.pk not in features(client, own)  # the sibling village's own
    assert far.pk not in features(client, far)
    for project in projects.values():
        assert set(features(client, project)) <= visible

    client.force_login(township_manager)  # 龙驹镇: every project of its villages, no other
    assert clusters(client)["n"] == 4
    assert own.pk in features(client, own)
    assert far.pk not in features(client, far)


def test_stage_year_and_category_filters_change_the_features(client, planner, projects):
    client.force_login(planner)
    road, own = projects["sib_road"], projects["sib_own"]
    assert road.pk in features(client, road) and own.pk in features(client, own)
    library = ",".join(STAGE_GROUPS["library"][1])
    assert road.pk in features(client, road, status=library)
    assert own.pk not in features(client, own, status=library)
    assert own.pk in features(client, own, year="2023")
    assert road.pk not in features(client, road, year="2023")
    assert own.pk in features(client, own, category="industry")
    assert road.pk not in features(client, road, category="industry")
    assert features(client, own, year="2019") == {}

    assert clusters(client, status=library) == {"n": 1, "n_library": 1} | {
        f"n_{key}": 0 for key in STAGE_GROUPS if key != "library"
    }
    assert clusters(client, year="2024")["n"] == 2
    assert clusters(client, category="industry")["n"] == 2
    bad = client.get(reverse("gis:tile", args=["projects", *COUNTY_TILE]), {"status": "lost"})
    assert bad.status_code == 400


def test_a_changed_project_shows_on_the_next_request(client, county_approver, places):
    project = map_project(places["XD"], status="appraised", name="向东村污水处理站")
    client.force_login(county_approver)
    lon, lat = project.geom.coords
    url = reverse("gis:tile", args=["projects", *tile_of(lon, lat, 15)])
    first = client.get(url)
    drawn = mapbox_vector_tile.decode(first.content)["projects"]["features"]
    assert {f["id"]: f["properties"]["s"] for f in drawn}[project.pk] == "appraised"
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    project_approve(actor=county_approver, project=project)  # into the library

    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    drawn = mapbox_vector_tile.decode(second.content)["projects"]["features"]
    assert {f["id"]: f["properties"]["g"] for f in drawn}[project.pk] == "library"
    # Moved away: gone from its old tile, drawn in its new one.
    Project.objects.filter(pk=project.pk).update(geom=Point(lon + 0.2, lat, srid=4490))
    body = client.get(url).content
    moved = mapbox_vector_tile.decode(body) if body else {}
    assert project.pk not in {f["id"] for f in moved.get("projects", {}).get("features", [])}
    project.refresh_from_db()
    assert project.pk in features(client, project)


def test_the_project_popup_tells_the_project_and_is_scoped(
    client, planner, village_clerk, projects
):
    road, own = projects["sib_road"], projects["sib_own"]
    client.force_login(planner)
    popup = client.get(reverse("gis:project_popup", args=[road.pk])).json()
    assert popup["code"] == road.code and popup["name"] == "两村连接路"
    assert popup["status"] == road.get_status_display() and popup["stage"] == "library"
    assert popup["year"] == 2025
    assert popup["area"] == f"龙驹镇 {road.area.short_name}"
    assert popup["planned"] == "35.00"  # 350,000 yuan in 万元
    assert popup["url"] in (None, f"/projects/{road.code}/")

    client.force_login(village_clerk)
    assert client.get(reverse("gis:project_popup", args=[road.pk])).status_code == 200
    assert client.get(reverse("gis:project_popup", args=[own.pk])).status_code == 404
    assert client.get(reverse("gis:project_popup", args=[10**9])).status_code == 404


def test_the_need_layer_holds_the_villages_needs_with_a_place(
    client, village_clerk, township_manager, places
):
    road = map_need(places["XD"], title="向东村三组通组路")
    x, y = places["XD"].point.coords
    line = LineString((x, y), (x + 0.003, y + 0.001), srid=4490)
    water = map_need(places["XD"], title="向东村饮水管网", category="water", geom=line)
    unplaced = map_need(places["XD"], title="向东村未定位需求")
    ConstructionNeed.objects.filter(pk=unplaced.pk).update(geom=None)
    sibling = map_need(places["SIB"], title="邻村路灯", category="power")

    client.force_login(village_clerk)
    data = client.get(reverse("gis:needs_geojson")).json()
    by_title = {f["properties"]["title"]: f for f in data["features"]}
    assert set(by_title) == {road.title, water.title}
    props = by_title[road.title]["properties"]
    assert props["village"] == "向东村" and props["years"] == "2025–2027"
    assert props["category"] == "village_road" and props["status"] == road.get_status_display()
    assert by_title[water.title]["geometry"]["type"] == "LineString"

    client.force_login(township_manager)
    titles = {
        f["properties"]["title"]
        for f in client.get(reverse("gis:needs_geojson"), {"category": "power"}).json()["features"]
    }
    assert titles == {sibling.title}
    assert client.get(reverse("gis:needs_geojson"), {"status": "lost"}).status_code == 400


def test_the_map_page_offers_the_project_layers(client, village_clerk, projects):
    client.force_login(village_clerk)
    config = client.get(reverse("gis:map"), {"layers": "projects,needs,parcels"}).context[
        "map_config"
    ]
    assert config["tileLayers"]["projects"]["featureMinZoom"] == tiles.PROJECTS.feature_min_zoom
    assert config["initialLayers"] == ["projects", "needs"]
    assert [s["key"] for s in config["projectStages"]] == list(STAGE_GROUPS)
    # The years of the projects the clerk may see, newest first.
    assert [year for year, _label in config["choices"]["project_year"]] == [2025, 2024]
    assert client.get(reverse("gis:map")).context["map_config"]["initialLayers"] == []


def test_planned_investment_sums_every_funding_line(client, planner, places):
    from registry.models import FundSource, ProjectFunding

    project = map_project(places["OTH"], planned=Decimal("1234567.89"))
    ProjectFunding.objects.create(
        project=project, source=FundSource.objects.get(code="county"), planned=Decimal("10000")
    )
    client.force_login(planner)
    assert client.get(reverse("gis:project_popup", args=[project.pk])).json()["planned"] == (
        "124.46"
    )
