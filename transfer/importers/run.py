"""Preview and commit: read and check the whole file; write all of it or nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pghistory
import shapely
from django.db import transaction
from django.utils.translation import gettext_noop

from registry.choices import AreaLevel
from registry.models import AdminArea, Asset, User
from registry.services.bulk import AssetBulkWriter
from transfer.importers.checker import Checker
from transfer.importers.columns import HEADERS, REQUIRED_FOR_NEW
from transfer.importers.network import LinkWriter
from transfer.importers.options import ImportOptions
from transfer.importers.rows import ImportRefused, Problem, Row, RowOutcome
from transfer.importers.sources import Source, open_source, read_batches

# --- preview and commit -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the check of a file found (and, after a commit, what was written)."""

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
    # Required columns the file has neither as a column nor as a value for the whole file (by
    # header), and the new rows that need them: one summary for the file, not the same problem
    # on every row.
    missing: list[str] = field(default_factory=list)
    incomplete: int = 0
    # New rows that look like registered assets: registered only if the user keeps them.
    duplicates: int = 0
    duplicate_rows: list[dict[str, Any]] = field(default_factory=list)
    kept: int = 0  # duplicates registered because the user kept them (commit)
    skipped: int = 0  # duplicates not registered (commit)
    # Values below 100 or above 100 million yuan, confirmed before the import.
    unusual: int = 0
    unusual_rows: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # the file's column -> our header

    MAX_PROBLEMS = 500

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "problems"}
        data["problems"] = [p.__dict__ for p in self.problems]
        return data

    def note(self, row: Row, action: RowOutcome) -> None:
        """Count one checked row."""
        self.rows += 1
        if action == RowOutcome.ERROR:
            self.errors += 1
            room = Outcome.MAX_PROBLEMS - len(self.problems)
            self.problems += row.problems[: max(room, 0)]
        elif action == RowOutcome.INCOMPLETE:
            self.incomplete += 1
        elif action == RowOutcome.DUPLICATE:
            self.duplicates += 1
            if len(self.duplicate_rows) < Outcome.MAX_PROBLEMS:
                match = row.duplicate_of
                metres = None if match.distance_m is None else round(match.distance_m, 1)
                self.duplicate_rows.append(
                    {
                        "row": row.where,
                        "name": str(row.cells.get("name") or match.name),
                        "code": match.code,
                        "distance": metres,
                    }
                )
        else:
            setattr(self, action, getattr(self, action) + 1)
        if row.unusual_value is not None and action in UNUSUAL_COUNTED:
            self.unusual += 1
            if len(self.unusual_rows) < Outcome.MAX_PROBLEMS:
                self.unusual_rows.append(
                    {
                        "row": row.where,
                        "name": str(row.cells.get("name") or ""),
                        "value": f"{row.unusual_value:,.2f}",
                    }
                )


UNUSUAL_COUNTED = (RowOutcome.CREATE, RowOutcome.UPDATE, RowOutcome.DUPLICATE)
Progress = Callable[[int], None]
Each = Callable[[list[tuple[Row, RowOutcome, dict]], Source], None]


def missing_columns(present: set[str]) -> list[str]:
    """The ledger keys a new asset needs that neither a column nor a value for the whole file
    gives (the area counts as given by its code, or by its township's or village's name)."""
    missing = [key for key in REQUIRED_FOR_NEW if key not in present]
    if not present & {"area_code", "township", "village"}:
        missing.append("area_code")
    return missing


def _order(key: str) -> int:
    keys = list(HEADERS)
    return keys.index(key) if key in keys else len(keys)


def _walk(
    path: Path,
    actor: User,
    *,
    options: ImportOptions,
    progress: Progress | None,
    each: Each | None = None,
    on_open: Progress | None = None,
) -> Outcome:
    counties = AdminArea.objects.filter(level=AreaLevel.COUNTY, point__isnull=False)
    if actor.area is not None:
        counties = counties.filter(county_code=actor.area.county_code)
    county = counties.first()
    county_lon = county.point.x if county is not None and county.point else 108.0
    source = open_source(path, county_lon=county_lon, options=options)
    outcome = Outcome(format=source.format, ignored=list(dict.fromkeys(source.ignored)))
    outcome.columns = dict(zip(source.columns, source.headers, strict=False))
    if on_open is not None:
        on_open(source.total)
    if source.crs is not None:
        outcome.crs = source.crs.name
    try:
        checker = Checker(actor, options)
        has_columns: set[str] = set()
        missing: frozenset[str] = frozenset()
        for batch in read_batches(source):
            if not has_columns:
                has_columns = set().union(*(r.cells for r in batch))
                missing = frozenset(missing_columns(has_columns | set(options.fixed)))
                outcome.missing = [HEADERS.get(k, k) for k in sorted(missing, key=_order)]
            checked = checker.check(batch, has_columns, missing)
            for row, action, _values in checked:
                outcome.note(row, action)
            if each is not None:
                each(checked, source)
            if progress is not None:
                progress(outcome.rows)
    finally:
        source.close()
    if outcome.rows == 0:
        raise ImportRefused(gettext_noop("The file holds no rows of assets."))
    if not outcome.incomplete:
        outcome.missing = []  # only rows that change registered assets: nothing is missing
    return outcome


