"""The import and export jobs, taken over from gis (atlas_gis.0008) with their tables and rows:
the models are created in the migration state only; the tables exist already. Their content
types and permissions move with them."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Keep the permissions (and admin log entries) of the two models: their content types
    change app, not identity."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("assetimport", "exportjob"):
        if not content_type.objects.filter(app_label="transfer", model=model).exists():
            content_type.objects.filter(app_label="atlas_gis", model=model).update(
                app_label="transfer"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("atlas_gis", "0008_jobs_move_to_transfer"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='AssetImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                ('file', models.FileField(max_length=300, upload_to='imports/%Y/%m/', verbose_name='file')),
                ('original_name', models.CharField(max_length=200, verbose_name='original file name')),
                ('size', models.BigIntegerField(verbose_name='size (bytes)')),
                ('gcj02', models.BooleanField(default=False, verbose_name='positions in GCJ-02 (phone map apps)')),
                ('state', models.CharField(choices=[('queued', 'waiting for the worker'), ('checking', 'checking'), ('checked', 'checked'), ('committing', 'importing'), ('committed', 'imported'), ('rejected', 'refused'), ('failed', 'failed')], default='queued', max_length=12, verbose_name='state')),
                ('commit_requested', models.BooleanField(default=False)),
                ('rows_done', models.PositiveIntegerField(default=0)),
                ('rows_total', models.PositiveIntegerField(default=0)),
                ('outcome', models.JSONField(blank=True, default=dict)),
                ('message', models.TextField(blank=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('committed_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
            ],
            options={
                'verbose_name': 'asset import',
                'verbose_name_plural': 'asset imports',
                'db_table': 'atlas_gis_assetimport',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='ExportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='requested at')),
                ('fmt', models.CharField(max_length=10, verbose_name='format')),
                ('params', models.JSONField(blank=True, default=list, verbose_name='filters')),
                ('history', models.BooleanField(default=False, verbose_name='with change history')),
                ('state', models.CharField(choices=[('queued', 'waiting for the worker'), ('running', 'exporting'), ('done', 'ready'), ('failed', 'failed')], default='queued', max_length=10, verbose_name='state')),
                ('rows_total', models.PositiveIntegerField(default=0)),
                ('file', models.FileField(blank=True, max_length=300, upload_to='exports/%Y/%m/', verbose_name='file')),
                ('message', models.TextField(blank=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'export',
                'verbose_name_plural': 'exports',
                'db_table': 'atlas_gis_exportjob',
                'ordering': ['-created_at'],
            },
        ),
        ], database_operations=[]),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(
            model_name='assetimport',
            trigger=pgtrigger.compiler.Trigger(name='protect_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;", hash='dd8175d9669b74dbe12ae7fc324c4cea8df749cc', operation='DELETE', pgid='pgtrigger_protect_delete_545be', table='atlas_gis_assetimport', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='exportjob',
            trigger=pgtrigger.compiler.Trigger(name='protect_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;", hash='6246a25f09a714a28ee240807e91845b6c8116e7', operation='DELETE', pgid='pgtrigger_protect_delete_65834', table='atlas_gis_exportjob', when='BEFORE')),
        ),
    ]
