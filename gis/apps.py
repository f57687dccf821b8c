from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisConfig(AppConfig):
    """Spatial services around the registry: map pages, GeoJSON layers, later tiles and files."""

    name = "gis"
    # django.contrib.gis already has the label "gis".
    label = "atlas_gis"
    verbose_name = _("Maps and spatial services")

    def ready(self) -> None:
        # Process-wide: no GDAL of this process may fetch a URL on behalf of a file it reads.
        from gis.untrusted import lock_down_gdal

        lock_down_gdal()
