"""Bad input never corrupts data: property-based tests of the services (hypothesis).

Every service either succeeds with a consistent result, or refuses with a ValidationError
("中文 / English", naming the field where it can), PermissionDenied or ConflictError; any other
exception is a defect, and a refusal leaves every row as it was. Each example runs in a
savepoint that is rolled back, so all examples of a test see the same database: the demo county
plus the few records that the test's fixtures make.
"""

import datetime
import html
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pghistory
import pytest
import shapely
from django.conf import settings as django_settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

from registry import geometry
from registry.choices import (
    AllocationUse,
    AssetStatus,
    DisposalMethod,
    DisposalReason,
    DisposalStatus,
    InspectionResult,
    MaintenanceKind,
    NoticeChannel,
    NoticeSubject,
    OperatingMode,
    PlanStatus,
)
from registry.errors import ConflictError, bilingual
from registry.models import (
    AdminArea,
    Asset,
    AssetFunding,
    Attachment,
    DisposalApproval,
    DisposalRequest,
    DistributionLine,
    DistributionPlan,
    Handover,
    IncomeRecord,
    MaintenanceDuty,
    MaintenanceLog,
    OperationContract,
    OwnershipRecord,
    OwnershipShare,
    Party,
    PublicNotice,
    User,
)
from registry.scoping import can_edit
from registry.selectors import asset_list
from registry.services.assets import (
    AssetInput,
    asset_register,
    asset_set_status,
    asset_update,
    rule_problems,
)
from registry.services.disposal import (
    disposal_can_decide,
    disposal_complete,
    disposal_decide,
    disposal_pending_level,
    disposal_request,
    required_level,
)
from registry.services.income import (
    distribution_plan_advance,
    distribution_plan_create,
    income_record_add,
    is_per_capita_cash_only,
    plan_can_advance,
)
from registry.services.maintenance import maintenance_assign, maintenance_log_add
from registry.services.notices import notice_post, notice_record_objections
from registry.services.ownership import asset_hand_over, operation_contract_add, ownership_confirm
from tests.factories import asset_input, collective, village
from transfer import importers
from transfer.exporters import neutralise
from transfer.importers import cells as import_cells
from transfer.importers import run as import_run
from transfer.importers.options import ImportOptions

pytestmark = pytest.mark.django_db

REFUSALS = (ValidationError, PermissionDenied, ConflictError)
WATCHED: list[type[Model]] = [
    Asset, AssetFunding, OwnershipRecord, OwnershipShare, Handover, OperationContract,
    MaintenanceDuty, MaintenanceLog, Attachment, IncomeRecord, DistributionPlan,
    DistributionLine, DisposalRequest, DisposalApproval, PublicNotice,
]  # fmt: skip
TOWNSHIP = "500101151000"  # 龙驹镇
YUHE = "500101151201"  # 玉合村, 龙驹镇
OUTSIDE = "500101001001"  # a village of another township
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
CASES = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
CASES |= {"database": None}  # no .hypothesis folder in the work tree
CASES |= {"derandomize": True}  # the same examples on every run: CI cannot pass by luck
# No "explain" phase: it traces every line of a failing example again, minutes per failure.
CASES |= {"phases": [phase for phase in Phase if phase is not Phase.explain]}


def examples(n: int) -> int:
    """The example budget of a property: a tenth in `make test` (HYPOTHESIS_SCALE=0.1 by
    default); HYPOTHESIS_SCALE=1 (or more) for a deep run."""
    return max(5, round(n * float(os.environ.get("HYPOTHESIS_SCALE", "0.1"))))


def today() -> datetime.date:
    return timezone.localdate()


# --- running one example ------------------------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's savepoint: whatever the example wrote is undone when it ends."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _files() -> int:
    root = str(django_settings.MEDIA_ROOT)
    return sum(len(names) for _dir, _subdirs, names in os.walk(root))


def snapshot(*rows: Model) -> tuple[Any, ...]:
    """Row counts of every registry table, the given rows as stored, and the uploaded files."""
    parts = [f'(SELECT count(*) FROM "{m._meta.db_table}")' for m in WATCHED]
    parts += [
        f'(SELECT row_to_json(t)::text FROM "{row._meta.db_table}" t WHERE t.id = %s)'
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), [row.pk for row in rows])
        stored = cursor.fetchone()
    return (*stored, _files())


def is_bilingual(message: str) -> bool:
    chinese, sep, english = message.partition(" / ")
    return bool(sep) and bool(CJK.search(chinese)) and bool(LATIN.search(english))


def messages_of(error: Exception) -> dict[str, list[str]]:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {name: list(messages) for name, messages in error.message_dict.items()}
        return {"__all__": list(error.messages)}
    return {"__all__": [str(error)]}


Errors = dict[str, list[str]]


def attempt(call: Callable[[], Any], *watched: Model) -> tuple[Any, Errors | None]:
    """(result, None) when the call succeeds; (None, messages by field) when it refuses with
    one of the three refusals, after checking that the refusal wrote nothing and is worded in
    both languages. Any other exception propagates: that is the defect to report."""
    before = snapshot(*watched)
    try:
        return call(), None
    except REFUSALS as exc:
        errors = messages_of(exc)
        assert snapshot(*watched) == before, f"a refusal left rows or files behind: {errors}"
        wrong = [m for ms in errors.values() for m in ms if not is_bilingual(m)]
        assert not wrong, f"{type(exc).__name__} not worded '中文 / English': {errors}"
        return None, errors


def expect_refused(errors: Errors | None, reasons: list[str], *, named: bool = True) -> None:
    """The call must have been refused for ``reasons`` (field names); with a single reason (and
    no other input the example made wrong) the error must name that field."""
    assert errors is not None, f"accepted although {reasons} are wrong"
    if named and len(set(reasons)) == 1:
        assert reasons[0] in errors, f"the refusal does not name {reasons[0]}: {errors}"


def expect_any_refusal(errors: Errors | None, why: str) -> None:
    assert errors is not None, f"accepted although {why}"


def same(stored: Any, given: Any) -> bool:
    """Stored exactly as given (numbers compared by value, never NaN)."""
    if isinstance(given, Decimal) or isinstance(stored, Decimal):
        return (
            isinstance(stored, Decimal)
            and isinstance(given, Decimal)
            and stored.is_finite()
            and given.is_finite()
            and stored == given
        )
    return bool(stored == given)


def kept_text(stored: Any, given: str) -> bool:
    """Text stored as given, or stripped of surrounding blanks (as forms do)."""
    return stored in (given, given.strip())


def bad_amount(value: Decimal) -> bool:
    return not value.is_finite() or value < 0


def unfit(value: Decimal, digits: int, places: int) -> bool:
    """A number the column cannot hold exactly: negative, not finite, too many decimal places
    (0.005 in cents) or too many digits (numeric(digits, places))."""
    if bad_amount(value):
        return True
    try:
        cents = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than decimal arithmetic carries
        return True
    return cents != value or len(cents.as_tuple().digits) > digits


def plain(text: str, limit: int) -> bool:
    """Text any form should take: printable, not blank, within the column's length."""
    return bool(text.strip()) and len(text) <= limit and text.isprintable()


# --- strategies ---------------------------------------------------------------------------------

FORMULAS = ["=1+1", '=HYPERLINK("http://x","y")', "+SUM(A1:A9)", "-2+3", "@cmd",
            "=cmd|'/C calc'!A0", "'=1+1", "\t=1", " =1", "-1", "＝1"]  # fmt: skip
