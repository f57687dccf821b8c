"""Import of relocation sites (易地扶贫搬迁安置点) from Excel, CSV or a GeoPackage.

The file is read by the site ledger's own headers (registry.ledgers.SITES: its Chinese headers,
keys, Shapefile names and the names 易地扶贫搬迁 ledgers commonly use), so that an export of the
site list comes back unchanged. A site's position is its 经度/纬度 columns or, in a GeoPackage,
its geometry: a polygon is its outline (the point then defaults to a point inside it), a point
its position. Each row is checked by the site services themselves (registry.services.sites:
site_create for a row without a code, site_update for one that names a site), each in a
savepoint: the preview runs them and undoes everything, so what it counts is exactly what the
commit writes; the commit runs them again and keeps the result only when no row has a problem
(all or nothing). Every problem names its row, its column and the reason in Chinese and English.

A user imports only into their area: the village a row names must be one they may edit, and a
row that names a site by code finds only the sites they see.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.utils.translation import gettext_noop

from registry import ledgers
from registry.choices import AreaLevel
from registry.errors import ConflictError, ValidationError
from registry.models import AdminArea, RelocationSite, User
from registry.selectors.sites import site_scope
from registry.services import sites as services
from transfer.importers.cells import _blank, _date, _float, _integer, _text, choice_lookup
from transfer.importers.ledger_files import (
    Areas,
    Each,
    LedgerOutcome,
    Progress,
    Undo,
    all_or_nothing,
    allowed,
    cell_text,
    check_rows,
    header_map,
    open_ledger_file,
    undone,
)
from transfer.importers.rows import ImportRefused, Row, RowOutcome

GIS_FORMATS = {"gpkg", "geojson", "shp"}
TABLE_FORMATS = {"xlsx", "csv"}
AREA_KEYS = ("township", "village", "area_code")
# Where a service's error on a field is shown: the column that states it.
FIELD_COLUMNS = {"area": "area_code", "point": "lon", "community": "community_code"}
# Words counties write for a placement type or a 拆旧复垦 status besides our labels (a label's
# part after "：" and without a final 安置 is accepted too: 中心村, 插花).
SYNONYMS: dict[str, dict[str, str]] = {
    "site_type": {"县城": "county_town", "城区": "county_town", "城镇": "county_town",
                  "场镇": "market_town", "插花": "scattered", "分散": "scattered",
                  "进城": "bought_in_town", "进城购房": "bought_in_town",
                  "投亲靠友": "with_relatives", "园区": "industrial_park"},
    "reclamation": {"未开始": "not_started", "未拆除": "not_started", "进行中": "in_progress",
                    "正在实施": "in_progress", "完成": "done", "已拆除复垦": "done",
                    "已复垦": "done", "无需": "not_applicable", "不需要": "not_applicable",
                    "无": "not_applicable"},
}  # fmt: skip
COORDINATE_TOLERANCE = 1e-6  # degrees: the six decimals an export writes (about 0.1 m)
OUTLINE_TOLERANCE = 1e-7


class SiteOutcome(LedgerOutcome):
    """What the check of a file of sites found (and, after a commit, what was written)."""


# --- the file -----------------------------------------------------------------------------------


def _header(column: Any) -> str:
    """How problems name a column: as the file names it, or by our Chinese header where the
    file uses our field name (a GeoPackage of ours names its fields by their keys)."""
    spec = column.spec
    return str(spec.header) if column.name in (spec.key, spec.shp) else str(column.name)


# --- a row's cells --------------------------------------------------------------------------


@dataclass
class Stated:
    """What a row states about a site: the model's fields, its area, its position; ``headers``
    are the columns that stated each key."""

    values: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    area: AdminArea | None = None
    area_text: dict[str, str] = field(default_factory=dict)
    lon: float | None = None
    lat: float | None = None
    geom: Any = None


class Reader:
    """Turns a row's cells into what it states, naming each cell it cannot read."""

    def __init__(self, actor: User, columns: dict[str, Any]) -> None:
        self.columns = columns
        self.areas = Areas(actor)
        self.choices = {
            c.key: _lookup(c.key, c.spec.choices)
            for c in columns.values()
            if c.spec.kind == "choice"
        }
        self.headers = {c.key: _header(c) for c in columns.values()}

    def read(self, row: Row) -> Stated:
        stated = Stated(geom=row.geom)
        for name, value in row.cells.items():
            column = self.columns.get(name)
            if column is None or _blank(value):
                continue
            key, header = column.key, self.headers[column.key]
            if key in AREA_KEYS:
                stated.area_text[key] = cell_text(value)
            elif key == "code":
                stated.code = _text(row, header, value).replace(" ", "").upper()
            elif key in ("lon", "lat"):
                number = _float(value)
                if number is None:
                    row.problem(header, gettext_noop("Not a number."))
                setattr(stated, key, number)
            elif key == "community_code":
                code = cell_text(value)
                area = self.areas.by_code.get(code)
                if area is None or area.level != AreaLevel.VILLAGE:
                    row.problem(
                        header,
                        gettext_noop("No community in your area has the code %(code)s."),
                        code=code[:20],
                    )
                stated.values["community"] = area
            else:
                parsed = self._cell(row, column, header, value)
                if parsed is not None:
                    stated.values[key] = parsed
        if (stated.lon is None) != (stated.lat is None):
            missing = "lat" if stated.lat is None else "lon"
            row.problem(
                self.headers.get(missing) or missing,
                gettext_noop("Give both the longitude and the latitude."),
            )
        return stated

    def _cell(self, row: Row, column: Any, header: str, value: Any) -> Any:
        spec = column.spec
        if spec.kind == "int":
            return _integer(row, header, value)
        if spec.kind == "date":
            return _date(row, header, value)
        if spec.kind == "number":
            return _number(row, header, value)
        text = _text(row, header, value)
        if spec.kind == "choice":
            lookup = self.choices[spec.key]
            plain = text.lower().replace(":", "：")
            code = lookup.get(plain) or lookup.get(plain.split("：")[-1])
            if code is None:
                row.problem(
                    header,
                    gettext_noop("Unknown value %(value)s; allowed: %(allowed)s"),
                    value=text[:40],
                    allowed=allowed(spec.choices),
                )
            return code
        return text

    def area(self, row: Row, stated: Stated) -> AdminArea | None:
        """The village or community a row names by its code, or by its (and its township's)
        name, among those the user may edit; None with a problem when it names none."""
        text, headers = stated.area_text, self.headers
        if text.get("area_code"):
            area = self.areas.code(row, headers["area_code"], text["area_code"])
            if area is not None and area.level != AreaLevel.VILLAGE:
                row.problem(
                    headers["area_code"],
                    gettext_noop("A site lies in a village or community: give its 12-digit code."),
                )
                return None
            return area
        township = None
        if text.get("township"):
            township = self.areas.townships.get(text["township"])
            alone = self.areas.village_alone.get(text.get("village", ""))
            # A village's own user names their township, which is not theirs to edit.
            parent = alone.parent if township is None and alone is not None else None
            if parent is not None and text["township"] in {parent.name, parent.short_name}:
                return alone
            if township is None:
                # The most precise name the row gives is the one to correct.
                key = "village" if text.get("village") else "township"
                row.problem(
                    headers[key],
                    gettext_noop("No area named %(name)s in your area."),
                    name=text[key],
                )
                return None
        if text.get("village"):
            found: AdminArea | None = self.areas.village(
                row, headers["village"], text["village"], township
            )
            return found
        return None


