"""The import and export jobs move to the transfer app (files in and out). Their tables and rows
stay where they are (transfer.0001 takes them over by name); only the models' state leaves gis.
The delete-protection triggers are dropped here and created again under transfer's names by
transfer.0001, so the tables are protected before and after."""

import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("atlas_gis", "0007_tile_regions")]

    operations = [
        pgtrigger.migrations.RemoveTrigger(model_name="assetimport", name="protect_delete"),
        pgtrigger.migrations.RemoveTrigger(model_name="exportjob", name="protect_delete"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="exportjob", name="user"),
                migrations.DeleteModel(name="AssetImport"),
                migrations.DeleteModel(name="ExportJob"),
            ],
            database_operations=[],
        ),
    ]