LENGTHS = [10, 11, 20, 21, 50, 51, 60, 61, 100, 101, 200, 201, 5000, 1_000_000]
CHARS = ["x", "中", "\x00", "𝔸", " "]
huge_texts = st.builds(lambda char, n: char * n, st.sampled_from(CHARS), st.sampled_from(LENGTHS))
texts = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(max_codepoint=0x9F), max_size=6),  # controls, NUL
    st.sampled_from(FORMULAS),
    huge_texts,
    st.sampled_from(["", "  ", "向东村", "\r\n", "\u200b", "\ufeff名称"]),
    st.sampled_from(["\x00", "a\x00b", "名称\x00"]),  # PostgreSQL text holds no NUL
)
MONEY_EDGES = [
    "0", "-0", "0.00", "0E-10", "0.01", "-0.01", "0.001", "0.005", "12.30", "350000.00",
    "999999999999.99", "1000000000000.00", "99999999999999.98", "99999999999999.99",
    "100000000000000.00", "9999999999999999.99", "1E+30", "1E-30", "NaN", "-NaN", "sNaN",
    "Infinity", "-Infinity",
]  # fmt: skip
money = st.one_of(
    st.sampled_from([Decimal(v) for v in MONEY_EDGES]),
    st.decimals(min_value=-1000, max_value=10**15, places=2),
    st.integers(0, 6).flatmap(lambda p: st.decimals(min_value=0, max_value=10**6, places=p)),
    st.decimals(),
)
offsets = st.integers(-3, 3).map(lambda d: today() + datetime.timedelta(days=d))
dates = st.one_of(
    st.sampled_from([datetime.date.min, datetime.date(1899, 12, 31), datetime.date(2011, 12, 31),
                     datetime.date(2012, 1, 1), datetime.date(2021, 1, 1),
                     datetime.date(9999, 12, 31)]),
    offsets,
    st.dates(datetime.date(2012, 1, 1), datetime.date(2030, 12, 31)),
    st.dates(),
)  # fmt: skip
counts = st.one_of(
    st.integers(0, 200), st.sampled_from([-1, 2**31 - 1, 2**31, 2**63, -(2**63)]), st.integers()
)
PARTIES = ["xiangdong", "yuhe", "township", "outside"]
# The parties each user may name: their own area's and the township's and county's bodies.
OWN_PARTIES = {
    "county_manager": set(PARTIES),
    "county_approver": set(PARTIES),
    "township_manager": {"xiangdong", "yuhe", "township"},
    "village_clerk": {"xiangdong", "township"},
}


def choice_or_junk(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), st.sampled_from(values), texts)


@st.composite
def percents(draw: st.DrawFn) -> list[Decimal]:
    """Shares: exact partitions of 100 (some with zero parts, many decimals), or anything."""
    if draw(st.booleans()):
        parts = draw(st.integers(1, 4))
        places = draw(st.integers(0, 6))
        whole = 100 * 10**places
        cuts = sorted(draw(st.lists(st.integers(0, whole), min_size=parts - 1, max_size=parts - 1)))
        bounds = [0, *cuts, whole]
        return [Decimal(b - a).scaleb(-places) for a, b in itertools.pairwise(bounds)]
    one = st.one_of(
        st.integers(0, 6).flatmap(lambda p: st.decimals(min_value=-10, max_value=200, places=p)),
        st.sampled_from([Decimal(v) for v in ["100", "100.0001", "99.9995", "1E-10", "NaN",
                                              "sNaN", "Infinity", "-100", "0", "50"]]),
    )  # fmt: skip
    return draw(st.lists(one, min_size=0, max_size=4))


# Geometries as trees of coordinates relative to a base (the village), rendered as GeoJSON,
# WKT, EWKT or HEXEWKB, or built as GEOS objects.
@dataclass(frozen=True)
class Shape:
    kind: str
    dims: str  # "", "Z", "M" or "ZM"
    parts: tuple[Any, ...]  # coordinates, rings, or child shapes


near = st.floats(-0.004, 0.004)
coordinates = st.one_of(
    st.tuples(st.just(True), near, near),
    st.tuples(st.just(True), near, near),
    st.tuples(st.just(True), near, near),
    st.tuples(st.just(True), st.just(1.5), near),  # outside the township and the county
    st.just((False, 0.0, 0.0)),
    st.sampled_from([(False, 180.0, 85.0), (False, 180.0000001, 30.0), (False, -181.0, 0.0),
                     (False, 108.0, 85.1), (False, 1e300, -1e300), (False, 36500000.0, 3400000.0),
                     (False, math.nan, 30.0), (False, math.inf, 30.0)]),
    st.tuples(st.just(False), st.floats(), st.floats()),
).flatmap(  # then the Z and M values, used when the shape has them
    lambda c: st.tuples(*[st.just(v) for v in c], st.floats(-100, 100), st.floats())
)  # fmt: skip
DIMS = st.sampled_from(["", "", "", "", "Z", "M", "ZM"])
SIMPLE = ["Point", "LineString", "Polygon"]
KINDS = ["Point", "Point", "LineString", "Polygon", "Polygon", "MultiPoint", "MultiLineString",
         "MultiPolygon", "GeometryCollection"]  # fmt: skip


@st.composite
def rings(draw: st.DrawFn) -> tuple[Any, ...]:
    if draw(st.booleans()):  # a small box: a valid ring
        x, y = draw(near), draw(near)
        w, h = draw(st.floats(1e-7, 0.003)), draw(st.floats(1e-7, 0.003))
        points = [(True, x, y, 0.0, 0.0), (True, x + w, y, 0.0, 0.0),
                  (True, x + w, y + h, 0.0, 0.0), (True, x, y + h, 0.0, 0.0)]  # fmt: skip
    else:
        points = draw(st.lists(coordinates, max_size=5))
    if points and draw(st.sampled_from([True, True, True, False])):
        points.append(points[0])
    return tuple(points)


@st.composite
def simple_shapes(draw: st.DrawFn, kind: str, dims: str) -> Shape:
    if kind == "Point":
        parts = draw(
            st.one_of(st.just(()), coordinates.map(lambda c: (c,)), coordinates.map(lambda c: (c,)))
        )
    elif kind == "LineString":
        parts = tuple(draw(st.lists(coordinates, max_size=5)))
    else:
        parts = tuple(draw(st.lists(rings(), max_size=2)))
    return Shape(kind, dims, parts)


@st.composite
def shapes(draw: st.DrawFn, depth: int = 0) -> Shape:
    kind = draw(st.sampled_from(KINDS))
    dims = draw(DIMS)
    if kind in SIMPLE:
        return draw(simple_shapes(kind, dims))
    count = draw(st.integers(0, 3))
    if kind == "GeometryCollection":
        children = [draw(shapes(depth + 1)) for _ in range(count if depth < 2 else 0)]
    else:
        children = [draw(simple_shapes(kind[5:], dims)) for _ in range(count)]
    return Shape(kind, dims, tuple(children))


def _xy(c: tuple[Any, ...], dims: str, base: tuple[float, float]) -> list[float]:
    is_near, a, b, e1, e2 = c
    x, y = (base[0] + a, base[1] + b) if is_near else (a, b)
    return [x, y, *[e1, e2][: len(dims)]]


def _wkt_body(s: Shape, base: tuple[float, float]) -> str:
    def coord(c: tuple[Any, ...]) -> str:
        return " ".join(repr(float(v)) for v in _xy(c, s.dims, base))

    if not s.parts:
        return "EMPTY"
    if s.kind == "Point":
        return f"({coord(s.parts[0])})"
    if s.kind == "LineString":
        return "(" + ", ".join(coord(c) for c in s.parts) + ")"
    if s.kind == "Polygon":
        return "(" + ", ".join("(" + ", ".join(coord(c) for c in r) + ")" for r in s.parts) + ")"
    if s.kind == "GeometryCollection":
        return "(" + ", ".join(wkt(p, base) for p in s.parts) + ")"
    return "(" + ", ".join(_wkt_body(p, base) for p in s.parts) + ")"


def wkt(s: Shape, base: tuple[float, float]) -> str:
    return f"{s.kind.upper()}{' ' + s.dims if s.dims else ''} {_wkt_body(s, base)}"


def _geojson_coordinates(s: Shape, base: tuple[float, float]) -> Any:
    if s.kind == "Point":
        return _xy(s.parts[0], s.dims, base) if s.parts else []
    if s.kind == "LineString":
        return [_xy(c, s.dims, base) for c in s.parts]
    if s.kind == "Polygon":
        return [[_xy(c, s.dims, base) for c in r] for r in s.parts]
    return [_geojson_coordinates(p, base) for p in s.parts]


def geojson(s: Shape, base: tuple[float, float]) -> dict[str, Any]:
    if s.kind == "GeometryCollection":
        return {"type": s.kind, "geometries": [geojson(p, base) for p in s.parts]}
    return {"type": s.kind, "coordinates": _geojson_coordinates(s, base)}


