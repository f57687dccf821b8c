"""Background jobs (Django's tasks framework, database backend; `manage.py db_worker` runs them).

An import is checked, and later committed, by the worker, and so is a big export: the web
request only stores what was asked and queues the job, so a big file never holds a web process
and the job survives a restart of the web server. The job writes its progress and outcome on
its row (AssetImport, ExportJob), which the page polls.
"""

import contextlib
import logging
import shutil
import signal
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from registry.errors import bilingual
from transfer import importers
from transfer.importers import mapping as column_mapping
from transfer.importers.options import YUAN, ImportOptions
from transfer.importers.run import missing_columns
from transfer.models import AssetImport, ExportJob, ImportLayout, ProjectImport

log = logging.getLogger(__name__)


class JobTimeout(Exception):
    """The job ran past settings.JOB_TIME_LIMIT seconds; its transaction is rolled back."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Stop the job after ``seconds``: Python code by SIGALRM (the worker runs jobs in its main
    thread), SQL by the session's statement_timeout (a signal waits for libpq to return)."""
    use_signal = threading.current_thread() is threading.main_thread()

    def expire(signum: int, frame: Any) -> None:
        raise JobTimeout(seconds)

    previous: Any = None
    if use_signal:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{seconds}s"])
    try:
        yield
    finally:
        if use_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        with contextlib.suppress(Exception), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', '0', false)")


def start_read(item: AssetImport) -> None:
    """Queue the reading of an upload's columns (the mapping step), then its check."""
    transaction.on_commit(lambda: read_import.enqueue(item.pk))


def options_for(item: AssetImport) -> ImportOptions:
    """How the worker reads an upload: the mapping its user made (or our headers), the values
    for the whole file, the money unit, and the decisions taken on the preview."""
    mapping = item.mapping or {}
    return ImportOptions(
        columns=mapping.get("columns"),
        header_row=mapping.get("header_row"),
        fixed=mapping.get("fixed") or {},
        value_unit=mapping.get("value_unit") or YUAN,
        gcj02=item.gcj02,
        keep_duplicates=frozenset(item.keep_duplicates or []),
        keep_all_duplicates=item.keep_all_duplicates,
        confirm_values=item.confirm_values,
    )


def can_commit(item: AssetImport) -> bool:
    """Checked, without a single problem or missing column, and with something to write."""
    outcome = item.outcome or {}
    return (
        item.state == AssetImport.State.CHECKED
        and outcome.get("errors") == 0
        and not outcome.get("incomplete")
        and outcome.get("create", 0) + outcome.get("update", 0) + outcome.get("duplicates", 0) > 0
    )


def request_commit(
    item: AssetImport,
    *,
    keep_duplicates: list[str] | None = None,
    keep_all_duplicates: bool = False,
    confirm_values: bool = False,
) -> bool:
    """Queue the commit of a checked import, once, with the user's decisions on the likely
    duplicates and unusual values; False when it may not be committed."""
    with transaction.atomic():
        current = AssetImport.objects.select_for_update().get(pk=item.pk)
        if not can_commit(current):
            return False
        unusual = (current.outcome or {}).get("unusual", 0)
        if unusual and not confirm_values:
            return False
        current.state = AssetImport.State.QUEUED
        current.commit_requested = True
        current.keep_duplicates = sorted(set(keep_duplicates or []))
        current.keep_all_duplicates = keep_all_duplicates
        current.confirm_values = confirm_values
        current.save(
            update_fields=[
                "state", "commit_requested", "keep_duplicates", "keep_all_duplicates",
                "confirm_values",
            ]
        )  # fmt: skip
        transaction.on_commit(lambda: commit_import.enqueue(current.pk))
    return True


# Values for the whole file that belong to that file, not to its layout: the next file of the
# same layout (another village's, another year's) is not given them without being asked.
PER_FILE = ("area_code", "formed_on")


def remember_mapping(item: AssetImport, mapping: dict[str, Any]) -> bool:
    """Keep the user's mapping on the upload, and for the next file of the same layout (but
    its per-file values), and queue the check with it. False when the upload is busy or
    imported already (another tab, a double click): nothing changes."""
    signature = (item.layout or {}).get("signature", "")
    with transaction.atomic():
        current = AssetImport.objects.select_for_update().get(pk=item.pk)
        if current.busy or current.state == AssetImport.State.COMMITTED or not current.layout:
            return False
        current.mapping = mapping
        current.state = AssetImport.State.QUEUED
        current.outcome = {}
        current.message = ""
        current.commit_requested = False
        current.keep_duplicates = []
        current.keep_all_duplicates = False
        current.confirm_values = False
        current.save(
            update_fields=[
                "mapping", "state", "outcome", "message", "commit_requested", "keep_duplicates",
                "keep_all_duplicates", "confirm_values",
            ]
        )  # fmt: skip
        if signature:
            fixed = {k: v for k, v in (mapping.get("fixed") or {}).items() if k not in PER_FILE}
            ImportLayout.objects.update_or_create(
                user=item.user,
                signature=signature,
                defaults={
                    "mapping": {**mapping, "fixed": fixed},
                    "example": item.original_name[:200],
                },
            )
        transaction.on_commit(lambda: check_import.enqueue(current.pk))
    return True


