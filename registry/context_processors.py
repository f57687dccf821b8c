"""What every page's template needs to know about its user: how much work waits for them."""

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from registry import selectors
from registry.models import User
from registry.scoping import EDITOR_ROLES

# How long a user's badge is kept: any change to an asset (an approval, a registration, a
# status) makes a new key at once; plans, disposals, needs and projects decided elsewhere show
# within this.
BADGE_SECONDS = 60


def todo_badge(request: HttpRequest) -> int | str:
    """The number in the top bar's 待办 badge: everything waiting for the user, each kind
    counted up to selectors.TODO_BADGE_CAP ("99+" beyond 99). The to-do page hands over the
    exact counts it read (``request.todo_counts``) so that it does not count twice; other
    pages take it from the cache, keyed by the user, the day and the asset table's change
    counter, so that the count (whose overdue inspections read every asset of the user's
    area) runs once per change, not on every page."""
    counts: dict[str, int] | None = getattr(request, "todo_counts", None)
    user = request.user
    if counts is None and not (user.is_superuser or getattr(user, "role", None) in EDITOR_ROLES):
        counts = {}  # readers are given no work: no query
    if counts is None:
        key = f"todo-badge:{user.pk}:{timezone.localdate()}:{selectors.assets_version()}"
        counts = cache.get(key)
        if counts is None:
            counts = selectors.todo_counts(user=user, cap=selectors.TODO_BADGE_CAP)
            cache.set(key, counts, BADGE_SECONDS)
        request.todo_counts = counts  # type: ignore[attr-defined]
    total = sum(counts.values())
    return total if total <= 99 else "99+"


def todo(request: HttpRequest) -> dict[str, Any]:
    """``todo_count`` for the top bar: None for anonymous visitors (no link), else the badge's
    number, counted only if the page shows it (one query; none for readers)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"todo_count": None}
    return {"todo_count": SimpleLazyObject(lambda: todo_badge(request))}
