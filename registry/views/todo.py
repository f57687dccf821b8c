"""The to-do list (待办): everything that waits for the signed-in user, each item with a link
to its record and what to do there."""

from typing import Any

from django.views.generic import TemplateView

from registry import selectors
from registry.models import User
from registry.scoping import EDITOR_ROLES

# How many items of each kind the page lists; the heading of each list says how many there are.
TODO_PAGE_ITEMS = 50


class TodoView(TemplateView):
    """Returned registrations, registrations to approve, plans and disposals waiting for the
    user's level, overdue inspections: a fixed number of queries whatever the numbers."""

    template_name = "registry/todo.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        counts = selectors.todo_counts(user=user)
        # The top bar's badge reads these instead of counting again.
        self.request.todo_counts = counts  # type: ignore[attr-defined]
        items = selectors.todo_items(user=user, limit=TODO_PAGE_ITEMS)
        context.update(
            sections=[
                {
                    "kind": kind,
                    "count": counts[kind],
                    "items": items[kind],
                    "more": counts[kind] - len(items[kind]),
                }
                for kind in selectors.TODO_KINDS
            ],
            total=sum(counts.values()),
            reader=not (
                isinstance(user, User) and (user.is_superuser or user.role in EDITOR_ROLES)
            ),
        )
        return context
