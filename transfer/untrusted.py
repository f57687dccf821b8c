"""Uploaded files are hostile until shown otherwise: what we check before GDAL opens one.

GDAL follows references inside the files it reads: a GeoJSON ``crs`` member of type ``link``
makes it fetch a URL, a CRS name may be a file path, JSON-FG and Esri JSON carry their own CRS
members, a GeoPackage view runs whatever SQL it holds, and a zip may declare sizes it does not
keep. So an upload reaches GDAL only after this module has (1) rebuilt a GeoJSON file from the
members we know (type, geometry, properties, id), with its CRS reduced to an EPSG code;
(2) checked that a Shapefile's ``.prj`` is plain WKT (PROJ parses it, no network); (3) refused
GeoPackages that hold views or foreign virtual tables; (4) refused zips whose declared sizes
or compression ratios are implausible, before anything is decompressed. Besides, both GDALs of
the process (pyogrio's and Django's) are told to refuse network and ``/vsi*`` network access.
"""

import json
import re
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop

# GDAL configuration for every read of an upload. There is no single "no network" switch in
# GDAL: each option closes one door. A proxy nobody answers on catches what CPLHTTPFetch would
# send; the curl virtual file systems accept no file name; PROJ never downloads grids.
GDAL_LOCKDOWN = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".atlas-no-network",
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/atlas-no-network",
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "PROJ_NETWORK": "OFF",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "OGR_GEOJSON_MAX_OBJ_SIZE": "200",
}

# Zips: declared sizes are checked before anything is decompressed. Office files and
# shapefiles compress 3-15:1; a ratio far above that is a bomb, not a ledger.
ZIP_MAX_RATIO = 100
ZIP_MAX_MEMBERS = 10_000

_EPSG_NAME = re.compile(
    r"^(?:urn:ogc:def:crs:EPSG:[0-9.]*:|EPSG:{1,2}|https?://www\.opengis\.net/def/crs/EPSG/0/)"
    r"(\d{4,6})$",
    re.IGNORECASE,
)
_CRS84 = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
          "http://www.opengis.net/def/crs/ogc/1.3/crs84"}  # fmt: skip


