"""The project libraries (一库一单): villages' construction needs, the county's project table
serving both libraries (乡村建设项目库 and 巩固衔接项目库), its yearly task list, the steps each
project went through, and the fund uses that local rules allow or forbid (DOMAIN.md 4).

Funds -> project -> asset: a project's funding lines say what paid for it, and the assets it
formed point back to it (``Asset.source_project``) with their share of its actual investment.
Write only through registry.services.projects.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.core.validators import MinValueValidator
from django.db.models import Case, Q, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import (
    AttachmentKind,
    BenefitLink,
    FundUseKind,
    MeetingKind,
    NeedCategory,
    NeedStatus,
    ProjectCategory,
    ProjectNature,
    ProjectStatus,
    ProjectStepKind,
    TargetKind,
)
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete


@history()
class FundUse(models.Model):
    """A use of bridging funds on a province's positive list (支出方向) or negative list (不得用于)
    for a span of years: configuration, not code (DOMAIN.md 4.2). ``province_code`` is the two
    digits of a province, or empty for the national default; ``verified`` says whether the item
    was checked against its source text (``basis``)."""

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("list"), max_length=10, choices=FundUseKind.choices)
    province_code = models.CharField(_("province code"), max_length=2, blank=True)
    year_from = models.PositiveSmallIntegerField(_("from year"), default=2021)
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=200, blank=True)
    verified = models.BooleanField(_("checked against its source"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fund use")
        verbose_name_plural = _("fund uses")
        ordering = ["kind", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "province_code", "year_from"], name="funduse_one_per_span"
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.name


def project_file_path(instance: "ProjectFile", filename: str) -> str:
    return f"projects/{instance.county_code}/{filename}"


@history()
class ConstructionNeed(models.Model):
    """A village's construction need for the next 3-5 years (村级建设需求), decided at a village
    meeting, posted (公示), then reviewed by the township (真实性、必要性、可行性), which accepts
    it, merges it into a project proposal, or refuses it with a reason."""

    area = models.ForeignKey(
        "registry.AdminArea", verbose_name=_("village"), on_delete=models.PROTECT,
        related_name="construction_needs",
    )  # fmt: skip
    area_code = models.CharField(_("area code"), max_length=15, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, editable=False)
    title = models.CharField(_("need"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=NeedCategory.choices)
    description = models.TextField(_("description"), blank=True)
    horizon_from = models.PositiveSmallIntegerField(_("from year"))
    horizon_to = models.PositiveSmallIntegerField(_("to year"))
    estimated_investment = models.DecimalField(
        _("estimated investment (yuan)"), max_digits=16, decimal_places=2, null=True,
        blank=True, validators=[MinValueValidator(0)],
    )  # fmt: skip
    geom = models.GeometryField(_("position or shape"), srid=4490, null=True, blank=True)
    meeting_kind = models.CharField(
        _("Decided at"), max_length=16, choices=MeetingKind.choices, blank=True
    )
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    meeting_attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)
    posted_from = models.DateField(_("posted from"), null=True, blank=True)
    posted_to = models.DateField(_("posted until"), null=True, blank=True)
    objection = models.TextField(_("objections raised"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.DRAFT
    )
    genuine = models.BooleanField(_("genuine (真实性)"), null=True, blank=True)
    necessary = models.BooleanField(_("necessary (必要性)"), null=True, blank=True)
    feasible = models.BooleanField(_("feasible (可行性)"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True,
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    project = models.ForeignKey(
        "registry.Project", verbose_name=_("project"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="needs",
    )  # fmt: skip
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    synthetic = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("construction need")
        verbose_name_plural = _("construction needs")
        ordering = ["-horizon_from", "area_code", "id"]
        constraints = [
            models.CheckConstraint(
                name="need_horizon",
                condition=Q(horizon_to__gte=models.F("horizon_from")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The last year cannot come before the first.")
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["area_code"], name="need_area_code", opclasses=["varchar_pattern_ops"]
            ),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.title


@history()
class TaskListItem(models.Model):
    """One task of the county's yearly rural-construction task list (乡村建设任务清单): what is to
    be built that year, by which department, to what target and standard, paid by what."""

    county_code = models.CharField(_("county code"), max_length=6)
    year = models.PositiveSmallIntegerField(_("year"))
    task = models.CharField(_("task"), max_length=200)
    department = models.CharField(_("responsible department"), max_length=120)
    target = models.CharField(_("target"), max_length=200, blank=True)
    content = models.TextField(_("content"), blank=True)
    standard = models.CharField(_("standard"), max_length=200, blank=True)
    scale = models.CharField(_("scale"), max_length=120, blank=True)
    fund_source = models.CharField(_("fund source"), max_length=200, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_note = models.CharField(_("progress note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    synthetic = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("task-list item")
        verbose_name_plural = _("task list")
        ordering = ["-year", "id"]
        constraints = [
            models.CheckConstraint(
                name="task_progress", condition=Q(progress__lte=100),
                violation_error_message=bilingual_lazy(
                    gettext_noop("Progress is a percentage up to 100.")
                ),
            ),
        ]  # fmt: skip
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.year} {self.task}"


PROJECT_CODE_LENGTH = 14  # county(6) + year(4) + serial(4)


@history(exclude=["geom_3857"])
class Project(models.Model):
    """One project of the county's table, in the rural-construction library, the bridging-fund
    library or both (flags), from its proposal to its archive. Its area is where it is led
    from (who may act on it); ``area_codes`` are every area it touches (who may see it).
    ``code`` is county + year + serial and is never reused; ``version`` rises with each
    change so that a stale page cannot overwrite."""

    code = models.CharField(_("project code"), max_length=PROJECT_CODE_LENGTH, unique=True,
                            editable=False)  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("library year"))
    in_construction_library = models.BooleanField(_("in the rural construction library"),
                                                  default=False)  # fmt: skip
    in_bridging_library = models.BooleanField(_("in the bridging-fund library"), default=True)
    category = models.CharField(_("category"), max_length=16, choices=ProjectCategory.choices)
    subcategory = models.CharField(_("sub-category"), max_length=60, blank=True)
    nature = models.CharField(
        _("nature"), max_length=10, choices=ProjectNature.choices, default=ProjectNature.NEW
    )
    area = models.ForeignKey(
        "registry.AdminArea", verbose_name=_("location"), on_delete=models.PROTECT,
        related_name="projects",
    )  # fmt: skip
    area_code = models.CharField(_("area code"), max_length=15, editable=False)
    area_codes = ArrayField(
        models.CharField(max_length=15), verbose_name=_("areas it touches"), default=list,
        blank=True,
    )  # fmt: skip
    county_code = models.CharField(_("county code"), max_length=6, editable=False)
    geom = models.GeometryField(_("position or shape"), srid=4490, null=True, blank=True)
    geom_3857 = models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=models.GeometryField(srid=3857, null=True),
        db_persist=True,
    )
    content = models.TextField(_("Content"), blank=True)
    scale = models.CharField(_("scale"), max_length=200, blank=True)
    period_start = models.DateField(_("to start"), null=True, blank=True)
    period_end = models.DateField(_("to finish"), null=True, blank=True)
    implementing_unit = models.CharField(_("implementing unit"), max_length=120, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=60, blank=True)
    fund_direction = models.ForeignKey(
        FundUse, verbose_name=_("fund direction"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+", limit_choices_to={"kind": FundUseKind.POSITIVE},
    )  # fmt: skip
    fund_uses = ArrayField(
        models.CharField(max_length=40), verbose_name=_("what the funds pay for"),
        default=list, blank=True,
    )  # fmt: skip
    beneficiary_households = models.PositiveIntegerField(_("beneficiary households"), default=0)
    beneficiary_persons = models.PositiveIntegerField(_("beneficiary persons"), default=0)
    beneficiary_exited_households = models.PositiveIntegerField(
        _("of which households out of poverty"), default=0
    )
    beneficiary_monitored_households = models.PositiveIntegerField(
        _("of which monitored households"), default=0
    )
    benefit_links = ArrayField(
        models.CharField(max_length=16, choices=BenefitLink.choices),
        verbose_name=_("benefit-link mechanisms"), default=list, blank=True,
    )  # fmt: skip
    expected_ownership = models.CharField(_("assets to be owned by"), max_length=200, blank=True)
    expected_income = models.CharField(_("expected income"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=18, choices=ProjectStatus.choices,
        default=ProjectStatus.PROPOSED,
    )  # fmt: skip
    plan_year = models.PositiveSmallIntegerField(_("plan year"), null=True, blank=True)
    task = models.ForeignKey(
        TaskListItem, verbose_name=_("task-list item"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="projects",
    )  # fmt: skip
    carried_from = models.ForeignKey(
        "self", verbose_name=_("carried over from"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="carried_to",
    )  # fmt: skip
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    synthetic = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-year", "code"]
        constraints = [
            models.CheckConstraint(
                name="project_code_format", condition=Q(code__regex=r"^[0-9]{14}$"),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A project code has 14 digits.")
                ),
            ),
            models.CheckConstraint(
                name="project_in_a_library",
                condition=Q(in_construction_library=True) | Q(in_bridging_library=True),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A project belongs to at least one library.")
                ),
            ),
            models.CheckConstraint(
                name="project_period",
                condition=Q(period_end__isnull=True) | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The project cannot finish before it starts.")
                ),
            ),
            models.CheckConstraint(
                name="project_beneficiaries_consistent",
                condition=Q(
                    beneficiary_exited_households__lte=models.F("beneficiary_households"),
                    beneficiary_monitored_households__lte=models.F("beneficiary_households"),
                ),
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(
                fields=["area_code"], name="project_area_code", opclasses=["varchar_pattern_ops"]
            ),
            GinIndex(fields=["area_codes"], name="project_area_codes"),
            models.Index(fields=["county_code", "status", "year"], name="project_status_year"),
            models.Index(fields=["county_code", "plan_year"], name="project_plan_year"),
            # The library's order (newest year first, then code): a page is read from the index
            # instead of sorting every project of the county.
            models.Index(fields=["county_code", "-year", "code"], name="project_list_order"),
            GistIndex(fields=["geom_3857"], name="project_geom_3857_gist"),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


@history()
class ProjectFunding(models.Model):
    """How much one fund source is to pay (planned) and paid (actual) towards a project."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="funding")
    source = models.ForeignKey("registry.FundSource", on_delete=models.PROTECT, related_name="+")
    planned = models.DecimalField(
        _("planned (yuan)"), max_digits=16, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    actual = models.DecimalField(
        _("actual (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip

    class Meta:
        verbose_name = _("project funding line")
        verbose_name_plural = _("project funding lines")
        ordering = ["source__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source"], name="projectfunding_one_per_source"
            ),
            models.CheckConstraint(
                name="projectfunding_amounts", condition=Q(planned__gte=0)
                & (Q(actual__isnull=True) | Q(actual__gte=0)),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A funding amount cannot be negative.")
                ),
            ),
        ]  # fmt: skip
        triggers = [protect_delete()]