SRIDS = st.sampled_from([None, None, 4490, 4490, 4326, 3857, 4524, 0, 999999])
json_junk = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "coordinates", "geometries", "geometry", "crs"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)
DEEP = '{"type":"Point","coordinates":' + "[" * 5000 + "]" * 5000 + "}"
ODD_GEOMETRIES = ["Point", "[]", "{}", "null", DEEP, "0101000020", "SRID=x;POINT(1 2)",
                  '{"type":"Point","coordinates":[1e400,30]}', "POINT(1 2)\x00",
                  '{"type":"Point","coordinates":[NaN,30]}', "POINT EMPTY",
                  '{"type":"Feature","geometry":5}']  # fmt: skip
BASE = (108.66, 30.72)  # near 向东村: where parse() is asked about geometries


@st.composite
def geometry_texts(draw: st.DrawFn) -> str:
    """What a form's geometry field may receive."""
    s = draw(shapes())
    style = draw(st.sampled_from(["geojson", "feature", "wkt", "ewkt", "hex", "junk", "cut"]))
    if style == "geojson":
        return json.dumps(geojson(s, BASE))
    if style == "feature":
        body = draw(st.one_of(st.just(geojson(s, BASE)), json_junk))
        feature = {"type": "Feature", "geometry": body, "properties": {}}
        if draw(st.booleans()):
            feature["crs"] = {"type": "link", "properties": {"href": "http://127.0.0.1:9/x"}}
        return json.dumps(feature)
    if style in ("wkt", "ewkt"):
        prefix = f"SRID={draw(st.sampled_from([4490, 4326, 3857, 0, -1, 999999]))};"
        return (prefix if style == "ewkt" else "") + wkt(s, BASE)
    if style == "hex":
        try:
            shape = shapely.from_wkt(wkt(s, BASE))
        except shapely.errors.ShapelyError:
            return wkt(s, BASE)
        srid = draw(st.sampled_from([4490, 4326, 3857, 0]))
        return str(shapely.to_wkb(shapely.set_srid(shape, srid), hex=True, include_srid=True))
    if style == "junk":
        return draw(st.one_of(texts, json_junk.map(json.dumps), st.sampled_from(ODD_GEOMETRIES)))
    text = json.dumps(geojson(s, BASE)) if draw(st.booleans()) else wkt(s, BASE)
    return text[: draw(st.integers(0, len(text)))]


def has_empty_part(geom: Any) -> bool:
    """A multi-part shape with an EMPTY part, e.g. MULTIPOINT ((108.6 30.7), EMPTY). Such a shape
    is never handed to a service or the bulk writer here: the asset-cell trigger's
    ST_PointOnSurface dereferences NULL on it in GEOS 3.11 (libgeos.so.3.11.1), the database
    backend dies with signal 11 and PostgreSQL restarts, dropping every connection. The tests
    assert instead that the register's geometry rule refuses it before anything is written."""
    if not geom.geom_type.startswith("Multi"):
        return False
    if isinstance(geom, GEOSGeometry):
        return not geom.empty and any(part.empty for part in geom)
    return not geom.is_empty and bool(shapely.is_empty(shapely.get_parts(geom)).any())


def assert_rule_refuses(geom: GEOSGeometry) -> None:
    """The register's geometry rule (registry.geometry.check_geos, which the asset services
    apply) refuses a shape that would crash the database server when stored."""
    try:
        geometry.check_geos(geom.clone())
    except geometry.GeometryRefused:
        return
    raise AssertionError(f"{geom.wkt} passes the register's rule; storing it crashes PostgreSQL")


def geos(s: Shape, base: tuple[float, float], srid: int | None) -> GEOSGeometry:
    """The shape as a GEOS object, as a form, the admin or an API could hand it to a service."""
    try:
        geom = GEOSGeometry(wkt(s, base))
    except (GEOSException, ValueError, TypeError):
        reject()
    geom.srid = srid
    return geom


ODD_CELLS = ["1e30", "1E+999999", "1e-999999", "NaN", "sNaN", "-Infinity", "1，000.5", " 12 ",
             "0x10", "١٢٣", "１２３", "1_000", "--1", "0000-01-01", "2021-02-30", "99999-01-01",
             "20210230", "2021/13/01", "2021-1-1 12:00", "２０２１-０１-０１", "是", "否", "经营性",
             "operating", "公益性", "road", "光伏电站", "pv_station"]  # fmt: skip
cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    texts,
    st.dates(),
    st.datetimes(),
    st.times(),
    st.decimals().map(str),
    st.floats().map(repr),
    st.integers().map(lambda n: f"{n:,}"),
    st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(ODD_CELLS),
)  # fmt: skip


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def actors(
    county_manager, village_clerk, township_manager, county_approver, planner, auditor
) -> dict[str, User]:
    return {
        "county_manager": county_manager,
        "village_clerk": village_clerk,
        "township_manager": township_manager,
        "county_approver": county_approver,
        "planner": planner,
        "auditor": auditor,
    }


EDITORS = st.sampled_from(["county_manager", "village_clerk", "village_clerk", "township_manager"])
ANYONE = st.sampled_from(["county_manager", "village_clerk", "township_manager", "county_approver",
                          "planner"])  # fmt: skip


@pytest.fixture
def parties() -> dict[str, Party]:
    return {
        "xiangdong": collective(),
        "yuhe": collective(village(YUHE), "玉合村股份经济合作联合社"),
        "township": collective(village(TOWNSHIP), "龙驹镇人民政府"),
        "outside": collective(village(OUTSIDE), "外乡镇村股份经济合作联合社"),
    }


@pytest.fixture
def base() -> tuple[float, float]:
    point = village().point
    assert point is not None
    return (point.x, point.y)


@pytest.fixture
def township_shape() -> GEOSGeometry:
    boundary = AdminArea.objects.get(code=TOWNSHIP).boundary
    assert boundary is not None
    return boundary.buffer(0.01)


def stored(asset: Asset) -> dict[str, Any]:
    return Asset.objects.filter(pk=asset.pk).values().get()


def code_is_well_formed(asset: Asset) -> bool:
    return bool(re.fullmatch(rf"500101{asset.formed_on.year:04d}[0-9]{{6}}", asset.code))


# --- assets -------------------------------------------------------------------------------------

TEXT_LIMITS = {"name": 200, "address": 200, "unit": 10, "voucher_no": 50,
               "supervising_department": 100, "note": None}  # fmt: skip


@settings(max_examples=examples(60), **CASES)
@given(who=EDITORS, field=st.sampled_from(sorted(TEXT_LIMITS)), text=texts)
def test_asset_register_keeps_text_or_refuses_it_naming_the_field(actors, who, field, text):
    with rolled_back():
        asset, errors = attempt(
            lambda: asset_register(actor=actors[who], data=asset_input(**{field: text}))
        )
        limit = TEXT_LIMITS[field]
        if (limit and len(text) > limit) or (field in ("name", "unit") and text == ""):
            expect_refused(errors, [field])
        if errors is None:
            assert kept_text(stored(asset)[field], text)
            assert code_is_well_formed(asset)


@settings(max_examples=examples(30), **CASES)
@given(
    who=EDITORS,
    extra=st.fixed_dictionaries(
        {},
        optional={"code": texts, "status": choice_or_junk(AssetStatus.values), "version": counts,
                  "area_code": texts, "county_code": texts, "fund_era": texts, "id": counts},
    ),
)  # fmt: skip
def test_asset_register_allocates_the_code_whatever_the_input_says(actors, who, extra):
    with rolled_back():
        asset, errors = attempt(
            lambda: asset_register(actor=actors[who], data=asset_input(**extra))
        )
        assert errors is None, errors
        row = stored(asset)
        # county 500101, formed in 2022, class digit 2 (public welfare), serial
        assert re.fullmatch(r"500101" "2022" "2" "[0-9]{5}", row["code"]), row["code"]
        assert row["status"] == ("draft" if who == "village_clerk" else "registered")
        assert row["version"] == 1 and row["area_code"] == village().code


SOURCES = ["central_bridging", "county", "no_such_source"]