@task()
def read_import(pk: int) -> str:
    """Read the upload's own columns. A file with our headers, or of a layout its user mapped
    before, goes on to the check at once; any other waits for the user's mapping."""
    item = AssetImport.objects.select_related("user", "user__area").get(pk=pk)
    AssetImport.objects.filter(pk=pk).update(state=AssetImport.State.READING)
    try:
        with time_limit(settings.JOB_TIME_LIMIT):
            layout = column_mapping.inspect(Path(item.file.path), item.user)
    except importers.ImportRefused as exc:
        _finish(pk, AssetImport.State.REJECTED, message=str(exc))
        return "rejected"
    except Exception as exc:
        log.exception("import %s: reading the columns failed", pk)
        _finish(pk, AssetImport.State.FAILED, message=_failure(exc))
        return "failed"
    remembered = ImportLayout.objects.filter(user=item.user, signature=layout.signature).first()
    mapping: dict[str, Any] = {}
    ready = False
    if column_mapping.recognised(layout):
        mapping, ready = {"columns": None, "how": "headers", "value_unit": layout.value_unit}, True
    elif remembered is not None:
        # The same columns: the header row is this file's own (title rows may differ).
        mapping = {**remembered.mapping, "header_row": layout.header_row, "how": "remembered"}
        given = {k for k in (mapping.get("columns") or {}).values() if k}
        given |= set(mapping.get("fixed") or {})
        # A layout that needed a per-file value (the village, the date) asks for it again.
        ready = not missing_columns(given)
    AssetImport.objects.filter(pk=pk).update(
        layout=storable(layout.as_dict()),
        mapping=storable(mapping),
        state=AssetImport.State.CHECKING if ready else AssetImport.State.MAPPING,
    )
    if not ready:
        return "mapping"
    return check_import.call(pk)


def progress_key(pk: int, kind: str = "import") -> str:
    return f"{kind}:{pk}:rows"


def _progress(pk: int, kind: str = "import") -> Any:
    def report(rows: int) -> None:
        caches["jobs"].set(progress_key(pk, kind), rows)

    return report


def rows_done(item: AssetImport) -> int:
    """Rows the running job has read so far (the row keeps the final count)."""
    if not item.busy:
        return item.rows_done
    return int(caches["jobs"].get(progress_key(item.pk)) or 0)


def export_rows_done(job: ExportJob) -> int:
    if not job.busy:
        return job.rows_total if job.state == ExportJob.State.DONE else 0
    return int(caches["jobs"].get(progress_key(job.pk, "export")) or 0)


# The project library's GeoPackage layer, whatever the language of the page (transfer.views).
LIBRARY_LAYER = "项目库"


def _project_library_file(job: ExportJob, query: Any) -> Path:
    """The project library as the library page lists it, for the worker."""
    from registry import ledgers, selectors
    from transfer import exporters

    filterset = selectors.project_filterset(user=job.user, filters=query)
    if not filterset.is_valid():
        raise ValueError(filterset.errors)
    meta = exporters.meta_for(job.user, query, filterset)
    spec = ledgers.project_library()
    return exporters.export_ledger(spec, filterset.qs, job.fmt, meta=meta, layer=LIBRARY_LAYER)


def start_export(job: ExportJob) -> None:
    transaction.on_commit(lambda: run_export.enqueue(job.pk))


@task()
def run_export(pk: int) -> str:
    """Write the export file with the filters and scope of the user who asked for it."""
    from django.core.files import File
    from django.http import QueryDict

    from registry import selectors
    from transfer import exporters

    job = ExportJob.objects.select_related("user", "user__area").get(pk=pk)
    caches["jobs"].set(progress_key(pk, "export"), 0)
    ExportJob.objects.filter(pk=pk).update(state=ExportJob.State.RUNNING)
    query = QueryDict(mutable=True)
    for key, values in job.params:
        query.setlist(key, values)
    try:
        with time_limit(settings.JOB_TIME_LIMIT):
            if job.ledger == "projects":
                path = _project_library_file(job, query)
            elif job.ledger == "network_gaps":
                from transfer.gaps import gap_file

                path = gap_file(job.user, query, job.fmt)
            else:
                filterset = selectors.asset_filterset(user=job.user, filters=query)
                if not filterset.is_valid():
                    raise ValueError(filterset.errors)
                path = exporters.export(
                    filterset.qs,
                    job.fmt,
                    meta=exporters.meta_for(job.user, query, filterset),
                    history=job.history,
                    progress=_progress(pk, "export"),
                )
            with path.open("rb") as handle:
                job.file.save(path.name, File(handle), save=False)
            shutil.rmtree(path.parent, ignore_errors=True)
    except Exception as exc:
        log.exception("export %s failed", pk)
        ExportJob.objects.filter(pk=pk).update(
            state=ExportJob.State.FAILED, finished_at=timezone.now(), message=_failure(exc)
        )
        return "failed"
    ExportJob.objects.filter(pk=pk).update(
        state=ExportJob.State.DONE, file=job.file.name, finished_at=timezone.now()
    )
    return "done"


