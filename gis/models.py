"""Tables of the spatial services: derived tables that serve the map (caches of registry data,
rebuilt or kept in step by database triggers, never edited by people). The imports and
exports moved to the transfer app."""

from django.contrib.gis.db import models as gis_models
from django.db import models


class AssetCell(models.Model):
    """Assets counted per map-grid cell, per zoom level 0-13, per village, class and status.

    One tile is 16 x 16 cells. Low-zoom tiles sum these rows instead of reading every asset, so
    a county of a million assets draws in milliseconds; keeping village, class and status in the
    key lets the same rows answer the user's area scope and the commonest map filters.
    """

    z = models.SmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    area_code = models.CharField(max_length=15)
    asset_class = models.CharField(max_length=12)
    status = models.CharField(max_length=16)
    n = models.IntegerField()
    sx = models.FloatField()
    sy = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["z", "cx", "cy", "area_code", "asset_class", "status"],
                name="assetcell_key",
            )
        ]
        indexes = [models.Index(fields=["z", "cx", "cy"], name="assetcell_zxy")]

    def __str__(self) -> str:
        return f"z{self.z} ({self.cx}, {self.cy}) {self.area_code} {self.asset_class}: {self.n}"


class ProjectCell(models.Model):
    """Projects counted per map-grid cell, per zoom level 0-13, per county, stage, library
    year and category: the cells of AssetCell, for the project layer (gis.tiles.projects).

    They answer a county-wide view (a county user's, a superuser's) with the map's project
    filters. A township or village user sees the projects touching their area, which one
    count per cell cannot tell apart; their few projects are aggregated on the fly.
    """

    z = models.SmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    county_code = models.CharField(max_length=6)
    status = models.CharField(max_length=18)
    year = models.SmallIntegerField()
    category = models.CharField(max_length=16)
    n = models.IntegerField()
    sx = models.FloatField()
    sy = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["z", "cx", "cy", "county_code", "status", "year", "category"],
                name="projectcell_key",
            )
        ]
        indexes = [models.Index(fields=["z", "cx", "cy"], name="projectcell_zxy")]

    def __str__(self) -> str:
        return f"z{self.z} ({self.cx}, {self.cy}) {self.county_code} {self.status}: {self.n}"


class TileVersion(models.Model):
    """A counter raised when the asset table is emptied or rebuilt in bulk: every cached tile
    is keyed by it (and by its regions' versions, TileRegion)."""

    id = models.SmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


class TileRegion(models.Model):
    """The data version of one z12 tile's area (about 10 km): a statement trigger raises the
    regions that every changed asset covers, before and after the change. A cached tile is
    keyed by the newest version of the regions under it, so an edit in one village leaves the
    rest of the county's tiles cached."""

    x = models.IntegerField()
    y = models.IntegerField()
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["x", "y"], name="tileregion_xy")]

    def __str__(self) -> str:
        return f"z12 ({self.x}, {self.y}) v{self.version}"


class NetworkPlace(models.Model):
    """How the networks serve one village group or relocation site: the gap analysis's answer
    (gis.network), rewritten for a township whenever a link, site or group in reach of it
    changes, in the same transaction. ``place_id`` is the AdminArea (group) or RelocationSite.

    Road: ``road`` says whether a hardened road leads all the way to the township seat, only
    unhardened road does, or no road comes within reach; ``harden_m`` is the least length of
    unhardened road on any route to the seat (what hardening would cost in metres), and
    ``hardened_gap_m`` the straight distance to the nearest hardened road connected to the
    seat. Water: ``water`` whether a pipe connected to a water source comes within reach, and
    ``water_gap_m`` the straight distance to the nearest such pipe.
    """

    kind = models.CharField(max_length=6)
    place_id = models.BigIntegerField()
    name = models.CharField(max_length=120)
    code = models.CharField(max_length=15)
    area_code = models.CharField(max_length=15)
    township_code = models.CharField(max_length=12)
    county_code = models.CharField(max_length=6)
    households = models.IntegerField(null=True)
    persons = models.IntegerField(null=True)
    road = models.CharField(max_length=10)
    harden_m = models.FloatField(null=True)
    hardened_gap_m = models.FloatField(null=True)
    water = models.BooleanField()
    water_gap_m = models.FloatField(null=True)
    point = gis_models.PointField(srid=4490)
    point_3857 = gis_models.PointField(srid=3857)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "place_id"], name="networkplace_once")
        ]
        indexes = [
            models.Index(
                fields=["area_code"],
                name="networkplace_area_code",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["township_code"], name="networkplace_township"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}: road {self.road}, water {self.water}"


class NetworkRun(models.Model):
    """When a township's gaps were last computed, over how many links, and how long it took."""

    township_code = models.CharField(max_length=12, unique=True)
    county_code = models.CharField(max_length=6)
    computed_at = models.DateTimeField()
    links = models.IntegerField()
    places = models.IntegerField()
    duration_ms = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.township_code} at {self.computed_at}"