class Unsafe(Exception):
    """The file is refused before any reader sees it; ``message`` is a gettext_noop string."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def lock_down_gdal() -> None:
    """Apply GDAL_LOCKDOWN to pyogrio's GDAL and to Django's (ctypes) GDAL."""
    import pyogrio

    pyogrio.set_gdal_config_options(GDAL_LOCKDOWN)
    try:
        from django.contrib.gis.gdal.libgdal import lgdal
    except Exception:  # GeoDjango without GDAL: nothing to lock
        return
    for key, value in GDAL_LOCKDOWN.items():
        lgdal.CPLSetConfigOption(key.encode(), value.encode())


# --- zips -------------------------------------------------------------------------------------


def check_zip(archive: zipfile.ZipFile, *, max_unpacked: int) -> None:
    """Refuse a zip by what it declares: too many members, too much in all, or a member that
    claims to shrink more than any real ledger does. Nothing is decompressed here; the
    readers then stop at the declared size (zipfile checks it while reading)."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise Unsafe(gettext_noop("The zip holds %(count)s files, more than we accept."),
                     count=len(infos))  # fmt: skip
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise Unsafe(
                gettext_noop(
                    "%(name)s in the zip claims to unpack %(ratio)s times its size: refused as"
                    " a zip bomb."
                ),
                name=Path(info.filename).name,
                ratio=info.file_size // max(info.compress_size, 1),
            )
    if total > max_unpacked:
        raise Unsafe(gettext_noop("The zip unpacks to %(size)s MB, more than we accept."),
                     size=total // 1_000_000)  # fmt: skip


# --- GeoJSON ----------------------------------------------------------------------------------


def _epsg_from_crs(crs: Any) -> int:
    """The EPSG code of a GeoJSON (2008) ``crs`` member; only named codes are accepted."""
    if isinstance(crs, dict) and crs.get("type") == "name":
        name = str((crs.get("properties") or {}).get("name", "")).strip()
        if name.lower() in _CRS84:
            return 4326
        match = _EPSG_NAME.match(name)
        if match:
            return int(match.group(1))
    raise Unsafe(
        gettext_noop(
            'The file\'s "crs" member is not an EPSG code. Links and file references are not'
            " followed: state the system as EPSG (for example urn:ogc:def:crs:EPSG::4490) or"
            " omit it."
        )
    )


def _geometry(value: Any) -> Any:
    """A geometry rebuilt from type, coordinates and geometries only (any other member,
    ``crs`` included, is dropped)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("geometry")
    kind = value.get("type")
    if kind == "GeometryCollection":
        return {"type": kind, "geometries": [_geometry(g) for g in value.get("geometries") or []]}
    return {"type": kind, "coordinates": value.get("coordinates")}


def sanitise_geojson(path: Path, out: Path) -> int | None:
    """Write to ``out`` a GeoJSON FeatureCollection rebuilt from ``path`` and return the EPSG
    code its ``crs`` member stated (None when unstated). GDAL reads ``out``, never ``path``."""
    if path.stat().st_size > settings.IMPORT_MAX_BYTES:
        raise Unsafe(gettext_noop("The file is larger than we accept."))
    try:
        with path.open("rb") as handle:
            document = json.load(handle, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise Unsafe(gettext_noop("The GeoJSON cannot be read: %(reason)s"),
                     reason=str(exc)[:200]) from exc  # fmt: skip
    if not isinstance(document, dict):
        raise Unsafe(gettext_noop("The GeoJSON holds no FeatureCollection."))
    epsg = _epsg_from_crs(document["crs"]) if document.get("crs") is not None else None
    if document.get("type") == "FeatureCollection":
        features = document.get("features")
    elif document.get("type") == "Feature":
        features = [document]
    else:
        raise Unsafe(gettext_noop("The GeoJSON holds no FeatureCollection."))
    if not isinstance(features, list):
        raise Unsafe(gettext_noop("The GeoJSON holds no FeatureCollection."))
    clean: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if epsg is not None:
        clean["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise Unsafe(gettext_noop("Feature %(row)s is not an object."), row=number)
        try:
            geometry = _geometry(feature.get("geometry"))
        except (ValueError, RecursionError) as exc:
            raise Unsafe(gettext_noop("Feature %(row)s has no readable geometry."),
                         row=number) from exc  # fmt: skip
        properties = feature.get("properties")
        rebuilt: dict[str, Any] = {
            "type": "Feature",
            "properties": properties if isinstance(properties, dict) else {},
            "geometry": geometry,
        }
        clean["features"].append(rebuilt)
    with out.open("w", encoding="utf-8") as handle:
        json.dump(clean, handle, ensure_ascii=False)
    return epsg


def _refuse_constant(name: str) -> float:
    # NaN and Infinity are not JSON; Python's parser would accept them.
    raise ValueError(f"{name} is not a number in JSON")


# --- Shapefile .prj ---------------------------------------------------------------------------


def check_prj(text: str) -> None:
    """Refuse a ``.prj`` that is not WKT PROJ can parse from the text alone: GDAL's Shapefile
    reader then sees only WKT, never a name, URL or path that a user-input parser resolves."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    text = text.strip().lstrip("\ufeff")
    if not text:
        return
    if not re.match(r"^(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|COMPD_CS|BOUNDCRS)\s*\[", text,
                    re.IGNORECASE):  # fmt: skip
        raise Unsafe(gettext_noop("The .prj file is not a WKT coordinate system."))
    try:
        CRS.from_wkt(text)
    except CRSError as exc:
        raise Unsafe(gettext_noop("The .prj file cannot be read: %(reason)s"),
                     reason=str(exc)[:200]) from exc  # fmt: skip


# --- GeoPackage -------------------------------------------------------------------------------


def check_geopackage(path: Path) -> None:
    """Refuse a GeoPackage that holds views or generated columns (their SQL would run in our
    process when GDAL reads the layer) or virtual tables other than GDAL's R*Tree index.
    Triggers are allowed: GDAL's own spatial index uses them and a read fires none. Read with
    SQLite itself, schema only."""
    uri = f"file:{path}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise Unsafe(gettext_noop("The GeoPackage cannot be opened: %(reason)s"),
                     reason=exc) from exc  # fmt: skip
    try:
        # Do not run SQL from the file's schema (views, triggers, defaults) while looking at it.
        connection.execute("PRAGMA trusted_schema = OFF")
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        kinds: dict[str, str] = {}
        for kind, name, sql in rows:
            kinds[str(name).lower()] = kind
            if kind == "view":
                raise Unsafe(
                    gettext_noop(
                        "The GeoPackage holds a view (%(name)s): only tables are read. Save the"
                        " layer as a table."
                    ),
                    name=name,
                )
            # GDAL's spatial index is an R*Tree virtual table: any other module is refused.
            virtual = re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE\s+\S+\s+USING\s+(\w+)", sql or "",
                               re.IGNORECASE)  # fmt: skip
            if kind == "table" and virtual and virtual.group(1).lower() != "rtree":
                raise Unsafe(gettext_noop("The GeoPackage holds a virtual table (%(name)s)."),
                             name=name)  # fmt: skip
        if "gpkg_contents" not in kinds:
            raise Unsafe(gettext_noop("The file is not a GeoPackage (no gpkg_contents)."))
        # A generated column's expression runs whenever a row is read: the file's own SQL in
        # our worker (and a slow one holds it for as long as it likes).
        for kind, name, _sql in rows:
            if kind != "table" or str(name).lower().startswith("sqlite_"):
                continue
            quoted = '"' + str(name).replace('"', '""') + '"'
            for column in connection.execute(f"PRAGMA table_xinfo({quoted})").fetchall():
                if column[6] in (2, 3):  # hidden: 2 virtual, 3 stored generated column
                    raise Unsafe(
                        gettext_noop(
                            "The GeoPackage computes the column %(column)s of %(name)s with SQL:"
                            " only stored values are read. Save the layer again as plain"
                            " columns."
                        ),
                        column=column[1],
                        name=name,
                    )
        _check_geometry_blobs(connection)
    except sqlite3.Error as exc:
        raise Unsafe(gettext_noop("The GeoPackage cannot be read: %(reason)s"),
                     reason=exc) from exc  # fmt: skip
    finally:
        connection.close()


