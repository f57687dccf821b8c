"""No uploaded file makes the server fetch a URL or read a local path, and files built to tie up
the worker (zip bombs, GeoPackage views) are refused before any reader decompresses or runs them.

A listener on a local port stands for any server an attacker would point GDAL at: it must
receive nothing, whatever the file format."""

import contextlib
import json
import socket
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely

from registry.models import AdminArea
from transfer import exporters, importers

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"  # 向东村, 龙驹镇
WKT_4490 = (
    'GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",'
    '6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
)


class Listener:
    """A TCP server on 127.0.0.1 that counts connections and answers with a valid WKT, as an
    attacker's server would (so that a fetch, if it happened, would also be used)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/crs.wkt"

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(4096))
                    body = WKT_4490.encode()
                    conn.sendall(
                        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def point() -> tuple[float, float]:
    area = AdminArea.objects.get(code=XIANGDONG)
    return area.point.x, area.point.y


VALUES = {
    "name": "向东村蔬菜大棚",
    "asset_class": "经营性",
    "subtype": "设施农业（大棚）",
    "area_code": XIANGDONG,
    "original_value": 125000.5,
    "quantity": 2,
    "unit": "个",
    "formed_on": "2022-04-18",
}
PROPS = {importers.HEADERS[k]: v for k, v in VALUES.items()}


def feature_collection(**top: object) -> dict:
    lon, lat = point()
    return {
        "type": "FeatureCollection",
        **top,
        "features": [
            {
                "type": "Feature",
                "properties": PROPS,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
    }


def outcome_or_refusal(path: Path, user) -> str:  # type: ignore[no-untyped-def]
    try:
        outcome = importers.preview(path, user)
    except importers.ImportRefused as exc:
        return f"refused: {exc}"
    return f"read {outcome.rows} rows"


def geojson_files(tmp_path: Path, url: str) -> dict[str, Path]:
    link = {"type": "link", "properties": {"href": url, "type": "ogcwkt"}}
    lon, lat = point()
    nested = feature_collection()
    nested["features"][0]["geometry"]["crs"] = link
    nested["features"][0]["crs"] = link
    cases = {
        "crs-link": feature_collection(crs=link),
        "crs-name-url": feature_collection(crs={"type": "name", "properties": {"name": url}}),
        "crs-name-path": feature_collection(
            crs={"type": "name", "properties": {"name": "/etc/passwd"}}
        ),
        "crs-escaped-key": None,  # written below with a \u-escaped key
        "geometry-crs-link": nested,
        "jsonfg-coordrefsys": feature_collection(coordRefSys=url, conformsTo=[url]),
        "esri-json": {
            "geometryType": "esriGeometryPoint",
            "spatialReference": {"wkt": url},
            "features": [{"attributes": PROPS, "geometry": {"x": lon, "y": lat}}],
        },
    }
    files = {}
    for name, document in cases.items():
        path = tmp_path / f"{name}.geojson"
        if document is None:
            text = json.dumps(feature_collection(crs=link)).replace('"crs"', '"\\u0063rs"')
            path.write_text(text)
        else:
            path.write_text(json.dumps(document, ensure_ascii=False))
        files[name] = path
    return files


def test_geojson_crs_links_and_names_are_never_followed(tmp_path, listener, county_manager):
    results = {
        name: outcome_or_refusal(path, county_manager)
        for name, path in geojson_files(tmp_path, listener.url).items()
    }
    time.sleep(0.3)
    assert listener.hits == [], results
    # A CRS that is a link or a path is refused with a reason; members GDAL would follow on
    # geometries or in other dialects are dropped, and the rows are still read.
    assert results["crs-link"].startswith("refused: ") and "EPSG" in results["crs-link"]
    assert results["crs-name-url"].startswith("refused: ")
    assert results["crs-name-path"].startswith("refused: ")
    assert results["crs-escaped-key"].startswith("refused: ")
    assert results["geometry-crs-link"] == "read 1 rows"
    assert results["jsonfg-coordrefsys"] == "read 1 rows"
    assert results["esri-json"].startswith("refused: ")


def test_a_stated_epsg_code_is_still_honoured(tmp_path, county_manager):
    path = tmp_path / "named.geojson"
    named = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    path.write_text(json.dumps(feature_collection(crs=named), ensure_ascii=False))
    source = importers.open_source(path)
    try:
        assert source.crs is not None and source.crs.epsg == 4490 and source.crs.stated
    finally:
        source.close()


def shapefile_with_prj(tmp_path: Path, prj: str) -> Path:
    lon, lat = point()
    # DBF field names hold 10 bytes: our exports' short names, as a re-import would have them.
    short = {c.key: c.shp for c in exporters.COLUMNS}
    record = {short[k]: v for k, v in VALUES.items()}
    frame = gpd.GeoDataFrame([record], geometry=[shapely.Point(lon, lat)], crs=None)
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / "assets.shp", encoding="UTF-8")
    (folder / "assets.prj").write_text(prj)
    path = tmp_path / "assets.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    return path


@pytest.mark.parametrize("kind", ["url", "path", "wkt"])
def test_a_shapefile_prj_is_read_as_wkt_only(kind, tmp_path, listener, county_manager):
    prj = {"url": listener.url, "path": "/etc/passwd", "wkt": WKT_4490}[kind]
    result = outcome_or_refusal(shapefile_with_prj(tmp_path, prj), county_manager)
    time.sleep(0.3)
    assert listener.hits == []
    if kind == "wkt":
        assert result == "read 1 rows"
    else:
        assert result.startswith("refused: ") and ".prj" in result


def geopackage(tmp_path: Path, name: str = "assets.gpkg") -> Path:
    lon, lat = point()
    frame = gpd.GeoDataFrame([PROPS], geometry=[shapely.Point(lon, lat)], crs="EPSG:4490")
    path = tmp_path / name
    frame.to_file(path, layer="assets", driver="GPKG")
    return path


def test_a_geopackage_srs_definition_pointing_at_a_url_is_not_fetched(
    tmp_path, listener, county_manager
):
    path = geopackage(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE gpkg_spatial_ref_sys SET definition = ?, organization = 'NONE',"
            " organization_coordsys_id = 0 WHERE srs_id = 4490",
            (listener.url,),
        )
    outcome_or_refusal(path, county_manager)
    time.sleep(0.3)
    assert listener.hits == []


@pytest.mark.parametrize(
    "sql",
    [
        # A view whose SQL would run in the worker (a recursive CTE never ends).
        "CREATE VIEW slow AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
        " SELECT i FROM n",
        "CREATE VIRTUAL TABLE fts USING fts4(body)",
    ],
    ids=["view", "virtual-table"],
)
def test_geopackages_with_views_or_foreign_virtual_tables_are_refused_unread(
    sql, tmp_path, county_manager
):
    path = geopackage(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute(sql)
    started = time.monotonic()
    result = outcome_or_refusal(path, county_manager)
    assert result.startswith("refused: ")
    assert time.monotonic() - started < 5


def test_spreadsheets_with_links_are_read_as_text_and_fetch_nothing(
    tmp_path, listener, county_manager
):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "资产台账"
    sheet.append([*PROPS, "备注"])
    sheet.append([*PROPS.values(), f'=WEBSERVICE("{listener.url}")'])
    sheet["A3"] = f'=HYPERLINK("{listener.url}","x")'
    xlsx = tmp_path / "links.xlsx"
    book.save(xlsx)
    csv_file = tmp_path / "links.csv"
    csv_file.write_text(",".join(PROPS) + "\n" + ",".join(map(str, PROPS.values())) + "\n"
                        + f'"=WEBSERVICE(""{listener.url}"")"\n', encoding="utf-8")  # fmt: skip
    for path in (xlsx, csv_file):
        outcome_or_refusal(path, county_manager)
    time.sleep(0.3)
    assert listener.hits == []


def test_gdal_itself_refuses_network_reads_in_this_process(tmp_path, listener):
    """The second wall: even a file that reached GDAL unsanitised, or a /vsicurl/ name, makes
    no request (pyogrio's GDAL and Django's GDAL are both locked down at start-up)."""
    from django.contrib.gis.gdal import OGRGeometry
    from django.contrib.gis.gdal.error import GDALException
    from django.core.exceptions import SuspiciousOperation

    raw = tmp_path / "raw.geojson"
    link = {"type": "link", "properties": {"href": listener.url, "type": "ogcwkt"}}
    raw.write_text(json.dumps(feature_collection(crs=link)))
    with contextlib.suppress(Exception):  # a refusal is as good as a read without the fetch
        pyogrio.read_info(raw)
    with pytest.raises(Exception):  # noqa: B017 - any GDAL error: the point is no request
        pyogrio.read_info(f"/vsicurl/{listener.url}")
    geometry = json.dumps({"type": "Point", "coordinates": [108, 30], "crs": link})
    with contextlib.suppress(GDALException, SuspiciousOperation):  # Django refuses it too
        OGRGeometry.from_json(geometry)
    time.sleep(0.3)
    assert listener.hits == []


def test_a_zip_bomb_is_refused_by_its_declared_sizes_without_unpacking(tmp_path, county_manager):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("assets.shp", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(256):  # 256 MiB of zeros, about 250 kB compressed
                member.write(chunk)
        archive.writestr("assets.dbf", b"")
        archive.writestr("assets.shx", b"")
    started = time.monotonic()
    result = outcome_or_refusal(path, county_manager)
    assert result.startswith("refused: ") and "zip" in result
    assert time.monotonic() - started < 1
