"""Income of operating assets and its distribution (收益分配)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import AllocationUse, PlanStatus
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete


@history()
class IncomeRecord(models.Model):
    """Income an operating asset earned in a period, net of its costs."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="income_records"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    gross = models.DecimalField(
        _("gross income (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    costs = models.DecimalField(
        _("costs (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    account = models.CharField(_("paid into account"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("income record")
        verbose_name_plural = _("income records")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(
                name="incomerecord_period",
                condition=Q(period_end__gte=F("period_start")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The end of the period cannot be before its start.")
                ),
            ),
            models.CheckConstraint(
                name="incomerecord_costs",
                condition=Q(costs__lte=F("gross")),
                violation_error_message=bilingual_lazy(
                    gettext_noop("The costs cannot exceed the gross income.")
                ),
            ),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}: {self.gross}"

    @property
    def net(self) -> Decimal:
        return self.gross - self.costs


@history()
class DistributionPlan(models.Model):
    """A year's plan to distribute an operating asset's income, approved village -> township ->
    county, whose allocation lines must add up to its total."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.PROTECT, related_name="distribution_plans"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    total = models.DecimalField(
        _("amount to distribute (yuan)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("status"), max_length=18, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    per_capita_cash_only = models.BooleanField(
        _("only equal per-capita cash"),
        default=False,
        help_text=_("Warned against: income must not simply be handed out (发钱发物、一分了之)."),
    )
    resolution = models.CharField(_("village resolution"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("distribution plan")
        verbose_name_plural = _("distribution plans")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "year"], name="distributionplan_one_per_year")
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.year}: {self.total}"


@history()
class DistributionLine(models.Model):
    """One use of a plan's money: public-welfare posts, public works, rewards, upkeep,
    retained, or paid to households."""

    plan = models.ForeignKey(DistributionPlan, on_delete=models.PROTECT, related_name="lines")
    use = models.CharField(_("use"), max_length=16, choices=AllocationUse.choices)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        constraints = [
            models.UniqueConstraint(fields=["plan", "use"], name="distributionline_one_per_use")
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.get_use_display()}: {self.amount}"
