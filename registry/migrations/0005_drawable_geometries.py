"""Every stored asset geometry, and every history row of one, is a shape the register can draw
and export (registry.geometry): rows stored before the rule existed are repaired, their original
value kept in atlas_geometry_repair, and a CHECK constraint keeps it so from now on."""

import pghistory
from django.db import migrations

# The rule as it stood when this migration was written (0009 adds empty parts).
DRAWABLE_SQL = """
CREATE OR REPLACE FUNCTION atlas_drawable(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN g IS NULL OR (
    GeometryType(g) IN ('POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING',
                        'MULTIPOLYGON')
    AND NOT ST_IsEmpty(g) AND ST_NDims(g) = 2
    AND ST_XMin(g) >= -180 AND ST_XMax(g) <= 180
    AND ST_YMin(g) >= -85 AND ST_YMax(g) <= 85);
"""

REPAIR_FUNCTION = """
CREATE OR REPLACE FUNCTION atlas_repair_geometry(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE SET search_path = public, pg_catalog AS $$
  -- Collections keep their parts of the highest dimension (a point + a line -> the line);
  -- heights and measures are dropped; what is still not drawable becomes NULL.
  WITH flat AS (
    SELECT ST_Force2D(CASE WHEN GeometryType(g) LIKE 'GEOMETRYCOLLECTION%%'
                           THEN ST_CollectionExtract(g) ELSE g END) AS h)
  SELECT CASE WHEN atlas_drawable(h) THEN h END FROM flat
$$;
CREATE TABLE IF NOT EXISTS atlas_geometry_repair (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  row_id bigint NOT NULL,
  original_ewkt text NOT NULL,
  repaired_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE atlas_geometry_repair IS
  'Geometries changed by migration registry.0005 (collections, Z/M, empty, out of range): the '
  'original value of each repaired row, for auditors.';
"""

CONSTRAINTS = """
ALTER TABLE registry_asset ADD CONSTRAINT asset_geom_drawable CHECK (atlas_drawable(geom));
ALTER TABLE registry_assetevent
  ADD CONSTRAINT assetevent_geom_drawable CHECK (atlas_drawable(geom));
"""

UNDO = """
ALTER TABLE registry_asset DROP CONSTRAINT IF EXISTS asset_geom_drawable;
ALTER TABLE registry_assetevent DROP CONSTRAINT IF EXISTS assetevent_geom_drawable;
"""


def repair(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        for table, key in (("registry_asset", "id"), ("registry_assetevent", "pgh_id")):
            cursor.execute(
                f"INSERT INTO atlas_geometry_repair (table_name, row_id, original_ewkt)"
                f" SELECT '{table}', {key}, ST_AsEWKT(geom) FROM {table}"
                f" WHERE NOT atlas_drawable(geom)"
            )
        # The asset rows' repair is itself recorded in their history, by the usual trigger.
        with pghistory.context(command="migration registry.0005: repair geometries"):
            cursor.execute(
                "UPDATE registry_asset SET geom = atlas_repair_geometry(geom)"
                " WHERE NOT atlas_drawable(geom)"
            )
        cursor.execute(
            "UPDATE registry_assetevent SET geom = atlas_repair_geometry(geom)"
            " WHERE NOT atlas_drawable(geom)"
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_asset_geom_3857")]

    operations = [
        migrations.RunSQL(DRAWABLE_SQL, "DROP FUNCTION IF EXISTS atlas_drawable(geometry)"),
        migrations.RunSQL(
            REPAIR_FUNCTION, "DROP FUNCTION IF EXISTS atlas_repair_geometry(geometry)"
        ),
        migrations.RunPython(repair, migrations.RunPython.noop),
        migrations.RunSQL(CONSTRAINTS, UNDO),
    ]
