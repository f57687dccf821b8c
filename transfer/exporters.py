"""Exports of the asset register, filtered exactly as the list on screen and scoped to the user.

Every format is written from one column list (the county ledger layout with Chinese headers)
in batches, never all rows in memory: CSV (UTF-8 with BOM, for Excel on Chinese Windows),
Excel (xlsxwriter in constant-memory mode, with a totals row and a sheet stating the filters,
time, user and row count/sum), GeoJSON (RFC 7946), GeoPackage and zipped Shapefile (GDAL
through pyogrio, CRS EPSG:4490). Text cells that a spreadsheet would run as a formula (starting
with = + - @) are neutralised with a leading apostrophe.
"""

import csv
import datetime
import io
import itertools
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio
import xlsxwriter
from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from gis.functions import Raw
from registry import ledgers
from registry.ledgers import ASSETS, LedgerColumn
from registry.models import Asset

BATCH = 5000
Progress = Callable[[int], None]


class _Ticker:
    """Counts rows written and tells ``progress`` (rows so far) once per batch."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.rows = 0
        self.reported = 0

    def tick(self, rows: int = 1) -> None:
        self.rows += rows
        if self.progress is not None and self.rows - self.reported >= BATCH:
            self.reported = self.rows
            self.progress(self.rows)


FORMULA_START = ("=", "+", "-", "@")
EXCEL_MAX_ROWS = 1_048_575


# The asset ledger's columns (registry.ledgers.ASSETS) that exports write, in their order.
COLUMNS = ASSETS.exported
LABELS = {c.key: dict(c.choices) for c in ASSETS.columns if c.kind == "choice"}
FORMAT_LABELS = [
    ("xlsx", "Excel"),
    ("csv", "CSV"),
    ("geojson", "GeoJSON"),
    ("gpkg", "GeoPackage"),
    ("shp", "Shapefile"),
]
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
}


def _text(field: str) -> Any:
    """A text column as SQL, neutralised when it would start a spreadsheet formula."""
    return Case(
        When(**{f"{field}__regex": r"^[=+@-]"}, then=Concat(Value("'"), F(field))),
        default=F(field),
        output_field=CharField(),
    )


def _label(field: str) -> Any:
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in LABELS[field].items()],
        default=F(field),
        output_field=CharField(),
    )


def _yes_no(field: str) -> Any:
    return Case(
        When(**{field: True}, then=Value(_("yes"))),
        When(**{field: False}, then=Value(_("no"))),
        default=Value(""),
        output_field=CharField(),
    )


def labelled(
    assets: QuerySet[Asset], *, geometry: bool | str = False
) -> "QuerySet[Asset, tuple[Any, ...]]":
    """The ledger columns computed by PostgreSQL (labels, neutralised text, yes/no), in COLUMNS
    order, so that exports stream values instead of building each cell in Python."""
    expressions: dict[str, Any] = {}
    for column in COLUMNS:
        if column.value is not None and not isinstance(column.value, str):
            expressions[column.key] = column.value  # declared as an expression (township, village)
        elif column.kind == "choice":
            expressions[column.key] = _label(column.key)
        elif column.kind == "bool":
            expressions[column.key] = _yes_no(column.key)
        elif column.kind == "text":
            expressions[column.key] = _text(column.key)
        else:
            expressions[column.key] = F(column.key)
    names = {c.key: f"x_{c.key}" for c in COLUMNS}
    if geometry:
        # "raw": the geometry itself, for GDAL reading this SQL (the export benchmark's
        # ogr2ogr baseline); otherwise WKB for Python.
        expressions["wkb"] = Raw("geom") if geometry == "raw" else AsWKB("geom")
        names["wkb"] = "x_wkb"
    return (
        assets.order_by("code")
        .annotate(**{names[k]: v for k, v in expressions.items()})
        .values_list(*names.values())
    )


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows(assets: QuerySet[Asset], *, geometry: bool = False) -> Iterator[dict[str, Any]]:
    """The ledger rows of ``assets`` (an asset_list queryset), in code order, batch by batch."""
    fields = [c.key for c in COLUMNS if c.key not in {"township", "village"}]
    qs = assets.order_by("code")
    extra = ["area__name", "area__parent__name", "area__level"]
    if geometry:
        qs = qs.annotate(wkb=AsWKB("geom"))
        extra.append("wkb")
    for row in qs.values(*fields, *extra).iterator(chunk_size=BATCH):
        village = row.pop("area__level") == "village"
        row["village"] = row["area__name"] if village else ""
        row["township"] = row["area__parent__name"] if village else row["area__name"]
        del row["area__name"], row["area__parent__name"]
        for key, labels in LABELS.items():
            row[key] = str(labels.get(row[key], row[key]))
        yield row


def _cell(column: LedgerColumn, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "number":
        return float(value)
    if column.kind == "bool":
        return _("yes") if value else _("no")
    if column.kind == "date":
        return value.isoformat()
    return neutralise(value)


def write_csv(assets: QuerySet[Asset], out: io.TextIOBase) -> None:
    """CSV straight from PostgreSQL's COPY: labels and neutralised text come from the query."""
    out.write("\ufeff")  # Excel on Chinese Windows reads UTF-8 only with a BOM
    csv.writer(out).writerow([c.header for c in COLUMNS])
    sql, params = labelled(assets).query.sql_with_params()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", out)


