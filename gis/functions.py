"""Spatial SQL functions as small ORM expressions, so that tile and layer queries are built by
the ORM with every number passed as a query parameter (no RawSQL, no f-string SQL)."""

from typing import Any

from django.contrib.gis.db.models import GeometryField, PointField
from django.contrib.gis.db.models.functions import GeoFunc
from django.db.models import FloatField, Func, IntegerField, Value


class TileGeometry(GeometryField):
    """The output of a geometry expression that only SQL reads (ST_AsMVT, GDAL): selected as it
    is, not cast to bytea as Django selects geometries for Python. Never evaluate such a
    queryset in Python."""

    def select_format(self, compiler: Any, sql: str, params: Any) -> tuple[str, Any]:
        return sql, params


class Raw(Func):
    """A geometry column selected as PostgreSQL holds it (not cast to bytea): for SQL that
    another reader runs (ST_AsMVT, GDAL reading the export query), never for Python."""

    template = "%(expressions)s"
    output_field = TileGeometry()


class TileEnvelope(Func):
    """ST_TileEnvelope(z, x, y): the Web Mercator bounds of a tile."""

    function = "ST_TileEnvelope"

    def __init__(self, z: int, x: int, y: int) -> None:
        super().__init__(Value(z), Value(x), Value(y), output_field=GeometryField(srid=3857))

    def get_group_by_cols(self) -> list[Any]:
        return []  # a constant: nothing to group by


class AsMVTGeom(GeoFunc):
    """ST_AsMVTGeom(geometry, bounds, extent, buffer, clip): a geometry in tile coordinates."""

    function = "ST_AsMVTGeom"
    geom_param_pos = (0,)

    def __init__(self, geometry: Any, bounds: Any, extent: int, buffer: int) -> None:
        super().__init__(
            geometry, bounds, Value(extent), Value(buffer), Value(True), output_field=TileGeometry()
        )


class Dimension(GeoFunc):
    """ST_Dimension: 0 for points, 1 for lines, 2 for polygons."""

    function = "ST_Dimension"
    output_field = IntegerField()


class PointOnSurface(GeoFunc):
    """ST_PointOnSurface, kept in the geometry's own SRID (Django's version transforms)."""

    function = "ST_PointOnSurface"
    output_field = PointField(srid=3857)


class X(GeoFunc):
    function = "ST_X"
    output_field = FloatField()


class Y(GeoFunc):
    function = "ST_Y"
    output_field = FloatField()


class MercatorPoint(Func):
    """ST_SetSRID(ST_MakePoint(x, y), 3857)."""

    template = "ST_SetSRID(ST_MakePoint(%(expressions)s), 3857)"
    output_field = PointField(srid=3857)
