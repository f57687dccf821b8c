"""Infrastructure links: the network attributes of a road, pipe or line asset (and of a water
source). The gaps near a link are recomputed in the same transaction (registry.signals)."""

from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_noop

from registry.choices import NETWORK_OF_TYPE, Network, NetworkType
from registry.errors import field_error
from registry.models import Asset, NetworkLink, User
from registry.services._common import lock_asset, require_edit, service
from registry.signals import notify_places_changed

LINE_TYPES = ("LineString", "MultiLineString")


def ellipsoid_length_m(asset: Asset) -> float:
    """The asset's length on the CGCS2000 ellipsoid in metres (0 for anything not a line)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(ST_Length(geom::geography, true), 0) FROM registry_asset "
            "WHERE id = %s AND ST_Dimension(geom) = 1",
            [asset.pk],
        )
        row = cursor.fetchone()
    return float(row[0]) if row else 0.0


def _check(asset: Asset, network_type: str, grade: str, surface: str) -> None:
    if network_type not in NetworkType.values:
        raise field_error("network_type", gettext_noop("Choose a network type."))
    geom_type = asset.geom.geom_type if asset.geom is not None else None
    if network_type == NetworkType.WATER_SOURCE:
        if geom_type != "Point":
            raise field_error(
                "network_type", gettext_noop("A water source is a point: draw it as a point.")
            )
    elif geom_type not in LINE_TYPES:
        raise field_error(
            "network_type",
            gettext_noop("A road, pipe or line needs its course drawn as a line."),
        )
    is_road = NETWORK_OF_TYPE[network_type] == Network.ROAD
    if not is_road and surface:
        raise field_error("surface", gettext_noop("Only a road has a surface."))
    if not is_road and grade:
        raise field_error("grade", gettext_noop("Only a road has a road grade."))
    if is_road and not surface:
        raise field_error("surface", gettext_noop("State the road's surface."))


@service
def network_link_set(
    *,
    actor: User,
    asset: Asset,
    network_type: str,
    grade: str = "",
    surface: str = "",
    width_m: Decimal | None = None,
    built_year: int | None = None,
) -> NetworkLink:
    """Say which network an asset belongs to and what it is: type, grade, surface (hardened
    or not), width, year built. Its length is measured from its geometry."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    _check(current, network_type, grade, surface)
    link = NetworkLink.objects.filter(asset=current).first() or NetworkLink(asset=current)
    link.network_type = network_type
    link.grade = grade
    link.surface = surface
    link.width_m = width_m
    link.built_year = built_year
    link.length_m = ellipsoid_length_m(current)
    link.full_clean(exclude=["asset", "length_m"])
    link.save()
    notify_places_changed([current.geom], [current.area_code])
    return link


def network_asset_changed(asset: Asset, old_geom: object = None) -> None:
    """After an asset's geometry or status changed: re-measure its link, recompute the gaps
    near its old and new course. Call inside the service's transaction; nothing for assets
    that carry no network attributes."""
    link = NetworkLink.objects.filter(asset=asset).first()
    if link is None:
        return
    length = ellipsoid_length_m(asset)
    if length != link.length_m:
        NetworkLink.objects.filter(pk=link.pk).update(length_m=length)
    notify_places_changed([old_geom, asset.geom], [asset.area_code])  # type: ignore[list-item]
