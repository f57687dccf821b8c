"""Reads for pages, exports and map layers; all of them go through registry.scoping."""

from collections import defaultdict

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from registry.choices import AreaLevel
from registry.models import AdminArea, User, Waterway
from registry.models.areas import AdminAreaQuerySet
from registry.scoping import scope_prefix, visible_to

AreaBranch = tuple[AdminArea, list[AdminArea]]


def area_list(*, user: User | AnonymousUser, level: str | None = None) -> AdminAreaQuerySet:
    """Active areas the user may see, optionally of one level (filter further with
    registry.filtersets.AdminAreaFilterSet)."""
    qs = AdminArea.objects.active().select_related("parent")
    if level:
        qs = qs.filter(level=level)
    return visible_to(user, qs)  # type: ignore[return-value]


def area_get(*, user: User | AnonymousUser, code: str) -> AdminArea | None:
    """One area by code, or None when it does not exist *or* lies outside the user's scope."""
    return area_list(user=user).filter(code=code).first()


def area_children(*, user: User | AnonymousUser, area: AdminArea) -> AdminAreaQuerySet:
    return (
        area_list(user=user)
        .filter(parent=area)
        .annotate(n_children=Count("children", filter=Q(children__retired_on__isnull=True)))
    )


def area_tree(*, user: User | AnonymousUser) -> tuple[AdminArea | None, list[AreaBranch]]:
    """The user's top area and, below it, each child with its own children (two queries)."""
    root = area_top(user=user)
    if root is None:
        return None, []
    below = area_list(user=user).filter(code__startswith=root.scope_prefix).exclude(pk=root.pk)
    by_parent: dict[int | None, list[AdminArea]] = defaultdict(list)
    for area in below:
        by_parent[area.parent_id].append(area)
    return root, [(child, by_parent[child.pk]) for child in by_parent[root.pk]]


def area_top(*, user: User | AnonymousUser) -> AdminArea | None:
    """The widest area the user may see: their own, or the county for a superuser."""
    if isinstance(user, User) and user.area_id is not None:
        return user.area
    return area_list(user=user, level=AreaLevel.COUNTY).first()


def waterway_list(*, user: User | AnonymousUser) -> QuerySet[Waterway]:
    """Rivers of the county the user works in (orientation only, so not clipped to the area)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return Waterway.objects.none()
    if prefix == "":
        return Waterway.objects.all()
    return Waterway.objects.filter(county_code=prefix[:6])
