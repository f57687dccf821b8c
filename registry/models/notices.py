"""Public notices (公示): what was posted, where, for how long, and what objections came."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import NoticeChannel, NoticeSubject
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete


@history()
class PublicNotice(models.Model):
    """One posting of a notice about an asset's maintenance, income distribution, ownership or
    disposal, with its channel, period and the objections raised."""

    asset = models.ForeignKey("registry.Asset", on_delete=models.PROTECT, related_name="notices")
    subject = models.CharField(_("subject"), max_length=14, choices=NoticeSubject.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=NoticeChannel.choices)
    starts_on = models.DateField(_("posted from"))
    ends_on = models.DateField(_("posted until"))
    content = models.TextField(_("content"), blank=True)
    objections = models.TextField(_("objections"), blank=True)
    resolution = models.TextField(_("how objections were resolved"), blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="publicnotice_period",
                condition=Q(ends_on__gte=F("starts_on")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The end date cannot be before the start date.")
                ),
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.starts_on}–{self.ends_on}"