@settings(max_examples=examples(60), **CASES)
@given(
    who=EDITORS,
    value=money,
    quantity=money,
    funding=st.dictionaries(st.sampled_from(SOURCES), money, max_size=3),
)
def test_asset_register_keeps_money_exactly_or_refuses_it(actors, who, value, quantity, funding):
    with rolled_back():
        asset, errors = attempt(
            lambda: asset_register(
                actor=actors[who],
                data=asset_input(original_value=value, quantity=quantity, funding=funding),
            )
        )
        reasons = []
        if unfit(value, 16, 2):
            reasons.append("original_value")
        if unfit(quantity, 14, 3):
            reasons.append("quantity")
        reasons += [
            "funding" if code == "no_such_source" else f"funding_{code}"
            for code, amount in funding.items()
            if code == "no_such_source" or unfit(amount, 16, 2)
        ]
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            row = stored(asset)
            assert same(row["original_value"], value), (row["original_value"], value)
            assert same(row["quantity"], quantity), (row["quantity"], quantity)
            kept = dict(
                AssetFunding.objects.filter(asset=asset).values_list("source__code", "amount")
            )
            assert set(kept) == set(funding)
            for code, amount in funding.items():
                assert same(kept[code], amount), (code, kept[code], amount)


@settings(max_examples=examples(60), **CASES)
@given(
    who=EDITORS,
    formed_on=dates,
    booked=st.booleans(),
    booked_on=st.one_of(st.none(), dates),
    households=counts,
    exited=counts,
    links=st.lists(choice_or_junk(["dividend", "employment", "land_transfer"]), max_size=2),
)
def test_asset_register_refuses_future_and_impossible_dates_and_counts(
    actors, who, formed_on, booked, booked_on, households, exited, links
):
    with rolled_back():
        data = asset_input(
            formed_on=formed_on, booked=booked, booked_on=booked_on,
            beneficiary_households=households, beneficiary_exited_households=exited,
            beneficiary_monitored_households=0, benefit_links=links,
        )  # fmt: skip
        asset, errors = attempt(lambda: asset_register(actor=actors[who], data=data))
        reasons = []
        if formed_on > today() or formed_on.year < 2012:
            reasons.append("formed_on")
        if booked_on is not None and booked_on > today():
            reasons.append("booked_on")  # a fact dated in the future
        if not 0 <= households <= 2**31 - 1:
            reasons.append("beneficiary_households")
        if not 0 <= exited <= 2**31 - 1 or exited > households:
            reasons.append("beneficiary_exited_households")
        if set(links) - {"dividend", "employment", "land_transfer"}:
            reasons.append("benefit_links")
        if reasons:
            expect_refused(errors, reasons)
        elif booked_on is None or (booked and formed_on <= booked_on):
            assert errors is None, f"plain particulars refused: {errors}"
        if errors is None:
            row = stored(asset)
            assert row["formed_on"] == formed_on and row["booked_on"] == booked_on
            assert row["fund_era"] == ("assistance" if formed_on.year >= 2021 else "alleviation")
            assert row["code"][6:10] == f"{formed_on.year:04d}"
            assert row["beneficiary_households"] == households
            assert row["beneficiary_exited_households"] == exited
            assert rule_problems(row) == []


def assert_kept_geometry(asset: Asset, given: GEOSGeometry, township_shape: GEOSGeometry) -> None:
    """An accepted geometry is stored as given, drawable, valid and inside the township."""
    kept = Asset.objects.get(pk=asset.pk).geom
    assert kept is not None and kept.srid == 4490
    shape = shapely.from_wkb(bytes(kept.wkb))
    geometry.check(shape)  # raises GeometryRefused: a stored shape the register refuses
    assert shape.equals_exact(shapely.from_wkb(bytes(given.wkb)), 0), (kept.wkt, given.wkt)
    assert township_shape.covers(kept), kept.wkt


@settings(max_examples=examples(80), **CASES)
@given(who=EDITORS, shape=shapes(), srid=SRIDS)
def test_asset_register_keeps_a_drawable_geometry_or_names_geom(
    actors, base, township_shape, who, shape, srid
):
    geom = geos(shape, base, srid)
    if has_empty_part(geom):
        assert_rule_refuses(geom)
        return
    given_geom = geom.clone()
    with rolled_back():
        asset, errors = attempt(
            lambda: asset_register(actor=actors[who], data=asset_input(geom=geom))
        )
        if srid not in (None, 0, 4490, 4326):  # GEOS reads SRID 0 as none
            expect_refused(errors, ["geom"])
        if errors is None:
            assert_kept_geometry(asset, given_geom, township_shape)
        else:
            assert list(errors) == ["geom"], errors


@settings(max_examples=examples(2), **CASES)
@given(vertices=st.sampled_from([geometry.MAX_VERTICES, geometry.MAX_VERTICES + 1]))
def test_huge_vertex_counts_are_kept_whole_or_refused(county_manager, base, vertices):
    x, y = base
    step = 0.002 / vertices
    line = shapely.LineString([(x + i * step, y + (i % 2) * 1e-6) for i in range(vertices)])
    with rolled_back():
        try:
            geom = geometry.parse(shapely.to_geojson(line))  # as the form reads it
        except geometry.GeometryRefused:
            assert vertices > geometry.MAX_VERTICES
            geom = GEOSGeometry(memoryview(shapely.to_wkb(line)), srid=4490)  # past the form
        asset, errors = attempt(
            lambda: asset_register(actor=county_manager, data=asset_input(geom=geom))
        )
        if vertices > geometry.MAX_VERTICES:
            expect_refused(errors, ["geom"])
        else:
            assert errors is None, errors
            assert Asset.objects.get(pk=asset.pk).geom.num_coords == vertices


UPDATABLE = st.fixed_dictionaries(
    {},
    optional={
        "name": texts,
        "unit": texts,
        "original_value": money,
        "quantity": money,
        "formed_on": dates,
        "booked_on": st.one_of(st.none(), dates),
        "beneficiary_households": counts,
        "area": st.sampled_from(["own", YUHE, OUTSIDE, TOWNSHIP, "500101000000"]),
        "geom": st.tuples(shapes(), SRIDS),
        "code": texts,
        "status": texts,
        "version": counts,
    },
)


@settings(max_examples=examples(60), **CASES)
@given(
    who=ANYONE,
    changes=UPDATABLE,
    version_offset=st.sampled_from([0, 0, 0, 1, -1, 2**31, -(2**31), 10**20]),
    funding=st.dictionaries(st.sampled_from(["central_bridging", "county"]), money, max_size=1),
)
def test_asset_update_changes_exactly_what_was_asked_or_nothing(
    actors, road, base, township_shape, who, changes, version_offset, funding
):
    changes = dict(changes)
    if "area" in changes:
        changes["area"] = village() if changes["area"] == "own" else village(changes["area"])
    if "geom" in changes:
        changes["geom"] = geos(changes["geom"][0], base, changes["geom"][1])
        if has_empty_part(changes["geom"]):
            assert_rule_refuses(changes["geom"])
            return
    given_geom = changes["geom"].clone() if "geom" in changes else None
    expected_version = road.version + version_offset
    with rolled_back():
        before = stored(road)
        _asset, errors = attempt(
            lambda: asset_update(
                actor=actors[who], asset=road, expected_version=expected_version,
                data=AssetInput(values=changes, funding=funding),
            ),
            road,
        )  # fmt: skip
        if version_offset != 0:
            expect_any_refusal(errors, "the version is stale")
        if who == "planner":
            expect_any_refusal(errors, "a reader may not write")
        reasons = []
        if "formed_on" in changes and changes["formed_on"] > today():
            reasons.append("formed_on")
        if changes.get("booked_on") and changes["booked_on"] > today():
            reasons.append("booked_on")  # a booking dated in the future
        if reasons:
            # Other changes of the example may be wrong too: name the field only if it is alone.
            alone = len(set(changes) - {"code", "status", "version"}) == 1 and not any(
                unfit(amount, 16, 2) for amount in funding.values()
            )
            expect_refused(errors, reasons, named=alone)
        if errors is None:
            row = stored(road)
            assert row["version"] == before["version"] + 1
            assert row["code"] == before["code"] and row["status"] == before["status"]
            for name, value in changes.items():
                if name == "area":
                    assert row["area_id"] == value.pk and row["area_code"] == value.code
                elif name == "geom":
                    assert_kept_geometry(road, given_geom, township_shape)
                elif name not in ("code", "status", "version"):
                    assert (
                        kept_text(row[name], value)
                        if isinstance(value, str)
                        else same(row[name], value)
                    ), (name, row[name], value)
            assert rule_problems(row) == []


