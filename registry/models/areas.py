"""Administrative areas (行政区划) and the reference geography drawn with them."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import AreaKind, AreaLevel
from registry.history import history, protect_delete

# How many leading digits of the statistical code an area's descendants share with it.
PREFIX_DIGITS = {
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
    AreaLevel.GROUP: 15,
}


class AdminAreaQuerySet(models.QuerySet["AdminArea"]):
    def within(self, prefix: str) -> "AdminAreaQuerySet":
        """Areas whose code starts with ``prefix``: an area and all its descendants."""
        return self.filter(code__startswith=prefix)

    def active(self) -> "AdminAreaQuerySet":
        return self.filter(retired_on__isnull=True)


@history()
class AdminArea(models.Model):
    """A county, township (乡镇/街道), village (村/社区) or village group, keyed by its NBS code.

    Codes are the 12-digit 统计用区划代码; village groups extend their village's code by three
    digits. An area's descendants are exactly the areas whose code starts with its prefix
    (``scope_prefix``), which is how area scoping works. Codes change with mergers: an area that
    ceases is retired (``retired_on``), never deleted.
    """

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=AreaLevel.choices)
    kind = models.CharField(_("kind"), max_length=24, choices=AreaKind.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # The county code on every top-level record: the distribution key if a province scales out.
    county_code = models.CharField(_("county code"), max_length=6, db_index=True)
    boundary = models.MultiPolygonField(_("boundary"), srid=4490, null=True, blank=True)
    point = models.PointField(
        _("point"),
        srid=4490,
        null=True,
        blank=True,
        help_text=_("Seat or label point; the location itself where no boundary is known."),
    )
    synthetic = models.BooleanField(
        _("illustrative geometry"),
        default=False,
        help_text=_("Geometry is generated or generalised for the demo, not an official boundary."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    # Households and persons living there, where known (a village group's roll): what the
    # network gaps count ("households without piped water").
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    persons = models.PositiveIntegerField(_("persons"), null=True, blank=True)
    division_year = models.PositiveSmallIntegerField(_("code table year"), null=True, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)

    objects = AdminAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="adminarea_code_in_county",
                condition=Q(code__startswith=models.F("county_code")),
                violation_error_message=_("The code must start with the county code."),
            ),
            models.CheckConstraint(
                name="adminarea_code_format",
                condition=Q(level=AreaLevel.GROUP, code__regex=r"^[0-9]{15}$")
                | (~Q(level=AreaLevel.GROUP) & Q(code__regex=r"^[0-9]{12}$")),
                violation_error_message=_("The code must have 12 digits (15 for a village group)."),
            ),
        ]
        indexes = [
            models.Index(fields=["level", "code"], name="adminarea_level_code"),
        ]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def short_name(self) -> str:
        """The name without its committee suffix: 向东村村民委员会 -> 向东村."""
        return short_name(self.name)

    @property
    def scope_prefix(self) -> str:
        """The code prefix shared by this area and everything inside it."""
        return self.code[: PREFIX_DIGITS[AreaLevel(self.level)]]

    def contains_code(self, code: str) -> bool:
        return code.startswith(self.scope_prefix)


@history()
class Waterway(models.Model):
    """A river or stream drawn on the map for orientation (reference geography, not an asset)."""

    name = models.CharField(_("name"), max_length=100)
    county_code = models.CharField(_("county code"), max_length=6, db_index=True)
    geom = models.MultiLineStringField(_("geometry"), srid=4490)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("waterway")
        verbose_name_plural = _("waterways")
        ordering = ["name"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.name


def short_name(name: str) -> str:
    """An area name without its committee suffix: 向东村村民委员会 -> 向东村."""
    for suffix in ("村民委员会", "居民委员会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
