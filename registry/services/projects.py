"""The project libraries' business actions (一库一单, DOMAIN.md 4): villages' construction needs
(entered, posted, sent up, reviewed by the township) and projects through their life (申报 ->
乡审核 -> 县论证 -> 县审定入库 -> 年度计划 -> 实施 -> 完工 -> 验收 -> 资产移交 -> 绩效评价 -> 归档;
调整, 出库, 结转). Each action is one transaction that writes the project's step (who, when,
from, to, why), so that the steps are the project's full record.

Who acts follows registry.scoping: a village's editors enter and post its needs; the township
approver reviews the needs and the projects led in their township; the county approver
appraises, approves into the library, plans and follows the works, hands them over as assets.
"""

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from registry import geometry
from registry.choices import (
    ApprovalLevel,
    AreaLevel,
    FundUseKind,
    NeedStatus,
    ProjectStatus,
    ProjectStepKind,
)
from registry.errors import (
    ValidationError,
    bilingual,
    clean_bilingual,
    clean_stated,
    denied,
    field_error,
    visible,
)
from registry.models import (
    AdminArea,
    Asset,
    ConstructionNeed,
    FundSource,
    FundUse,
    Party,
    PerformanceTarget,
    Project,
    ProjectFunding,
    ProjectStep,
    User,
)
from registry.plausibility import value_needs_confirmation
from registry.scoping import can_approve, can_edit, scope_level
from registry.services._common import bump_version, require_past, service
from registry.services.assets import AssetInput, asset_register, validate_place
from registry.services.ownership import ownership_confirm

# --- construction needs -------------------------------------------------------------------------

NEED_FIELDS = [
    "title",
    "category",
    "description",
    "horizon_from",
    "horizon_to",
    "estimated_investment",
    "geom",
    "meeting_kind",
    "meeting_on",
    "meeting_attendance",
]
HORIZON_YEARS = 5  # a village plans its needs 3-5 years ahead
FIRST_YEAR = 2013  # 精准扶贫: the earliest year a library entry, a need or their dates can name


def _year(field: str, year: int | None) -> None:
    """A library year or a need's year: from 2013 to five years ahead (a year 0 or 10000 is a
    slip of the keyboard, and the code of a project holds four digits of it)."""
    if year is not None and not FIRST_YEAR <= year <= timezone.localdate().year + HORIZON_YEARS:
        raise field_error(field, gettext_noop("Choose a year from 2013 to five years ahead."))


def _date(field: str, value: datetime.date | None) -> None:
    """A planned date of a project: from 2013 to ten years ahead (a date in year 1 would also
    make an Excel export that no spreadsheet reads back)."""
    if value is None:
        return
    last = timezone.localdate().year + 2 * HORIZON_YEARS
    if not FIRST_YEAR <= value.year <= last:
        raise field_error(field, gettext_noop("Choose a date from 2013 to ten years ahead."))


def _happened(field: str, value: datetime.date | None) -> None:
    """A date of something that happened: not in the future, and not before 2013."""
    require_past(field, value)
    if value is not None and value.year < FIRST_YEAR:
        raise field_error(field, gettext_noop("Choose a date from 2013 on."))


def _need_values(values: dict[str, Any]) -> dict[str, Any]:
    stated = clean_stated(ConstructionNeed, {k: v for k, v in values.items() if k in NEED_FIELDS})
    first, last = stated.get("horizon_from"), stated.get("horizon_to")
    _year("horizon_from", first)
    if first is not None and last is not None:
        if last < first:
            raise field_error(
                "horizon_to", gettext_noop("The last year cannot come before the first.")
            )
        if last - first >= HORIZON_YEARS:
            raise field_error(
                "horizon_to", gettext_noop("A village plans its needs at most 5 years ahead.")
            )
    if stated.get("meeting_on") is not None:
        _happened("meeting_on", stated["meeting_on"])
    if "title" in stated and not visible(stated["title"] or ""):
        raise field_error("title", gettext_noop("Name the need."))
    if stated.get("geom") is not None:
        _check_geometry(stated["geom"])
    return stated


def _placed_in(geom: GEOSGeometry | None, area: AdminArea, *, county: bool = False) -> None:
    """A need's place lies in its village's township, a project's (``county``) in its county:
    a project may span townships. Within the tolerance of the (approximate) boundaries; the
    error names the first position outside, as the asset form's does."""
    if geom is None:
        return
    if county:
        area = AdminArea.objects.filter(code=f"{area.county_code}000000").first() or area
    validate_place(geom, area)


def _check_geometry(geom: GEOSGeometry) -> None:
    try:
        geometry.check_geos(geom)
    except geometry.GeometryRefused as exc:
        raise field_error("geom", exc.message, **exc.params) from exc
    geom.srid = 4490


def _village(actor: User, area: AdminArea) -> AdminArea:
    if not isinstance(area, AdminArea) or area.level != AreaLevel.VILLAGE:
        raise field_error("area", gettext_noop("A construction need belongs to a village."))
    if not can_edit(actor, area.code):
        raise denied()
    return area


@service
def need_create(*, actor: User, area: AdminArea, values: dict[str, Any]) -> ConstructionNeed:
    """A village's construction need for the coming years, as its meeting decided it."""
    village = _village(actor, area)
    stated = _need_values(values)
    _placed_in(stated.get("geom"), village)
    need = ConstructionNeed(
        **stated,
        area=village,
        area_code=village.code,
        county_code=village.county_code,
        created_by=actor,
    )
    clean_bilingual(need)
    need.save()
    return need


def _lock_need(need: ConstructionNeed) -> ConstructionNeed:
    return ConstructionNeed.objects.select_for_update().get(pk=need.pk)


@service
def need_update(
    *, actor: User, need: ConstructionNeed, expected_version: int, values: dict[str, Any]
) -> ConstructionNeed:
    """Correct a need the village has not sent up yet."""
    current = _lock_need(need)
    _village(actor, current.area)
    if current.status not in (NeedStatus.DRAFT, NeedStatus.POSTED):
        raise ValidationError(
            bilingual(gettext_noop("A need sent to the township can no longer be changed."))
        )
    stated = _need_values(values)
    _placed_in(stated.get("geom"), current.area)
    bump_version(ConstructionNeed, current.pk, expected_version, **stated)
    current.refresh_from_db()
    return current


