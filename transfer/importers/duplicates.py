"""Likely duplicates: a new row of a ledger that looks like an asset already registered.

A row is a likely duplicate of an asset in the user's scope with the same name lying within
``DISTANCE_M`` metres of the row's position (on the ellipsoid); a row without a position, of
one with the same name, area, date formed and value. The same 20 points imported twice are
found; two different toilets of the same name in one village, 300 m apart, are not.
"""

from dataclasses import dataclass
from typing import Any

import shapely
from django.db import connection

from registry.models import Asset, User
from registry.scoping import scope_prefix

DISTANCE_M = 50.0


@dataclass(frozen=True)
class Match:
    code: str
    name: str
    distance_m: float | None  # None: matched by its particulars (no position)


def registered_before() -> int:
    """The highest asset id now: an import compares its rows with the assets registered
    before it, so that its preview and its commit (which writes batch after batch in its
    transaction) find the same duplicates."""
    return int(Asset.objects.order_by("-id").values_list("id", flat=True).first() or 0)


def likely_duplicates(
    actor: User, candidates: list[tuple[int, dict[str, Any], Any]], *, before_id: int
) -> dict[int, Match]:
    """For (index, values, shapely geometry in EPSG:4490 or None) of new rows, the first
    asset registered before the import (id up to ``before_id``, not disposed) each one looks
    like, by index."""
    prefix = scope_prefix(actor)
    if prefix is None or not candidates:
        return {}
    placed = [(i, v, g) for i, v, g in candidates if g is not None and v.get("name")]
    bare = [(i, v) for i, v, g in candidates if g is None and v.get("name")]
    found: dict[int, Match] = {}
    table = Asset._meta.db_table
    if placed:
        points = [shapely.get_coordinates(shapely.point_on_surface(g))[0] for _i, _v, g in placed]
        # Assets of the same name (the name index: few), then near each point (50 m on the
        # ground is 50 / cos(latitude) Web Mercator units, a box test), the exact distance
        # measured on the ellipsoid.
        sql = f"""
            WITH v AS (
                SELECT i, name, ST_SetSRID(ST_MakePoint(x, y), 4490) AS g, y
                FROM unnest(%s::int[], %s::text[], %s::float8[], %s::float8[]) AS v(i, name, x, y)
            )
            SELECT DISTINCT ON (v.i) v.i, a.code, a.name,
                   ST_Distance(a.geom::geography, v.g::geography) AS metres
            FROM v JOIN {table} AS a
              ON a.geom_3857 && ST_Expand(ST_Transform(v.g, 3857), %s / cos(radians(v.y)))
             AND a.name = v.name
            WHERE a.area_code LIKE %s AND a.id <= %s AND a.status <> 'disposed'
              AND ST_Distance(a.geom::geography, v.g::geography) <= %s
            ORDER BY v.i, metres
        """
        params: list[Any] = [
            [i for i, _v, _g in placed],
            [v["name"] for _i, v, _g in placed],
            [float(p[0]) for p in points],
            [float(p[1]) for p in points],
            DISTANCE_M,
            prefix + "%",
            before_id,
            DISTANCE_M,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for i, code, name, metres in cursor.fetchall():
                found[i] = Match(code, name, float(metres))
    if bare:
        sql = f"""
            SELECT DISTINCT ON (v.i) v.i, a.code, a.name
            FROM unnest(%s::int[], %s::text[], %s::bigint[], %s::date[], %s::numeric[])
                 AS v(i, name, area_id, formed_on, value)
            JOIN {table} AS a ON a.area_id = v.area_id AND a.name = v.name
             AND a.formed_on = v.formed_on AND a.original_value = v.value
            WHERE a.area_code LIKE %s AND a.id <= %s AND a.status <> 'disposed'
              AND a.area_id = ANY(%s::bigint[])
            ORDER BY v.i, a.code
        """
        params = [
            [i for i, _v in bare],
            [v["name"] for _i, v in bare],
            [v.get("area_id") for _i, v in bare],
            [v.get("formed_on") for _i, v in bare],
            [v.get("original_value") for _i, v in bare],
            prefix + "%",
            before_id,
            sorted({v.get("area_id") for _i, v in bare if v.get("area_id")}),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for i, code, name in cursor.fetchall():
                found[i] = Match(code, name, None)
    return found
