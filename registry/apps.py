from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """The domain: administrative areas, parties, assets and everything recorded about them."""

    name = "registry"
    verbose_name = _("Registry")
