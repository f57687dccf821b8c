"""Recording an operating asset's income and planning its distribution."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext_noop

from registry.choices import AllocationUse, ApprovalLevel, AssetClass, PlanStatus
from registry.errors import (
    ValidationError,
    bilingual,
    clean_bilingual,
    clean_stated,
    denied,
    field_error,
)
from registry.models import Asset, DistributionLine, DistributionPlan, IncomeRecord, User
from registry.scoping import can_approve, can_edit, scope_level
from registry.services._common import bump_version, lock_asset, require_edit, require_past, service

# Who moves a plan on: the village resolves, the township reviews, the county files.
NEXT_STEP = {
    PlanStatus.DRAFT: (PlanStatus.VILLAGE_RESOLVED, None),
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


def is_per_capita_cash_only(lines: dict[str, Decimal]) -> bool:
    """All money paid straight to households: the 发钱发物、一分了之 the rules forbid."""
    spent = {use: amount for use, amount in lines.items() if amount > 0}
    return list(spent) == [AllocationUse.HOUSEHOLDS]


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
    unknown = set(lines) - set(AllocationUse.values)
    if unknown:
        raise field_error("lines", gettext_noop("Unknown use %(use)s."), use=sorted(unknown)[0])
    lines = {
        use: clean_stated(DistributionLine, {"amount": amount}, on="lines")["amount"]
        for use, amount in lines.items()
    }
    allocated = sum(lines.values(), Decimal(0))
    if allocated != total:
        raise field_error(
            "lines",
            gettext_noop("The lines add up to %(allocated)s yuan, not the total %(total)s."),
            allocated=allocated,
            total=total,
        )
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
