from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisConfig(AppConfig):
    """Spatial services around the registry: the map page, its layers and vector tiles, and
    the network gap analysis."""

    name = "gis"
    # django.contrib.gis already has the label "gis".
    label = "atlas_gis"
    verbose_name = _("Maps and spatial services")

    def ready(self) -> None:
        from gis.network import on_places_changed
        from registry.signals import places_changed

        places_changed.connect(on_places_changed, dispatch_uid="atlas_network_gaps")
