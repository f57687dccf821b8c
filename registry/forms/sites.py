"""Forms of the relocation sites' pages: a site (its point and outline drawn on the map), an
asset or a project linked to it, a year's follow-up support figures, a residents' problem
raised and resolved. They parse and present; every rule lives in registry.services.sites,
whose errors come back on the fields they name."""

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaLevel, FacilityRole
from registry.errors import BilingualErrors
from registry.forms import DATE, GeometryInput, GeometryWidget
from registry.forms.projects import TEXTAREA, _area_picker, _areas
from registry.models import RelocationSite, SiteProblem, SiteSupport, User


class SiteForm(BilingualErrors, forms.ModelForm):
    """A relocation site: what it is, where (its village, its point and outline drawn on the
    map), who moved there and what was built."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    point = GeometryInput(
        label=_("position (a point)"),
        required=False,
        widget=GeometryWidget(attrs={"geom_type": "POINT"}),
        help_text=_("Mark the site on the map; when only the outline is drawn, a point inside it."),
    )
    outline = GeometryInput(
        label=_("outline"),
        required=False,
        widget=GeometryWidget(attrs={"geom_type": "MULTIPOLYGON"}),
        help_text=_("The area of a concentrated site; leave empty for a dispersed placement."),
    )

    class Meta:
        model = RelocationSite
        fields = [
            "name", "site_type", "area", "community", "point", "outline",
            "registered_households", "registered_persons", "alongside_households",
            "alongside_persons", "housing_units", "floor_area_m2", "built_from", "built_to",
            "moved_in_on", "reclamation", "note",
        ]  # fmt: skip
        labels = {"area": _("Village or community it lies in")}
        widgets = {"moved_in_on": DATE, "note": TEXTAREA}

    GROUPS = {
        "what": ["name", "site_type", "reclamation", "note"],
        "where": ["area", "community", "point", "outline"],
        "people": ["registered_households", "registered_persons", "alongside_households",
                   "alongside_persons"],
        "built": ["housing_units", "floor_area_m2", "built_from", "built_to", "moved_in_on"],
    }  # fmt: skip

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = _areas(user, [AreaLevel.VILLAGE])
        _area_picker(self.fields["area"], villages)
        _area_picker(self.fields["community"], villages)
        self.fields["community"].required = False
        self.fields["community"].help_text = _(
            "Optional: the residents' committee the site became, when it has its own code."
        )
        for name in ("built_from", "built_to"):
            self.fields[name].widget.attrs.update(min=2001, max=timezone.localdate().year + 5)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_point(self) -> Any:
        return self._of_type("point", ("Point",), _("The position is a point: mark it once."))

    def clean_outline(self) -> Any:
        return self._of_type(
            "outline", ("Polygon", "MultiPolygon"), _("The outline is an area: draw a polygon.")
        )

    def _of_type(self, name: str, types: tuple[str, ...], message: Any) -> Any:
        """A drawn shape of the kind the field holds; a line in the point field is the user's
        mistake to correct, not a crash of the model's geometry field."""
        value = self.cleaned_data.get(name)
        if value is not None and getattr(value, "geom_type", None) not in types:
            raise forms.ValidationError(message)
        if value is not None and value.geom_type == "Polygon":
            from django.contrib.gis.geos import MultiPolygon

            value = MultiPolygon(value, srid=value.srid)
        return value

    def group(self, name: str) -> list[forms.BoundField]:
        return [self[n] for n in self.GROUPS[name] if n in self.fields]

    def what_fields(self) -> list[forms.BoundField]:
        return self.group("what")

    def where_fields(self) -> list[forms.BoundField]:
        return self.group("where")

    def people_fields(self) -> list[forms.BoundField]:
        return self.group("people")

    def built_fields(self) -> list[forms.BoundField]:
        return self.group("built")

    def values(self) -> dict[str, Any]:
        """What the site's services take (its village apart)."""
        return {n: self.cleaned_data[n] for n in self.Meta.fields if n != "area"}


class FacilityLinkForm(BilingualErrors, forms.Form):
    """An asset of the user's area (by its code, picked from the search) and its role."""

    asset = forms.CharField(label=_("asset code"), max_length=20)
    role = forms.ChoiceField(label=_("role at the site"), choices=FacilityRole.choices)


class ProjectLinkForm(BilingualErrors, forms.Form):
    """A project of the library (by its code, picked from the search)."""

    project = forms.CharField(label=_("project code"), max_length=20)


class SupportForm(BilingualErrors, forms.ModelForm):
    """One year's follow-up support figures of a site."""

    class Meta:
        model = SiteSupport
        fields = [
            "year", "labour_force", "employed", "per_capita_income", "welfare_posts",
            "workshops", "monitored_households", "note",
        ]  # fmt: skip
        widgets = {"note": TEXTAREA}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update(min=2001, max=timezone.localdate().year)

    def validate_unique(self) -> None:
        """One row per site and year is the service's rule: entering a year again corrects it."""

    def values(self) -> dict[str, Any]:
        return {n: self.cleaned_data[n] for n in self.Meta.fields if n != "year"}


class ProblemForm(BilingualErrors, forms.ModelForm):
    """A residents' urgent problem (急难愁盼) raised at the site."""

    class Meta:
        model = SiteProblem
        fields = ["category", "description", "raised_on"]
        widgets = {"raised_on": DATE, "description": TEXTAREA}


class ResolveForm(BilingualErrors, forms.Form):
    """How and when a problem was resolved."""

    resolved_on = forms.DateField(label=_("resolved on"), widget=DATE)
    resolution = forms.CharField(label=_("resolution"), widget=TEXTAREA)
