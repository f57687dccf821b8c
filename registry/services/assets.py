"""Registering and changing assets."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from registry import geometry
from registry.choices import (
    ACTIVE_STATUSES,
    ASSET_CLASS_DIGIT,
    SUBTYPES_BY_CLASS,
    ApprovalLevel,
    AreaLevel,
    AssetStatus,
    FundEra,
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
    AssetFunding,
    FundSource,
    RegistrationReturn,
    User,
)
from registry.scoping import can_approve, scope_level, visible_to
from registry.services._common import bump_version, lock_asset, require_edit, service
from registry.services.network import network_asset_changed

# How far (in degrees, about 1 km) a position may lie outside its township's boundary: the
# boundaries are approximate (the demo's are synthetic). The form and imports apply the same.
TOWNSHIP_TOLERANCE = 0.01

# Fields a person may set on an asset (code, status, scope keys and version are the service's).
EDITABLE_FIELDS = [
    "original_code", "name", "asset_class", "subtype", "form", "original_value", "quantity",
    "unit", "formed_on", "area", "address", "geom", "beneficiary_households", "beneficiary_persons",
    "beneficiary_exited_households", "beneficiary_monitored_households", "benefit_links",
    "booked", "booked_on", "voucher_no", "supervising_department", "note",
]  # fmt: skip


@dataclass
class AssetInput:
    """What a person states about an asset; funding maps fund-source codes to yuan."""

    values: dict[str, Any]
    funding: dict[str, Decimal] = field(default_factory=dict)


def fund_era_for(formed_on: datetime.date) -> str:
    """Assets formed from 2021 on are 帮扶项目资产 (bridging funds), earlier ones 扶贫项目资产."""
    return FundEra.ASSISTANCE if formed_on.year >= 2021 else FundEra.POVERTY_ALLEVIATION


def rule_problems(
    values: dict[str, Any], today: datetime.date | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """The register's rules that need no database, as (field, message, params) for each one
    ``values`` breaks: the form stops at the first, an import reports them all."""
    today = today or timezone.localdate()
    problems: list[tuple[str, str, dict[str, Any]]] = []
    cls, subtype = values.get("asset_class"), values.get("subtype")
    if (cls or subtype) and subtype not in SUBTYPES_BY_CLASS.get(cls or "", []):
        problems.append(
            ("subtype", gettext_noop("This sub-type does not belong to the class."), {})
        )
    formed_on = values.get("formed_on")
    if formed_on and formed_on > today:
        problems.append(("formed_on", gettext_noop("The date formed cannot be in the future."), {}))
    booked_on = values.get("booked_on")
    if booked_on and booked_on > today:
        problems.append(("booked_on", gettext_noop("The date cannot be in the future."), {}))
    if formed_on and formed_on.year < 2012:
        message = gettext_noop("Project assets count from 2012 (the 18th Party Congress).")
        problems.append(("formed_on", message, {}))
    households = values.get("beneficiary_households", 0) or 0
    for name in ("beneficiary_exited_households", "beneficiary_monitored_households"):
        if (values.get(name) or 0) > households:
            problems.append((name, gettext_noop("Cannot exceed the beneficiary households."), {}))
    return problems


def initial_status(actor: User) -> str:
    """A village user's registration waits for township review; others' stand at once."""
    return (
        AssetStatus.DRAFT if scope_level(actor) == ApprovalLevel.VILLAGE else AssetStatus.REGISTERED
    )


def _validate(actor: User, values: dict[str, Any]) -> AdminArea:
    area = values.get("area")
    if (
        not isinstance(area, AdminArea)
        or not visible_to(actor, AdminArea.objects.all()).filter(pk=area.pk).exists()
    ):
        raise field_error("area", gettext_noop("Choose a location inside your own area."))
    require_edit(actor, area.code)
    if values.get("subtype") is None:
        raise field_error("subtype", gettext_noop("This sub-type does not belong to the class."))
    for name, message, params in rule_problems(values)[:1]:
        raise field_error(name, message, **params)
    geom: GEOSGeometry | None = values.get("geom")
    if geom is not None:
        validate_place(geom, area)
    return area


def validate_place(geom: GEOSGeometry, area: AdminArea) -> None:
    try:
        geometry.check_geos(geom)
    except geometry.GeometryRefused as exc:
        raise field_error("geom", exc.message, **exc.params) from exc
    geom.srid = 4490
    township = area if area.level != AreaLevel.VILLAGE else area.parent
    boundary = township.boundary if township else None
    allowed = boundary.buffer(TOWNSHIP_TOLERANCE) if boundary is not None else None
    if township is not None and allowed is not None and not allowed.covers(geom):
        x, y = _first_vertex_outside(geom, allowed)
        raise field_error(
            "geom",
            gettext_noop("The position %(lon).6f, %(lat).6f lies outside %(area)s."),
            lon=x,
            lat=y,
            area=township.name,
        )


def _first_vertex_outside(geom: GEOSGeometry, boundary: GEOSGeometry) -> tuple[float, float]:
    """The first vertex of ``geom`` that ``boundary`` does not cover, to name in the error."""
    for x, y, *_ in _vertices(geom):
        if not boundary.covers(Point(x, y, srid=geom.srid)):
            return x, y
    x, y = geom.point_on_surface.coords[:2]
    return x, y


def _vertices(geom: GEOSGeometry) -> list[tuple[float, ...]]:
    coords = getattr(geom, "coords", ())
    flat: list[tuple[float, ...]] = []

    def walk(value: object) -> None:
        if isinstance(value, tuple) and value and isinstance(value[0], float):
            flat.append(value)
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)

    walk(coords)
    return flat


class CodeAllocator:
    """Hands out asset codes: county(6) + year(4) + class digit(1) + serial(5). The first code
    of a prefix locks that prefix until the transaction ends (so concurrent registrations queue
    up) and reads its last serial once; later codes of the prefix count on from there, which is
    what a bulk import needs."""

    def __init__(self) -> None:
        self.next_serial: dict[str, int] = {}

    def code(self, county_code: str, year: int, asset_class: str) -> str:
        prefix = f"{county_code}{year:04d}{ASSET_CLASS_DIGIT[asset_class]}"
        if prefix not in self.next_serial:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [prefix])
            last = (
                Asset.objects.code_prefix(prefix)  # a range of the code index, not a walk
                .order_by("-code")
                .values_list("code", flat=True)
            ).first()
            self.next_serial[prefix] = int(last[-5:]) + 1 if last else 1
        serial = self.next_serial[prefix]
        if serial > 99999:
            raise ValidationError(bilingual(gettext_noop("No asset codes are left for this year.")))
        self.next_serial[prefix] = serial + 1
        return f"{prefix}{serial:05d}"


def _stated(data: AssetInput) -> tuple[dict[str, Any], dict[str, Decimal]]:
    """The particulars and fund amounts a person may set, checked against their columns."""
    errors: dict[str, list[str]] = {}
    values = {k: v for k, v in data.values.items() if k in EDITABLE_FIELDS}
    funding = dict(data.funding)
    try:
        values = clean_stated(Asset, values)
    except ValidationError as exc:
        errors |= exc.message_dict
    known = set(FundSource.objects.filter(code__in=list(funding)).values_list("code", flat=True))
    for code, amount in data.funding.items():
        if code not in known:
            errors["funding"] = [
                bilingual(gettext_noop("Unknown fund source %(code)s."), code=code)
            ]
            continue
        try:
            funding[code] = clean_stated(AssetFunding, {"amount": amount}, on=f"funding_{code}")[
                "amount"
            ]
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    return values, funding


def _save_funding(asset: Asset, funding: dict[str, Decimal]) -> None:
    sources = {s.code: s for s in FundSource.objects.filter(code__in=funding)}
    for code, amount in funding.items():  # codes and amounts checked by _stated
        AssetFunding.objects.update_or_create(
            asset=asset, source=sources[code], defaults={"amount": amount}
        )


@service
def asset_register(
    *,
    actor: User,
    data: AssetInput,
    source_project: Any = None,
    source_share: Decimal | None = None,
) -> Asset:
    """Register a new asset. A village user's registration waits for township review
    (status draft); a township or county user's is registered at once. An asset a project's
    handover forms names the project and its share of the project's actual investment."""
    values, funding = _stated(data)
    area = _validate(actor, values)
    status = initial_status(actor)
    asset = Asset(
        **values,
        code=CodeAllocator().code(
            area.county_code, values["formed_on"].year, values["asset_class"]
        ),
        fund_era=fund_era_for(values["formed_on"]),
        area_code=area.code,
        county_code=area.county_code,
        status=status,
        source_project=source_project,
        source_share=source_share,
    )
    clean_bilingual(asset)
    asset.save()
    _save_funding(asset, funding)
    return asset


