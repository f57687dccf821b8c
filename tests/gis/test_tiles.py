"""Vector tiles: scoped, filtered, consistent with the register, and never stale."""

import mapbox_vector_tile
import pytest
from django.db import connection
from django.urls import reverse

from gis.tiles import rebuild_cells
from registry.demo_assets import generate_register
from registry.models import Asset
from registry.services.assets import asset_set_status
from tests.factories import tile_of

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"
CELLS = (
    "SELECT z, cx, cy, area_code, asset_class, status, n FROM atlas_gis_assetcell"
    " WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
)


@pytest.fixture
def register(db):  # type: ignore[no-untyped-def]
    generate_register(assets=400, seed=11)


def fetch(client, z: int, x: int, y: int, **params: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(reverse("gis:tile", args=["assets", z, x, y]), params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def cell_sums() -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT z, sum(n) FROM atlas_gis_assetcell GROUP BY z")
        return {z: int(n) for z, n in cursor.fetchall()}


def test_cells_follow_every_insert_and_equal_a_full_rebuild(register):
    with_geometry = Asset.objects.filter(geom__isnull=False).count()
    assert with_geometry > 0
    assert cell_sums() == {z: with_geometry for z in range(14)}
    with connection.cursor() as cursor:
        cursor.execute(CELLS)
        incremental = cursor.fetchall()
        rebuild_cells()
        cursor.execute(CELLS)
        assert cursor.fetchall() == incremental


def test_county_tile_clusters_count_every_asset_the_planner_may_see(client, planner, register):
    client.force_login(planner)
    tile = fetch(client, 6, 51, 26)  # 万州区 lies in one zoom-6 tile
    clusters = tile["clusters"]["features"]
    assert (
        sum(f["properties"]["n"] for f in clusters)
        == Asset.objects.filter(geom__isnull=False).count()
    )


def test_village_clerk_tiles_hold_only_their_village(client, village_clerk, register):
    client.force_login(village_clerk)
    own = Asset.objects.filter(area_code=XIANGDONG, geom__isnull=False)
    own_ids = set(own.values_list("id", flat=True))
    assert own_ids, "the register should place some assets in 向东村"
    clusters = fetch(client, 6, 51, 26)["clusters"]["features"]
    assert sum(f["properties"]["n"] for f in clusters) == len(own_ids)
    seen: set[int] = set()
    for asset in own:
        lon, lat = asset.geom.point_on_surface.coords
        for feature in fetch(client, *tile_of(lon, lat, 15)).get("assets", {}).get("features", []):
            seen.add(feature["id"])
    assert seen == own_ids


def test_class_filter_and_a_filter_the_cells_cannot_answer(client, planner, register):
    client.force_login(planner)
    public = fetch(client, 6, 51, 26, asset_class="public")["clusters"]["features"]
    assert (
        sum(f["properties"]["n"] for f in public)
        == Asset.objects.filter(asset_class="public", geom__isnull=False).count()
    )
    assert all(f["properties"].get("n_operating", 0) == 0 for f in public)
    roads = fetch(client, 6, 51, 26, subtype="road")["clusters"]["features"]  # aggregated live
    assert (
        sum(f["properties"]["n"] for f in roads)
        == Asset.objects.filter(subtype="road", geom__isnull=False).count()
    )
    road = Asset.objects.filter(subtype="road", geom__isnull=False).order_by("code").first()
    lon, lat = road.geom.point_on_surface.coords
    tile = fetch(client, *tile_of(lon, lat, 16), subtype="road")
    assert "assets" in tile, (road.code, road.geom.wkt, tile_of(lon, lat, 16))
    features = tile["assets"]["features"]
    assert road.pk in {f["id"] for f in features}
    assert {f["properties"]["t"] for f in features} == {"road"}


def test_a_changed_asset_shows_on_the_next_request(client, county_manager, register):
    client.force_login(county_manager)
    asset = Asset.objects.filter(status="in_use", geom__isnull=False).first()
    lon, lat = asset.geom.point_on_surface.coords
    z, x, y = tile_of(lon, lat, 16)
    url = reverse("gis:tile", args=["assets", z, x, y])
    first = client.get(url)
    statuses = {
        f["id"]: f["properties"]["s"]
        for f in mapbox_vector_tile.decode(first.content)["assets"]["features"]
    }
    assert statuses[asset.pk] == "in_use"
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    asset_set_status(
        actor=county_manager, asset=asset, status="idle", expected_version=asset.version
    )
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    statuses = {
        f["id"]: f["properties"]["s"]
        for f in mapbox_vector_tile.decode(second.content)["assets"]["features"]
    }
    assert statuses[asset.pk] == "idle"
    idle = fetch(client, 6, 51, 26, status="idle")["clusters"]["features"]
    assert (
        sum(f["properties"]["n"] for f in idle)
        == Asset.objects.filter(status="idle", geom__isnull=False).count()
    )


def test_bad_tile_requests_are_404_or_400_never_500(client, planner):
    client.force_login(planner)
    assert client.get(reverse("gis:tile", args=["assets", 3, 9, 0])).status_code == 404
    assert client.get(reverse("gis:tile", args=["assets", 25, 0, 0])).status_code == 404
    assert (
        client.get(reverse("gis:tile", args=["assets", 6, 51, 26]), {"status": "lost"}).status_code
        == 400
    )


def test_popup_and_search_are_scoped(client, village_clerk, planner, register):
    outside = Asset.objects.exclude(area_code=XIANGDONG).first()
    client.force_login(village_clerk)
    assert client.get(reverse("gis:asset_popup", args=[outside.pk])).status_code == 404
    assert client.get(reverse("gis:asset_search"), {"q": outside.code}).json()["results"] == []
    client.force_login(planner)
    popup = client.get(reverse("gis:asset_popup", args=[outside.pk])).json()
    assert popup["code"] == outside.code and popup["url"].endswith(f"/assets/{outside.code}/")
    found = client.get(reverse("gis:asset_search"), {"q": outside.code}).json()["results"]
    assert [r["code"] for r in found] == [outside.code]
    assert 107.5 < found[0]["lon"] < 109.0


def test_township_indicators_cover_the_townships_in_scope(client, township_manager, register):
    client.force_login(township_manager)
    data = client.get(reverse("gis:township_indicators"), {"indicator": "confirmed_rate"}).json()
    assert [f["properties"]["name"] for f in data["features"]] == ["龙驹镇"]
    value = data["features"][0]["properties"]["value"]
    assert value is None or 0 <= value <= 100
    assert client.get(reverse("gis:township_indicators"), {"indicator": "x"}).status_code == 400


def test_an_edit_invalidates_the_tiles_over_it_and_no_others(county_manager):
    """Tiles are keyed by the version of the z12 regions under them: an edit in 向东村 leaves
    the cached tiles of the rest of the county valid."""
    from gis import tiles
    from registry.services.assets import asset_register
    from tests.factories import asset_input, tile_of

    asset = asset_register(actor=county_manager, data=asset_input())
    lon, lat = asset.geom.x, asset.geom.y
    near = tiles.TileRequest(*tile_of(lon, lat, 15))
    far = tiles.TileRequest(*tile_of(lon + 0.5, lat - 0.3, 15))
    county = tiles.TileRequest(*tile_of(lon, lat, 8))
    before = {t: tiles.data_version(t) for t in (near, far, county)}
    Asset.objects.filter(pk=asset.pk).update(name="改名后的资产")
    after = {t: tiles.data_version(t) for t in (near, far, county)}
    assert after[near] > before[near]
    assert after[county] > before[county]  # a low-zoom tile over the change
    assert after[far] == before[far]
