"""Requesting, approving and completing the disposal (处置) of an asset."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_noop

from registry.choices import ACTIVE_STATUSES, ApprovalLevel, AssetStatus, DisposalStatus
from registry.errors import (
    ValidationError,
    bilingual,
    clean_bilingual,
    clean_stated,
    denied,
    field_error,
)
from registry.models import Asset, DisposalApproval, DisposalRequest, DisposalTier, User
from registry.scoping import can_approve, scope_level
from registry.services._common import lock_asset, require_edit, require_past, service
from registry.services.network import network_asset_changed

LEVEL_ORDER = [ApprovalLevel.VILLAGE, ApprovalLevel.TOWNSHIP, ApprovalLevel.COUNTY]


def required_level(book_value: Decimal) -> str:
    """The highest level that must approve a disposal of this book value (DisposalTier)."""
    tier = DisposalTier.objects.filter(min_value__lte=book_value).order_by("-min_value").first()
    return tier.level if tier else ApprovalLevel.COUNTY


def levels_needed(request: DisposalRequest) -> list[str]:
    """Township approval first, then each level up to the one required."""
    top = LEVEL_ORDER.index(ApprovalLevel(request.required_level))
    return [level.value for level in LEVEL_ORDER[1 : top + 1]] or [ApprovalLevel.TOWNSHIP.value]


def disposal_pending_level(request: DisposalRequest) -> ApprovalLevel | None:
    """The level whose decision the request waits for, or None once decided. (A level is a
    str: "township"; its ``label`` is what a page shows: 乡镇.)"""
    if request.status != DisposalStatus.REQUESTED:
        return None
    done = {approval.level for approval in request.approvals.all()}  # uses a prefetch if any
    pending = [level for level in levels_needed(request) if level not in done]
    return ApprovalLevel(pending[0]) if pending else None


def disposal_can_decide(*, actor: User, request: DisposalRequest) -> bool:
    """May ``actor`` record the next decision on ``request``? (The rule disposal_decide applies.)"""
    level = disposal_pending_level(request)
    return (
        level is not None
        and scope_level(actor) == level
        and can_approve(actor, request.asset.area_code, level)
    )


@service
def disposal_request(
    *,
    actor: User,
    asset: Asset,
    reason: str,
    method: str,
    book_value: Decimal,
    explanation: str,
) -> DisposalRequest:
    """Ask to dispose of an asset; its book value decides who must approve."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.status not in ACTIVE_STATUSES:
        raise ValidationError(
            bilingual(gettext_noop("Only an asset in the register can be put up for disposal."))
        )
    if not explanation.strip():
        raise field_error("explanation", gettext_noop("Explain why the asset must go."))
    stated = clean_stated(
        DisposalRequest,
        {"reason": reason, "method": method, "book_value": book_value, "explanation": explanation},
    )
    book_value = stated["book_value"]
    request = DisposalRequest(
        asset=current,
        reason=reason,
        method=method,
        book_value=book_value,
        explanation=explanation.strip(),
        required_level=required_level(book_value),
        requested_by=actor,
        requested_on=timezone.localdate(),
    )
    clean_bilingual(request)
    request.save()
    Asset.objects.filter(pk=current.pk).update(status=AssetStatus.DISPOSAL_PENDING)
    return request


@service
def disposal_decide(
    *, actor: User, request: DisposalRequest, approved: bool, comment: str = ""
) -> DisposalRequest:
    """One level approves or rejects; the request is approved when every level needed has."""
    current = DisposalRequest.objects.select_for_update().select_related("asset").get(pk=request.pk)
    if current.status != DisposalStatus.REQUESTED:
        raise ValidationError(bilingual(gettext_noop("This request has been decided already.")))
    level = disposal_pending_level(current)
    if level is None or not disposal_can_decide(actor=actor, request=current):
        raise denied(gettext_noop("This request waits for another level's decision."))
    comment = clean_stated(DisposalApproval, {"comment": comment})["comment"]
    if not approved and not comment.strip():
        raise field_error("comment", gettext_noop("Say why the request is rejected."))
    DisposalApproval.objects.create(
        request=current, level=level, approved=approved, comment=comment, decided_by=actor
    )
    if not approved:
        current.status = DisposalStatus.REJECTED
        Asset.objects.filter(pk=current.asset_id).update(status=AssetStatus.IN_USE)
    elif level == levels_needed(current)[-1]:  # the last level needed has approved
        current.status = DisposalStatus.APPROVED
    current.save(update_fields=["status"])
    return current


@service
def disposal_complete(
    *,
    actor: User,
    request: DisposalRequest,
    completed_on: datetime.date,
    proceeds: Decimal,
    proceeds_use: str,
) -> DisposalRequest:
    """Record the outcome of an approved disposal; the asset stays in the register, disposed."""
    current = DisposalRequest.objects.select_for_update().select_related("asset").get(pk=request.pk)
    require_edit(actor, current.asset.area_code)
    require_past("completed_on", completed_on)
    if completed_on < current.requested_on:
        raise field_error(
            "completed_on", gettext_noop("A disposal cannot be completed before it was requested.")
        )
    if current.status != DisposalStatus.APPROVED:
        raise ValidationError(
            bilingual(gettext_noop("Only an approved disposal can be completed."))
        )
    stated = clean_stated(
        DisposalRequest, {"proceeds": proceeds, "proceeds_use": proceeds_use.strip()}
    )
    proceeds, proceeds_use = stated["proceeds"], stated["proceeds_use"]
    if proceeds is None or proceeds < 0:
        raise field_error("proceeds", gettext_noop("Amounts cannot be negative."))
    if proceeds > 0 and not proceeds_use:
        raise field_error("proceeds_use", gettext_noop("Say how the proceeds are used."))
    current.status = DisposalStatus.COMPLETED
    current.completed_on = completed_on
    current.proceeds = proceeds
    current.proceeds_use = proceeds_use.strip()
    current.save(update_fields=["status", "completed_on", "proceeds", "proceeds_use"])
    Asset.objects.filter(pk=current.asset_id).update(status=AssetStatus.DISPOSED)
    network_asset_changed(Asset.objects.get(pk=current.asset_id))
    return current
