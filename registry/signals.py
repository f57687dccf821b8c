"""Signals the registry sends for the spatial services above it (gis), which it must not
import: ``places_changed`` when a network link, a relocation site or a village group changes
where it is or what it carries, so that the network gaps near it are recomputed in the same
transaction (gis.network.refresh_near)."""

from collections.abc import Iterable

from django.contrib.gis.geos import GEOSGeometry
from django.dispatch import Signal

# kwargs: geoms (EWKT of the old and new geometries), area_codes (the places' own areas),
# counties (counties to recompute whole: a water main or source feeds far downstream)
places_changed = Signal()


def notify_places_changed(
    geoms: Iterable[GEOSGeometry | None],
    area_codes: Iterable[str] = (),
    counties: Iterable[str] = (),
) -> None:
    """Tell the network analysis what moved or changed: old and new geometries, areas, and
    counties whose every township the change can alter."""
    places_changed.send(
        sender=None,
        geoms=[g.ewkt for g in geoms if g is not None],
        area_codes=[code for code in area_codes if code],
        counties=list(counties),
    )