@history()
class PerformanceTarget(models.Model):
    """A performance indicator (绩效目标) of a project: its target when approved, its actual
    value when evaluated. Approved targets change only through a recorded adjustment."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="targets")
    kind = models.CharField(_("kind"), max_length=12, choices=TargetKind.choices)
    indicator = models.CharField(_("indicator"), max_length=120)
    target = models.CharField(_("target"), max_length=60)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    actual = models.CharField(_("actual"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("performance target")
        verbose_name_plural = _("performance targets")
        # 产出, 效益, 满意度: the order of the 绩效目标 tables (not the codes' alphabet).
        ordering = [
            Case(
                When(kind=TargetKind.OUTPUT, then=0),
                When(kind=TargetKind.BENEFIT, then=1),
                default=2,
            ),
            "id",
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.indicator} {self.target}{self.unit}"


@history()
class ProjectStep(models.Model):
    """One step of a project's life as it was taken: who, when, from which status to which,
    what was decided and why (a review's checks in ``details``)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=16, choices=ProjectStepKind.choices)
    from_status = models.CharField(
        _("from"), max_length=18, choices=ProjectStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=18, choices=ProjectStatus.choices)
    reason = models.TextField(_("reason or note"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project step")
        verbose_name_plural = _("project steps")
        ordering = ["at", "id"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


@history()
class ProjectFile(models.Model):
    """A file of a need or a project: the village meeting's minutes, a posting photo, an
    acceptance report. Checked for size and type when uploaded, like asset attachments."""

    county_code = models.CharField(max_length=6, editable=False)
    need = models.ForeignKey(
        ConstructionNeed, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    step = models.ForeignKey(
        ProjectStep, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=project_file_path, max_length=300)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project file")
        verbose_name_plural = _("project files")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="projectfile_belongs",
                condition=Q(need__isnull=False) | Q(project__isnull=False),
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.original_name
