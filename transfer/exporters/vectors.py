"""GeoJSON (RFC 7946) and, through pyogrio/GDAL from Arrow batches, GeoPackage and Shapefile:
of the asset register, and of any ledger whose records have a geometry (the project library)."""

import contextlib
import datetime
import io
import itertools
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio
from django.contrib.gis.db.models.functions import AsWKB
from django.db.models import (
    QuerySet,
)

from registry import ledgers
from registry.models import Asset
from transfer.exporters.base import BATCH, COLUMNS, _cell, _Ticker, labelled, rows


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


# What a layer's geometry column declares (gpkg_geometry_columns.geometry_type_name) for the
# ISO WKB type codes the register may hold (registry.geometry: 2D, no collections).
WKB_TYPES = {
    1: "POINT",
    2: "LINESTRING",
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
}
GPKG_LAYER = "资产台账"


def _arrow_batches(
    assets: QuerySet[Asset],
    *,
    shapefile: bool,
    ticker: _Ticker | None = None,
    headers: set[bytes] | None = None,
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The ledger as Arrow batches for GDAL. Outside a Shapefile (DBF has no such thing) each
    field carries its Chinese header as its alternative name: the GDAL of the pyogrio wheel
    writes it to gpkg_data_columns.name and registers the gpkg_schema extension, and QGIS on
    GDAL 3.7 or later shows it as the field's alias (GDAL 3.6 ignores it silently).
    ``headers`` collects the first 5 bytes of every WKB (byte order and type), from which the
    layer's geometry type is declared afterwards."""
    names = [c.shp if shapefile else c.key for c in COLUMNS]
    types = {"number": pa.float64(), "int": pa.int64()}
    fields = [
        pa.field(
            n,
            types.get(c.kind, pa.string()),
            metadata=None if shapefile else {"GDAL:OGR:alternative_name": c.header},
        )
        for n, c in zip(names, COLUMNS, strict=True)
    ]
    fields.append(pa.field("geometry", pa.binary(), metadata={"ARROW:extension:name": "ogc.wkb"}))
    schema = pa.schema(fields)
    converters: dict[int, Any] = {}
    for i, column in enumerate(COLUMNS):
        if column.kind == "number":  # Decimal -> float: GeoPackage and DBF store REAL
            converters[i] = float
        elif column.kind == "date":
            converters[i] = datetime.date.isoformat
    geometry = len(COLUMNS)
    converters[geometry] = bytes

    def batches() -> Iterator[pa.RecordBatch]:
        rows = labelled(assets, geometry=True).iterator(chunk_size=BATCH)
        while chunk := list(itertools.islice(rows, BATCH)):
            columns = [list(values) for values in zip(*chunk, strict=True)]
            for i, convert in converters.items():
                columns[i] = [None if v is None else convert(v) for v in columns[i]]
            if headers is not None:
                headers.update(wkb[:5] for wkb in columns[geometry] if wkb)
            if ticker is not None:
                ticker.tick(len(chunk))
            yield pa.RecordBatch.from_arrays(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                schema=schema,
            )

    return schema, batches()


def geometry_type(headers: set[bytes]) -> str:
    """The one geometry type of WKB values with these 5-byte headers, GEOMETRY when they mix
    types (or there are none)."""
    kinds = {
        int.from_bytes(header[1:5], "little" if header[0] == 1 else "big") for header in headers
    }
    if len(kinds) != 1:
        return "GEOMETRY"
    return WKB_TYPES.get(kinds.pop(), "GEOMETRY")


def _declare_geometry_type(path: Path, layer: str, name: str) -> None:
    """Declare the layer's geometry type once GDAL has closed the file: the type is known only
    after every row has streamed through, and GDAL was told "any geometry" at the start."""
    if name == "GEOMETRY":
        return
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE gpkg_geometry_columns SET geometry_type_name = ? WHERE table_name = ?",
            [name, layer],
        )