@service
def asset_update(*, actor: User, asset: Asset, expected_version: int, data: AssetInput) -> Asset:
    """Change an asset's particulars. Refused with ConflictError if someone saved it since
    ``expected_version`` was read."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.status == AssetStatus.DISPOSED:
        raise ValidationError(bilingual(gettext_noop("A disposed asset cannot be changed.")))
    old_geom = current.geom
    values, funding = _stated(data)
    merged = {name: getattr(current, name) for name in EDITABLE_FIELDS} | values
    area = _validate(actor, merged)
    for name, value in merged.items():
        setattr(current, name, value)
    current.area_code, current.county_code = area.code, area.county_code
    current.fund_era = fund_era_for(current.formed_on)
    clean_bilingual(current, exclude=["code"])
    bump_version(
        Asset,
        current.pk,
        expected_version,
        **{name: getattr(current, name) for name in EDITABLE_FIELDS if name != "area"},
        area=area,
        area_code=area.code,
        county_code=area.county_code,
        fund_era=current.fund_era,
        updated_at=timezone.now(),
    )
    _save_funding(current, funding)
    if current.status == AssetStatus.DRAFT:
        # A returned registration, once corrected, waits for approval again.
        RegistrationReturn.objects.filter(asset=current, corrected_at__isnull=True).update(
            corrected_at=timezone.now(), corrected_by=actor
        )
    current.refresh_from_db()
    if current.geom != old_geom or current.area_code != asset.area_code:
        network_asset_changed(current, old_geom)
    return current


def registration_can_review(*, actor: User, asset: Asset) -> bool:
    """May ``actor`` approve or return this registration? (The rule of
    asset_approve_registration and asset_return_registration.)"""
    level = scope_level(actor)
    return (
        asset.status == AssetStatus.DRAFT
        and level in (ApprovalLevel.TOWNSHIP, ApprovalLevel.COUNTY)
        and can_approve(actor, asset.area_code, level)
    )


def _require_reviewer(actor: User, current: Asset, message: str) -> ApprovalLevel:
    level = scope_level(actor)
    if level not in (ApprovalLevel.TOWNSHIP, ApprovalLevel.COUNTY) or not can_approve(
        actor, current.area_code, level
    ):
        raise denied(message)
    if current.status != AssetStatus.DRAFT:
        raise ValidationError(bilingual(gettext_noop("This asset is not waiting for approval.")))
    return level


@service
def asset_approve_registration(*, actor: User, asset: Asset) -> Asset:
    """A township (or county) approver accepts a village's registration."""
    current = lock_asset(asset)
    _require_reviewer(
        actor,
        current,
        gettext_noop("Only a township or county approver can approve registrations."),
    )
    bump_version(Asset, current.pk, current.version, status=AssetStatus.REGISTERED)
    # An approval settles a return still open (the approver accepted it as it stands): it no
    # longer waits for its author's correction.
    RegistrationReturn.objects.filter(asset=current, corrected_at__isnull=True).update(
        corrected_at=timezone.now(), corrected_by=actor
    )
    current.refresh_from_db()
    return current


