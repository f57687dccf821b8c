"""Geometries the register cannot draw or export are refused on the form with a field error, and
rows stored before that rule are repaired so that no asset page or export breaks for good."""

import json
import zipfile

import pytest
from django.db import connection
from django.urls import reverse

from registry.models import Asset
from registry.services.assets import asset_register
from tests.factories import asset_form_data, asset_input

pytestmark = pytest.mark.django_db


def lonlat() -> tuple[float, float]:
    point = asset_input().values["geom"]
    return point.x, point.y


def bad_geometries() -> dict[str, str]:
    x, y = lonlat()
    return {
        "nested collection": json.dumps(
            {
                "type": "GeometryCollection",
                "geometries": [
                    {
                        "type": "GeometryCollection",
                        "geometries": [{"type": "Point", "coordinates": [x, y]}],
                    }
                ],
            }
        ),
        "collection": json.dumps(
            {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Point", "coordinates": [x, y]},
                    {"type": "LineString", "coordinates": [[x, y], [x + 0.001, y]]},
                ],
            }
        ),
        "empty polygon": '{"type":"Polygon","coordinates":[]}',
        # An empty part crashed the database server (libgeos 3.11 in ST_PointOnSurface).
        "empty part": json.dumps(
            {
                "type": "MultiPolygon",
                "coordinates": [[], [[[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y]]]],
            }
        ),
        "overflowing number": '{"type":"Point","coordinates":[1e400,30]}',
        "NaN": '{"type":"Point","coordinates":[NaN,30]}',
        "unknown SRID": f"SRID=999999;POINT({x} {y})",
        "projected SRID": "SRID=4524;POINT(36500000 3400000)",
        "3D point": json.dumps({"type": "Point", "coordinates": [x, y, 12.5]}),
        "measured WKT": f"POINT M ({x} {y} 3)",
        "not a geometry": "hello",
        "NUL byte": "POINT(1 2)\x00",
        "outside the township": json.dumps({"type": "Point", "coordinates": [x + 1.5, y]}),
        "bow tie": json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]
                ],
            }
        ),
    }


CASES = ["nested collection", "collection", "empty polygon", "overflowing number", "NaN",
         "unknown SRID", "projected SRID", "3D point", "measured WKT", "not a geometry",
         "NUL byte", "empty part", "outside the township", "bow tie"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_a_geometry_the_register_cannot_keep_gets_a_field_error(case, client, village_clerk):
    client.force_login(village_clerk)
    before = Asset.objects.count()
    response = client.post(
        reverse("registry:asset_create"), asset_form_data(geom=bad_geometries()[case])
    )
    assert response.status_code == 400, response.content[:300]
    errors = response.context["form"].errors
    assert "geom" in errors, errors
    assert " / " in errors["geom"][0]  # Chinese / English
    assert set(bad_geometries()) == set(CASES)
    assert Asset.objects.count() == before


def test_a_crs_link_in_the_form_geometry_is_not_followed(client, village_clerk):
    """The crs member is dropped before parsing; the point itself is kept."""
    x, y = lonlat()
    client.force_login(village_clerk)
    geom = {"type": "Point", "coordinates": [x, y], "crs": {"type": "name",
            "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}}  # fmt: skip
    response = client.post(reverse("registry:asset_create"), asset_form_data(geom=json.dumps(geom)))
    assert response.status_code == 302


def test_multi_part_shapes_of_one_kind_are_kept(client, village_clerk):
    x, y = lonlat()
    client.force_login(village_clerk)
    geom = {"type": "MultiPoint", "coordinates": [[x, y], [x + 0.001, y + 0.001]]}
    response = client.post(reverse("registry:asset_create"), asset_form_data(geom=json.dumps(geom)))
    assert response.status_code == 302
    assert Asset.objects.order_by("-pk").first().geom.geom_type == "MultiPoint"


def test_the_database_refuses_an_undrawable_geometry_too(county_manager):
    from django.db import IntegrityError, transaction

    asset = asset_register(actor=county_manager, data=asset_input())
    x, y = lonlat()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_asset SET geom = ST_GeomFromText(%s, 4490) WHERE id = %s",
            [f"GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT({x} {y})))", asset.pk],
        )


@pytest.mark.parametrize(
    "wkt",
    ["MULTIPOINT (EMPTY, (108.6 30.7))", "MULTILINESTRING ((108.6 30.7, 108.7 30.8), EMPTY)",
     "MULTIPOLYGON (EMPTY, ((108.6 30.7, 108.7 30.7, 108.7 30.8, 108.6 30.7)))"],
)  # fmt: skip
def test_the_database_rule_refuses_an_empty_part(wkt):
    # The constraints' own function is asked, not a stored row: storing such a shape is what
    # crashed the server (GEOS 3.11 in the cell trigger) before the rule refused it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT atlas_drawable(ST_GeomFromText(%s, 4490)),"
            " atlas_drawable(ST_CollectionExtract(ST_GeomFromText(%s, 4490)))",
            [wkt, wkt.replace("EMPTY, ", "").replace(", EMPTY", "")],
        )
        assert cursor.fetchone() == (False, True)
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conname IN ('asset_geom_drawable', 'assetevent_geom_drawable')"
        )
        assert [row[0] for row in cursor.fetchall()] == ["CHECK (atlas_drawable(geom))"] * 2


