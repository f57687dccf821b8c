"""Indexes for the asset search (registry.filtersets.AssetFilterSet.filter_q), which looks for a
term inside the name or the address (``UPPER(name) LIKE UPPER('%term%')``) and would otherwise
read every asset:

- pg_trgm GIN on UPPER(name), UPPER(address): serves terms of 3 or more characters (C.UTF-8
  counts Chinese characters as word characters, so ``show_trgm('向东村')`` has its trigrams);
- GIN on atlas_search_grams(UPPER(name), UPPER(address)), every 1- and 2-character piece of
  both texts: serves the 1- and 2-character terms trigrams cannot (a Chinese word is often two
  characters: 蔬菜, 鱼塘). pg_bigm would do this but is not packaged for Debian 12.

The function is plpgsql (about 10 µs per asset; an SQL ``ARRAY(SELECT ...)`` body took 25 µs)
and uses only pg_catalog functions, so pg_restore can rebuild the index with an empty
search_path. Its declared COST is low on purpose: the search evaluates the cheap LIKE first
and calls the function only for rows that match, and a COST of 100 (the default) made the
planner run walks along the code index in parallel workers (each of which starts PROJ for the
search's ST_Transform: 200-300 ms more). It stays above the LIKE's cost, so that the LIKE
comes first.

It also adds the asset table's change counter, atlas_asset_version: one row that every
statement changing registry_asset raises (clock-based, so never reused after a rollback). The
asset list keeps its count in the cache under it (registry.selectors.asset_list_count). The
map's atlas_gis_tileversion did this until gis migration 0007 made it move only on rebuilds.
Like that counter, it makes transactions that write assets wait for one another at this row.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION atlas_search_grams(a text, b text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 2 AS $$
-- Every 1- and 2-character piece of a and of b (none across the two), duplicates included:
-- GIN keeps each key once per row. 'ab', 'c' -> {a, ab, b, c}.
DECLARE
  grams text[] := '{}';
  s text;
  n int;
BEGIN
  FOREACH s IN ARRAY ARRAY[a, b] LOOP
    CONTINUE WHEN s IS NULL;
    n := char_length(s);
    FOR i IN 1..n LOOP
      grams := grams || substr(s, i, 1);
      IF i < n THEN
        grams := grams || substr(s, i, 2);
      END IF;
    END LOOP;
  END LOOP;
  RETURN grams;
END
$$;
"""

VERSION_COUNTER = """
CREATE TABLE IF NOT EXISTS atlas_asset_version (
  id int PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO atlas_asset_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION atlas_asset_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE atlas_asset_version
     SET version = greatest(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
   WHERE id = 1;
  RETURN NULL;
END $$;
CREATE TRIGGER atlas_asset_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registry_asset
  FOR EACH STATEMENT EXECUTE FUNCTION atlas_asset_version_bump();
"""

VERSION_COUNTER_UNDO = """
DROP TRIGGER IF EXISTS atlas_asset_version ON registry_asset;
DROP FUNCTION IF EXISTS atlas_asset_version_bump();
DROP TABLE IF EXISTS atlas_asset_version;
"""


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_constraint_messages")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(GRAMS_FUNCTION, "DROP FUNCTION IF EXISTS atlas_search_grams(text, text)"),
        migrations.AddIndex(
            model_name="asset",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                ),
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("address"), name="gin_trgm_ops"
                ),
                name="asset_name_address_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=django.contrib.postgres.indexes.GinIndex(
                models.Func(
                    django.db.models.functions.text.Upper("name"),
                    django.db.models.functions.text.Upper("address"),
                    function="atlas_search_grams",
                    output_field=django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), size=None
                    ),
                ),
                name="asset_search_grams",
            ),
        ),
        migrations.RunSQL(VERSION_COUNTER, VERSION_COUNTER_UNDO),
        # Statistics of the new index expressions, so that the planner knows a rare term from
        # a common one (a common term is answered faster by walking the code index).
        migrations.RunSQL("ANALYZE registry_asset", migrations.RunSQL.noop),
    ]
