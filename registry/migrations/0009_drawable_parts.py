"""The database refuses multi-part geometries with an empty part too, as registry.geometry does:
storing MULTIPOINT ((1 2), EMPTY) crashed the PostgreSQL server (GEOS 3.11, ST_PointOnSurface in
the asset-cell trigger), so no such row can have been stored; the constraints are validated
again all the same, so that a database restored from elsewhere is checked by the new rule."""

from django.db import migrations

from registry.geometry import DRAWABLE_SQL

PREVIOUS = """
CREATE OR REPLACE FUNCTION atlas_drawable(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN g IS NULL OR (
    GeometryType(g) IN ('POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING',
                        'MULTIPOLYGON')
    AND NOT ST_IsEmpty(g) AND ST_NDims(g) = 2
    AND ST_XMin(g) >= -180 AND ST_XMax(g) <= 180
    AND ST_YMin(g) >= -85 AND ST_YMax(g) <= 85);
"""

REVALIDATE = """
ALTER TABLE registry_asset DROP CONSTRAINT asset_geom_drawable;
ALTER TABLE registry_asset ADD CONSTRAINT asset_geom_drawable CHECK (atlas_drawable(geom));
ALTER TABLE registry_assetevent DROP CONSTRAINT assetevent_geom_drawable;
ALTER TABLE registry_assetevent
  ADD CONSTRAINT assetevent_geom_drawable CHECK (atlas_drawable(geom));
"""


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_form_submissions")]

    operations = [
        migrations.RunSQL(DRAWABLE_SQL + REVALIDATE, PREVIOUS),
    ]
