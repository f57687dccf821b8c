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
from registry.models.areas import short_name
from registry.plausibility import value_needs_confirmation
from registry.scoping import can_edit, scope_prefix
from registry.services.assets import TOWNSHIP_TOLERANCE, rule_problems
from transfer.exporters import LABELS
from transfer.importers import network
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
from transfer.importers.duplicates import likely_duplicates, registered_before
from transfer.importers.options import ImportOptions
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

    def __init__(self, actor: User, options: ImportOptions | None = None) -> None:
        self.actor = actor
        self.options = options or ImportOptions()
        self.today = timezone.localdate()
        self.areas: dict[str, AreaInfo] = {}
        self.by_names: dict[tuple[str, str], AreaInfo] = {}
        self.shapes: dict[int, Any] = {}
        self.seen_codes: set[str] = set()
        self.seen_originals: set[str] = set()
        self.before_id = registered_before()
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
        # Villages by name, in full (向东村村民委员会) or as people write them (向东村), under
        # their township, and alone when no other village of the county has that name.
        self.by_village: dict[str, AreaInfo | None] = {}
        scope = self.scope = scope_prefix(actor) or ""
        for info in self.areas.values():
            if info.level == AreaLevel.TOWNSHIP:
                self.by_names[(info.name, "")] = info
            elif info.level == AreaLevel.VILLAGE and info.township_id in by_id:
                township_name = by_id[info.township_id].name
                for name in {info.name, short_name(info.name)}:
                    self.by_names[(township_name, name)] = info
                    if not info.code.startswith(scope):
                        continue  # a village alone is looked for in the user's own area
                    known = self.by_village.get(name, info)
                    self.by_village[name] = info if known is info else None  # None: ambiguous
        self.by_id = by_id

    def check(
        self, batch: list[Row], has_columns: set[str], missing: frozenset[str] = frozenset()
    ) -> list[tuple[Row, RowOutcome, dict]]:
        """(row, action, values) for each row; action is create, update, unchanged, error,
        duplicate (a new row like a registered asset) or incomplete (a new row that lacks what
        the whole file lacks: the ``missing`` columns, reported once for the file)."""
        fixed = {k: v for k, v in self.options.fixed.items() if k not in has_columns}
        present = has_columns | set(fixed)
        stated = [self._values(row, present, fixed) for row in batch]
        codes = [v["code"] for v in stated if re.fullmatch(r"\d{16}", v.get("code") or "")]
        originals = [
            v["original_code"] for v in stated if not v.get("code") and v.get("original_code")
        ]
        scope = selectors.asset_scope(user=self.actor)
        fields = ("id", "code", "area_code", "status", "version", "geom", *COMPARED)
        existing = {a["code"]: a for a in scope.filter(code__in=codes).values(*fields)}
        by_original: dict[str, list[dict[str, Any]]] = {}
        if originals:
            for a in scope.filter(original_code__in=originals).order_by("code").values(*fields):
                by_original.setdefault(a["original_code"], []).append(a)
        out: list[tuple[Row, RowOutcome, dict]] = []
        new_rows: list[tuple[int, dict[str, Any], Any]] = []
        known = [a["id"] for a in existing.values()]
        known += [a["id"] for found in by_original.values() for a in found]
        links = network.stored(known)
        for row, values in zip(batch, stated, strict=True):
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
            elif values.get("original_code"):
                # The county's own number: a ledger imported again finds its assets by it.
                original = values["original_code"]
                if original in self.seen_originals:
                    row.problem(
                        "original_code",
                        gettext_noop("This original code appears twice in the file."),
                    )
                self.seen_originals.add(original)
                matches = by_original.get(original, [])
                if len(matches) == 1:
                    current = matches[0]
                elif len(matches) > 1:
                    row.problem(
                        "original_code",
                        gettext_noop(
                            "%(n)s assets in the register have this original code: give the"
                            " asset code (资产编号) of the one this row is about."
                        ),
                        n=len(matches),
                    )
            merged = dict(values)
            incomplete = False
            if current is not None:
                merged = {k: current[k] for k in COMPARED} | values
            else:
                for key in REQUIRED_FOR_NEW:
                    if key in missing:
                        incomplete = True
                    elif merged.get(key) is None and not _has_problem(row, key):
                        row.problem(key, gettext_noop("Required for a new asset."))
                if merged.get("area_id") is None:
                    if "area_code" in missing:
                        incomplete = True
                    elif not _has_problem(row, "area_code"):
                        row.problem("area_code", gettext_noop("Required for a new asset."))
            # The network attributes it leaves the asset with, checked against its geometry.
            link = links.get(current["id"]) if current is not None else None
            merged["network"] = network.merged(link, merged.pop("network_stated", {}))
            if merged["network"] is not None:
                stored_geom = current.get("geom") if current is not None else None
                geom = row.geom if row.geom is not None else stored_geom
                network.check(row, merged["network"], geom)
            same = (
                current is not None
                and _same(current, merged, row.geom)
                and merged["network"] == link
            )
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
            value = merged.get("original_value")
            changed = current is None or value != current.get("original_value")
            if changed and value_needs_confirmation(value):
                row.unusual_value = value
            if row.problems:
                out.append((row, RowOutcome.ERROR, merged))
            elif incomplete:
                out.append((row, RowOutcome.INCOMPLETE, merged))
            elif current is None:
                new_rows.append((len(out), merged, row.geom))
                out.append((row, RowOutcome.CREATE, merged))
            elif same:
                out.append((row, RowOutcome.UNCHANGED, merged))
            else:
                merged["id"], merged["code"] = current["id"], current["code"]
                out.append((row, RowOutcome.UPDATE, merged))
        for index, match in likely_duplicates(
            self.actor, new_rows, before_id=self.before_id
        ).items():
            row, _action, merged = out[index]
            row.duplicate_of = match
            out[index] = (row, RowOutcome.DUPLICATE, merged)
        return out

    def _values(
        self, row: Row, has_columns: set[str], fixed: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        cells = {**fixed, **row.cells} if fixed else row.cells
        # A row that names an asset (our code, or the county's own number) changes only what
        # it states: an empty cell leaves that particular of the asset as it is.
        coded = not _blank(cells.get("code")) or not _blank(cells.get("original_code"))
        values["network_stated"] = network.stated(row, cells)
        for key, raw in cells.items():
            if key in {"township", "village", "area_code", "lon", "lat", "x", "y"}:
                continue
            if key in network.NETWORK_KEYS:
                continue  # read above
            if _blank(raw):
                if coded:
                    continue
                if key in REQUIRED_FOR_NEW:
                    values[key] = None
                elif key in INTEGERS:
                    values[key] = 0
                elif key == "booked":
                    values[key] = False
                elif key in ("address", "code", "original_code"):
                    values[key] = ""
                continue
            if key == "code":
                values[key] = _text(row, key, raw)
                if not re.fullmatch(r"\d{16}", values[key]):
                    row.problem(key, gettext_noop("An asset code has 16 digits."))
            elif key in LABELS:
                values[key] = _choice(row, key, raw)
            elif key == "original_value":
                values[key] = _decimal(row, key, raw, self.options.value_factor)
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
        area = self._area(row, has_columns, cells)
        if area is not None:
            values["area_id"] = area.id
        return values

    def _area(self, row: Row, has_columns: set[str], cells: dict[str, Any]) -> AreaInfo | None:
        code = str(cells.get("area_code") or "").strip()
        if code.endswith(".0"):
            code = code[:-2]
        if code:
            area = self.areas.get(code) or self.areas.get(code.ljust(12, "0"))
            # An area outside the user's own is answered as one that does not exist: its
            # existence, name or township are not ours to tell (its page is a 404 too).
            if (
                area is None
                or area.level == AreaLevel.COUNTY
                or not area.code.startswith(self.scope)
            ):
                row.problem(
                    "area_code",
                    gettext_noop("No township or village in your area has the code %(code)s."),
                    code=code,
                )
                return None
            return area
        township = str(cells.get("township") or "").strip()
        village = str(cells.get("village") or "").strip()
        if not township and village:
            if village not in self.by_village:
                row.problem(
                    "village", gettext_noop("No area named %(name)s in your area."), name=village
                )
                return None
            found = self.by_village[village]
            if found is None:
                row.problem(
                    "village",
                    gettext_noop(
                        "Several villages are named %(name)s: give the township too (a column,"
                        " or the area code)."
                    ),
                    name=village,
                )
            return found
        if not township:
            return None
        area = self.by_names.get((township, village))
        if area is None or not area.code.startswith(self.scope):
            row.problem(
                "village" if village else "township",
                gettext_noop("No area named %(name)s in your area."),
                name=f"{township} {village}".strip(),
            )
            return None
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
        if place is not None and (area is None or can_edit(self.actor, area.code)):
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
