"""Files of the relocation sites: the site list as Excel, CSV or GeoPackage (filtered exactly as
the list shows it, limited to the user's area), and the import of sites from Excel, CSV or a
GeoPackage: upload, follow the check, see the counts and every problem, import all or nothing.

The web request keeps the file and queues the check; the worker (transfer.site_jobs) runs every
row through the site services and undoes it (the preview), or writes it all (the commit). Staff
who edit sites import into their own area; each sees their own imports.
"""

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Coalesce
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_POST

from registry import ledgers, selectors
from registry.errors import bilingual
from registry.models import User
from registry.scoping import EDITOR_ROLES
from registry.views.base import acting_user, bad_filters
from transfer import exporters, jobs, services, site_jobs
from transfer.exporters.vectors import write_ledger_vector
from transfer.models import SiteImport
from transfer.views.imports import UploadForm, problems_response, progress

SITE_FORMATS = {"xlsx", "csv", "gpkg"}
SITE_LAYER = "安置点"  # the GeoPackage layer's name, whatever the page's language


def _download(path: Path, fmt: str) -> FileResponse:
    content_type, _extension = exporters.FORMATS[fmt]
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    # The open handle keeps the file readable after its folder is gone (POSIX).
    shutil.rmtree(path.parent, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=path.name, content_type=content_type)


def export_sites(user: Any, query: Any, fmt: str) -> Path:
    """The sites ``user`` sees, filtered by ``query`` as the list filters them, as a file:
    Excel in the ledger layout (totals, the statement sheet), CSV, or a GeoPackage of one layer
    (安置点) holding each site's outline (its point where it has none), the ledger's columns as
    fields with their Chinese headers as aliases. A county holds tens or hundreds of sites: no
    worker job is needed."""
    filterset = selectors.site_filterset(user=user, filters=query)
    if not filterset.is_valid():
        raise ValueError(filterset.errors)
    meta = exporters.meta_for(user, query, filterset)
    spec = ledgers.SITES
    if fmt != "gpkg":
        return exporters.export_ledger(spec, filterset.qs, fmt, meta=meta)
    folder = Path(tempfile.mkdtemp(prefix="atlas-export-"))
    path = folder / f"sites-{timezone.localtime():%Y%m%d-%H%M%S}.gpkg"
    shape = Coalesce("outline", "point", output_field=GeometryField(srid=4490))
    write_ledger_vector(
        spec, filterset.qs.annotate(site_shape=shape), path, layer=SITE_LAYER, geometry="site_shape"
    )
    return path


@require_GET
def site_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The site list as a file, filtered exactly like the list and limited to the user's area."""
    if fmt not in SITE_FORMATS:
        raise Http404
    user = acting_user(request)
    filterset = selectors.site_filterset(user=user, filters=request.GET)
    if not filterset.is_valid():
        return bad_filters(filterset)
    return _download(export_sites(user, request.GET, fmt), fmt)


# --- import -------------------------------------------------------------------------------------


class SiteUploadForm(UploadForm):
    """The sites' file (the size checks of the ledger upload)."""

    gcj02 = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext_lazy("File of relocation sites")
        self.fields["file"].help_text = gettext_lazy(
            "Excel (.xlsx), CSV or GeoPackage, from an export of the site list or your own table"
            " with its headers."
        )
        self.fields["file"].widget = forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.gpkg"})


def _editor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (user.is_superuser or user.role in EDITOR_ROLES):
        raise PermissionDenied(
            bilingual(gettext_noop("Only people who keep the relocation sites can import them."))
        )
    return user


def _own(request: HttpRequest, pk: int) -> SiteImport:
    user = _editor(request)
    item = get_object_or_404(SiteImport, pk=pk)
    if item.user_id != user.pk and not user.is_superuser:
        raise Http404
    return item


def site_import_list(request: HttpRequest) -> HttpResponse:
    """Upload a file of sites; the user's recent imports."""
    user = _editor(request)
    form = SiteUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        item = services.site_import_upload(actor=user, upload=form.cleaned_data["file"])
        return redirect("transfer:site_import_detail", pk=item.pk)
    recent = SiteImport.objects.filter(user=user)[:20]
    return render(
        request,
        "transfer/site_import_list.html",
        {"form": form, "imports": recent},
        status=400 if form.is_bound else 200,
    )


def _status(item: SiteImport) -> dict[str, Any]:
    return progress(item, jobs.file_rows_done(item, site_jobs.KIND))


def _context(item: SiteImport) -> dict[str, Any]:
    return {
        "item": item,
        "outcome": item.outcome or {},
        "status": _status(item),
        "can_commit": jobs.can_commit_file(item),
    }


def site_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The check's progress, then its counts and every problem; the button that imports."""
    item = _own(request, pk)
    return render(request, "transfer/site_import_detail.html", _context(item))


@require_GET
def site_import_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(_own(request, pk)))


@require_POST
def site_import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked file: the worker checks it again and writes all of it or nothing."""
    item = _own(request, pk)
    if not jobs.request_file_commit(item, site_jobs.commit_site_import):
        item.refresh_from_db()
        context = _context(item)
        context["can_commit"] = False
        context["refused"] = _("This file cannot be imported in its present state.")
        return render(request, "transfer/site_import_detail.html", context, status=409)
    return redirect("transfer:site_import_detail", pk=item.pk)


@require_GET
def site_import_problems(request: HttpRequest, pk: int) -> FileResponse:
    """The rows with problems as Excel, written by the worker when it checked the file."""
    return problems_response(_own(request, pk), name="site-problems", fallback="sites")
