"""Parties (主体): who can own, operate, manage or maintain an asset."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import PartyKind
from registry.history import history, protect_delete

# 统一社会信用代码: 18 characters from digits and capital letters without I, O, Z, S, V.
credit_code_validator = RegexValidator(
    r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
    _("A unified social credit code has 18 characters (digits and capital letters)."),
)
id_number_validator = RegexValidator(
    r"^\d{17}[\dX]$", _("A resident ID number has 17 digits and a final digit or X.")
)
phone_validator = RegexValidator(r"^[0-9+\- ]{5,20}$", _("Enter a valid phone number."))


@history()
class Party(models.Model):
    """A department, township government, village collective, enterprise, cooperative or
    household. Households are personal data: their ID and phone numbers are shown only to roles
    that need them (registry.scoping.can_see_personal_data)."""

    kind = models.CharField(_("kind"), max_length=24, choices=PartyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[credit_code_validator],
    )
    id_number = models.CharField(
        _("ID number"), max_length=18, blank=True, validators=[id_number_validator]
    )
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    area = models.ForeignKey(
        "registry.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, db_index=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["area_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="party_unique_credit_code",
            ),
        ]
        indexes = [models.Index(fields=["area_code", "kind"], name="party_area_kind")]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.name

    @property
    def is_household(self) -> bool:
        return self.kind == PartyKind.HOUSEHOLD


def mask_id_number(value: str) -> str:
    """Keep the region prefix and the last digit: 500101********123X -> 500101**********X."""
    return value[:6] + "*" * (len(value) - 7) + value[-1:] if len(value) > 7 else "*" * len(value)


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "*" * len(value)