HISTORY_HEADERS = [
    "时间",
    "资产编号",
    "变更",
    "操作人",
    "来源",
    "状态",
    "资产名称",
    "资产原值（元）",
]


def _write_history(book: Any, head: Any, assets: QuerySet[Asset]) -> int:
    """Every recorded version of the exported assets, oldest first (the row history kept by the
    database triggers), with who made it and from where."""
    from registry.models import User

    event_model = Asset.events.rel.related_model  # type: ignore[attr-defined]
    events = (
        event_model.objects.filter(pgh_obj__in=assets.order_by().values("pk"))
        .order_by("pgh_obj_id", "pgh_id")
        .values_list("pgh_created_at", "code", "pgh_label", "pgh_context__metadata", "status",
                     "name", "original_value")
    )  # fmt: skip
    users = dict(User.objects.values_list("pk", "username"))
    sheet = book.add_worksheet("变更历史")
    for i, header in enumerate(HISTORY_HEADERS):
        sheet.write_string(0, i, header, head)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 18)
    count = 0
    for created, code, label, context, status, name, value in events.iterator(chunk_size=BATCH):
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        context = context or {}
        who = users.get(int(context["user"]), "") if context.get("user") else ""
        source = context.get("url") or context.get("command") or ""
        row = [timezone.localtime(created).strftime("%Y-%m-%d %H:%M:%S"), code, label, who, source,
               str(LABELS["status"].get(status, status)), neutralise(name)]  # fmt: skip
        for i, text in enumerate(row):
            sheet.write_string(count, i, text)
        sheet.write_number(count, len(row), float(value))
    return count


