"""Keep the map's derived tables in step with the asset register, in the database.

- atlas_cells_apply / atlas_asset_cells: every insert, update or delete of an asset adds or
  removes it from its cell at each zoom level 0-13 (14 small upserts), so low-zoom tiles are
  never stale. Bulk loads disable this trigger and call atlas_cells_rebuild() once.
- atlas_tile_version: every statement that changes assets raises one counter; cached tiles are
  keyed by it.
Cells: 16 x 16 per tile; level-13 cell indexes are computed once and shifted for lower levels,
so the trigger and the rebuild always agree on a point's cell.
"""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION atlas_cells_apply(p geometry, area text, cls text, st text, delta int)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  h CONSTANT float8 := 20037508.342789244;
  s13 CONSTANT float8 := (2 * 20037508.342789244) / 8192 / 16;
  x float8; y float8; c13x int; c13y int; lvl int;
BEGIN
  IF p IS NULL OR ST_IsEmpty(p) THEN RETURN; END IF;
  x := ST_X(p); y := ST_Y(p);
  c13x := floor((x + h) / s13)::int; c13y := floor((h - y) / s13)::int;
  FOR lvl IN 0..13 LOOP
    INSERT INTO atlas_gis_assetcell (z, cx, cy, area_code, asset_class, status, n, sx, sy)
    VALUES (lvl, c13x >> (13 - lvl), c13y >> (13 - lvl), area, cls, st, delta, delta * x, delta * y)
    ON CONFLICT (z, cx, cy, area_code, asset_class, status) DO UPDATE
      SET n = atlas_gis_assetcell.n + EXCLUDED.n,
          sx = atlas_gis_assetcell.sx + EXCLUDED.sx,
          sy = atlas_gis_assetcell.sy + EXCLUDED.sy;
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION atlas_asset_cells() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.geom_3857 IS NOT DISTINCT FROM NEW.geom_3857
     AND OLD.area_code = NEW.area_code AND OLD.asset_class = NEW.asset_class
     AND OLD.status = NEW.status THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM atlas_cells_apply(ST_PointOnSurface(OLD.geom_3857), OLD.area_code, OLD.asset_class, OLD.status, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM atlas_cells_apply(ST_PointOnSurface(NEW.geom_3857), NEW.area_code, NEW.asset_class, NEW.status, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER atlas_asset_cells AFTER INSERT OR UPDATE OR DELETE ON registry_asset
  FOR EACH ROW EXECUTE FUNCTION atlas_asset_cells();

CREATE OR REPLACE FUNCTION atlas_cells_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  h CONSTANT float8 := 20037508.342789244;
  s13 CONSTANT float8 := (2 * 20037508.342789244) / 8192 / 16;
  lvl int;
BEGIN
  DELETE FROM atlas_gis_assetcell;
  INSERT INTO atlas_gis_assetcell (z, cx, cy, area_code, asset_class, status, n, sx, sy)
  SELECT 13, floor((ST_X(p) + h) / s13)::int, floor((h - ST_Y(p)) / s13)::int,
         area_code, asset_class, status, count(*), sum(ST_X(p)), sum(ST_Y(p))
  FROM (SELECT ST_PointOnSurface(geom_3857) AS p, area_code, asset_class, status
        FROM registry_asset WHERE geom_3857 IS NOT NULL AND NOT ST_IsEmpty(geom_3857)) a
  GROUP BY 1, 2, 3, 4, 5, 6;
  FOR lvl IN REVERSE 12..0 LOOP
    INSERT INTO atlas_gis_assetcell (z, cx, cy, area_code, asset_class, status, n, sx, sy)
    SELECT lvl, c.cx >> 1, c.cy >> 1, c.area_code, c.asset_class, c.status, sum(c.n), sum(c.sx), sum(c.sy)
    FROM atlas_gis_assetcell c WHERE c.z = lvl + 1
    GROUP BY 2, 3, 4, 5, 6;
  END LOOP;
END $$;

INSERT INTO atlas_gis_tileversion (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

CREATE OR REPLACE FUNCTION atlas_tile_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A clock-based version: never reused after a rollback, never equal across databases.
  UPDATE atlas_gis_tileversion
     SET version = greatest(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
   WHERE id = 1;
  RETURN NULL;
END $$;

CREATE TRIGGER atlas_tile_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registry_asset
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_tile_version_bump();

SELECT atlas_cells_rebuild();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS atlas_tile_version ON registry_asset;
DROP TRIGGER IF EXISTS atlas_asset_cells ON registry_asset;
DROP FUNCTION IF EXISTS atlas_tile_version_bump();
DROP FUNCTION IF EXISTS atlas_cells_rebuild();
DROP FUNCTION IF EXISTS atlas_asset_cells();
DROP FUNCTION IF EXISTS atlas_cells_apply(geometry, text, text, text, int);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("atlas_gis", "0001_tile_tables"),
        ("registry", "0004_asset_geom_3857"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