def write_vector(
    assets: QuerySet[Asset], path: Path, *, driver: str, ticker: _Ticker | None = None
) -> None:
    """GeoPackage or Shapefile, streamed to GDAL in one call (PERFORMANCE.md: one write_arrow
    fed by a RecordBatchReader is 2x faster than appending batch by batch).

    A GeoPackage has one layer, 资产台账 (whatever the file is called), its fields' Chinese
    headers as alternative names, and the geometry type of its assets declared when they all
    have the same (GEOMETRY when they mix). A Shapefile layer is named after its file."""
    shapefile = driver == "ESRI Shapefile"
    headers: set[bytes] = set()
    schema, batches = _arrow_batches(assets, shapefile=shapefile, ticker=ticker, headers=headers)
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    options: dict[str, Any] = {"ENCODING": "UTF-8"} if shapefile else {}
    dataset_options = {} if shapefile else {"VERSION": "1.2"}  # old QGIS/GDAL read 1.2 silently
    layer = path.stem if shapefile else GPKG_LAYER
    pyogrio.write_arrow(
        reader,
        str(path),
        layer=layer,
        driver=driver,
        geometry_name="geometry",
        geometry_type="Unknown",
        crs="EPSG:4490",
        layer_options=options,
        dataset_options=dataset_options,
    )
    if not shapefile:
        _declare_geometry_type(path, layer, geometry_type(headers))


def write_ledger_vector(
    spec: Any, qs: QuerySet[Any], path: Path, *, layer: str, geometry: str = "geom"
) -> int:
    """Any ledger (registry.ledgers.Ledger) whose records have a geometry as a GeoPackage of
    one layer named ``layer``: its exported columns as fields named by their keys, with their
    Chinese headers as alternative names (QGIS shows them as aliases), choices by their labels
    and yes/no in words (registry.ledgers.label), dates as dates, money as REAL, and the layer's
    geometry type declared when every record has the same one. Returns the rows written."""
    columns = spec.exported
    types = {
        "number": pa.float64(),
        "int": pa.int64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s"),
    }
    fields = [
        pa.field(
            c.key,
            types.get(c.kind, pa.string()),
            metadata={"GDAL:OGR:alternative_name": c.header},
        )
        for c in columns
    ]
    fields.append(pa.field("geometry", pa.binary(), metadata={"ARROW:extension:name": "ogc.wkb"}))
    schema = pa.schema(fields)
    headers: set[bytes] = set()
    count = 0

    def cell(column: Any, value: Any) -> Any:
        value = ledgers.label(column, value)
        if value is None:
            return None
        if column.kind == "number":
            return float(value)
        if column.kind in ("int", "date", "datetime"):
            return value
        return str(value)

    def batches() -> Iterator[pa.RecordBatch]:
        nonlocal count
        rows = spec.rows(qs, extra={"wkb": AsWKB(geometry)}).iterator(chunk_size=BATCH)
        while chunk := list(itertools.islice(rows, BATCH)):
            count += len(chunk)
            values = [list(v) for v in zip(*chunk, strict=True)]
            arrays = [[cell(column, v) for v in values[i]] for i, column in enumerate(columns)]
            wkbs = [None if v is None else bytes(v) for v in values[len(columns)]]
            headers.update(wkb[:5] for wkb in wkbs if wkb)
            arrays.append(wkbs)
            yield pa.RecordBatch.from_arrays(
                [pa.array(col, type=f.type) for col, f in zip(arrays, schema, strict=True)],
                schema=schema,
            )

    reader = pa.RecordBatchReader.from_batches(schema, batches())
    pyogrio.write_arrow(
        reader,
        str(path),
        layer=layer,
        driver="GPKG",
        geometry_name="geometry",
        geometry_type="Unknown",
        crs="EPSG:4490",
        dataset_options={"VERSION": "1.2"},  # old QGIS/GDAL read 1.2 silently
    )
    _declare_geometry_type(path, layer, geometry_type(headers))
    return count
