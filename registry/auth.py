"""Authentication backend: Django's, loading each request's user together with their area,
which every page, layer and tile needs for scoping (one query instead of two). The area's
boundary (a county outline has tens of thousands of vertices) is left for the rare page that
draws it: parsing it on every request cost more than the rest of the query."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from registry.models import User


class AreaModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = (
            User._default_manager.select_related("area")
            .defer("area__boundary")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
