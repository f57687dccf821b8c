"""What the imports of a county's own tables share (the project library, the relocation
sites): finding the header row under a title, reading headers by a ledger's names (money in
万元 when the header says so), the areas the user may import into, the outcome of a check, the
loop over the rows, and the two ways of running it: a preview that undoes everything and a
commit that keeps all or nothing. Each import (transfer.importers.projects, .sites) brings its
ledger and what one row means."""

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pghistory
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_noop

from registry import ledgers
from registry.choices import AreaLevel
from registry.models import AdminArea, User
from registry.models.areas import short_name
from registry.scoping import can_edit, scope_prefix
from transfer.importers.cells import _blank
from transfer.importers.columns import HEADER_SEARCH_ROWS, TOTALS_LABELS, _norm
from transfer.importers.options import IDENTITY, ImportOptions
from transfer.importers.rows import ImportRefused, Problem, Row, RowOutcome
from transfer.importers.sources import Source, open_source, read_batches

Progress = Callable[[int], None]
Each = Callable[[list[tuple[Row, RowOutcome, dict]], Source], None]
WAN = Decimal(10000)


# --- the outcome ------------------------------------------------------------------------------


@dataclass
class LedgerOutcome:
    """What the check of a file found (and, after a commit, what was written)."""

    format: str = ""
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    errors: int = 0  # rows with at least one problem
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    ignored: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # the file's column -> our header
    codes: list[str] = field(default_factory=list)  # codes of the records written (first ones)
    committed: bool = False

    MAX_PROBLEMS = 500
    MAX_CODES = 200

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "problems"}
        data["problems"] = [p.__dict__ for p in self.problems]
        return data

    def note(self, row: Row, action: RowOutcome, code: str = "") -> None:
        self.rows += 1
        if action == RowOutcome.ERROR:
            self.errors += 1
            room = self.MAX_PROBLEMS - len(self.problems)
            self.problems += row.problems[: max(room, 0)]
            return
        setattr(self, action, getattr(self, action) + 1)
        if code and action != RowOutcome.UNCHANGED and len(self.codes) < self.MAX_CODES:
            self.codes.append(code)


class Rejected(Exception):
    """Some rows have problems: nothing was written."""

    def __init__(self, outcome: LedgerOutcome) -> None:
        super().__init__(outcome.errors)
        self.outcome = outcome


class Undo(Exception):
    """A row found a problem after it began writing: its savepoint is undone."""


# --- columns ----------------------------------------------------------------------------------


def plain_header(header: Any) -> tuple[str, Decimal]:
    """A header as it is compared, and the factor of its money unit: "其中：中央衔接资金（万元）"
    is "中央衔接资金" in 万元 (10,000 yuan)."""
    text = _norm(header).replace("：", ":")
    factor = Decimal(1)
    if text.endswith("（万元）"):
        text, factor = text[: -len("（万元）")], WAN
    elif text.endswith("（元）"):
        text = text[: -len("（元）")]
    if text.startswith("其中:"):
        text = text[len("其中:") :]
    return text, factor


@dataclass(frozen=True)
class Column:
    """A column of the file that the import reads: its name in the file (which problems
    name), its ledger column and its money unit."""

    name: str
    spec: ledgers.LedgerColumn
    factor: Decimal = Decimal(1)

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def header(self) -> str:
        return self.name


def header_map(spec: ledgers.Ledger) -> dict[str, ledgers.LedgerColumn]:
    """Every name an import accepts for a column of the ledger -> that column."""
    names: dict[str, ledgers.LedgerColumn] = {}
    for column in spec.imported:
        for name in (column.header, column.key, column.shp, *column.aliases):
            names.setdefault(plain_header(name)[0], column)
    return names


def read_columns(
    names: list[str], known: dict[str, ledgers.LedgerColumn]
) -> tuple[dict[str, Column], list[str]]:
    """The file's columns (by name) that the import reads, and the names of those it does not."""
    read: dict[str, Column] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for name in names:
        unnamed = name.startswith("第") and name.endswith("列")  # sources.column_names
        plain, factor = plain_header(name)
        column = known.get(plain)
        if column is None or column.key in taken or unnamed:
            if not unnamed:
                ignored.append(name)
            continue
        taken.add(column.key)
        read[name] = Column(name, column, factor if column.kind == "number" else Decimal(1))
    return read, ignored


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def allowed(choices: Any) -> str:
    with translation.override("zh-hans"):
        return "、".join(str(label) for _code, label in choices)[:300]


# --- the file ---------------------------------------------------------------------------------


def open_ledger_file(
    path: Path,
    known: dict[str, ledgers.LedgerColumn],
    *,
    tables: Collection[str],
    layers: Collection[str] = (),
    wrong_format: str,
    no_column: str,
) -> tuple[Source, dict[str, Column]]:
    """Open the file and find its columns: a GIS layer's fields (formats in ``layers``), or a
    table's header row (formats in ``tables``): the first of its first rows that names the
    record's code or name and one more column of the ledger (a title row above it, as county
    tables have, is passed over). ``wrong_format`` refuses any other file; ``no_column`` one
    where no header row is found (with ``%(found)s``: what its first row says)."""
    first = open_source(path, options=ImportOptions(columns=IDENTITY, header_row=1))
    if first.format in layers:
        read, first.ignored = read_columns(list(first.columns), known)
        return first, read
    try:
        if first.format not in tables:
            raise ImportRefused(wrong_format)
        candidates: list[tuple[int, list[str]]] = [(1, list(first.columns))]
        for batch in read_batches(first):
            for row in batch:
                number = int(row.where)
                if number > HEADER_SEARCH_ROWS:
                    break
                candidates.append((number, [cell_text(v) for v in row.cells.values()]))
            break
    finally:
        first.close()
    for number, names in candidates:
        read, _ignored = read_columns(names, known)
        keys = {c.key for c in read.values()}
        if keys & {"code", "name"} and len(keys) >= 2:
            header_row = number
            break
    else:
        found = "、".join(n for n in candidates[0][1] if n and not n.startswith("第"))[:200]
        raise ImportRefused(no_column, found=found or "-")
    source = open_source(path, options=ImportOptions(columns=IDENTITY, header_row=header_row))
    read, source.ignored = read_columns(list(source.columns), known)
    return source, read