@settings(max_examples=examples(40), **CASES)
@given(
    who=ANYONE,
    status=choice_or_junk(AssetStatus.values),
    version_offset=st.sampled_from([0, 0, 1, -1, 10**20]),
)
def test_asset_set_status_moves_only_between_everyday_conditions(
    actors, road, who, status, version_offset
):
    with rolled_back():
        _asset, errors = attempt(
            lambda: asset_set_status(
                actor=actors[who], asset=road, status=status,
                expected_version=road.version + version_offset,
            ),
            road,
        )  # fmt: skip
        if status not in ("in_use", "idle", "damaged", "consumed"):
            expect_any_refusal(errors, f"{status!r} is no everyday condition")
        if version_offset:
            expect_any_refusal(errors, "the version is stale")
        if errors is None:
            row = stored(road)
            assert row["status"] == status and row["version"] == road.version + 1


# --- ownership, handover, operation ---------------------------------------------------------------


@settings(max_examples=examples(80), **CASES)
@given(
    who=EDITORS,
    owners=st.lists(st.sampled_from(PARTIES), max_size=4),
    shares=percents(),
    effective_on=dates,
    basis=st.one_of(st.just("确权登记表"), texts),
    certificate_no=st.one_of(st.just(""), texts),
)
def test_ownership_confirm_records_shares_adding_to_100_exactly_or_nothing(
    actors, road, parties, who, owners, shares, effective_on, basis, certificate_no
):
    pairs = [(parties[p], s) for p, s in zip(owners, shares, strict=False)]
    actor = actors[who]
    with rolled_back():
        record, errors = attempt(
            lambda: ownership_confirm(
                actor=actor, asset=road, shares=pairs, effective_on=effective_on, basis=basis,
                certificate_no=certificate_no,
            ),
            road,
        )  # fmt: skip
        percents_ = [s for _p, s in pairs]
        reasons = []
        if (
            not pairs
            or len({p.pk for p, _s in pairs}) != len(pairs)
            or any(unfit(s, 6, 3) or s <= 0 or s > 100 for s in percents_)  # numeric(6, 3)
            or sum(percents_, Decimal(0)) != 100
        ):
            reasons.append("shares")
        if set(owners[: len(pairs)]) - OWN_PARTIES[who]:
            reasons.append("shares")
        if not basis.strip():
            reasons.append("basis")
        if effective_on > today():
            reasons.append("effective_on")  # a future confirmation must not become current
        if reasons:
            expect_refused(errors, reasons)
        elif (
            all(s.as_tuple().exponent >= -3 for s in percents_)
            and plain(basis, 200)
            and (certificate_no == "" or plain(certificate_no, 60))
            and road.formed_on <= effective_on
        ):
            assert errors is None, f"a plain confirmation refused: {errors}"
        if errors is None:
            record.refresh_from_db()
            assert record.effective_on == effective_on and kept_text(record.basis, basis)
            assert kept_text(record.certificate_no, certificate_no)
            kept = dict(record.shares.values_list("party_id", "percent"))
            assert set(kept) == {p.pk for p, _s in pairs}
            for party, share in pairs:
                assert same(kept[party.pk], share), (kept[party.pk], share)
            assert sum(kept.values()) == 100
            row = asset_list(user=actor).get(pk=road.pk)
            assert row.status == "confirmed"
            assert set(row.owner_names.split("、")) == {p.name for p, _s in pairs}


@settings(max_examples=examples(60), **CASES)
@given(
    who=EDITORS,
    giver=st.sampled_from(PARTIES),
    taker=st.sampled_from(PARTIES),
    supervisor=st.one_of(st.none(), st.sampled_from(PARTIES)),
    handed_on=dates,
    items=st.one_of(st.just("道路 2.5 公里及竣工资料"), texts),
)
def test_asset_hand_over_makes_the_receiver_sole_owner_or_changes_nothing(
    actors, road, parties, who, giver, taker, supervisor, handed_on, items
):
    actor = actors[who]
    with rolled_back():
        handover, errors = attempt(
            lambda: asset_hand_over(
                actor=actor, asset=road, from_party=parties[giver], to_party=parties[taker],
                supervisor=parties[supervisor] if supervisor else None, handed_on=handed_on,
                items=items,
            ),
            road,
        )  # fmt: skip
        reasons = []
        if giver == taker:
            reasons.append("to_party")
        if {giver, taker, supervisor or giver} - OWN_PARTIES[who]:
            reasons.append("to_party")
        if not items.strip():
            reasons.append("items")
        if handed_on > today():
            reasons.append("handed_on")  # a handover dated in the future
        if reasons:
            expect_refused(errors, reasons)
        elif (
            plain(items, 10_000)
            and road.formed_on <= handed_on
            and supervisor not in (giver, taker)
        ):
            assert errors is None, f"a plain handover refused: {errors}"
        if errors is None:
            handover.refresh_from_db()
            assert kept_text(handover.items, items) and handover.handed_on == handed_on
            record = handover.ownership_record
            assert record.effective_on == handed_on
            assert list(record.shares.values_list("party_id", "percent")) == [
                (parties[taker].pk, Decimal(100))
            ]
            row = asset_list(user=actor).get(pk=road.pk)
            assert row.status == "handed_over" and row.owner_names == parties[taker].name


@settings(max_examples=examples(50), **CASES)
@given(
    who=EDITORS,
    operating=st.booleans(),
    operator=st.sampled_from(PARTIES),
    mode=choice_or_junk(OperatingMode.values),
    starts_on=dates,
    ends_on=st.one_of(st.none(), dates),
    income=money,
)
def test_operation_contract_add_keeps_the_terms_or_nothing(
    actors, road, pv_station, parties, who, operating, operator, mode, starts_on, ends_on, income
):
    asset = pv_station if operating else road
    with rolled_back():
        contract, errors = attempt(
            lambda: operation_contract_add(
                actor=actors[who], asset=asset, operator=parties[operator], mode=mode,
                starts_on=starts_on, ends_on=ends_on, guaranteed_income=income,
            ),
            asset,
        )  # fmt: skip
        reasons = []
        if not operating:
            reasons.append("operator")
        if operator not in OWN_PARTIES[who]:
            reasons.append("operator")
        if mode not in OperatingMode.values:
            reasons.append("mode")
        if ends_on is not None and ends_on < starts_on:
            reasons.append("ends_on")
        if unfit(income, 14, 2):
            reasons.append("guaranteed_income")
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            kept = OperationContract.objects.get(pk=contract.pk)
            assert kept.mode == mode and kept.operator_id == parties[operator].pk
            assert kept.starts_on == starts_on and kept.ends_on == ends_on
            assert same(kept.guaranteed_income, income), (kept.guaranteed_income, income)


# --- maintenance --------------------------------------------------------------------------------


