"""Project assets (扶贫/帮扶项目资产): one register for the three classes."""

import pgtrigger
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.validators import MinValueValidator
from django.db.models import Func, Q, TextField
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.choices import (
    AssetClass,
    AssetForm,
    AssetStatus,
    AssetSubtype,
    BenefitLink,
    FundEra,
)
from registry.errors import bilingual_lazy
from registry.history import history, protect_delete


@history()
class FundSource(models.Model):
    """A fund source of the configurable list (中央衔接资金, 省级财政, 东西部协作, ...).

    Local policy is configuration: a province adds or retires sources here, not in code.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Bridging funds (衔接资金) are bound by the positive and negative lists (FundUse); the
    # central ones count towards the share going to industry.
    bridging = models.BooleanField(_("bridging funds"), default=False)
    central = models.BooleanField(_("from the central budget"), default=False)

    class Meta:
        verbose_name = _("fund source")
        verbose_name_plural = _("fund sources")
        ordering = ["sort_order", "code"]
        triggers = [protect_delete()]

    def __str__(self) -> str:
        return self.name


CODE_LENGTH = 16  # the asset_code_format constraint: 16 ASCII digits


def code_prefix_q(value: str) -> Q:
    """Asset codes starting with ``value``: the LIKE of ``code__startswith`` plus the same set
    as a range of the code index, ``code >= value AND code <= value || '99...'``. PostgreSQL
    cannot turn the LIKE into a range of that index (C.UTF-8 is not the C collation), so with
    ORDER BY code it walked the index from the first code and discarded up to a million rows
    (2-6 s: the search, and the code allocator's last serial of a year); with the range it
    reads only the matching codes."""
    q = Q(code__startswith=value)
    if value.isascii() and value.isdigit() and len(value) <= CODE_LENGTH:
        q &= Q(code__gte=value, code__lte=value.ljust(CODE_LENGTH, "9"))
    return q


class AssetQuerySet(models.QuerySet["Asset"]):
    def with_related(self) -> "AssetQuerySet":
        return self.select_related("area", "area__parent")

    def code_prefix(self, value: str) -> "AssetQuerySet":
        return self.filter(code_prefix_q(value))


@history(exclude=["geom_3857"])
class Asset(models.Model):
    """One project asset: what it is, where, what it cost and what became of it.

    The code is county(6) + year formed(4) + class digit(1) + serial(5) and never changes.
    ``area_code`` copies the code of ``area`` so that scoping is one prefix match; ``version``
    rises with every change so that a stale edit is refused instead of overwriting.
    Write only through registry.services.assets.
    """

    code = models.CharField(_("asset code"), max_length=16, unique=True, editable=False)
    # The number the county's old ledger gave the asset (原资产编号): kept beside ours, searched,
    # exported, and what a re-import of that ledger matches its rows on. The database's own
    # default lets rows written around Django (COPY of the bench and demo loaders) leave it out.
    original_code = models.CharField(
        _("original asset code"), max_length=60, blank=True, default="", db_default=""
    )
    name = models.CharField(_("name"), max_length=200)
    asset_class = models.CharField(_("class"), max_length=12, choices=AssetClass.choices)
    subtype = models.CharField(_("sub-type"), max_length=24, choices=AssetSubtype.choices)
    form = models.CharField(
        _("form"), max_length=12, choices=AssetForm.choices, default=AssetForm.FIXED
    )
    fund_era = models.CharField(_("funding era"), max_length=12, choices=FundEra.choices)
    original_value = models.DecimalField(
        _("original value (yuan)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=10)
    formed_on = models.DateField(_("date formed"))
    status = models.CharField(
        _("status"), max_length=16, choices=AssetStatus.choices, default=AssetStatus.DRAFT
    )
    area = models.ForeignKey(
        "registry.AdminArea",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="assets",
    )
    area_code = models.CharField(_("area code"), max_length=15, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    geom = models.GeometryField(_("geometry"), srid=4490, null=True, blank=True)
    # Web Mercator copy for map tiles, kept in sync by PostgreSQL itself: filtering tiles on a
    # transformed column would defeat the spatial index (PERFORMANCE.md, tile pitfalls).
    geom_3857 = models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=models.GeometryField(srid=3857, null=True),
        db_persist=True,
    )
    beneficiary_households = models.PositiveIntegerField(_("beneficiary households"), default=0)
    beneficiary_persons = models.PositiveIntegerField(_("beneficiary persons"), default=0)
    beneficiary_exited_households = models.PositiveIntegerField(
        _("of which households out of poverty"), default=0
    )
    beneficiary_monitored_households = models.PositiveIntegerField(
        _("of which monitored households"), default=0
    )
    benefit_links = ArrayField(
        models.CharField(max_length=16, choices=BenefitLink.choices),
        verbose_name=_("benefit-link mechanisms"),
        default=list,
        blank=True,
    )
    booked = models.BooleanField(_("booked into accounts"), default=False)
    booked_on = models.DateField(_("booked on"), null=True, blank=True)
    voucher_no = models.CharField(_("voucher number"), max_length=50, blank=True)
    supervising_department = models.CharField(
        _("supervising department"), max_length=100, blank=True
    )
    synthetic = models.BooleanField(_("demo data"), default=False)
    note = models.TextField(_("note"), blank=True)
    # The project that formed the asset (以资金为主线、以项目为载体) and the asset's share of
    # its actual investment (per cent), set when the project hands its works over.
    source_project = models.ForeignKey(
        "registry.Project", verbose_name=_("formed by project"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="formed_assets",
    )  # fmt: skip
    source_share = models.DecimalField(
        _("share of the project's investment (%)"), max_digits=7, decimal_places=4, null=True,
        blank=True,
    )  # fmt: skip
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="asset_code_format",
                condition=Q(code__regex=r"^[0-9]{16}$"),
                violation_error_message=bilingual_lazy(
                    gettext_noop("An asset code has 16 digits.")
                ),
            ),
            models.CheckConstraint(
                name="asset_beneficiaries_consistent",
                condition=Q(
                    beneficiary_exited_households__lte=models.F("beneficiary_households"),
                    beneficiary_monitored_households__lte=models.F("beneficiary_households"),
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["area_code"], name="asset_area_code_like", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["asset_class", "status"], name="asset_class_status"),
            models.Index(fields=["subtype"], name="asset_subtype"),
            models.Index(
                fields=["original_code"],
                name="asset_original_code",
                condition=~Q(original_code=""),
            ),
            # An import's likely duplicates are looked for by name first (then distance): the
            # places around a village hold hundreds of assets, one name a handful.
            models.Index(fields=["name"], name="asset_name"),
            # Registrations waiting for review (待办): few among many, found by area prefix.
            models.Index(
                fields=["area_code"],
                name="asset_draft_area_code",
                opclasses=["varchar_pattern_ops"],
                condition=Q(status="draft"),
            ),
            GistIndex(fields=["geom_3857"], name="asset_geom_3857_gist"),
            # The list's and the map's text search (registry.filtersets.AssetFilterSet.filter_q,
            # icontains = UPPER(...) LIKE '%...%'): trigrams for terms of 3+ characters, and the
            # 1- and 2-character pieces of atlas_search_grams() (migration 0007) for shorter ones.
            GinIndex(
                OpClass(Upper("name"), name="gin_trgm_ops"),
                OpClass(Upper("address"), name="gin_trgm_ops"),
                name="asset_name_address_trgm",
            ),
            GinIndex(
                Func(
                    Upper("name"),
                    Upper("address"),
                    function="atlas_search_grams",
                    output_field=ArrayField(TextField()),
                ),
                name="asset_search_grams",
            ),
        ]
        triggers = [
            protect_delete(),
            # A link's copy of the area code (registry.models.network.NetworkLink.area_code).
            pgtrigger.Trigger(
                name="asset_area_code_to_link",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("area_code"),
                condition=pgtrigger.Condition("OLD.area_code IS DISTINCT FROM NEW.area_code"),
                func=(
                    "UPDATE registry_networklink SET area_code = NEW.area_code"
                    " WHERE asset_id = NEW.id; RETURN NULL;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


@history()
class AssetFunding(models.Model):
    """How much one fund source paid towards an asset (资金来源及金额). Lines are edited in
    place (an amount of zero ends a line), never deleted."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="funding")
    source = models.ForeignKey(FundSource, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["source__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "source"], name="assetfunding_one_per_source"),
            models.CheckConstraint(
                name="assetfunding_amount_positive",
                condition=Q(amount__gte=0),
                violation_error_message=bilingual_lazy(
                    gettext_noop("A funding amount cannot be negative.")
                ),
            ),
        ]
        triggers = [protect_delete()]
