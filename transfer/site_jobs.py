"""Background jobs of the relocation sites' import (transfer.importers.sites), on the machinery
of transfer.jobs: the check (run every row through the site services and undo it, with a
workbook of the rows with problems) and the commit (all or nothing). The page polls the row's
progress and outcome (transfer.models.SiteImport)."""

import logging
from pathlib import Path
from typing import Any

from django.db import transaction
from django_tasks import task

from transfer.jobs import _check_file, commit_file, finish_file
from transfer.models import SiteImport

log = logging.getLogger(__name__)
KIND = "site-import"


def start_check(item: SiteImport) -> None:
    """Queue the check of an uploaded file of sites."""
    transaction.on_commit(lambda: check_site_import.enqueue(item.pk))


def _finish(pk: int, state: str, **values: Any) -> None:
    finish_file(SiteImport, pk, state, **values)


@task()
def check_site_import(pk: int) -> str:
    """Run every row through the site services and undo it all: the counts and every problem
    (and a workbook of the rows with problems) for the preview."""
    from transfer.importers import sites as site_importer

    def preview(item: SiteImport, **hooks: Any) -> Any:
        return site_importer.preview(Path(item.file.path), item.user, **hooks)

    return _check_file(SiteImport, pk, KIND, preview, _finish)


@task()
def commit_site_import(pk: int) -> str:
    """Check the file again and write it in one transaction, or write nothing."""
    from transfer.importers import sites as site_importer

    def commit(item: SiteImport, progress: Any) -> Any:
        return site_importer.commit(
            Path(item.file.path),
            item.user,
            command=f"import #{item.pk} {item.original_name}",
            progress=progress,
        )

    return commit_file(SiteImport, pk, KIND, commit)