@settings(max_examples=examples(50), **CASES)
@given(
    who=EDITORS,
    maintainer=st.sampled_from(PARTIES),
    person=st.one_of(st.just("张三"), texts),
    phone=st.one_of(st.just("13800000000"), texts),
    duties=st.one_of(st.just("日常巡查"), texts),
    funding_source=st.one_of(st.just("村集体"), texts),
    interval=st.one_of(st.integers(-2, 400), st.sampled_from([32767, 32768, 2**31]), counts),
    starts_on=dates,
    ends_on=st.one_of(st.none(), dates),
    posted_on=st.one_of(st.none(), dates),
)
def test_maintenance_assign_keeps_the_duty_or_nothing(
    actors, road, parties, who, maintainer, person, phone, duties, funding_source, interval,
    starts_on, ends_on, posted_on,
):  # fmt: skip
    actor = actors[who]
    with rolled_back():
        duty, errors = attempt(
            lambda: maintenance_assign(
                actor=actor, asset=road, maintainer=parties[maintainer],
                responsible_person=person, responsible_phone=phone, duties=duties,
                funding_source=funding_source, inspection_interval_days=interval,
                starts_on=starts_on, ends_on=ends_on, posted_on=posted_on,
            ),
            road,
        )  # fmt: skip
        reasons = []
        if maintainer not in OWN_PARTIES[who]:
            reasons.append("maintainer")
        if posted_on is not None and posted_on > today():
            reasons.append("posted_on")  # a posting dated in the future
        if ends_on is not None and ends_on < starts_on:
            reasons.append("ends_on")
        if not 1 <= interval <= 32767:
            reasons.append("inspection_interval_days")
        for name, value, limit in (("responsible_person", person, 50),
                                   ("responsible_phone", phone, 20),
                                   ("funding_source", funding_source, 100)):  # fmt: skip
            if not value.strip() or len(value.strip()) > limit:
                reasons.append(name)
        if not duties.strip():
            reasons.append("duties")
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            kept = MaintenanceDuty.objects.get(pk=duty.pk)
            assert kept.responsible_person == person.strip()
            assert kept.responsible_phone == phone.strip()
            assert kept.duties == duties.strip()
            assert kept.funding_source == funding_source.strip()
            assert (kept.starts_on, kept.ends_on, kept.posted_on) == (starts_on, ends_on, posted_on)
            row = asset_list(user=actor).get(pk=road.pk)  # the register's page still computes
            in_force = starts_on <= today() and (ends_on is None or ends_on >= today())
            assert row.maintainer_name == (parties[maintainer].name if in_force else None)


def upload_name(name: str) -> str:
    """The file name as Django's multipart parser hands it over (sanitize_file_name)."""
    name = html.unescape(name).rsplit("/")[-1].rsplit("\\")[-1]
    name = "".join(c for c in name if c.isprintable())
    return "photo.jpg" if name in {"", ".", ".."} else name


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
uploads = st.tuples(
    st.sampled_from(["jpeg", "png", "junk", "empty"]), st.one_of(st.just("photo.jpg"), texts)
)
locations = st.one_of(
    st.none(),
    st.tuples(st.floats(73, 136), st.floats(3, 54)),
    st.tuples(st.floats(), st.floats()),
    st.tuples(st.floats(100, 110), st.floats(25, 35), st.floats(-10, 1000)),  # with a height
)


@settings(max_examples=examples(60), **CASES)
@given(
    who=EDITORS,
    kind=choice_or_junk(MaintenanceKind.values),
    performed_on=dates,
    result=choice_or_junk(InspectionResult.values),
    findings=texts,
    cost=money,
    location=locations,
    accuracy=st.one_of(st.none(), st.floats(0, 100), st.floats()),
    photos=st.lists(uploads, max_size=2),
)
def test_maintenance_log_add_keeps_the_log_and_its_photos_or_nothing(
    actors, road, who, kind, performed_on, result, findings, cost, location, accuracy, photos
):
    files = [
        SimpleUploadedFile(
            upload_name(name), {"jpeg": JPEG, "png": PNG, "junk": b"<html>", "empty": b""}[k]
        )
        for k, name in photos
    ]
    point = Point(*location, srid=4490) if location else None
    with rolled_back():
        log, errors = attempt(
            lambda: maintenance_log_add(
                actor=actors[who], asset=road, kind=kind, performed_on=performed_on,
                result=result, findings=findings, cost=cost, location=point,
                location_accuracy_m=accuracy, photos=files,
            ),
            road,
        )  # fmt: skip
        reasons = []
        if performed_on > today():
            reasons.append("performed_on")
        if kind not in MaintenanceKind.values:
            reasons.append("kind")
        if result not in InspectionResult.values:
            reasons.append("result")
        if unfit(cost, 12, 2):
            reasons.append("cost")
        if location and not (73 <= location[0] <= 136 and 3 <= location[1] <= 54):
            reasons.append("location")
        if any(k in ("junk", "empty") for k, _name in photos):
            reasons.append("photos")
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            kept = MaintenanceLog.objects.get(pk=log.pk)
            assert (kept.kind, kept.result, kept.performed_on) == (kind, result, performed_on)
            assert kept.findings == findings.strip()
            assert same(kept.cost, cost), (kept.cost, cost)
            assert (kept.location is None) == (location is None)
            if location:
                assert kept.location.coords == tuple(location[:2])
            # A GPS accuracy is a distance: NaN, infinite or negative metres corrupt the log.
            assert accuracy is None or (math.isfinite(accuracy) and accuracy >= 0), accuracy
            assert kept.location_accuracy_m == accuracy
            assert Attachment.objects.filter(maintenance_log=kept).count() == len(photos)
            status = stored(road)["status"]
            if result in ("needs_repair", "damaged"):
                assert status == "damaged"


# --- income and its distribution ----------------------------------------------------------------


@settings(max_examples=examples(60), **CASES)
@given(
    who=EDITORS,
    operating=st.sampled_from([True, True, True, False]),
    period_start=dates,
    length=st.one_of(st.integers(-5, 400), st.just(0)),
    gross=money,
    costs=money,
    account=st.one_of(st.just(""), texts),
)
def test_income_record_add_keeps_the_amounts_exactly_or_nothing(
    actors, road, pv_station, who, operating, period_start, length, gross, costs, account
):
    asset = pv_station if operating else road
    try:
        period_end = period_start + datetime.timedelta(days=length)
    except OverflowError:
        period_end = datetime.date.max
    with rolled_back():
        record, errors = attempt(
            lambda: income_record_add(
                actor=actors[who], asset=asset, period_start=period_start,
                period_end=period_end, gross=gross, costs=costs, account=account,
            ),
            asset,
        )  # fmt: skip
        reasons = []
        if not operating:
            reasons.append("__all__")  # no field to name: the asset is not an operating one
        if period_end < period_start:
            reasons.append("period_end")
        if unfit(gross, 14, 2):
            reasons.append("gross")
        if unfit(costs, 14, 2) or (not (gross.is_nan() or costs.is_nan()) and costs > gross):
            reasons.append("costs")
        if period_end > today():
            reasons.append("period_end")  # income not yet earned
        if len(account) > 100 or "\x00" in account:
            reasons.append("account")
        if reasons:
            expect_refused(errors, reasons)
        elif (
            gross.as_tuple().exponent >= -2
            and costs.as_tuple().exponent >= -2
            and gross < 10**12
            and (account == "" or plain(account, 100))
            and period_start >= asset.formed_on
        ):
            assert errors is None, f"plain income refused: {errors}"
        if errors is None:
            kept = IncomeRecord.objects.get(pk=record.pk)
            assert (kept.period_start, kept.period_end) == (period_start, period_end)
            assert same(kept.gross, gross) and same(kept.costs, costs), (kept.gross, kept.costs)
            assert kept_text(kept.account, account)


@settings(max_examples=examples(60), **CASES)
@given(
    who=EDITORS,
    year=st.one_of(st.integers(2012, 2030), st.sampled_from([-1, 0, 32767, 32768, 70000]), counts),
    total=money,
    lines=st.dictionaries(choice_or_junk(AllocationUse.values), money, max_size=4),
    exact=st.booleans(),
    resolution=st.one_of(st.just(""), texts),
)
def test_distribution_plan_create_adds_up_or_changes_nothing(
    actors, pv_station, who, year, total, lines, exact, resolution
):
    if exact and all(a.is_finite() for a in lines.values()):
        total = sum(lines.values(), Decimal(0))  # lines that do add up to the total
    with rolled_back():
        plan, errors = attempt(
            lambda: distribution_plan_create(
                actor=actors[who], asset=pv_station, year=year, total=total, lines=lines,
                resolution=resolution,
            ),
            pv_station,
        )  # fmt: skip
        reasons = []
        amounts = list(lines.values())
        if (
            set(lines) - set(AllocationUse.values)
            or any(unfit(a, 14, 2) for a in amounts)
            or not total.is_finite()
            or sum(amounts, Decimal(0)) != total
        ):
            reasons.append("lines")
        if unfit(total, 14, 2):
            reasons.append("total")
        if not 0 <= year <= 32767:
            reasons.append("year")
        if len(resolution) > 200 or "\x00" in resolution:
            reasons.append("resolution")
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            kept = DistributionPlan.objects.get(pk=plan.pk)
            assert kept.year == year and kept_text(kept.resolution, resolution)
            assert same(kept.total, total), (kept.total, total)
            stored_lines = dict(kept.lines.values_list("use", "amount"))
            wanted = {use: amount for use, amount in lines.items() if amount > 0}
            assert set(stored_lines) == set(wanted)
            for use, amount in wanted.items():
                assert same(stored_lines[use], amount), (use, stored_lines[use], amount)
            assert kept.per_capita_cash_only == is_per_capita_cash_only(lines)


