"""Forms of the project libraries' pages (一库一单): villages' needs, project proposals and the
steps of a project's life, the yearly task list. They parse and present; every rule lives in
registry.services.projects, whose errors come back on the fields they name."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from registry import selectors
from registry.choices import (
    SUBTYPES_BY_CLASS,
    AreaLevel,
    AssetClass,
    AssetSubtype,
    AttachmentKind,
    BenefitLink,
    FundUseKind,
    TargetKind,
)
from registry.errors import BilingualErrors
from registry.forms import DATE, GeometryInput, money, party_field, share_choices
from registry.models import (
    AdminArea,
    ConstructionNeed,
    FundSource,
    FundUse,
    Project,
    TaskListItem,
    User,
)
from registry.widgets import AreaPicker, FastSelect, area_choices

TEXTAREA = forms.Textarea(attrs={"rows": 2})


def _areas(user: User | AnonymousUser, levels: list[AreaLevel]) -> Any:
    return (
        selectors.area_list(user=user)
        .filter(level__in=levels)
        .select_related(None)
        .only("pk", "code", "name", "level")
    )


def _area_picker(field: forms.Field, areas: Any) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = areas
    field.widget = AreaPicker(attrs=field.widget.attrs)
    field.widget.choices = area_choices(areas, key="pk")


# --- needs -----------------------------------------------------------------------------------


class NeedForm(BilingualErrors, forms.ModelForm):
    """A village's construction need as its meeting decided it, drawn on the map."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    geom = GeometryInput(label=_("position or shape"), required=False)

    class Meta:
        model = ConstructionNeed
        fields = [
            "title", "category", "area", "description", "horizon_from", "horizon_to",
            "estimated_investment", "geom", "meeting_kind", "meeting_on", "meeting_attendance",
        ]  # fmt: skip
        widgets = {"meeting_on": DATE, "description": TEXTAREA}

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _area_picker(self.fields["area"], _areas(user, [AreaLevel.VILLAGE]))
        if self.instance.pk:
            self.fields["area"].disabled = True
            self.fields["version"].initial = self.instance.version
        for name in ("horizon_from", "horizon_to"):
            self.fields[name].widget.attrs.update(min=2013, max=2100)

    def values(self) -> dict[str, Any]:
        """What the need's service takes (its village apart)."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("area", "version")}


class NeedPostForm(BilingualErrors, forms.Form):
    """The village's posting (公示) of the need, and any objection raised."""

    posted_from = forms.DateField(label=_("posted from"), widget=DATE)
    posted_to = forms.DateField(label=_("posted until"), widget=DATE)
    objection = forms.CharField(
        label=_("objections raised (none: leave empty)"), required=False, widget=TEXTAREA
    )


