"""Keep the map cells in step per statement instead of per row.

The row trigger of 0002 made 14 upserts for every asset written; a bulk import of 100,000
assets spent half its time there. These statement triggers read the statement's transition
tables (the rows it inserted, changed or removed) and apply them to all 14 levels with one
aggregated upsert, so a one-row edit costs the same and a bulk write costs one pass.
The cell arithmetic is the same as atlas_cells_apply and atlas_cells_rebuild (0002).
"""

from django.db import migrations

SQL = r"""
DROP TRIGGER IF EXISTS atlas_asset_cells ON registry_asset;

CREATE OR REPLACE FUNCTION atlas_asset_cells_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  h CONSTANT float8 := 20037508.342789244;
  s13 CONSTANT float8 := (2 * 20037508.342789244) / 8192 / 16;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS atlas_cell_delta (
    p geometry, area_code text, asset_class text, status text, d int
  ) ON COMMIT DROP;
  TRUNCATE atlas_cell_delta;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO atlas_cell_delta
      SELECT ST_PointOnSurface(geom_3857), area_code, asset_class, status, 1 FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO atlas_cell_delta
      SELECT ST_PointOnSurface(geom_3857), area_code, asset_class, status, -1 FROM old_rows;
  ELSE
    INSERT INTO atlas_cell_delta
      SELECT ST_PointOnSurface(o.geom_3857), o.area_code, o.asset_class, o.status, -1
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o.geom_3857 IS DISTINCT FROM n.geom_3857 OR o.area_code <> n.area_code
         OR o.asset_class <> n.asset_class OR o.status <> n.status
      UNION ALL
      SELECT ST_PointOnSurface(n.geom_3857), n.area_code, n.asset_class, n.status, 1
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o.geom_3857 IS DISTINCT FROM n.geom_3857 OR o.area_code <> n.area_code
         OR o.asset_class <> n.asset_class OR o.status <> n.status;
  END IF;
  INSERT INTO atlas_gis_assetcell (z, cx, cy, area_code, asset_class, status, n, sx, sy)
  SELECT l, c13x >> (13 - l), c13y >> (13 - l), area_code, asset_class, status,
         sum(d), sum(d * x), sum(d * y)
  FROM (
    SELECT floor((ST_X(p) + h) / s13)::int AS c13x, floor((h - ST_Y(p)) / s13)::int AS c13y,
           ST_X(p) AS x, ST_Y(p) AS y, area_code, asset_class, status, d
    FROM atlas_cell_delta WHERE p IS NOT NULL AND NOT ST_IsEmpty(p)
  ) AS pts CROSS JOIN generate_series(0, 13) AS l
  GROUP BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (z, cx, cy, area_code, asset_class, status) DO UPDATE
    SET n = atlas_gis_assetcell.n + EXCLUDED.n,
        sx = atlas_gis_assetcell.sx + EXCLUDED.sx,
        sy = atlas_gis_assetcell.sy + EXCLUDED.sy;
  RETURN NULL;
END $$;

CREATE TRIGGER atlas_asset_cells_ins AFTER INSERT ON registry_asset
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION atlas_asset_cells_stmt();
CREATE TRIGGER atlas_asset_cells_upd AFTER UPDATE ON registry_asset
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_asset_cells_stmt();
CREATE TRIGGER atlas_asset_cells_del AFTER DELETE ON registry_asset
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION atlas_asset_cells_stmt();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS atlas_asset_cells_ins ON registry_asset;
DROP TRIGGER IF EXISTS atlas_asset_cells_upd ON registry_asset;
DROP TRIGGER IF EXISTS atlas_asset_cells_del ON registry_asset;
DROP FUNCTION IF EXISTS atlas_asset_cells_stmt();
CREATE TRIGGER atlas_asset_cells AFTER INSERT OR UPDATE OR DELETE ON registry_asset
  FOR EACH ROW EXECUTE FUNCTION atlas_asset_cells();
"""


class Migration(migrations.Migration):
    dependencies = [("atlas_gis", "0003_asset_import")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
