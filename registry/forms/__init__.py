"""Forms: they parse and present; the rules live in the services they feed."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from leaflet.forms.widgets import LeafletWidget

from registry import geometry, selectors
from registry.choices import (
    AllocationUse,
    AreaLevel,
    AssetStatus,
    BenefitLink,
    InspectionResult,
    MaintenanceKind,
)
from registry.errors import BilingualErrors, bilingual
from registry.models import (
    Asset,
    DisposalRequest,
    FundSource,
    MaintenanceDuty,
    OperationContract,
    Party,
    PublicNotice,
    User,
)
from registry.plausibility import value_bounds, value_needs_confirmation
from registry.widgets import (  # noqa: F401  (FastSelect: registry.forms.FastSelect is public)
    AreaPicker,
    FastSelect,
    PartyPicker,
    SharedChoices,
    area_choices,
    party_choices,
)

# HTML date inputs need ISO dates whatever the language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def money(label: Any, *, required: bool = True, initial: Any = None) -> forms.DecimalField:
    """An amount in yuan: never negative, two decimals."""
    return forms.DecimalField(
        label=label,
        required=required,
        initial=initial,
        max_digits=16,
        decimal_places=2,
        min_value=Decimal(0),
    )


class UserBoundForm(BilingualErrors, forms.Form):
    """A form that needs to know who fills it in (to offer only what they may choose)."""

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)


def party_field(user: User | AnonymousUser, label: Any, required: bool = True) -> forms.Field:
    # A county's 2,000 parties: a PartyPicker renders them in Python (not 2,000 templates),
    # grouped by area and searchable; share_choices reads them once for all of a form's pickers.
    return forms.ModelChoiceField(
        queryset=selectors.party_list(user=user).select_related(None).only("pk", "name"),
        label=label,
        required=required,
        widget=PartyPicker,
    )


def share_choices(form: forms.BaseForm, names: list[str]) -> None:
    """Several pickers of the same parties: read the grouped list once and give it to all of
    them (the first field's queryset, which selectors.party_list scoped to the user)."""
    first = form.fields[names[0]]
    assert isinstance(first, forms.ModelChoiceField) and first.queryset is not None
    choices = SharedChoices(party_choices(first.queryset))
    for name in names:
        form.fields[name].widget.choices = choices


class GeometryWidget(LeafletWidget):
    """django-leaflet's map, redrawing a submitted value through our parser (not GDAL's)."""

    def deserialize(self, value: Any) -> Any:
        try:
            return geometry.parse(value) if isinstance(value, str) else value
        except geometry.GeometryRefused:
            return None

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = self.deserialize(value)
        if value is not None and value.srid in geometry.ACCEPTED_SRIDS:
            # CGCS2000 numbers are the map's WGS84 numbers: relabel instead of a GDAL transform.
            value = value.clone()
            value.srid = self.map_srid
        return super().get_context(name, value, attrs)


class GeometryInput(forms.Field):
    """The map widget's GeoJSON (or WKT/EWKT) read by ``registry.geometry.parse``: never by GDAL,
    and refused with a field error when the register could not draw or export it."""

    widget = GeometryWidget(attrs={"geom_type": "GEOMETRY"})

    def to_python(self, value: Any) -> Any:
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            return value
        try:
            return geometry.parse(value)
        except geometry.GeometryRefused as exc:
            raise forms.ValidationError(bilingual(exc.message, **exc.params)) from exc


class AssetForm(BilingualErrors, forms.ModelForm):
    """Register or edit an asset, drawing its geometry on the map."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    geom = GeometryInput(label=_("position or shape"), required=False)
    benefit_links = forms.MultipleChoiceField(
        label=_("benefit-link mechanisms"),
        choices=BenefitLink.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Asked only when the value is unusual (registry.plausibility): under 100 or over 1 亿元.
    confirm_value = forms.BooleanField(label=_("This value is right"), required=False)

    class Meta:
        model = Asset
        fields = [
            "name", "asset_class", "subtype", "form", "area", "address", "geom", "formed_on",
            "original_value", "quantity", "unit", "beneficiary_households",
            "beneficiary_persons", "beneficiary_exited_households",
            "beneficiary_monitored_households", "benefit_links", "booked", "booked_on",
            "voucher_no", "supervising_department", "note", "original_code",
        ]  # fmt: skip
        widgets = {
            "formed_on": DATE,
            "booked_on": DATE,
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = (
            selectors.area_list(user=user)
            .filter(level__in=[AreaLevel.VILLAGE, AreaLevel.TOWNSHIP, AreaLevel.COUNTY])
            .select_related(None)
            .only("pk", "code", "name", "level")
        )
        area_field.widget = AreaPicker(attrs=area_field.widget.attrs)
        area_field.widget.choices = area_choices(area_field.queryset, key="pk")
        self.sources = list(FundSource.objects.filter(active=True))
        existing = (
            {f.source_id: f.amount for f in self.instance.funding.all()} if self.instance.pk else {}
        )
        for source in self.sources:
            self.fields[f"funding_{source.code}"] = money(
                source.name, required=False, initial=existing.get(source.pk)
            )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = data.get("original_value")
        changed = not self.instance.pk or value != self.instance.original_value
        self.value_unusual = changed and value_needs_confirmation(value)
        if self.value_unusual and not data.get("confirm_value"):
            low, high = value_bounds()
            self.add_error(
                "original_value",
                bilingual(
                    gettext_noop(
                        "%(value)s yuan is unusual for one asset (under %(low)s or over"
                        " %(high)s yuan): check the unit, or tick the box to confirm it."
                    ),
                    value=f"{value:,.2f}",
                    low=f"{low:,.0f}",
                    high=f"{high:,.0f}",
                ),
            )
        return data

    value_unusual = False

    @property
    def asks_value_confirmation(self) -> bool:
        """Show the confirmation box when the value submitted is unusual."""
        return self.is_bound and self.value_unusual

    def funding(self) -> dict[str, Decimal]:
        return {
            s.code: self.cleaned_data[f"funding_{s.code}"]
            for s in self.sources
            if self.cleaned_data.get(f"funding_{s.code}") is not None
        }

    def funding_fields(self) -> list[forms.BoundField]:
        return [self[f"funding_{s.code}"] for s in self.sources]


class AssetStatusForm(BilingualErrors, forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[
            (s.value, s.label)
            for s in (
                AssetStatus.IN_USE,
                AssetStatus.IDLE,
                AssetStatus.DAMAGED,
                AssetStatus.CONSUMED,
            )
        ],
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class OwnershipForm(UserBoundForm):
    """Owners and their shares (up to four, for assets built by several villages)."""

    effective_on = forms.DateField(label=_("effective on"), widget=DATE)
    basis = forms.CharField(label=_("basis document"), max_length=200)
    certificate_no = forms.CharField(
        label=_("certificate or register number"), max_length=60, required=False
    )
    ROWS = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(self.ROWS):
            self.fields[f"owner_{i}"] = party_field(self.user, _("owner"), required=i == 0)
            self.fields[f"percent_{i}"] = forms.DecimalField(
                label=_("share (%)"),
                required=i == 0,
                max_digits=6,
                decimal_places=3,
                initial=Decimal(100) if i == 0 else None,
            )
        share_choices(self, [f"owner_{i}" for i in range(self.ROWS)])

    def shares(self) -> list[tuple[Party, Decimal]]:
        return [
            (self.cleaned_data[f"owner_{i}"], self.cleaned_data[f"percent_{i}"] or Decimal(0))
            for i in range(self.ROWS)
            if self.cleaned_data.get(f"owner_{i}")
        ]

    def share_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"owner_{i}"], self[f"percent_{i}"]) for i in range(self.ROWS)]


class HandoverForm(UserBoundForm):
    handed_on = forms.DateField(label=_("handed over on"), widget=DATE)
    items = forms.CharField(label=_("handover list"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_party"] = party_field(self.user, _("handing party"))
        self.fields["to_party"] = party_field(self.user, _("receiving party"))
        self.fields["supervisor"] = party_field(self.user, _("supervising party"), required=False)
        share_choices(self, ["from_party", "to_party", "supervisor"])
        self.order_fields(["from_party", "to_party", "supervisor", "handed_on", "items"])


class OperationContractForm(BilingualErrors, forms.ModelForm):
    class Meta:
        model = OperationContract
        fields = ["operator", "mode", "starts_on", "ends_on", "guaranteed_income"]
        widgets = {"starts_on": DATE, "ends_on": DATE}

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operator = self.fields["operator"]
        assert isinstance(operator, forms.ModelChoiceField)
        operator.widget = PartyPicker(attrs=operator.widget.attrs)
        operator.queryset = selectors.party_list(user=user).select_related(None).only("pk", "name")
        share_choices(self, ["operator"])


class MaintenanceDutyForm(BilingualErrors, forms.ModelForm):
    class Meta:
        model = MaintenanceDuty
        fields = [
            "maintainer", "responsible_person", "responsible_phone", "duties", "funding_source",
            "inspection_interval_days", "starts_on", "ends_on", "posted_on",
        ]  # fmt: skip
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "posted_on": DATE,
            "duties": forms.Textarea(attrs={"rows": 3}),
            "responsible_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        maintainer = self.fields["maintainer"]
        assert isinstance(maintainer, forms.ModelChoiceField)
        maintainer.widget = PartyPicker(attrs=maintainer.widget.attrs)
        maintainer.queryset = (
            selectors.party_list(user=user).select_related(None).only("pk", "name")
        )
        share_choices(self, ["maintainer"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class MaintenanceLogForm(BilingualErrors, forms.Form):
    """The field form: what was done, found, and where the phone was."""

    kind = forms.ChoiceField(label=_("kind"), choices=MaintenanceKind.choices)
    performed_on = forms.DateField(label=_("date"), widget=DATE)
    result = forms.ChoiceField(
        label=_("result"), choices=InspectionResult.choices, widget=forms.RadioSelect
    )
    findings = forms.CharField(
        label=_("findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    cost = money(_("cost (yuan)"), required=False)
    latitude = forms.FloatField(
        label=_("latitude"), required=False, min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )  # fmt: skip
    longitude = forms.FloatField(
        label=_("longitude"), required=False, min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )  # fmt: skip
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0)
    photos = MultipleFileField(label=_("photos"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        return data


class IncomeRecordForm(BilingualErrors, forms.Form):
    period_start = forms.DateField(label=_("period start"), widget=DATE)
    period_end = forms.DateField(label=_("period end"), widget=DATE)
    gross = money(_("gross income (yuan)"))
    costs = money(_("costs (yuan)"), initial=0)
    account = forms.CharField(label=_("paid into account"), max_length=100, required=False)


class DistributionPlanForm(BilingualErrors, forms.Form):
    """A year's distribution plan: its total and one amount per use. Revising a plan keeps its
    year (``revising``) and carries the version the page was read at."""

    year = forms.IntegerField(label=_("year"), min_value=2013, max_value=2100)
    total = money(_("amount to distribute (yuan)"))
    resolution = forms.CharField(label=_("village resolution"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, revising: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].disabled = revising
        for use in AllocationUse:
            field = money(use.label, required=False)
            field.widget.attrs["data-use"] = use.value  # the live cash-share warning reads it
            self.fields[f"line_{use.value}"] = field

    def lines(self) -> dict[str, Decimal]:
        return {
            use.value: self.cleaned_data.get(f"line_{use.value}") or Decimal(0)
            for use in AllocationUse
        }

    def line_fields(self) -> list[forms.BoundField]:
        return [self[f"line_{use.value}"] for use in AllocationUse]


class PlanAdvanceForm(BilingualErrors, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    resolution = forms.CharField(label=_("village resolution"), max_length=200, required=False)


class ReviewReturnForm(BilingualErrors, forms.Form):
    """Sending a registration or a plan back: the reason (required: the service says so in
    both languages) and, for a plan, the version the page showed."""

    reason = forms.CharField(
        label=_("reason for returning"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DisposalRequestForm(BilingualErrors, forms.ModelForm):
    class Meta:
        model = DisposalRequest
        fields = ["reason", "method", "book_value", "explanation"]
        widgets = {"explanation": forms.Textarea(attrs={"rows": 3})}


class DisposalDecisionForm(BilingualErrors, forms.Form):
    approved = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisposalCompleteForm(BilingualErrors, forms.Form):
    completed_on = forms.DateField(label=_("completed on"), widget=DATE)
    proceeds = money(_("proceeds (yuan)"), initial=0)
    proceeds_use = forms.CharField(label=_("use of proceeds"), max_length=200, required=False)


class PublicNoticeForm(BilingualErrors, forms.ModelForm):
    class Meta:
        model = PublicNotice
        fields = ["subject", "channel", "starts_on", "ends_on", "content"]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "content": forms.Textarea(attrs={"rows": 3}),
        }
