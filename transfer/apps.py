from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    """Files in and out: imports, exports, the background jobs behind them, their pages and
    commands. It depends on registry and gis; nothing depends on it."""

    name = "transfer"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        # Process-wide: no GDAL of this process may fetch a URL on behalf of a file it reads.
        from transfer.untrusted import lock_down_gdal

        lock_down_gdal()
