"""Background jobs (Django's tasks framework, database backend; `manage.py db_worker` runs them).

An import is checked, and later committed, by the worker: the web request only stores the file
and queues the job, so a big file never holds a web process and the job survives a restart of
the web server. The job writes its progress and outcome on the AssetImport row, which the
import page polls.
"""

import logging
from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from gis import importers
from gis.models import AssetImport
from registry.errors import bilingual

log = logging.getLogger(__name__)


def start_check(item: AssetImport) -> None:
    transaction.on_commit(lambda: check_import.enqueue(item.pk))


def start_commit(item: AssetImport) -> None:
    transaction.on_commit(lambda: commit_import.enqueue(item.pk))


def progress_key(pk: int) -> str:
    return f"import:{pk}:rows"


def _progress(pk: int) -> Any:
    def report(rows: int) -> None:
        caches["jobs"].set(progress_key(pk), rows)

    return report


def rows_done(item: AssetImport) -> int:
    """Rows the running job has read so far (the row keeps the final count)."""
    if not item.busy:
        return item.rows_done
    return int(caches["jobs"].get(progress_key(item.pk)) or 0)


def _estimate_rows(path: Path) -> int:
    try:
        source = importers.open_source(path)
    except importers.ImportRefused:
        return 0
    try:
        return source.total
    finally:
        source.close()


@task()
def check_import(pk: int) -> str:
    """Read and check the file; record the counts and the first problems."""
    item = AssetImport.objects.select_related("user", "user__area").get(pk=pk)
    path = Path(item.file.path)
    caches["jobs"].set(progress_key(pk), 0)
    AssetImport.objects.filter(pk=pk).update(
        state=AssetImport.State.CHECKING, rows_done=0, rows_total=_estimate_rows(path)
    )
    try:
        outcome = importers.preview(path, item.user, gcj02=item.gcj02, progress=_progress(pk))
    except importers.ImportRefused as exc:
        _finish(pk, AssetImport.State.REJECTED, message=str(exc))
        return "rejected"
    except Exception as exc:
        log.exception("import %s: check failed", pk)
        _finish(pk, AssetImport.State.FAILED, message=_failure(exc))
        return "failed"
    _finish(pk, AssetImport.State.CHECKED, outcome=outcome.as_dict(), rows_done=outcome.rows)
    return "checked"


@task()
def commit_import(pk: int) -> str:
    """Check the file again and write it in one transaction, or write nothing."""
    item = AssetImport.objects.select_related("user", "user__area").get(pk=pk)
    path = Path(item.file.path)
    caches["jobs"].set(progress_key(pk), 0)
    AssetImport.objects.filter(pk=pk).update(state=AssetImport.State.COMMITTING, rows_done=0)
    try:
        outcome = importers.commit(
            path,
            item.user,
            gcj02=item.gcj02,
            label=f"import #{pk} {item.original_name}",
            progress=_progress(pk),
        )
    except importers.Rejected as exc:
        _finish(
            pk,
            AssetImport.State.CHECKED,
            outcome=exc.outcome.as_dict(),
            message=bilingual(gettext_noop("Some rows have problems now: nothing was imported.")),
        )
        return "rejected"
    except importers.ImportRefused as exc:
        _finish(pk, AssetImport.State.REJECTED, message=str(exc))
        return "rejected"
    except Exception as exc:
        log.exception("import %s: commit failed", pk)
        _finish(pk, AssetImport.State.FAILED, message=_failure(exc))
        return "failed"
    _finish(
        pk,
        AssetImport.State.COMMITTED,
        outcome=outcome.as_dict(),
        rows_done=outcome.rows,
        committed_at=timezone.now(),
    )
    return "committed"


def _finish(pk: int, state: str, **values: Any) -> None:
    AssetImport.objects.filter(pk=pk).update(
        state=state, finished_at=timezone.now(), rows_total=F("rows_total"), **values
    )


def _failure(exc: Exception) -> str:
    return bilingual(
        gettext_noop(
            "The job stopped on an unexpected error (%(error)s). Nothing was imported; the"
            " administrator can find the details in the worker's log."
        ),
        error=type(exc).__name__,
    )