@service
def need_post(
    *,
    actor: User,
    need: ConstructionNeed,
    posted_from: datetime.date,
    posted_to: datetime.date,
    objection: str = "",
) -> ConstructionNeed:
    """Record the village's posting (公示) of the need, with any objection raised."""
    current = _lock_need(need)
    _village(actor, current.area)
    if current.status not in (NeedStatus.DRAFT, NeedStatus.POSTED):
        raise ValidationError(bilingual(gettext_noop("This need has been sent up already.")))
    if not current.meeting_kind or current.meeting_on is None:
        raise field_error(
            "meeting_kind", gettext_noop("Record the village meeting that decided it first.")
        )
    _date("posted_to", posted_to)
    if posted_to < posted_from:
        raise field_error("posted_to", gettext_noop("The posting ends before it starts."))
    if posted_from < current.meeting_on:
        raise field_error(
            "posted_from", gettext_noop("A need is posted after the meeting that decided it.")
        )
    _happened("posted_from", posted_from)
    stated = clean_stated(ConstructionNeed, {"objection": objection.strip()})
    ConstructionNeed.objects.filter(pk=current.pk).update(
        posted_from=posted_from,
        posted_to=posted_to,
        objection=stated["objection"],
        status=NeedStatus.POSTED,
    )
    current.refresh_from_db()
    return current


@service
def need_submit(*, actor: User, need: ConstructionNeed) -> ConstructionNeed:
    """Send a posted need to the township once its posting has ended."""
    current = _lock_need(need)
    _village(actor, current.area)
    if current.status != NeedStatus.POSTED or current.posted_to is None:
        raise ValidationError(bilingual(gettext_noop("Post the need in the village first.")))
    if current.posted_to > timezone.localdate():
        raise ValidationError(
            bilingual(
                gettext_noop("The posting runs until %(day)s: send it up after that."),
                day=current.posted_to.isoformat(),
            )
        )
    ConstructionNeed.objects.filter(pk=current.pk).update(status=NeedStatus.SUBMITTED)
    current.refresh_from_db()
    return current


def need_can_review(*, actor: User, need: ConstructionNeed) -> bool:
    return need.status == NeedStatus.SUBMITTED and can_approve(
        actor, need.area_code, ApprovalLevel.TOWNSHIP
    )


@service
def need_review(
    *,
    actor: User,
    need: ConstructionNeed,
    genuine: bool,
    necessary: bool,
    feasible: bool,
    accept: bool,
    note: str = "",
) -> ConstructionNeed:
    """The township reviews a need (真实性、必要性、可行性): accepted for a project proposal, or
    not accepted with the reason."""
    current = _lock_need(need)
    if not need_can_review(actor=actor, need=current):
        if current.status != NeedStatus.SUBMITTED:
            raise ValidationError(
                bilingual(gettext_noop("This need is not waiting for the township's review."))
            )
        raise denied(gettext_noop("Only the township's approver reviews its villages' needs."))
    note = clean_stated(ConstructionNeed, {"review_note": note.strip()})["review_note"]
    if accept and not (genuine and necessary and feasible):
        raise field_error(
            "accept",
            gettext_noop("A need is accepted only when it is genuine, necessary and feasible."),
        )
    if not accept and not visible(note):
        raise field_error("review_note", gettext_noop("Say why the need is not accepted."))
    ConstructionNeed.objects.filter(pk=current.pk).update(
        genuine=genuine,
        necessary=necessary,
        feasible=feasible,
        review_note=note,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        status=NeedStatus.ACCEPTED if accept else NeedStatus.REJECTED,
    )
    current.refresh_from_db()
    return current


# --- projects -----------------------------------------------------------------------------------

PROJECT_FIELDS = [
    "name",
    "year",
    "in_construction_library",
    "in_bridging_library",
    "category",
    "subcategory",
    "nature",
    "geom",
    "content",
    "scale",
    "period_start",
    "period_end",
    "implementing_unit",
    "responsible_person",
    "fund_direction",
    "fund_uses",
    "beneficiary_households",
    "beneficiary_persons",
    "beneficiary_exited_households",
    "beneficiary_monitored_households",
    "benefit_links",
    "expected_ownership",
    "expected_income",
]
# Fields that, once the project is in the library, change only through a recorded adjustment.
# After its own review the township no longer changes the text the county appraises.
EDITABLE_UNTIL = {ProjectStatus.PROPOSED}


@dataclass
class Target:
    kind: str
    indicator: str
    target: str
    unit: str = ""


@dataclass
class ProjectInput:
    """What a person states about a project: its particulars, the areas it touches besides
    its own, its planned funding (fund-source code -> yuan) and its performance targets."""

    values: dict[str, Any]
    area: AdminArea | None = None
    other_areas: list[AdminArea] = field(default_factory=list)
    funding: dict[str, Decimal] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)


def _require_a_library(stated: dict[str, Any], current: Project | None = None) -> None:
    """A project belongs to at least one library: said on the field, not by the database's
    check (an import's row names it)."""
    flags = ("in_construction_library", "in_bridging_library")
    merged = {f: stated.get(f, getattr(current, f) if current else f == flags[1]) for f in flags}
    if not any(merged.values()):
        raise field_error("in_bridging_library", gettext_noop("Choose at least one library."))


def _project_values(values: dict[str, Any]) -> dict[str, Any]:
    stated = clean_stated(Project, {k: v for k, v in values.items() if k in PROJECT_FIELDS})
    if "name" in stated and not visible(stated["name"] or ""):
        raise field_error("name", gettext_noop("Name the project."))
    _year("year", stated.get("year"))
    first, last = stated.get("period_start"), stated.get("period_end")
    _date("period_start", first)
    _date("period_end", last)
    if first and last and last < first:
        raise field_error("period_end", gettext_noop("The project cannot finish before it starts."))
    households = stated.get("beneficiary_households") or 0
    for name in ("beneficiary_exited_households", "beneficiary_monitored_households"):
        if (stated.get(name) or 0) > households:
            raise field_error(name, gettext_noop("Cannot exceed the beneficiary households."))
    if stated.get("geom") is not None:
        _check_geometry(stated["geom"])
    direction = stated.get("fund_direction")
    if direction is not None and direction.kind != FundUseKind.POSITIVE:
        raise field_error(
            "fund_direction", gettext_noop("Choose a direction of the positive list.")
        )
    uses = stated.get("fund_uses")
    if uses:
        known = set(
            FundUse.objects.filter(code__in=uses, active=True).values_list("code", flat=True)
        )
        unknown = [u for u in uses if u not in known]
        if unknown:
            raise field_error(
                "fund_uses", gettext_noop("Unknown fund use %(use)s."), use=unknown[0]
            )
    return stated


