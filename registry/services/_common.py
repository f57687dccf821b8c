"""Helpers shared by the services: permission checks and optimistic locking."""

from django.db.models import F, Model

from registry.errors import ConflictError, denied
from registry.models import Asset, User
from registry.scoping import can_edit


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
