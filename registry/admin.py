"""Django admin for administrators. No delete actions: registry records are retired, not removed."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from registry.models import AdminArea, User, Waterway


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
class UserAdmin(NoDeleteMixin, DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "area", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    raw_id_fields = ["area"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and area"), {"fields": ["role", "area"]}),
    )
