"""Leave room on the map-cell pages so that the counters' updates stay on their page (HOT
updates: no new index entries), which every asset write and every bulk import makes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("atlas_gis", "0004_statement_cell_triggers")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE atlas_gis_assetcell SET (fillfactor = 70)",
            "ALTER TABLE atlas_gis_assetcell RESET (fillfactor)",
        )
    ]
