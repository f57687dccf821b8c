"""Row history and delete protection, both enforced by database triggers.

Triggers capture every insert, update and delete whatever writes the row (a service, the admin,
a bulk update, a psql session), and the request context (user, URL) that pghistory's middleware
or ``pghistory.context(...)`` attached. Registry rows are never hard-deleted: they are retired.
"""

from typing import Any

import pghistory
import pgtrigger


def history(**kwargs: Any) -> Any:
    """Class decorator: keep a row-history event table for the model."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        **kwargs,
    )


def protect_delete() -> pgtrigger.Protect:
    """A trigger that refuses DELETE on the table: records are retired, never removed."""
    return pgtrigger.Protect(name="protect_delete", operation=pgtrigger.Delete)
