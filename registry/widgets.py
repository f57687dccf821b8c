"""Select widgets for long lists, and the grouped choices of the people and places they offer.

A county has ~2,000 parties and ~660 areas. The pickers render them as a plain <select> built in
Python (fast, and usable without JavaScript), grouped by township and village, and
static/registry/pickers.js turns each into a searchable Tom Select: type part of a name, a
village or township name, or an area code."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaLevel, PartyKind
from registry.models import AdminArea, Party
from registry.models.areas import short_name


@dataclass(frozen=True, eq=False)
class Labelled:
    """An option's text with ``data-*`` attributes for the picker (e.g. an area's code to
    search by). ``str()`` is the text, so Django's own widgets still show it."""

    text: str
    data: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


Choices = list[tuple[Any, Any]]


class SharedChoices(BaseChoiceIterator):
    """Choices read once for several selects of a page (a form's four owners): Django keeps
    them as they are (no copy per widget) and FastSelect builds their <option> HTML once."""

    def __init__(self, choices: Choices) -> None:
        self.choices = choices
        self.html: str | None = None

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)


class FastSelect(forms.Select):
    """Django's Select renders every <option> through a template (~0.2 ms each): the 663 areas
    or 2,000 parties of a county took most of a form page. The same HTML, built in Python."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        final = self.build_attrs(self.attrs, attrs)
        if isinstance(self.choices, SharedChoices):
            if self.choices.html is None:
                self.choices.html = options_html(self.choices)
            options = self.choices.html
        else:
            options = options_html(self.choices)
        for chosen in self.format_value(value):
            # Values are unique and escaped the same way: mark the option that has it.
            needle = f'<option value="{escape(str(chosen))}"'
            options = options.replace(needle, needle + " selected", 1)
        # every value and label is escaped in options_html
        return mark_safe(f'<select name="{escape(name)}"{flatatt(final)}>{options}</select>')


def options_html(choices: Iterable[tuple[Any, Any]]) -> str:
    """The <option>s (and <optgroup>s) of ``choices``, none selected, every text escaped."""
    html = []
    for option_value, label in choices:
        if isinstance(label, (list, tuple)):  # an optgroup
            html.append(f'<optgroup label="{escape(str(option_value))}">')
            html += [_option(v, text) for v, text in label]
            html.append("</optgroup>")
        else:
            html.append(_option(option_value, label))
    return "".join(html)


def _option(value: Any, label: Any) -> str:
    text = "" if value is None else str(value)
    data = "".join(
        f' data-{key}="{escape(item)}"' for key, item in getattr(label, "data", {}).items()
    )
    return f'<option value="{escape(text)}"{data}>{escape(str(label))}</option>'


class PickerSelect(FastSelect):
    """A FastSelect that static/registry/pickers.js makes searchable (Tom Select, served from
    node_modules); the texts Tom Select shows come translated in ``data-*`` attributes."""

    picker = ""
    placeholder: Any = ""

    class Media:
        css = {"all": ["tom-select/css/tom-select.default.min.css", "registry/pickers.css"]}
        js = [
            forms.Script("tom-select/js/tom-select.complete.min.js", defer=True),
            forms.Script("registry/pickers.js", defer=True),
        ]

    def build_attrs(self, base_attrs: Any, extra_attrs: Any = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.setdefault("data-picker", self.picker)
        attrs.setdefault("data-placeholder", self.placeholder)
        attrs.setdefault("data-no-results", _("Nothing found"))
        attrs.setdefault("data-clear", _("Clear"))
        return attrs


class PartyPicker(PickerSelect):
    """Parties grouped by their area (county, township, township · village); see party_choices."""

    picker = "party"
    placeholder = _("Type a name, village or township")


class AreaPicker(PickerSelect):
    """Areas grouped by township (the township itself first); see area_choices."""

    picker = "area"
    placeholder = _("Type a village, township or code")


# How a clerk reads a village's parties: its collective first, households last.
KIND_ORDER: dict[str, int] = {
    kind.value: rank
    for rank, kind in enumerate(
        [
            PartyKind.DEPARTMENT,
            PartyKind.TOWNSHIP_GOVERNMENT,
            PartyKind.VILLAGE_COLLECTIVE,
            PartyKind.COOPERATIVE,
            PartyKind.ENTERPRISE,
            PartyKind.HOUSEHOLD,
        ]
    )
}


def party_choices(parties: QuerySet[Party]) -> Choices:
    """``parties`` (a scoped selectors.party_list) as optgroups by area in code order: the
    county's bodies, each township's, then each village's under "township · village"; inside an
    area by kind (collective before households), then name. Option texts are the bare names (a
    plain <select> shows the group; households of the same name differ by it). One query."""
    rows = (
        parties.select_related(None)
        .order_by()
        .values_list(
            "pk", "name", "kind", "area_code", "area__name", "area__level", "area__parent__name"
        )
    )
    groups: dict[str, tuple[str, list[tuple[int, str, int]]]] = {}
    for pk, name, kind, area_code, area_name, level, parent_name in rows:
        if area_code not in groups:
            label = short_name(area_name)
            if level in (AreaLevel.VILLAGE, AreaLevel.GROUP) and parent_name:
                label = f"{short_name(parent_name)} · {label}"
            groups[area_code] = (label, [])
        groups[area_code][1].append((KIND_ORDER.get(kind, len(KIND_ORDER)), name, pk))
    choices: Choices = [("", "---------")]
    for code in sorted(groups):
        label, members = groups[code]
        choices.append((label, [(pk, name) for _rank, name, pk in sorted(members)]))
    return choices


def area_choices(
    areas: QuerySet[AdminArea],
    *,
    key: Literal["pk", "code"],
    empty: Any = "---------",
    whole: bool = False,
    current: str | None = None,
) -> Choices:
    """``areas`` (a scoped selectors.area_list) as township -> village: the county first, then
    one optgroup per township holding the township itself and its villages (short names; with
    ``data-code`` to search by when the values are primary keys). Values are ``key``.
    ``whole`` labels a county or township as everything inside it (a filter) rather than the
    body itself (a location). A ``current`` value that is not offered (an old link, a code
    outside the scope) is kept as its own option, so the page shows what the list is filtered
    by. One query."""
    rows = (
        areas.select_related(None)
        .filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
        .order_by("code")
        .values_list(key, "code", "name", "level", "parent__name")
    )
    itself = gettext("%(name)s (all)") if whole else gettext("%(name)s (itself)")
    top: Choices = []
    groups: dict[str, tuple[str, list[tuple[Any, Any]]]] = {}
    offered: set[str] = set()
    for value, code, name, level, parent_name in rows:
        offered.add(str(value))
        # The code to search by, unless it is the value already (a filter's options).
        data = {"code": code} if key != "code" else {}
        option = (value, Labelled(itself % {"name": short_name(name)}, data))
        if level == AreaLevel.COUNTY:
            top.append(option)
            continue
        if level == AreaLevel.TOWNSHIP:  # codes sort a township before its villages
            groups[code[:9]] = (short_name(name), [option])
        else:  # a village user's own village comes without its township
            group = groups.setdefault(code[:9], (short_name(parent_name or ""), []))
            group[1].append((value, Labelled(short_name(name), data)))
    choices: Choices = [("", empty)]
    if current and current not in offered:
        choices.append((current, current))
    return choices + top + [groups[prefix] for prefix in sorted(groups)]
