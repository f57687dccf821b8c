"""Naming who maintains an asset and logging what was done to it."""

import datetime
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_noop

from registry.choices import (
    AreaLevel,
    AssetStatus,
    AttachmentKind,
    InspectionResult,
    MaintenanceKind,
)
from registry.errors import ValidationError, bilingual, clean_bilingual, clean_stated, field_error
from registry.models import Asset, MaintenanceDuty, MaintenanceLog, Party, User
from registry.services._common import lock_asset, require_edit, require_past, service
from registry.services.attachments import attachment_check, attachment_store
from registry.services.ownership import _check_parties

# A GPS fix farther than this from the asset is kept but questioned (about 5 km).
MAX_GPS_DISTANCE_DEG = 0.05


@service
def maintenance_assign(
    *,
    actor: User,
    asset: Asset,
    maintainer: Party,
    responsible_person: str,
    responsible_phone: str,
    duties: str,
    funding_source: str,
    inspection_interval_days: int,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    posted_on: datetime.date | None = None,
) -> MaintenanceDuty:
    """Name the maintainer (管护主体), the responsible person and the duties; the newest duty
    whose period covers today is the one in force."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.status == AssetStatus.DISPOSED:
        raise ValidationError(bilingual(gettext_noop("A disposed asset needs no maintenance.")))
    _check_parties(actor, [maintainer], "maintainer")
    require_past("posted_on", posted_on)
    duty = MaintenanceDuty(
        asset=current,
        maintainer=maintainer,
        responsible_person=responsible_person.strip(),
        responsible_phone=responsible_phone.strip(),
        duties=duties.strip(),
        funding_source=funding_source.strip(),
        inspection_interval_days=inspection_interval_days,
        starts_on=starts_on,
        ends_on=ends_on,
        posted_on=posted_on,
        assigned_by=actor,
    )
    if ends_on and ends_on < starts_on:
        raise field_error("ends_on", gettext_noop("The end cannot come before the start."))
    clean_bilingual(duty)
    duty.save()
    return duty


# How far (degrees, about 3 km) a logged position may lie outside the asset's township, and
# the worst GPS accuracy kept as one.
LOG_TOLERANCE = 0.03
MAX_ACCURACY_M = 100_000


@service
def maintenance_log_add(
    *,
    actor: User,
    asset: Asset,
    kind: str,
    performed_on: datetime.date,
    result: str,
    findings: str = "",
    cost: Decimal = Decimal(0),
    location: Point | None = None,
    location_accuracy_m: float | None = None,
    photos: list[UploadedFile] | None = None,
) -> MaintenanceLog:
    """Log an inspection, repair or upkeep with its GPS position and photos. A damaged or
    needs-repair finding marks the asset damaged; a repair found normal puts it back in use."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if performed_on > timezone.localdate():
        raise field_error("performed_on", gettext_noop("The date cannot be in the future."))
    stated = clean_stated(
        MaintenanceLog,
        {"kind": kind, "result": result, "findings": findings.strip(), "cost": cost},
    )
    findings, cost = stated["findings"], stated["cost"]
    if location is not None:
        lon, lat = location.coords[:2]  # a phone's fix may carry its height: not kept
        location = Point(lon, lat, srid=4490)
        if not (73 <= lon <= 136 and 3 <= lat <= 54):  # also refuses NaN
            raise field_error(
                "location",
                gettext_noop("The position %(lon).6f, %(lat).6f is not in China."),
                lon=lon,
                lat=lat,
            )
        # Where the inspection was made: at the asset, within its township (a GPS fix drifts,
        # and a road leaves its village): a fix in another county is a slip, not a record.
        area = current.area
        township = area.parent if area.level == AreaLevel.VILLAGE and area.parent else area
        near = township.boundary.buffer(LOG_TOLERANCE) if township.boundary else None
        if near is not None and not near.covers(location):
            raise field_error(
                "location",
                gettext_noop(
                    "The position %(lon).6f, %(lat).6f lies far outside %(area)s, where the"
                    " asset is: take the position there, or leave it empty."
                ),
                lon=lon,
                lat=lat,
                area=township.name,
            )
    if location_accuracy_m is not None and not 0 <= location_accuracy_m <= MAX_ACCURACY_M:
        raise field_error(
            "location_accuracy_m",
            gettext_noop("The GPS accuracy is a distance from 0 m to 100 km."),
        )
    for photo in photos or []:
        attachment_check(photo)
    log = MaintenanceLog(
        asset=current,
        kind=kind,
        performed_on=performed_on,
        result=result,
        findings=findings,
        cost=cost,
        location=location,
        location_accuracy_m=location_accuracy_m,
        logged_by=actor,
    )
    clean_bilingual(log)
    log.save()
    for photo in photos or []:
        attachment_store(
            actor=actor, asset=current, upload=photo, kind=AttachmentKind.PHOTO, maintenance_log=log
        )
    new_status = None
    if result in (InspectionResult.NEEDS_REPAIR, InspectionResult.DAMAGED):
        new_status = AssetStatus.DAMAGED
    elif kind == MaintenanceKind.REPAIR and current.status == AssetStatus.DAMAGED:
        new_status = AssetStatus.IN_USE
    if new_status and current.status not in (AssetStatus.DISPOSED, AssetStatus.DRAFT):
        Asset.objects.filter(pk=current.pk).update(status=new_status)
    return log
