"""Map layers: valid RFC 7946 GeoJSON, filtered like the lists, in a fixed number of queries."""

import json

import pytest
from django.urls import reverse

from registry import selectors

pytestmark = pytest.mark.django_db


def features(client, **params):
    response = client.get(reverse("gis:areas_geojson"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)["features"]


def test_township_layer_is_geojson_in_lon_lat_with_names_codes_and_links(client, planner):
    client.force_login(planner)
    townships = features(client, level="township")
    assert len(townships) == 52
    longju = next(f for f in townships if f["properties"]["code"] == "500101151000")
    assert longju["properties"]["name"] == "龙驹镇"
    assert longju["properties"]["url"] == "/areas/500101151000/"
    assert longju["properties"]["synthetic"] is True
    assert longju["geometry"]["type"] == "MultiPolygon"
    lon, lat = longju["geometry"]["coordinates"][0][0][0]
    assert 107.5 < lon < 109.0 and 30.2 < lat < 31.3  # RFC 7946 order: longitude first


def test_village_layer_is_points_and_search_filters_it(client, planner):
    client.force_login(planner)
    villages = features(client, level="village")
    assert len(villages) == 610
    assert {f["geometry"]["type"] for f in villages} == {"Point"}
    found = features(client, level="village", q="向东村")
    assert [f["properties"]["code"] for f in found] == ["500101151200"]
    by_code = features(client, q="500101151")
    assert len(by_code) == 22


def test_village_outlines_come_on_request_and_the_asset_form_keeps_village_points(client, planner):
    client.force_login(planner)
    outlines = features(client, level="village", shape="outline")
    assert len(outlines) == 610
    assert {f["geometry"]["type"] for f in outlines} == {"MultiPolygon"}
    assert {f["properties"]["synthetic"] for f in outlines} == {True}
    # Townships stay outlines whatever is asked; the drawing form places villages by points.
    assert {f["geometry"]["type"] for f in features(client, level="township")} == {"MultiPolygon"}
    shapes: dict[bool, set[str]] = {True: set(), False: set()}
    for row in selectors.area_reference(user=planner):
        shapes[row["name"].endswith("委员会")].add(json.loads(row["shape"])["type"])
    assert shapes == {True: {"Point"}, False: {"MultiPolygon"}}  # villages, townships


def test_a_village_or_township_user_draws_among_village_outlines(township_manager, village_clerk):
    """A clerk drawing a need or an asset sees the village's outline, not a lone point."""
    own = selectors.area_reference(user=village_clerk)
    assert [(r["name"], json.loads(r["shape"])["type"]) for r in own] == [
        ("向东村村民委员会", "MultiPolygon")
    ]
    township = selectors.area_reference(user=township_manager)
    assert {json.loads(r["shape"])["type"] for r in township} == {"MultiPolygon"}
    assert sum(r["level"] == "village" for r in township) > 10


def test_bad_filter_value_is_a_400_not_a_500(client, planner):
    client.force_login(planner)
    response = client.get(reverse("gis:areas_geojson"), {"level": "planet"})
    assert response.status_code == 400
    (message,) = response.json()["errors"]["level"]  # as every layer and export says it
    assert "选择一个有效的选项" in message and "Select a valid choice" in message


def test_layer_query_count_does_not_grow_with_rows(client, planner, django_assert_max_num_queries):
    client.force_login(planner)
    for level in ("township", "village"):
        with django_assert_max_num_queries(4):
            features(client, level=level)


def test_river_layer(client, planner):
    client.force_login(planner)
    response = client.get(reverse("gis:waterways_geojson"))
    rivers = json.loads(response.content)["features"]
    assert [r["properties"]["name"] for r in rivers] == ["长江"]
    assert rivers[0]["geometry"]["type"] == "MultiLineString"


def test_map_page_renders_for_a_planner(client, planner):
    client.force_login(planner)
    response = client.get(reverse("gis:map"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="atlas-map"' in page and "map-config" in page
    assert "/static/leaflet/leaflet.js" in page
