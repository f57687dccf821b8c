"""Controlled vocabularies of the registry (stored values are English, labels translated)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    """Level of an administrative area in the county > township > village > group tree."""

    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")
    GROUP = "group", _("Village group")


class AreaKind(models.TextChoices):
    """The statistical kind of an area, as the NBS code table names it."""

    DISTRICT = "district", _("District / county")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    ETHNIC_TOWNSHIP = "ethnic_township", _("Ethnic township")
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    VILLAGERS_COMMITTEE = "villagers_committee", _("Villagers' committee")
    VILLAGE_GROUP = "village_group", _("Village group")


class Role(models.TextChoices):
    """What a user may do; where they may do it is their area (registry.scoping)."""

    PLANNER = "planner", _("Planner (read)")
    MANAGER = "manager", _("Asset manager (edit)")
    APPROVER = "approver", _("Approver")
    AUDITOR = "auditor", _("Auditor (read, export, history)")
    ADMIN = "admin", _("Administrator")
