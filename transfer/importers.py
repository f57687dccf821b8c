"""Bulk import of asset ledgers: read, validate, preview, and commit all or nothing.

A ledger comes as Excel (our template or an export of ours), CSV (UTF-8 or GBK), a zipped
Shapefile (several layers allowed, GBK without .cpg recognised), GeoPackage or GeoJSON. The
file is read in batches (python-calamine for Excel, the csv module, GDAL through pyogrio for
the GIS formats), each row is checked against the same rules the register form applies, and
the outcome is counted: rows that create an asset, rows that update one (by asset code), rows
that change nothing, rows with problems. Every problem names its row, its column and the reason
in Chinese and English.

``commit`` reads and checks the file again inside one transaction (the register may have
changed since the preview) and writes only if no row has a problem: a failure anywhere leaves
the database exactly as it was. History triggers record every row written with the importing
user and the import's number.
"""

import codecs
import csv
import datetime
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pghistory
import pyogrio
import shapely
import xlsxwriter
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from python_calamine import CalamineError, CalamineWorkbook

from gis import coords
from registry import geometry, selectors
from registry.choices import (
    AreaLevel,
    AssetStatus,
)
from registry.errors import bilingual
from registry.ledgers import ASSETS
from registry.models import AdminArea, Asset, User
from registry.scoping import can_edit
from registry.services.assets import TOWNSHIP_TOLERANCE, rule_problems
from registry.services.bulk import BULK_FIELDS, AssetBulkWriter
from transfer import untrusted
from transfer.exporters import COLUMNS, FORMULA_START, LABELS, neutralise

BATCH = 5000
HEADER_SEARCH_ROWS = 10
TOTALS_LABELS = {"合计", "总计", "total"}

# Everything an import knows of its columns comes from the asset ledger's declaration
# (registry.ledgers.ASSETS): headers and other names, which columns it reads, which a new asset
# needs, and (from the model's fields) the digits, decimals and lengths the register keeps.
# Exported columns an import does not read (status, owners, maintainer, inspections, fund era)
# are kept by their own workflows and derived values: an import leaves them alone.
READ_ONLY = {c.key for c in ASSETS.exported if not c.imported}
REQUIRED_FOR_NEW = [c.key for c in ASSETS.columns if c.required]
COMPARED = BULK_FIELDS
HEADERS = {c.key: c.header for c in ASSETS.columns}
EXTRA_HEADERS = {c.key: c.header for c in ASSETS.columns if not c.exported}
ALIASES = {c.key: list(c.aliases) for c in ASSETS.columns if c.aliases}


def _model_field(key: str) -> Any:
    try:
        return Asset._meta.get_field(key)
    except FieldDoesNotExist:
        return None


TEXT_LIMITS = {
    c.key: _model_field(c.key).max_length
    for c in ASSETS.imported
    if c.kind == "text" and getattr(_model_field(c.key), "max_length", None)
}
NUMBER_LIMITS = {
    c.key: (_model_field(c.key).max_digits, _model_field(c.key).decimal_places)
    for c in ASSETS.imported
    if c.kind == "number"
}
INTEGERS = [c.key for c in ASSETS.imported if c.kind == "int"]
YES = {"是", "yes", "y", "true", "1", "t", "√"}
NO = {"否", "no", "n", "false", "0", "f", ""}


def _norm(header: Any) -> str:
    text = str(header or "").strip().lower().replace("*", "").replace(" ", "")
    return text.replace("(", "（").replace(")", "）")


def _header_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, column.key, column.shp):
            mapping[_norm(name)] = column.key
    for key, header in EXTRA_HEADERS.items():
        mapping[_norm(header)] = key
        mapping[_norm(key)] = key
    for key, names in ALIASES.items():
        for name in names:
            mapping[_norm(name)] = key
    return mapping


HEADER_MAP = _header_map()


class RowOutcome(StrEnum):
    """What the check decided for a row."""

    CREATE = "create"  # a new asset
    UPDATE = "update"  # changes an asset the user may edit (by its code)
    UNCHANGED = "unchanged"  # names an asset and changes nothing
    ERROR = "error"  # has problems: the file is not imported


