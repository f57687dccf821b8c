"""The network gap analysis: which village groups and relocation sites a hardened road to the
township seat, and a pipe from a water source, reach (DESIGN.md 2, infrastructure links).

A township at a time, in the database, with pgRouting:

1. The links (``registry.NetworkLink`` on active assets) within ``MARGIN_M`` of the township,
   and the water mains and sources of its whole county, are cut into a noded graph. A link's
   end within ``SNAP_M`` of another link joins it: of another link's end (the ends are
   clustered with ``ST_ClusterDBSCAN``) or of its line (the line is cut there, a T-junction).
   Lines that cross without either ending there do not join (a bridge over a road, a pipe
   under it).
2. The places are attached to the graph: the township seat (the township's point), its village
   groups (their points), its relocation sites (outline, else point) and the water sources
   near it. A place is served by a link that passes within ``REACH_M`` of it; the link is cut
   at the nearest point, which becomes the place's vertex.
3. Roads: ``pgr_dijkstraCost`` from the seat over every road, hardened roads costing nothing
   and unhardened ones their length, gives each place the least length of unhardened road on
   any route to the seat: 0 is a hardened road all the way, more is what hardening would take,
   no route is no road. ``pgr_connectedComponents`` of the hardened roads gives the hardened
   network connected to the seat, and its nearest line the straight distance to it.
4. Water: ``pgr_connectedComponents`` of the pipes; a place is covered when a pipe of a
   component that holds a water source reaches it.

Distances are measured in Web Mercator (the assets' indexed ``geom_3857``) and scaled by the
cosine of the township's latitude, which is exact to 0.1 % across a township. The results go
to ``NetworkPlace`` (one row per place, kept under its id) and ``NetworkRun`` (when, how
long), written in the caller's transaction under a per-township advisory lock, so two edits
in one township queue up and each result includes every committed link.
"""

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from registry.choices import AreaLevel, AssetStatus, Network, NetworkType
from registry.models import AdminArea

# Link ends closer than this to another link (its end or its line) are joined to it.
SNAP_M: float = getattr(settings, "ATLAS_NETWORK_SNAP_M", 5.0)
# A place is served by a road or pipe passing within this distance of it.
REACH_M: float = getattr(settings, "ATLAS_NETWORK_REACH_M", 150.0)
# Links this far outside a township still take part in its analysis (a route to the seat may
# leave the township for a while; a water main may come from a source next door).
MARGIN_M: float = getattr(settings, "ATLAS_NETWORK_MARGIN_M", 3000.0)

# Assets that no longer stand carry nothing.
GONE_STATUSES = (AssetStatus.DISPOSED, AssetStatus.CONSUMED)
# Lengths below this (m) count as none: floating-point rests of cut lines.
ZERO_M = 0.5


@dataclass(frozen=True)
class RunResult:
    township_code: str
    links: int
    places: int
    duration_ms: int


# One statement per step; %(name)s parameters. The temporary tables live as long as the
# database session and are emptied before each use (creating them each time cost a third of a
# small township's analysis).
_SETUP = """
CREATE TEMP TABLE IF NOT EXISTS atlas_net_link (
  part serial, asset_id bigint, network text, hardened boolean, g geometry
);
CREATE TEMP TABLE IF NOT EXISTS atlas_net_place (
  kind text, place_id bigint, network text, g geometry
);
CREATE TEMP TABLE IF NOT EXISTS atlas_net_cut (
  part int, f float8, kind text, place_id bigint, p geometry
);
CREATE TEMP TABLE IF NOT EXISTS atlas_net_edge (
  id bigserial, part int, network text, hardened boolean, g geometry,
  source bigint, target bigint, cost float8
);
CREATE TEMP TABLE IF NOT EXISTS atlas_net_vertex (
  edge bigint, side text, kind text, place_id bigint, network text, vid bigint, p geometry
);
CREATE TEMP TABLE IF NOT EXISTS atlas_net_reach (
  kind text, place_id bigint, cost float8
);
CREATE TEMP TABLE IF NOT EXISTS atlas_net_served (
  network text, source bigint, target bigint, g geometry
);
CREATE INDEX IF NOT EXISTS atlas_net_link_g ON atlas_net_link USING gist (g);
CREATE INDEX IF NOT EXISTS atlas_net_place_g ON atlas_net_place USING gist (g);
CREATE INDEX IF NOT EXISTS atlas_net_edge_id ON atlas_net_edge (id);
CREATE INDEX IF NOT EXISTS atlas_net_vertex_edge ON atlas_net_vertex (edge);
CREATE INDEX IF NOT EXISTS atlas_net_served_g ON atlas_net_served USING gist (g);
TRUNCATE atlas_net_link, atlas_net_place, atlas_net_cut, atlas_net_edge, atlas_net_vertex,
  atlas_net_reach, atlas_net_served;
"""

