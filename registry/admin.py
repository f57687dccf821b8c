"""Django admin for administrators. No delete actions: registry records are retired, not removed."""

import hashlib
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from registry.errors import ConflictError
from registry.models import AdminArea, User, Waterway


def row_digest(obj: Any) -> str:
    """A digest of the row as the database holds it now (every column)."""
    values = type(obj)._default_manager.filter(pk=obj.pk).values().first() or {}
    return hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]


class NoDeleteMixin:
    """No delete actions, and no silent overwrite: the change form carries a digest of the row
    it showed, and a save is refused when the row changed since (someone else saved it)."""

    change_form_template: ClassVar[str | None] = "admin/registry/change_form.html"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id) if object_id else None  # type: ignore[attr-defined]
        if obj is not None:
            current = row_digest(obj)
            loaded = request.POST.get("loaded") if request.method == "POST" else None
            if loaded and loaded != current:
                self.message_user(request, str(ConflictError()), messages.ERROR)  # type: ignore[attr-defined]
                return HttpResponseRedirect(request.path)
            extra_context = {**(extra_context or {}), "loaded_digest": current}
        return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


@admin.register(AdminArea)
class AdminAreaAdmin(NoDeleteMixin, LeafletGeoAdmin):
    list_display = ["code", "name", "level", "kind", "synthetic", "retired_on"]
    list_filter = ["level", "kind", "synthetic"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Waterway)
class WaterwayAdmin(NoDeleteMixin, LeafletGeoAdmin):
    list_display = ["name", "county_code", "source"]


@admin.register(User)
class UserAdmin(NoDeleteMixin, DjangoUserAdmin):  # type: ignore[misc]  # template type in stubs
    list_display = ["username", "get_full_name", "role", "area", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    raw_id_fields = ["area"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and area"), {"fields": ["role", "area"]}),
    )