def _areas(actor: User, area: AdminArea | None, others: Iterable[AdminArea]) -> list[AdminArea]:
    if not isinstance(area, AdminArea):
        raise field_error("area", gettext_noop("Choose where the project is led from."))
    if not can_edit(actor, area.code):
        raise denied()
    areas = [area]
    for other in others:
        if other.county_code != area.county_code or other.level == AreaLevel.COUNTY:
            raise field_error("area_codes", gettext_noop("The project's areas lie in one county."))
        if other.pk not in {a.pk for a in areas}:
            areas.append(other)
    return areas


def _funding(values: dict[str, Decimal], column: str) -> dict[FundSource, Decimal]:
    sources = {s.code: s for s in FundSource.objects.filter(code__in=list(values))}
    out: dict[FundSource, Decimal] = {}
    for code, amount in values.items():
        if code not in sources:
            raise field_error("funding", gettext_noop("Unknown fund source %(code)s."), code=code)
        out[sources[code]] = clean_stated(ProjectFunding, {column: amount}, on=f"funding_{code}")[
            column
        ]
    return out


def _targets(targets: list[Target]) -> list[PerformanceTarget]:
    rows = []
    for target in targets:
        stated = clean_stated(
            PerformanceTarget,
            {
                "kind": target.kind,
                "indicator": target.indicator.strip(),
                "target": target.target.strip(),
                "unit": target.unit.strip(),
            },
            on="targets",
        )
        if not visible(stated["indicator"]) or not visible(stated["target"]):
            raise field_error("targets", gettext_noop("Each target names its indicator and value."))
        rows.append(PerformanceTarget(**stated))
    return rows


# Set while an import is previewed (rolled back at its end): the codes it shows are provisional
# and take no lock, which would otherwise stop every proposal of the year for the whole check.
_PROVISIONAL_CODES: ContextVar[bool] = ContextVar("provisional_project_codes", default=False)


@contextmanager
def provisional_codes() -> Iterator[None]:
    """Codes handed out inside are provisional (for a preview that writes nothing)."""
    token = _PROVISIONAL_CODES.set(True)
    try:
        yield
    finally:
        _PROVISIONAL_CODES.reset(token)


class ProjectCodes:
    """Hands out project codes: county(6) + year(4) + serial(4), never reused (a withdrawn
    project keeps its code). The year's prefix is locked until the transaction ends (not for
    a preview's provisional codes)."""

    def code(self, county_code: str, year: int) -> str:
        prefix = f"{county_code}{year:04d}"
        if not _PROVISIONAL_CODES.get():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["project:" + prefix])
        last = (
            Project.objects.filter(code__gte=prefix, code__lte=prefix + "9999")
            .order_by("-code")
            .values_list("code", flat=True)
            .first()
        )
        serial = int(last[-4:]) + 1 if last else 1
        if serial > 9999:
            raise ValidationError(
                bilingual(gettext_noop("No project codes are left for this year."))
            )
        return f"{prefix}{serial:04d}"