# The links near the township, one row per line part.
_LINKS = """
INSERT INTO atlas_net_link (asset_id, network, hardened, g)
SELECT a.id, l.network, l.hardened, (ST_Dump(a.geom_3857)).geom
FROM registry_asset a
JOIN registry_networklink l ON l.asset_id = a.id
WHERE (a.geom_3857 && ST_GeomFromEWKT(%(region)s)
       OR (l.network_type = %(main_type)s AND a.county_code = %(county_code)s))
  AND a.status <> ALL(%(gone)s)
  AND l.network IN ('road', 'water')
  AND l.network_type <> %(source_type)s
  AND ST_Dimension(a.geom_3857) = 1
"""

# The places: the seat, the township's groups and sites, and the water sources in the region.
_PLACES = """
INSERT INTO atlas_net_place (kind, place_id, network, g)
SELECT 'seat', t.id, n.network, ST_Transform(t.point, 3857)
FROM registry_adminarea t, (VALUES ('road'), ('water')) n(network)
WHERE t.id = %(township_id)s AND t.point IS NOT NULL
UNION ALL
SELECT 'group', g.id, n.network, ST_Transform(g.point, 3857)
FROM registry_adminarea g, (VALUES ('road'), ('water')) n(network)
WHERE g.level = 'group' AND g.code LIKE %(prefix_like)s AND g.point IS NOT NULL
  AND g.retired_on IS NULL
UNION ALL
SELECT 'site', s.id, n.network, COALESCE(s.outline_3857, s.point_3857)
FROM registry_relocationsite s, (VALUES ('road'), ('water')) n(network)
WHERE s.area_code LIKE %(prefix_like)s
UNION ALL
SELECT 'source', a.id, 'water', a.geom_3857
FROM registry_asset a JOIN registry_networklink l ON l.asset_id = a.id
WHERE l.network_type = %(source_type)s AND a.status <> ALL(%(gone)s)
  AND (a.geom_3857 && ST_GeomFromEWKT(%(region)s) OR a.county_code = %(county_code)s)
"""

# Where lines are cut: a link's ends, the other links' ends within SNAP of its line (T
# junctions), and the nearest points to the places within REACH of it.
_CUTS = """
INSERT INTO atlas_net_cut (part, f, kind, place_id, p)
SELECT l.part, 0, NULL::text, NULL::bigint, ST_StartPoint(l.g) FROM atlas_net_link l
UNION ALL
SELECT l.part, 1, NULL::text, NULL::bigint, ST_EndPoint(l.g) FROM atlas_net_link l
UNION ALL
SELECT l.part, ST_LineLocatePoint(l.g, e.p), NULL::text, NULL::bigint,
       ST_ClosestPoint(l.g, e.p)
FROM atlas_net_link l
JOIN (
  SELECT part, network, ST_StartPoint(g) AS p FROM atlas_net_link
  UNION ALL
  SELECT part, network, ST_EndPoint(g) FROM atlas_net_link
) e ON e.network = l.network AND e.part <> l.part AND ST_DWithin(l.g, e.p, %(snap)s)
UNION ALL
SELECT l.part, ST_LineLocatePoint(l.g, ST_ClosestPoint(l.g, p.g)), p.kind, p.place_id,
       ST_ClosestPoint(l.g, p.g)
FROM atlas_net_link l
JOIN atlas_net_place p ON p.network = l.network AND ST_DWithin(l.g, p.g, %(reach)s)
"""

