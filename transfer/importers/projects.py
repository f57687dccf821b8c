"""Import of a project library the county kept before the register (项目库, Excel or CSV).

The file is read by the library's own headers (registry.ledgers.project_library: its Chinese
headers, keys and the names counties commonly use; money in 万元 when the header says so), so
that an export of ours comes back unchanged. Each row is checked by the project services
themselves (registry.services.projects: project_import for a new project, project_update or
project_adjust for one named by its code), each in a savepoint: the preview runs them and undoes
everything, so what it counts is exactly what the commit writes; the commit runs them again and
keeps the result only when no row has a problem (all or nothing). Every problem names its row,
its column and the reason in Chinese and English.

A user imports only into their area: every area a row names must be one they may edit, and a
row that names a project by code finds only the projects they see. A new project enters as
proposed (申报) unless the file states a later stage up to the year's plan, which only the
county's approver may enter (project_import records that on the project's steps).
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.utils.translation import gettext_noop

from registry import ledgers
from registry.choices import ApprovalLevel, AreaLevel, BenefitLink, FundUseKind, ProjectStatus
from registry.errors import ConflictError, ValidationError, bilingual
from registry.models import AdminArea, FundSource, FundUse, Project, User
from registry.models.areas import short_name
from registry.scoping import can_approve, can_edit, scope_level
from registry.selectors import project_scope
from registry.services import projects as services
from transfer.importers.cells import _blank, _date, _integer, _text, choice_lookup
from transfer.importers.columns import NO, YES
from transfer.importers.ledger_files import (
    Areas,
    Column,
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

SEPARATORS = re.compile(r"[、,，;；/\s]+")
CENT = Decimal("0.01")


@dataclass
class ProjectOutcome(LedgerOutcome):
    """What the check of a library file found, with the new projects by the stage they enter."""

    stages: dict[str, int] = field(default_factory=dict)

    def note(  # type: ignore[override]
        self, row: Row, action: RowOutcome, *, stage: str = "", code: str = ""
    ) -> None:
        super().note(row, action, code)
        if action == RowOutcome.CREATE and stage:
            self.stages[stage] = self.stages.get(stage, 0) + 1


# --- cells ------------------------------------------------------------------------------------


@dataclass
class Stated:
    """What a row states about a project: the model's fields, its areas, its planned funding by
    fund-source code, its stage and plan year, its total; ``present`` the keys it filled."""

    values: dict[str, Any] = field(default_factory=dict)
    funding: dict[str, Decimal] = field(default_factory=dict)
    area: AdminArea | None = None
    others: list[AdminArea] = field(default_factory=list)
    # The area cells as written (township, villages, area_code, area_codes) and their columns.
    area_text: dict[str, str] = field(default_factory=dict)
    area_headers: dict[str, str] = field(default_factory=dict)
    code: str = ""
    status: str = ""
    plan_year: int | None = None
    total: Decimal | None = None


class Reader:
    """Turns a row's cells into what it states, naming each cell it cannot read."""

    def __init__(self, actor: User, columns: dict[str, Column], sources: list[FundSource]):
        self.columns = columns
        self.areas = Areas(actor)
        self.sources = {f"planned_{s.code}": s.code for s in sources}
        self.choices = {
            c.key: choice_lookup(c.spec.choices)
            for c in columns.values()
            if c.spec.kind == "choice"
        }
        directions = FundUse.objects.filter(kind=FundUseKind.POSITIVE, active=True)
        self.directions: dict[str, FundUse] = {}
        for use in directions.order_by("province_code", "sort_order"):
            self.directions.setdefault(use.name.strip().lower(), use)
            self.directions.setdefault(use.code.lower(), use)
        self.direction_names = "、".join(dict.fromkeys(u.name for u in directions))[:300]

    def read(self, row: Row) -> Stated:
        stated = Stated()
        raw: dict[str, tuple[Column, Any]] = {}
        for name, value in row.cells.items():
            column = self.columns.get(name)
            if column is not None and not _blank(value):
                raw[column.key] = (column, value)
        for key, (column, value) in raw.items():
            if key in {"township", "villages", "area_code", "area_codes"}:
                continue
            parsed = self._cell(row, column, value)
            if parsed is None:
                continue
            if key == "code":
                stated.code = parsed
            elif key == "status":
                stated.status = parsed
            elif key == "plan_year":
                stated.plan_year = parsed
            elif key == "planned_total":
                stated.total = parsed
            elif key in self.sources:
                stated.funding[self.sources[key]] = parsed
            else:
                stated.values[key] = parsed
        for key in ("township", "villages", "area_code", "area_codes"):
            if key in raw:
                stated.area_text[key] = cell_text(raw[key][1])
                stated.area_headers[key] = raw[key][0].header
        return stated

    def _cell(self, row: Row, column: Column, value: Any) -> Any:
        spec, header = column.spec, column.header
        if spec.key == "fund_direction":
            text = _text(row, header, value)
            use = self.directions.get(text.lower())
            if use is None:
                row.problem(
                    header,
                    gettext_noop("Unknown value %(value)s; allowed: %(allowed)s"),
                    value=text[:40],
                    allowed=self.direction_names,
                )
            return use
        if spec.key == "benefit_links":
            lookup = self.choices[spec.key]
            links = []
            for part in SEPARATORS.split(_text(row, header, value)):
                if not part:
                    continue
                code = lookup.get(part.lower())
                if code is None:
                    row.problem(
                        header,
                        gettext_noop("Unknown value %(value)s; allowed: %(allowed)s"),
                        value=part[:40],
                        allowed=allowed(BenefitLink.choices),
                    )
                    return None
                if code not in links:
                    links.append(code)
            return links
        if spec.kind == "text":
            text = _text(row, header, value)
            if spec.key == "code":
                text = text.replace(" ", "")
            return text
        if spec.kind == "int":
            return _integer(row, header, value)
        if spec.kind == "date":
            return _date(row, header, value)
        if spec.kind == "bool":
            text = str(value).strip().lower()
            if text in YES:
                return True
            if text in NO:
                return False
            row.problem(header, gettext_noop("Write 是 or 否."))
            return None
        if spec.kind == "choice":
            text = _text(row, header, value)
            code = self.choices[spec.key].get(text.lower())
            if code is None:
                row.problem(
                    header,
                    gettext_noop("Unknown value %(value)s; allowed: %(allowed)s"),
                    value=text[:40],
                    allowed=allowed(spec.choices),
                )
            return code
        return self._money(row, column, value)

    def _money(self, row: Row, column: Column, value: Any) -> Decimal | None:
        """Yuan, from the file's unit (万元 when its header says so), to the fen."""
        if isinstance(value, bool):
            row.problem(column.header, gettext_noop("Not a number."))
            return None
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            number = Decimal(text) * column.factor
        except InvalidOperation:
            row.problem(column.header, gettext_noop("Not a number."))
            return None
        if not number.is_finite():
            row.problem(column.header, gettext_noop("Not a number."))
            return None
        if number < 0:
            row.problem(column.header, gettext_noop("Must be zero or more."))
            return None
        if isinstance(value, float):
            number = number.quantize(CENT)  # a spreadsheet's binary fraction: to the fen
        if number.quantize(CENT) != number:
            row.problem(column.header, gettext_noop("At most 2 decimal places (fen)."))
            return None
        return number.quantize(CENT)

    def resolve_areas(self, row: Row, stated: Stated) -> None:
        """The area that leads a new project and the others it touches, from the area codes or
        from the township's and villages' names, all in the user's area."""
        headers = stated.area_headers

        def text(key: str) -> str:
            return stated.area_text.get(key, "")

        found: list[AdminArea] = []
        problems = len(row.problems)
        for code in SEPARATORS.split(text("area_codes")):
            if code:
                area = self.areas.code(row, headers["area_codes"], code)
                if area is not None and area not in found:
                    found.append(area)
        township: AdminArea | None = None
        if text("township"):
            township = self.areas.townships.get(text("township"))
            if township is None and not text("area_code"):
                row.problem(
                    headers["township"],
                    gettext_noop("No area named %(name)s in your area."),
                    name=text("township"),
                )
        villages: list[AdminArea] = []
        if not text("area_codes"):  # the names, when the codes are not given
            for name in SEPARATORS.split(text("villages")):
                if name:
                    area = self.areas.village(row, headers["villages"], name, township)
                    if area is not None and area not in villages:
                        villages.append(area)
            found += [v for v in villages if v not in found]
        lead: AdminArea | None = None
        if text("area_code"):
            lead = self.areas.code(row, headers["area_code"], text("area_code"))
        elif villages:
            lead = villages[0]
        elif township is not None:
            lead = township
        elif found:
            lead = found[0]
        if len(row.problems) > problems or lead is None:
            return
        stated.area = lead
        stated.others = [a for a in found if a.pk != lead.pk]