def preview(
    path: Path,
    actor: User,
    *,
    gcj02: bool = False,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    on_open: Progress | None = None,
    each: Each | None = None,
) -> Outcome:
    """Read and check the whole file without writing anything; ``each`` sees every checked
    batch (the problems workbook is written so, in the same pass)."""
    options = options or ImportOptions(gcj02=gcj02)
    return _walk(path, actor, options=options, progress=progress, on_open=on_open, each=each)


class Rejected(Exception):
    """Some rows have problems, the file lacks a column its new assets need, or unusual values
    were not confirmed: nothing was written."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.errors)
        self.outcome = outcome


def committable(outcome: Outcome, *, confirmed: bool) -> bool:
    """No row with a problem, nothing missing, and unusual values confirmed."""
    return outcome.errors == 0 and outcome.incomplete == 0 and (outcome.unusual == 0 or confirmed)


def commit(
    path: Path,
    actor: User,
    *,
    gcj02: bool = False,
    options: ImportOptions | None = None,
    label: str = "",
    progress: Progress | None = None,
) -> Outcome:
    """Check the file again and write it in one transaction, or write nothing. Likely
    duplicates are registered only when ``options.keep_duplicates`` names their rows, unusual
    values only when ``options.confirm_values``."""
    options = options or ImportOptions(gcj02=gcj02)
    with transaction.atomic(), pghistory.context(user=actor.pk, command=label or "import"):
        writer = _Writer(actor, options)
        outcome = _walk(path, actor, options=options, progress=progress, each=writer)
        if not committable(outcome, confirmed=options.confirm_values):
            raise Rejected(outcome)  # rolls back every batch already written
        # The network gaps near every link written or moved: once per township, not per row.
        writer.links.refresh()
        outcome.kept = writer.kept
        outcome.skipped = outcome.duplicates - writer.kept
        outcome.create += writer.kept
    outcome.committed = True
    return outcome


class _Writer:
    """Hands checked batches to the bulk-write service, or, once any row had a problem, only
    keeps reading so that every problem is reported (the transaction is then undone)."""

    def __init__(self, actor: User, options: ImportOptions) -> None:
        self.bulk = AssetBulkWriter(actor)
        self.keep = options.keep_duplicates
        self.keep_all = options.keep_all_duplicates
        self.failed = False
        self.kept = 0
        self.links = LinkWriter(actor)

    def __call__(self, checked: list[tuple[Row, RowOutcome, dict]], source: Source) -> None:
        blocking = (RowOutcome.ERROR, RowOutcome.INCOMPLETE)
        if self.failed or any(action in blocking for _r, action, _v in checked):
            self.failed = True
            return
        kept = [
            (row, values)
            for row, action, values in checked
            if action == RowOutcome.DUPLICATE and (self.keep_all or row.where in self.keep)
        ]
        new = [(row, values) for row, action, values in checked if action == RowOutcome.CREATE]
        self.kept += len(kept)
        new += kept
        codes = self.bulk.register(
            [(values, _ewkb_hex(row.geom) if row.geom is not None else None) for row, values in new]
        )
        updates = [(row, values) for row, action, values in checked if action == RowOutcome.UPDATE]
        self.links.before_changes([values["id"] for _row, values in updates])
        self.bulk.change(
            [(values, row.geom.wkb if row.geom is not None else None) for row, values in updates]
        )
        links = _links(codes, [values for _row, values in new], [v for _r, v in updates])
        self.links.write(links, [values["id"] for _row, values in updates])


def _links(
    codes: list[str], created: list[dict[str, Any]], changed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The network attributes of the rows that have them, by the id of their asset (new assets
    by the code the bulk writer gave them)."""
    stated = [(code, values) for code, values in zip(codes, created, strict=True)]
    stated = [(code, values) for code, values in stated if values.get("network")]
    ids = dict(Asset.objects.filter(code__in=[c for c, _v in stated]).values_list("code", "id"))
    links = [{"asset_id": ids[code], **values["network"]} for code, values in stated]
    links += [{"asset_id": v["id"], **v["network"]} for v in changed if v.get("network")]
    return links


def _ewkb_hex(geom: Any) -> str:
    return str(shapely.to_wkb(shapely.set_srid(geom, 4490), hex=True, include_srid=True))