# The cut lines: the pieces between consecutive cuts of each part.
_EDGES = """
INSERT INTO atlas_net_edge (part, network, hardened, g, cost)
SELECT part, network, hardened, g, CASE WHEN hardened THEN 0 ELSE ST_Length(g) * %(k)s END
FROM (
  SELECT c.part, l.network, l.hardened,
         ST_LineSubstring(l.g, c.f0, c.f1) AS g
  FROM (
    SELECT part, f AS f1, lag(f) OVER (PARTITION BY part ORDER BY f) AS f0
    FROM (SELECT DISTINCT part, f FROM atlas_net_cut) d
  ) c JOIN atlas_net_link l USING (part)
  WHERE c.f0 IS NOT NULL AND c.f1 > c.f0
) pieces
WHERE ST_Length(g) > 0
"""

# Vertices: the pieces' ends and the places' cut points, clustered within SNAP per network.
_VERTICES = """
WITH ends AS (
  SELECT id AS edge, 's' AS side, network, ST_StartPoint(g) AS p, NULL::text AS kind,
         NULL::bigint AS place_id FROM atlas_net_edge
  UNION ALL
  SELECT id, 't', network, ST_EndPoint(g), NULL, NULL FROM atlas_net_edge
  UNION ALL
  SELECT NULL, NULL, l.network, c.p, c.kind, c.place_id
  FROM atlas_net_cut c JOIN atlas_net_link l USING (part) WHERE c.kind IS NOT NULL
), clustered AS (
  SELECT edge, side, kind, place_id, network, p,
         ST_ClusterDBSCAN(p, eps := %(snap)s, minpoints := 1) OVER (PARTITION BY network) AS c
  FROM ends
)
INSERT INTO atlas_net_vertex (edge, side, kind, place_id, network, vid, p)
SELECT edge, side, kind, place_id, network, dense_rank() OVER (ORDER BY network, c), p
FROM clustered
"""

_ENDS = """
UPDATE atlas_net_edge e SET source = s.vid, target = t.vid
FROM atlas_net_vertex s, atlas_net_vertex t
WHERE s.edge = e.id AND s.side = 's' AND t.edge = e.id AND t.side = 't'
"""

_ROAD_EDGES = (
    "SELECT id, source, target, cost, cost AS reverse_cost FROM atlas_net_edge "
    "WHERE network = 'road'"
)
_HARDENED_EDGES = (
    "SELECT id, source, target, 1::float8 AS cost, 1::float8 AS reverse_cost "
    "FROM atlas_net_edge WHERE network = 'road' AND hardened"
)
_WATER_EDGES = (
    "SELECT id, source, target, 1::float8 AS cost, 1::float8 AS reverse_cost "
    "FROM atlas_net_edge WHERE network = 'water'"
)

# The answer for every group and site of the township, written over the previous one.
# Each place's least unhardened length to the seat over roads (no row: no route).
_ROAD_COST = """
INSERT INTO atlas_net_reach (kind, place_id, cost)
WITH seat AS (
  SELECT vid FROM atlas_net_vertex WHERE kind = 'seat' AND network = 'road'
), place_road AS (
  SELECT kind, place_id, vid FROM atlas_net_vertex
  WHERE kind IN ('group', 'site') AND network = 'road'
)
SELECT p.kind, p.place_id, min(d.agg_cost)
FROM place_road p
JOIN (
  SELECT end_vid, agg_cost FROM pgr_dijkstraCost(
    %(road_edges)s, ARRAY(SELECT vid FROM seat), ARRAY(SELECT vid FROM place_road), false)
  UNION ALL
  SELECT vid, 0 FROM seat
) d ON d.end_vid = p.vid
GROUP BY p.kind, p.place_id
"""

