"""Files in and out: the uploaded ledgers and their imports, and the exports written by the
worker. Both tables were created by the gis app and keep their names and rows."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.history import protect_delete


class AssetImport(models.Model):
    """One uploaded ledger file and what became of it: checked (with its counts and problems),
    then committed or not. Jobs (a background worker) fill in the progress and the outcome;
    the asset rows an import writes carry its user and number in their history."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        READING = "reading", _("reading the columns")
        MAPPING = "mapping", _("waiting for the column mapping")
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        COMMITTING = "committing", _("importing")
        COMMITTED = "committed", _("imported")
        REJECTED = "rejected", _("refused")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        "registry.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("original file name"), max_length=200)
    size = models.BigIntegerField(_("size (bytes)"))
    gcj02 = models.BooleanField(_("positions in GCJ-02 (phone map apps)"), default=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="queued")
    commit_requested = models.BooleanField(default=False)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    outcome = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    # The mapping step: the file's own columns with samples and guesses (importers.mapping.
    # Layout), then what the user decided: which column holds what, values for the whole file,
    # the money unit, and on the preview the likely duplicates to keep and unusual values
    # confirmed.
    layout = models.JSONField(_("columns of the file"), default=dict, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # The rows with problems as an Excel workbook, written by the worker as it checks.
    problems_file = models.FileField(upload_to="imports/%Y/%m/", max_length=300, blank=True)
    keep_duplicates = models.JSONField(default=list, blank=True)
    keep_all_duplicates = models.BooleanField(default=False)
    confirm_values = models.BooleanField(default=False)

    class Meta:
        db_table = "atlas_gis_assetimport"  # created by gis, moved here with its rows
        verbose_name = _("asset import")
        verbose_name_plural = _("asset imports")
        ordering = ["-created_at"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in {
            self.State.QUEUED,
            self.State.READING,
            self.State.CHECKING,
            self.State.COMMITTING,
        }


class ImportLayout(models.Model):
    """A column mapping a user made for files of one layout (the same columns in the same
    order), used again for the next such file so that it needs no mapping step."""

    user = models.ForeignKey(
        "registry.User", verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    signature = models.CharField(max_length=40)
    mapping = models.JSONField(_("column mapping"), default=dict)
    example = models.CharField(_("first file"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import layout")
        verbose_name_plural = _("import layouts")
        constraints = [
            models.UniqueConstraint(fields=["user", "signature"], name="importlayout_one_per_user")
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.example or self.signature


class ExportJob(models.Model):
    """An export too big to wait for: written by the worker, downloaded from its page. The
    filters are stored as they were on screen and applied again with the user's scope."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("exporting")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        "registry.User", verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    fmt = models.CharField(_("format"), max_length=10)
    # What is exported: the asset register, or the project library (issue 19).
    ledger = models.CharField(_("list"), max_length=20, default="assets", editable=False)
    params = models.JSONField(_("filters"), default=list, blank=True)
    history = models.BooleanField(_("with change history"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="queued")
    rows_total = models.PositiveIntegerField(default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=300, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "atlas_gis_exportjob"  # created by gis, moved here with its rows
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.fmt} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.RUNNING}


class ProjectImport(models.Model):
    """One uploaded project library (Excel or CSV) and what became of it: checked by the worker
    (counts, every problem by row and column), then committed or not, all or nothing. The
    projects it writes carry its user and number in their history and steps."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        COMMITTING = "committing", _("importing")
        COMMITTED = "committed", _("imported")
        REJECTED = "rejected", _("refused")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        "registry.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to="imports/projects/%Y/%m/", max_length=300)
    original_name = models.CharField(_("original file name"), max_length=200)
    size = models.BigIntegerField(_("size (bytes)"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="queued")
    commit_requested = models.BooleanField(default=False)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    outcome = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    # The rows with problems as an Excel workbook, written by the worker as it checks.
    problems_file = models.FileField(
        upload_to="imports/projects/%Y/%m/", max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("project library import")
        verbose_name_plural = _("project library imports")
        ordering = ["-created_at"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in {
            self.State.QUEUED,
            self.State.CHECKING,
            self.State.COMMITTING,
        }


class SiteImport(models.Model):
    """One uploaded file of relocation sites (Excel, CSV or GeoPackage) and what became of it:
    checked by the worker (counts, every problem by row and column), then committed or not,
    all or nothing. The sites it writes carry its user and number in their history."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        COMMITTING = "committing", _("importing")
        COMMITTED = "committed", _("imported")
        REJECTED = "rejected", _("refused")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        "registry.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to="imports/sites/%Y/%m/", max_length=300)
    original_name = models.CharField(_("original file name"), max_length=200)
    size = models.BigIntegerField(_("size (bytes)"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="queued")
    commit_requested = models.BooleanField(default=False)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    outcome = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    # The rows with problems as an Excel workbook, written by the worker as it checks.
    problems_file = models.FileField(upload_to="imports/sites/%Y/%m/", max_length=300, blank=True)

    class Meta:
        verbose_name = _("relocation site import")
        verbose_name_plural = _("relocation site imports")
        ordering = ["-created_at"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.CHECKING, self.State.COMMITTING}
