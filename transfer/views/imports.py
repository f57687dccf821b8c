"""Pages of the ledger import: upload, follow the check, see the preview, commit.

The web request stores the file and queues a job; the worker (transfer.jobs) checks or commits it
and the page polls its progress. Only people who may edit assets import, and each sees their
own imports.
"""

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_POST

from registry.choices import AreaLevel
from registry.errors import BilingualErrors, bilingual
from registry.ledgers import ASSETS
from registry.models import AdminArea, User
from registry.scoping import EDITOR_ROLES, visible_to
from transfer import importers, jobs, services
from transfer.exporters import LABELS
from transfer.forms import MappingForm
from transfer.importers.columns import HEADERS, REQUIRED_FOR_NEW
from transfer.importers.mapping import FIXABLE, Layout, header_guess
from transfer.importers.options import YUAN
from transfer.importers.run import missing_columns
from transfer.models import AssetImport

ACCEPTED = ".xlsx,.csv,.zip,.gpkg,.geojson,.json"


class UploadForm(BilingualErrors, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ledger file"),
        help_text=gettext_lazy(
            "Excel (.xlsx, from the template or an export), CSV, zipped Shapefile, GeoPackage"
            " or GeoJSON."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}),
    )
    gcj02 = forms.BooleanField(
        label=gettext_lazy("Positions were taken with a phone map app (GCJ-02)"),
        help_text=gettext_lazy("They are converted to CGCS2000; GCJ-02 values are not stored."),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                bilingual(
                    gettext_noop(
                        "The file is %(size)s bytes; at most %(limit)s bytes (%(limit_mb)s MB)"
                        " can be imported at once."
                    ),
                    size=f"{upload.size:,}",
                    limit=f"{settings.IMPORT_MAX_BYTES:,}",
                    limit_mb=f"{settings.IMPORT_MAX_BYTES / 1_000_000:g}",
                )
            )
        if upload.size == 0:
            raise forms.ValidationError(bilingual(gettext_noop("The file is empty.")))
        return upload


def _editor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (user.is_superuser or user.role in EDITOR_ROLES):
        raise PermissionDenied(_("Only people who keep the asset register can import."))
    return user


def _own(request: HttpRequest, pk: int) -> AssetImport:
    user = _editor(request)
    item = get_object_or_404(AssetImport, pk=pk)
    if item.user_id != user.pk and not user.is_superuser:
        raise Http404
    return item