# The hardened roads connected to the seat, and the pipes connected to a water source.
_SERVED = """
INSERT INTO atlas_net_served (network, source, target, g)
WITH hardened_parts AS (
  SELECT node, component FROM pgr_connectedComponents(%(hardened_edges)s)
), seat_parts AS (
  SELECT h.component FROM hardened_parts h
  JOIN atlas_net_vertex v ON v.vid = h.node AND v.kind = 'seat' AND v.network = 'road'
), water_parts AS (
  SELECT node, component FROM pgr_connectedComponents(%(water_edges)s)
), fed_parts AS (
  SELECT w.component FROM water_parts w
  JOIN atlas_net_vertex v ON v.vid = w.node AND v.kind = 'source' AND v.network = 'water'
)
SELECT 'road', e.source, e.target, e.g
FROM atlas_net_edge e JOIN hardened_parts h ON h.node = e.source
WHERE e.network = 'road' AND e.hardened AND h.component IN (SELECT component FROM seat_parts)
UNION ALL
SELECT 'water', e.source, e.target, e.g
FROM atlas_net_edge e JOIN water_parts w ON w.node = e.source
WHERE e.network = 'water' AND w.component IN (SELECT component FROM fed_parts)
"""

# The answer for every group and site of the township, written over the previous one. A place
# is covered by water when one of its vertices lies on a pipe fed by a source.
_RESULTS = """
WITH places AS (
  SELECT 'group' AS kind, g.id AS place_id, g.name, g.code, g.code AS area_code,
         g.households, g.persons, g.point, ST_Transform(g.point, 3857) AS g
  FROM registry_adminarea g
  WHERE g.level = 'group' AND g.code LIKE %(prefix_like)s AND g.point IS NOT NULL
    AND g.retired_on IS NULL
  UNION ALL
  SELECT 'site', s.id, s.name, s.code, s.area_code, s.households, s.persons, s.point,
         COALESCE(s.outline_3857, s.point_3857)
  FROM registry_relocationsite s WHERE s.area_code LIKE %(prefix_like)s
), covered AS (
  SELECT DISTINCT v.kind, v.place_id FROM atlas_net_vertex v
  JOIN atlas_net_served w ON w.network = 'water' AND v.vid IN (w.source, w.target)
  WHERE v.network = 'water' AND v.kind IN ('group', 'site')
)
INSERT INTO atlas_gis_networkplace (
  kind, place_id, name, code, area_code, township_code, county_code, households, persons,
  road, harden_m, hardened_gap_m, water, water_gap_m, point, point_3857, computed_at
)
SELECT p.kind, p.place_id, p.name, p.code, p.area_code, %(township_code)s, %(county_code)s,
  p.households, p.persons,
  CASE WHEN r.cost IS NULL THEN 'none' WHEN r.cost < %(zero)s THEN 'hardened'
       ELSE 'unhardened' END,
  CASE WHEN r.cost >= %(zero)s THEN r.cost END,
  CASE WHEN r.cost IS NULL OR r.cost >= %(zero)s THEN
    (SELECT ST_Distance(n.g, p.g) * %(k)s FROM atlas_net_served n
     WHERE n.network = 'road' ORDER BY n.g <-> p.g LIMIT 1)
  END,
  c.place_id IS NOT NULL,
  CASE WHEN c.place_id IS NULL THEN
    (SELECT ST_Distance(n.g, p.g) * %(k)s FROM atlas_net_served n
     WHERE n.network = 'water' ORDER BY n.g <-> p.g LIMIT 1)
  END,
  p.point, ST_Transform(p.point, 3857), %(now)s
FROM places p
LEFT JOIN atlas_net_reach r ON r.kind = p.kind AND r.place_id = p.place_id
LEFT JOIN covered c ON c.kind = p.kind AND c.place_id = p.place_id
ON CONFLICT (kind, place_id) DO UPDATE SET name = EXCLUDED.name, code = EXCLUDED.code,
  area_code = EXCLUDED.area_code, township_code = EXCLUDED.township_code,
  county_code = EXCLUDED.county_code, households = EXCLUDED.households,
  persons = EXCLUDED.persons, road = EXCLUDED.road, harden_m = EXCLUDED.harden_m,
  hardened_gap_m = EXCLUDED.hardened_gap_m, water = EXCLUDED.water,
  water_gap_m = EXCLUDED.water_gap_m, point = EXCLUDED.point,
  point_3857 = EXCLUDED.point_3857, computed_at = EXCLUDED.computed_at
"""


