"""Ownership (确权登记) as a ledger, handovers (移交) and operation contracts (经营)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import OperatingMode, OwnershipKind
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete


@history()
class OwnershipRecord(models.Model):
    """One confirmation or transfer of an asset's ownership, with its basis.

    The current owners are the shares of the latest record by (effective date, id); older
    records stay as the ledger's history.
    """

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="ownership_records"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=OwnershipKind.choices)
    effective_on = models.DateField(_("effective on"))
    basis = models.CharField(_("basis document"), max_length=200)
    certificate_no = models.CharField(
        _("certificate or register number"), max_length=60, blank=True
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ownership record")
        verbose_name_plural = _("ownership records")
        ordering = ["-effective_on", "-id"]
        indexes = [models.Index(fields=["asset", "-effective_on", "-id"], name="ownership_latest")]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_on}"


@history()
class OwnershipShare(models.Model):
    """An owner's share in one ownership record; the shares of a record add up to 100 %.
    Multi-village assets are split by investment ratio."""

    record = models.ForeignKey(OwnershipRecord, on_delete=models.PROTECT, related_name="shares")
    party = models.ForeignKey("registry.Party", on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(
        _("share (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("ownership share")
        verbose_name_plural = _("ownership shares")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "party"], name="ownershipshare_one_per_party"
            ),
            models.CheckConstraint(
                name="ownershipshare_percent_range",
                condition=Q(percent__gt=0, percent__lte=100),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A share is more than 0 and at most 100 percent.")
                ),
            ),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.party_id}: {self.percent} %"


@history()
class Handover(models.Model):
    """A handover (移交) from the builder to the receiving owner, witnessed by a supervising
    party (usually the township), with the list of what was handed over."""

    asset = models.ForeignKey("registry.Asset", on_delete=models.PROTECT, related_name="handovers")
    from_party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("handing party"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_party = models.ForeignKey(
        "registry.Party",
        verbose_name=_("receiving party"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervisor = models.ForeignKey(
        "registry.Party",
        verbose_name=_("supervising party"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    handed_on = models.DateField(_("handed over on"))
    items = models.TextField(_("handover list"))
    ownership_record = models.OneToOneField(
        OwnershipRecord, on_delete=models.PROTECT, related_name="handover"
    )

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-handed_on", "-id"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.handed_on}: {self.from_party_id} -> {self.to_party_id}"


@history()
class OperationContract(models.Model):
    """Who operates an operating asset, how (自营/委托/租赁/入股/承包), for how long and for
    what guaranteed income."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="operation_contracts"
    )
    operator = models.ForeignKey(
        "registry.Party", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(_("operating mode"), max_length=12, choices=OperatingMode.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    guaranteed_income = models.DecimalField(
        _("guaranteed yearly income (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("operation contract")
        verbose_name_plural = _("operation contracts")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="operationcontract_dates",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The end date cannot be before the start date.")
                ),
            )
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.starts_on}"
