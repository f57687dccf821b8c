"""Infrastructure links: the network attributes of a road, pipe or line asset (and of a water
source). The gaps near a link are recomputed in the same transaction (registry.signals)."""

from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext_noop

from registry.choices import NETWORK_OF_TYPE, AssetStatus, Network, NetworkType
from registry.errors import (
    ConflictError,
    ValidationError,
    bilingual,
    clean_bilingual,
    clean_stated,
    denied,
    field_error,
)
from registry.models import Asset, NetworkLink, User
from registry.scoping import can_edit
from registry.services._common import bump_version, lock_asset, require_edit, service
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


# What one link may be: beyond these the analysis of its township slows for every edit (a
# 2,000-point, 3,800 km "group road" made each hardening nearby take 30 s).
MAX_LINK_VERTICES = 5_000
MAX_LINK_LENGTH_M = 500_000


def network_link_problems(
    *,
    geom_type: str | None,
    network_type: str,
    grade: str,
    surface: str,
    vertices: int = 0,
    length_m: float = 0.0,
) -> list[tuple[str, str]]:
    """The rules a link's attributes keep with its geometry, as (field, message) for each one
    broken: the service stops at the first, an import reports them on the row (the same
    rules for both)."""
    if network_type not in NetworkType.values:
        return [("network_type", gettext_noop("Choose a network type."))]
    problems: list[tuple[str, str]] = []
    if network_type == NetworkType.WATER_SOURCE:
        if geom_type != "Point":
            problems.append(
                ("network_type", gettext_noop("A water source is a point: draw it as a point."))
            )
    elif geom_type not in LINE_TYPES:
        problems.append(
            ("network_type", gettext_noop("A road, pipe or line needs its course drawn as a line."))
        )
    if vertices > MAX_LINK_VERTICES or length_m > MAX_LINK_LENGTH_M:
        problems.append(
            (
                "network_type",
                gettext_noop(
                    "A link this long or this detailed cannot be a single road, pipe or line: "
                    "split it (at most 500 km and 5,000 points)."
                ),
            )
        )
    is_road = NETWORK_OF_TYPE[network_type] == Network.ROAD
    if not is_road and surface:
        problems.append(("surface", gettext_noop("Only a road has a surface.")))
    if not is_road and grade:
        problems.append(("grade", gettext_noop("Only a road has a road grade.")))
    if is_road and not surface:
        problems.append(("surface", gettext_noop("State the road's surface.")))
    return problems


def _check(asset: Asset, network_type: str, grade: str, surface: str) -> None:
    geom_type = asset.geom.geom_type if asset.geom is not None else None
    for name, message in network_link_problems(
        geom_type=geom_type,
        network_type=network_type,
        grade=grade,
        surface=surface,
        vertices=asset.geom.num_coords if asset.geom is not None else 0,
        length_m=ellipsoid_length_m(asset),
    )[:1]:
        raise field_error(name, message)


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
    expected_version: int | None = None,
) -> NetworkLink:
    """Say which network an asset belongs to and what it is: type, grade, surface (hardened
    or not), width, year built. Its length is measured from its geometry. With
    ``expected_version`` (a page's), refused with ConflictError if the asset changed since,
    and a change raises the asset's version (the link is part of the asset's record, so a
    stale asset form cannot put back an old surface). Nothing is written when nothing
    changes."""
    current = lock_asset(asset)
    require_edit(actor, current.area_code)
    if current.status == AssetStatus.DISPOSED:
        raise ValidationError(bilingual(gettext_noop("A disposed asset cannot be changed.")))
    if expected_version is not None and current.version != expected_version:
        raise ConflictError()
    _check(current, network_type, grade, surface)
    link = NetworkLink.objects.filter(asset=current).first()
    before = _attributes(link) if link is not None else None
    link = link or NetworkLink(asset=current)
    link.network_type = network_type
    link.grade = grade
    link.surface = surface
    link.width_m = width_m
    link.built_year = built_year
    link.length_m = ellipsoid_length_m(current)
    clean_bilingual(link, exclude=["asset", "length_m"])
    if before is not None and _attributes(link) == before:
        return link
    link.save()
    if expected_version is not None:
        bump_version(Asset, current.pk, expected_version)
    types = {network_type, before[0] if before is not None else ""}
    notify_places_changed(
        [current.geom], [current.area_code], counties=_feeding(types, current.county_code)
    )
    return link


# A water main or source feeds townships far downstream: a change to one recomputes its county.
FEEDING_TYPES = frozenset({NetworkType.WATER_MAIN, NetworkType.WATER_SOURCE})


def _feeding(types: set[str], county_code: str) -> list[str]:
    return [county_code] if types & FEEDING_TYPES else []


def _attributes(link: NetworkLink) -> tuple[Any, ...]:
    width = None if link.width_m is None else Decimal(link.width_m)
    return (link.network_type, link.grade, link.surface, width, link.built_year, link.length_m)


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
    notify_places_changed(
        [old_geom, asset.geom],  # type: ignore[list-item]
        [asset.area_code],
        counties=_feeding({link.network_type}, asset.county_code),
    )