class NeedFileForm(BilingualErrors, forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (k.value, k.label)
            for k in (AttachmentKind.MINUTES, AttachmentKind.SCAN, AttachmentKind.PHOTO)
        ],
        initial=AttachmentKind.MINUTES,
    )
    file = forms.FileField(
        label=_("file (JPEG, PNG, WebP or PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )


class StepFileForm(BilingualErrors, forms.Form):
    """A file kept with the step it documents (the tender notice, the completion or acceptance
    report, a photo of the works), beside any step's own form; optional."""

    file = forms.FileField(
        label=_("Attach a document of this step (JPEG, PNG, WebP or PDF; optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )


DECISION = [("1", _("Accept")), ("0", _("Do not accept"))]

# The checks of the reviews (DOMAIN.md 4.1): the township's (a need's first three) and the county's.
CHECK_LABELS = {
    "genuine": _("Genuine"),
    "necessary": _("Necessary"),
    "sound": _("Sound"),
    "complete": _("Complete"),
    "feasible": _("Feasible"),
    "compliant": _("Compliant"),
    "estimate": _("Estimate accurate"),
    "funding": _("Funding reliable"),
    "land": _("Land secured"),
    "benefit_links": _("Benefit links to farmers"),
    "targets": _("Performance targets"),
}


class NeedReviewForm(BilingualErrors, forms.Form):
    """The township's three checks of a need (三项审查), its decision and the reason."""

    genuine = forms.BooleanField(label=CHECK_LABELS["genuine"], required=False)
    necessary = forms.BooleanField(label=CHECK_LABELS["necessary"], required=False)
    feasible = forms.BooleanField(label=CHECK_LABELS["feasible"], required=False)
    accept = forms.TypedChoiceField(
        label=_("decision"), choices=DECISION, coerce=lambda v: v == "1", widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("reason or note (required when not accepted)"), required=False, widget=TEXTAREA
    )


# --- projects --------------------------------------------------------------------------------

TARGET_ROWS = 4


def fund_use_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The fund uses in force, grouped: the positive list, then the negative list (what bridging
    funds may not pay for: a project that states one of them with bridging funds is refused at
    review, with the rule named)."""
    uses = list(FundUse.objects.filter(active=True).order_by("kind", "sort_order", "code"))
    seen: set[str] = set()
    groups: dict[str, list[tuple[str, str]]] = {FundUseKind.POSITIVE: [], FundUseKind.NEGATIVE: []}
    for use in uses:
        if use.code not in seen:
            seen.add(use.code)
            groups.setdefault(use.kind, []).append((use.code, use.name))
    return [
        (str(_("Allowed directions (positive list)")), groups[FundUseKind.POSITIVE]),
        (str(_("Not allowed for bridging funds (negative list)")), groups[FundUseKind.NEGATIVE]),
    ]


class AreasSelect(FastSelect):
    """Several areas in one plain <select multiple> (the searchable picker takes one value)."""

    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class ProjectForm(BilingualErrors, forms.ModelForm):
    """A project proposal (申报), or its correction before the county appraises it: particulars,
    place, planned funding by source and performance targets."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    geom = GeometryInput(label=_("position or shape"), required=False)
    other_areas = forms.ModelMultipleChoiceField(
        label=_("other areas it touches"), queryset=AdminArea.objects.none(), required=False,
        widget=AreasSelect(attrs={"size": 6}),
        help_text=_("The villages of the needs it answers are added by themselves."),
    )  # fmt: skip
    fund_uses = forms.MultipleChoiceField(
        label=_("what the funds pay for"), required=False, widget=forms.CheckboxSelectMultiple
    )
    benefit_links = forms.MultipleChoiceField(
        label=_("benefit-link mechanisms"), choices=BenefitLink.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = Project
        fields = [
            "name", "year", "category", "subcategory", "nature", "in_construction_library",
            "in_bridging_library", "area", "geom", "content", "scale", "period_start",
            "period_end", "implementing_unit", "responsible_person", "fund_direction",
            "fund_uses", "beneficiary_households", "beneficiary_persons",
            "beneficiary_exited_households", "beneficiary_monitored_households",
            "benefit_links", "expected_ownership", "expected_income",
        ]  # fmt: skip
        labels = {"area": _("Led from")}
        widgets = {
            "period_start": DATE,
            "period_end": DATE,
            "content": TEXTAREA,
        }

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        levels = [AreaLevel.VILLAGE, AreaLevel.TOWNSHIP, AreaLevel.COUNTY]
        _area_picker(self.fields["area"], _areas(user, levels))
        others = self.fields["other_areas"]
        assert isinstance(others, forms.ModelMultipleChoiceField)
        others.queryset = _areas(user, [AreaLevel.VILLAGE, AreaLevel.TOWNSHIP])
        others.widget.choices = area_choices(others.queryset, key="pk", empty="")[1:]
        direction = self.fields["fund_direction"]
        assert isinstance(direction, forms.ModelChoiceField)
        direction.queryset = FundUse.objects.filter(kind=FundUseKind.POSITIVE, active=True)
        uses = self.fields["fund_uses"]
        assert isinstance(uses, forms.MultipleChoiceField)
        uses.choices = fund_use_choices()
        self.fields["year"].widget.attrs.update(min=2013, max=2100)
        self.sources = list(FundSource.objects.filter(active=True))
        existing: dict[int, Decimal] = {}
        if self.instance.pk:
            existing = {f.source_id: f.planned for f in self.instance.funding.all()}
            self.fields["area"].disabled = True
            del self.fields["other_areas"]
            self.fields["version"].initial = self.instance.version
        for source in self.sources:
            self.fields[f"funding_{source.code}"] = money(
                source.name, required=False, initial=existing.get(source.pk)
            )
        self.target_rows = 0 if self.instance.pk else TARGET_ROWS
        for i in range(self.target_rows):
            self.fields[f"target_kind_{i}"] = forms.ChoiceField(
                label=_("kind"), choices=TargetKind.choices, required=False
            )
            self.fields[f"target_indicator_{i}"] = forms.CharField(
                label=_("indicator"), max_length=120, required=False
            )
            self.fields[f"target_value_{i}"] = forms.CharField(
                label=_("target"), max_length=60, required=False
            )
            self.fields[f"target_unit_{i}"] = forms.CharField(
                label=_("unit"), max_length=20, required=False
            )

    GROUPS = {
        "what": ["name", "year", "category", "subcategory", "nature", "in_construction_library",
                 "in_bridging_library", "content", "scale", "period_start", "period_end",
                 "implementing_unit", "responsible_person"],
        "where": ["area", "other_areas", "geom"],
        "funds": ["fund_direction", "fund_uses"],
        "people": ["beneficiary_households", "beneficiary_persons",
                   "beneficiary_exited_households", "beneficiary_monitored_households",
                   "benefit_links", "expected_ownership", "expected_income"],
    }  # fmt: skip

    def group(self, name: str) -> list[forms.BoundField]:
        return [self[n] for n in self.GROUPS[name] if n in self.fields]

    def what_fields(self) -> list[forms.BoundField]:
        return self.group("what")

    def where_fields(self) -> list[forms.BoundField]:
        return self.group("where")

    def funds_fields(self) -> list[forms.BoundField]:
        return self.group("funds")

    def people_fields(self) -> list[forms.BoundField]:
        return self.group("people")

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "area"}

    def funding(self) -> dict[str, Decimal]:
        return {
            s.code: self.cleaned_data[f"funding_{s.code}"]
            for s in self.sources
            if self.cleaned_data.get(f"funding_{s.code}") is not None
        }

    def funding_fields(self) -> list[forms.BoundField]:
        return [self[f"funding_{s.code}"] for s in self.sources]

    def targets(self) -> list[Any]:
        from registry.services.projects import Target

        rows = []
        for i in range(self.target_rows):
            indicator = self.cleaned_data.get(f"target_indicator_{i}") or ""
            value = self.cleaned_data.get(f"target_value_{i}") or ""
            if indicator.strip() or value.strip():
                rows.append(
                    Target(
                        kind=self.cleaned_data.get(f"target_kind_{i}") or TargetKind.OUTPUT,
                        indicator=indicator,
                        target=value,
                        unit=self.cleaned_data.get(f"target_unit_{i}") or "",
                    )
                )
        return rows

    def target_rows_fields(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"target_{part}_{i}"] for part in ("kind", "indicator", "value", "unit")]
            for i in range(self.target_rows)
        ]


# --- the steps of a project's life -------------------------------------------------------------


class ReviewForm(BilingualErrors, forms.Form):
    """A review (乡审核 or 县论证): its checks, the decision and the reason."""

    approve = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("Passes")), ("0", _("Does not pass"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("reason or note (required when it does not pass)"), required=False,
        widget=TEXTAREA,
    )  # fmt: skip

    def __init__(self, *args: Any, checks: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check_names = [name for name, _label in checks]
        for name, label in checks:
            self.fields[f"check_{name}"] = forms.BooleanField(label=label, required=False)
        self.order_fields([f"check_{n}" for n in self.check_names] + ["approve", "reason"])

    def checks(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(f"check_{name}")) for name in self.check_names}

    def check_fields(self) -> list[forms.BoundField]:
        return [self[f"check_{n}"] for n in self.check_names]


class NoteForm(BilingualErrors, forms.Form):
    reason = forms.CharField(label=_("note"), required=False, widget=TEXTAREA)


class ReasonForm(BilingualErrors, forms.Form):
    # Not required here: the service says, in both languages, that a reason is needed.
    reason = forms.CharField(label=_("reason"), required=False, widget=TEXTAREA)


class PlanForm(BilingualErrors, forms.Form):
    year = forms.IntegerField(label=_("plan year"), min_value=2013, max_value=2100)
    task = forms.ModelChoiceField(
        label=_("task of the year's task list"), queryset=TaskListItem.objects.none(),
        required=False, empty_label=_("(none: not a rural-construction task)"),
    )  # fmt: skip
    reason = forms.CharField(label=_("note"), required=False, widget=TEXTAREA)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task = self.fields["task"]
        assert isinstance(task, forms.ModelChoiceField)
        task.queryset = TaskListItem.objects.filter(
            county_code=project.county_code, year__gte=project.year, year__lte=project.year + 3
        ).order_by("year", "id")
        task.label_from_instance = _task_label  # type: ignore[assignment]


def _task_label(t: TaskListItem) -> str:
    return f"{t.year} · {t.task}（{t.department}）"


class StartForm(BilingualErrors, forms.Form):
    started_on = forms.DateField(label=_("works started on"), widget=DATE)
    tender = forms.CharField(
        label=_("tender (winning bidder, contract)"), required=False, widget=TEXTAREA
    )


class CompleteForm(BilingualErrors, forms.Form):
    """完工: the date and what each fund source actually paid (the planned amounts offered)."""

    completed_on = forms.DateField(label=_("completed on"), widget=DATE)
    reason = forms.CharField(label=_("note"), required=False, widget=TEXTAREA)
    confirm_cost = forms.BooleanField(
        label=_("The actual cost is right as entered, unusual as it is"), required=False
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        planned = {f.source_id: f.planned for f in project.funding.all()}
        self.sources = list(FundSource.objects.filter(active=True))
        for source in self.sources:
            self.fields[f"actual_{source.code}"] = money(
                source.name, required=False, initial=planned.get(source.pk) or None
            )
        self.order_fields(["completed_on", *(f"actual_{s.code}" for s in self.sources)])

    def actual(self) -> dict[str, Decimal]:
        return {
            s.code: self.cleaned_data[f"actual_{s.code}"]
            for s in self.sources
            if self.cleaned_data.get(f"actual_{s.code}") is not None
        }

    def actual_fields(self) -> list[forms.BoundField]:
        return [self[f"actual_{s.code}"] for s in self.sources]

    def closing_fields(self) -> list[forms.BoundField]:
        return [self["reason"], self["confirm_cost"]]


class AcceptForm(BilingualErrors, forms.Form):
    accepted_on = forms.DateField(label=_("accepted on"), widget=DATE)
    report = forms.CharField(label=_("acceptance report"), required=False, widget=TEXTAREA)


HANDOVER_ROWS = 4
PART_FIELDS = ("name", "class", "subtype", "owner", "share")  # what every part must state


class HandoverForm(BilingualErrors, forms.Form):
    """资产移交 in one action: the works become one or more assets, each with its class, sub-type,
    quantity, owner and share of the actual investment (its value is computed from it)."""

    handed_on = forms.DateField(label=_("handed over on"), widget=DATE)

    def __init__(
        self, *args: Any, user: User | AnonymousUser, project: Project, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        areas = list(
            AdminArea.objects.filter(code__in=project.area_codes or [project.area_code])
            .order_by("code")
            .only("pk", "code", "name", "level")
        )
        villages = [a for a in areas if a.level == AreaLevel.VILLAGE]
        default_area = villages[0].pk if len(villages) == 1 else project.area_id
        subtypes = [(s.value, s.label) for s in AssetSubtype]
        for i in range(HANDOVER_ROWS):
            first = i == 0
            self.fields[f"name_{i}"] = forms.CharField(
                label=_("asset name"), max_length=200, required=False,
                initial=project.name if first else None,
            )  # fmt: skip
            self.fields[f"class_{i}"] = forms.ChoiceField(
                label=_("class"), choices=[("", "---------"), *AssetClass.choices],
                required=False,
            )  # fmt: skip
            self.fields[f"subtype_{i}"] = forms.ChoiceField(
                label=_("sub-type"), choices=[("", "---------"), *subtypes], required=False
            )
            self.fields[f"quantity_{i}"] = forms.DecimalField(
                label=_("quantity"), max_digits=14, decimal_places=3, min_value=Decimal(0),
                required=False,
            )  # fmt: skip
            self.fields[f"unit_{i}"] = forms.CharField(
                label=_("unit"), max_length=20, required=False
            )
            self.fields[f"area_{i}"] = forms.TypedChoiceField(
                label=_("location"), choices=[(a.pk, a.short_name) for a in areas], coerce=int,
                required=False, initial=default_area,
            )  # fmt: skip
            self.fields[f"owner_{i}"] = party_field(user, _("owner"), required=False)
            self.fields[f"share_{i}"] = forms.DecimalField(
                label=_("share (%)"), max_digits=7, decimal_places=4, required=False,
                initial=Decimal(100) if first else None,
            )  # fmt: skip
        share_choices(self, [f"owner_{i}" for i in range(HANDOVER_ROWS)])
        self.areas = {a.pk: a for a in areas}

    def rows(self) -> list[dict[str, forms.BoundField]]:
        names = ("name", "class", "subtype", "quantity", "unit", "area", "owner", "share")
        return [{n: self[f"{n}_{i}"] for n in names} for i in range(HANDOVER_ROWS)]

    def clean(self) -> dict[str, Any]:
        """The parts filled in, as the handover service takes them; a part begun without its
        name, class, sub-type, owner or share is named on its row."""
        from registry.services.projects import HandoverPart

        data = super().clean() or {}
        self._parts = []
        for i in range(HANDOVER_ROWS):
            named = (data.get(f"name_{i}") or "").strip()
            given = [data.get(f"{n}_{i}") not in (None, "") for n in PART_FIELDS]
            if i > 0 and not any(given):
                continue
            missing = [
                n for n in PART_FIELDS
                if data.get(f"{n}_{i}") in (None, "") and f"{n}_{i}" not in self.errors
            ]  # fmt: skip
            for n in missing:
                required = self.fields[f"{n}_{i}"].error_messages["required"]
                self.add_error(f"{n}_{i}", forms.ValidationError(required))
            if missing or any(name.endswith(f"_{i}") for name in self.errors):
                continue
            self._parts.append(
                HandoverPart(
                    name=named,
                    asset_class=data[f"class_{i}"],
                    subtype=data[f"subtype_{i}"],
                    quantity=data.get(f"quantity_{i}") or Decimal(1),
                    unit=data.get(f"unit_{i}") or "",
                    owner=data[f"owner_{i}"],
                    share=data[f"share_{i}"],
                    area=self.areas.get(data.get(f"area_{i}") or 0),
                )
            )
        return data

    _parts: list[Any]

    def parts(self) -> list[Any]:
        return self._parts

    subtypes_by_class = SUBTYPES_BY_CLASS


class EvaluateForm(BilingualErrors, forms.Form):
    """绩效评价: the actual value of each performance target."""

    reason = forms.CharField(label=_("note"), required=False, widget=TEXTAREA)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = list(project.targets.all())
        for target in self.targets:
            self.fields[f"actual_{target.pk}"] = forms.CharField(
                label=f"{target.indicator}（{target.get_kind_display()}，"
                f"{_('target')} {target.target}{target.unit}）",
                max_length=60,
                required=False,
                initial=target.actual,
            )
        self.order_fields([f"actual_{t.pk}" for t in self.targets] + ["reason"])

    def actuals(self) -> dict[int, str]:
        return {t.pk: self.cleaned_data.get(f"actual_{t.pk}") or "" for t in self.targets}


class AdjustForm(BilingualErrors, forms.Form):
    """调整: an approved project's particulars, planned funding and targets, changed with the
    reason; the page it was read at (version) must still be current."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("reason for the adjustment"), required=False, widget=TEXTAREA)
    name = forms.CharField(label=_("name"), max_length=200)
    content = forms.CharField(label=_("Content"), required=False, widget=TEXTAREA)
    scale = forms.CharField(label=_("scale"), max_length=200, required=False)
    period_start = forms.DateField(label=_("to start"), required=False, widget=DATE)
    period_end = forms.DateField(label=_("to finish"), required=False, widget=DATE)
    fund_uses = forms.MultipleChoiceField(
        label=_("what the funds pay for"), required=False, widget=forms.CheckboxSelectMultiple
    )

    VALUES = ("name", "content", "scale", "period_start", "period_end", "fund_uses")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        # The page opens on the project as it stands (FormView passes its own, empty, initial:
        # a default would be lost, and a saved adjustment would erase what the form left out).
        kwargs["initial"] = {
            "version": project.version,
            **{name: getattr(project, name) for name in self.VALUES},
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        uses = self.fields["fund_uses"]
        assert isinstance(uses, forms.MultipleChoiceField)
        uses.choices = fund_use_choices()
        planned = {f.source_id: f.planned for f in project.funding.all()}
        self.sources = list(FundSource.objects.filter(active=True))
        for source in self.sources:
            self.fields[f"planned_{source.code}"] = money(
                source.name, required=False, initial=planned.get(source.pk)
            )
        self.targets = list(project.targets.all())
        for target in self.targets:
            self.fields[f"target_{target.pk}"] = forms.CharField(
                label=f"{target.indicator}（{target.unit}）" if target.unit else target.indicator,
                max_length=60,
                required=False,
                initial=target.target,
            )

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.VALUES}

    def planned(self) -> dict[str, Decimal]:
        return {
            s.code: self.cleaned_data[f"planned_{s.code}"]
            for s in self.sources
            if self.cleaned_data.get(f"planned_{s.code}") is not None
        }

    def target_values(self) -> dict[int, str]:
        return {
            t.pk: self.cleaned_data.get(f"target_{t.pk}") or ""
            for t in self.targets
            if self.cleaned_data.get(f"target_{t.pk}") is not None
        }

    def planned_fields(self) -> list[forms.BoundField]:
        return [self[f"planned_{s.code}"] for s in self.sources]

    def target_fields(self) -> list[forms.BoundField]:
        return [self[f"target_{t.pk}"] for t in self.targets]


class TaskForm(BilingualErrors, forms.ModelForm):
    """One task of the county's yearly task list (乡村建设任务清单)."""

    class Meta:
        model = TaskListItem
        fields = [
            "year", "task", "department", "target", "content", "standard", "scale",
            "fund_source", "progress", "progress_note",
        ]  # fmt: skip
        widgets = {"content": TEXTAREA}
