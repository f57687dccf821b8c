"""Recording an operating asset's income and planning its distribution."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_noop

from registry.choices import AllocationUse, ApprovalLevel, AssetClass, PlanStatus
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
    Asset,
    DistributionLine,
    DistributionPlan,
    IncomeRecord,
    PlanReturn,
    User,
)
from registry.scoping import can_approve, can_edit, scope_level
from registry.services._common import bump_version, lock_asset, require_edit, require_past, service

# Who moves a plan on: the village resolves, the township reviews, the county files. A plan
# sent back goes to the village again: revised (back to draft) or resolved anew.
NEXT_STEP = {
    PlanStatus.DRAFT: (PlanStatus.VILLAGE_RESOLVED, None),
    PlanStatus.REJECTED: (PlanStatus.VILLAGE_RESOLVED, None),
    PlanStatus.VILLAGE_RESOLVED: (PlanStatus.TOWNSHIP_REVIEWED, ApprovalLevel.TOWNSHIP),
    PlanStatus.TOWNSHIP_REVIEWED: (PlanStatus.COUNTY_FILED, ApprovalLevel.COUNTY),
}


def _operating(asset: Asset) -> None:
    if asset.asset_class != AssetClass.OPERATING:
        raise ValidationError(
            bilingual(gettext_noop("Only operating assets have income to distribute."))
        )


@service
def income_record_add(
    *,
    actor: User,
    asset: Asset,
    period_start: datetime.date,
    period_end: datetime.date,
    gross: Decimal,
    costs: Decimal,
    account: str = "",
) -> IncomeRecord:
    """Record what an operating asset earned in a period."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    _operating(current)
    stated = clean_stated(IncomeRecord, {"gross": gross, "costs": costs, "account": account})
    gross, costs, account = stated["gross"], stated["costs"], stated["account"]
    if period_end < period_start:
        raise field_error("period_end", gettext_noop("The period ends before it starts."))
    require_past("period_end", period_end)  # income is recorded once it has been earned
    if costs > gross:
        raise field_error("costs", gettext_noop("Costs cannot exceed gross income."))
    record = IncomeRecord(
        asset=current,
        period_start=period_start,
        period_end=period_end,
        gross=gross,
        costs=costs,
        account=account,
        recorded_by=actor,
    )
    clean_bilingual(record)
    record.save()
    return record


def is_per_capita_cash_only(lines: Mapping[str, Decimal]) -> bool:
    """All money paid straight to households: the 发钱发物、一分了之 the rules forbid."""
    spent = {use: amount for use, amount in lines.items() if amount > 0}
    return list(spent) == [AllocationUse.HOUSEHOLDS]


def household_cash_share(lines: Mapping[str, Decimal]) -> Decimal:
    """The percentage of a plan's money paid directly as cash to households (0 for no money)."""
    total = sum((amount for amount in lines.values() if amount > 0), Decimal(0))
    if not total:
        return Decimal(0)
    cash = max(lines.get(AllocationUse.HOUSEHOLDS, Decimal(0)), Decimal(0))
    return (cash * 100 / total).quantize(Decimal("0.1"))


def household_cash_limit() -> Decimal:
    """The share of cash to households above which a plan is warned against (the setting
    HOUSEHOLD_CASH_WARN_PERCENT: local policy, read when asked)."""
    return Decimal(str(settings.HOUSEHOLD_CASH_WARN_PERCENT))


def household_cash_warns(lines: Mapping[str, Decimal]) -> bool:
    """Does the plan pay more than the configured share straight to households as cash?"""
    return household_cash_share(lines) > household_cash_limit()