def _region(township: AdminArea) -> tuple[str, float, float] | None:
    """The township's extent in Web Mercator grown by the margin, and the scale factor from
    Mercator to metres there (cos latitude); None for a township with no place at all."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH shape AS (
              SELECT COALESCE(
                (SELECT boundary::geometry FROM registry_adminarea WHERE id = %s),
                (SELECT ST_Collect(point) FROM registry_adminarea
                 WHERE code LIKE %s AND point IS NOT NULL)
              ) AS g
            )
            SELECT ST_Transform(g, 3857), cos(radians(ST_Y(ST_Centroid(g)))) FROM shape
            WHERE g IS NOT NULL
            """,
            [township.pk, township.scope_prefix + "%"],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        shape, k = row
        cursor.execute(
            "SELECT ST_AsEWKT(ST_Expand(ST_Envelope(%s::geometry), %s))",
            [shape, MARGIN_M / k],
        )
        (region,) = cursor.fetchone()
    return region, k, MARGIN_M / k


def refresh_township(township: AdminArea) -> RunResult:
    """Recompute the gaps of one township in the caller's transaction (or its own)."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('atlas_network'), %s)", [township.pk])
        region = _region(township)
        links = places = 0
        if region is not None:
            region_ewkt, k, _margin = region
            params: dict[str, Any] = {
                "region": region_ewkt,
                "gone": list(GONE_STATUSES),
                "source_type": NetworkType.WATER_SOURCE.value,
                "main_type": NetworkType.WATER_MAIN.value,
                "county_code": township.county_code,
                "township_id": township.pk,
                "prefix_like": township.scope_prefix + "%",
                "snap": SNAP_M / k,
                "reach": REACH_M / k,
                "k": k,
            }
            cursor.execute(_SETUP)
            cursor.execute(_LINKS, params)
            links = cursor.rowcount
            for step in (_PLACES, _CUTS, _EDGES, _VERTICES, _ENDS):
                cursor.execute(step, params)
            cursor.execute("ANALYZE atlas_net_edge")
            graphs = {
                "road_edges": _ROAD_EDGES,
                "hardened_edges": _HARDENED_EDGES,
                "water_edges": _WATER_EDGES,
            }
            # pgr_dijkstraCost refuses empty arrays: no seat on the roads, or no place near
            # them, is simply no route.
            cursor.execute(
                "SELECT bool_or(kind = 'seat') AND bool_or(kind <> 'seat') FROM atlas_net_vertex"
                " WHERE network = 'road' AND kind IS NOT NULL"
            )
            if cursor.fetchone()[0]:
                cursor.execute(_ROAD_COST, graphs)
            cursor.execute(_SERVED, graphs)
            now = timezone.now()
            # Upserted in place (a place keeps its row and id, so a popup or link opened
            # before keeps working); then the township's rows this run did not write (a group
            # retired, a site moved away) go.
            cursor.execute(
                _RESULTS,
                {
                    **params,
                    "township_code": township.code,
                    "county_code": township.county_code,
                    "zero": ZERO_M,
                    "now": now,
                },
            )
            places = cursor.rowcount
            cursor.execute(
                "DELETE FROM atlas_gis_networkplace WHERE township_code = %s AND computed_at <> %s",
                [township.code, now],
            )
        else:
            cursor.execute(
                "DELETE FROM atlas_gis_networkplace WHERE township_code = %s", [township.code]
            )
        duration_ms = round((time.perf_counter() - started) * 1000)
        cursor.execute(
            """
            INSERT INTO atlas_gis_networkrun
              (township_code, county_code, computed_at, links, places, duration_ms)
            VALUES (%s, %s, now(), %s, %s, %s)
            ON CONFLICT (township_code) DO UPDATE SET computed_at = EXCLUDED.computed_at,
              links = EXCLUDED.links, places = EXCLUDED.places,
              duration_ms = EXCLUDED.duration_ms
            """,
            [township.code, township.county_code, links, places, duration_ms],
        )
    return RunResult(township.code, links, places, duration_ms)


def townships_near(geoms_ewkt: Iterable[str]) -> list[AdminArea]:
    """The townships whose analysis a change at these places (EWKT, any SRID) can alter: those
    within the margin of any of them."""
    found: dict[int, AdminArea] = {}
    for ewkt in geoms_ewkt:
        qs = AdminArea.objects.raw(
            """
            WITH changed AS (SELECT ST_Transform(ST_GeomFromEWKT(%s), 4490) AS g)
            SELECT t.* FROM registry_adminarea t, changed c
            WHERE t.level = %s AND t.retired_on IS NULL
              AND COALESCE(t.boundary::geometry, t.point) && ST_Expand(c.g, %s)
              AND ST_DWithin(COALESCE(t.boundary::geometry, t.point)::geography,
                             c.g::geography, %s)
            """,
            # 1° of latitude is 110.6 km or more, of longitude less: the box in degrees is
            # grown by the margin over cos(60°), enough up to 60° north.
            [ewkt, AreaLevel.TOWNSHIP, 2 * MARGIN_M / 110_000, MARGIN_M],
        )
        for township in qs:
            found[township.pk] = township
    return sorted(found.values(), key=lambda t: t.code)


def refresh_near(
    geoms_ewkt: Iterable[str], area_codes: Iterable[str] = (), counties: Iterable[str] = ()
) -> list[RunResult]:
    """Recompute every township a change can alter: those near the changed geometries, the
    townships of the changed places' own areas, and every township of ``counties``."""
    townships = {t.pk: t for t in townships_near(geoms_ewkt)}
    prefixes = {code[:9] + "000" for code in area_codes if len(code) >= 9}
    for township in AdminArea.objects.filter(
        Q(code__in=prefixes) | Q(county_code__in=list(counties)),
        level=AreaLevel.TOWNSHIP,
        retired_on__isnull=True,
    ):
        townships[township.pk] = township
    return [refresh_township(t) for t in sorted(townships.values(), key=lambda t: t.code)]