# --- rows -------------------------------------------------------------------------------------

# Where a service's error on a field is shown: the header of the column that states it.
FIELD_COLUMNS = {"area": "area_code", "area_codes": "area_codes", "funding": "planned_total",
                 "fund_uses": "fund_direction", "checks": "status"}  # fmt: skip


class Importer:
    """Checks (and writes) the rows of one file for one user, each in a savepoint, through the
    project services."""

    def __init__(
        self,
        actor: User,
        spec: ledgers.Ledger,
        columns: dict[str, Column],
        sources: list[FundSource],
        source_label: str,
    ) -> None:
        self.actor = actor
        self.reader = Reader(actor, columns, sources)
        self.headers = {c.key: c.header for c in spec.columns}
        for column in columns.values():  # the file's own name of the column, where it has one
            self.headers[column.key] = column.header
        self.has = {c.key for c in columns.values()}
        self.label = source_label
        self.seen: dict[str, str] = {}
        self.visible = project_scope(user=actor)

    def header(self, key: str) -> str:
        key = FIELD_COLUMNS.get(key, key)
        if key.startswith("funding_") and f"planned_{key[8:]}" in self.headers:
            return self.headers[f"planned_{key[8:]}"]
        return self.headers.get(key, "")

    def row(self, row: Row) -> tuple[RowOutcome, str, str]:
        """Check and write one row in a savepoint (undone when it has a problem): its outcome,
        the stage label a new project enters at, and the project's code."""
        stated = self.reader.read(row)
        if row.problems:
            return RowOutcome.ERROR, "", ""
        try:
            with transaction.atomic():
                if stated.code:
                    action, code = self._change(row, stated), stated.code
                    stage = ""
                else:
                    project = self._create(row, stated)
                    if project is None:
                        return RowOutcome.ERROR, "", ""
                    action, code = RowOutcome.CREATE, project.code
                    stage = str(project.get_status_display())
                if row.problems:
                    raise Undo
        except Undo:
            return RowOutcome.ERROR, "", ""
        except ValidationError as exc:
            self._errors(row, exc)
            return RowOutcome.ERROR, "", ""
        except PermissionDenied as exc:
            key = "status" if stated.status and stated.status != ProjectStatus.PROPOSED else "area"
            row.problem(self.header(key) or "-", "%(reason)s", reason=str(exc))
            return RowOutcome.ERROR, "", ""
        except ConflictError as exc:
            row.problem(self.header("code"), "%(reason)s", reason=str(exc))
            return RowOutcome.ERROR, "", ""
        except DatabaseError as exc:
            row.problem(
                "-",
                gettext_noop("The row cannot be written: %(reason)s"),
                reason=str(exc).splitlines()[0][:200],
            )
            return RowOutcome.ERROR, "", ""
        return action, stage, code

    def _errors(self, row: Row, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                header = self.header(key) if key != "__all__" else "-"
                for message in messages:
                    row.problem(header or "-", "%(reason)s", reason=message)
        else:
            for message in exc.messages:
                row.problem("-", "%(reason)s", reason=message)

    def _where(self, row: Row) -> str:
        return f"{self.label}第{row.where}行"

    def _total(self, row: Row, stated: Stated, funding: dict[str, Decimal]) -> None:
        """A total the file states must be the sum of its fund sources."""
        if stated.total is None:
            return
        summed = sum(funding.values(), Decimal(0))
        if summed != stated.total:
            row.problem(
                self.header("planned_total"),
                gettext_noop(
                    "The total %(total)s yuan is not the sum of the fund sources, %(sum)s yuan:"
                    " give the planned yuan of each source in its column (其中：…)."
                ),
                total=f"{stated.total:,.2f}",
                sum=f"{summed:,.2f}",
            )

    def _create(self, row: Row, stated: Stated) -> Project | None:
        if stated.area_text:
            self.reader.resolve_areas(row, stated)
        given = {*stated.values, *(["area_code"] if stated.area is not None else [])}
        for key in ("name", "category", "year", "area_code"):
            if key not in given and not (key == "area_code" and stated.area_text):
                row.problem(
                    self.header(key) or self.headers.get(key, key),
                    gettext_noop("Required for a new project."),
                )
        if row.problems:
            return None
        self._total(row, stated, stated.funding)
        values = dict(stated.values)
        twin = (
            self.visible.filter(
                name=values["name"],
                year=values["year"],
                area_id=stated.area.pk,  # type: ignore[union-attr]
            )
            .values_list("code", flat=True)
            .first()
        )
        if twin is not None:
            row.problem(
                self.header("name"),
                gettext_noop(
                    "A project of this name, year and place is in the library already (%(code)s):"
                    " give its code to change it."
                ),
                code=twin,
            )
        if row.problems:
            return None
        data = services.ProjectInput(
            values=values, area=stated.area, other_areas=stated.others, funding=stated.funding
        )
        return services.project_import(
            actor=self.actor,
            data=data,
            source=self._where(row),
            status=stated.status or ProjectStatus.PROPOSED,
            plan_year=stated.plan_year,
        )

    def _change(self, row: Row, stated: Stated) -> RowOutcome:
        code_header = self.header("code")
        if stated.code in self.seen:
            row.problem(
                code_header,
                gettext_noop("Row %(row)s names this project already."),
                row=self.seen[stated.code],
            )
            return RowOutcome.ERROR
        self.seen[stated.code] = row.where
        project = (
            self.visible.select_related("fund_direction", "area", "area__parent")
            .filter(code=stated.code)
            .first()
        )
        if project is None:
            row.problem(
                code_header,
                gettext_noop("No project with the code %(code)s in your area."),
                code=stated.code,
            )
            return RowOutcome.ERROR
        values = {k: v for k, v in stated.values.items() if not _same(getattr(project, k), v)}
        lines = {f.source.code: f.planned for f in project.funding.select_related("source")}
        funding = {
            code: amount
            for code, amount in stated.funding.items()
            if lines.get(code, Decimal(0)) != amount
        }
        self._total(row, stated, {**lines, **stated.funding})
        if stated.status and stated.status != project.status:
            row.problem(
                self.header("status"),
                gettext_noop(
                    "An import does not move a project to another stage (%(stage)s here): take"
                    " the step on the project's page."
                ),
                stage=str(project.get_status_display()),
            )
        if stated.plan_year is not None and stated.plan_year != project.plan_year:
            row.problem(
                self.header("plan_year"),
                gettext_noop("The plan year is set by putting the project in a year's plan."),
            )
        moved = _moved(project, stated)
        if moved:
            row.problem(
                stated.area_headers[moved],
                gettext_noop("An import does not move a project to other areas."),
            )
        if row.problems:
            return RowOutcome.ERROR
        if not values and not funding:
            return RowOutcome.UNCHANGED
        if project.status in services.EDITABLE_UNTIL and not can_edit(
            self.actor, project.area_code
        ):
            row.problem(
                code_header,
                gettext_noop("You may not change this project: it is led from outside your area."),
            )
            return RowOutcome.ERROR
        if project.status in services.IN_FORCE and not can_approve(
            self.actor, project.area_code, ApprovalLevel.COUNTY
        ):
            row.problem(
                code_header,
                gettext_noop(
                    "This project is in force: only the county's approver changes it, through a"
                    " recorded adjustment (调整)."
                ),
            )
            return RowOutcome.ERROR
        if project.status in services.EDITABLE_UNTIL:
            services.project_update(
                actor=self.actor,
                project=project,
                expected_version=project.version,
                data=services.ProjectInput(values=values, funding=funding),
            )
        elif project.status in services.IN_FORCE:
            services.project_adjust(
                actor=self.actor,
                project=project,
                expected_version=project.version,
                reason=bilingual(
                    gettext_noop("Imported from %(source)s."), source=self._where(row)
                ),
                values=values,
                planned=funding,
            )
        else:
            row.problem(
                code_header,
                gettext_noop("A project at the stage %(stage)s is no longer changed by an import."),
                stage=str(project.get_status_display()),
            )
            return RowOutcome.ERROR
        return RowOutcome.UPDATE


def _moved(project: Project, stated: Stated) -> str:
    """The area column (key) of a row that names other areas than the project's, or "". The
    row's codes are compared as written (they need not lie in the user's area: a project
    touching it is theirs to see, a row that leaves it as it is changes nothing); names are
    compared with the names of the project's own areas."""
    text = stated.area_text
    if text.get("area_code") and text["area_code"] != project.area_code:
        return "area_code"
    if text.get("area_codes"):
        codes = {c for c in SEPARATORS.split(text["area_codes"]) if c}
        return "area_codes" if codes != set(project.area_codes) else ""
    if text.get("area_code") or not (text.get("villages") or text.get("township")):
        return ""
    areas = AdminArea.objects.filter(code__in=project.area_codes).select_related("parent")
    villages = {a.code: {a.name, short_name(a.name)} for a in areas if a.level == AreaLevel.VILLAGE}
    names = [n for n in SEPARATORS.split(text.get("villages", "")) if n]
    if names and (
        len(names) != len(villages)
        or not all(any(n in known for known in villages.values()) for n in names)
    ):
        return "villages"
    if text.get("township"):
        lead = project.area
        township = lead.parent if lead.level == AreaLevel.VILLAGE else lead
        if township is None or text["township"] not in {township.name, short_name(township.name)}:
            return "township"
    return ""


def _same(current: Any, stated: Any) -> bool:
    if isinstance(stated, FundUse):
        return getattr(current, "pk", None) == stated.pk
    if isinstance(current, Decimal) or isinstance(stated, Decimal):
        return current is not None and Decimal(current) == Decimal(stated)
    if isinstance(current, str) and isinstance(stated, str):
        return current.strip() == stated.strip()
    if isinstance(current, datetime.date) and isinstance(stated, datetime.date):
        return current == stated
    return bool(current == stated)


# --- preview and commit ---------------------------------------------------------------------


def _walk(
    path: Path,
    actor: User,
    *,
    label: str,
    progress: Progress | None = None,
    on_open: Progress | None = None,
    each: Each | None = None,
) -> ProjectOutcome:
    """Read the file and run every row through the services in the current transaction."""
    if scope_level(actor) == "village":
        raise ImportRefused(
            gettext_noop("A village sends its needs up; the township proposes projects.")
        )
    sources = ledgers.funding_sources()
    spec = ledgers.project_library(sources)
    source, columns = open_ledger_file(
        path,
        header_map(spec),
        tables=("xlsx", "csv"),
        wrong_format=gettext_noop("Upload the project library as Excel (.xlsx) or CSV."),
        no_column=gettext_noop(
            "No column of the project library was found (looked for 项目编号 or 项目名称 in"
            " the first rows; found: %(found)s). Start from an export of the library."
        ),
    )
    outcome = ProjectOutcome(format=source.format, ignored=list(dict.fromkeys(source.ignored)))
    outcome.columns = {name: column.header for name, column in columns.items()}
    keys = {c.key for c in columns.values()}
    if "code" not in keys:
        missing = [
            spec_column.header
            for spec_column in spec.columns
            if spec_column.required and spec_column.key not in keys
        ]
        if not keys & {"area_code", "area_codes", "township", "villages"}:
            missing.append("区划代码")
        if missing:
            source.close()
            raise ImportRefused(
                gettext_noop(
                    "The file has no column %(columns)s, which new projects need (and no"
                    " 项目编号 naming projects to change)."
                ),
                columns="、".join(missing),
            )
    importer = Importer(actor, spec, columns, sources, label)

    def check(row: Row) -> RowOutcome:
        action, stage, code = importer.row(row)
        outcome.note(row, action, stage=stage, code=code)
        return action

    return check_rows(
        source, columns, outcome, check,
        empty=gettext_noop("The file holds no rows of projects."),
        progress=progress, on_open=on_open, each=each,
    )  # fmt: skip


def preview(
    path: Path,
    actor: User,
    *,
    label: str = "",
    progress: Progress | None = None,
    on_open: Progress | None = None,
    each: Each | None = None,
) -> ProjectOutcome:
    """Check the whole file by running it and undoing everything (ledger_files.undone).
    ``each`` sees every checked batch (the problems workbook)."""
    return undone(
        lambda: _walk(
            path,
            actor,
            label=label or path.name,
            progress=progress,
            on_open=on_open,
            each=each,
        ),
        services.provisional_codes,
    )


def commit(
    path: Path,
    actor: User,
    *,
    label: str = "",
    command: str = "",
    progress: Progress | None = None,
) -> ProjectOutcome:
    """Check the file again and write it in one transaction, or write nothing (Rejected)."""
    return all_or_nothing(
        lambda: _walk(path, actor, label=label or path.name, progress=progress), actor, command
    )
