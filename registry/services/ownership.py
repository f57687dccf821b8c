"""Confirming ownership, handing assets over and recording who operates them."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext_noop

from registry import selectors
from registry.choices import ACTIVE_STATUSES, AssetClass, AssetStatus, OwnershipKind
from registry.errors import ValidationError, bilingual, clean_bilingual, clean_stated, field_error
from registry.models import (
    Asset,
    Handover,
    OperationContract,
    OwnershipRecord,
    OwnershipShare,
    Party,
    User,
)
from registry.services._common import lock_asset, require_edit, require_past, service

HUNDRED = Decimal("100")


def _check_parties(actor: User, parties: list[Party], field: str) -> None:
    """The parties must be ones the actor may pick (selectors.party_list: active, inside the
    actor's area, or the county and township bodies above it), the rule the pickers apply."""
    ids = {p.pk for p in parties}
    allowed = set(selectors.party_list(user=actor).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise field_error(field, gettext_noop("Choose parties inside your own area."))


def _shares_valid(shares: list[tuple[Party, Decimal]]) -> list[tuple[Party, Decimal]]:
    """The shares as stored, or a refusal naming ``shares``."""
    shares = [
        (party, clean_stated(OwnershipShare, {"percent": percent}, on="shares")["percent"])
        for party, percent in shares
    ]
    if not shares:
        raise field_error("shares", gettext_noop("Name at least one owner."))
    parties = [p.pk for p, _ in shares]
    if len(set(parties)) != len(parties):
        raise field_error("shares", gettext_noop("Each owner may appear only once."))
    if any(percent <= 0 for _, percent in shares):
        raise field_error("shares", gettext_noop("Every share must be above 0 %."))
    total = sum((percent for _, percent in shares), Decimal(0))
    if total != HUNDRED:
        raise field_error(
            "shares", gettext_noop("The shares add up to %(total)s %%, not 100 %%."), total=total
        )
    return shares


@service
def ownership_confirm(
    *,
    actor: User,
    asset: Asset,
    shares: list[tuple[Party, Decimal]],
    effective_on: datetime.date,
    basis: str,
    certificate_no: str = "",
) -> OwnershipRecord:
    """Confirm (确权) who owns the asset and in what shares; the record becomes current."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.status in (AssetStatus.DRAFT, AssetStatus.DISPOSED):
        raise ValidationError(
            bilingual(gettext_noop("Ownership can be confirmed only for registered assets."))
        )
    require_past("effective_on", effective_on)
    shares = _shares_valid(shares)
    _check_parties(actor, [p for p, _ in shares], "shares")
    if not basis.strip():
        raise field_error("basis", gettext_noop("Name the document the confirmation rests on."))
    stated = clean_stated(
        OwnershipRecord,
        {"effective_on": effective_on, "basis": basis.strip(), "certificate_no": certificate_no},
    )
    basis, certificate_no = stated["basis"], stated["certificate_no"]
    record = OwnershipRecord.objects.create(
        asset=current,
        kind=OwnershipKind.CONFIRMATION,
        effective_on=effective_on,
        basis=basis,
        certificate_no=certificate_no,
        registered_by=actor,
    )
    OwnershipShare.objects.bulk_create(
        OwnershipShare(record=record, party=p, percent=percent) for p, percent in shares
    )
    if current.status == AssetStatus.REGISTERED:
        Asset.objects.filter(pk=current.pk).update(status=AssetStatus.CONFIRMED)
    return record


@service
def asset_hand_over(
    *,
    actor: User,
    asset: Asset,
    from_party: Party,
    to_party: Party,
    supervisor: Party | None,
    handed_on: datetime.date,
    items: str,
) -> Handover:
    """Hand an asset over (移交): the receiving party becomes its sole owner from that day."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.status not in ACTIVE_STATUSES:
        raise ValidationError(
            bilingual(gettext_noop("Only a registered asset can be handed over."))
        )
    require_past("handed_on", handed_on)
    if from_party.pk == to_party.pk:
        raise field_error("to_party", gettext_noop("The receiving party must differ."))
    if not items.strip():
        raise field_error("items", gettext_noop("List what is handed over."))
    _check_parties(actor, [p for p in (from_party, to_party, supervisor) if p], "to_party")
    items = clean_stated(Handover, {"items": items})["items"]
    record = OwnershipRecord.objects.create(
        asset=current,
        kind=OwnershipKind.TRANSFER,
        effective_on=handed_on,
        basis=bilingual(gettext_noop("Handover")),
        registered_by=actor,
    )
    OwnershipShare.objects.create(record=record, party=to_party, percent=HUNDRED)
    handover = Handover.objects.create(
        asset=current,
        from_party=from_party,
        to_party=to_party,
        supervisor=supervisor,
        handed_on=handed_on,
        items=items,
        ownership_record=record,
    )
    if current.status in (AssetStatus.REGISTERED, AssetStatus.CONFIRMED):
        Asset.objects.filter(pk=current.pk).update(status=AssetStatus.HANDED_OVER)
    return handover


@service
def operation_contract_add(
    *,
    actor: User,
    asset: Asset,
    operator: Party,
    mode: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    guaranteed_income: Decimal,
) -> OperationContract:
    """Record who operates an operating asset and on what terms."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.asset_class != AssetClass.OPERATING:
        raise field_error("operator", gettext_noop("Only operating assets have operators."))
    _check_parties(actor, [operator], "operator")
    guaranteed_income = clean_stated(OperationContract, {"guaranteed_income": guaranteed_income})[
        "guaranteed_income"
    ]
    if ends_on is not None and ends_on < starts_on:
        raise field_error("ends_on", gettext_noop("The end cannot come before the start."))
    contract = OperationContract(
        asset=current,
        operator=operator,
        mode=mode,
        starts_on=starts_on,
        ends_on=ends_on,
        guaranteed_income=guaranteed_income,
    )
    clean_bilingual(contract)
    contract.save()
    return contract