def _stated_lines(lines: Mapping[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    """The allocation lines as stored: known uses, amounts the column holds, adding up."""
    unknown = set(lines) - set(AllocationUse.values)
    if unknown:
        raise field_error("lines", gettext_noop("Unknown use %(use)s."), use=sorted(unknown)[0])
    stated = {
        use: clean_stated(DistributionLine, {"amount": amount}, on="lines")["amount"]
        for use, amount in lines.items()
    }
    allocated = sum(stated.values(), Decimal(0))
    if allocated != total:
        raise field_error(
            "lines",
            gettext_noop("The lines add up to %(allocated)s yuan, not the total %(total)s."),
            allocated=allocated,
            total=total,
        )
    return stated


@service
def distribution_plan_create(
    *,
    actor: User,
    asset: Asset,
    year: int,
    total: Decimal,
    lines: dict[str, Decimal],
    resolution: str = "",
) -> DistributionPlan:
    """Draft a year's distribution plan; its allocation lines must add up to its total."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    _operating(current)
    stated = clean_stated(
        DistributionPlan, {"year": year, "total": total, "resolution": resolution}
    )
    year, total, resolution = stated["year"], stated["total"], stated["resolution"]
    lines = _stated_lines(lines, total)
    if DistributionPlan.objects.filter(asset=current, year=year).exists():
        raise field_error(
            "year", gettext_noop("This asset already has a plan for %(year)s."), year=year
        )
    plan = DistributionPlan.objects.create(
        asset=current,
        year=year,
        total=total,
        resolution=resolution,
        per_capita_cash_only=is_per_capita_cash_only(lines),
        created_by=actor,
    )
    DistributionLine.objects.bulk_create(
        DistributionLine(plan=plan, use=use, amount=amount)
        for use, amount in lines.items()
        if amount > 0
    )
    return plan


def plan_can_advance(*, actor: User, plan: DistributionPlan) -> bool:
    """May ``actor`` take the plan's next step? (The rule distribution_plan_advance applies.)"""
    step = NEXT_STEP.get(PlanStatus(plan.status))
    if step is None:
        return False
    _new_status, level = step
    if level is None:
        return can_edit(actor, plan.asset.area_code) and (
            actor.is_superuser or scope_level(actor) == ApprovalLevel.VILLAGE
        )
    return can_approve(actor, plan.asset.area_code, level)


@service
def distribution_plan_advance(
    *, actor: User, plan: DistributionPlan, expected_version: int, resolution: str = ""
) -> DistributionPlan:
    """Move a plan one step: village resolution, then township review, then county filing."""
    current = DistributionPlan.objects.select_for_update().select_related("asset").get(pk=plan.pk)
    step = NEXT_STEP.get(PlanStatus(current.status))
    if step is None:
        raise ValidationError(bilingual(gettext_noop("This plan has no further step.")))
    new_status, level = step
    if not plan_can_advance(actor=actor, plan=current):
        if level is None:
            require_edit(actor, current.asset.area_code)
            raise denied(gettext_noop("The village records its own resolution."))
        raise denied(gettext_noop("This step needs an approver at the next level."))
    resolution = clean_stated(DistributionPlan, {"resolution": resolution})["resolution"]
    if level is None and not (resolution or current.resolution).strip():
        raise field_error("resolution", gettext_noop("Name the village meeting's resolution."))
    values: dict[str, object] = {"status": new_status}
    if resolution:
        values["resolution"] = resolution
    bump_version(DistributionPlan, current.pk, expected_version, **values)
    current.refresh_from_db()
    return current


def plan_can_return(*, actor: User, plan: DistributionPlan) -> bool:
    """May ``actor`` send the plan back? The level that reviews it now: the township a plan the
    village resolved, the county a plan the township reviewed."""
    step = NEXT_STEP.get(PlanStatus(plan.status))
    if step is None or step[1] is None:
        return False
    return can_approve(actor, plan.asset.area_code, step[1])


@service
def distribution_plan_return(
    *, actor: User, plan: DistributionPlan, expected_version: int, reason: str
) -> PlanReturn:
    """The reviewing level sends a plan back to the village with a reason (status "sent
    back"); the village revises it or records its resolution again."""
    current = DistributionPlan.objects.select_for_update().select_related("asset").get(pk=plan.pk)
    step = NEXT_STEP.get(PlanStatus(current.status))
    if step is None or step[1] is None:
        raise ValidationError(
            bilingual(gettext_noop("This plan is not waiting for a review to send it back."))
        )
    if not plan_can_return(actor=actor, plan=current):
        raise denied(gettext_noop("Only the level that reviews the plan can send it back."))
    if not visible(reason):
        raise field_error("reason", gettext_noop("Give the reason for sending it back."))
    reason = clean_stated(PlanReturn, {"reason": reason.strip()})["reason"]
    returned = PlanReturn(
        plan=current, level=step[1], from_status=current.status, reason=reason, returned_by=actor
    )
    clean_bilingual(returned)
    returned.save()
    bump_version(DistributionPlan, current.pk, expected_version, status=PlanStatus.REJECTED)
    return returned


def plan_can_revise(*, actor: User, plan: DistributionPlan) -> bool:
    """May ``actor`` change the plan's amounts? While it is a draft or sent back, by those who
    edit its asset's area."""
    return plan.status in (PlanStatus.DRAFT, PlanStatus.REJECTED) and can_edit(
        actor, plan.asset.area_code
    )


@service
def distribution_plan_revise(
    *,
    actor: User,
    plan: DistributionPlan,
    expected_version: int,
    total: Decimal,
    lines: Mapping[str, Decimal],
    resolution: str = "",
) -> DistributionPlan:
    """Revise a draft or sent-back plan (its year stays); it becomes a draft again, for the
    village to resolve and send on. Lines no longer used keep their row at zero."""
    current = DistributionPlan.objects.select_for_update().select_related("asset").get(pk=plan.pk)
    require_edit(actor, current.asset.area_code)
    if not plan_can_revise(actor=actor, plan=current):
        raise ValidationError(
            bilingual(gettext_noop("Only a draft plan or one sent back can be revised."))
        )
    stated = clean_stated(DistributionPlan, {"total": total, "resolution": resolution})
    total, resolution = stated["total"], stated["resolution"]
    stated_lines = _stated_lines(lines, total)
    bump_version(
        DistributionPlan,
        current.pk,
        expected_version,
        total=total,
        resolution=resolution,
        per_capita_cash_only=is_per_capita_cash_only(stated_lines),
        status=PlanStatus.DRAFT,
    )
    existing = {line.use: line for line in current.lines.all()}
    for use in AllocationUse.values:
        amount = stated_lines.get(use, Decimal(0))
        line = existing.get(use)
        if line is not None and line.amount != amount:
            DistributionLine.objects.filter(pk=line.pk).update(amount=amount)
        elif line is None and amount > 0:
            DistributionLine.objects.create(plan=current, use=use, amount=amount)
    current.refresh_from_db()
    return current
