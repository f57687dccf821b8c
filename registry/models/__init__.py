"""Registry models, one module per sub-domain, re-exported here."""

from registry.models.areas import AdminArea, Waterway
from registry.models.users import User

__all__ = ["AdminArea", "User", "Waterway"]
