"""Tables of the spatial services: derived tables that serve the map (caches of registry data,
rebuilt or kept in step by database triggers, never edited by people) and the log of imports."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.history import protect_delete


class AssetCell(models.Model):
    """Assets counted per map-grid cell, per zoom level 0-13, per village, class and status.

    One tile is 16 x 16 cells. Low-zoom tiles sum these rows instead of reading every asset, so
    a county of a million assets draws in milliseconds; keeping village, class and status in the
    key lets the same rows answer the user's area scope and the commonest map filters.
    """

    z = models.SmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    area_code = models.CharField(max_length=15)
    asset_class = models.CharField(max_length=12)
    status = models.CharField(max_length=16)
    n = models.IntegerField()
    sx = models.FloatField()
    sy = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["z", "cx", "cy", "area_code", "asset_class", "status"],
                name="assetcell_key",
            )
        ]
        indexes = [models.Index(fields=["z", "cx", "cy"], name="assetcell_zxy")]

    def __str__(self) -> str:
        return f"z{self.z} ({self.cx}, {self.cy}) {self.area_code} {self.asset_class}: {self.n}"


class TileVersion(models.Model):
    """A counter raised when the asset table is emptied or rebuilt in bulk: every cached tile
    is keyed by it (and by its regions' versions, TileRegion)."""

    id = models.SmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


class TileRegion(models.Model):
    """The data version of one z12 tile's area (about 10 km): a statement trigger raises the
    regions that every changed asset covers, before and after the change. A cached tile is
    keyed by the newest version of the regions under it, so an edit in one village leaves the
    rest of the county's tiles cached."""

    x = models.IntegerField()
    y = models.IntegerField()
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["x", "y"], name="tileregion_xy")]

    def __str__(self) -> str:
        return f"z12 ({self.x}, {self.y}) v{self.version}"


class AssetImport(models.Model):
    """One uploaded ledger file and what became of it: checked (with its counts and problems),
    then committed or not. Jobs (a background worker) fill in the progress and the outcome;
    the asset rows an import writes carry its user and number in their history."""

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

    class Meta:
        verbose_name = _("asset import")
        verbose_name_plural = _("asset imports")
        ordering = ["-created_at"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.CHECKING, self.State.COMMITTING}


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
    params = models.JSONField(_("filters"), default=list, blank=True)
    history = models.BooleanField(_("with change history"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="queued")
    rows_total = models.PositiveIntegerField(default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=300, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.fmt} ({self.get_state_display()})"

    @property
    def busy(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.RUNNING}
