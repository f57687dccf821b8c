"""Reading files in batches: Excel (python-calamine), CSV (UTF-8 or GBK), zipped Shapefiles,
GeoPackage and GeoJSON (GDAL through pyogrio), after the untrusted-file checks."""

import codecs
import csv
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from django.conf import settings
from django.utils.translation import gettext_noop
from python_calamine import CalamineError, CalamineWorkbook

from gis import coords
from transfer import untrusted
from transfer.importers.cells import _blank, _float
from transfer.importers.columns import (
    BATCH,
    HEADER_MAP,
    HEADER_SEARCH_ROWS,
    HEADERS,
    MAX_COLUMNS,
    READ_ONLY,
    TOTALS_LABELS,
    _norm,
)
from transfer.importers.options import ImportOptions
from transfer.importers.rows import ImportRefused, Row

# --- reading ------------------------------------------------------------------------------------


@dataclass
class Source:
    """An opened import file: its format, CRS and a reader of row batches. ``columns`` are the
    file's own names of the columns read (in the order of ``headers``), ``header_row`` the
    table's header row (0 for GIS layers)."""

    format: str
    headers: list[str]
    ignored: list[str]
    crs: coords.Detected | None
    batches: Callable[[], Generator[list[Row], None, None]]
    has_geometry: bool
    total: int = 0  # rows the file holds, roughly (for progress bars)
    workdir: Path | None = None
    columns: list[str] = field(default_factory=list)
    header_row: int = 0

    def close(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def read_batches(source: Source) -> Iterator[list[Row]]:
    """The source's batches; a file that breaks part-way (truncated, corrupt) is refused with
    GDAL's or the reader's own reason instead of failing the job."""
    batches = source.batches()
    try:
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
    finally:
        batches.close()  # GDAL's reader is closed even when the caller stops early


def open_source(
    path: Path,
    *,
    gcj02: bool = False,
    county_lon: float = 108.0,
    options: ImportOptions | None = None,
) -> Source:
    """Open ``path`` whatever its name says: the format is recognised from its content.
    ``options.columns`` decides which column holds what (by default our ledger's headers)."""
    options = options or ImportOptions(gcj02=gcj02)
    gcj02 = options.gcj02 or gcj02
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
            return _open_xlsx(path, archive, gcj02=gcj02, county_lon=county_lon, options=options)
        if any(n.lower().endswith(".shp") for n in names):
            return _open_shapefiles(archive, gcj02=gcj02, county_lon=county_lon, options=options)
        raise ImportRefused(
            gettext_noop("The zip holds neither an Excel workbook nor a Shapefile (.shp).")
        )
    if head.startswith(b"SQLite format 3\x00"):
        try:
            untrusted.check_geopackage(path)
        except untrusted.Unsafe as exc:
            raise ImportRefused(exc.message, **exc.params) from exc
        return _open_gis(
            [(path, _geopackage_layer(path), "")],
            "gpkg",
            gcj02=gcj02,
            county_lon=county_lon,
            options=options,
        )
    text_start = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if text_start.startswith((b"{", b"[")):
        # GDAL reads a copy rebuilt from the members we know, never the upload itself.
        workdir = Path(tempfile.mkdtemp(prefix="atlas-import-"))
        clean = workdir / "upload.geojson"
        try:
            untrusted.sanitise_geojson(path, clean)
            source = _open_gis(
                [(clean, None, "")], "geojson", gcj02=gcj02, county_lon=county_lon, options=options
            )
        except untrusted.Unsafe as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise ImportRefused(exc.message, **exc.params) from exc
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        source.workdir = workdir
        return source
    return _open_csv(path, gcj02=gcj02, county_lon=county_lon, options=options)


def column_names(raw: list[Any]) -> list[str]:
    """A name for each column of a header row, unique within it: its header text, "第N列" for
    a column without one, and "名称 (2)" for a header met a second time. The mapping step
    shows these names and remembers what each holds by them."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, header in enumerate(raw):
        if isinstance(header, float) and header.is_integer():
            header = int(header)
        text = " ".join(str(header if header is not None else "").split())[:100]
        text = text.replace("\x00", "\ufffd")  # a name PostgreSQL can keep (the mapping)
        if not text:
            text = f"第{index + 1}列"
        seen[text] = seen.get(text, 0) + 1
        names.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return names


def _map_headers(
    raw: list[Any], options: ImportOptions | None = None
) -> tuple[dict[int, str], list[str]]:
    """Which ledger key each column index holds, and the columns not read. By our ledger's
    headers (and their other names) unless ``options.columns`` says which holds what."""
    named = sum(1 for header in raw if str(header if header is not None else "").strip())
    if named > MAX_COLUMNS:
        raise ImportRefused(
            gettext_noop(
                "The file has %(n)s columns; a ledger has at most %(limit)s. Delete the columns"
                " you do not need and upload it again."
            ),
            n=f"{named:,}",
            limit=MAX_COLUMNS,
        )
    positions: dict[int, str] = {}
    ignored = []
    columns = options.columns if options is not None else None
    for index, (header, name) in enumerate(zip(raw, column_names(raw), strict=True)):
        text = str(header if header is not None else "").strip()
        if columns is None:
            if not text:
                continue
            key = HEADER_MAP.get(_norm(text))
            if key is None or key in READ_ONLY or key in positions.values():
                ignored.append(text)
            else:
                positions[index] = key
        elif options is not None and options.identity:
            positions[index] = name
        else:
            key = columns.get(name) or ""
            if key and key not in positions.values():
                positions[index] = key
            elif text:
                ignored.append(name)
    return positions, ignored


def _pick_header_row(header_rows: list[tuple[int, list[Any]]]) -> int:
    """The header row of a table a county made: the first of its first rows that names two of
    our ledger's columns, else the row with the most text cells (a title row above it names
    one, the data rows below hold numbers and codes)."""
    for number, values in header_rows:
        if len(_map_headers(values)[0]) >= 2:
            return number
    best, best_score = header_rows[0][0] if header_rows else 1, -1
    for number, values in header_rows:
        score = sum(
            1
            for v in values
            if isinstance(v, str) and v.strip() and _float(v) is None and len(v.strip()) <= 40
        )
        if score > best_score:
            best, best_score = number, score
    return best


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
    options: ImportOptions,
) -> Source:
    """A Source over a table (Excel sheet or CSV): find the header row among the first rows
    (or take the one the mapping step chose), then map cells to columns; coordinates come from
    lon/lat or X/Y columns."""
    chosen: tuple[int, dict[int, str], list[str]] | None = None
    if options.columns is None:
        for number, values in header_rows:
            positions, ignored = _map_headers(values)
            if len(positions) >= 2:
                chosen = (number, positions, ignored)
                break
        if chosen is None:
            _require_headers({}, header_rows[0][1] if header_rows else [])
            raise AssertionError  # _require_headers raised
    else:
        number = options.header_row or _pick_header_row(header_rows)
        values = next((v for n, v in header_rows if n == number), [])
        positions, ignored = _map_headers(values, options)
        if not positions:
            raise ImportRefused(gettext_noop("No column of the file is read into the register."))
        chosen = (number, positions, ignored)
    header_number, positions, ignored = chosen
    if options.columns is None:
        _require_headers(positions, [])
    keys = set(positions.values())
    has_xy = {"lon", "lat"} <= keys or {"x", "y"} <= keys
    state: dict[str, Any] = {"crs": None}

    def batches() -> Generator[list[Row], None, None]:
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
            name = str(cells.get("name") or "").strip().lower()
            if code in TOTALS_LABELS and not name:
                continue
            if name in TOTALS_LABELS and not code and _blank(cells.get("original_code")):
                continue  # a totals row with 合计 in the name column
            batch.append(Row(str(number), cells))
            if len(batch) >= BATCH:
                _table_points(batch, state, gcj02, county_lon)
                yield batch
                batch = []
        if batch:
            _table_points(batch, state, gcj02, county_lon)
            yield batch

    headers = [HEADERS.get(k, k) for k in positions.values()]
    names = column_names(next((v for n, v in header_rows if n == header_number), []))
    return Source(
        fmt,
        headers,
        ignored,
        None,
        batches,
        has_xy,
        total=total,
        columns=[names[i] for i in positions],
        header_row=header_number,
    )


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


def _open_xlsx(
    path: Path,
    archive: zipfile.ZipFile,
    *,
    gcj02: bool,
    county_lon: float,
    options: ImportOptions,
) -> Source:
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
        counted, last_row, last_column = _sheet_extent(archive, name)
        total = max(total, counted)
        if total > limit + HEADER_SEARCH_ROWS:
            raise ImportRefused(
                gettext_noop("The workbook has more than %(limit)s rows: split it."),
                limit=f"{limit:,}",
            )
        # The reader holds a sheet as a grid from A1 to its last cell: one cell far away
        # (XFD1048576) would ask for hundreds of gigabytes and abort the worker.
        if last_row * last_column > settings.IMPORT_MAX_CELLS or last_column > MAX_COLUMNS:
            raise ImportRefused(
                gettext_noop(
                    "A sheet of the workbook reaches row %(rows)s and column %(columns)s (a cell"
                    " far from the table): delete the unused rows and columns in Excel, or save"
                    " the sheet as CSV, and upload it again."
                ),
                rows=f"{last_row:,}",
                columns=_column_letters(last_column),
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

    return _table_source("xlsx", head, rows, gcj02, county_lon, total, options)


ROW_TAG = re.compile(rb"<row[ >]")
CELL_REF = re.compile(
    rb'<(?:c|dimension)\b[^>]*?\br(?:ef)?="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,7})"'
)
ROW_REF = re.compile(rb'<row\b[^>]*?\br="([0-9]{1,7})"')


def _sheet_extent(archive: zipfile.ZipFile, member: str) -> tuple[int, int, int]:
    """A worksheet's row count, and its last row and column as the cells (and the declared
    dimension) name them, read from the XML in chunks without unpacking it whole."""
    count = last_row = last_column = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            # The last tag may be cut by the chunk's end: it is read with the next chunk (text
            # holds no "<": XML escapes it).
            cut = data.rfind(b"<")
            cut = cut if cut >= 0 else len(data)
            body, tail = data[:cut], data[cut:]
            count += len(ROW_TAG.findall(body))
            for letters, number in CELL_REF.findall(body):
                last_column = max(last_column, _column_number(letters))
                last_row = max(last_row, int(number))
            for number in ROW_REF.findall(body):
                last_row = max(last_row, int(number))
        count += len(ROW_TAG.findall(tail))
        for letters, number in CELL_REF.findall(tail):
            last_column = max(last_column, _column_number(letters))
            last_row = max(last_row, int(number))
    return count, max(last_row, count), last_column


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _excel_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _open_csv(path: Path, *, gcj02: bool, county_lon: float, options: ImportOptions) -> Source:
    with path.open("rb") as handle:
        sample = handle.read(1 << 20)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _open_utf16(path, gcj02=gcj02, county_lon=county_lon, options=options)
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
    return _table_source("csv", head, rows, gcj02, county_lon, lines, options)


def _open_utf16(path: Path, *, gcj02: bool, county_lon: float, options: ImportOptions) -> Source:
    """Excel's "Unicode text" (UTF-16 with its byte-order mark, tab-separated): the same table
    as a CSV, read through a UTF-8 copy."""
    workdir = Path(tempfile.mkdtemp(prefix="atlas-import-"))
    copy = workdir / "unicode.csv"
    try:
        with (
            path.open(encoding="utf-16", newline="") as src,
            copy.open("w", encoding="utf-8", newline="") as dst,
        ):
            writer = csv.writer(dst)
            for line in csv.reader(src, delimiter="\t"):
                writer.writerow(line)
        source = _open_csv(copy, gcj02=gcj02, county_lon=county_lon, options=options)
    except UnicodeError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ImportRefused(
            gettext_noop("The text is neither UTF-8 nor GBK: save the CSV as UTF-8.")
        ) from exc
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    source.workdir = workdir
    return source


def _open_shapefiles(
    archive: zipfile.ZipFile, *, gcj02: bool, county_lon: float, options: ImportOptions
) -> Source:
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
        source = _open_gis(layers, "shp", gcj02=gcj02, county_lon=county_lon, options=options)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    source.workdir = workdir
    return source


def _geopackage_layer(path: Path) -> str | None:
    """The one layer of a GeoPackage to read: its only spatial layer with features (a table
    without geometry, such as the styles QGIS saves beside a layer, counts only when no
    spatial layer has any), else its first. A file with several such layers is refused
    naming them, rather than read in part (GDAL would open the first and say nothing of
    the others)."""
    try:
        listed = [(str(name), kind) for name, kind in pyogrio.list_layers(path)]
        filled = [
            (name, kind) for name, kind in listed if pyogrio.read_info(path, layer=name)["features"]
        ]
    except Exception as exc:  # GDAL raises many kinds for a broken file
        raise ImportRefused(
            gettext_noop("GDAL cannot read %(name)s: %(reason)s"), name=path.name, reason=exc
        ) from exc
    spatial = [name for name, kind in filled if kind] or [name for name, _kind in filled]
    if len(spatial) > 1:
        raise ImportRefused(
            gettext_noop(
                "This GeoPackage holds %(count)s layers with records (%(layers)s): save the one"
                " to import as a file of its own."
            ),
            count=len(spatial),
            layers="、".join(spatial[:10]),
        )
    return spatial[0] if spatial else (listed[0][0] if listed else None)


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
    options: ImportOptions,
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
        positions, skipped = _map_headers(fields, options)
        if options.columns is None:
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

    def batches() -> Generator[list[Row], None, None]:
        for path, layer, encoding, names, epsg in opened:
            positions, _ = _map_headers(list(names.values()), options)
            number = 0
            with pyogrio.raw.open_arrow(
                path, layer=layer, encoding=encoding or None, batch_size=BATCH, use_pyarrow=True
            ) as (meta, reader):
                geometry_name = meta.get("geometry_name") or "wkb_geometry"
                for record_batch in reader:
                    columns = record_batch.to_pydict()
                    wkb = columns.get(geometry_name) or [None] * record_batch.num_rows
                    geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
                    present = ~shapely.is_missing(geoms)
                    # Bytes GDAL handed over that are no geometry: a damaged feature, which
                    # must not pass as a row without a position.
                    damaged = {i for i, v in enumerate(wkb) if v and not present[i]}
                    if present.any():
                        geoms[present] = coords.to_cgcs2000(geoms[present], epsg)
                        if gcj02:
                            geoms[present] = coords.from_gcj02(geoms[present])
                    batch = []
                    for i in range(record_batch.num_rows):
                        number += 1
                        where = f"{path.name}:{number}" if multi else str(number)
                        cells = {key: columns[names[idx]][i] for idx, key in positions.items()}
                        row = Row(where, cells, geoms[i] if present[i] else None)
                        if i in damaged:
                            row.problem(
                                "geometry",
                                gettext_noop(
                                    "The geometry of this feature cannot be read: the file is"
                                    " damaged here."
                                ),
                            )
                        batch.append(row)
                    yield batch

    read: dict[str, str] = {}  # column name -> key, over every layer
    for *_, names, _e in opened:
        fields = list(names.values())
        for index, key in _map_headers(fields, options)[0].items():
            read.setdefault(column_names(fields)[index], key)
    if options.columns is not None and not read:
        raise ImportRefused(gettext_noop("No column of the file is read into the register."))
    headers = [HEADERS.get(k, k) for k in read.values()]
    return Source(fmt, headers, ignored, detected, batches, True, total=total, columns=list(read))


def _guess_layer_crs(path: Path, layer: str | None, encoding: str, county_lon: float) -> int:
    table = pyogrio.read_dataframe(
        path, layer=layer, encoding=encoding or None, max_features=50, read_geometry=True
    )
    if "geometry" not in getattr(table, "columns", ()):  # a table without geometry: no system
        return coords.CGCS2000
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