def _lookup(key: str, choices: Any) -> dict[str, str]:
    """Every spelling of a choice we accept: its code, its labels, the part of a label after
    "：" with or without a final 安置 (集中安置：中心村 -> 中心村), and the county words of
    SYNONYMS."""
    lookup = choice_lookup(choices)
    for spelling, code in list(lookup.items()):
        part = spelling.split("：")[-1]
        for short in (part, part.removesuffix("安置"), part.split("（")[0]):
            if short:
                lookup.setdefault(short, code)
    for spelling, code in SYNONYMS.get(key, {}).items():
        lookup.setdefault(spelling, code)
    return lookup


def _number(row: Row, header: str, value: Any) -> Decimal | None:
    """A floor area: zero or more, at most two decimals."""
    if isinstance(value, bool):
        row.problem(header, gettext_noop("Not a number."))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        row.problem(header, gettext_noop("Not a number."))
        return None
    if not number.is_finite():
        row.problem(header, gettext_noop("Not a number."))
        return None
    if number < 0:
        row.problem(header, gettext_noop("Must be zero or more."))
        return None
    if isinstance(value, float):
        number = number.quantize(Decimal("0.01"))  # a spreadsheet's binary fraction
    return number


def _geos(geom: Any) -> GEOSGeometry:
    out = GEOSGeometry(memoryview(shapely.to_wkb(geom)))
    out.srid = 4490
    return out