def import_list(request: HttpRequest) -> HttpResponse:
    user = _editor(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        item = services.import_upload(
            actor=user, upload=form.cleaned_data["file"], gcj02=form.cleaned_data["gcj02"]
        )
        return redirect("transfer:import_detail", pk=item.pk)
    recent = AssetImport.objects.filter(user=user)[:20]
    return render(request, "transfer/import_list.html", {"form": form, "imports": recent})


def progress(item: Any, done: int) -> dict[str, Any]:
    """The progress an import's page polls, for any import (assets, project library, sites):
    ``done`` rows of ``item.rows_total`` checked; 100 % only once it is checked or imported."""
    finished = item.state in {item.State.CHECKED, item.State.COMMITTED}
    percent = 100 if finished else min(99, done * 100 // item.rows_total) if item.rows_total else 0
    return {
        "state": item.state,
        "state_label": item.get_state_display(),
        "busy": item.busy,
        "rows_done": done,
        "rows_total": item.rows_total,
        "percent": percent,
    }


def _status(item: AssetImport) -> dict[str, Any]:
    return progress(item, jobs.rows_done(item))


def _detail_context(item: AssetImport) -> dict[str, Any]:
    mapping = item.mapping or {}
    columns = mapping.get("columns") or {}
    return {
        "item": item,
        "outcome": item.outcome or {},
        "status": _status(item),
        "can_commit": jobs.can_commit(item),
        "can_remap": bool(item.layout) and not item.busy and item.state != "committed",
        "mapped": [(name, HEADERS.get(key, key)) for name, key in columns.items() if key],
        "fixed": [
            (HEADERS.get(key, key), _fixed_label(key, value))
            for key, value in (mapping.get("fixed") or {}).items()
        ],
        "value_unit": mapping.get("value_unit") or YUAN,
        "mapping_how": mapping.get("how", ""),
    }


def _fixed_label(key: str, value: Any) -> str:
    if key in LABELS:
        return str(LABELS[key].get(value, value))
    if key == "area_code":
        area = AdminArea.objects.filter(code=value).first()
        return f"{area.name} {value}" if area else str(value)
    return str(value)


def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own(request, pk)
    if item.state == AssetImport.State.MAPPING:
        return redirect("transfer:import_mapping", pk=item.pk)
    return render(request, "transfer/import_detail.html", _detail_context(item))


def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """The mapping step: the file's columns beside the register's particulars, guessed and
    corrected, with values for the whole file and the money unit; saved for the next file of
    the same layout."""
    item = _own(request, pk)
    if not item.layout or item.busy or item.state == AssetImport.State.COMMITTED:
        return redirect("transfer:import_detail", pk=item.pk)
    layout = Layout.from_dict(item.layout)
    saved = item.mapping or {}
    initial: dict[str, Any] = {}
    if saved.get("columns"):
        names = saved["columns"]
        for index, column in enumerate(layout.columns):
            initial[f"col_{index}"] = names.get(column.name, "")
    elif saved.get("how") == "headers":  # our headers: what they were read as
        for index, column in enumerate(layout.columns):
            initial[f"col_{index}"] = header_guess(column.name) or ""
    for key, value in (saved.get("fixed") or {}).items():
        initial[f"fixed_{key}"] = value
    if saved.get("value_unit"):
        initial["value_unit"] = saved["value_unit"]
    form = MappingForm(request.POST or None, layout=layout, user=item.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not jobs.remember_mapping(item, form.mapping()):
            messages.error(
                request,
                bilingual(
                    gettext_noop(
                        "The file is being checked or imported now: change its columns when it"
                        " is done."
                    )
                ),
            )
        return redirect("transfer:import_detail", pk=item.pk)
    required = [*REQUIRED_FOR_NEW, "area_code"]
    return render(
        request,
        "transfer/import_mapping.html",
        {
            "item": item,
            "form": form,
            "layout": layout,
            "required": {key: HEADERS[key] for key in required},
            "missing_now": [
                HEADERS[k] for k in missing_columns(_present(form, layout)) if k in HEADERS
            ],
        },
        status=400 if form.is_bound else 200,
    )


def _present(form: MappingForm, layout: Layout) -> set[str]:
    """The particulars the form's current choices give (for the page's summary)."""
    data = form.data if form.is_bound else None
    present = set()
    for index in range(len(layout.columns)):
        name = f"col_{index}"
        value = data.get(name) if data is not None else form[name].value()
        if value:
            present.add(str(value))
    for key in FIXABLE:
        name = f"fixed_{key}"
        value = data.get(name) if data is not None else form[name].value()
        if value:
            present.add(key)
    return present


@require_GET
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(_own(request, pk)))


@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked file with the decisions taken on its preview: the likely duplicates to
    register all the same, and the unusual values confirmed."""
    item = _own(request, pk)
    listed = {d["row"] for d in (item.outcome or {}).get("duplicate_rows", [])}
    keep = [row for row in request.POST.getlist("keep") if row in listed]
    keep_all = request.POST.get("keep_all") == "1"
    confirm = request.POST.get("confirm_values") == "1"
    if not jobs.request_commit(
        item, keep_duplicates=keep, keep_all_duplicates=keep_all, confirm_values=confirm
    ):
        item.refresh_from_db()
        context = _detail_context(item)
        unusual = (item.outcome or {}).get("unusual", 0)
        if jobs.can_commit(item) and unusual and not confirm:
            context["refused"] = bilingual(
                gettext_noop("Confirm the unusual values before importing (tick the box).")
            )
            context["keep"] = set(keep)
            return render(request, "transfer/import_detail.html", context, status=400)
        context["can_commit"] = False
        context["refused"] = _("This file cannot be imported in its present state.")
        return render(request, "transfer/import_detail.html", context, status=409)
    return redirect("transfer:import_detail", pk=item.pk)


@require_GET
def import_problems(request: HttpRequest, pk: int) -> FileResponse:
    """The rows with problems as Excel: written by the worker when it checked the file."""
    return problems_response(_own(request, pk), name="problems", fallback="import")


def problems_response(item: Any, *, name: str, fallback: str) -> FileResponse:
    """An import's workbook of the rows with problems (assets or a project library), under
    the uploaded file's name; 404 when the check found none or the file is gone."""
    if not item.problems_file:
        raise Http404
    try:
        handle = item.problems_file.open("rb")
    except FileNotFoundError as exc:  # the file is gone from the media folder
        raise Http404 from exc
    stem = Path(item.original_name).stem[:60] or fallback
    response = FileResponse(
        handle,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"{name}-{item.pk}.xlsx\"; filename*=UTF-8''{quote(stem)}"
        f"-problems.xlsx"
    )
    return response


# --- the template ----------------------------------------------------------------------------

# The template's columns: the asset ledger's columns an import reads that have a note for it.
TEMPLATE_COLUMNS = [(c.key, c.hint) for c in ASSETS.imported if c.hint]
# The network columns whose values the template offers as drop-down lists.
NETWORK_LISTS = ("network_type", "grade", "surface")


@require_GET
def import_template(request: HttpRequest) -> FileResponse:
    """An empty ledger with the import's columns, drop-down lists, notes and the area codes."""
    user = _editor(request)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
    required = book.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True}
    )
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("资产台账")
    lists = book.add_worksheet("选项")
    for col, key in enumerate(("asset_class", "subtype", "form")):
        lists.write(0, col, importers.HEADERS[key], head)
        for row, label in enumerate(LABELS[key].values(), start=1):
            lists.write_string(row, col, str(label))
    lists.write(0, 3, importers.HEADERS["booked"], head)
    lists.write_column(1, 3, ["是", "否"])
    for col, key in enumerate(NETWORK_LISTS, start=4):  # the network columns' lists: E, F, G
        lists.write(0, col, importers.HEADERS[key], head)
        for row, label in enumerate(LABELS[key].values(), start=1):
            lists.write_string(row, col, str(label))
    for col, (key, note) in enumerate(TEMPLATE_COLUMNS):
        style = required if key in importers.REQUIRED_FOR_NEW else head
        sheet.write_string(0, col, importers.HEADERS[key], style)
        sheet.write_comment(0, col, str(note), {"x_scale": 2})
        sheet.set_column(col, col, 16, text if key in {"code", "area_code"} else None)
        if key == "formed_on":
            sheet.set_column(col, col, 14, date)
        lists_by_key = {"asset_class": 0, "subtype": 1, "form": 2, "booked": 3}
        lists_by_key |= {k: i for i, k in enumerate(NETWORK_LISTS, start=4)}
        source = lists_by_key.get(key)
        if source is not None:
            count = 2 if key == "booked" else len(LABELS[key])
            letter = "ABCDEFG"[source]
            sheet.data_validation(
                1,
                col,
                50000,
                col,
                {"validate": "list", "source": f"=选项!${letter}$2:${letter}${count + 1}"},
            )
    sheet.freeze_panes(1, 0)
    areas = book.add_worksheet("区划代码")
    areas.write_row(0, 0, ["区划代码", "乡镇（街道）", "村（社区）"], head)
    areas.set_column(0, 0, 16, text)
    areas.set_column(1, 2, 18)
    visible = visible_to(
        user, AdminArea.objects.exclude(level=AreaLevel.COUNTY).select_related("parent")
    ).order_by("code")
    for row, area in enumerate(visible, start=1):
        is_village = area.level == AreaLevel.VILLAGE
        township = area.parent.name if is_village and area.parent else area.name
        areas.write_string(row, 0, area.code)
        areas.write_row(row, 1, [township, area.name if is_village else ""])
    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 24)
    notes.set_column(1, 1, 90)
    notes.write_row(0, 0, ["列 / Column", "说明 / How to fill in"], head)
    for row, (key, note) in enumerate(TEMPLATE_COLUMNS, start=1):
        notes.write_row(row, 0, [importers.HEADERS[key], str(note)])
    book.close()
    response = FileResponse(
        io.BytesIO(out.getvalue()),
        as_attachment=True,
        filename="资产台账导入模板.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return response
