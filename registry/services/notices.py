"""Posting public notices (公示)."""

import datetime

from django.utils.translation import gettext_noop

from registry.errors import clean_bilingual, clean_stated, field_error
from registry.models import Asset, PublicNotice, User
from registry.services._common import require_edit, service


@service
def notice_post(
    *,
    actor: User,
    asset: Asset,
    subject: str,
    channel: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    content: str = "",
) -> PublicNotice:
    """Record that a notice about the asset was posted, where and for how long."""
    require_edit(actor, asset.area_code)
    if ends_on < starts_on:
        raise field_error("ends_on", gettext_noop("The end cannot come before the start."))
    notice = PublicNotice(
        asset=asset,
        subject=subject,
        channel=channel,
        starts_on=starts_on,
        ends_on=ends_on,
        content=content,
        posted_by=actor,
    )
    clean_bilingual(notice)
    notice.save()
    return notice


@service
def notice_record_objections(
    *, actor: User, notice: PublicNotice, objections: str, resolution: str
) -> PublicNotice:
    """Record the objections a notice drew and how they were resolved."""
    require_edit(actor, notice.asset.area_code)
    clean_stated(PublicNotice, {"objections": objections, "resolution": resolution})
    notice.objections = objections
    notice.resolution = resolution
    notice.save(update_fields=["objections", "resolution"])
    return notice