def totals_row(row: Row, columns: dict[str, Column]) -> bool:
    """A totals row (合计 under the code, the name or a numbering column) with no record."""
    by_key = {columns[n].key: v for n, v in row.cells.items() if n in columns}
    if not _blank(by_key.get("code")) and not _blank(by_key.get("name")):
        return False
    texts = {cell_text(v).lower() for v in row.cells.values() if isinstance(v, str)}
    named = cell_text(by_key.get("code")) or cell_text(by_key.get("name"))
    return bool(texts & TOTALS_LABELS) and (not named or named.lower() in TOTALS_LABELS)


OutcomeT = TypeVar("OutcomeT", bound=LedgerOutcome)


def check_rows(
    source: Source,
    columns: dict[str, Column],
    outcome: OutcomeT,
    check: Callable[[Row], RowOutcome],
    *,
    empty: str,
    progress: Progress | None = None,
    on_open: Progress | None = None,
    each: Each | None = None,
) -> OutcomeT:
    """Run every row but totals rows through ``check`` (which notes it on ``outcome``), batch
    by batch, and close the file; ``empty`` refuses a file without a row."""
    if on_open is not None:
        on_open(source.total)
    try:
        for batch in read_batches(source):
            checked: list[tuple[Row, RowOutcome, dict]] = []
            for row in batch:
                if totals_row(row, columns):
                    continue
                checked.append((row, check(row), {}))
            if each is not None:
                each(checked, source)
            if progress is not None:
                progress(outcome.rows)
    finally:
        source.close()
    if outcome.rows == 0:
        raise ImportRefused(empty)
    return outcome


# --- preview and commit -------------------------------------------------------------------------


def undone(
    walk: Callable[[], OutcomeT],
    provisional: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> OutcomeT:
    """Check the whole file by running it and undoing everything: the counts and problems are
    those the commit would meet. ``provisional`` wraps the run (codes given out provisionally)."""
    with transaction.atomic(), provisional():
        try:
            return walk()
        finally:
            transaction.set_rollback(True)


def all_or_nothing(walk: Callable[[], OutcomeT], actor: User, command: str = "") -> OutcomeT:
    """Check the file again and write it in one transaction attributed to ``actor``, or write
    nothing (Rejected)."""
    with transaction.atomic(), pghistory.context(user=actor.pk, command=command or "import"):
        outcome = walk()
        if outcome.errors:
            raise Rejected(outcome)  # rolls back every row already written
    outcome.committed = True
    return outcome


# --- the areas a user may import into ---------------------------------------------------------


class Areas:
    """The areas of the user's county that they may edit, by code and by name (a village's
    full or short name, alone when no other village of their area has it, or with its
    township)."""

    def __init__(self, actor: User) -> None:
        prefix = scope_prefix(actor)
        if prefix is None:
            prefix = "\x00"  # sees nothing
        areas = AdminArea.objects.exclude(level=AreaLevel.COUNTY).filter(code__startswith=prefix)
        if actor.area is not None:
            areas = areas.filter(county_code=actor.area.county_code)
        self.actor = actor
        self.by_code: dict[str, AdminArea] = {}
        self.townships: dict[str, AdminArea] = {}
        self.villages: dict[tuple[int | None, str], AdminArea] = {}
        self.village_alone: dict[str, AdminArea | None] = {}
        for area in areas.order_by("code"):
            if not can_edit(actor, area.code):
                continue
            self.by_code[area.code] = area
            names = {area.name, short_name(area.name)}
            if area.level == AreaLevel.TOWNSHIP:
                for name in names:
                    self.townships[name] = area
            elif area.level == AreaLevel.VILLAGE:
                for name in names:
                    self.villages[(area.parent_id, name)] = area
                    known = self.village_alone.get(name, area)
                    self.village_alone[name] = area if known is area else None
        # The county itself, for the county's own users: a project may be led by the county.
        if actor.area is not None and actor.area.level == AreaLevel.COUNTY:
            self.by_code[actor.area.code] = actor.area

    def code(self, row: Row, header: str, code: str) -> AdminArea | None:
        area = self.by_code.get(code)
        if area is None:
            # Whether it exists outside the user's area is not theirs to learn.
            row.problem(
                header, gettext_noop("No area in your area has the code %(code)s."), code=code
            )
        return area

    def village(self, row: Row, header: str, name: str, township: AdminArea | None) -> Any:
        if township is not None:
            area = self.villages.get((township.pk, name))
        else:
            area = self.village_alone.get(name)
            if area is None and name in self.village_alone:
                row.problem(
                    header,
                    gettext_noop(
                        "Several villages are named %(name)s: give the township too, or the"
                        " area codes."
                    ),
                    name=name,
                )
                return None
        if area is None:
            row.problem(header, gettext_noop("No area named %(name)s in your area."), name=name)
        return area
