from django.db import migrations

# The network layer's tiles (gis.tiles.network) are cached under the assets' z12 region
# versions. The asset table's triggers raise them when a link is drawn, moved or retired; these
# raise them when a link's network attributes change (a road hardened, a type corrected), for
# the regions its asset covers. Statement triggers with transition tables, as 0007's.
SQL = r"""
CREATE OR REPLACE FUNCTION atlas_network_tile_regions_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO atlas_gis_tileregion (x, y, version)
      SELECT DISTINCT r.x, r.y, v
      FROM new_rows n JOIN registry_asset a ON a.id = n.asset_id
      CROSS JOIN LATERAL atlas_regions(a.geom_3857) r
    ON CONFLICT (x, y) DO UPDATE
      SET version = greatest(atlas_gis_tileregion.version + 1, EXCLUDED.version);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO atlas_gis_tileregion (x, y, version)
      SELECT DISTINCT r.x, r.y, v
      FROM old_rows o JOIN registry_asset a ON a.id = o.asset_id
      CROSS JOIN LATERAL atlas_regions(a.geom_3857) r
    ON CONFLICT (x, y) DO UPDATE
      SET version = greatest(atlas_gis_tileregion.version + 1, EXCLUDED.version);
  ELSE
    INSERT INTO atlas_gis_tileregion (x, y, version)
      SELECT DISTINCT r.x, r.y, v
      FROM (SELECT asset_id FROM new_rows UNION SELECT asset_id FROM old_rows) changed
      JOIN registry_asset a ON a.id = changed.asset_id
      CROSS JOIN LATERAL atlas_regions(a.geom_3857) r
    ON CONFLICT (x, y) DO UPDATE
      SET version = greatest(atlas_gis_tileregion.version + 1, EXCLUDED.version);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER atlas_network_tile_regions_ins AFTER INSERT ON registry_networklink
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_network_tile_regions_stmt();
CREATE TRIGGER atlas_network_tile_regions_upd AFTER UPDATE ON registry_networklink
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_network_tile_regions_stmt();
CREATE TRIGGER atlas_network_tile_regions_del AFTER DELETE ON registry_networklink
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_network_tile_regions_stmt();
CREATE TRIGGER atlas_network_tile_version AFTER TRUNCATE ON registry_networklink
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_tile_version_bump();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS atlas_network_tile_regions_ins ON registry_networklink;
DROP TRIGGER IF EXISTS atlas_network_tile_regions_upd ON registry_networklink;
DROP TRIGGER IF EXISTS atlas_network_tile_regions_del ON registry_networklink;
DROP TRIGGER IF EXISTS atlas_network_tile_version ON registry_networklink;
DROP FUNCTION IF EXISTS atlas_network_tile_regions_stmt();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("atlas_gis", "0011_network_places"),
        ("registry", "0019_relocation_sites_network"),
    ]

    operations = [
        migrations.RunSQL(SQL, REVERSE),
    ]
