"""Coordinate systems an imported ledger may come in, and how to bring them to CGCS2000.

County ledgers arrive in CGCS2000 (EPSG:4490) or WGS84 (4326) longitude/latitude, in CGCS2000
3-degree Gauss-Kruger zones (EPSG:4513-4533 with the zone number before the easting,
4534-4554 without it), or, where a .prj says so, in Xian 1980. Files without a stated CRS are
judged by their numbers: longitude/latitude if they look like degrees, otherwise the digits of
the easting decide (8 digits: the first two are the zone; 6 digits: the zone whose central
meridian is nearest the county). Points captured by phone map apps in GCJ-02 are converted to
WGS84 when the uploader says so; GCJ-02 coordinates are never stored.
"""

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

CGCS2000 = 4490
WGS84 = 4326
GK_ZONE_FIRST = 4513  # CGCS2000 / 3-degree Gauss-Kruger zone 25 (central meridian 75E)
GK_CM_FIRST = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E (no zone prefix)
ZONES = range(25, 46)  # 3-degree zones 25 (75E) to 45 (135E) cover China


def _accepted() -> set[int]:
    codes = {CGCS2000, WGS84, 4610}  # 4610: Xian 1980 geographic
    codes |= set(range(4491, 4555))  # CGCS2000 Gauss-Kruger, 6- and 3-degree, with/without zone
    codes |= set(range(2327, 2391))  # Xian 1980 Gauss-Kruger, 6- and 3-degree
    return codes


ACCEPTED = frozenset(_accepted())


class CRSUnsupported(ValueError):
    """The file states a coordinate system we cannot bring to CGCS2000 with confidence."""


@dataclass(frozen=True)
class Detected:
    epsg: int
    stated: bool  # True when the file said so (.prj, GeoPackage, GeoJSON), False when guessed

    @property
    def name(self) -> str:
        return f"EPSG:{self.epsg} {CRS.from_epsg(self.epsg).name}"


def epsg_of(crs_text: str | None) -> int | None:
    """The EPSG code of a CRS as GDAL reports it (``EPSG:4524`` or WKT); None when unstated."""
    if not crs_text:
        return None
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError as exc:
        raise CRSUnsupported(crs_text) from exc
    code = crs.to_epsg(min_confidence=70)
    if code is None:
        raise CRSUnsupported(crs.name)
    return int(code)


def looks_geographic(x: float, y: float) -> bool:
    return -180 <= x <= 180 and -90 <= y <= 90


def guess(x: float, y: float, county_lon: float) -> int | None:
    """The EPSG code a file without a stated CRS most likely uses, judged from one position
    (x = easting or longitude); None when the numbers fit nothing we know."""
    if looks_geographic(x, y):
        return CGCS2000
    if not 1_000_000 <= y < 10_000_000:  # northings in China have 7 digits
        return None
    if 10_000_000 <= x < 100_000_000:
        zone = int(x // 1_000_000)
        return GK_ZONE_FIRST + zone - ZONES.start if zone in ZONES else None
    if 100_000 <= x < 1_000_000:
        zone = round(county_lon / 3)
        return GK_CM_FIRST + zone - ZONES.start if zone in ZONES else None
    return None


def easting_northing(a: float, b: float) -> tuple[float, float]:
    """Order a pair of projected numbers as (easting, northing). Chinese surveys call the
    northing X and the easting Y; the northing is the one with 7 digits."""
    if 1_000_000 <= abs(a) < 10_000_000 and not 1_000_000 <= abs(b) < 10_000_000:
        return b, a
    return a, b


_transformers: dict[int, Transformer] = {}


def to_cgcs2000(geoms: np.ndarray, epsg: int) -> np.ndarray:
    """Shapely geometries in ``epsg`` transformed to EPSG:4490 (lon, lat)."""
    if epsg == CGCS2000:
        return geoms
    if epsg not in _transformers:
        _transformers[epsg] = Transformer.from_crs(epsg, CGCS2000, always_xy=True)
    transformer = _transformers[epsg]
    return shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(*xy.T)))


# --- GCJ-02 ------------------------------------------------------------------------------------
# The published GCJ-02 obfuscation (Krasovsky ellipsoid), inverted by fixed-point iteration.
_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )  # fmt: skip
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )  # fmt: skip
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = (dlon * 180.0) / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert the offset to well under a millimetre (the offset varies slowly)."""
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(6):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def from_gcj02(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
