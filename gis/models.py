"""Tables of the spatial services: derived tables that serve the map (caches of registry data,
rebuilt or kept in step by database triggers, never edited by people). The imports and
exports moved to the transfer app."""

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