def test_rows_stored_before_the_rule_are_repaired_and_their_pages_work(client, county_manager):
    """As an old database had them: a nested collection in the asset row and its history."""
    from importlib import import_module

    repair = import_module("registry.migrations.0005_drawable_geometries").repair
    asset = asset_register(actor=county_manager, data=asset_input())
    x, y = lonlat()
    line = f"LINESTRING({x} {y}, {x + 0.001} {y})"
    nested = f"GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT({x} {y}), {line}))"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no trigger
        cursor.execute("ALTER TABLE registry_asset DROP CONSTRAINT asset_geom_drawable")
        cursor.execute("ALTER TABLE registry_assetevent DROP CONSTRAINT assetevent_geom_drawable")
        cursor.execute(
            "UPDATE registry_asset SET geom = ST_GeomFromText(%s, 4490) WHERE id = %s",
            [nested, asset.pk],
        )
    client.force_login(county_manager)
    url = reverse("registry:asset_detail", args=[asset.code])
    with connection.cursor() as cursor:  # what the defect looked like, to be sure we test it
        cursor.execute("SAVEPOINT before_page")
        try:
            broken = client.get(url).status_code
        except Exception:
            broken = 500
        cursor.execute("ROLLBACK TO SAVEPOINT before_page")
    assert broken == 500

    class Editor:
        connection = connection

    repair(None, Editor())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE registry_asset ADD CONSTRAINT asset_geom_drawable"
                       " CHECK (atlas_drawable(geom))")  # fmt: skip
        cursor.execute("ALTER TABLE registry_assetevent ADD CONSTRAINT assetevent_geom_drawable"
                       " CHECK (atlas_drawable(geom))")  # fmt: skip
        cursor.execute("SELECT count(*) FROM atlas_geometry_repair WHERE row_id IN (%s)"
                       " OR table_name = 'registry_assetevent'", [asset.pk])  # fmt: skip
        assert cursor.fetchone()[0] >= 2  # the originals are kept for auditors
    asset.refresh_from_db()
    assert asset.geom.geom_type == "MultiLineString"  # the parts of the highest dimension
    assert client.get(url).status_code == 200
    export = client.get(reverse("transfer:asset_export", args=["shp"]), {"q": asset.code})
    assert export.status_code == 200
    with zipfile.ZipFile(__import__("io").BytesIO(b"".join(export.streaming_content))) as z:
        assert any(n.endswith(".shp") for n in z.namelist())
