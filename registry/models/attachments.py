"""Attachments: photos, scans, contracts and minutes kept with an asset's records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import AttachmentKind
from registry.history import history, protect_delete


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Files are grouped by county and asset; the name on disk is a random token (see service).
    return f"attachments/{instance.asset.county_code}/{instance.asset.code}/{filename}"


@history()
class Attachment(models.Model):
    """A file stored under MEDIA_ROOT, checked for size and type when uploaded."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="attachments"
    )
    maintenance_log = models.ForeignKey(
        "registry.MaintenanceLog",
        on_delete=models.PROTECT,
        related_name="attachments",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at", "-id"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.original_name
