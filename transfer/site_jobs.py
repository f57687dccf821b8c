"""Background jobs of the relocation sites' import (transfer.importers.sites), on the machinery
of transfer.jobs: the check (run every row through the site services and undo it, with a
workbook of the rows with problems) and the commit (all or nothing). The page polls the row's
progress and outcome (transfer.models.SiteImport)."""

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from registry.errors import bilingual
from transfer import importers
from transfer.jobs import _check_file, _failure, _progress, progress_key, storable, time_limit
from transfer.models import SiteImport

log = logging.getLogger(__name__)
KIND = "site-import"


def start_check(item: SiteImport) -> None:
    """Queue the check of an uploaded file of sites."""
    transaction.on_commit(lambda: check_site_import.enqueue(item.pk))


def rows_done(item: SiteImport) -> int:
    """Rows the running job has read so far (the row keeps the final count)."""
    if not item.busy:
        return item.rows_done
    return int(caches["jobs"].get(progress_key(item.pk, KIND)) or 0)


def can_commit(item: SiteImport) -> bool:
    """Checked, without a single problem, and with something to write."""
    outcome = item.outcome or {}
    return (
        item.state == SiteImport.State.CHECKED
        and outcome.get("errors") == 0
        and outcome.get("create", 0) + outcome.get("update", 0) > 0
    )


def request_commit(item: SiteImport) -> bool:
    """Queue the commit of a checked file, once; False when it may not be committed."""
    with transaction.atomic():
        current = SiteImport.objects.select_for_update().get(pk=item.pk)
        if not can_commit(current):
            return False
        current.state = SiteImport.State.QUEUED
        current.commit_requested = True
        current.save(update_fields=["state", "commit_requested"])
        transaction.on_commit(lambda: commit_site_import.enqueue(current.pk))
    return True


def _finish(pk: int, state: str, **values: Any) -> None:
    SiteImport.objects.filter(pk=pk).update(
        state=state, finished_at=timezone.now(), **{k: storable(v) for k, v in values.items()}
    )


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

    item = SiteImport.objects.select_related("user", "user__area").get(pk=pk)
    caches["jobs"].set(progress_key(pk, KIND), 0)
    SiteImport.objects.filter(pk=pk).update(state=SiteImport.State.COMMITTING, rows_done=0)
    try:
        with time_limit(settings.JOB_TIME_LIMIT):
            outcome = site_importer.commit(
                Path(item.file.path),
                item.user,
                command=f"import #{pk} {item.original_name}",
                progress=_progress(pk, KIND),
            )
    except site_importer.Rejected as exc:
        _finish(
            pk,
            SiteImport.State.CHECKED,
            outcome=exc.outcome.as_dict(),
            message=bilingual(gettext_noop("Some rows have problems now: nothing was imported.")),
            problems_file="",
        )
        return "rejected"
    except importers.ImportRefused as exc:
        _finish(pk, SiteImport.State.REJECTED, message=str(exc))
        return "rejected"
    except Exception as exc:
        log.exception("site import %s: commit failed", pk)
        _finish(pk, SiteImport.State.FAILED, message=_failure(exc))
        return "failed"
    _finish(
        pk,
        SiteImport.State.COMMITTED,
        outcome=outcome.as_dict(),
        rows_done=outcome.rows,
        committed_at=timezone.now(),
    )
    return "committed"