def refresh_all(*county_codes: str, workers: int = 1) -> list[RunResult]:
    """Recompute every township (of these counties): after loads that write links in bulk.
    With ``workers`` > 1 and outside a transaction, that many database sessions share the
    townships (the analysis is the database's work, so threads suffice)."""
    qs = AdminArea.objects.filter(level=AreaLevel.TOWNSHIP, retired_on__isnull=True)
    if county_codes:
        qs = qs.filter(county_code__in=county_codes)
    townships = list(qs.order_by("code"))
    if workers <= 1 or connection.in_atomic_block or len(townships) < 2:
        return [refresh_township(t) for t in townships]

    def run(share: list[AdminArea]) -> list[RunResult]:
        try:
            return [refresh_township(t) for t in share]
        finally:
            connection.close()  # each thread's own session

    shares = [townships[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        results = [r for part in pool.map(run, shares) for r in part]
    return sorted(results, key=lambda r: r.township_code)


__all__ = [
    "MARGIN_M",
    "REACH_M",
    "SNAP_M",
    "Network",
    "RunResult",
    "on_places_changed",
    "refresh_all",
    "refresh_near",
    "refresh_township",
    "townships_near",
]


def on_places_changed(
    sender: object,
    geoms: list[str],
    area_codes: list[str],
    counties: list[str] = (),  # type: ignore[assignment]
    **_: object,
) -> None:
    """registry.signals.places_changed: recompute the townships the change can alter, now,
    in the transaction that made it, so that no page ever shows gaps older than the data."""
    refresh_near(geoms, area_codes, counties)
