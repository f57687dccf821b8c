"""Export pages: a list or a record ledger as a file, filtered exactly like the page and limited
to the user's area; big exports become jobs with a page of their own. The project libraries'
ledgers (the library, the year's plan, the task list) are exported here too."""

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from registry import ledgers, selectors
from registry.ledgers import LISTS
from registry.views.base import acting_user, bad_filters
from transfer import exporters, jobs, services
from transfer.models import ExportJob


@require_GET
def asset_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The asset list as a file, filtered exactly like the list and limited to the user's area."""
    if fmt not in exporters.FORMATS:
        raise Http404
    filterset = selectors.asset_filterset(user=request.user, filters=request.GET)
    if not filterset.is_valid():
        return bad_filters(filterset)
    history = request.GET.get("history") == "1"
    rows = filterset.qs.count()
    if rows > settings.EXPORT_INLINE_MAX_ROWS:
        # Too big to wait for: the worker writes it, its page shows progress and the link.
        job = services.export_start(
            actor=acting_user(request),
            fmt=fmt,
            history=history,
            rows_total=rows,
            params=[[k, v] for k, v in request.GET.lists() if k != "history"],
        )
        return redirect("transfer:export_detail", pk=job.pk)
    meta = exporters.meta_for(request.user, request.GET, filterset)
    path = exporters.export(filterset.qs, fmt, meta=meta, history=history)
    content_type, _extension = exporters.FORMATS[fmt]
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    # The open handle keeps the file readable after its folder is gone (POSIX), so nothing is
    # left behind in the temporary folder whatever happens to the download.
    shutil.rmtree(path.parent, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=path.name, content_type=content_type)


def _own_export(request: HttpRequest, pk: int) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=pk)
    if job.user_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    return job


def _export_status(job: ExportJob) -> dict[str, Any]:
    done = jobs.export_rows_done(job)
    percent = (
        100
        if job.state == ExportJob.State.DONE
        else (min(99, done * 100 // job.rows_total) if job.rows_total else 0)
    )
    return {"state": job.state, "busy": job.busy, "rows_done": done, "percent": percent}


def export_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _own_export(request, pk)
    label = dict(exporters.FORMAT_LABELS).get(job.fmt, job.fmt)
    return render(
        request,
        "transfer/export_detail.html",
        {"job": job, "status": _export_status(job), "format_label": label},
    )


@require_GET
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_export_status(_own_export(request, pk)))


@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _own_export(request, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    content_type, _extension = exporters.FORMATS[job.fmt]
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:  # removed from the media folder since it was written
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=Path(job.file.name).name,
        content_type=content_type,
    )


@require_GET
def record_export(request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    """A record list as a file, filtered exactly like the list and limited to the user's area."""
    spec = LISTS.get(kind)
    if spec is None or fmt not in {"xlsx", "csv"}:
        raise Http404
    filterset = spec.filterset(request.GET, acting_user(request))
    if not filterset.is_valid():
        return bad_filters(filterset)
    meta = exporters.meta_for(request.user, request.GET, filterset)
    path = exporters.export_ledger(spec, filterset.qs, fmt, meta=meta)
    content_type, _extension = exporters.FORMATS[fmt]
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    shutil.rmtree(path.parent, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=path.name, content_type=content_type)


# --- the project libraries (一库一单) -------------------------------------------------------------

TABLE_FORMATS = {"xlsx", "csv"}
LIBRARY_FORMATS = {"xlsx", "csv", "gpkg"}
LIBRARY_LAYER = jobs.LIBRARY_LAYER  # the GeoPackage layer's name, whatever the page's language


def _download(path: Path, fmt: str) -> FileResponse:
    content_type, _extension = exporters.FORMATS[fmt]
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    shutil.rmtree(path.parent, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=path.name, content_type=content_type)


@require_GET
def project_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The county project library as a file: Excel in the county layout (with its totals and
    the statement sheet), CSV, or a GeoPackage (one layer, 项目库), filtered exactly as the
    library page lists it (its query string) and limited to the projects the user sees."""
    if fmt not in LIBRARY_FORMATS:
        raise Http404
    user = acting_user(request)
    filterset = selectors.project_filterset(user=user, filters=request.GET)
    if not filterset.is_valid():
        return bad_filters(filterset)
    rows = filterset.qs.count()
    if rows > settings.EXPORT_INLINE_MAX_ROWS:
        # A province-sized library (50,000 projects: 12 s as Excel) is written by the worker,
        # as big asset exports are; its page shows progress and then the link.
        job = services.export_start(
            actor=user,
            fmt=fmt,
            history=False,
            rows_total=rows,
            params=[[k, v] for k, v in request.GET.lists()],
            ledger="projects",
        )
        return redirect("transfer:export_detail", pk=job.pk)
    meta = exporters.meta_for(user, request.GET, filterset)
    spec = ledgers.project_library()
    path = exporters.export_ledger(spec, filterset.qs, fmt, meta=meta, layer=LIBRARY_LAYER)
    return _download(path, fmt)


@require_GET
def plan_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The annual implementation plan (年度实施计划: the projects of a year's plan, by plan year,
    with their planned and actual investment) as Excel or CSV, with the library's filters
    (``plan_year=2025`` for one year) and the user's scope."""
    if fmt not in TABLE_FORMATS:
        raise Http404
    user = acting_user(request)
    filterset = selectors.project_filterset(user=user, filters=request.GET)
    if not filterset.is_valid():
        return bad_filters(filterset)
    meta = exporters.meta_for(user, request.GET, filterset)
    qs = ledgers.PLAN.prepare(filterset.qs)
    return _download(exporters.export_ledger(ledgers.PLAN, qs, fmt, meta=meta), fmt)


@require_GET
def task_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The county's task list (任务清单) as Excel or CSV, by year (``year=2025``)."""
    if fmt not in TABLE_FORMATS:
        raise Http404
    user = acting_user(request)
    filterset = ledgers.TASKS.filterset(request.GET, user)
    if not filterset.is_valid():
        return bad_filters(filterset)
    meta = exporters.meta_for(user, request.GET, filterset)
    return _download(exporters.export_ledger(ledgers.TASKS, filterset.qs, fmt, meta=meta), fmt)
