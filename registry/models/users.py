"""Users: each has one role (what they may do) and one area (where they may do it)."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import Role
from registry.history import history, protect_delete


@history(exclude=["password", "last_login"])
class User(AbstractUser):
    """A person who signs in. Scoped to ``area`` (county, township or village) by registry.scoping.

    A user without an area sees nothing unless they are a superuser. Users are deactivated,
    never deleted, so that every historical change keeps its author.
    """

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.PLANNER)
    area = models.ForeignKey(
        "registry.AdminArea",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        triggers = [protect_delete()]