def write_xlsx(
    assets: QuerySet[Asset],
    path: Path,
    *,
    meta: dict[str, str],
    history: bool = False,
    ticker: _Ticker | None = None,
) -> int:
    """The county ledger sheet with a totals row, a sheet that lets the file be reconciled and,
    on request, the change history of every exported asset."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#F1ECE6", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("资产台账")
    sheet.freeze_panes(1, 2)
    widths = {"code": 18, "name": 24, "owner_names": 22, "maintainer_name": 20, "subtype": 16,
              "fund_era": 24, "village": 20, "form": 14}  # fmt: skip
    for i, column in enumerate(COLUMNS):
        sheet.write_string(0, i, column.header, head)
        sheet.set_column(i, i, widths.get(column.key, 12))
    # Printed (or converted to PDF) as the county ledger is filed: A3 landscape, all columns
    # on one page width, the header row on every page, page numbers in the footer.
    sheet.set_paper(8)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    count = 0
    total = Decimal(0)
    value_col = next(i for i, c in enumerate(COLUMNS) if c.key == "original_value")
    kinds = [c.kind for c in COLUMNS]
    for row in labelled(assets).iterator(chunk_size=BATCH):
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        if ticker is not None:
            ticker.tick()
        total += row[value_col] or 0
        for i, value in enumerate(row):
            if value is None or value == "":
                continue
            kind = kinds[i]
            if kind in ("number", "int"):
                sheet.write_number(count, i, float(value), money if i == value_col else None)
            elif kind == "date":
                sheet.write_string(count, i, value.isoformat())
            else:
                sheet.write_string(count, i, value)
    sheet.write_string(count + 1, 0, "合计", head)
    sheet.write_number(count + 1, value_col, float(total), money)
    info = book.add_worksheet("导出说明")
    lines = [
        ("导出时间", meta.get("time", "")),
        ("导出人", meta.get("user", "")),
        ("筛选条件", meta.get("filters", "") or "无"),
        ("资产数（行）", str(count)),
        ("资产原值合计（元）", f"{total:.2f}"),
        ("坐标系", "CGCS2000 (EPSG:4490)"),
    ]
    for r, (key, value) in enumerate(lines):
        info.write_string(r, 0, key, head)
        info.write_string(r, 1, value)
    info.set_column(0, 0, 18)
    info.set_column(1, 1, 60)
    if history:
        versions = _write_history(book, head, assets)
        info.write_string(len(lines), 0, "历史记录（行）", head)
        info.write_string(len(lines), 1, str(versions))
    book.close()
    return count


def write_geojson(
    assets: QuerySet[Asset], out: io.TextIOBase, ticker: _Ticker | None = None
) -> int:
    """RFC 7946: WGS84 numbers (CGCS2000 coordinates are the same to well under a metre)."""
    from django.contrib.gis.geos import GEOSGeometry

    out.write('{"type":"FeatureCollection","features":[')
    count = 0
    for row in rows(assets, geometry=True):
        wkb = row.pop("wkb")
        geometry = GEOSGeometry(memoryview(bytes(wkb))).json if wkb else "null"
        props = {c.key: _cell(c, row[c.key]) for c in COLUMNS}
        out.write(("," if count else "") + '{"type":"Feature","geometry":' + geometry)
        out.write(',"properties":' + json.dumps(props, ensure_ascii=False) + "}")
        count += 1
        if ticker is not None:
            ticker.tick()
    out.write("]}")
    return count


def _arrow_batches(
    assets: QuerySet[Asset], *, shapefile: bool, ticker: _Ticker | None = None
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    names = [c.shp if shapefile else c.key for c in COLUMNS]
    types = {"number": pa.float64(), "int": pa.int64()}
    fields = [
        pa.field(n, types.get(c.kind, pa.string())) for n, c in zip(names, COLUMNS, strict=True)
    ]
    fields.append(pa.field("geometry", pa.binary(), metadata={"ARROW:extension:name": "ogc.wkb"}))
    schema = pa.schema(fields)
    converters: dict[int, Any] = {}
    for i, column in enumerate(COLUMNS):
        if column.kind == "number":  # Decimal -> float: GeoPackage and DBF store REAL
            converters[i] = float
        elif column.kind == "date":
            converters[i] = datetime.date.isoformat
    converters[len(COLUMNS)] = bytes

    def batches() -> Iterator[pa.RecordBatch]:
        rows = labelled(assets, geometry=True).iterator(chunk_size=BATCH)
        while chunk := list(itertools.islice(rows, BATCH)):
            columns = [list(values) for values in zip(*chunk, strict=True)]
            for i, convert in converters.items():
                columns[i] = [None if v is None else convert(v) for v in columns[i]]
            if ticker is not None:
                ticker.tick(len(chunk))
            yield pa.RecordBatch.from_arrays(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                schema=schema,
            )

    return schema, batches()


def write_vector(
    assets: QuerySet[Asset], path: Path, *, driver: str, ticker: _Ticker | None = None
) -> None:
    """GeoPackage or Shapefile, streamed to GDAL in one call (PERFORMANCE.md: one write_arrow
    fed by a RecordBatchReader is 2x faster than appending batch by batch)."""
    shapefile = driver == "ESRI Shapefile"
    schema, batches = _arrow_batches(assets, shapefile=shapefile, ticker=ticker)
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    options: dict[str, Any] = {"ENCODING": "UTF-8"} if shapefile else {}
    dataset_options = {} if shapefile else {"VERSION": "1.2"}  # old QGIS/GDAL read 1.2 silently
    pyogrio.write_arrow(
        reader,
        str(path),
        layer=path.stem,
        driver=driver,
        geometry_name="geometry",
        geometry_type="Unknown",
        crs="EPSG:4490",
        layer_options=options,
        dataset_options=dataset_options,
    )


def meta_for(user: Any, query: Any, filterset: Any) -> dict[str, str]:
    """What the statement sheet says about an export: when, who, with which filters."""
    from urllib.parse import urlencode

    used = {k: v for k, v in query.items() if v and k in filterset.filters}
    return {
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S %Z"),
        "user": f"{user.get_username()} ({getattr(user, 'role', '')})",
        "filters": urlencode(used),
    }


def export(
    assets: QuerySet[Asset],
    fmt: str,
    *,
    meta: dict[str, str],
    history: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write ``assets`` in format ``fmt`` to a temporary file and return its path;
    ``progress`` hears the number of rows written so far, batch by batch."""
    ticker = _Ticker(progress)
    folder = Path(tempfile.mkdtemp(prefix="atlas-export-"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        path = folder / f"assets-{stamp}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            write_csv(assets, fh)
    elif fmt == "xlsx":
        path = folder / f"assets-{stamp}.xlsx"
        write_xlsx(assets, path, meta=meta, history=history, ticker=ticker)
    elif fmt == "geojson":
        path = folder / f"assets-{stamp}.geojson"
        with open(path, "w", encoding="utf-8") as fh:
            write_geojson(assets, fh, ticker)
    elif fmt == "gpkg":
        path = folder / f"assets-{stamp}.gpkg"
        write_vector(assets, path, driver="GPKG", ticker=ticker)
    elif fmt == "shp":
        # A Shapefile holds one geometry type: points (and assets without geometry), lines and
        # polygons go to three files, with the field-name mapping beside them.
        shp_dir = folder / "shp"
        shp_dir.mkdir()
        dimension = Func("geom", function="ST_Dimension", output_field=IntegerField())
        parts = {
            "assets_points": assets.annotate(dim=dimension).filter(Q(dim=0) | Q(geom__isnull=True)),
            "assets_lines": assets.annotate(dim=dimension).filter(dim=1),
            "assets_polygons": assets.annotate(dim=dimension).filter(dim=2),
        }
        for name, part in parts.items():
            if part.exists():
                write_vector(part, shp_dir / f"{name}.shp", driver="ESRI Shapefile", ticker=ticker)
        path = folder / f"assets-{stamp}-shp.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part_file in sorted(shp_dir.iterdir()):
                archive.write(part_file, part_file.name)
            archive.writestr("FIELDS.txt", "\n".join(f"{c.shp}\t{c.header}" for c in COLUMNS))
    else:
        raise ValueError(fmt)
    return path


# --- any ledger: the record lists (ownership, maintenance, income, distributions, disposals)
# and every ledger declared in registry.ledgers ------------------------------------------------


def export_ledger(spec: Any, qs: QuerySet[Any], fmt: str, *, meta: dict[str, str]) -> Path:
    """A ledger (registry.ledgers.Ledger) as Excel (a ledger sheet with totals of the money
    columns and a statement sheet) or CSV (UTF-8 with BOM), in its order, batch by batch."""

    folder = Path(tempfile.mkdtemp(prefix="atlas-export-"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    columns = spec.columns
    rows = spec.rows(qs).iterator(chunk_size=BATCH)

    def cells(row: tuple[Any, ...]) -> list[Any]:
        out: list[Any] = []
        for column, value in zip(columns, row, strict=True):
            value = ledgers.label(column, value)
            if value is None:
                out.append(None)
            elif column.kind == "number":
                out.append(float(value))
            elif column.kind == "date":
                out.append(value.isoformat())
            else:
                out.append(neutralise(str(value)))
        return out

    if fmt == "csv":
        path = folder / f"{spec.key}-{stamp}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("\ufeff")
            writer = csv.writer(fh)
            writer.writerow([c.header for c in columns])
            for row in rows:
                writer.writerow(["" if v is None else v for v in cells(row)])
        return path
    if fmt != "xlsx":
        raise ValueError(fmt)
    path = folder / f"{spec.key}-{stamp}.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#F1ECE6", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet(str(spec.title)[:31])
    sheet.freeze_panes(1, 2)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    for i, column in enumerate(columns):
        sheet.write_string(0, i, column.header, head)
        sheet.set_column(i, i, 18 if column.key in {"asset_code", "asset_name"} else 14)
    totals: list[Decimal | None] = [Decimal(0) if c.kind == "number" else None for c in columns]
    count = 0
    for row in rows:
        if count >= EXCEL_MAX_ROWS - 1:
            break
        count += 1
        for i, value in enumerate(cells(row)):
            if value is None:
                continue
            if columns[i].kind == "number":
                sheet.write_number(count, i, value, money)
                totals[i] = (totals[i] or Decimal(0)) + Decimal(str(row[i]))
            else:
                sheet.write_string(count, i, value)
    sheet.write_string(count + 1, 0, "合计", head)
    for i, total in enumerate(totals):
        if total is not None:
            sheet.write_number(count + 1, i, float(total), money)
    info = book.add_worksheet("导出说明")
    lines = [
        ("导出内容", str(spec.title)),
        ("导出时间", meta.get("time", "")),
        ("导出人", meta.get("user", "")),
        ("筛选条件", meta.get("filters", "") or "无"),
        ("记录数（行）", str(count)),
        *[
            (f"{c.header}合计", f"{t:.2f}")
            for c, t in zip(columns, totals, strict=True)
            if t is not None
        ],
    ]
    for r, (key, value) in enumerate(lines):
        info.write_string(r, 0, key, head)
        info.write_string(r, 1, value)
    info.set_column(0, 0, 22)
    info.set_column(1, 1, 60)
    book.close()
    return path
