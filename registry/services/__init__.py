"""Services: every business action is one function here, one transaction, checking the actor's
permission and the domain's invariants. Views, forms, admin, imports and APIs call these;
they never write registry rows themselves. ``service`` is the decorator each of them wears
(one transaction, history attributed to the actor); other apps' services wear it too."""

from registry.services._common import service

__all__ = ["service"]