def registration_author(asset: Asset) -> User | None:
    """Who registered the asset, as its history records it (None for assets loaded by a
    command, which name no user)."""
    context = (
        asset.events.filter(pgh_label="insert")  # type: ignore[attr-defined]
        .order_by("pgh_id")
        .values_list("pgh_context__metadata", flat=True)
        .first()
    )
    user_id = (context or {}).get("user")
    return User.objects.filter(pk=user_id).first() if user_id else None


@service
def asset_return_registration(*, actor: User, asset: Asset, reason: str) -> RegistrationReturn:
    """A township (or county) approver returns a village's registration to its author with
    a reason (退回). The asset stays draft; once corrected it waits for approval again."""
    current = lock_asset(asset)
    level = _require_reviewer(
        actor,
        current,
        gettext_noop("Only a township or county approver can return registrations."),
    )
    if not visible(reason):
        raise field_error("reason", gettext_noop("Give the reason for returning it."))
    reason = clean_stated(RegistrationReturn, {"reason": reason.strip()})["reason"]
    if RegistrationReturn.objects.filter(asset=current, corrected_at__isnull=True).exists():
        raise ValidationError(
            bilingual(
                gettext_noop("This registration was returned already and waits for its correction.")
            )
        )
    returned = RegistrationReturn(
        asset=current,
        level=level,
        reason=reason,
        returned_by=actor,
        author=registration_author(current),
    )
    clean_bilingual(returned)
    returned.save()
    return returned


@service
def asset_set_status(*, actor: User, asset: Asset, status: str, expected_version: int) -> Asset:
    """Mark an asset in use, idle or damaged (its everyday condition)."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    allowed = {AssetStatus.IN_USE, AssetStatus.IDLE, AssetStatus.DAMAGED, AssetStatus.CONSUMED}
    if status not in allowed or current.status not in ACTIVE_STATUSES:
        raise field_error("status", gettext_noop("This status change is not allowed."))
    bump_version(Asset, current.pk, expected_version, status=status)
    current.refresh_from_db()
    if status == AssetStatus.CONSUMED:
        network_asset_changed(current)
    return current
