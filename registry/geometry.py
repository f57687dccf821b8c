"""The shapes the register keeps: what every page can draw and every export can write.

An asset is a point, a line or an area (or several of one kind): Shapefiles hold one kind per
file, GeoJSON and ST_AsGeoJSON refuse nested collections, and Leaflet draws no Z or M values.
Coordinates are CGCS2000 (EPSG:4490) longitude/latitude; WGS84 (EPSG:4326) is taken as equal
(DESIGN.md §4). The database holds the same rule as a CHECK constraint (migration 0005), so
that no row, and therefore no history row, can keep a shape that breaks a page later.

Text geometries are parsed by GEOS (WKT, EWKT, HEXEWKB) or, for GeoJSON, by our own JSON reading
followed by GEOS: never by GDAL, which would follow a ``crs`` link in the text.
"""

import json
import math
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils.translation import gettext_noop

ACCEPTED_TYPES = frozenset(
    {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}
)
ACCEPTED_SRIDS = frozenset({4490, 4326})
# Web Mercator (the map) stops at +-85.05 degrees; nothing of a Chinese county lies near it.
MAX_LAT = 85.0
MAX_VERTICES = 100_000


class GeometryRefused(ValueError):
    """Why a geometry cannot be kept: ``message`` is a gettext_noop string with ``params``."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def check(geom: shapely.Geometry, *, valid: bool = True) -> None:
    """Raise GeometryRefused unless ``geom`` is a 2-D, finite, non-empty point, line or area
    (or a multi-part of one kind) in longitude/latitude; ``valid`` also asks OGC validity."""
    kind = geom.geom_type
    if kind not in ACCEPTED_TYPES:
        raise GeometryRefused(
            gettext_noop(
                "A %(type)s cannot be kept: draw points, lines or areas, one kind per asset."
            ),
            type=kind,
        )
    if geom.is_empty:
        raise GeometryRefused(gettext_noop("The geometry is empty: draw it on the map."))
    # A multi-part shape with an empty part (MULTIPOINT (EMPTY, 108 30)) crashes libgeos 3.11
    # in ST_PointOnSurface, and with it the PostgreSQL server: refuse it here.
    if kind.startswith("Multi") and shapely.is_empty(shapely.get_parts(geom)).any():
        raise GeometryRefused(gettext_noop("The geometry is empty: draw it on the map."))
    if shapely.has_z(geom) or shapely.has_m(geom):
        raise GeometryRefused(
            gettext_noop("The geometry has heights or measures (Z/M): only x and y are kept.")
        )
    count = shapely.get_num_coordinates(geom)
    if count > MAX_VERTICES:
        raise GeometryRefused(
            gettext_noop("The geometry has %(count)s vertices; at most %(limit)s are kept."),
            count=f"{count:,}",
            limit=f"{MAX_VERTICES:,}",
        )
    for x, y in shapely.get_coordinates(geom):
        if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > 180 or abs(y) > MAX_LAT:
            raise GeometryRefused(
                gettext_noop(
                    "The coordinate (%(x)s, %(y)s) is not a longitude/latitude: use CGCS2000"
                    " or WGS84 degrees."
                ),
                x=x,
                y=y,
            )
    if valid and not geom.is_valid:
        raise GeometryRefused(
            gettext_noop("The geometry is not valid: %(reason)s"),
            reason=shapely.is_valid_reason(geom),
        )


def check_geos(geom: GEOSGeometry, *, valid: bool = True) -> None:
    """``check`` for a GeoDjango geometry, its SRID included."""
    if geom.srid not in (None, *ACCEPTED_SRIDS):
        raise GeometryRefused(
            gettext_noop(
                "EPSG:%(srid)s is not accepted: give CGCS2000 (EPSG:4490) or WGS84 (EPSG:4326)"
                " longitude/latitude."
            ),
            srid=geom.srid,
        )
    if geom.empty:  # WKB cannot hold an empty point
        raise GeometryRefused(gettext_noop("The geometry is empty: draw it on the map."))
    check(shapely.from_wkb(bytes(geom.wkb)), valid=valid)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in JSON")


def parse(text: str) -> GEOSGeometry:
    """A geometry from the text a form receives (GeoJSON from the map widget, or WKT, EWKT,
    HEXEWKB), with SRID 4490; GeometryRefused names what is wrong."""
    text = text.strip()
    if "\x00" in text:
        raise GeometryRefused(gettext_noop("The geometry cannot be read."))
    if text.startswith("{"):
        try:
            document = json.loads(text, parse_constant=_refuse_constant)
            if not isinstance(document, dict):
                raise ValueError("not an object")
            if document.get("type") == "Feature":
                document = document.get("geometry") or {}
                if not isinstance(document, dict):
                    raise GeometryRefused(gettext_noop("The geometry cannot be read."))
            # Only the shape: a "crs" member (a link GDAL would fetch) is not ours to follow.
            document = {k: v for k, v in document.items() if k != "crs"}
            text = json.dumps(document, allow_nan=False)
        except GeometryRefused:
            raise
        except ValueError as exc:  # 1e400 reads as infinity; allow_nan refuses to write it
            raise GeometryRefused(
                gettext_noop(
                    "A coordinate is not a finite number: use degrees of longitude and latitude."
                )
            ) from exc
        except RecursionError as exc:
            raise GeometryRefused(gettext_noop("The geometry cannot be read.")) from exc
        try:
            shape = shapely.from_geojson(text)
        except (ValueError, RecursionError, shapely.errors.GEOSException) as exc:
            raise GeometryRefused(
                gettext_noop("The geometry cannot be read: %(reason)s"), reason=str(exc)[:200]
            ) from exc
        if shape is None:
            raise GeometryRefused(gettext_noop("The geometry is empty: draw it on the map."))
        check(shape, valid=False)
        return GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=4490)
    try:
        geom = GEOSGeometry(text)
    except (ValueError, TypeError, GEOSException) as exc:
        raise GeometryRefused(
            gettext_noop("The geometry cannot be read: %(reason)s"), reason=str(exc)[:200]
        ) from exc
    check_geos(geom, valid=False)
    geom.srid = 4490
    return geom


# SQL of the same rule, for the CHECK constraint (migrations 0005 and 0009; a change here needs a
# migration that replaces the function and validates the constraints again).
# A standard-SQL body (RETURN): PostgreSQL resolves its functions when it is created, so the
# CHECK constraint also holds while pg_restore loads rows with an empty search_path.
DRAWABLE_SQL = """
CREATE OR REPLACE FUNCTION atlas_drawable(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN g IS NULL OR (
    GeometryType(g) IN ('POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING',
                        'MULTIPOLYGON')
    AND NOT ST_IsEmpty(g) AND ST_NDims(g) = 2
    AND ST_XMin(g) >= -180 AND ST_XMax(g) <= 180
    AND ST_YMin(g) >= -85 AND ST_YMax(g) <= 85
    -- MULTIPOINT ((1 2), EMPTY): GEOS 3.11 crashes the server on it (ST_PointOnSurface)
    AND (GeometryType(g) NOT LIKE 'MULTI%' OR NOT EXISTS (
        SELECT FROM ST_Dump(g) AS part WHERE ST_IsEmpty(part.geom))));
"""