def _step(
    project: Project,
    kind: str,
    actor: User,
    to_status: str,
    *,
    from_status: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> ProjectStep:
    return ProjectStep.objects.create(
        project=project,
        kind=kind,
        actor=actor,
        to_status=to_status,
        from_status=project.status if from_status is None else from_status,
        reason=reason,
        details=details or {},
    )


def _write_funding(project: Project, planned: dict[FundSource, Decimal]) -> None:
    for source, amount in planned.items():
        ProjectFunding.objects.update_or_create(
            project=project, source=source, defaults={"planned": amount}
        )


@service
def project_propose(
    *, actor: User, data: ProjectInput, needs: Iterable[ConstructionNeed] = (), note: str = ""
) -> Project:
    """Propose a project (申报), led from a village or township (or the county), merging the
    accepted needs it answers; its code is allocated now and never reused. ``note`` is kept on
    its step (an import names its file and row there)."""
    areas = _areas(actor, data.area, data.other_areas)
    if scope_level(actor) == ApprovalLevel.VILLAGE:
        raise denied(gettext_noop("A village sends its needs up; the township proposes projects."))
    stated = _project_values(data.values)
    _placed_in(stated.get("geom"), areas[0], county=True)
    _require_a_library(stated)
    planned = _funding(data.funding, "planned")
    targets = _targets(data.targets)
    merged = list(ConstructionNeed.objects.select_for_update().filter(pk__in=[n.pk for n in needs]))
    for need in merged:
        if need.status != NeedStatus.ACCEPTED or not can_edit(actor, need.area_code):
            raise field_error(
                "needs", gettext_noop("Only needs the township accepted can make a project.")
            )
        if need.area_code not in {a.code for a in areas}:
            areas.append(need.area)
    area = areas[0]
    project = Project(
        **stated,
        code=ProjectCodes().code(area.county_code, stated["year"]),
        area=area,
        area_code=area.code,
        county_code=area.county_code,
        area_codes=sorted({a.code for a in areas}),
        created_by=actor,
    )
    clean_bilingual(project, exclude=["code"])
    project.save()
    _write_funding(project, planned)
    for target in targets:
        target.project = project
        target.save()
    ConstructionNeed.objects.filter(pk__in=[n.pk for n in merged]).update(
        project=project, status=NeedStatus.MERGED
    )
    _step(
        project,
        ProjectStepKind.PROPOSE,
        actor,
        ProjectStatus.PROPOSED,
        from_status="",
        reason=note,
        details={"needs": [n.pk for n in merged]},
    )
    return project


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("area").get(pk=project.pk)


@service
def project_update(
    *, actor: User, project: Project, expected_version: int, data: ProjectInput
) -> Project:
    """Correct a proposal before the county has appraised it (afterwards: project_adjust), as
    the township or county that proposes it; a village sends its needs up instead."""
    current = _lock(project)
    if not can_edit(actor, current.area_code):
        raise denied()
    if scope_level(actor) == ApprovalLevel.VILLAGE:
        raise denied(gettext_noop("A village sends its needs up; the township proposes projects."))
    if current.status not in EDITABLE_UNTIL:
        raise ValidationError(
            bilingual(
                gettext_noop(
                    "A reviewed project changes only through the county's recorded"
                    " adjustment (调整)."
                )
            )
        )
    stated = _project_values(data.values)
    _require_a_library(stated, current)
    _placed_in(stated.get("geom"), current.area, county=True)
    planned = _funding(data.funding, "planned")
    bump_version(Project, current.pk, expected_version, **stated, updated_at=timezone.now())
    _write_funding(current, planned)
    current.refresh_from_db()
    return current


def negative_uses(project: Project) -> list[FundUse]:
    """The negative-list items (不得用于) the project's bridging funds would pay for, planned or
    actually spent, under the rules of its province and year: a review (and a completion that
    records bridging money) refuses the project and names them."""
    bridging = (
        project.funding.filter(source__bridging=True)
        .filter(Q(planned__gt=0) | Q(actual__gt=0))
        .exists()
    )
    if not bridging or not project.fund_uses:
        return []
    return list(rules_for(project).filter(kind=FundUseKind.NEGATIVE, code__in=project.fund_uses))


def rules_for(project: Project) -> Any:
    """The fund uses in force for the project's province and library year: the national
    defaults, each replaced by the province's own row of the same code where it has one, plus
    the province's own items. A year before the first rules takes the first rules (a project
    of 2020 is not free of the negative list)."""
    province = project.county_code[:2]
    active = FundUse.objects.filter(active=True)
    first = active.aggregate(first=Min("year_from"))["first"]
    year = max(project.year, first) if first is not None else project.year
    in_force = active.filter(year_from__lte=year).filter(
        Q(year_to__isnull=True) | Q(year_to__gte=year)
    )
    own = in_force.filter(province_code=province)
    return in_force.filter(
        Q(province_code=province) | (Q(province_code="") & ~Q(code__in=own.values("code")))
    )


NEGATIVE_AT_REVIEW = gettext_noop(
    "Bridging funds may not pay for: %(rules)s. Change the project's fund uses or its funding"
    " before it can pass."
)
NEGATIVE_AT_COMPLETION = gettext_noop(
    "Bridging funds may not pay for: %(rules)s. Record this cost under another fund source."
)


def _refuse_negative(
    project: Project, field: str = "fund_uses", message: str = NEGATIVE_AT_REVIEW
) -> None:
    hits = negative_uses(project)
    if hits:
        names = "；".join(f"{h.name}（{h.basis}）" if h.basis else h.name for h in hits)
        raise field_error(field, message, rules=names)


def _review(
    actor: User,
    project: Project,
    *,
    kind: str,
    needs: str,
    to_status: str,
    approve: bool,
    checks: dict[str, bool],
    reason: str,
) -> Project:
    current = _lock(project)
    if current.status != needs:
        raise ValidationError(bilingual(gettext_noop("This project is not waiting for this step.")))
    reason = clean_stated(ProjectStep, {"reason": reason.strip()})["reason"]
    if approve:
        _refuse_negative(current)
        failed = [name for name, passed in checks.items() if not passed]
        if failed:
            raise field_error(
                "checks", gettext_noop("A project passes only when every check holds.")
            )
    elif not visible(reason):
        raise field_error("reason", gettext_noop("Say why the project does not pass."))
    new_status = to_status if approve else ProjectStatus.REJECTED
    step_kind = kind if approve else ProjectStepKind.REJECT
    details: dict[str, Any] = {"checks": checks, "step": kind}
    if not approve:
        details["released_needs"] = _release_needs(current)
    _step(current, step_kind, actor, new_status, reason=reason, details=details)
    bump_version(Project, current.pk, current.version, status=new_status)
    current.refresh_from_db()
    return current


def _require_level(actor: User, project: Project, level: str, message: str) -> None:
    if not can_approve(actor, project.area_code, level):
        raise denied(message)


TOWNSHIP_CHECKS = ("genuine", "necessary", "sound", "complete", "feasible")
COUNTY_CHECKS = ("compliant", "estimate", "funding", "land", "benefit_links", "targets")


def township_reviewer_level(project: Project) -> str:
    """A project led from a village or township is reviewed by its township; one led by the
    county itself by the county."""
    if project.area.level == AreaLevel.COUNTY:
        return ApprovalLevel.COUNTY
    return ApprovalLevel.TOWNSHIP


@service
def project_township_review(
    *, actor: User, project: Project, approve: bool, checks: dict[str, bool], reason: str = ""
) -> Project:
    """乡审核: genuine, necessary, sound, complete, feasible; a bridging-fund use on the negative
    list stops it here, with the rule named."""
    _require_level(
        actor,
        project,
        township_reviewer_level(project),
        gettext_noop("The township's approver reviews the projects led in it."),
    )
    return _review(
        actor,
        project,
        kind=ProjectStepKind.TOWNSHIP_REVIEW,
        needs=ProjectStatus.PROPOSED,
        to_status=ProjectStatus.TOWNSHIP_REVIEWED,
        approve=approve,
        checks=_only(checks, TOWNSHIP_CHECKS),
        reason=reason,
    )


def _only(checks: dict[str, bool], names: tuple[str, ...]) -> dict[str, bool]:
    return {name: bool(checks.get(name)) for name in names}


def _county(actor: User, project: Project) -> None:
    _require_level(actor, project, ApprovalLevel.COUNTY, gettext_noop("This step is the county's."))


@service
def project_appraise(
    *, actor: User, project: Project, approve: bool, checks: dict[str, bool], reason: str = ""
) -> Project:
    """县论证: compliance, the estimate, funding, land, the benefit links, the targets."""
    _county(actor, project)
    return _review(
        actor,
        project,
        kind=ProjectStepKind.COUNTY_APPRAISE,
        needs=ProjectStatus.TOWNSHIP_REVIEWED,
        to_status=ProjectStatus.APPRAISED,
        approve=approve,
        checks=_only(checks, COUNTY_CHECKS),
        reason=reason,
    )


def _advance(
    actor: User,
    project: Project,
    *,
    kind: str,
    needs: set[str],
    to_status: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    **values: Any,
) -> Project:
    current = _lock(project)
    _county(actor, current)
    if current.status not in needs:
        raise ValidationError(
            bilingual(gettext_noop("This project is not at the stage for this step."))
        )
    reason = clean_stated(ProjectStep, {"reason": reason.strip()})["reason"]
    _step(current, kind, actor, to_status, reason=reason, details=details)
    bump_version(Project, current.pk, current.version, status=to_status, **values)
    current.refresh_from_db()
    return current


@service
def project_approve(*, actor: User, project: Project, reason: str = "") -> Project:
    """县审定入库: the county's leading group approves the project into the library."""
    return _advance(
        actor,
        project,
        kind=ProjectStepKind.APPROVE,
        needs={ProjectStatus.APPRAISED},
        to_status=ProjectStatus.IN_LIBRARY,
        reason=reason,
    )


@service
def project_plan(
    *, actor: User, project: Project, year: int, task: Any = None, reason: str = ""
) -> Project:
    """年度计划: a project of the library enters the year's implementation plan (and, for the
    rural-construction library, a task of the year's task list). Only library projects can."""
    current = _lock(project)
    if current.status != ProjectStatus.IN_LIBRARY:
        raise ValidationError(
            bilingual(gettext_noop("Only a project in the library can enter the year's plan."))
        )
    if task is not None and (task.county_code != current.county_code or task.year != year):
        raise field_error("task", gettext_noop("Choose a task of the same county and year."))
    if not current.year <= year <= current.year + 3:
        raise field_error("year", gettext_noop("Plan it in its library year or the next ones."))
    return _advance(
        actor,
        current,
        kind=ProjectStepKind.PLAN,
        needs={ProjectStatus.IN_LIBRARY},
        to_status=ProjectStatus.PLANNED,
        reason=reason,
        details={"year": year},
        plan_year=year,
        task=task,
    )


@service
def project_start(
    *, actor: User, project: Project, started_on: datetime.date, tender: str = ""
) -> Project:
    """实施: the works are tendered and begin."""
    _happened("started_on", started_on)
    tender = clean_stated(ProjectStep, {"reason": tender.strip()}, on="tender")["reason"]
    return _advance(
        actor,
        project,
        kind=ProjectStepKind.START,
        needs={ProjectStatus.PLANNED},
        to_status=ProjectStatus.IN_PROGRESS,
        reason=tender,
        details={"started_on": started_on.isoformat()},
    )


@service
def project_complete(
    *,
    actor: User,
    project: Project,
    completed_on: datetime.date,
    actual: dict[str, Decimal],
    reason: str = "",
    confirm_cost: bool = False,
) -> Project:
    """完工: the works are finished; what each fund source actually paid is recorded. A cost
    over 100 million yuan, or ten times the plan, is kept only when confirmed: the assets are
    valued from it (a sum typed in 元 where 万元 was meant, or a key held down)."""
    _happened("completed_on", completed_on)
    spent = _funding(actual, "actual")
    total = sum(spent.values(), Decimal(0))
    if not spent or total <= 0:
        raise field_error("actual", gettext_noop("Record what the works actually cost."))
    planned = project.funding.aggregate(total=Sum("planned"))["total"] or Decimal(0)
    unusual = value_needs_confirmation(total) or (planned > 0 and total > 10 * planned)
    if unusual and not confirm_cost:
        raise field_error(
            "confirm_cost",
            gettext_noop(
                "The actual cost, %(total)s yuan, is over 100 million yuan or ten times the"
                " plan (%(planned)s yuan): check it, and tick the confirmation if it is right."
            ),
            total=f"{total:,.2f}",
            planned=f"{planned:,.2f}",
        )
    current = _advance(
        actor,
        project,
        kind=ProjectStepKind.COMPLETE,
        needs={ProjectStatus.IN_PROGRESS},
        to_status=ProjectStatus.COMPLETED,
        reason=reason,
        details={"completed_on": completed_on.isoformat()},
    )
    for source, amount in spent.items():
        ProjectFunding.objects.update_or_create(
            project=current, source=source, defaults={"actual": amount}
        )
    _refuse_negative(current, "actual", NEGATIVE_AT_COMPLETION)  # the transaction rolls back
    return current


@service
def project_accept(
    *, actor: User, project: Project, accepted_on: datetime.date, report: str = ""
) -> Project:
    """验收: the finished works are accepted."""
    _happened("accepted_on", accepted_on)
    return _advance(
        actor,
        project,
        kind=ProjectStepKind.ACCEPT,
        needs={ProjectStatus.COMPLETED},
        to_status=ProjectStatus.ACCEPTED,
        reason=report,
        details={"accepted_on": accepted_on.isoformat()},
    )


@dataclass
class HandoverPart:
    """One asset the accepted works become: what it is, who owns it, its share (per cent) of
    the project's actual investment, where (the project's shape when not given)."""

    name: str
    asset_class: str
    subtype: str
    quantity: Decimal
    unit: str
    owner: Party
    share: Decimal
    area: AdminArea | None = None
    geom: GEOSGeometry | None = None


def split(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """``total`` (yuan) in parts by ``shares`` (per cent, adding up to 100), rounded to the fen
    so that the parts add up to ``total`` exactly: the fen left over by rounding down go, one
    each, to the parts that lost the most."""
    cent = Decimal("0.01")
    exact = [total * share / 100 for share in shares]
    parts = [value.quantize(cent, rounding=ROUND_DOWN) for value in exact]
    left = int(((total - sum(parts, Decimal(0))) / cent).to_integral_value())
    order = sorted(range(len(parts)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[:left]:
        parts[i] += cent
    return parts


@service
def project_hand_over(
    *, actor: User, project: Project, handed_on: datetime.date, parts: list[HandoverPart]
) -> list[Asset]:
    """资产移交: the accepted works become registered assets in one action: each part an asset
    of the register (its value and funding lines split from the project's actual investment so
    that they add up to it exactly), owned as confirmed, pointing back to the project. All or
    nothing: a part that cannot be registered leaves no asset and no step."""
    current = _lock(project)
    _county(actor, current)
    if current.status != ProjectStatus.ACCEPTED:
        raise ValidationError(
            bilingual(gettext_noop("Only accepted works are handed over as assets."))
        )
    _happened("handed_on", handed_on)
    if not parts:
        raise field_error("parts", gettext_noop("Name at least one asset the works become."))
    shares = [
        clean_stated(Asset, {"source_share": p.share}, on="parts")["source_share"] for p in parts
    ]
    if any(share is None or share <= 0 for share in shares) or sum(shares) != 100:
        raise field_error("parts", gettext_noop("The parts' shares must add up to 100 %."))
    funding = list(current.funding.filter(actual__gt=0).select_related("source"))
    total = sum((f.actual or Decimal(0) for f in funding), Decimal(0))
    if total <= 0:
        raise ValidationError(bilingual(gettext_noop("The project's actual cost is not recorded.")))
    # Each source is split on its own (so that every source adds up exactly) and a part is worth
    # the sum of its lines (so that every asset's value equals its own funding lines).
    by_source = {f.source.code: split(f.actual or Decimal(0), shares) for f in funding}
    assets = []
    for index, (part, share) in enumerate(zip(parts, shares, strict=True)):
        value = sum((amounts[index] for amounts in by_source.values()), Decimal(0))
        data = AssetInput(
            values={
                "name": part.name,
                "asset_class": part.asset_class,
                "subtype": part.subtype,
                "quantity": part.quantity,
                "unit": part.unit,
                "original_value": value,
                "formed_on": handed_on,
                "area": part.area or current.area,
                "geom": part.geom if part.geom is not None else current.geom,
                "beneficiary_households": current.beneficiary_households,
                "beneficiary_persons": current.beneficiary_persons,
                "beneficiary_exited_households": current.beneficiary_exited_households,
                "beneficiary_monitored_households": current.beneficiary_monitored_households,
                "benefit_links": current.benefit_links,
                "note": bilingual(gettext_noop("Formed by project %(code)s."), code=current.code),
            },
            funding={code: amounts[index] for code, amounts in by_source.items()},
        )
        try:
            asset = asset_register(
                actor=actor, data=data, source_project=current, source_share=share
            )
        except ValidationError as exc:
            raise ValidationError(
                {
                    "parts": bilingual(
                        gettext_noop("Part %(n)s: %(reason)s"),
                        n=index + 1,
                        reason=" ".join(exc.messages),
                    )
                }
            ) from exc
        ownership_confirm(
            actor=actor,
            asset=asset,
            shares=[(part.owner, Decimal(100))],
            effective_on=handed_on,
            basis=bilingual(gettext_noop("Handover of project %(code)s"), code=current.code)[:200],
        )
        assets.append(asset)
    _step(
        current,
        ProjectStepKind.HAND_OVER,
        actor,
        ProjectStatus.HANDED_OVER,
        details={"handed_on": handed_on.isoformat(), "assets": [a.code for a in assets]},
    )
    bump_version(Project, current.pk, current.version, status=ProjectStatus.HANDED_OVER)
    return assets


@service
def project_evaluate(
    *, actor: User, project: Project, actuals: dict[int, str], reason: str = ""
) -> Project:
    """绩效评价: each target's actual value is recorded against its target."""
    current = _lock(project)
    targets = {t.pk: t for t in current.targets.all()}
    for pk, value in actuals.items():
        if pk not in targets:
            raise field_error("targets", gettext_noop("Unknown target."))
        stated = clean_stated(PerformanceTarget, {"actual": str(value).strip()}, on="targets")
        targets[pk].actual = stated["actual"]
    missing = [t for t in targets.values() if not visible(t.actual)]
    if missing:
        raise field_error(
            "targets",
            gettext_noop("Record the actual value of %(indicator)s."),
            indicator=missing[0].indicator,
        )
    current = _advance(
        actor,
        current,
        kind=ProjectStepKind.EVALUATE,
        needs={ProjectStatus.HANDED_OVER},
        to_status=ProjectStatus.EVALUATED,
        reason=reason,
        details={"actuals": {t.indicator: t.actual for t in targets.values()}},
    )
    for target in targets.values():
        PerformanceTarget.objects.filter(pk=target.pk).update(actual=target.actual)
    return current


@service
def project_archive(*, actor: User, project: Project, reason: str = "") -> Project:
    """归档: the project's record is closed."""
    return _advance(
        actor,
        project,
        kind=ProjectStepKind.ARCHIVE,
        needs={ProjectStatus.EVALUATED},
        to_status=ProjectStatus.ARCHIVED,
        reason=reason,
    )


IN_FORCE = {
    ProjectStatus.TOWNSHIP_REVIEWED,
    ProjectStatus.APPRAISED,
    ProjectStatus.IN_LIBRARY,
    ProjectStatus.PLANNED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.COMPLETED,
}


@service
def project_adjust(
    *,
    actor: User,
    project: Project,
    expected_version: int,
    reason: str,
    values: dict[str, Any] | None = None,
    planned: dict[str, Decimal] | None = None,
    targets: dict[int, str] | None = None,
) -> Project:
    """调整: an approved project's particulars, planned funding or targets change only so, with
    the reason and what changed recorded in its step."""
    current = _lock(project)
    _county(actor, current)
    if current.status not in IN_FORCE:
        raise ValidationError(bilingual(gettext_noop("Only a project in force can be adjusted.")))
    reason = clean_stated(ProjectStep, {"reason": reason.strip()})["reason"]
    if not visible(reason):
        raise field_error("reason", gettext_noop("Give the reason for the adjustment."))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    stated = _project_values(values or {})
    _require_a_library(stated, current)
    _placed_in(stated.get("geom"), current.area, county=True)
    for name, value in stated.items():
        old = getattr(current, name)
        if old != value:
            before[name], after[name] = _plain(old), _plain(value)
    new_funding = _funding(planned or {}, "planned")
    lines = {f.source_id: f for f in current.funding.all()}
    for source, amount in new_funding.items():
        old_amount = lines[source.pk].planned if source.pk in lines else Decimal(0)
        if old_amount != amount:
            before[f"funding:{source.code}"], after[f"funding:{source.code}"] = (
                str(old_amount),
                str(amount),
            )
    own_targets = {t.pk: t for t in current.targets.all()}
    for pk, value in (targets or {}).items():
        if pk not in own_targets:
            raise field_error("targets", gettext_noop("Unknown target."))
        value = clean_stated(PerformanceTarget, {"target": str(value).strip()}, on="targets")[
            "target"
        ]
        if own_targets[pk].target != value:
            before[f"target:{own_targets[pk].indicator}"] = own_targets[pk].target
            after[f"target:{own_targets[pk].indicator}"] = value
    if not after:
        raise ValidationError(bilingual(gettext_noop("The adjustment changes nothing.")))
    _step(
        current,
        ProjectStepKind.ADJUST,
        actor,
        current.status,
        reason=reason,
        details={"before": before, "after": after},
    )
    bump_version(Project, current.pk, expected_version, **stated, updated_at=timezone.now())
    _write_funding(current, new_funding)
    for pk, value in (targets or {}).items():
        PerformanceTarget.objects.filter(pk=pk).update(target=str(value).strip())
    current.refresh_from_db()
    # An adjustment cannot bring in what the review would have stopped (rolled back whole).
    _refuse_negative(current)
    return current


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.date, Decimal)):
        return str(value)
    if isinstance(value, GEOSGeometry):
        return value.wkt[:200]
    if hasattr(value, "pk"):
        return value.pk
    return value


@service
def project_withdraw(*, actor: User, project: Project, reason: str) -> Project:
    """出库: a project leaves the library, with the reason; its code is not reused. The needs
    it answered are free again for another proposal."""
    if not visible(reason):
        raise field_error("reason", gettext_noop("Give the reason for withdrawing it."))
    withdrawn = _advance(
        actor,
        project,
        kind=ProjectStepKind.WITHDRAW,
        needs={ProjectStatus.APPRAISED, ProjectStatus.IN_LIBRARY, ProjectStatus.PLANNED},
        to_status=ProjectStatus.WITHDRAWN,
        reason=reason,
        details={"released_needs": _merged_needs(project)},
    )
    _release_needs(withdrawn)
    return withdrawn


def _merged_needs(project: Project) -> list[int]:
    return list(project.needs.filter(status=NeedStatus.MERGED).values_list("pk", flat=True))


def _release_needs(project: Project) -> list[int]:
    """A project that is refused or leaves the library gives its villages' needs back to the
    township (accepted, to be proposed again); the step records which (history keeps the old
    link)."""
    needs = _merged_needs(project)
    ConstructionNeed.objects.filter(pk__in=needs).update(project=None, status=NeedStatus.ACCEPTED)
    return needs


@service
def project_carry_over(*, actor: User, project: Project, reason: str = "") -> Project:
    """结转: a library project the year did not fund rolls over into next year's library (its
    code, with the year it was first entered, stays)."""
    current = _lock(project)
    if current.status != ProjectStatus.IN_LIBRARY:
        raise ValidationError(
            bilingual(gettext_noop("Only a project waiting in the library is carried over."))
        )
    return _advance(
        actor,
        current,
        kind=ProjectStepKind.CARRY_OVER,
        needs={ProjectStatus.IN_LIBRARY},
        to_status=ProjectStatus.IN_LIBRARY,
        reason=reason,
        details={"from_year": current.year, "to_year": current.year + 1},
        year=current.year + 1,
    )


def project_can(actor: User | Any, project: Project) -> dict[str, bool]:
    """Which steps ``actor`` may take on ``project`` now (for the page's buttons; the services
    decide)."""
    if not isinstance(actor, User):
        return {}
    county = can_approve(actor, project.area_code, ApprovalLevel.COUNTY)
    status = project.status
    township = can_approve(actor, project.area_code, township_reviewer_level(project))
    return {
        "edit": status in EDITABLE_UNTIL
        and can_edit(actor, project.area_code)
        and scope_level(actor) != ApprovalLevel.VILLAGE,
        "township_review": status == ProjectStatus.PROPOSED and township,
        "appraise": status == ProjectStatus.TOWNSHIP_REVIEWED and county,
        "approve": status == ProjectStatus.APPRAISED and county,
        "plan": status == ProjectStatus.IN_LIBRARY and county,
        "carry_over": status == ProjectStatus.IN_LIBRARY and county,
        "start": status == ProjectStatus.PLANNED and county,
        "complete": status == ProjectStatus.IN_PROGRESS and county,
        "accept": status == ProjectStatus.COMPLETED and county,
        "hand_over": status == ProjectStatus.ACCEPTED and county,
        "evaluate": status == ProjectStatus.HANDED_OVER and county,
        "archive": status == ProjectStatus.EVALUATED and county,
        "adjust": status in IN_FORCE and county,
        "withdraw": status
        in {ProjectStatus.APPRAISED, ProjectStatus.IN_LIBRARY, ProjectStatus.PLANNED}
        and county,
    }


# --- files of needs and the yearly task list (pages of issue 19) ---------------------------------
# (imported here, beside the services that use them; the module's head is the lifecycle's)
import secrets  # noqa: E402

from registry.choices import AttachmentKind  # noqa: E402
from registry.models import ProjectFile, TaskListItem  # noqa: E402
from registry.services.attachments import attachment_check  # noqa: E402

NEED_FILE_STATUSES = {NeedStatus.DRAFT, NeedStatus.POSTED, NeedStatus.SUBMITTED}


@service
def need_attach(*, actor: User, need: ConstructionNeed, upload: Any, kind: str) -> ProjectFile:
    """Keep a file of a need (the village meeting's minutes, a scan of the posting), checked
    for size and real type like an asset's attachments; until the township has decided."""
    current = _lock_need(need)
    _village(actor, current.area)
    if current.status not in NEED_FILE_STATUSES:
        raise ValidationError(
            bilingual(gettext_noop("The township has decided on this need: its files are kept."))
        )
    if kind not in AttachmentKind.values:
        raise field_error("kind", gettext_noop("Choose what kind of file it is."))
    content_type, extension = attachment_check(upload, "file")
    item = ProjectFile(
        county_code=current.county_code,
        need=current,
        kind=kind,
        original_name=(upload.name or "file")[:200],
        content_type=content_type,
        size=upload.size or 0,  # attachment_check refused an unknown or empty size
        uploaded_by=actor,
    )
    item.file.save(f"{secrets.token_hex(12)}.{extension}", upload, save=False)
    item.save()
    return item


@service
def project_step_attach(*, actor: User, project: Project, upload: Any) -> ProjectFile:
    """Keep a file with the step the actor has just taken on the project (the view calls it in
    the step's own transaction, so a refused file leaves the step untaken)."""
    step = project.steps.order_by("-at", "-id").first()
    if step is None or step.actor_id != actor.pk:
        raise denied(gettext_noop("A file goes with the step you have just taken."))
    content_type, extension = attachment_check(upload, "file")
    kind = AttachmentKind.PHOTO if content_type.startswith("image/") else AttachmentKind.SCAN
    item = ProjectFile(
        county_code=project.county_code,
        project=project,
        step=step,
        kind=kind,
        original_name=(upload.name or "file")[:200],
        content_type=content_type,
        size=upload.size or 0,  # attachment_check refused an unknown or empty size
        uploaded_by=actor,
    )
    item.file.save(f"{secrets.token_hex(12)}.{extension}", upload, save=False)
    item.save()
    return item


TASK_FIELDS = [
    "year",
    "task",
    "department",
    "target",
    "content",
    "standard",
    "scale",
    "fund_source",
    "progress",
    "progress_note",
]


def _county_editor(actor: User, county_code: str) -> None:
    county = AdminArea.objects.filter(level=AreaLevel.COUNTY, county_code=county_code).first()
    if county is None or not can_edit(actor, county.code):
        raise denied(gettext_noop("The county keeps its task list."))


def _task_values(values: dict[str, Any]) -> dict[str, Any]:
    stated = clean_stated(TaskListItem, {k: v for k, v in values.items() if k in TASK_FIELDS})
    if "task" in stated and not visible(stated["task"] or ""):
        raise field_error("task", gettext_noop("Name the task."))
    if "department" in stated and not visible(stated["department"] or ""):
        raise field_error("department", gettext_noop("Name the responsible department."))
    _year("year", stated.get("year"))
    return stated


@service
def task_create(*, actor: User, county_code: str, values: dict[str, Any]) -> TaskListItem:
    """A task of the county's yearly rural-construction task list (乡村建设任务清单)."""
    _county_editor(actor, county_code)
    item = TaskListItem(**_task_values(values), county_code=county_code, created_by=actor)
    clean_bilingual(item)
    item.save()
    return item


@service
def task_update(*, actor: User, task: TaskListItem, values: dict[str, Any]) -> TaskListItem:
    """Correct a task, or record its progress."""
    current = TaskListItem.objects.select_for_update().get(pk=task.pk)
    _county_editor(actor, current.county_code)
    for name, value in _task_values(values).items():
        setattr(current, name, value)
    clean_bilingual(current)
    current.save()
    return current


# --- a library kept before the register (transfer's project import) ------------------------------

# The stages a project of an earlier library may be entered at: up to the year's plan. Later ones
# (works, acceptance, handover, evaluation) need their own records (actual cost, assets formed)
# and are taken step by step on the project's page.
IMPORT_STAGES = (
    ProjectStatus.PROPOSED,
    ProjectStatus.TOWNSHIP_REVIEWED,
    ProjectStatus.APPRAISED,
    ProjectStatus.IN_LIBRARY,
    ProjectStatus.PLANNED,
)


@service
def project_import(
    *,
    actor: User,
    data: ProjectInput,
    source: str,
    status: str = ProjectStatus.PROPOSED,
    plan_year: int | None = None,
) -> Project:
    """A project of a library the county kept before the register, entered from a file:
    proposed like any other (its code allocated now; its step says it came from ``source``,
    the file and row). A file may state that the project is further on (reviewed, appraised,
    in the library, in a year's plan): only the county's approver enters it so, and a second
    step (调整, from 申报 to that stage) records that the decisions were taken before the
    register, by whom it was entered and from which file. The negative list still applies."""
    if status not in IMPORT_STAGES:
        raise field_error(
            "status",
            gettext_noop(
                "A project is entered from a file at most at the year's plan (年度计划); later"
                " stages are recorded step by step on its page."
            ),
        )
    if plan_year is not None and status != ProjectStatus.PLANNED:
        raise field_error(
            "plan_year", gettext_noop("Only a project in the year's plan has a plan year.")
        )
    note = bilingual(gettext_noop("Imported from %(source)s."), source=source)
    project = project_propose(actor=actor, data=data, note=note[:1000])
    if status == ProjectStatus.PROPOSED:
        return project
    if not can_approve(actor, project.area_code, ApprovalLevel.COUNTY):
        raise denied(
            gettext_noop("Only the county's approver enters a project past 申报 from a file.")
        )
    if status == ProjectStatus.PLANNED:
        if plan_year is None:
            raise field_error(
                "plan_year", gettext_noop("A project in the year's plan names its plan year.")
            )
        if not project.year <= plan_year <= project.year + 3:
            raise field_error(
                "plan_year", gettext_noop("Plan it in its library year or the next ones.")
            )
    _refuse_negative(project)
    reason = bilingual(
        gettext_noop(
            "Entered at the stage %(stage)s that %(source)s states: the earlier steps were taken"
            " before the register."
        ),
        stage=str(ProjectStatus(status).label),
        source=source,
    )
    _step(
        project,
        ProjectStepKind.ADJUST,
        actor,
        status,
        from_status=ProjectStatus.PROPOSED,
        reason=reason[:1000],
        details={"imported": source, "stage": status, "plan_year": plan_year},
    )
    bump_version(Project, project.pk, project.version, status=status, plan_year=plan_year)
    project.refresh_from_db()
    return project
