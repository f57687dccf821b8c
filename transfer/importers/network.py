"""The network columns of an asset ledger (网络类型, 道路等级, 路面, 宽度（米）, 建成年份): read
from a row, checked with the rules of registry.services.network, written for the rows that
have them, and the network gaps recomputed once per township the import touched (gis.network),
not once a row."""

from dataclasses import dataclass, field
from typing import Any

import pyproj
import shapely
from django.db import connection

from gis import network as gis_network
from registry.choices import NETWORK_OF_TYPE
from registry.errors import ValidationError, clean_stated
from registry.models import AdminArea, NetworkLink, User
from registry.services.network import (
    LINE_TYPES,
    LINK_FIELDS,
    MAX_LINK_VERTICES,
    network_link_problems,
    network_links_remeasure,
    network_links_write,
)
from transfer.importers.cells import _blank, _choice, _decimal, _integer
from transfer.importers.rows import Row

# The ledger keys of the network columns (registry.ledgers.NETWORK_COLUMNS): NetworkLink's names.
NETWORK_KEYS = frozenset(LINK_FIELDS)
EMPTY: dict[str, Any] = {
    "network_type": "",
    "grade": "",
    "surface": "",
    "width_m": None,
    "built_year": None,
}


def stated(row: Row, cells: dict[str, Any]) -> dict[str, Any]:
    """The network attributes a row states (its filled network cells), as codes and numbers;
    a cell that cannot be read is a problem on its column."""
    values: dict[str, Any] = {}
    for key in LINK_FIELDS:
        raw = cells.get(key)
        if _blank(raw):
            continue
        if key == "width_m":
            values[key] = _decimal(row, key, raw)
        elif key == "built_year":
            values[key] = _integer(row, key, raw)
        else:
            values[key] = _choice(row, key, raw)
    return values


def stored(asset_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The network attributes the assets carry, by asset id (one query)."""
    rows = NetworkLink.objects.filter(asset_id__in=asset_ids).values("asset_id", *LINK_FIELDS)
    return {
        row.pop("asset_id"): {k: EMPTY[k] if v is None else v for k, v in row.items()}
        for row in rows
    }


def merged(current: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any] | None:
    """The attributes a row leaves an asset with: what it states over what the asset carries
    (``current``); None when neither says anything. A row that moves a link to another network
    (a road becoming a pipe) drops the road's grade and surface unless it states them."""
    if current is None and not values:
        return None
    base = dict(current or EMPTY)
    new_type = values.get("network_type")
    if current is not None and new_type and _network(new_type) != _network(current["network_type"]):
        base["grade"], base["surface"] = "", ""
    return base | {k: v for k, v in values.items() if v is not None}


def _network(network_type: str) -> str:
    return NETWORK_OF_TYPE.get(network_type, "")


# CGCS2000's ellipsoid (its flattening differs from GRS80's in the 12th digit).
_GEOD = pyproj.Geod(ellps="GRS80")


def check(row: Row, attributes: dict[str, Any], geom: Any) -> None:
    """The rules of registry.services.network against the row's geometry (shapely, or the
    stored GEOS one; its type, points and length on the ellipsoid), and the columns' limits
    (width 0-100 m, year 1949-2100), each broken one a problem on its column."""
    if any(p for p in row.problems if p.column in _HEADERS):
        return  # a cell that could not be read: its problem says enough
    try:
        clean_stated(NetworkLink, {k: attributes[k] for k in ("width_m", "built_year")})
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            for message in messages:
                row.problem(key, message)
    if geom is not None and not isinstance(geom, shapely.Geometry):
        geom = shapely.from_wkb(bytes(geom.wkb))
    geom_type = geom.geom_type if geom is not None else None
    vertices = int(shapely.get_num_coordinates(geom)) if geom is not None else 0
    length_m = 0.0
    if geom_type in LINE_TYPES and vertices <= MAX_LINK_VERTICES:
        length_m = _GEOD.geometry_length(geom)
    for key, message in network_link_problems(
        geom_type=geom_type,
        network_type=attributes["network_type"],
        grade=attributes["grade"],
        surface=attributes["surface"],
        vertices=vertices,
        length_m=length_m,
    ):
        row.problem(key, message)


def _headers() -> set[str]:
    from transfer.importers.columns import HEADERS

    return {HEADERS[key] for key in LINK_FIELDS}


_HEADERS = _headers()


@dataclass
class LinkWriter:
    """Writes the network attributes of an import's rows batch by batch, and at the end
    recomputes the gaps of every township the written links (or moved linked assets) lie
    near, once each."""

    actor: User
    touched: set[int] = field(default_factory=set)  # assets whose place in the network changed
    old_geoms: list[str] = field(default_factory=list)  # EWKT of linked assets before a move
    written: int = 0

    def before_changes(self, asset_ids: list[int]) -> None:
        """Remember where the linked assets an import is about to change lay."""
        if not asset_ids:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ST_AsEWKT(a.geom) FROM registry_asset a"
                " JOIN registry_networklink l ON l.asset_id = a.id"
                " WHERE a.id = ANY(%s) AND a.geom IS NOT NULL",
                [asset_ids],
            )
            self.old_geoms += [row[0] for row in cursor.fetchall()]

    def write(self, links: list[dict[str, Any]], changed_ids: list[int]) -> None:
        """Write ``links`` (asset_id and attributes) and measure again the links of the
        ``changed_ids`` (assets whose particulars the import changed: maybe their course)."""
        written = network_links_write(actor=self.actor, links=links)
        self.written += len(written)
        self.touched.update(written)
        self.touched.update(network_links_remeasure(changed_ids))
        if changed_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT asset_id FROM registry_networklink WHERE asset_id = ANY(%s)",
                    [changed_ids],
                )
                self.touched.update(row[0] for row in cursor.fetchall())

    def refresh(self) -> list[gis_network.RunResult]:
        """Recompute the gaps of the townships near what the import wrote, once each."""
        if not self.touched and not self.old_geoms:
            return []
        return [gis_network.refresh_township(t) for t in self._townships()]

    def _townships(self) -> list[AdminArea]:
        # gis.network.townships_near's rule (within MARGIN_M of a township's boundary, or of
        # its point where it has none), in one statement for all the rows of an import; the
        # boxes grown by twice the margin in degrees let the spatial index find candidates.
        margin = gis_network.MARGIN_M
        degrees = 2 * margin / 111_320
        return list(
            AdminArea.objects.raw(
                """
                WITH g AS (
                  SELECT geom AS g FROM registry_asset WHERE id = ANY(%(ids)s) AND geom IS NOT NULL
                  UNION ALL
                  SELECT ST_Transform(ST_GeomFromEWKT(e), 4490) FROM unnest(%(old)s::text[]) e
                ), near AS (
                  SELECT t.id FROM g JOIN registry_adminarea t
                    ON t.boundary && ST_Expand(g.g, %(deg)s)
                   AND ST_DWithin(t.boundary::geography, g.g::geography, %(margin)s)
                  WHERE t.level = 'township' AND t.retired_on IS NULL
                  UNION
                  SELECT t.id FROM g JOIN registry_adminarea t
                    ON t.boundary IS NULL AND t.point && ST_Expand(g.g, %(deg)s)
                   AND ST_DWithin(t.point::geography, g.g::geography, %(margin)s)
                  WHERE t.level = 'township' AND t.retired_on IS NULL
                )
                SELECT * FROM registry_adminarea WHERE id IN (SELECT id FROM near) ORDER BY code
                """,
                {
                    "ids": sorted(self.touched),
                    "old": self.old_geoms,
                    "deg": degrees,
                    "margin": margin,
                },
            )
        )