# --- rows ---------------------------------------------------------------------------------


class Importer:
    """Checks (and writes) the rows of one file for one user, each in a savepoint, through the
    site services."""

    def __init__(self, actor: User, columns: dict[str, Any]) -> None:
        self.actor = actor
        self.reader = Reader(actor, columns)
        self.headers = {c.key: str(c.header) for c in ledgers.SITES.columns}
        self.headers.update(self.reader.headers)
        self.seen: dict[str, str] = {}
        self.visible = site_scope(user=actor)

    def header(self, key: str) -> str:
        return self.headers.get(FIELD_COLUMNS.get(key, key), "") or "-"

    def row(self, row: Row) -> tuple[RowOutcome, str]:
        """Check and write one row in a savepoint (undone when it has a problem): its outcome
        and the site's code."""
        stated = self.reader.read(row)
        if row.problems:
            return RowOutcome.ERROR, ""
        try:
            with transaction.atomic():
                if stated.code:
                    action, code = self._change(row, stated), stated.code
                else:
                    site = self._create(row, stated)
                    if site is None:
                        raise Undo
                    action, code = RowOutcome.CREATE, site.code
                if row.problems:
                    raise Undo
        except Undo:
            return RowOutcome.ERROR, ""
        except ValidationError as exc:
            self._errors(row, exc)
            return RowOutcome.ERROR, ""
        except PermissionDenied as exc:
            row.problem(self.header("area"), "%(reason)s", reason=str(exc))
            return RowOutcome.ERROR, ""
        except ConflictError as exc:
            row.problem(self.header("code"), "%(reason)s", reason=str(exc))
            return RowOutcome.ERROR, ""
        except DatabaseError as exc:
            row.problem(
                "-",
                gettext_noop("The row cannot be written: %(reason)s"),
                reason=str(exc).splitlines()[0][:200],
            )
            return RowOutcome.ERROR, ""
        return action, code

    def _errors(self, row: Row, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                header = self.header(key) if key != "__all__" else "-"
                for message in messages:
                    row.problem(header, "%(reason)s", reason=message)
        else:
            for message in exc.messages:
                row.problem("-", "%(reason)s", reason=message)

    def _place(self, row: Row, stated: Stated) -> tuple[Point | None, MultiPolygon | None, bool]:
        """The position and outline a row states (None where it states none) and whether it
        states an outline at all."""
        point: Point | None = None
        outline: MultiPolygon | None = None
        has_outline = False
        if stated.lon is not None and stated.lat is not None:
            point = Point(stated.lon, stated.lat, srid=4490)
        if stated.geom is not None:
            geom = _geos(stated.geom)
            if geom.geom_type in ("Polygon", "MultiPolygon"):
                has_outline = True
                outline = geom if isinstance(geom, MultiPolygon) else MultiPolygon(geom, srid=4490)
            elif geom.geom_type == "Point" and point is None:
                point = geom  # type: ignore[assignment]
            elif geom.geom_type != "Point":
                row.problem(
                    "-",
                    gettext_noop(
                        "A site's geometry is its outline (a polygon) or its position (a point)."
                    ),
                )
        return point, outline, has_outline

    def _create(self, row: Row, stated: Stated) -> RelocationSite | None:
        area = self.reader.area(row, stated)
        for key in ("name", "site_type"):
            if key not in stated.values:
                row.problem(self.header(key), gettext_noop("Required for a new site."))
        if area is None and not row.problems:
            row.problem(
                self.header("area_code"),
                gettext_noop("Give the village's 12-digit code, or the township and the village."),
            )
        point, outline, _has = self._place(row, stated)
        if point is None and outline is None and not row.problems:
            row.problem(
                self.header("lon"),
                gettext_noop("Give the site's longitude and latitude (or its outline)."),
            )
        if row.problems or area is None:
            return None
        twin = (
            self.visible.filter(name=stated.values["name"], area=area)
            .values_list("code", flat=True)
            .first()
        )
        if twin is not None:
            row.problem(
                self.header("name"),
                gettext_noop(
                    "A site of this name is registered in this village already (%(code)s): give"
                    " its code to change it."
                ),
                code=twin,
            )
            return None
        values = {**stated.values, "point": point, "outline": outline}
        return services.site_create(actor=self.actor, area=area, values=values)

    def _change(self, row: Row, stated: Stated) -> RowOutcome:
        code_header = self.header("code")
        if stated.code in self.seen:
            row.problem(
                code_header,
                gettext_noop("Row %(row)s names this site already."),
                row=self.seen[stated.code],
            )
            return RowOutcome.ERROR
        self.seen[stated.code] = row.where
        site = self.visible.select_related("area", "area__parent").filter(code=stated.code).first()
        if site is None:
            row.problem(
                code_header,
                gettext_noop("No site with the code %(code)s in your area."),
                code=stated.code,
            )
            return RowOutcome.ERROR
        area = self.reader.area(row, stated) if stated.area_text else None
        point, outline, has_outline = self._place(row, stated)
        if row.problems:
            return RowOutcome.ERROR
        values = {k: v for k, v in stated.values.items() if not _same(getattr(site, k, None), v)}
        if point is not None and (
            abs(point.x - site.point.x) > COORDINATE_TOLERANCE
            or abs(point.y - site.point.y) > COORDINATE_TOLERANCE
        ):
            values["point"] = point
        if has_outline and (
            site.outline is None
            or outline is None
            or not site.outline.equals_exact(outline, OUTLINE_TOLERANCE)
        ):
            values["outline"] = outline
        moved = area is not None and area.pk != site.area_id
        if not values and not moved:
            return RowOutcome.UNCHANGED
        services.site_update(
            actor=self.actor,
            site=site,
            expected_version=site.version,
            values=values,
            area=area if moved else None,
        )
        return RowOutcome.UPDATE


def _same(current: Any, stated: Any) -> bool:
    if isinstance(stated, AdminArea) or isinstance(current, AdminArea):
        return getattr(current, "pk", None) == getattr(stated, "pk", None)
    if isinstance(current, Decimal) or isinstance(stated, Decimal):
        return current is not None and Decimal(current) == Decimal(stated)
    if isinstance(current, str) and isinstance(stated, str):
        return current.strip() == stated.strip()
    return bool(current == stated)


# --- preview and commit ---------------------------------------------------------------------


def _walk(
    path: Path,
    actor: User,
    *,
    progress: Progress | None = None,
    on_open: Progress | None = None,
    each: Each | None = None,
) -> SiteOutcome:
    """Read the file and run every row through the site services in the current transaction."""
    spec = ledgers.SITES
    source, columns = open_ledger_file(
        path,
        header_map(spec),
        tables=TABLE_FORMATS,
        layers=GIS_FORMATS,
        wrong_format=gettext_noop("Upload the sites as Excel (.xlsx), CSV or a GeoPackage."),
        no_column=gettext_noop(
            "No column of the site list was found (looked for 安置点编号 or 安置点名称 in the"
            " first rows; found: %(found)s). Start from an export of the site list."
        ),
    )
    outcome = SiteOutcome(format=source.format, ignored=list(dict.fromkeys(source.ignored)))
    outcome.columns = {name: _header(column) for name, column in columns.items()}
    keys = {c.key for c in columns.values()}
    if "code" not in keys:
        missing = [c.header for c in spec.columns if c.required and c.key not in keys]
        if not keys & {"area_code", "village"}:
            missing.append("区划代码")
        if not (keys & {"lon", "lat"} or source.has_geometry):
            missing.append("经度、纬度")
        if missing:
            source.close()
            raise ImportRefused(
                gettext_noop(
                    "The file has no column %(columns)s, which new sites need (and no 安置点编号"
                    " naming sites to change)."
                ),
                columns="、".join(missing),
            )
    importer = Importer(actor, columns)

    def check(row: Row) -> RowOutcome:
        action, code = importer.row(row)
        outcome.note(row, action, code)
        return action

    return check_rows(
        source, columns, outcome, check,
        empty=gettext_noop("The file holds no rows of sites."),
        progress=progress, on_open=on_open, each=each,
    )  # fmt: skip


def preview(
    path: Path,
    actor: User,
    *,
    progress: Progress | None = None,
    on_open: Progress | None = None,
    each: Each | None = None,
) -> SiteOutcome:
    """Check the whole file by running it and undoing everything (ledger_files.undone).
    ``each`` sees every checked batch (the problems workbook)."""
    return undone(
        lambda: _walk(path, actor, progress=progress, on_open=on_open, each=each),
        services.provisional_codes,
    )


def commit(
    path: Path, actor: User, *, command: str = "", progress: Progress | None = None
) -> SiteOutcome:
    """Check the file again and write it in one transaction, or write nothing (Rejected)."""
    return all_or_nothing(lambda: _walk(path, actor, progress=progress), actor, command)
