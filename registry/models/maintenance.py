"""Maintenance (管护): who must keep an asset and what they did."""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import InspectionResult, MaintenanceKind
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete


@history()
class MaintenanceDuty(models.Model):
    """A maintenance duty (管护责任): maintainer, responsible person, duties, funding and how
    often to inspect, for a period, with the date it was posted publicly. The duty in force is
    the latest one whose period covers today."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="maintenance_duties"
    )
    maintainer = models.ForeignKey(
        "registry.Party", verbose_name=_("maintainer"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_person = models.CharField(_("responsible person"), max_length=50)
    responsible_phone = models.CharField(_("responsible person's phone"), max_length=20)
    duties = models.TextField(_("duties"))
    funding_source = models.CharField(_("maintenance funding"), max_length=100)
    inspection_interval_days = models.PositiveSmallIntegerField(
        _("inspect every (days)"), validators=[MinValueValidator(1)]
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    posted_on = models.DateField(_("publicly posted on"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("maintenance duty")
        verbose_name_plural = _("maintenance duties")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="maintenanceduty_dates",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The end date cannot be before the start date.")
                ),
            )
        ]
        triggers = [protect_delete()]


@history()
class MaintenanceLog(models.Model):
    """An inspection, repair or upkeep done on an asset, often logged from a phone in the
    field with its GPS position and photos."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="maintenance_logs"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MaintenanceKind.choices)
    performed_on = models.DateField(_("date"))
    result = models.CharField(_("result"), max_length=14, choices=InspectionResult.choices)
    findings = models.TextField(_("findings"), blank=True)
    cost = models.DecimalField(
        _("cost (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    location = models.PointField(_("GPS position"), srid=4490, null=True, blank=True)
    location_accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("maintenance log")
        verbose_name_plural = _("maintenance logs")
        ordering = ["-performed_on", "-id"]
        indexes = [
            models.Index(fields=["asset", "kind", "-performed_on"], name="mlog_asset_kind_date")
        ]
        triggers = [protect_delete()]