STEPPERS = ["village_clerk", "township_manager", "county_approver"]


@settings(max_examples=examples(40), **CASES)
@given(
    steps_before=st.integers(0, 3),
    who=ANYONE,
    version_offset=st.sampled_from([0, 0, 0, 1, -1, 10**20]),
    resolution=st.one_of(st.just(""), st.just("村民代表大会决议"), texts),
)
def test_distribution_plan_advance_moves_one_step_or_nothing(
    actors, pv_station, county_manager, steps_before, who, version_offset, resolution
):
    with rolled_back():
        plan = distribution_plan_create(
            actor=county_manager, asset=pv_station, year=2024, total=Decimal(100),
            lines={"public_works": Decimal(60), "households": Decimal(40)},
        )  # fmt: skip
        for step in range(steps_before):
            plan = distribution_plan_advance(
                actor=actors[STEPPERS[step]], plan=plan, expected_version=plan.version,
                resolution="村民代表大会决议" if step == 0 else "",
            )  # fmt: skip
        before = DistributionPlan.objects.get(pk=plan.pk)
        _plan, errors = attempt(
            lambda: distribution_plan_advance(
                actor=actors[who], plan=plan, expected_version=plan.version + version_offset,
                resolution=resolution,
            ),
            plan,
            pv_station,
        )  # fmt: skip
        allowed = plan_can_advance(actor=actors[who], plan=before)
        if steps_before == 3:
            expect_refused(errors, ["__all__"])
        if version_offset or not allowed:
            expect_any_refusal(errors, "a stale version or the wrong level")
        elif len(resolution) > 200:
            expect_refused(errors, ["resolution"])
        if errors is None:
            kept = DistributionPlan.objects.get(pk=plan.pk)
            order = list(PlanStatus.values)
            assert order.index(kept.status) == order.index(before.status) + 1
            assert kept.version == before.version + 1
            assert kept_text(kept.resolution, resolution or before.resolution)
            assert kept.resolution.strip() or kept.status != "village_resolved"


# --- disposal -----------------------------------------------------------------------------------


def approved_request(asset: Asset, actors: dict[str, User]) -> DisposalRequest:
    request = disposal_request(
        actor=actors["county_manager"], asset=asset, reason="end_of_life", method="scrap",
        book_value=Decimal("1000.00"), explanation="道路损毁",
    )  # fmt: skip
    deciders = {"township": actors["township_manager"], "county": actors["county_approver"]}
    while (level := disposal_pending_level(request)) is not None:
        request = disposal_decide(actor=deciders[level], request=request, approved=True)
    return request


@settings(max_examples=examples(50), **CASES)
@given(
    who=EDITORS,
    reason=choice_or_junk(DisposalReason.values),
    method=choice_or_junk(DisposalMethod.values),
    book_value=money,
    explanation=st.one_of(st.just("道路损毁"), texts),
)
def test_disposal_request_keeps_the_request_or_nothing(
    actors, road, who, reason, method, book_value, explanation
):
    with rolled_back():
        request, errors = attempt(
            lambda: disposal_request(
                actor=actors[who], asset=road, reason=reason, method=method,
                book_value=book_value, explanation=explanation,
            ),
            road,
        )  # fmt: skip
        reasons = []
        if reason not in DisposalReason.values:
            reasons.append("reason")
        if method not in DisposalMethod.values:
            reasons.append("method")
        if unfit(book_value, 16, 2):
            reasons.append("book_value")
        if not explanation.strip():
            reasons.append("explanation")
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            kept = DisposalRequest.objects.get(pk=request.pk)
            assert (kept.reason, kept.method) == (reason, method)
            assert same(kept.book_value, book_value), (kept.book_value, book_value)
            assert kept.explanation == explanation.strip()
            assert kept.required_level == required_level(book_value)
            assert stored(road)["status"] == "disposal_pending"


@settings(max_examples=examples(30), **CASES)
@given(who=ANYONE, approved=st.booleans(), comment=st.one_of(st.just(""), texts))
def test_disposal_decide_records_one_decision_or_nothing(
    actors, road, county_manager, who, approved, comment
):
    with rolled_back():
        request = disposal_request(
            actor=county_manager, asset=road, reason="end_of_life", method="scrap",
            book_value=Decimal("1000.00"), explanation="道路损毁",
        )  # fmt: skip
        may_decide = disposal_can_decide(actor=actors[who], request=request)
        _request, errors = attempt(
            lambda: disposal_decide(
                actor=actors[who], request=request, approved=approved, comment=comment
            ),
            request,
            road,
        )
        if not may_decide:
            expect_any_refusal(errors, "another level decides")
        elif not approved and not comment.strip():
            expect_refused(errors, ["comment"])
        if errors is None:
            approval = DisposalApproval.objects.get(request=request)
            assert approval.approved == approved and approval.comment == comment
            kept = DisposalRequest.objects.get(pk=request.pk)
            if not approved:
                assert kept.status == DisposalStatus.REJECTED
                assert stored(road)["status"] == "in_use"


@settings(max_examples=examples(50), **CASES)
@given(completed_on=dates, proceeds=money, proceeds_use=st.one_of(st.just("上缴村集体"), texts))
def test_disposal_complete_keeps_the_outcome_exactly_or_nothing(
    actors, road, completed_on, proceeds, proceeds_use
):
    with rolled_back():
        request = approved_request(road, actors)
        _request, errors = attempt(
            lambda: disposal_complete(
                actor=actors["county_manager"], request=request, completed_on=completed_on,
                proceeds=proceeds, proceeds_use=proceeds_use,
            ),
            request,
            road,
        )  # fmt: skip
        reasons = []
        if unfit(proceeds, 16, 2):
            reasons.append("proceeds")
        elif proceeds > 0 and not proceeds_use.strip():
            reasons.append("proceeds_use")
        if len(proceeds_use.strip()) > 200:
            reasons.append("proceeds_use")
        if completed_on > today():
            reasons.append("completed_on")  # an outcome dated in the future
        if completed_on < request.requested_on:
            reasons.append("completed_on")  # completed before it was even requested
        if reasons:
            expect_refused(errors, reasons)
        if errors is None:
            kept = DisposalRequest.objects.get(pk=request.pk)
            assert kept.status == DisposalStatus.COMPLETED and kept.completed_on == completed_on
            assert same(kept.proceeds, proceeds), (kept.proceeds, proceeds)
            assert kept.proceeds_use == proceeds_use.strip()
            assert stored(road)["status"] == "disposed"


# --- public notices -----------------------------------------------------------------------------


@settings(max_examples=examples(40), **CASES)
@given(
    who=EDITORS,
    subject=choice_or_junk(NoticeSubject.values),
    channel=choice_or_junk(NoticeChannel.values),
    starts_on=dates,
    ends_on=dates,
    content=texts,
    objections=texts,
    resolution=texts,
)
def test_notices_keep_what_was_posted_and_objected_or_nothing(
    actors, road, who, subject, channel, starts_on, ends_on, content, objections, resolution
):
    actor = actors[who]
    with rolled_back():
        notice, errors = attempt(
            lambda: notice_post(
                actor=actor, asset=road, subject=subject, channel=channel,
                starts_on=starts_on, ends_on=ends_on, content=content,
            ),
            road,
        )  # fmt: skip
        reasons = []
        if subject not in NoticeSubject.values:
            reasons.append("subject")
        if channel not in NoticeChannel.values:
            reasons.append("channel")
        if ends_on < starts_on:
            reasons.append("ends_on")
        if reasons:
            expect_refused(errors, reasons)
        if errors is not None:
            return
        kept = PublicNotice.objects.get(pk=notice.pk)
        assert (kept.subject, kept.channel) == (subject, channel) and kept_text(
            kept.content, content
        )
        assert (kept.starts_on, kept.ends_on) == (starts_on, ends_on)
        _, errors = attempt(
            lambda: notice_record_objections(
                actor=actor, notice=notice, objections=objections, resolution=resolution
            ),
            kept,
        )
        if errors is None:
            kept.refresh_from_db()
            assert kept_text(kept.objections, objections)
            assert kept_text(kept.resolution, resolution)