def _check_file(
    model: Any,
    pk: int,
    kind: str,
    preview: Callable[..., Any],
    finish: Callable[..., None],
) -> str:
    """The preview job of an uploaded file (assets or a project library): run ``preview``
    with progress and a workbook of the rows with problems, kept beside the upload, then record
    the outcome; a refusal or a failure is recorded with its reason."""
    item = model.objects.select_related("user", "user__area").get(pk=pk)
    caches["jobs"].set(progress_key(pk, kind), 0)
    model.objects.filter(pk=pk).update(state=model.State.CHECKING, rows_done=0)

    def opened(total: int) -> None:  # the file's row count, for the progress bar
        model.objects.filter(pk=pk).update(rows_total=total)

    folder = Path(tempfile.mkdtemp(prefix="atlas-problems-"))
    workbook = folder / f"{kind}-problems-{pk}.xlsx"
    writer = importers.ProblemsWriter(str(workbook))
    try:
        with time_limit(settings.JOB_TIME_LIMIT):
            outcome = preview(item, progress=_progress(pk, kind), on_open=opened, each=writer)
        writer.close()
        problems = ""
        if outcome.errors:  # kept beside the upload, downloaded without checking again
            with workbook.open("rb") as handle:
                item.problems_file.save(workbook.name, File(handle), save=False)
            problems = item.problems_file.name
    except importers.ImportRefused as exc:
        finish(pk, model.State.REJECTED, message=str(exc))
        return "rejected"
    except Exception as exc:
        log.exception("%s %s: check failed", kind, pk)
        finish(pk, model.State.FAILED, message=_failure(exc))
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    finish(
        pk,
        model.State.CHECKED,
        outcome=outcome.as_dict(),
        rows_done=outcome.rows,
        problems_file=problems,
    )
    return "checked"


@task()
def check_import(pk: int) -> str:
    """Read and check the file; record the counts and the first problems."""

    def preview(item: AssetImport, **hooks: Any) -> Any:
        path, options = Path(item.file.path), options_for(item)
        return importers.preview(path, item.user, options=options, **hooks)

    return _check_file(AssetImport, pk, "import", preview, _finish)


@task()
def commit_import(pk: int) -> str:
    """Check the file again and write it in one transaction, or write nothing."""

    def commit(item: AssetImport, progress: Any) -> Any:
        return importers.commit(
            Path(item.file.path),
            item.user,
            options=options_for(item),
            label=f"import #{item.pk} {item.original_name}",
            progress=progress,
        )

    return commit_file(
        AssetImport,
        pk,
        "import",
        commit,
        rejected=importers.Rejected,
        rejected_message=gettext_noop(
            "Some rows have problems now, or unusual values were not confirmed: nothing was"
            " imported."
        ),
    )


def _finish(pk: int, state: str, **values: Any) -> None:
    finish_file(AssetImport, pk, state, **values)


def storable(value: Any) -> Any:
    """``value`` as PostgreSQL keeps it: text and JSON hold no NUL character, which a file's
    cells may (an import whose outcome cannot be saved would stay "checking" for ever)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value


def _failure(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):  # a workbook whose zip does not hold together
        return bilingual(
            gettext_noop(
                "The file is damaged: its parts do not match what it says they hold. Nothing"
                " was written. Open it in Excel or WPS, save it again and upload that copy."
            )
        )
    if isinstance(exc, JobTimeout) or "statement timeout" in str(exc):
        return bilingual(
            gettext_noop(
                "The job ran longer than %(limit)s seconds and was stopped. Nothing was"
                " written. Split the file, or ask the administrator to raise JOB_TIME_LIMIT."
            ),
            limit=settings.JOB_TIME_LIMIT,
        )
    return bilingual(
        gettext_noop(
            "The job stopped on an unexpected error (%(error)s). Nothing was written; the"
            " administrator can find the details in the worker's log."
        ),
        error=type(exc).__name__,
    )


# --- imports of a county's own tables (transfer.importers.ledger_files) ----------------------
#
# The project library and the relocation sites: a row per upload (ProjectImport, SiteImport),
# checked in the background, committed all or nothing on request. The functions below serve
# both; each import names its model, its progress key and its importer.


def finish_file(model: Any, pk: int, state: str, **values: Any) -> None:
    """Record the end of an upload's job: its state, when, and what it found."""
    model.objects.filter(pk=pk).update(
        state=state, finished_at=timezone.now(), **{k: storable(v) for k, v in values.items()}
    )


