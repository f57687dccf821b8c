"""The writes of files in and out: uploading a ledger or a project library (an import job) and
asking for an export too big to wait for (an export job). Pages and commands call these; the
jobs run in the worker (transfer.jobs). Each is one transaction, attributed to its actor like
the registry's services."""

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from registry.models import User
from registry.services import service
from transfer import jobs
from transfer.models import AssetImport, ExportJob, ProjectImport


@service
def import_upload(*, actor: User, upload: UploadedFile, gcj02: bool = False) -> AssetImport:
    """Keep an uploaded ledger and queue the reading of its columns, then its check (the
    preview); nothing is imported yet."""
    name = Path(upload.name or "ledger").name
    item = AssetImport(user=actor, original_name=name[:200], size=upload.size or 0, gcj02=gcj02)
    item.file.save(name[-80:], upload, save=False)
    item.save()
    jobs.start_read(item)
    return item


@service
def export_start(
    *,
    actor: User,
    fmt: str,
    params: list[list[Any]],
    history: bool,
    rows_total: int,
    ledger: str = "assets",
) -> ExportJob:
    """Queue an export job: the worker applies ``params`` (the list's filters as they were on
    screen) again with the actor's scope and writes the file (``ledger``: "assets" or
    "projects")."""
    job = ExportJob.objects.create(
        user=actor, fmt=fmt, history=history, rows_total=rows_total, params=params, ledger=ledger
    )
    jobs.start_export(job)
    return job


@service
def project_import_upload(*, actor: User, upload: UploadedFile) -> ProjectImport:
    """Keep an uploaded project library and queue its check (the preview); nothing is imported
    yet."""
    name = Path(upload.name or "library").name
    item = ProjectImport(user=actor, original_name=name[:200], size=upload.size or 0)
    item.file.save(name[-80:], upload, save=False)
    item.save()
    jobs.start_project_check(item)
    return item


@service
def site_import_upload(*, actor: User, upload: UploadedFile) -> Any:
    """Keep an uploaded file of relocation sites and queue its check (the preview); nothing is
    imported yet."""
    from transfer import site_jobs
    from transfer.models import SiteImport

    name = Path(upload.name or "sites").name
    item = SiteImport(user=actor, original_name=name[:200], size=upload.size or 0)
    item.file.save(name[-80:], upload, save=False)
    item.save()
    site_jobs.start_check(item)
    return item
