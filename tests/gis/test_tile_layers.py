"""A tile layer is a declaration: a throwaway layer of village points, declared in a few lines,
is served by the tile URL with the user's scope, its attributes, clusters and the filters of
its FilterSet, exactly as the asset layer is. This is what the next kinds of record (projects,
relocation sites, infrastructure links) will do."""

import django_filters
import mapbox_vector_tile
import pytest
from django.contrib.gis.db.models.functions import Transform
from django.db.models import Q
from django.urls import reverse

from gis import tiles
from registry.models import AdminArea
from registry.scoping import visible_to
from tests.factories import tile_of

pytestmark = pytest.mark.django_db
LONGJU = "500101151000"


class VillageFilterSet(django_filters.FilterSet):
    kind = django_filters.CharFilter(field_name="kind")

    class Meta:
        model = AdminArea
        fields: list[str] = []


VILLAGES = tiles.TileLayer(
    name="villages",
    queryset=lambda user, filters: (
        visible_to(user, AdminArea.objects.filter(level="village"))
        .exclude(point=None)
        .annotate(merc=Transform("point", 3857))
    ),
    geometry="merc",
    attributes={"code": "code", "name": "name"},
    filterset=VillageFilterSet,
    feature_min_zoom=12,
    cluster_counts={"n_committees": Q(kind="villagers_committee")},
)


@pytest.fixture
def villages_layer(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(tiles.LAYERS, "villages", VILLAGES)


def fetch(client, z: int, x: int, y: int, **params: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(reverse("gis:tile", args=["villages", z, x, y]), params)
    assert response.status_code == 200, response.content[:300]
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def test_a_declared_layer_serves_features_clusters_and_filters(
    client, township_manager, villages_layer
):
    client.force_login(township_manager)  # 龙驹镇: sees its own villages only
    home = AdminArea.objects.get(code="500101151200").point
    z, x, y = tile_of(home.x, home.y, 13)
    features = fetch(client, z, x, y)["villages"]["features"]
    box = tiles.envelope(tiles.TileRequest(z, x, y), VILLAGES.buffer)
    expected = {
        v.code: v.name for v in VILLAGES.queryset(township_manager, {}).filter(merc__bboverlaps=box)
    }
    assert {f["properties"]["code"]: f["properties"]["name"] for f in features} == expected
    assert expected and all(code.startswith("500101151") for code in expected)
    assert {f["id"] for f in features} == set(
        AdminArea.objects.filter(code__in=expected).values_list("pk", flat=True)
    )

    # Below its feature zoom: clusters counting exactly the user's villages in the tile.
    z, x, y = tile_of(home.x, home.y, 8)
    clusters = fetch(client, z, x, y)["clusters"]["features"]
    in_tile = tiles.envelope(tiles.TileRequest(z, x, y))
    mine = VILLAGES.queryset(township_manager, {}).filter(merc__bboverlaps=in_tile)
    assert mine.count() > mine.filter(kind="villagers_committee").count() > 0
    assert sum(c["properties"]["n"] for c in clusters) == mine.count()
    assert sum(c["properties"]["n_committees"] for c in clusters) == (
        mine.filter(kind="villagers_committee").count()
    )

    # Its FilterSet narrows both; a layer without a data version is never cached.
    response = client.get(
        reverse("gis:tile", args=["villages", z, x, y]), {"kind": "residents_committee"}
    )
    assert response["Cache-Control"] == "private, no-store"
    narrowed = mapbox_vector_tile.decode(response.content)["clusters"]["features"]
    assert (
        sum(c["properties"]["n"] for c in narrowed)
        == mine.filter(kind="residents_committee").count()
    )


def test_the_map_page_lists_the_declared_layers(client, planner, villages_layer):
    client.force_login(planner)
    config = client.get(reverse("gis:map")).context["map_config"]
    assert set(config["tileLayers"]) == {
        "assets", "projects", "network", "sites", "places", "villages"
    }  # fmt: skip
    assert config["tileLayers"]["villages"]["featureMinZoom"] == 12
    assert config["tileLayers"]["villages"]["url"].endswith("/gis/tiles/villages/{z}/{x}/{y}.mvt")


def test_an_undeclared_layer_is_not_found(client, planner):
    client.force_login(planner)
    assert client.get(reverse("gis:tile", args=["parcels", 8, 207, 106])).status_code == 404
