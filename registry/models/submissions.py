"""Form submissions: each write form carries a token, so one submission writes once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.history import history, protect_delete


@history()
class FormSubmission(models.Model):
    """The token of a form page that was submitted and written. A second POST with the same
    token (a double click, a resent request, a second tab) finds it taken and writes nothing.
    Kept, not deleted: it tells an auditor which request wrote what (its time and path)."""

    token = models.UUIDField(_("token"), unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(_("page"), max_length=300)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return str(self.token)
