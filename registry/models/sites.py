"""Relocation sites (易地扶贫搬迁安置点, DOMAIN.md 5): where people were moved, what was built
for them (facilities as links to assets), how they are followed up (后续扶持: support figures by
year, the projects of the library that serve them) and the residents' open problems (急难愁盼).
Write only through registry.services.sites.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Case, F, Q, Value, When
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import (
    DISPERSED_SITE_TYPES,
    FacilityRole,
    ProblemCategory,
    ProblemStatus,
    ReclamationStatus,
    SiteMode,
    SiteScale,
    SiteType,
)
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete

YEAR_VALIDATORS = [MinValueValidator(2000), MaxValueValidator(2100)]
# A generated column cannot read another one, so the scale band sums the two parts itself.
MOVED_PERSONS = F("registered_persons") + F("alongside_persons")


@history(exclude=["point_3857", "outline_3857"])
class RelocationSite(models.Model):
    """One relocation site: a concentrated resettlement area or a dispersed placement.

    ``area`` is the village or community it lies in (scoping is a prefix of ``area_code``, as
    for assets); ``community`` is the residents' committee the site became, where it has its own
    12-digit code. Households and persons are split into 建档立卡 (registered poor) and 同步搬迁
    (moved alongside); the totals and the scale band follow from them.
    """

    code = models.CharField(_("site code"), max_length=12, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    site_type = models.CharField(_("placement type"), max_length=16, choices=SiteType.choices)
    mode = models.GeneratedField(
        expression=Case(
            When(site_type__in=sorted(DISPERSED_SITE_TYPES), then=Value(SiteMode.DISPERSED)),
            default=Value(SiteMode.CONCENTRATED),
        ),
        output_field=models.CharField(_("placement"), max_length=12, choices=SiteMode.choices),
        db_persist=True,
    )
    area = models.ForeignKey(
        "registry.AdminArea",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="relocation_sites",
    )
    area_code = models.CharField(_("area code"), max_length=15, editable=False)
    community = models.ForeignKey(
        "registry.AdminArea",
        verbose_name=_("own community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    county_code = models.CharField(_("county code"), max_length=6, editable=False)
    point = models.PointField(_("position"), srid=4490)
    outline = models.MultiPolygonField(_("outline"), srid=4490, null=True, blank=True)
    point_3857 = models.GeneratedField(
        expression=Transform("point", 3857),
        output_field=models.PointField(srid=3857),
        db_persist=True,
    )
    outline_3857 = models.GeneratedField(
        expression=Transform("outline", 3857),
        output_field=models.MultiPolygonField(srid=3857, null=True),
        db_persist=True,
    )
    registered_households = models.PositiveIntegerField(_("registered poor households"), default=0)
    registered_persons = models.PositiveIntegerField(_("registered poor persons"), default=0)
    alongside_households = models.PositiveIntegerField(_("households moved alongside"), default=0)
    alongside_persons = models.PositiveIntegerField(_("persons moved alongside"), default=0)
    households = models.GeneratedField(
        expression=F("registered_households") + F("alongside_households"),
        output_field=models.PositiveIntegerField(_("households moved")),
        db_persist=True,
    )
    persons = models.GeneratedField(
        expression=F("registered_persons") + F("alongside_persons"),
        output_field=models.PositiveIntegerField(_("persons moved")),
        db_persist=True,
    )
    scale = models.GeneratedField(
        expression=Case(
            *[
                When(LessThan(MOVED_PERSONS, limit), then=Value(band))
                for limit, band in ((100, "lt100"), (800, "100_799"), (3000, "800_2999"))
            ],
            When(LessThan(MOVED_PERSONS, 10000), then=Value("3000_9999")),
            default=Value("ge10000"),
        ),
        output_field=models.CharField(_("scale band"), max_length=10, choices=SiteScale.choices),
        db_persist=True,
    )
    housing_units = models.PositiveIntegerField(_("housing units"), default=0)
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=12, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    built_from = models.PositiveSmallIntegerField(
        _("built from (year)"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    built_to = models.PositiveSmallIntegerField(
        _("built until (year)"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    reclamation = models.CharField(
        _("old-house demolition and reclamation"),
        max_length=16,
        choices=ReclamationStatus.choices,
        default=ReclamationStatus.NOT_STARTED,
    )
    synthetic = models.BooleanField(_("demo data"), default=False)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("relocation site")
        verbose_name_plural = _("relocation sites")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="site_code_format",
                condition=Q(code__regex=r"^[0-9]{6}AZ[0-9]{4}$"),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A site code is the county code, AZ and four digits.")
                ),
            ),
            models.CheckConstraint(
                name="site_code_in_county", condition=Q(code__startswith=F("county_code"))
            ),
            models.CheckConstraint(
                name="site_area_in_county", condition=Q(area_code__startswith=F("county_code"))
            ),
            models.CheckConstraint(
                name="site_build_years",
                condition=Q(built_from__isnull=True)
                | Q(built_to__isnull=True)
                | Q(built_to__gte=F("built_from")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The last build year cannot be before the first.")
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["area_code"], name="site_area_code", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["county_code", "code"], name="site_county_code"),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    # The generated columns' choices give the model no get_*_display.
    @property
    def mode_label(self) -> str:
        return str(SiteMode(self.mode).label) if self.mode in SiteMode.values else ""

    @property
    def scale_label(self) -> str:
        return str(SiteScale(self.scale).label) if self.scale in SiteScale.values else ""


@history()
class SiteFacility(models.Model):
    """An asset that serves a site, with its role: housing (到户类), a supporting facility
    (公益性) or industry and employment (经营性). Ended, never deleted."""

    site = models.ForeignKey(RelocationSite, on_delete=models.PROTECT, related_name="facilities")
    asset = models.ForeignKey(
        "registry.Asset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="site_roles",
    )
    role = models.CharField(_("role at the site"), max_length=10, choices=FacilityRole.choices)
    active = models.BooleanField(_("in force"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("site facility")
        verbose_name_plural = _("site facilities")
        ordering = ["role", "asset__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "asset"], name="sitefacility_once", condition=Q(active=True)
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.asset_id} ({self.role})"


@history()
class SiteProject(models.Model):
    """A project of the library that supports a site (后扶项目). Ended, never deleted."""

    site = models.ForeignKey(RelocationSite, on_delete=models.PROTECT, related_name="projects")
    project = models.ForeignKey(
        "registry.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="site_links",
    )
    active = models.BooleanField(_("in force"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up support project")
        verbose_name_plural = _("follow-up support projects")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "project"], name="siteproject_once", condition=Q(active=True)
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.project_id}"


@history()
class SiteSupport(models.Model):
    """Follow-up support figures of one site for one year (后续扶持, DOMAIN.md 5.2)."""

    site = models.ForeignKey(RelocationSite, on_delete=models.PROTECT, related_name="support")
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    labour_force = models.PositiveIntegerField(_("persons able to work"), default=0)
    employed = models.PositiveIntegerField(_("of whom employed"), default=0)
    per_capita_income = models.DecimalField(
        _("per-capita net income (yuan)"), max_digits=10, decimal_places=2, null=True,
        blank=True, validators=[MinValueValidator(0)],
    )  # fmt: skip
    welfare_posts = models.PositiveIntegerField(_("public-welfare posts"), default=0)
    workshops = models.PositiveIntegerField(_("assistance workshops"), default=0)
    monitored_households = models.PositiveIntegerField(_("households under monitoring"), default=0)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("follow-up support figures")
        verbose_name_plural = _("follow-up support figures")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["site", "year"], name="sitesupport_one_per_year"),
            models.CheckConstraint(
                name="sitesupport_employed_within_labour",
                condition=Q(employed__lte=F("labour_force")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("More persons employed than able to work.")
                ),
            ),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.site_id} {self.year}"

    @property
    def employment_rate(self) -> float | None:
        """Per cent of the labour force employed; None with no labour force."""
        return 100 * self.employed / self.labour_force if self.labour_force else None


@history()
class SiteProblem(models.Model):
    """A residents' urgent problem (急难愁盼) at a site and how it was resolved."""

    site = models.ForeignKey(RelocationSite, on_delete=models.PROTECT, related_name="problems")
    category = models.CharField(_("category"), max_length=12, choices=ProblemCategory.choices)
    description = models.TextField(_("problem"))
    raised_on = models.DateField(_("raised on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("residents' problem")
        verbose_name_plural = _("residents' problems")
        ordering = ["status", "-raised_on"]
        constraints = [
            models.CheckConstraint(
                name="siteproblem_resolved_has_date",
                condition=Q(status=ProblemStatus.OPEN, resolved_on__isnull=True)
                | Q(status=ProblemStatus.RESOLVED, resolved_on__gte=F("raised_on")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A resolved problem needs the date it was resolved.")
                ),
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.description[:20]}"
