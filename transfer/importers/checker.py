"""The row checker: each row against the register's rules and what is stored, as an outcome."""

import re
from dataclasses import dataclass
from typing import Any

import shapely
from django.utils import timezone
from django.utils.translation import gettext_noop

from registry import geometry, selectors
from registry.choices import (
    AreaLevel,
    AssetStatus,
)
from registry.models import AdminArea, User
from registry.scoping import can_edit
from registry.services.assets import TOWNSHIP_TOLERANCE, rule_problems
from transfer.exporters import LABELS
from transfer.importers.cells import _blank, _choice, _date, _decimal, _integer, _text
from transfer.importers.columns import (
    COMPARED,
    HEADERS,
    INTEGERS,
    NO,
    NUMBER_LIMITS,
    REQUIRED_FOR_NEW,
    TEXT_LIMITS,
    YES,
)
from transfer.importers.rows import Row, RowOutcome


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