class ImportRefused(Exception):
    """The file as a whole cannot be imported; the message is bilingual."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(bilingual(message, **params))


@dataclass(frozen=True)
class Problem:
    row: str
    column: str
    message: str


@dataclass
class Row:
    where: str  # the row's name in messages: "12" (sheet row) or "points.shp:12"
    cells: dict[str, Any]
    geom: Any = None  # shapely geometry in EPSG:4490, or None
    problems: list[Problem] = field(default_factory=list)

    def problem(self, column: str, message: str, **params: Any) -> None:
        header = HEADERS.get(column, column)
        self.problems.append(Problem(self.where, header, bilingual(message, **params)))


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Source:
    """An opened import file: its format, CRS and a reader of row batches."""

    format: str
    headers: list[str]
    ignored: list[str]
    crs: coords.Detected | None
    batches: Callable[[], Iterator[list[Row]]]
    has_geometry: bool
    total: int = 0  # rows the file holds, roughly (for progress bars)
    workdir: Path | None = None

    def close(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def open_source(path: Path, *, gcj02: bool = False, county_lon: float = 108.0) -> Source:
    """Open ``path`` whatever its name says: the format is recognised from its content."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if not head:
        raise ImportRefused(gettext_noop("The file is empty."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            gettext_noop("This is an old .xls workbook: save it as .xlsx in Excel and try again.")
        )
    if head.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(path)
            untrusted.check_zip(archive, max_unpacked=settings.IMPORT_MAX_BYTES * 20)
            names = archive.namelist()
        except untrusted.Unsafe as exc:
            raise ImportRefused(exc.message, **exc.params) from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ImportRefused(
                gettext_noop("The file is damaged: it is not a readable zip.")
            ) from exc
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return _open_xlsx(path, archive, gcj02=gcj02, county_lon=county_lon)
        if any(n.lower().endswith(".shp") for n in names):
            return _open_shapefiles(archive, gcj02=gcj02, county_lon=county_lon)
        raise ImportRefused(
            gettext_noop("The zip holds neither an Excel workbook nor a Shapefile (.shp).")
        )
    if head.startswith(b"SQLite format 3\x00"):
        try:
            untrusted.check_geopackage(path)
        except untrusted.Unsafe as exc:
            raise ImportRefused(exc.message, **exc.params) from exc
        return _open_gis([(path, None, "")], "gpkg", gcj02=gcj02, county_lon=county_lon)
    text_start = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if text_start.startswith((b"{", b"[")):
        # GDAL reads a copy rebuilt from the members we know, never the upload itself.
        workdir = Path(tempfile.mkdtemp(prefix="atlas-import-"))
        clean = workdir / "upload.geojson"
        try:
            untrusted.sanitise_geojson(path, clean)
            source = _open_gis([(clean, None, "")], "geojson", gcj02=gcj02, county_lon=county_lon)
        except untrusted.Unsafe as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise ImportRefused(exc.message, **exc.params) from exc
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        source.workdir = workdir
        return source
    return _open_csv(path, gcj02=gcj02, county_lon=county_lon)


def _map_headers(raw: list[Any]) -> tuple[dict[int, str], list[str]]:
    positions: dict[int, str] = {}
    ignored = []
    for index, header in enumerate(raw):
        text = str(header or "").strip()
        if not text:
            continue
        key = HEADER_MAP.get(_norm(text))
        if key is None or key in READ_ONLY or key in positions.values():
            ignored.append(text)
        else:
            positions[index] = key
    return positions, ignored


def _require_headers(positions: dict[int, str], seen: list[Any]) -> None:
    keys = set(positions.values())
    if "name" not in keys and "code" not in keys:
        raise ImportRefused(
            gettext_noop(
                "No column of the asset ledger was found (looked for 资产编号 or 资产名称 in the"
                " first rows; found: %(found)s). Start from the template."
            ),
            found="、".join(str(v) for v in seen if str(v or "").strip())[:200] or "-",
        )


def _table_source(
    fmt: str,
    header_rows: list[tuple[int, list[Any]]],
    rows: Callable[[], Iterator[tuple[int, list[Any]]]],
    gcj02: bool,
    county_lon: float,
    total: int,
) -> Source:
    """A Source over a table (Excel sheet or CSV): find the header row among the first rows,
    then map cells to columns; coordinates come from lon/lat or X/Y columns."""
    chosen: tuple[int, dict[int, str], list[str]] | None = None
    for number, values in header_rows:
        positions, ignored = _map_headers(values)
        if len(positions) >= 2:
            chosen = (number, positions, ignored)
            break
    if chosen is None:
        _require_headers({}, header_rows[0][1] if header_rows else [])
        raise AssertionError  # _require_headers raised
    header_number, positions, ignored = chosen
    _require_headers(positions, [])
    keys = set(positions.values())
    has_xy = {"lon", "lat"} <= keys or {"x", "y"} <= keys
    state: dict[str, Any] = {"crs": None}

    def batches() -> Iterator[list[Row]]:
        batch: list[Row] = []
        for number, values in rows():
            if number <= header_number:
                continue
            cells = {
                key: values[index] if index < len(values) else None
                for index, key in positions.items()
            }
            if all(v is None or str(v).strip() == "" for v in cells.values()):
                continue
            code = str(cells.get("code") or "").strip().lower()
            if code in TOTALS_LABELS and not str(cells.get("name") or "").strip():
                continue
            batch.append(Row(str(number), cells))
            if len(batch) >= BATCH:
                _table_points(batch, state, gcj02, county_lon)
                yield batch
                batch = []
        if batch:
            _table_points(batch, state, gcj02, county_lon)
            yield batch

    headers = [HEADERS.get(k, k) for k in positions.values()]
    return Source(fmt, headers, ignored, None, batches, has_xy, total=total)


def _table_points(batch: list[Row], state: dict[str, Any], gcj02: bool, county_lon: float) -> None:
    """Turn lon/lat or X/Y cells into points in EPSG:4490; the system is judged once per file
    from its first position and every later row must fit it."""
    placed: list[tuple[Row, float, float]] = []
    for row in batch:
        for a, b in (("lon", "lat"), ("x", "y")):
            va, vb = row.cells.get(a), row.cells.get(b)
            if _blank(va) and _blank(vb):
                continue
            fa, fb = _float(va), _float(vb)
            if fa is None or fb is None:
                row.problem(a if fa is None else b, gettext_noop("Not a number."))
                break
            x, y = (fa, fb) if a == "lon" else coords.easting_northing(fa, fb)
            if state["crs"] is None:
                state["crs"] = coords.guess(x, y, county_lon)
            if state["crs"] is None or coords.guess(x, y, county_lon) != state["crs"]:
                row.problem(
                    a,
                    gettext_noop(
                        "The position %(x)s, %(y)s fits neither longitude/latitude nor a"
                        " Gauss-Kruger zone of this file."
                    ),
                    x=x,
                    y=y,
                )
            else:
                placed.append((row, x, y))
            break
    if not placed:
        return
    points = shapely.points([(x, y) for _row, x, y in placed])
    points = coords.to_cgcs2000(points, state["crs"])
    if gcj02 and state["crs"] == coords.CGCS2000:
        points = coords.from_gcj02(points)
    for (row, _x, _y), point in zip(placed, points, strict=True):
        row.geom = point


def _open_xlsx(path: Path, archive: zipfile.ZipFile, *, gcj02: bool, county_lon: float) -> Source:
    limit = settings.IMPORT_MAX_ROWS
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > settings.IMPORT_MAX_BYTES * 20:  # a workbook compresses about 10:1
        raise ImportRefused(
            gettext_noop("The zip unpacks to %(size)s MB, more than we accept."),
            size=unpacked // 1_000_000,
        )
    total = 0
    for info in archive.infolist():
        name = info.filename
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        total = max(total, _count_rows(archive, name))
        if total > limit + HEADER_SEARCH_ROWS:
            raise ImportRefused(
                gettext_noop("The workbook has more than %(limit)s rows: split it."),
                limit=f"{limit:,}",
            )
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        sheet_name = next((n for n in names if n in {"资产台账", "Assets"}), names[0])
        sheet = workbook.get_sheet_by_name(sheet_name)
        first_row = sheet.start[0] if sheet.start else 0
        head = []
        for offset, values in enumerate(sheet.iter_rows()):
            head.append((first_row + offset + 1, list(values)))
            if offset + 1 >= HEADER_SEARCH_ROWS:
                break
    except (CalamineError, ValueError, IndexError) as exc:
        raise ImportRefused(
            gettext_noop("The workbook cannot be read: %(reason)s"), reason=exc
        ) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for offset, values in enumerate(sheet.iter_rows()):
            yield first_row + offset + 1, [_excel_value(v) for v in values]

    return _table_source("xlsx", head, rows, gcj02, county_lon, total)


def _count_rows(archive: zipfile.ZipFile, member: str) -> int:
    count = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<row ") + data.count(b"<row>")
            tail = data[-5:]
            count -= tail.count(b"<row ") + tail.count(b"<row>")
        count += tail.count(b"<row ") + tail.count(b"<row>")
    return count


def _excel_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _open_csv(path: Path, *, gcj02: bool, county_lon: float) -> Source:
    with path.open("rb") as handle:
        sample = handle.read(1 << 20)
    if b"\x00" in sample:
        raise ImportRefused(
            gettext_noop(
                "This file is not a table we can read. Upload Excel (.xlsx), CSV, a zipped"
                " Shapefile, GeoPackage or GeoJSON."
            )
        )
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < (1 << 20))
    except UnicodeDecodeError:
        encoding = "gb18030"
        try:
            codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                gettext_noop("The text is neither UTF-8 nor GBK: save the CSV as UTF-8.")
            ) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        with path.open(encoding=encoding, newline="", errors="strict") as handle:
            reader = csv.reader(handle)
            try:
                for number, values in enumerate(reader, start=1):
                    if number > settings.IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS:
                        raise ImportRefused(
                            gettext_noop("The file has more than %(limit)s rows: split it."),
                            limit=f"{settings.IMPORT_MAX_ROWS:,}",
                        )
                    yield number, values
            except UnicodeDecodeError as exc:
                raise ImportRefused(
                    gettext_noop("Row %(row)s is not valid %(encoding)s text."),
                    row=number + 1,
                    encoding=encoding,
                ) from exc
            except csv.Error as exc:
                raise ImportRefused(
                    gettext_noop("The CSV cannot be read at row %(row)s: %(reason)s"),
                    row=reader.line_num,
                    reason=exc,
                ) from exc

    head = []
    for number, values in rows():
        head.append((number, values))
        if number >= HEADER_SEARCH_ROWS:
            break
    if not any(values for _n, values in head):
        raise ImportRefused(gettext_noop("The file is empty."))
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return _table_source("csv", head, rows, gcj02, county_lon, lines)