def _check_geometry_blobs(connection: sqlite3.Connection) -> None:
    """Every stored geometry starts with the GeoPackage header ("GP"): GDAL reads any other
    blob as no geometry at all, so a damaged feature would pass for one without a position.
    The features at fault are named by their ids (QGIS shows them as fid)."""
    layers = connection.execute(
        "SELECT table_name, column_name FROM gpkg_geometry_columns"
    ).fetchall()
    for table, column in layers:
        quoted_table = '"' + str(table).replace('"', '""') + '"'
        quoted_column = '"' + str(column).replace('"', '""') + '"'
        damaged = connection.execute(
            f"SELECT rowid FROM {quoted_table} WHERE {quoted_column} IS NOT NULL"
            f" AND (typeof({quoted_column}) != 'blob' OR substr({quoted_column}, 1, 2) != X'4750')"
            " ORDER BY rowid LIMIT 11"
        ).fetchall()
        if damaged:
            ids = "、".join(str(row[0]) for row in damaged[:10])
            ids += "…" if len(damaged) > 10 else ""
            raise Unsafe(
                gettext_noop(
                    "The geometry of feature %(ids)s of layer %(name)s cannot be read: the file"
                    " is damaged there. Repair the layer (QGIS: Fix geometries) or draw those"
                    " features again."
                ),
                ids=ids,
                name=table,
            )
