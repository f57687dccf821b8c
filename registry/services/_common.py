"""Helpers shared by the services: permission checks, optimistic locking, dates of facts."""

import datetime
import functools
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext_noop

from registry.errors import ConflictError, denied, field_error
from registry.models import Asset, FormSubmission, User
from registry.scoping import can_edit

P = ParamSpec("P")
R = TypeVar("R")


def service(func: Callable[P, R]) -> Callable[P, R]:
    """A business action: one transaction, and the history rows it writes attributed to its
    ``actor`` whoever calls it (a page, a command, a background job), not only when a request's
    middleware set the context. Inside a request the context keeps the request's URL too."""

    @functools.wraps(func)
    def action(*args: P.args, **kwargs: P.kwargs) -> R:
        actor: Any = kwargs.get("actor")
        with transaction.atomic(), pghistory.context(user=getattr(actor, "pk", None)):
            return func(*args, **kwargs)

    return action


def require_edit(actor: User, area_code: str) -> None:
    if not can_edit(actor, area_code):
        raise denied()


def bump_version(model: type[Model], pk: int, expected_version: int, **values: object) -> None:
    """Write ``values`` only if the row is still at ``expected_version``; raise otherwise."""
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise ConflictError()


def lock_asset(asset: Asset) -> Asset:
    """Re-read the asset under a row lock, so concurrent actions on it queue up."""
    return Asset.objects.select_for_update().get(pk=asset.pk)


def require_past(field: str, value: datetime.date | None) -> None:
    """A date of something that happened (a confirmation, a handover, income earned, a
    booking) cannot lie after today: a date in 9999 would make a record "current" for ever."""
    if value is not None and value > timezone.localdate():
        raise field_error(field, gettext_noop("The date cannot be in the future."))


def submission_claim(*, actor: User, token: str | None, path: str) -> bool:
    """Claim a form submission's token inside the caller's transaction: True the first time,
    False when the same submission was already written (the caller then writes nothing). Two
    identical POSTs at once: the second waits on the unique index until the first commits."""
    if not token:
        return True  # scripts and old pages without a token: no deduplication
    try:
        value = uuid.UUID(str(token))
    except ValueError:
        return True
    try:
        with transaction.atomic():
            FormSubmission.objects.create(token=value, user=actor, path=path[:300])
    except IntegrityError:
        return False
    return True