# --- many links at once (ledger imports) ----------------------------------------------------------

_UPSERT = """
INSERT INTO registry_networklink AS l
  (asset_id, network_type, grade, surface, width_m, built_year, length_m, updated_at)
SELECT v.asset_id, v.network_type, v.grade, v.surface, v.width_m, v.built_year,
  CASE WHEN ST_Dimension(a.geom) = 1 THEN ST_Length(a.geom::geography, true) ELSE 0 END, now()
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::numeric[], %s::integer[])
  AS v(asset_id, network_type, grade, surface, width_m, built_year)
JOIN registry_asset a ON a.id = v.asset_id
ON CONFLICT (asset_id) DO UPDATE SET network_type = EXCLUDED.network_type,
  grade = EXCLUDED.grade, surface = EXCLUDED.surface, width_m = EXCLUDED.width_m,
  built_year = EXCLUDED.built_year, length_m = EXCLUDED.length_m, updated_at = now()
WHERE (l.network_type, l.grade, l.surface, l.width_m, l.built_year, l.length_m)
  IS DISTINCT FROM (EXCLUDED.network_type, EXCLUDED.grade, EXCLUDED.surface, EXCLUDED.width_m,
                    EXCLUDED.built_year, EXCLUDED.length_m)
RETURNING l.asset_id, (l.xmax = 0) AS inserted
"""

LINK_FIELDS = ("network_type", "grade", "surface", "width_m", "built_year")


def network_links_write(*, actor: User, links: list[dict[str, Any]]) -> list[int]:
    """The network attributes of many assets at once (ledger imports): each dict holds
    ``asset_id`` and the attributes network_link_set takes. The same checks as
    network_link_set (the actor's right on each asset, no disposed asset, the rules against
    each stored geometry, the columns' limits), then one statement; lengths are measured by
    PostgreSQL on the ellipsoid. Writes inside the caller's transaction and sends no signal:
    the caller recomputes the gaps once for all of them (gis.network), not once a link.
    Returns the ids of the assets whose link was written (new or changed)."""
    if not links:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("network_links_write writes inside the caller's transaction")
    ids = [int(link["asset_id"]) for link in links]
    with connection.cursor() as cursor:
        cursor.execute(
            # ST_GeometryType: ST_Point, ST_LineString ... (GEOS's names after the prefix).
            "SELECT id, code, area_code, status, substr(ST_GeometryType(geom), 4)"
            " FROM registry_asset WHERE id = ANY(%s) FOR UPDATE",
            [ids],
        )
        assets = {row[0]: row[1:] for row in cursor.fetchall()}
    columns: list[list[Any]] = [[] for _ in range(6)]
    for link in links:
        asset_id = int(link["asset_id"])
        code, area_code, status, geom_type = assets[asset_id]
        if not can_edit(actor, area_code):
            raise denied()
        if status == AssetStatus.DISPOSED:
            raise ValidationError(
                f"{code}: " + bilingual(gettext_noop("A disposed asset cannot be changed."))
            )
        values = {name: link.get(name) for name in LINK_FIELDS}
        values["grade"], values["surface"] = values["grade"] or "", values["surface"] or ""
        values = clean_stated(NetworkLink, values)
        problems = network_link_problems(
            geom_type=geom_type,
            network_type=values["network_type"],
            grade=values["grade"],
            surface=values["surface"],
        )
        for name, message in problems[:1]:
            raise ValidationError({name: f"{code}: " + bilingual(message)})
        for column, value in zip(columns, [asset_id, *values.values()], strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, columns)
        written = cursor.fetchall()
        # A changed link is a change of its asset's record: a form opened before it is stale.
        changed = [asset_id for asset_id, inserted in written if not inserted]
        if changed:
            cursor.execute(
                "UPDATE registry_asset SET version = version + 1, updated_at = now()"
                " WHERE id = ANY(%s)",
                [changed],
            )
    return [asset_id for asset_id, _inserted in written]


def network_links_remeasure(asset_ids: list[int]) -> list[int]:
    """Measure again the links of these assets after their geometries were written in bulk
    (an import that moves them); the ids of those whose length changed. No signal: the
    caller recomputes the gaps once."""
    if not asset_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE registry_networklink l SET length_m = m.length_m, updated_at = now()
            FROM (SELECT id, CASE WHEN ST_Dimension(geom) = 1
                    THEN ST_Length(geom::geography, true) ELSE 0 END AS length_m
                  FROM registry_asset WHERE id = ANY(%s)) AS m
            WHERE l.asset_id = m.id AND l.length_m IS DISTINCT FROM m.length_m
            RETURNING l.asset_id
            """,
            [asset_ids],
        )
        return [row[0] for row in cursor.fetchall()]
