"""The forms of the import pages: the column mapping step and the decisions of the preview."""

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry import selectors
from registry.choices import (
    SUBTYPES_BY_CLASS,
    AreaLevel,
    AssetClass,
    AssetForm,
    AssetSubtype,
    NetworkType,
    Surface,
)
from registry.errors import BilingualErrors, bilingual
from registry.forms import FastSelect
from registry.models import User
from transfer.importers.mapping import FIXABLE, MAPPABLE, Layout, field_label
from transfer.importers.options import WAN, YUAN

NOT_IMPORTED = ""


class MappingForm(BilingualErrors, forms.Form):
    """Which register particular each column of the file holds ("" for none), values for the
    whole file of particulars no column holds, and the unit of the money column."""

    value_unit = forms.ChoiceField(
        label=_("The value column is in"),
        choices=[(YUAN, _("yuan (元)")), (WAN, _("10,000 yuan (万元)"))],
        widget=forms.RadioSelect,
        initial=YUAN,
    )
    fixed_asset_class = forms.ChoiceField(
        label=_("class"), required=False, choices=[("", "—"), *AssetClass.choices]
    )
    fixed_subtype = forms.ChoiceField(
        label=_("sub-type"), required=False, choices=[("", "—"), *AssetSubtype.choices]
    )
    fixed_form = forms.ChoiceField(
        label=_("form"), required=False, choices=[("", "—"), *AssetForm.choices]
    )
    fixed_area_code = forms.ChoiceField(label=_("location"), required=False, widget=FastSelect)
    fixed_unit = forms.CharField(label=_("unit"), required=False, max_length=10)
    fixed_quantity = forms.DecimalField(
        label=_("quantity"), required=False, max_digits=14, decimal_places=3, min_value=0
    )
    fixed_formed_on = forms.DateField(
        label=_("date formed"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    fixed_booked = forms.ChoiceField(
        label=_("booked into accounts"),
        required=False,
        choices=[("", "—"), ("是", _("yes")), ("否", _("no"))],
    )
    # A layer of roads or pipes of one kind (通组路.shp): its network type and surface.
    fixed_network_type = forms.ChoiceField(
        label=_("network type"), required=False, choices=[("", "—"), *NetworkType.choices]
    )
    fixed_surface = forms.ChoiceField(
        label=_("surface"), required=False, choices=[("", "—"), *Surface.choices]
    )

    def __init__(self, *args: Any, layout: Layout, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.layout = layout
        choices = [(NOT_IMPORTED, _("— not imported —"))] + [
            (key, field_label(key)) for key in MAPPABLE
        ]
        self.column_fields: list[tuple[Any, forms.BoundField]] = []
        for index, column in enumerate(layout.columns):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=column.name, choices=choices, required=False, initial=column.guess
            )
            self.column_fields.append((column, self[name]))
        areas = selectors.area_list(user=user).filter(
            level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE]
        )
        area_field = self.fields["fixed_area_code"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [("", "—")] + [
            (a.code, f"{a.parent.name} {a.short_name}" if a.level == AreaLevel.VILLAGE and a.parent
             else a.name)
            for a in areas.order_by("code")
        ]  # fmt: skip
        self.fields["value_unit"].initial = layout.value_unit

    def fixed_fields(self) -> list[forms.BoundField]:
        return [self[f"fixed_{key}"] for key in FIXABLE]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        used: dict[str, str] = {}
        for index, column in enumerate(self.layout.columns):
            key = data.get(f"col_{index}") or NOT_IMPORTED
            if key and key in used:
                self.add_error(
                    f"col_{index}",
                    bilingual(
                        gettext_noop("「%(other)s」 already holds %(field)s: choose one column."),
                        other=used[key],
                        field=field_label(key),
                    ),
                )
            elif key:
                used[key] = column.name
        for key in FIXABLE:
            value = data.get(f"fixed_{key}")
            if value in (None, ""):
                continue
            given = used.get(key) or (
                used.get("township") or used.get("village") if key == "area_code" else None
            )  # a township or village column names the area too
            if given:
                self.add_error(
                    f"fixed_{key}",
                    bilingual(
                        gettext_noop(
                            "The column 「%(column)s」 already holds this: leave the value for"
                            " the whole file empty, or stop importing that column."
                        ),
                        column=given,
                    ),
                )
        cls, subtype = data.get("fixed_asset_class"), data.get("fixed_subtype")
        if cls and subtype and subtype not in SUBTYPES_BY_CLASS.get(cls, []):
            self.add_error(
                "fixed_subtype",
                bilingual(gettext_noop("This sub-type does not belong to the class.")),
            )
        formed = data.get("fixed_formed_on")
        if isinstance(formed, datetime.date):
            if formed > timezone.localdate():
                self.add_error(
                    "fixed_formed_on",
                    bilingual(gettext_noop("The date formed cannot be in the future.")),
                )
            elif formed.year < 2012:
                self.add_error(
                    "fixed_formed_on",
                    bilingual(
                        gettext_noop("Project assets count from 2012 (the 18th Party Congress).")
                    ),
                )
        return data

    def mapping(self) -> dict[str, Any]:
        """What the importer reads the file with (importers.options.ImportOptions)."""
        data = self.cleaned_data
        fixed: dict[str, Any] = {}
        for key in FIXABLE:
            value = data.get(f"fixed_{key}")
            if value in (None, ""):
                continue
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            fixed[key] = value
        return {
            "columns": {
                column.name: data.get(f"col_{index}") or NOT_IMPORTED
                for index, column in enumerate(self.layout.columns)
            },
            "header_row": self.layout.header_row,
            "fixed": fixed,
            "value_unit": data.get("value_unit") or YUAN,
        }
