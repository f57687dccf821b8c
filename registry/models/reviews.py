"""Reviews sent back (退回): a registration or a distribution plan that the reviewing level
returns to its author with a reason. Each return is a record of its own with who, when and
why, kept for ever (row history by trigger, never deleted)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import ApprovalLevel, PlanStatus
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete

REASON_MAX_LENGTH = 1000


@history()
class RegistrationReturn(models.Model):
    """A village's registration that a township (or county) approver returned with a reason.
    The asset stays draft; the return is open until someone corrects (edits) the asset, after
    which the registration waits for approval again."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="registration_returns"
    )
    level = models.CharField(_("returned by level"), max_length=10, choices=ApprovalLevel.choices)
    reason = models.CharField(_("reason for returning"), max_length=REASON_MAX_LENGTH)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), auto_now_add=True)
    # Who registered the asset (from its history), to whom the return goes; unknown for assets
    # loaded by a command.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations_returned",
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration returned")
        verbose_name_plural = _("registrations returned")
        ordering = ["-returned_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="registrationreturn_reason",
                condition=~Q(reason=""),
                violation_error_message=bilingual_lazy(
                    gettext_noop("Give the reason for returning it.")
                ),
            ),
            # At most one return waits for its correction: the to-do lists count on it.
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(corrected_at__isnull=True),
                name="registrationreturn_one_open",
                violation_error_message=bilingual_lazy(
                    gettext_noop(
                        "This registration was returned already and waits for its correction."
                    )
                ),
            ),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.returned_at:%Y-%m-%d}: {self.reason[:40]}"

    @property
    def is_open(self) -> bool:
        return self.corrected_at is None


@history()
class PlanReturn(models.Model):
    """A distribution plan sent back (status ``rejected``) by the level that reviews it, with a
    reason; the village revises it or records its resolution again."""

    plan = models.ForeignKey(
        "registry.DistributionPlan", on_delete=models.PROTECT, related_name="returns"
    )
    level = models.CharField(_("sent back by level"), max_length=10, choices=ApprovalLevel.choices)
    from_status = models.CharField(
        _("status when sent back"), max_length=18, choices=PlanStatus.choices
    )
    reason = models.CharField(_("reason for sending back"), max_length=REASON_MAX_LENGTH)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(_("sent back at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan sent back")
        verbose_name_plural = _("plans sent back")
        ordering = ["-returned_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="planreturn_reason",
                condition=~Q(reason=""),
                violation_error_message=bilingual_lazy(
                    gettext_noop("Give the reason for sending it back.")
                ),
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.returned_at:%Y-%m-%d}: {self.reason[:40]}"
