"""Pages of the project library import: upload, follow the check, see the preview, commit.

The web request keeps the file and queues the check; the worker (transfer.jobs) runs every row
through the project services and undoes it (the preview), or writes it all (the commit). Staff
who edit at the township or the county import; each sees their own imports.
"""

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_POST

from registry.choices import ApprovalLevel
from registry.errors import bilingual
from registry.models import User
from registry.scoping import EDITOR_ROLES, scope_level
from transfer import jobs, services
from transfer.models import ProjectImport
from transfer.views.imports import UploadForm, problems_response, progress


class ProjectUploadForm(UploadForm):
    """The library file (the size checks of the ledger upload; no positions to convert)."""

    gcj02 = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext_lazy("Project library file")
        self.fields["file"].help_text = gettext_lazy(
            "Excel (.xlsx) or CSV, from an export of the library or your own table with its"
            " headers."
        )
        self.fields["file"].widget = forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"})


def _editor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (user.is_superuser or user.role in EDITOR_ROLES):
        raise PermissionDenied(
            bilingual(gettext_noop("Only people who keep the project library can import it."))
        )
    return user


def _may_import(user: User) -> bool:
    """Projects are proposed by the township or the county: a village sends its needs up."""
    return scope_level(user) in (ApprovalLevel.TOWNSHIP, ApprovalLevel.COUNTY)


def _own(request: HttpRequest, pk: int) -> ProjectImport:
    user = _editor(request)
    item = get_object_or_404(ProjectImport, pk=pk)
    if item.user_id != user.pk and not user.is_superuser:
        raise Http404
    return item


def project_import_list(request: HttpRequest) -> HttpResponse:
    """Upload a project library; the user's recent imports."""
    user = _editor(request)
    allowed = _may_import(user)
    if request.method == "POST" and not allowed:
        raise PermissionDenied(
            bilingual(gettext_noop("A village sends its needs up; the township proposes projects."))
        )
    form = ProjectUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        item = services.project_import_upload(actor=user, upload=form.cleaned_data["file"])
        return redirect("transfer:project_import_detail", pk=item.pk)
    recent = ProjectImport.objects.filter(user=user)[:20]
    return render(
        request,
        "transfer/project_import_list.html",
        {"form": form, "imports": recent, "allowed": allowed},
        status=400 if form.is_bound else 200,
    )


def _status(item: ProjectImport) -> dict[str, Any]:
    return progress(item, jobs.file_rows_done(item, jobs.PROJECT_KIND))


def _context(item: ProjectImport) -> dict[str, Any]:
    return {
        "item": item,
        "outcome": item.outcome or {},
        "status": _status(item),
        "can_commit": jobs.can_commit_file(item),
    }


def project_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The check's progress, then its counts and every problem; the button that imports."""
    item = _own(request, pk)
    return render(request, "transfer/project_import_detail.html", _context(item))


@require_GET
def project_import_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(_own(request, pk)))


@require_POST
def project_import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked library: the worker checks it again and writes all of it or nothing."""
    item = _own(request, pk)
    if not jobs.request_file_commit(item, jobs.commit_project_import):
        item.refresh_from_db()
        context = _context(item)
        context["can_commit"] = False
        context["refused"] = _("This file cannot be imported in its present state.")
        return render(request, "transfer/project_import_detail.html", context, status=409)
    return redirect("transfer:project_import_detail", pk=item.pk)


@require_GET
def project_import_problems(request: HttpRequest, pk: int) -> FileResponse:
    """The rows with problems as Excel, written by the worker when it checked the file."""
    return problems_response(_own(request, pk), name="project-problems", fallback="library")