def _open_shapefiles(archive: zipfile.ZipFile, *, gcj02: bool, county_lon: float) -> Source:
    total = sum(i.file_size for i in archive.infolist())
    if total > settings.IMPORT_MAX_BYTES * 4:
        raise ImportRefused(
            gettext_noop("The zip unpacks to %(size)s MB, more than we accept."),
            size=total // 1_000_000,
        )
    workdir = Path(tempfile.mkdtemp(prefix="atlas-import-"))
    layers: list[tuple[Path, str | None, str]] = []
    for info in archive.infolist():
        name = Path(info.filename).name
        if info.is_dir() or not name or name.startswith("."):
            continue
        if Path(info.filename).suffix.lower() not in {".shp", ".shx", ".dbf", ".prj", ".cpg"}:
            continue
        # Flatten: names from the archive never choose where we write.
        with archive.open(info) as src, (workdir / name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    for shp in sorted(workdir.glob("*.[sS][hH][pP]")):
        stem = shp.with_suffix("")
        missing = [
            ext for ext in (".shx", ".dbf") if not any(
                p.suffix.lower() == ext for p in workdir.glob(stem.name + ".*")
            )
        ]  # fmt: skip
        if missing:
            shutil.rmtree(workdir, ignore_errors=True)
            raise ImportRefused(
                gettext_noop("%(name)s comes without its %(missing)s file."),
                name=shp.name,
                missing=" ".join(missing),
            )
        has_cpg = any(p.suffix.lower() == ".cpg" for p in workdir.glob(stem.name + ".*"))
        encoding = "" if has_cpg else _dbf_encoding(stem)
        layers.append((shp, None, encoding))
        # A .prj reaches GDAL only if it is WKT (a name or URL there would be resolved).
        for prj in [p for p in workdir.glob(stem.name + ".*") if p.suffix.lower() == ".prj"]:
            try:
                untrusted.check_prj(prj.read_bytes()[:65536].decode("utf-8", errors="replace"))
            except untrusted.Unsafe as exc:
                shutil.rmtree(workdir, ignore_errors=True)
                raise ImportRefused(exc.message, **exc.params) from exc
    try:
        source = _open_gis(layers, "shp", gcj02=gcj02, county_lon=county_lon)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    source.workdir = workdir
    return source


def _dbf_encoding(stem: Path) -> str:
    """The text encoding of a .dbf that came without .cpg: UTF-8 if its text decodes as
    UTF-8, otherwise GB18030 (a superset of GBK, what Chinese desktop GIS writes)."""
    dbf = next(p for p in stem.parent.glob(stem.name + ".*") if p.suffix.lower() == ".dbf")
    with dbf.open("rb") as handle:
        header = handle.read(32)
        start = int.from_bytes(header[8:10], "little") if len(header) >= 10 else 0
        handle.seek(start)
        sample = handle.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def _open_gis(
    layers: list[tuple[Path, str | None, str]],
    fmt: str,
    *,
    gcj02: bool,
    county_lon: float,
) -> Source:
    """GeoPackage, GeoJSON or Shapefile layers through GDAL, read in Arrow batches."""
    opened: list[tuple[Path, str | None, str, dict[int, str], int]] = []
    ignored: list[str] = []
    detected: coords.Detected | None = None
    total = 0
    for path, layer, encoding in layers:
        try:
            info = pyogrio.read_info(path, layer=layer, encoding=encoding or None)
        except Exception as exc:  # GDAL raises many kinds for a broken file
            raise ImportRefused(
                gettext_noop("GDAL cannot read %(name)s: %(reason)s"), name=path.name, reason=exc
            ) from exc
        if info["features"] > settings.IMPORT_MAX_ROWS:
            raise ImportRefused(
                gettext_noop("The file has more than %(limit)s rows: split it."),
                limit=f"{settings.IMPORT_MAX_ROWS:,}",
            )
        total += info["features"]
        fields = list(info["fields"])
        positions, skipped = _map_headers(fields)
        _require_headers(positions, fields)
        ignored += skipped
        try:
            epsg = coords.epsg_of(info["crs"])
        except coords.CRSUnsupported as exc:
            raise ImportRefused(
                gettext_noop("%(name)s uses a coordinate system we cannot convert: %(crs)s"),
                name=path.name,
                crs=exc,
            ) from exc
        if epsg is None:
            epsg = _guess_layer_crs(path, layer, encoding, county_lon)
            stated = False
        else:
            stated = True
            if epsg not in coords.ACCEPTED:
                raise ImportRefused(
                    gettext_noop(
                        "%(name)s uses EPSG:%(epsg)s. We accept CGCS2000, WGS84, CGCS2000 or"
                        " Xian 1980 Gauss-Kruger zones."
                    ),
                    name=path.name,
                    epsg=epsg,
                )
        if detected is not None and detected.epsg != epsg:
            raise ImportRefused(
                gettext_noop("The layers of this file use different coordinate systems.")
            )
        detected = coords.Detected(epsg, stated) if epsg else None
        opened.append((path, layer, encoding, dict(enumerate(fields)), epsg or coords.CGCS2000))
    if gcj02 and detected is not None and detected.epsg not in (coords.CGCS2000, coords.WGS84):
        raise ImportRefused(gettext_noop("GCJ-02 applies to longitude/latitude only."))
    multi = len(opened) > 1

    def batches() -> Iterator[list[Row]]:
        for path, layer, encoding, names, epsg in opened:
            positions, _ = _map_headers(list(names.values()))
            number = 0
            with pyogrio.raw.open_arrow(
                path, layer=layer, encoding=encoding or None, batch_size=BATCH, use_pyarrow=True
            ) as (meta, reader):
                geometry_name = meta.get("geometry_name") or "wkb_geometry"
                for record_batch in reader:
                    columns = record_batch.to_pydict()
                    wkb = columns.get(geometry_name) or [None] * record_batch.num_rows
                    geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="warn")
                    present = ~shapely.is_missing(geoms)
                    if present.any():
                        geoms[present] = coords.to_cgcs2000(geoms[present], epsg)
                        if gcj02:
                            geoms[present] = coords.from_gcj02(geoms[present])
                    batch = []
                    for i in range(record_batch.num_rows):
                        number += 1
                        where = f"{path.name}:{number}" if multi else str(number)
                        cells = {key: columns[names[idx]][i] for idx, key in positions.items()}
                        batch.append(Row(where, cells, geoms[i] if present[i] else None))
                    yield batch

    headers = sorted({HEADERS.get(k, k) for *_, names, _e in opened for k in _map_headers(
        list(names.values()))[0].values()})  # fmt: skip
    return Source(fmt, headers, ignored, detected, batches, True, total=total)


