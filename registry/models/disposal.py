"""Disposal (处置): nothing is disposed of without approval at the level its value requires."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import ApprovalLevel, DisposalMethod, DisposalReason, DisposalStatus
from registry.history import history, protect_delete


@history()
class DisposalTier(models.Model):
    """Configurable approval tiers: a book value from ``min_value`` up needs approval at
    ``level`` (and every level below it). Local policy, not code."""

    min_value = models.DecimalField(
        _("from book value (yuan)"), max_digits=16, decimal_places=2, unique=True
    )
    level = models.CharField(_("approved by"), max_length=10, choices=ApprovalLevel.choices)

    class Meta:
        verbose_name = _("disposal approval tier")
        verbose_name_plural = _("disposal approval tiers")
        ordering = ["min_value"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"≥ {self.min_value}: {self.get_level_display()}"


@history()
class DisposalRequest(models.Model):
    """A request to dispose of an asset, its approvals, and its outcome. A disposed asset
    stays in the register, marked disposed."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="disposal_requests"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=DisposalReason.choices)
    method = models.CharField(_("method"), max_length=16, choices=DisposalMethod.choices)
    book_value = models.DecimalField(
        _("book value (yuan)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    explanation = models.TextField(_("explanation"))
    required_level = models.CharField(
        _("approval needed from"), max_length=10, choices=ApprovalLevel.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DisposalStatus.choices, default=DisposalStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_on = models.DateField(_("requested on"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    proceeds = models.DecimalField(
        _("proceeds (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    proceeds_use = models.CharField(_("use of proceeds"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("disposal request")
        verbose_name_plural = _("disposal requests")
        ordering = ["-requested_on", "-id"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.get_method_display()} {self.requested_on}"


@history()
class DisposalApproval(models.Model):
    """One level's decision on a disposal request."""

    request = models.ForeignKey(DisposalRequest, on_delete=models.PROTECT, related_name="approvals")
    level = models.CharField(_("level"), max_length=10, choices=ApprovalLevel.choices)
    approved = models.BooleanField(_("approved"))
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disposal approval")
        verbose_name_plural = _("disposal approvals")
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "level"], name="disposalapproval_one_per_level"
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.approved}"
