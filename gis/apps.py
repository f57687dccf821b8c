from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisConfig(AppConfig):
    """Spatial services around the registry: the map page, its layers and vector tiles."""

    name = "gis"
    # django.contrib.gis already has the label "gis".
    label = "atlas_gis"
    verbose_name = _("Maps and spatial services")
