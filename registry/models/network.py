"""Infrastructure links (基础设施): the network attributes a linear asset carries.

A road, pipe or line is an asset like every other (ownership, handover, maintenance); this
row says which network it belongs to and what the gap analysis (gis.network) needs to know of
it: its type, grade, surface and the length of its geometry on the ellipsoid. A water source
is the one point type: where piped water enters the network.
Write only through registry.services.network.
"""

import pgtrigger
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    HARDENED_SURFACES,
    NETWORK_OF_TYPE,
    Network,
    NetworkType,
    RoadGrade,
    Surface,
)
from registry.history import history, protect_delete


@history(exclude=["area_code"])
class NetworkLink(models.Model):
    """The network attributes of one asset (a link, or a water source)."""

    asset = models.OneToOneField(
        "registry.Asset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="network",
    )
    network_type = models.CharField(_("network type"), max_length=16, choices=NetworkType.choices)
    network = models.GeneratedField(
        expression=Case(
            *[When(network_type=t, then=Value(n)) for t, n in NETWORK_OF_TYPE.items()],
            default=Value(""),
        ),
        output_field=models.CharField(_("network"), max_length=10, choices=Network.choices),
        db_persist=True,
    )
    grade = models.CharField(_("road grade"), max_length=12, choices=RoadGrade.choices, blank=True)
    surface = models.CharField(_("surface"), max_length=10, choices=Surface.choices, blank=True)
    hardened = models.GeneratedField(
        # A Q is an expression to Django (the stubs do not know it yet).
        expression=Q(surface__in=sorted(HARDENED_SURFACES)),  # type: ignore[arg-type]
        output_field=models.BooleanField(_("hardened")),
        db_persist=True,
    )
    width_m = models.DecimalField(
        _("width (m)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    built_year = models.PositiveSmallIntegerField(
        _("year built"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1949), MaxValueValidator(2100)],
    )
    # Metres along the asset's geometry on the CGCS2000 ellipsoid, set by the service from the
    # geometry it saves (0 for a water source).
    length_m = models.FloatField(_("length (m)"), default=0, editable=False)
    # The asset's area code, kept by two triggers (a link's insert, an asset's change of area):
    # the gap summaries select a township's links by it, not by the asset table (a county of a
    # million assets holds a few thousand links). Not history: it is the asset's.
    area_code = models.CharField(max_length=12, default="", editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("network link")
        verbose_name_plural = _("network links")
        constraints = [
            models.CheckConstraint(
                name="networklink_surface_only_on_roads",
                condition=Q(surface="")
                | Q(
                    network_type__in=[
                        NetworkType.COUNTY_ROAD,
                        NetworkType.TOWNSHIP_ROAD,
                        NetworkType.VILLAGE_ROAD,
                        NetworkType.GROUP_ROAD,
                        NetworkType.INDUSTRY_ROAD,
                    ]
                ),
            ),
            models.CheckConstraint(name="networklink_length", condition=Q(length_m__gte=0)),
        ]
        indexes = [
            models.Index(fields=["network", "hardened"], name="networklink_kind"),
            models.Index(
                fields=["area_code"],
                name="networklink_area_code_like",
                opclasses=["varchar_pattern_ops"],
            ),
        ]
        triggers = [
            protect_delete(),
            pgtrigger.Trigger(
                name="networklink_area_code",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("asset_id"),
                func=(
                    "NEW.area_code := (SELECT area_code FROM registry_asset"
                    " WHERE id = NEW.asset_id); RETURN NEW;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_type_display()} {self.asset_id}"
