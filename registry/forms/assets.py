"""The network attributes of an asset (a road, pipe or line, or a water source) on the asset
form, and the quick "mark as hardened" form of a road's page. They parse; the rules live in
registry.services.network.network_link_set, whose errors are worded in Chinese and English."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import HARDENED_SURFACES, NetworkType, RoadGrade, Surface
from registry.errors import BilingualErrors, bilingual_lazy
from registry.models import NetworkLink

# Sub-types whose assets usually carry network attributes: the form opens its network section
# for them (and for any asset drawn as a line) without being asked.
NETWORK_SUBTYPES = ["road", "water_supply", "power", "network"]

NOT_A_NUMBER = bilingual_lazy(gettext_noop("Enter a number."))
NOT_A_WHOLE_NUMBER = bilingual_lazy(gettext_noop("Enter a whole number."))


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class AssetNetworkForm(BilingualErrors, forms.Form):
    """Network type, road grade, surface, width and year built of the asset being registered
    or edited. Left empty, the asset carries no network attributes; once it carries them they
    can be changed but not removed (a link is retired with its asset)."""

    network_type = forms.ChoiceField(
        label=capfirst(_("network type")),
        choices=_blank(_("— not part of a network —")) + list(NetworkType.choices),
        required=False,
        help_text=_("Roads, pipes and lines are drawn as lines; a water source as a point."),
    )
    grade = forms.ChoiceField(
        label=capfirst(_("road grade")),
        choices=_blank("—") + list(RoadGrade.choices),
        required=False,
        help_text=_("Roads only."),
    )
    surface = forms.ChoiceField(
        label=capfirst(_("surface")),
        choices=_blank("—") + list(Surface.choices),
        required=False,
        help_text=_(
            "Roads only, and required for a road. Asphalt, cement concrete and paved stone "
            "count as hardened (硬化路); gravel and earth do not."
        ),
    )
    width_m = forms.DecimalField(
        label=capfirst(_("width (m)")),
        required=False,
        error_messages={"invalid": NOT_A_NUMBER},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    built_year = forms.IntegerField(
        label=capfirst(_("year built")),
        required=False,
        error_messages={"invalid": NOT_A_WHOLE_NUMBER},
        widget=forms.NumberInput(attrs={"min": "1949", "max": "2100"}),
    )

    def __init__(self, *args: Any, link: NetworkLink | None = None, **kwargs: Any) -> None:
        if link is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "network_type": link.network_type,
                "grade": link.grade,
                "surface": link.surface,
                "width_m": link.width_m,
                "built_year": link.built_year,
            }
        super().__init__(*args, **kwargs)
        self.link = link

    def stated(self) -> bool:
        """Does the form say anything of a network (or the asset already carry a link)?"""
        return self.link is not None or any(
            self.cleaned_data.get(name) not in (None, "") for name in self.fields
        )

    def attributes(self) -> dict[str, Any]:
        """What network_link_set takes, from the cleaned form."""
        data = self.cleaned_data
        width: Decimal | None = data.get("width_m")
        return {
            "network_type": data.get("network_type") or "",
            "grade": data.get("grade") or "",
            "surface": data.get("surface") or "",
            "width_m": width,
            "built_year": data.get("built_year"),
        }


class RoadHardenForm(BilingualErrors, forms.Form):
    """Mark a road hardened (标记为已硬化) from its page: the hardened surface it now has (its
    year built stays: hardening is not building); the asset's version guards against a page
    opened before a change."""

    surface = forms.ChoiceField(
        label=capfirst(_("hardened surface")),
        choices=[(s.value, s.label) for s in Surface if s in HARDENED_SURFACES],
        initial=Surface.CONCRETE,
        widget=forms.Select(attrs={"id": "harden-surface", "data-testid": "harden-surface"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput(attrs={"id": "harden-version"}))