# --- geometry text ------------------------------------------------------------------------------


@settings(max_examples=examples(300), **CASES)
@given(text=geometry_texts())
def test_parse_returns_a_drawable_geometry_or_refuses_it_in_both_languages(text):
    try:
        geom = geometry.parse(text)
    except geometry.GeometryRefused as exc:
        message = bilingual(exc.message, **exc.params)  # as field_error words it
        assert is_bilingual(message), message
        return
    assert geom.srid == 4490
    geometry.check_geos(geom, valid=False)
    assert not has_empty_part(geom), f"{geom.wkt} would crash PostgreSQL when stored"


# --- import cells -------------------------------------------------------------------------------


def blank_row() -> importers.Row:
    return importers.Row("2", {})


def problem_of(row: importers.Row, key: str) -> None:
    """The cell's problem: one, on its column, worded in both languages."""
    assert len(row.problems) == 1, row.problems
    problem = row.problems[0]
    assert problem.column == importers.HEADERS.get(key, key)
    assert is_bilingual(problem.message), problem.message


@settings(max_examples=examples(300), **CASES)
@given(key=st.sampled_from(sorted(importers.NUMBER_LIMITS)), value=cells)
def test_decimal_cells_give_a_number_that_fits_or_a_problem(key, value):
    row = blank_row()
    number = import_cells._decimal(row, key, value)
    if number is None:
        problem_of(row, key)
        return
    digits, places = importers.NUMBER_LIMITS[key]
    assert not row.problems
    assert number.is_finite() and number >= 0
    assert number.as_tuple().exponent == -places
    assert len(number.as_tuple().digits) <= digits
    assert number == Decimal(str(value).strip().replace(",", "").replace("，", ""))


@settings(max_examples=examples(300), **CASES)
@given(key=st.sampled_from(importers.INTEGERS), value=cells)
def test_integer_cells_give_a_count_or_a_problem(key, value):
    row = blank_row()
    number = import_cells._integer(row, key, value)
    if number is None:
        problem_of(row, key)
        return
    assert not row.problems
    assert type(number) is int and 0 <= number <= 2**31 - 1


@settings(max_examples=examples(300), **CASES)
@given(value=cells)
def test_date_cells_give_a_date_or_a_problem(value):
    row = blank_row()
    day = import_cells._date(row, "formed_on", value)
    if day is None:
        problem_of(row, "formed_on")
        return
    assert not row.problems
    assert type(day) is datetime.date


@settings(max_examples=examples(300), **CASES)
@given(key=st.sampled_from(["asset_class", "subtype", "form"]), value=cells)
def test_choice_cells_give_a_known_code_or_a_problem(key, value):
    row = blank_row()
    code = import_cells._choice(row, key, value)
    if code is None:
        problem_of(row, key)
        return
    assert not row.problems
    assert code in importers.LABELS[key]


@settings(max_examples=examples(300), **CASES)
@given(key=st.sampled_from(["name", "unit", "address"]), value=cells)
def test_text_cells_keep_formula_like_text_as_text(key, value):
    """Issue 18: text that looks like a formula is kept as the text it is (the form keeps it;
    exports neutralise it); only a NUL character, which PostgreSQL cannot hold, is a problem."""
    row = blank_row()
    text = import_cells._text(row, key, value)
    assert isinstance(text, str) and text == text.strip()
    if row.problems:
        problem_of(row, key)
        assert "\x00" in str(value)
    else:
        assert "\x00" not in text


@settings(max_examples=examples(200), **CASES)
@given(key=st.sampled_from(["name", "unit", "address"]), text=texts)
def test_text_the_register_keeps_comes_back_from_its_own_export(key, text):
    """README: exporting and importing the same file changes nothing. What the register holds
    (any text its services accept) goes out through neutralise() and must come back as it was."""
    text = text.strip()  # as a form field hands it over
    if not (text and text.isprintable() and len(text) <= (TEXT_LIMITS[key] or 0)):
        return
    row = blank_row()
    back = import_cells._text(row, key, neutralise(text))
    assert not row.problems, (text, row.problems)
    assert back == text


# --- import rows through the checker and the bulk writer ----------------------------------------


@pytest.fixture
def checkers(county_manager, village_clerk) -> dict[str, importers.Checker]:
    return {
        "county_manager": importers.Checker(county_manager),
        "village_clerk": importers.Checker(village_clerk),
    }


ROW_KEYS = ["code", "name", "asset_class", "subtype", "form", "area_code", "original_value",
            "quantity", "unit", "formed_on", "beneficiary_households",
            "beneficiary_exited_households", "booked", "address"]  # fmt: skip


@settings(max_examples=examples(120), **CASES)
@given(
    who=st.sampled_from(["county_manager", "village_clerk"]),
    wild=st.one_of(
        st.dictionaries(st.sampled_from(ROW_KEYS), cells, max_size=2),
        st.dictionaries(st.sampled_from(["code", "name", "unit", "address"]), texts, min_size=1),
    ),
    code=st.sampled_from(["none", "none", "road", "other"]),
    shape=st.one_of(st.none(), shapes()),
)
def test_import_rows_are_written_as_checked_or_reported(
    actors, checkers, road, base, township_shape, who, wild, code, shape
):
    cells_ = {
        "name": "向东村产业路", "asset_class": "公益性", "subtype": "road", "form": "fixed",
        "area_code": village().code, "original_value": "1200.50", "quantity": "3",
        "unit": "km", "formed_on": "2023-04-01", "beneficiary_households": 10,
        "beneficiary_exited_households": 2, "booked": "否", "address": "二组",
        "code": {"none": None, "road": road.code, "other": "5001012099200001"}[code],
    }  # fmt: skip
    cells_.update(wild)
    geom = None
    if shape is not None:
        try:
            geom = shapely.from_wkt(wkt(shape, base))
        except shapely.errors.ShapelyError:
            geom = None
    row = importers.Row("2", cells_, geom)
    checker = checkers[who]
    checker.seen_codes.clear()
    with rolled_back(), pghistory.context(user=actors[who].pk, command="import"):
        before = snapshot(road)
        checked = checker.check([row], set(cells_))
        ((_row, action, values),) = checked
        if action in ("create", "update"):
            # A row the checker passes must be storable: PostgreSQL text holds no NUL, and a
            # shape with an empty part crashes the server (has_empty_part): neither is written.
            nul = [name for name, value in values.items() if "\x00" in str(value)]
            assert not nul, f"the checker passed a NUL byte in {nul}: {values}"
            assert row.geom is None or not has_empty_part(row.geom), row.geom.wkt
        write = import_run._Writer(actors[who], ImportOptions())
        write(checked, None)  # type: ignore[arg-type]
        if action in ("error", "unchanged", "duplicate"):  # a duplicate is written only if kept
            assert snapshot(road) == before
            for problem in row.problems:
                assert is_bilingual(problem.message), problem
            assert (action == "error") == bool(row.problems)
            assert action != "duplicate" or row.duplicate_of is not None
            return
        if action == "create":
            asset = Asset.objects.order_by("-id").first()
            assert asset is not None and asset.pk != road.pk and code_is_well_formed(asset)
        else:
            asset = Asset.objects.get(pk=road.pk)
        kept = stored(asset)
        for name in ("name", "asset_class", "subtype", "unit", "formed_on", "original_value",
                     "quantity", "address", "booked", "beneficiary_households"):  # fmt: skip
            if values.get(name) is not None:
                assert same(kept[name], values[name]), (name, kept[name], values[name])
        assert rule_problems(kept) == []
        assert can_edit(actors[who], kept["area_code"])
        if row.geom is not None:
            geometry.check(shapely.from_wkb(bytes(asset.geom.wkb)))
            assert township_shape.covers(asset.geom)
