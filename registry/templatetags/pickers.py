"""Template tags of the searchable pickers: the list pages' area filter and the pickers' files."""

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from registry import selectors
from registry.widgets import AreaPicker, PickerSelect, area_choices

register = template.Library()


@register.simple_tag(takes_context=True)
def area_filter_picker(context: dict[str, Any], field: BoundField) -> SafeString:
    """A list's ``area`` filter (a 12-digit code, registry.filtersets.base) as a picker of the
    areas in the signed-in user's scope, township -> village; it fills the same parameter, so
    links, exports, tiles and jobs read it as before."""
    user = context["request"].user
    value = field.value()
    # A code that is not offered (an old link) stays visible; junk is not echoed into the page.
    typed = value.strip() if isinstance(value, str) else ""
    current = typed if typed.isdigit() and len(typed) <= 15 else None
    widget = AreaPicker(
        choices=area_choices(
            selectors.area_list(user=user),
            key="code",
            empty=_("All areas"),
            whole=True,
            current=current,
        )
    )
    return widget.render(field.html_name, current, attrs={"id": field.auto_id})


@register.simple_tag
def picker_media() -> SafeString:
    """The <link> and <script> tags the pickers need, for pages that show no form.media."""
    return SafeString(str(PickerSelect().media))
