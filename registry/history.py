"""Row history and delete protection, both enforced by database triggers.

Triggers capture every insert, update and delete whatever writes the row (a service, the admin,
a bulk update, a psql session), and the request context (user, URL) that pghistory's middleware
or ``pghistory.context(...)`` attached. Registry rows are never hard-deleted: they are retired.
"""

from typing import Any

import pghistory
import pgtrigger
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext


def history(**kwargs: Any) -> Any:
    """Class decorator: keep a row-history event table for the model."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        **kwargs,
    )


def protect_delete() -> pgtrigger.Protect:
    """A trigger that refuses DELETE on the table: records are retired, never removed."""
    return pgtrigger.Protect(name="protect_delete", operation=pgtrigger.Delete)


# Commands that fill the register with the synthetic demo county (registry.demo, demo_assets).
DEMO_COMMANDS = frozenset({"load_demo_county", "generate_register"})


def command_label(command: str | None) -> str:
    """What a change's recorded source means to a reader, in the current language.

    A change's history context holds the request URL (a page: returned as it is) or the
    ``command`` a program declared with ``pghistory.context(command=...)``: the demo data
    commands read "System (demo data)", ``import #12 file.xlsx`` "Import #12 file.xlsx",
    ``migration registry.0005: ...`` "System (data migration): registry.0005: ...", and any
    other command "System: <command>"; no source at all is "system". Shared by the change
    history sheet of exports and the asset page's timeline."""
    text = (command or "").strip()
    if not text:
        return gettext("system")
    if text.startswith(("/", "http://", "https://")):
        return text
    if text in DEMO_COMMANDS:
        return gettext("System (demo data)")
    if text == "import":
        return gettext("Import")
    for prefix in ("import_assets ", "import "):  # the import page's jobs and the command
        if text.startswith(prefix):
            return gettext("Import %(what)s") % {"what": text.removeprefix(prefix).strip()}
    if text.startswith("migration"):
        what = text.removeprefix("migration").strip()
        if not what:
            return gettext("System (data migration)")
        return gettext("System (data migration): %(what)s") % {"what": what}
    return gettext("System: %(command)s") % {"command": text}


def change_label(label: str | None) -> str:
    """A history event's kind (pghistory's ``insert``, ``update``, ``delete``) in words: created,
    changed, deleted (新增, 修改, 删除); an unknown kind as it is."""
    labels = {
        "insert": gettext("Created"),
        "update": gettext("Changed"),
        "delete": gettext("Deleted"),
    }
    return labels.get(label or "", label or "")


def field_value_label(model: Any, name: str, value: Any, related: dict[Any, dict[Any, str]]) -> str:
    """A stored value of ``model.name`` as a reader reads it: a choice by its label, yes/no, a
    related record by its name (from ``related``: model -> pk -> name), a shape as "(shape)",
    nothing as "—". Never the stored code."""
    from django.contrib.gis.db.models import GeometryField
    from django.contrib.postgres.fields import ArrayField
    from django.core.exceptions import FieldDoesNotExist
    from django.db.models import BooleanField, ForeignKey

    if value is None or value == "" or value == []:
        return "—"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        try:
            field = model._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            return str(value)
    if getattr(field, "generated", False):  # a generated column reads as what it holds
        field = field.output_field
    if isinstance(field, ForeignKey):
        return related.get(field.related_model, {}).get(value) or f"#{value}"
    if isinstance(field, GeometryField):
        return gettext("(shape)")
    if isinstance(field, BooleanField):
        return gettext("yes") if value else gettext("no")
    if isinstance(field, ArrayField) and field.base_field.choices:
        labels = dict(field.base_field.flatchoices)
        return "、".join(str(labels.get(v, v)) for v in value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def related_names(changes: list[tuple[Any, str, list[Any]]]) -> dict[Any, dict[Any, str]]:
    """The names of the records that foreign keys among ``changes`` ((model, field, values))
    point at, one query per related model: an area by its name, a person by their name."""
    from collections import defaultdict

    from django.core.exceptions import FieldDoesNotExist
    from django.db.models import ForeignKey

    wanted: dict[Any, set[Any]] = defaultdict(set)
    for model, name, values in changes:
        try:
            field = model._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            continue
        if isinstance(field, ForeignKey):
            wanted[field.related_model] |= {v for v in values if v is not None}
    names: dict[Any, dict[Any, str]] = {}
    for related, ids in wanted.items():
        objects = related._default_manager.filter(pk__in=ids)
        names[related] = {
            o.pk: (o.get_full_name() or o.get_username()) if hasattr(o, "get_full_name") else str(o)
            for o in objects
        }
    return names


def field_label(model: Any, name: str) -> str:
    """A field's name in words for a timeline (a generated column's, a removed field's)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a column the model no longer has keeps its name
        return name
    # A generated column's name is on what it holds (GeneratedField(output_field=...)).
    output = getattr(field, "output_field", None) if getattr(field, "generated", False) else None
    return str(getattr(output, "verbose_name", None) or field.verbose_name)