def file_rows_done(item: Any, kind: str) -> int:
    """Rows the running job has read so far (the row keeps the final count)."""
    if not item.busy:
        return int(item.rows_done)
    return int(caches["jobs"].get(progress_key(item.pk, kind)) or 0)


def can_commit_file(item: Any) -> bool:
    """Checked, without a single problem, and with something to write."""
    outcome = item.outcome or {}
    return bool(
        item.state == type(item).State.CHECKED
        and outcome.get("errors") == 0
        and outcome.get("create", 0) + outcome.get("update", 0) > 0
    )


def request_file_commit(item: Any, job: Any) -> bool:
    """Queue ``job`` (the commit task) for a checked upload, once; False when it may not be
    committed."""
    model = type(item)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=item.pk)
        if not can_commit_file(current):
            return False
        current.state = model.State.QUEUED
        current.commit_requested = True
        current.save(update_fields=["state", "commit_requested"])
        transaction.on_commit(lambda: job.enqueue(current.pk))
    return True


def commit_file(
    model: Any,
    pk: int,
    kind: str,
    commit: Callable[[Any, Any], Any],
    *,
    rejected: type[Exception] | None = None,
    rejected_message: str = gettext_noop("Some rows have problems now: nothing was imported."),
) -> str:
    """The commit job of an upload (assets, a project library, sites): ``commit(item,
    progress)`` checks the file again and writes it in one transaction, or raises ``rejected``
    (rows with problems now: nothing written; ledger_files.Rejected unless said) or
    ImportRefused; either is recorded with its reason, as is a failure."""
    from transfer.importers.ledger_files import Rejected

    rejected = rejected or Rejected
    item = model.objects.select_related("user", "user__area").get(pk=pk)
    caches["jobs"].set(progress_key(pk, kind), 0)
    model.objects.filter(pk=pk).update(state=model.State.COMMITTING, rows_done=0)
    try:
        with time_limit(settings.JOB_TIME_LIMIT):
            outcome = commit(item, _progress(pk, kind))
    except rejected as exc:
        finish_file(
            model,
            pk,
            model.State.CHECKED,
            outcome=exc.outcome.as_dict(),  # type: ignore[attr-defined]
            message=bilingual(rejected_message),
            problems_file="",  # the workbook of the check no longer tells these rows
        )
        return "rejected"
    except importers.ImportRefused as exc:
        finish_file(model, pk, model.State.REJECTED, message=str(exc))
        return "rejected"
    except Exception as exc:
        log.exception("%s %s: commit failed", kind, pk)
        finish_file(model, pk, model.State.FAILED, message=_failure(exc))
        return "failed"
    finish_file(
        model,
        pk,
        model.State.COMMITTED,
        outcome=outcome.as_dict(),
        rows_done=outcome.rows,
        committed_at=timezone.now(),
    )
    return "committed"


# --- project library imports (transfer.importers.projects) ----------------------------------

PROJECT_KIND = "project-import"


def start_project_check(item: ProjectImport) -> None:
    """Queue the check of an uploaded project library."""
    transaction.on_commit(lambda: check_project_import.enqueue(item.pk))


def _project_label(item: ProjectImport) -> str:
    """How the projects' steps name the file: 项目库.xlsx（导入 #12）, then the row."""
    return f"{item.original_name}（导入 #{item.pk}）"


def _finish_project(pk: int, state: str, **values: Any) -> None:
    finish_file(ProjectImport, pk, state, **values)


@task()
def check_project_import(pk: int) -> str:
    """Run every row of the library through the project services and undo it all: the counts
    and every problem (and a workbook of the rows with problems) for the preview."""
    from transfer.importers import projects as project_importer

    def preview(item: ProjectImport, **hooks: Any) -> Any:
        path, label = Path(item.file.path), _project_label(item)
        return project_importer.preview(path, item.user, label=label, **hooks)

    return _check_file(ProjectImport, pk, PROJECT_KIND, preview, _finish_project)


@task()
def commit_project_import(pk: int) -> str:
    """Check the library again and write it in one transaction, or write nothing."""
    from transfer.importers import projects as project_importer

    def commit(item: ProjectImport, progress: Any) -> Any:
        return project_importer.commit(
            Path(item.file.path),
            item.user,
            label=_project_label(item),
            command=f"import #{item.pk} {item.original_name}",
            progress=progress,
        )

    return commit_file(ProjectImport, pk, PROJECT_KIND, commit)
