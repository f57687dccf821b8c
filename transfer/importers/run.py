"""Preview and commit: read and check the whole file; write all of it or nothing."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pghistory
import shapely
from django.db import transaction
from django.utils.translation import gettext_noop

from registry.choices import (
    AreaLevel,
)
from registry.models import AdminArea, User
from registry.services.bulk import AssetBulkWriter
from transfer.importers.checker import Checker
from transfer.importers.rows import ImportRefused, Problem, Row, RowOutcome
from transfer.importers.sources import Source, open_source

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