def _guess_layer_crs(path: Path, layer: str | None, encoding: str, county_lon: float) -> int:
    table = pyogrio.read_dataframe(
        path, layer=layer, encoding=encoding or None, max_features=50, read_geometry=True
    )
    for geom in table.geometry:
        if geom is not None and not geom.is_empty:
            x, y = shapely.get_coordinates(geom)[0]
            epsg = coords.guess(float(x), float(y), county_lon)
            if epsg is None:
                raise ImportRefused(
                    gettext_noop(
                        "%(name)s has no .prj and its coordinates (%(x)s, %(y)s) fit no system"
                        " we know: add the .prj file."
                    ),
                    name=path.name,
                    x=round(float(x), 3),
                    y=round(float(y), 3),
                )
            return epsg
    return coords.CGCS2000


# --- checking -----------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


def _text(row: Row, key: str, value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if "\x00" in text:  # PostgreSQL text cannot hold it
        row.problem(key, gettext_noop("The text holds a NUL character."))
        return text.replace("\x00", "").strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        text = text[1:]  # our own exports neutralise formulas with a leading apostrophe
    if text.startswith(FORMULA_START) and not re.match(r"^-\d", text):
        row.problem(key, gettext_noop("Text that starts like a spreadsheet formula is refused."))
    return text


def _decimal(row: Row, key: str, value: Any) -> Decimal | None:
    if isinstance(value, bool):
        row.problem(key, gettext_noop("Not a number."))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        row.problem(key, gettext_noop("Not a number."))
        return None
    digits, places = NUMBER_LIMITS[key]
    if not number.is_finite():
        row.problem(key, gettext_noop("Not a number."))
        return None
    if number < 0:
        row.problem(key, gettext_noop("Must be zero or more."))
        return None
    if number and number.adjusted() >= digits - places:  # before quantize: 1E30 has no cents
        row.problem(key, gettext_noop("The number is too large."))
        return None
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if quantized != number:
        row.problem(key, gettext_noop("At most %(places)s decimal places."), places=places)
        return None
    if len(quantized.as_tuple().digits) > digits:
        row.problem(key, gettext_noop("The number is too large."))
        return None
    return quantized


def _integer(row: Row, key: str, value: Any) -> int | None:
    number = _float(value)
    if number is None or not float(number).is_integer() or number < 0 or number > 2**31 - 1:
        row.problem(key, gettext_noop("Must be a whole number, zero or more."))
        return None
    return int(number)


DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def _date(row: Row, key: str, value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    row.problem(key, gettext_noop("Not a date (write 2021-05-03)."))
    return None


_choices: dict[str, dict[str, str]] = {}


def _choice_lookup(key: str) -> dict[str, str]:
    """Every spelling of a choice we accept (its code, Chinese and English label) -> its code."""
    if key not in _choices:
        lookup = {}
        for code, label in LABELS[key].items():
            with translation.override("zh-hans"):
                zh = str(label)
            with translation.override("en"):
                en = str(label)
            for spelling in (code, zh, en):
                lookup[spelling.strip().lower()] = str(code)
        _choices[key] = lookup
    return _choices[key]


def _choice(row: Row, key: str, value: Any) -> str | None:
    text = str(value).strip()
    code = _choice_lookup(key).get(text.lower())
    if code is not None:
        return code
    row.problem(
        key,
        gettext_noop("Unknown value %(value)s; allowed: %(allowed)s"),
        value=text[:40],
        allowed="、".join(str(v) for v in LABELS[key].values())[:300],
    )
    return None


@dataclass
class AreaInfo:
    id: int
    code: str
    county_code: str
    level: str
    name: str
    township_id: int | None


class Checker:
    """Checks rows against the register's rules for one user; holds what every batch needs:
    the county's areas with their buffered township boundaries, and the codes seen so far."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.today = timezone.localdate()
        self.areas: dict[str, AreaInfo] = {}
        self.by_names: dict[tuple[str, str], AreaInfo] = {}
        self.shapes: dict[int, Any] = {}
        self.seen_codes: set[str] = set()
        for area in AdminArea.objects.only(
            "id", "code", "county_code", "level", "name", "parent_id", "boundary"
        ).order_by("code"):
            township_id = area.parent_id if area.level == AreaLevel.VILLAGE else area.id
            info = AreaInfo(
                area.id, area.code, area.county_code, area.level, area.name, township_id
            )
            self.areas[area.code] = info
            if area.level == AreaLevel.TOWNSHIP and area.boundary is not None:
                shape = shapely.from_wkb(bytes(area.boundary.wkb)).buffer(TOWNSHIP_TOLERANCE)
                shapely.prepare(shape)
                self.shapes[area.id] = shape
        by_id = {a.id: a for a in self.areas.values()}
        for info in self.areas.values():
            if info.level == AreaLevel.TOWNSHIP:
                self.by_names[(info.name, "")] = info
            elif info.level == AreaLevel.VILLAGE and info.township_id in by_id:
                self.by_names[(by_id[info.township_id].name, info.name)] = info
        self.by_id = by_id

    def check(self, batch: list[Row], has_columns: set[str]) -> list[tuple[Row, RowOutcome, dict]]:
        """(row, action, values) for each row; action is create, update, unchanged or error."""
        codes = []
        for row in batch:
            code = str(row.cells.get("code") or "").strip()
            if re.fullmatch(r"\d{16}", code):  # anything else is reported by _values
                codes.append(code)
        existing = {
            a["code"]: a
            for a in selectors.asset_scope(user=self.actor)
            .filter(code__in=codes)
            .values("id", "code", "area_code", "status", "version", "geom", *COMPARED)
        }
        out = []
        for row in batch:
            values = self._values(row, has_columns)
            code = values.pop("code", "")
            current = existing.get(code) if code else None
            if code:
                if code in self.seen_codes:
                    row.problem("code", gettext_noop("This asset code appears twice in the file."))
                self.seen_codes.add(code)
                if current is None:
                    row.problem(
                        "code",
                        gettext_noop(
                            "No asset %(code)s in your area. Leave the code empty to register a"
                            " new asset."
                        ),
                        code=code,
                    )
            merged = dict(values)
            if current is not None:
                merged = {k: current[k] for k in COMPARED} | values
            else:
                for key in REQUIRED_FOR_NEW:
                    if merged.get(key) is None and not _has_problem(row, key):
                        row.problem(key, gettext_noop("Required for a new asset."))
                if merged.get("area_id") is None and not _has_problem(row, "area_code"):
                    row.problem("area_code", gettext_noop("Required for a new asset."))
            same = current is not None and _same(current, merged, row.geom)
            # A position is checked when it is new or moves, or when the asset changes area.
            place = row.geom
            if current is not None and not same:
                moved_area = merged.get("area_id") != current["area_id"]
                if place is not None and _same_geom(current.get("geom"), place) and not moved_area:
                    place = None
                elif place is None and moved_area and current.get("geom") is not None:
                    place = shapely.from_wkb(bytes(current["geom"].wkb))
            elif same:
                place = None
            self._rules(row, merged, place)
            disposed = current is not None and current["status"] == AssetStatus.DISPOSED
            if disposed and not same and not row.problems:
                row.problem("code", gettext_noop("A disposed asset cannot be changed."))
            if row.problems:
                out.append((row, RowOutcome.ERROR, merged))
            elif current is None:
                out.append((row, RowOutcome.CREATE, merged))
            elif same:
                out.append((row, RowOutcome.UNCHANGED, merged))
            else:
                merged["id"], merged["code"] = current["id"], current["code"]
                out.append((row, RowOutcome.UPDATE, merged))
        return out

    def _values(self, row: Row, has_columns: set[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        coded = not _blank(row.cells.get("code"))
        for key, raw in row.cells.items():
            if key in {"township", "village", "area_code", "lon", "lat", "x", "y"}:
                continue
            if _blank(raw):
                if coded:
                    continue  # an empty cell leaves that particular of the asset as it is
                if key in REQUIRED_FOR_NEW:
                    values[key] = None
                elif key in INTEGERS:
                    values[key] = 0
                elif key == "booked":
                    values[key] = False
                elif key in ("address", "code"):
                    values[key] = ""
                continue
            if key == "code":
                values[key] = _text(row, key, raw)
                if not re.fullmatch(r"\d{16}", values[key]):
                    row.problem(key, gettext_noop("An asset code has 16 digits."))
            elif key in LABELS:
                values[key] = _choice(row, key, raw)
            elif key in NUMBER_LIMITS:
                values[key] = _decimal(row, key, raw)
            elif key in INTEGERS:
                values[key] = _integer(row, key, raw)
            elif key == "formed_on":
                values[key] = _date(row, key, raw)
            elif key == "booked":
                text = str(raw).strip().lower()
                if text not in YES | NO:
                    row.problem(key, gettext_noop("Write 是 or 否 (yes or no)."))
                values[key] = text in YES
            else:
                text = _text(row, key, raw)
                if len(text) > TEXT_LIMITS.get(key, 200):
                    row.problem(
                        key, gettext_noop("At most %(n)s characters."), n=TEXT_LIMITS.get(key, 200)
                    )
                values[key] = text
        area = self._area(row, has_columns)
        if area is not None:
            values["area_id"] = area.id
        return values

    def _area(self, row: Row, has_columns: set[str]) -> AreaInfo | None:
        code = str(row.cells.get("area_code") or "").strip()
        if code.endswith(".0"):
            code = code[:-2]
        if code:
            area = self.areas.get(code) or self.areas.get(code.ljust(12, "0"))
            if area is None or area.level == AreaLevel.COUNTY:
                row.problem(
                    "area_code",
                    gettext_noop("No township or village has the code %(code)s."),
                    code=code,
                )
                return None
            return area
        township = str(row.cells.get("township") or "").strip()
        village = str(row.cells.get("village") or "").strip()
        if not township:
            return None
        area = self.by_names.get((township, village))
        if area is None:
            row.problem(
                "village" if village else "township",
                gettext_noop("No area named %(name)s."),
                name=f"{township} {village}".strip(),
            )
        return area

    def _rules(self, row: Row, merged: dict[str, Any], place: Any) -> None:
        area = self.by_id.get(merged.get("area_id") or 0)
        if area is not None and not can_edit(self.actor, area.code):
            # Neither name nor code: what lies outside the scope is not ours to tell (a 404
            # elsewhere), and a row may name the area by township and village instead.
            row.problem("area_code", gettext_noop("This row's area is outside your area."))
        for name, message, params in rule_problems(merged, self.today):
            if not _has_problem(row, name):
                row.problem(name, message, **params)
        if place is not None:
            self._geometry(row, area, place)

    def _geometry(self, row: Row, area: AreaInfo | None, geom: Any) -> None:
        column = "lon" if "lon" in row.cells else "x" if "x" in row.cells else "geometry"
        if geom.is_empty:
            row.geom = None
            return
        if shapely.has_z(geom) or shapely.has_m(geom):  # survey files carry heights: not kept
            geom = shapely.force_2d(geom)
            if row.geom is not None:
                row.geom = geom
        try:
            geometry.check(geom, valid=False)
        except geometry.GeometryRefused as exc:
            row.problem(column, exc.message, **exc.params)
            return
        if not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            repaired = shapely.make_valid(geom)
            if (
                repaired.is_empty
                or repaired.geom_type not in geometry.ACCEPTED_TYPES
                or shapely.get_dimensions(repaired) != shapely.get_dimensions(geom)
            ):
                row.problem(
                    column, gettext_noop("The geometry is not valid: %(reason)s"), reason=reason
                )
                return
            geom = repaired
            if row.geom is not None:
                row.geom = repaired
        shape = self.shapes.get(area.township_id or 0) if area is not None else None
        if shape is not None and not shape.covers(geom):
            x, y = _first_outside(geom, shape)
            name = self.by_id[area.township_id].name if area and area.township_id else ""
            row.problem(
                column,
                gettext_noop("The position %(lon).6f, %(lat).6f lies outside %(area)s."),
                lon=x,
                lat=y,
                area=name,
            )


def _first_outside(geom: Any, shape: Any) -> tuple[float, float]:
    points = shapely.points(shapely.get_coordinates(geom))
    outside = ~shapely.covers(shape, points)
    x, y = shapely.get_coordinates(points[outside][0] if outside.any() else points[0])[0]
    return float(x), float(y)


def _has_problem(row: Row, key: str) -> bool:
    return any(p.column == HEADERS.get(key, key) for p in row.problems)


def _same(current: dict[str, Any], merged: dict[str, Any], geom: Any) -> bool:
    if any(merged.get(key) != current.get(key) for key in COMPARED):
        return False
    return geom is None or _same_geom(current.get("geom"), geom)


def _same_geom(stored: Any, geom: Any) -> bool:
    if stored is None:
        return False
    return bool(shapely.equals_exact(shapely.from_wkb(bytes(stored.wkb)), geom, 1e-9))


# --- preview and commit -------------------------------------------------------------------------


@dataclass
class Outcome:
    format: str = ""
    crs: str = ""
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    errors: int = 0  # rows with at least one problem
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    ignored: list[str] = field(default_factory=list)
    committed: bool = False

    MAX_PROBLEMS = 500

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "problems"}
        data["problems"] = [p.__dict__ for p in self.problems]
        return data


Progress = Callable[[int], None]


def _walk(
    path: Path,
    actor: User,
    *,
    gcj02: bool,
    progress: Progress | None,
    each: Callable[[list[tuple[Row, RowOutcome, dict]], Source], None] | None = None,
    on_open: Progress | None = None,
) -> Outcome:
    counties = AdminArea.objects.filter(level=AreaLevel.COUNTY, point__isnull=False)
    if actor.area is not None:
        counties = counties.filter(county_code=actor.area.county_code)
    county = counties.first()
    county_lon = county.point.x if county is not None and county.point else 108.0
    source = open_source(path, gcj02=gcj02, county_lon=county_lon)
    outcome = Outcome(format=source.format, ignored=list(dict.fromkeys(source.ignored)))
    if on_open is not None:
        on_open(source.total)
    if source.crs is not None:
        outcome.crs = source.crs.name
    try:
        checker = Checker(actor)
        has_columns: set[str] = set()
        for batch in _read(source):
            if not has_columns:
                has_columns = set().union(*(r.cells for r in batch))
            checked = checker.check(batch, has_columns)
            for row, action, _values in checked:
                outcome.rows += 1
                if action == RowOutcome.ERROR:
                    outcome.errors += 1
                    room = Outcome.MAX_PROBLEMS - len(outcome.problems)
                    outcome.problems += row.problems[: max(room, 0)]
                else:
                    setattr(outcome, action, getattr(outcome, action) + 1)
            if each is not None:
                each(checked, source)
            if progress is not None:
                progress(outcome.rows)
    finally:
        source.close()
    if outcome.rows == 0:
        raise ImportRefused(gettext_noop("The file holds no rows of assets."))
    return outcome


def _read(source: Source) -> Iterator[list[Row]]:
    """The source's batches; a file that breaks part-way (truncated, corrupt) is refused with
    GDAL's or the reader's own reason instead of failing the job."""
    batches = source.batches()
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except ImportRefused:
            raise
        except Exception as exc:  # GDAL, Arrow, calamine and codecs raise many kinds
            raise ImportRefused(
                gettext_noop("The file cannot be read to its end: %(reason)s"),
                reason=str(exc)[:300],
            ) from exc
        yield batch


def preview(
    path: Path,
    actor: User,
    *,
    gcj02: bool = False,
    progress: Progress | None = None,
    on_open: Progress | None = None,
) -> Outcome:
    """Read and check the whole file without writing anything."""
    return _walk(path, actor, gcj02=gcj02, progress=progress, on_open=on_open)


class Rejected(Exception):
    """Some rows have problems: nothing was written."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.errors)
        self.outcome = outcome


def commit(
    path: Path,
    actor: User,
    *,
    gcj02: bool = False,
    label: str = "",
    progress: Progress | None = None,
) -> Outcome:
    """Check the file again and write it in one transaction, or write nothing."""
    with transaction.atomic(), pghistory.context(user=actor.pk, command=label or "import"):
        write = _writer(actor)
        outcome = _walk(path, actor, gcj02=gcj02, progress=progress, each=write)
        if outcome.errors:
            raise Rejected(outcome)  # rolls back every batch already written
    outcome.committed = True
    return outcome


def _writer(actor: User) -> Callable[[list[tuple[Row, RowOutcome, dict]], Source], None]:
    """Hands checked batches to the bulk-write service, or, once any row had a problem, only
    keeps reading so that every problem is reported (the transaction is then undone)."""
    bulk = AssetBulkWriter(actor)
    state = {"failed": False}

    def write(checked: list[tuple[Row, RowOutcome, dict]], source: Source) -> None:
        if state["failed"] or any(action == RowOutcome.ERROR for _r, action, _v in checked):
            state["failed"] = True
            return
        bulk.register(
            [
                (values, _ewkb_hex(row.geom) if row.geom is not None else None)
                for row, action, values in checked
                if action == RowOutcome.CREATE
            ]
        )
        bulk.change(
            [
                (values, row.geom.wkb if row.geom is not None else None)
                for row, action, values in checked
                if action == RowOutcome.UPDATE
            ]
        )

    return write


def _ewkb_hex(geom: Any) -> str:
    return str(shapely.to_wkb(shapely.set_srid(geom, 4490), hex=True, include_srid=True))


def problems_workbook(path: Path, actor: User, *, gcj02: bool = False) -> io.BytesIO:
    """The rows of the file that have problems, each with its problems in a first column, as an
    Excel workbook: fix them in the original file and upload it again."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("问题 Problems")
    head = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "font_color": "#9C0006", "valign": "top"})
    state: dict[str, Any] = {"line": 1, "keys": None}

    def each(checked: list[tuple[Row, RowOutcome, dict]], source: Source) -> None:
        for row, _action, _values in checked:
            if state["keys"] is None:
                keys = list(row.cells)
                state["keys"] = keys
                titles = ["问题 / Problems", "行 / Row", *(HEADERS.get(k, k) for k in keys)]
                sheet.write_row(0, 0, titles, head)
                sheet.set_column(0, 0, 60)
                sheet.set_column(1, len(titles), 14)
                sheet.freeze_panes(1, 2)
            if not row.problems:
                continue
            text = "\n".join(f"{p.column}: {p.message}" for p in row.problems)
            sheet.write_string(state["line"], 0, text, wrap)
            sheet.write_string(state["line"], 1, row.where)
            for col, key in enumerate(state["keys"], start=2):
                value = row.cells.get(key)
                if value is None:
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(state["line"], col, value)
                else:
                    sheet.write_string(state["line"], col, neutralise(str(value)))
            state["line"] += 1

    _walk(path, actor, gcj02=gcj02, progress=None, each=each)
    book.close()
    out.seek(0)
    return out
