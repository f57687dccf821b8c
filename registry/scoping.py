"""The one rule of who may see and change what.

Every view, export, tile and API endpoint restricts its queryset with ``visible_to`` and checks
writes with ``can_edit``. A user's area is their scope: a county user sees the county, a township
user their township and its villages, a village user their village. Scope is a prefix of the
statistical code, so the rule is one indexed ``LIKE 'prefix%'`` whatever the record.
"""

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet

from registry.choices import ApprovalLevel, Role
from registry.models import User

M = TypeVar("M", bound=Model)

EDITOR_ROLES = frozenset({Role.MANAGER, Role.APPROVER, Role.ADMIN})
APPROVER_ROLES = frozenset({Role.APPROVER, Role.ADMIN})
HISTORY_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})


def scope_prefix(user: User | AnonymousUser) -> str | None:
    """The code prefix of everything the user may see; '' is everything, None is nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)
    if user.area_id is None:
        return "" if user.is_superuser else None
    area = user.area
    assert area is not None
    return area.scope_prefix


def visible_to(
    user: User | AnonymousUser, qs: QuerySet[M], *, code_field: str = "code"
) -> QuerySet[M]:
    """Restrict ``qs`` to the user's area; ``code_field`` is the path to an area code."""
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    return qs.filter(**{f"{code_field}__startswith": prefix})


def can_edit(user: User | AnonymousUser, area_code: str) -> bool:
    """May the user change records located in the area with this code?"""
    prefix = scope_prefix(user)
    if prefix is None or not isinstance(user, User):
        return False
    if not (user.is_superuser or user.role in EDITOR_ROLES):
        return False
    return area_code.startswith(prefix)


def scope_level(user: User | AnonymousUser) -> ApprovalLevel | None:
    """The administrative level the user works at: county, township or village."""
    prefix = scope_prefix(user)
    if prefix is None:
        return None
    return {0: ApprovalLevel.COUNTY, 6: ApprovalLevel.COUNTY, 9: ApprovalLevel.TOWNSHIP}.get(
        len(prefix), ApprovalLevel.VILLAGE
    )


def can_approve(user: User | AnonymousUser, area_code: str, level: str) -> bool:
    """May the user decide, at ``level``, on a record located in ``area_code``?"""
    if not isinstance(user, User) or not (user.is_superuser or user.role in APPROVER_ROLES):
        return False
    prefix = scope_prefix(user)
    return prefix is not None and area_code.startswith(prefix) and scope_level(user) == level


def can_see_personal_data(user: User | AnonymousUser) -> bool:
    """Household ID and phone numbers: only for those who keep the records, not for readers."""
    return (
        isinstance(user, User)
        and user.is_active
        and (user.is_superuser or user.role in EDITOR_ROLES)
    )


def can_read_history(user: User | AnonymousUser) -> bool:
    return (
        isinstance(user, User)
        and user.is_active
        and (user.is_superuser or user.role in HISTORY_ROLES)
    )
