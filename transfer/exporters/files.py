"""An export as a file: the format's writer, its statement, its name; zipped Shapefiles."""

import datetime
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Func,
    IntegerField,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from registry.models import AdminArea, Asset
from registry.scoping import visible_to
from transfer.exporters.base import COLUMNS, Progress, _Ticker
from transfer.exporters.tables import write_csv, write_xlsx
from transfer.exporters.vectors import write_geojson, write_vector


def user_line(user: Any) -> str:
    """Who exported, as the top bar shows them: name (else login name) · role · area."""
    name = user.get_full_name() or user.get_username()
    parts = [name]
    role = user.get_role_display() if getattr(user, "role", "") else ""
    if role:
        parts.append(str(role))
    area = getattr(user, "area", None)
    if area is not None:
        parts.append(area.name)
    return " · ".join(parts)


def _area_words(user: Any, code: str) -> str:
    """An area filter by the area's name and code, when the area is in the user's scope (a
    code outside it selects nothing and is shown as it was given)."""
    area = visible_to(user, AdminArea.objects.filter(code=code), code_field="code").first()
    if area is None:
        return code
    return gettext("%(name)s (%(code)s)") % {"name": area.name, "code": area.code}


def describe_filters(user: Any, query: Any, filterset: Any) -> str:
    """The filters of an export in words, in the order of the list's form: each filter's label
    and its value as the form shows it (a choice by its label, yes/no, an area by its name),
    e.g. "区划：龙驹镇（500101151000）；资产类别：公益性". Empty when nothing is filtered."""
    cleaned: dict[str, Any] = {}
    if filterset.is_bound and filterset.form.is_valid():
        cleaned = filterset.form.cleaned_data
    parts = []
    for name, flt in filterset.filters.items():
        raw = query.get(name)
        value = cleaned.get(name, raw)
        if raw in (None, "") or value in (None, ""):
            continue
        label: Any = flt.label or name
        if getattr(flt, "method", None) == "filter_area":
            label, text = gettext("Area"), _area_words(user, str(raw).strip())
        elif getattr(flt, "method", None) == "filter_township":  # the gap table's township
            text = _area_words(user, str(raw).strip())
        elif isinstance(flt, django_filters.ChoiceFilter):
            text = str(dict(flt.extra.get("choices", ())).get(value, value))
        elif isinstance(flt, django_filters.MultipleChoiceFilter):
            labels = dict(flt.extra.get("choices", ()))
            text = "、".join(str(labels.get(v, v)) for v in value)
        elif isinstance(flt, django_filters.BooleanFilter):
            text = gettext("Yes") if value else gettext("No")
        elif isinstance(value, datetime.date):
            text = value.isoformat()
            field = _field_label(filterset, flt)
            if field:
                bound = str(label).lower()  # "From" after the field: "Period end, from"
                label = gettext("%(field)s, %(bound)s") % {"field": field, "bound": bound}
        else:
            text = str(value).strip()
        parts.append(gettext("%(label)s: %(value)s") % {"label": capfirst(label), "value": text})
    return gettext("; ").join(parts)


def _field_label(filterset: Any, flt: Any) -> str:
    """The verbose name of the model field a date filter bounds (its own label says only
    "from" or "to")."""
    try:
        field = filterset._meta.model._meta.get_field(flt.field_name)
    except (AttributeError, FieldDoesNotExist):
        return ""
    return str(capfirst(field.verbose_name))


def meta_for(user: Any, query: Any, filterset: Any, *, via: str = "") -> dict[str, str]:
    """What the statement sheet says about an export: when, who (by name, role and area; ``via``
    names a command), with which filters (in words: describe_filters)."""
    who = user_line(user)
    return {
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S %Z"),
        "user": f"{who} ({via})" if via else who,
        "filters": describe_filters(user, query, filterset),
    }


def export(
    assets: QuerySet[Asset],
    fmt: str,
    *,
    meta: dict[str, str],
    history: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write ``assets`` in format ``fmt`` to a temporary file and return its path;
    ``progress`` hears the number of rows written so far, batch by batch."""
    ticker = _Ticker(progress)
    folder = Path(tempfile.mkdtemp(prefix="atlas-export-"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        path = folder / f"assets-{stamp}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            write_csv(assets, fh)
    elif fmt == "xlsx":
        path = folder / f"assets-{stamp}.xlsx"
        write_xlsx(assets, path, meta=meta, history=history, ticker=ticker)
    elif fmt == "geojson":
        path = folder / f"assets-{stamp}.geojson"
        with open(path, "w", encoding="utf-8") as fh:
            write_geojson(assets, fh, ticker)
    elif fmt == "gpkg":
        path = folder / f"assets-{stamp}.gpkg"
        write_vector(assets, path, driver="GPKG", ticker=ticker)
    elif fmt == "shp":
        # A Shapefile holds one geometry type: points (and assets without geometry), lines and
        # polygons go to three files, with the field-name mapping beside them.
        shp_dir = folder / "shp"
        shp_dir.mkdir()
        dimension = Func("geom", function="ST_Dimension", output_field=IntegerField())
        parts = {
            "assets_points": assets.annotate(dim=dimension).filter(Q(dim=0) | Q(geom__isnull=True)),
            "assets_lines": assets.annotate(dim=dimension).filter(dim=1),
            "assets_polygons": assets.annotate(dim=dimension).filter(dim=2),
        }
        for name, part in parts.items():
            if part.exists():
                write_vector(part, shp_dir / f"{name}.shp", driver="ESRI Shapefile", ticker=ticker)
        path = folder / f"assets-{stamp}-shp.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part_file in sorted(shp_dir.iterdir()):
                archive.write(part_file, part_file.name)
            archive.writestr("FIELDS.txt", "\n".join(f"{c.shp}\t{c.header}" for c in COLUMNS))
    else:
        raise ValueError(fmt)
    return path
