"""The demo county's village groups and infrastructure network (DESIGN.md 2): synthetic, seeded,
and built so that the gap analysis (gis.network) has real gaps to find.

* Village groups (村民小组/自然村): 3 to 8 under every village, AdminArea rows of level "group"
  with codes village code + 001..00n, a point inside the village's (synthetic) outline and a roll
  of 15 to 80 households.
* Roads: county roads (县道) between township seats (a minimum spanning tree over the seats
  plus a few short extra links), township roads (乡道) and village roads (村道) along a tree
  from each seat to its villages (plus a few loops), group roads (通组路) from each village to
  its groups. Most are hardened; some are gravel or earth; a few groups have no road at all.
* Water: eight water works (水厂, point assets), mains (供水主管) from each works to the seats of
  the townships it feeds, and per village a branch network (供水支管) from the village's parent
  in the seat's tree to the village and on to most of its groups. One township has no main and
  a few villages and groups no pipe: they are the piped-water gaps.

Each link is a public-welfare asset (subtype road or water_supply, quantity its length in km,
status in use, marked synthetic) with its network attributes (registry.NetworkLink), funding,
a confirmed owner, a maintenance duty naming its maintainer and a recent inspection. Assets are
located in the village they lie in (the child village of a tree edge; for county roads and
mains, which cross townships, one asset per township crossed, in the village holding its middle)
so that each passes registry.services.assets.validate_place.

龙驹镇 (500101151000), the demo township's accounts' own, is made to hold real gaps: groups
reached only over unhardened road, groups no road reaches, groups no pipe reaches; and in 向东村
(500101151200) exactly one unhardened group road, whose hardening alone closes its group's gap
(``harden_target``).

The register's own linear assets (registry.demo_assets draws roads, pipes and power lines
between villages) are given network attributes too (``attach_register_lines``), so that every
road on the map belongs to the road network the gaps are computed from.

Geometry is generated in a local metric frame (equirectangular about the county's centre, exact
enough for shapes) and stored in CGCS2000; lengths are measured by PostGIS on the ellipsoid.
"""

import datetime
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.geos import Point as GeosPoint
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from registry.choices import (
    ASSET_CLASS_DIGIT,
    DISPERSED_SITE_TYPES,
    HARDENED_SURFACES,
    AreaKind,
    AreaLevel,
    AssetClass,
    AssetForm,
    AssetStatus,
    AssetSubtype,
    InspectionResult,
    MaintenanceKind,
    NetworkType,
    OwnershipKind,
    PartyKind,
    RoadGrade,
    Surface,
)
from registry.models import (
    AdminArea,
    Asset,
    AssetFunding,
    FundSource,
    MaintenanceDuty,
    MaintenanceLog,
    NetworkLink,
    OwnershipRecord,
    OwnershipShare,
    Party,
    RelocationSite,
    SiteFacility,
    User,
)
from registry.services.assets import fund_era_for
from registry.signals import notify_places_changed

SEED = 20260120
LONGJU = "500101151000"  # 龙驹镇: the demo township, made to hold every kind of gap
XIANGDONG = "500101151200"  # 向东村: the village clerk's, holding the one road to harden
# The stored source of every generated group (labelled for readers in registry.demo).
GROUP_SOURCE = (
    "synthetic demo village groups: names, points and households generated "
    "(registry/demo_network.py)"
)
WATER_COMPANY = "万州区乡村供水有限公司"
TODAY = timezone.localdate()

# Checks of the generator (metres): a place within REACH of a line is served by it (gis.network
# REACH_M is 150 m); a designed gap keeps every line that would close it CLEAR away.
REACH = 150.0
CLEAR = 220.0
# Lines stay this far inside their township's boundary grown by the register's tolerance
# (registry.services.assets.TOWNSHIP_TOLERANCE, 0.01 degrees, about 950 m here).
INSIDE = 400.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐冉谭向"
PLACE_SUFFIXES = ["湾", "坪", "沟", "院子", "坝", "岭", "梁", "嘴", "槽", "垭"]
NUMERALS = "一二三四五六七八"
PERSON_GIVEN = "国华建明秀兰军平德福志强玉英春梅文海燕成忠"


@dataclass
class NetworkSummary:
    groups: int = 0
    links: int = 0
    sources: int = 0
    register_lines: int = 0
    target_code: str = ""
    target_name: str = ""
    township_codes: list[str] = field(default_factory=list)


# --- geometry ----------------------------------------------------------------------------------


XY = tuple[float, float]


class Frame:
    """A local metric frame about (lon0, lat0): x east, y north in metres."""

    def __init__(self, lon0: float, lat0: float) -> None:
        phi = math.radians(lat0)
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi)
        self.ky = 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)

    def to_m(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: (c - (self.lon0, self.lat0)) * (self.kx, self.ky))

    def to_deg(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: c / (self.kx, self.ky) + (self.lon0, self.lat0))

    def from_geos(self, geom: GEOSGeometry) -> BaseGeometry:
        return self.to_m(shapely.from_wkb(bytes(geom.wkb)))

    def to_point(self, xy: XY) -> GeosPoint:
        lon, lat = self.to_deg(Point(xy)).coords[0]
        return GeosPoint(lon, lat, srid=4490)

    def to_geos(self, geom: BaseGeometry) -> GEOSGeometry:
        out = GEOSGeometry(memoryview(shapely.to_wkb(self.to_deg(geom))))
        out.srid = 4490
        return out


def _dist(a: XY, b: XY) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def wiggly(rng: random.Random, a: XY, b: XY, bend: float = 0.06) -> LineString:
    """A line from a to b through 1 to 3 vertices pushed sideways (3 to 5 vertices in all):
    how a road or pipe follows the ground. The ends are exactly a and b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    inner = rng.randint(1, 3)
    points = [a]
    for i in range(1, inner + 1):
        t = (i + rng.uniform(-0.3, 0.3)) / (inner + 1)
        off = max(-2 * bend, min(2 * bend, rng.gauss(0, bend))) * length
        points.append((a[0] + dx * t + nx * off, a[1] + dy * t + ny * off))
    points.append(b)
    return LineString(points)


def _course(rng: random.Random, a: XY, b: XY, inside: BaseGeometry, bend: float) -> LineString:
    """A wiggly line from a to b that stays inside ``inside``; straight when no wiggle does."""
    for _ in range(4):
        line = wiggly(rng, a, b, bend)
        if inside.covers(line):
            return line
    return LineString([a, b])


def spanning_tree(
    nodes: list[XY], allowed: Callable[[int, int], bool]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Kruskal's minimum spanning tree over straight edges that ``allowed`` admits: the tree's
    edges, and the admitted edges left out (shortest first), from which loops are taken."""
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = sorted(
        (
            (_dist(nodes[i], nodes[j]), i, j)
            for i in range(len(nodes))
            for j in range(i + 1, len(nodes))
        ),
    )
    tree, rest = [], []
    for _d, i, j in pairs:
        if not allowed(i, j):
            continue
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[ri] = rj
            tree.append((i, j))
        else:
            rest.append((i, j))
    return tree, rest


def _rooted(edges: list[tuple[int, int]], start: int) -> tuple[dict[int, int], dict[int, int]]:
    """Parent and depth of every node reached from ``start`` over the tree's edges."""
    near: dict[int, list[int]] = {}
    for i, j in edges:
        near.setdefault(i, []).append(j)
        near.setdefault(j, []).append(i)
    parent, depth = {start: -1}, {start: 0}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for other in sorted(near.get(node, [])):
            if other not in parent:
                parent[other], depth[other] = node, depth[node] + 1
                queue.append(other)
    return parent, depth


def _short(name: str) -> str:
    """龙驹镇 -> 龙驹, 向东村村民委员会 -> 向东村, 太白街道 -> 太白."""
    for suffix in ("村民委员会", "居民委员会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    for suffix in ("土家族乡", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(
        rng.choice(PERSON_GIVEN) for _ in range(rng.randint(1, 2))
    )


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


# --- village groups ----------------------------------------------------------------------------


def _group_names(rng: random.Random, count: int, numbered: bool) -> list[str]:
    if numbered:
        return [f"{NUMERALS[i]}组" for i in range(count)]
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(SURNAMES)}家{rng.choice(PLACE_SUFFIXES)}"
        if name not in names:
            names.append(name)
    return names


def _group_points(rng: random.Random, cell: BaseGeometry, home: XY, count: int) -> list[XY]:
    """``count`` points inside the village's cell, away from the village centre and from each
    other (the groups of a hill village lie apart), each seen from the centre along a line
    inside the cell (so that its road can stay in the village); spacing relaxes in small
    cells."""
    size = math.sqrt(cell.area)
    inner = cell.buffer(-min(60.0, size * 0.05))
    if inner.is_empty:
        inner = cell
    away = min(350.0, size * 0.22)
    apart = min(400.0, size * 0.28)
    far = max(2500.0, size * 0.4)
    around = cell.buffer(30)
    x0, y0, x1, y1 = inner.bounds
    points: list[XY] = []
    tries = 0
    while len(points) < count:
        tries += 1
        if tries % 300 == 0:  # a cramped cell: ask for less room
            away, apart = away * 0.7, apart * 0.7
        p = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        d = _dist(p, home)
        if d < away or d > far or not inner.contains(Point(p)):
            continue
        if any(_dist(p, q) < apart for q in points):
            continue
        if tries < 5000 and not around.covers(LineString([home, p])):
            continue
        points.append(p)
    return points


def _frame_for(county: AdminArea) -> Frame:
    geom = county.boundary or county.point
    assert geom is not None, "the county needs an outline or a point"
    c = geom.centroid
    return Frame(c.x, c.y)


@transaction.atomic
def load_demo_groups(*, county_code: str, seed: int = SEED) -> int:
    """Create 3 to 8 synthetic groups under every synthetic village of the county that has a
    point and an outline and no group yet. Returns how many were created."""
    rng = random.Random(seed)
    county = AdminArea.objects.get(code=f"{county_code}000000")
    frame = _frame_for(county)
    have = set(
        AdminArea.objects.filter(level=AreaLevel.GROUP, county_code=county_code).values_list(
            "parent_id", flat=True
        )
    )
    villages = AdminArea.objects.filter(
        level=AreaLevel.VILLAGE,
        county_code=county_code,
        synthetic=True,
        point__isnull=False,
        boundary__isnull=False,
        retired_on__isnull=True,
    ).order_by("code")
    groups: list[AdminArea] = []
    for village in villages:
        count = rng.randint(3, 8)
        numbered = village.kind != AreaKind.VILLAGERS_COMMITTEE or rng.random() < 0.65
        names = _group_names(rng, count, numbered)
        assert village.boundary is not None and village.point is not None
        cell = frame.from_geos(village.boundary)
        home = frame.from_geos(village.point)
        points = _group_points(rng, cell, (home.x, home.y), count)
        households = [rng.randint(15, 80) for _ in range(count)]
        if village.pk in have:
            continue  # drawn all the same, so that the next villages' groups do not move
        for i, (name, xy, hh) in enumerate(zip(names, points, households, strict=True)):
            point = frame.to_point(xy)
            groups.append(
                AdminArea(
                    code=f"{village.code}{i + 1:03d}",
                    name=name,
                    level=AreaLevel.GROUP,
                    kind=AreaKind.VILLAGE_GROUP,
                    parent=village,
                    county_code=county_code,
                    point=point,
                    synthetic=True,
                    source=GROUP_SOURCE,
                    households=hh,
                    persons=round(hh * rng.uniform(2.6, 3.6)),
                )
            )
    AdminArea.objects.bulk_create(groups, batch_size=1000)
    return len(groups)


# --- the network -------------------------------------------------------------------------------


@dataclass
class Village:
    area: AdminArea
    xy: XY
    cell: BaseGeometry
    groups: list[AdminArea] = field(default_factory=list)
    group_xy: list[XY] = field(default_factory=list)


@dataclass
class Township:
    area: AdminArea
    seat: XY
    shape: BaseGeometry
    inside: BaseGeometry  # the shape grown by INSIDE: where its lines may run
    villages: list[Village] = field(default_factory=list)
    # node 0 is the seat, node i + 1 the i-th village
    parent: dict[int, int] = field(default_factory=dict)
    depth: dict[int, int] = field(default_factory=dict)

    def node_xy(self, node: int) -> XY:
        return self.seat if node == 0 else self.villages[node - 1].xy

    def path(self, node: int) -> list[int]:
        """The tree's nodes from ``node`` up to the seat (the seat excluded)."""
        out = []
        while node > 0:
            out.append(node)
            node = self.parent[node]
        return out


@dataclass
class Part:
    """One line of the network before it becomes (part of) an asset."""

    network_type: str
    line: LineString
    surface: str = ""
    village: Village | None = None  # where it lies (its asset's area)
    group: int | None = None  # for group roads and pipes: the group's index in its village
    node: int | None = None  # for tree edges: the child node
    township: Township | None = None


@dataclass
class Link:
    """One asset of the network: its parts, what it is and who keeps it."""

    network_type: str
    parts: list[BaseGeometry]
    name: str
    area: AdminArea
    surface: str = ""
    grade: str = ""
    width: Decimal | None = None
    owner: Party | None = None
    maintainer: Party | None = None
    households: int = 0
    unit_value: tuple[float, float] = (0, 0)  # yuan per km (or per works), low-high
    years: tuple[int, int] = (2016, 2025)
    asset: Asset | None = None


ROAD_TYPES = {
    NetworkType.COUNTY_ROAD,
    NetworkType.TOWNSHIP_ROAD,
    NetworkType.VILLAGE_ROAD,
    NetworkType.GROUP_ROAD,
}
UNHARDENED = (Surface.GRAVEL, Surface.EARTH)
# yuan per km by type and surface (hardened, gravel, earth)
UNIT_VALUES: dict[str, dict[str, tuple[float, float]]] = {
    NetworkType.COUNTY_ROAD: {"hard": (2_200_000, 4_200_000)},
    NetworkType.TOWNSHIP_ROAD: {"hard": (1_000_000, 1_800_000), "gravel": (250_000, 400_000)},
    NetworkType.VILLAGE_ROAD: {
        "hard": (600_000, 900_000),
        "gravel": (150_000, 250_000),
        "earth": (50_000, 100_000),
    },
    NetworkType.GROUP_ROAD: {
        "hard": (400_000, 600_000),
        "gravel": (100_000, 200_000),
        "earth": (40_000, 80_000),
    },
    NetworkType.WATER_MAIN: {"": (600_000, 1_200_000)},
    NetworkType.WATER_BRANCH: {"": (150_000, 350_000)},
    NetworkType.WATER_SOURCE: {"": (8_000_000, 30_000_000)},
}


def _surface(rng: random.Random, hardened: float, earth_share: float = 0.35) -> str:
    """A hardened surface with probability ``hardened``, else gravel or (less often) earth."""
    if rng.random() < hardened:
        return Surface.CONCRETE if rng.random() < 0.8 else Surface.ASPHALT
    return Surface.EARTH if rng.random() < earth_share else Surface.GRAVEL


class _Builder:
    """Draws the network over the county's townships, villages and groups (all in metres)."""

    def __init__(self, county: AdminArea, seed: int) -> None:
        self.rng = random.Random(seed)
        self.county = county
        self.frame = _frame_for(county)
        assert county.boundary is not None
        self.county_shape = self.frame.from_geos(county.boundary)
        self.townships: list[Township] = []
        areas = AdminArea.objects.filter(county_code=county.county_code, retired_on__isnull=True)
        by_parent: dict[int, list[AdminArea]] = {}
        for area in areas.filter(level__in=[AreaLevel.VILLAGE, AreaLevel.GROUP]).order_by("code"):
            by_parent.setdefault(area.parent_id or 0, []).append(area)
        for t in areas.filter(level=AreaLevel.TOWNSHIP).order_by("code"):
            if t.boundary is None or t.point is None:
                continue
            shape = self.frame.from_geos(t.boundary)
            seat = self.frame.from_geos(t.point)
            town = Township(t, (seat.x, seat.y), shape, shape.buffer(INSIDE))
            for v in by_parent.get(t.pk, []):
                if v.level != AreaLevel.VILLAGE or v.point is None or v.boundary is None:
                    continue
                p = self.frame.from_geos(v.point)
                village = Village(v, (p.x, p.y), self.frame.from_geos(v.boundary))
                for g in by_parent.get(v.pk, []):
                    if g.point is not None:
                        q = self.frame.from_geos(g.point)
                        village.groups.append(g)
                        village.group_xy.append((q.x, q.y))
                town.villages.append(village)
            if town.villages:
                self.townships.append(town)
        self.cells = STRtree([v.cell for t in self.townships for v in t.villages])
        self.cell_village = [v for t in self.townships for v in t.villages]
        self.parts: list[Part] = []
        self.sources: list[tuple[XY, Township, str]] = []
        self.dry_townships: set[str] = set()
        self.dry_villages: set[str] = set()
        self.target: Part | None = None
        # Lines already in the register (its roads and pipes, a site's access road): never
        # assets of this network, but the demo township's gaps must keep clear of them.
        self.foreign: list[Part] = []
        existing = Asset.objects.filter(
            county_code=county.county_code,
            subtype__in=[AssetSubtype.ROAD, AssetSubtype.WATER_SUPPLY],
            geom__isnull=False,
        ).exclude(status__in=[AssetStatus.DISPOSED, AssetStatus.CONSUMED])
        for asset in existing.only("subtype", "geom"):
            assert asset.geom is not None
            if asset.geom.dims == 1:
                kind = (
                    NetworkType.VILLAGE_ROAD
                    if asset.subtype == AssetSubtype.ROAD
                    else NetworkType.WATER_BRANCH
                )
                self.foreign.append(Part(kind, self.frame.from_geos(asset.geom), Surface.CONCRETE))

    # where things lie
    def village_at(self, town: Township, p: XY) -> Village:
        """The village of ``town`` whose cell holds ``p`` (else the nearest one)."""
        for i in self.cells.query(Point(p)):
            v = self.cell_village[int(i)]
            if v.area.parent_id == town.area.pk and v.cell.covers(Point(p)):
                return v
        return min(town.villages, key=lambda v: v.cell.distance(Point(p)))

    def seat_village(self, town: Township) -> Village:
        return self.village_at(town, town.seat)

    # roads
    def township_trees(self) -> None:
        """Township and village roads: a tree from the seat to every village (the seat's own
        and the next ring are township roads), plus a few loops between villages."""
        for town in self.townships:
            nodes = [town.seat] + [v.xy for v in town.villages]

            def allowed(i: int, j: int, town: Township = town, nodes: list[XY] = nodes) -> bool:
                return town.inside.covers(LineString([nodes[i], nodes[j]]))

            tree, rest = spanning_tree(nodes, allowed)
            town.parent, town.depth = _rooted(tree, 0)
            for node in sorted(town.parent):
                if node == 0:
                    continue
                a, b = town.node_xy(town.parent[node]), town.node_xy(node)
                kind = (
                    NetworkType.TOWNSHIP_ROAD if town.depth[node] <= 2 else NetworkType.VILLAGE_ROAD
                )
                surface = _surface(self.rng, 0.98 if kind == NetworkType.TOWNSHIP_ROAD else 0.94)
                self.parts.append(
                    Part(
                        kind,
                        _course(self.rng, a, b, town.inside, 0.05),
                        surface,
                        town.villages[node - 1],
                        node=node,
                        township=town,
                    )
                )
            loops = [e for e in rest if 0 not in e][: max(1, len(town.villages) // 8)]
            for i, j in loops:
                if _dist(nodes[i], nodes[j]) > 4000:
                    continue
                self.parts.append(
                    Part(
                        NetworkType.VILLAGE_ROAD,
                        _course(self.rng, nodes[i], nodes[j], town.inside, 0.06),
                        _surface(self.rng, 0.8),
                        town.villages[i - 1],
                        township=town,
                    )
                )

    def group_roads(self) -> None:
        """A road from each village to most of its groups; a few groups have none."""
        for town in self.townships:
            for village in town.villages:
                for g, xy in enumerate(village.group_xy):
                    if self.rng.random() < 0.04:
                        continue
                    self.parts.append(
                        Part(
                            NetworkType.GROUP_ROAD,
                            _course(self.rng, village.xy, xy, village.cell.buffer(50), 0.07),
                            _surface(self.rng, 0.9),
                            village,
                            group=g,
                            township=town,
                        )
                    )

    def between_seats(self, nodes: list[XY], extra: int, max_ratio: float) -> list[tuple[int, int]]:
        """A spanning tree over points inside the county plus up to ``extra`` short loops."""

        def allowed(i: int, j: int) -> bool:
            return self.county_shape.covers(LineString([nodes[i], nodes[j]]))

        tree, rest = spanning_tree(nodes, allowed)
        if not tree:
            return []
        lengths = sorted(_dist(nodes[i], nodes[j]) for i, j in tree)
        median = lengths[len(lengths) // 2]
        loops = [e for e in rest if _dist(nodes[e[0]], nodes[e[1]]) < max_ratio * median]
        return tree + loops[:extra]

    def county_roads(self) -> None:
        """County roads between township seats: a spanning tree plus a few loops."""
        seats = [t.seat for t in self.townships]
        for i, j in self.between_seats(seats, extra=6, max_ratio=1.3):
            line = _course(self.rng, seats[i], seats[j], self.county_shape, 0.05)
            surface = Surface.ASPHALT if self.rng.random() < 0.75 else Surface.CONCRETE
            self.parts.append(Part(NetworkType.COUNTY_ROAD, line, surface))

    # water
    def water(self) -> None:
        """Eight works near township seats spread over the county, mains from each to the
        seats nearest it, branches down each township's tree to villages and groups."""
        towns = [t for t in self.townships if t.area.kind != AreaKind.SUBDISTRICT] or self.townships
        # Farthest-point sampling from the county seat's township: works spread over the county.
        chosen = [min(self.townships, key=lambda t: t.area.code)]
        while len(chosen) < min(8, len(towns)):
            chosen.append(
                max(
                    (t for t in towns if t not in chosen),
                    key=lambda t: min(_dist(t.seat, c.seat) for c in chosen),
                )
            )
        works: list[XY] = []
        for town in chosen:
            for _ in range(20):
                angle = self.rng.uniform(0, 2 * math.pi)
                d = self.rng.uniform(600, 1500)
                p = (town.seat[0] + d * math.cos(angle), town.seat[1] + d * math.sin(angle))
                if town.shape.buffer(-100).contains(Point(p)):
                    break
            else:
                p = (town.seat[0] + 200, town.seat[1])
            works.append(p)
            self.sources.append((p, town, f"{_short(town.area.name)}水厂"))
        served: dict[int, list[Township]] = {i: [] for i in range(len(works))}
        for town in self.townships:
            nearest = min(range(len(works)), key=lambda i: _dist(works[i], town.seat))
            served[nearest].append(town)
        # One township far out on a main's end gets none: its villages keep to wells and
        # cisterns (the county's piped-water gap); one holding a concentrated relocation site
        # when there are sites already, so that a site's area is a gap too. Never the demo
        # township nor a subdistrict.
        sited = {
            code[:9]
            for code in RelocationSite.objects.filter(county_code=self.county.county_code)
            .exclude(site_type__in=DISPERSED_SITE_TYPES)
            .values_list("area_code", flat=True)
        }
        candidates = [
            (_dist(works[i], t.seat), t.area.code, i, t)
            for i, ts in served.items()
            if len(ts) > 2
            for t in ts
            if t.area.code != LONGJU and t.area.kind != AreaKind.SUBDISTRICT
        ]
        with_sites = [c for c in candidates if c[1][:9] in sited]
        if candidates:
            _d, _code, i, far = max(with_sites or candidates, key=lambda c: c[:2])
            served[i].remove(far)
            self.dry_townships.add(far.area.code)
        for i, towns_of in served.items():
            nodes = [works[i]] + [t.seat for t in towns_of]
            for a, b in self.between_seats(nodes, extra=0, max_ratio=0):
                line = _course(self.rng, nodes[a], nodes[b], self.county_shape, 0.07)
                self.parts.append(Part(NetworkType.WATER_MAIN, line, node=i))
        for town in self.townships:
            if town.area.code in self.dry_townships:
                continue
            seat_village = self.seat_village(town)
            leaves_of = [n for n in town.parent if n and n not in town.parent.values()]
            # About one village in twelve (a leaf of the tree, never the seat's) has no pipe yet.
            for node in leaves_of:
                if self.rng.random() < 0.08 and town.villages[node - 1] is not seat_village:
                    self.dry_villages.add(town.villages[node - 1].area.code)
            for node in sorted(town.parent):
                if node == 0:
                    continue
                village = town.villages[node - 1]
                if village.area.code in self.dry_villages:
                    continue
                start = town.node_xy(town.parent[node])
                self.parts.append(
                    Part(
                        NetworkType.WATER_BRANCH,
                        _course(self.rng, start, village.xy, town.inside, 0.09),
                        village=village,
                        node=node,
                        township=town,
                    )
                )
                for g, xy in enumerate(village.group_xy):
                    if self.rng.random() < 0.12:
                        continue
                    self.parts.append(
                        Part(
                            NetworkType.WATER_BRANCH,
                            _course(self.rng, village.xy, xy, village.cell.buffer(50), 0.1),
                            village=village,
                            group=g,
                            township=town,
                        )
                    )

    # the demo township's gaps
    def _lines(self, kinds: Iterable[str], hardened: bool | None = None) -> list[Part]:
        kinds = set(kinds)
        return [
            p
            for p in self.parts + self.foreign
            if p.network_type in kinds
            and (hardened is None or (p.surface in HARDENED_SURFACES) == hardened)
        ]

    def _clear(self, xy: XY, parts: list[Part], but: Part | None = None) -> bool:
        """No line of ``parts`` (other than ``but``) passes within CLEAR of ``xy``."""
        return self._clearance(xy, parts, but) > CLEAR

    @staticmethod
    def _clearance(xy: XY, parts: list[Part], but: Part | None = None) -> float:
        """How far the nearest line of ``parts`` (other than ``but``) passes from ``xy``."""
        p = Point(xy)
        return min((q.line.distance(p) for q in parts if q is not but), default=math.inf)

    def _group_part(self, village: Village, g: int, kind: str) -> Part | None:
        for p in self.parts:
            if p.network_type == kind and p.village is village and p.group == g:
                return p
        return None

    def demo_township(self) -> None:
        """Make 龙驹镇's gaps certain: in 向东村 one gravel group road whose hardening alone
        closes its group's gap (the route from the seat to the village hardened, the village's
        other group roads hardened, no other road near the group); three more groups reached
        only over unhardened road, two that no road reaches, and groups no pipe reaches (a
        leaf village left dry and two more groups)."""
        town = next((t for t in self.townships if t.area.code == LONGJU), None)
        if town is None:
            return
        rng = random.Random(LONGJU)
        by_code = {v.area.code: (i + 1, v) for i, v in enumerate(town.villages)}

        # 1. The road to harden: in 向东村, the group road whose group lies farthest from any
        #    other road (so that lines added later, the register's and the sites', are least
        #    likely to reach it), at least CLEAR; else in the first village that has one.
        roads = self._lines(ROAD_TYPES)
        for code in [XIANGDONG, *sorted(c for c in by_code if c != XIANGDONG)]:
            node, village = by_code[code]
            if node not in town.parent:
                continue
            candidates = []
            for g, xy in enumerate(village.group_xy):
                part = self._group_part(village, g, NetworkType.GROUP_ROAD)
                if part is not None:
                    clearance = self._clearance(xy, roads, but=part)
                    if clearance > CLEAR:
                        candidates.append((clearance, g, part))
            if candidates:
                self.target = max(candidates, key=lambda c: c[:2])[2]
                break
        if self.target is not None and self.target.village is not None:
            village = self.target.village
            self.target.surface = Surface.GRAVEL
            route = set(town.path(by_code[village.area.code][0]))
            for p in self.parts:
                if p.township is not town or p.network_type not in ROAD_TYPES:
                    continue
                on_route = p.node in route and p.network_type != NetworkType.GROUP_ROAD
                own_group = p.network_type == NetworkType.GROUP_ROAD and p.village is village
                if (on_route or own_group) and p is not self.target:
                    p.surface = Surface.CONCRETE
        target_code = self.target.village.area.code if self.target and self.target.village else ""
        codes = [c for c in sorted(by_code) if c != target_code]
        rng.shuffle(codes)

        # 2. Three more groups that only an unhardened road reaches.
        made = 0
        for code in codes:
            _node, village = by_code[code]
            for g, xy in enumerate(village.group_xy):
                part = self._group_part(village, g, NetworkType.GROUP_ROAD)
                if part is None or not self._clear(xy, self._lines(ROAD_TYPES, True), but=part):
                    continue
                part.surface = rng.choice(UNHARDENED)
                made += 1
                break
            if made == 3:
                break

        # 3. Two groups that no road reaches (their group road never built).
        made = 0
        for code in reversed(codes):
            _node, village = by_code[code]
            for g, xy in enumerate(village.group_xy):
                part = self._group_part(village, g, NetworkType.GROUP_ROAD)
                if part is not None and part.surface not in HARDENED_SURFACES:
                    continue  # keep the unhardened ones
                if self._clear(xy, self._lines(ROAD_TYPES), but=part):
                    if part is not None:
                        self.parts.remove(part)
                    made += 1
                    break
            if made == 2:
                break

        # 4. Piped water: a leaf village of the tree left dry, and two more groups without pipe.
        leaves = [n for n in town.parent if n and n not in town.parent.values()]
        if leaves and not any(v.area.code in self.dry_villages for _n, v in by_code.values()):
            # the leaf farthest from the seat: the last the branches would reach
            dry = town.villages[max(leaves, key=lambda n: _dist(town.node_xy(n), town.seat)) - 1]
            self.dry_villages.add(dry.area.code)
            self.parts = [
                p
                for p in self.parts
                if not (p.network_type == NetworkType.WATER_BRANCH and p.village is dry)
            ]
        made = 0
        pipe_types = [NetworkType.WATER_MAIN, NetworkType.WATER_BRANCH]
        for code in codes:
            _node, village = by_code[code]
            if code in self.dry_villages:
                continue
            for g, xy in enumerate(village.group_xy):
                part = self._group_part(village, g, NetworkType.WATER_BRANCH)
                if self._clear(xy, self._lines(pipe_types), but=part):
                    if part is not None:
                        self.parts.remove(part)
                    made += 1
                    break
            if made == 2:
                break

    def build(self) -> None:
        self.township_trees()
        self.group_roads()
        self.county_roads()
        self.water()
        self.demo_township()


# --- from parts to assets ----------------------------------------------------------------------


def _pieces(builder: _Builder, line: LineString) -> list[tuple[Township, list[LineString]]]:
    """A line crossing townships cut at their boundaries: (township, its pieces)."""
    out = []
    for town in builder.townships:
        if not town.shape.intersects(line):
            continue
        cut = town.shape.intersection(line)
        pieces = [g for g in shapely.get_parts(cut) if g.geom_type == "LineString" and g.length > 3]
        if pieces:
            out.append((town, pieces))
    return out


class _Parties:
    """The owners and maintainers of the network: departments, township governments, village
    collectives (loaded with the demo county) and the county's rural water company."""

    def __init__(self, county: AdminArea) -> None:
        parties = Party.objects.filter(county_code=county.county_code, active=True)
        self.collective = {
            p.area_code: p for p in parties.filter(kind=PartyKind.VILLAGE_COLLECTIVE)
        }
        self.government = {
            p.area_code: p for p in parties.filter(kind=PartyKind.TOWNSHIP_GOVERNMENT)
        }
        departments = parties.filter(kind=PartyKind.DEPARTMENT, area=county)
        transport = departments.filter(name__endswith="交通运输局").first()
        water = departments.filter(name__endswith="水利局").first()
        assert transport is not None and water is not None, "load the demo county's parties first"
        self.transport: Party = transport
        self.water_bureau: Party = water
        company = parties.filter(kind=PartyKind.ENTERPRISE, name=WATER_COMPANY).first()
        if company is None:
            company = Party.objects.create(
                kind=PartyKind.ENTERPRISE,
                name=WATER_COMPANY,
                area=county,
                area_code=county.code,
                county_code=county.county_code,
                contact_person="冉志强",
                phone="023-58000000",
            )
        self.water_company: Party = company


def _road_spec(rng: random.Random, kind: str, surface: str) -> tuple[str, Decimal]:
    """A plausible technical grade and width (m) for a road of this type and surface."""
    if kind == NetworkType.COUNTY_ROAD:
        grade = rng.choice([RoadGrade.GRADE_3] * 3 + [RoadGrade.GRADE_2, RoadGrade.GRADE_4])
        width = {RoadGrade.GRADE_2: "12.0", RoadGrade.GRADE_3: "8.5"}.get(grade, "7.5")
    elif kind == NetworkType.TOWNSHIP_ROAD:
        grade = RoadGrade.GRADE_4 if surface in HARDENED_SURFACES else RoadGrade.SUBSTANDARD
        width = rng.choice(["5.5", "6.0", "6.5"])
    elif kind == NetworkType.VILLAGE_ROAD:
        grade = rng.choice([RoadGrade.GRADE_4, RoadGrade.SUBSTANDARD])
        width = rng.choice(["4.5", "5.0", "5.5"])
    else:
        grade = RoadGrade.SUBSTANDARD
        width = rng.choice(["3.5", "3.5", "4.0", "4.5"])
    if surface in UNHARDENED and kind in (NetworkType.GROUP_ROAD, NetworkType.VILLAGE_ROAD):
        width = rng.choice(["3.0", "3.5", "4.0"])
    return grade, Decimal(width)


def _unit_value(kind: str, surface: str) -> tuple[float, float]:
    values = UNIT_VALUES[kind]
    if kind in ROAD_TYPES:
        return values.get("hard" if surface in HARDENED_SURFACES else surface) or values["hard"]
    return values[""]


def _road(
    rng: random.Random,
    kind: str,
    parts: list[BaseGeometry],
    name: str,
    area: AdminArea,
    surface: str,
    owner: Party,
    maintainer: Party,
    households: int,
) -> Link:
    grade, width = _road_spec(rng, kind, surface)
    years = (2014, 2019) if surface in UNHARDENED else (2016, 2025)
    return Link(
        kind, parts, name, area, surface, grade, width, owner, maintainer, households,
        _unit_value(kind, surface), years,
    )  # fmt: skip


def _water(
    kind: str,
    parts: list[BaseGeometry],
    name: str,
    area: AdminArea,
    owner: Party,
    maintainer: Party,
    households: int,
) -> Link:
    years: dict[str, tuple[int, int]] = {
        NetworkType.WATER_SOURCE: (2015, 2022),
        NetworkType.WATER_MAIN: (2016, 2023),
    }
    return Link(
        kind, parts, name, area, owner=owner, maintainer=maintainer, households=households,
        unit_value=_unit_value(kind, ""), years=years.get(kind, (2016, 2025)),
    )  # fmt: skip


def _links(builder: _Builder, parties: _Parties) -> tuple[list[Link], Link | None]:
    """Group the parts into assets: a tree edge or loop is one asset; a village's hardened
    group roads one asset, each unhardened group road its own; a village's pipes one asset;
    county roads and mains one asset per township they cross. Returns the links and the one
    whose hardening closes a gap of 龙驹镇."""
    rng = builder.rng
    links: list[Link] = []
    target: Link | None = None
    village_hh = {
        v.area.code: sum(g.households or 0 for g in v.groups)
        for t in builder.townships
        for v in t.villages
    }
    town_hh = {
        t.area.code: sum(village_hh[v.area.code] for v in t.villages) for t in builder.townships
    }
    numbered = 0
    for town in builder.townships:
        seat_short = _short(town.area.name)
        government = parties.government[town.area.code]
        parts = [p for p in builder.parts if p.township is town]
        for part in parts:
            if part.network_type not in (NetworkType.TOWNSHIP_ROAD, NetworkType.VILLAGE_ROAD):
                continue
            village = part.village
            assert village is not None
            if part.node is not None:  # a tree edge from the parent to this village
                parent = town.parent[part.node]
                start = seat_short if parent == 0 else _short(town.villages[parent - 1].area.name)
                end = village.area.short_name
            else:  # a loop from this village to the one at its other end
                end_xy = part.line.coords[-1]
                other = min(town.villages, key=lambda v: _dist(v.xy, (end_xy[0], end_xy[1])))
                start, end = village.area.short_name, other.area.short_name
            collective = parties.collective[village.area.code]
            if part.network_type == NetworkType.TOWNSHIP_ROAD:
                numbered += 1
                name = f"Y{numbered:03d}{start}至{end}公路"
                owner, maintainer = parties.transport, parties.transport
            else:
                name = f"{start}至{end}村道"
                owner, maintainer = collective, government
            links.append(
                _road(rng, part.network_type, [part.line], name, village.area, part.surface,
                      owner, maintainer, village_hh[village.area.code])
            )  # fmt: skip
        for village in town.villages:
            v_short = village.area.short_name
            collective = parties.collective[village.area.code]
            roads = [
                p
                for p in parts
                if p.network_type == NetworkType.GROUP_ROAD and p.village is village
            ]
            hard = [p for p in roads if p.surface in HARDENED_SURFACES]
            if hard:
                served = [village.groups[p.group] for p in hard if p.group is not None]
                names = "、".join(g.name for g in served)
                links.append(
                    _road(rng, NetworkType.GROUP_ROAD, [p.line for p in hard],
                          f"{v_short}通组公路（{names}）", village.area, Surface.CONCRETE,
                          collective, collective, sum(g.households or 0 for g in served))
                )  # fmt: skip
            for p in roads:
                if p in hard or p.group is None:
                    continue
                group = village.groups[p.group]
                links.append(
                    _road(rng, NetworkType.GROUP_ROAD, [p.line], f"{v_short}{group.name}通组路",
                          village.area, p.surface, collective, collective, group.households or 0)
                )  # fmt: skip
                if p is builder.target:
                    target = links[-1]
            pipes = [
                p
                for p in parts
                if p.network_type == NetworkType.WATER_BRANCH and p.village is village
            ]
            if pipes:
                links.append(
                    _water(NetworkType.WATER_BRANCH, [p.line for p in pipes],
                           f"{v_short}供水支管", village.area, collective, collective,
                           village_hh[village.area.code])
                )  # fmt: skip

    # County roads and mains: one asset per township crossed.
    numbered = 100
    for part in builder.parts:
        if part.network_type not in (NetworkType.COUNTY_ROAD, NetworkType.WATER_MAIN):
            continue
        coords = list(part.line.coords)
        a = min(builder.townships, key=lambda t: _dist(t.seat, coords[0]))
        b = min(builder.townships, key=lambda t: _dist(t.seat, coords[-1]))
        if part.network_type == NetworkType.COUNTY_ROAD:
            numbered += 1
            base = f"X{numbered:03d}{_short(a.area.name)}至{_short(b.area.name)}公路"
        else:
            works = builder.sources[part.node or 0][2]
            start = works if _dist(a.seat, coords[0]) > 1 else _short(a.area.name)
            base = f"{start}至{_short(b.area.name)}供水主管"
        crossed = _pieces(builder, part.line)
        for town, pieces in crossed:
            longest = max(pieces, key=lambda g: g.length)
            middle = longest.interpolate(0.5, normalized=True)
            area = builder.village_at(town, (middle.x, middle.y)).area
            name = base + (f"（{_short(town.area.name)}段）" if len(crossed) > 1 else "")
            if part.network_type == NetworkType.COUNTY_ROAD:
                links.append(
                    _road(rng, NetworkType.COUNTY_ROAD, list(pieces), name, area, part.surface,
                          parties.transport, parties.transport, town_hh[town.area.code])
                )  # fmt: skip
            else:
                links.append(
                    _water(NetworkType.WATER_MAIN, list(pieces), name, area,
                           parties.water_bureau, parties.water_company, town_hh[town.area.code])
                )  # fmt: skip
    for xy, town, name in builder.sources:
        links.append(
            _water(NetworkType.WATER_SOURCE, [Point(xy)], name, builder.village_at(town, xy).area,
                   parties.water_bureau, parties.water_company, town_hh[town.area.code])
        )  # fmt: skip
    return links, target


def _lengths(geoms: list[GEOSGeometry]) -> list[float]:
    """Ellipsoid lengths (m) of the geometries, measured by PostGIS as the service measures
    (registry.services.network.ellipsoid_length_m); 0 for points."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(ST_Length(ST_GeomFromEWKB(g)::geography, true), 0) "
            "FROM unnest(%s::bytea[]) WITH ORDINALITY AS u(g, i) ORDER BY i",
            [[bytes(g.ewkb) for g in geoms]],
        )
        return [float(row[0]) for row in cursor.fetchall()]


BASIS = {"road": "万州区农村公路资产移交确权清单", "water": "万州区农村供水工程产权登记表"}
DUTIES = {
    "road": "路面日常养护、边沟清理，塌方和损毁及时上报乡镇。",
    "water": "管网和设施巡查、漏损维修，水质消毒和供水记录。",
}
MAINTENANCE_FUNDS: dict[str, list[str]] = {
    NetworkType.COUNTY_ROAD: ["县级农村公路养护资金"],
    NetworkType.TOWNSHIP_ROAD: ["县级农村公路养护资金"],
    NetworkType.VILLAGE_ROAD: ["县级管护资金", "村集体经营收益"],
    NetworkType.GROUP_ROAD: ["村集体经营收益", "公益性岗位", "一事一议财政奖补"],
    NetworkType.WATER_MAIN: ["水费收入"],
    NetworkType.WATER_SOURCE: ["水费收入"],
    NetworkType.WATER_BRANCH: ["水费收入", "村集体经营收益"],
}


def _write(links: list[Link], county: AdminArea, rng: random.Random) -> list[Asset]:
    """The links' assets with their network rows, funding, owners, duties and one inspection
    each (one in twenty overdue), in bulk like registry.demo_assets."""
    frame = _frame_for(county)
    clerk = (
        User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.order_by("pk").first()
    )
    assert clerk is not None, "load the demo county (and its accounts) first"
    funds = {s.code: s for s in FundSource.objects.filter(active=True)}
    pools = {
        "road": [c for c in ("central_bridging", "provincial", "county", "integrated", "sector")
                 if c in funds],
        "water": [c for c in ("central_bridging", "provincial", "county", "integrated",
                              "local_bonds") if c in funds],
    }  # fmt: skip
    serials: dict[str, int] = {
        row["prefix"]: int(row["last"][-5:])
        for row in Asset.objects.annotate(prefix=Substr("code", 1, 11))
        .values("prefix")
        .annotate(last=Max("code"))
    }
    geoms = [
        frame.to_geos(link.parts[0] if len(link.parts) == 1 else MultiLineString(link.parts))
        for link in links
    ]
    lengths = _lengths(geoms)
    digit = ASSET_CLASS_DIGIT[AssetClass.PUBLIC]
    latest = TODAY - datetime.timedelta(days=90)
    assets: list[Asset] = []
    for link, geom, length in zip(links, geoms, lengths, strict=True):
        year = rng.randint(link.years[0], max(link.years[0], min(link.years[1], latest.year)))
        formed_on = min(datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), latest)
        prefix = f"{county.county_code}{formed_on.year}{digit}"
        serials[prefix] = serials.get(prefix, 0) + 1
        if link.network_type == NetworkType.WATER_SOURCE:
            quantity, unit = Decimal(1), "处"
            value = Decimal(rng.uniform(*link.unit_value))
        else:
            quantity, unit = Decimal(f"{length / 1000:.3f}"), "km"
            value = Decimal(rng.uniform(*link.unit_value) * length / 1000)
        households = max(link.households, 1)
        assets.append(
            Asset(
                code=f"{prefix}{serials[prefix]:05d}",
                name=link.name,
                asset_class=AssetClass.PUBLIC,
                subtype=AssetSubtype.ROAD
                if link.network_type in ROAD_TYPES
                else AssetSubtype.WATER_SUPPLY,
                form=AssetForm.FIXED,
                fund_era=fund_era_for(formed_on),
                original_value=value.quantize(Decimal("0.01")),
                quantity=quantity,
                unit=unit,
                formed_on=formed_on,
                status=AssetStatus.IN_USE,
                area=link.area,
                area_code=link.area.code,
                county_code=link.area.county_code,
                geom=geom,
                beneficiary_households=households,
                beneficiary_persons=round(households * rng.uniform(2.7, 3.4)),
                beneficiary_exited_households=round(households * rng.uniform(0.2, 0.4)),
                beneficiary_monitored_households=round(households * rng.uniform(0.0, 0.04)),
                booked=rng.random() < 0.9,
                synthetic=True,
            )
        )
    created = Asset.objects.bulk_create(assets, batch_size=1000)
    rows: list[NetworkLink] = []
    funding: list[AssetFunding] = []
    records: list[tuple[OwnershipRecord, Party]] = []
    duties: list[MaintenanceDuty] = []
    logs: list[MaintenanceLog] = []
    for link, asset, length in zip(links, created, lengths, strict=True):
        link.asset = asset
        network = "road" if link.network_type in ROAD_TYPES else "water"
        rows.append(
            NetworkLink(
                asset=asset,
                network_type=link.network_type,
                grade=link.grade,
                surface=link.surface,
                width_m=link.width,
                built_year=asset.formed_on.year,
                length_m=length,
            )
        )
        picks = rng.sample(pools[network], rng.randint(1, min(3, len(pools[network]))))
        remaining = asset.original_value
        for i, code in enumerate(picks):
            share = Decimal(rng.uniform(0.3, 0.7)) if i < len(picks) - 1 else Decimal(1)
            amount = remaining if share == 1 else (remaining * share).quantize(Decimal("0.01"))
            remaining -= amount
            funding.append(AssetFunding(asset=asset, source=funds[code], amount=amount))
        assert link.owner is not None and link.maintainer is not None
        record = OwnershipRecord(
            asset=asset,
            kind=OwnershipKind.CONFIRMATION,
            effective_on=min(
                asset.formed_on + datetime.timedelta(days=rng.randint(30, 300)), TODAY
            ),
            basis=BASIS[network],
            certificate_no=f"WZQQ{asset.code[-9:]}",
            registered_by=clerk,
        )
        records.append((record, link.owner))
        starts = min(max(asset.formed_on, datetime.date(2021, 1, 1)), TODAY)
        # Works and mains are walked monthly; roads and village pipes every quarter or half year.
        interval = (
            30
            if link.network_type in (NetworkType.WATER_MAIN, NetworkType.WATER_SOURCE)
            else rng.choice([90, 180])
        )
        duties.append(
            MaintenanceDuty(
                asset=asset,
                maintainer=link.maintainer,
                responsible_person=_person(rng),
                responsible_phone=_phone(rng),
                duties=DUTIES[network],
                funding_source=rng.choice(MAINTENANCE_FUNDS[link.network_type]),
                inspection_interval_days=interval,
                starts_on=starts,
                posted_on=min(starts + datetime.timedelta(days=7), TODAY),
                assigned_by=clerk,
            )
        )
        # One in twenty is overdue for its next inspection, as a county's register would be.
        late = rng.random() < 0.05
        day = TODAY - datetime.timedelta(
            days=rng.randint(interval + 1, interval * 2) if late else rng.randint(1, interval - 1)
        )
        if day >= starts:
            logs.append(
                MaintenanceLog(
                    asset=asset,
                    kind=MaintenanceKind.INSPECTION,
                    performed_on=day,
                    result=InspectionResult.NORMAL,
                    logged_by=clerk,
                    location=asset.geom.point_on_surface if asset.geom else None,
                )
            )
    NetworkLink.objects.bulk_create(rows, batch_size=1000)
    AssetFunding.objects.bulk_create(funding, batch_size=2000)
    OwnershipRecord.objects.bulk_create([r for r, _ in records], batch_size=1000)
    OwnershipShare.objects.bulk_create(
        [OwnershipShare(record=r, party=p, percent=Decimal(100)) for r, p in records],
        batch_size=2000,
    )
    MaintenanceDuty.objects.bulk_create(duties, batch_size=1000)
    MaintenanceLog.objects.bulk_create(logs, batch_size=1000)
    return created


@transaction.atomic
def load_demo_network(*, county_code: str, seed: int = SEED) -> NetworkSummary:
    """Draw the demo network over the county's townships, villages and groups (load the groups
    first) and register it. The caller recomputes the gaps (``fill_demo_network`` does)."""
    county = AdminArea.objects.get(code=f"{county_code}000000")
    builder = _Builder(county, seed)
    builder.build()
    links, target = _links(builder, _Parties(county))
    created = _write(links, county, random.Random(seed + 1))
    return NetworkSummary(
        links=sum(1 for a in created if a.unit == "km"),
        sources=sum(1 for a in created if a.unit != "km"),
        target_code=target.asset.code if target and target.asset else "",
        target_name=target.name if target else "",
        township_codes=sorted(t.area.code for t in builder.townships),
    )


# The register's linear assets (registry.demo_assets draws them between villages) and the
# network type each becomes.
REGISTER_TYPES: dict[str, str] = {
    AssetSubtype.ROAD: NetworkType.VILLAGE_ROAD,
    AssetSubtype.WATER_SUPPLY: NetworkType.WATER_BRANCH,
    AssetSubtype.POWER: NetworkType.POWER_LINE,
}


@transaction.atomic
def attach_register_lines(*, county_code: str, seed: int = SEED) -> list[str]:
    """Give the synthetic register's roads, pipes and power lines (lines between villages) the
    network attributes they lack: village roads (most hardened; a relocation site's access
    road always), water branches, power lines. Returns the area codes of the assets changed."""
    assets = list(
        Asset.objects.filter(
            county_code=county_code,
            synthetic=True,
            subtype__in=list(REGISTER_TYPES),
            network__isnull=True,
            geom__isnull=False,
        ).order_by("code")
    )
    assets = [
        a
        for a in assets
        if a.geom is not None and a.geom.geom_type in ("LineString", "MultiLineString")
    ]
    if not assets:
        return []
    lengths = _lengths([a.geom for a in assets if a.geom is not None])
    facilities = set(
        SiteFacility.objects.filter(asset__in=assets).values_list("asset_id", flat=True)
    )
    rows = []
    for asset, length in zip(assets, lengths, strict=True):
        rng = random.Random(f"{seed}:{asset.code}")
        kind = REGISTER_TYPES[asset.subtype]
        surface, grade, width = "", "", None
        if kind == NetworkType.VILLAGE_ROAD:
            # Sites were built 2016-2020 with hardened access roads; older village roads vary.
            surface = Surface.CONCRETE if asset.pk in facilities else _surface(rng, 0.85)
            grade, width = _road_spec(rng, kind, surface)
        rows.append(
            NetworkLink(
                asset=asset, network_type=kind, grade=grade, surface=surface, width_m=width,
                built_year=asset.formed_on.year, length_m=length,
            )
        )  # fmt: skip
    NetworkLink.objects.bulk_create(rows, batch_size=1000)
    return sorted({a.area_code for a in assets})


def _is_demo(county_code: str) -> bool:
    """A demo database: the county's villages carry synthetic outlines (never a county's own
    data, which this module leaves alone)."""
    return AdminArea.objects.filter(
        level=AreaLevel.VILLAGE, county_code=county_code, synthetic=True, boundary__isnull=False
    ).exists()


def fill_demo_network(*, county_code: str, seed: int = SEED) -> NetworkSummary:
    """Whatever of the demo's groups and network a demo database lacks, once: the groups, the
    network, the network attributes of the register's lines. When anything was added, the gaps
    of every township of the county are recomputed in the same transaction (the signal
    registry.signals.places_changed, received by gis.network, which the registry may not
    import), so that no page shows gaps older than the data. One cheap query when there is
    nothing to do; nothing at all on a county's own (non-synthetic) data."""
    summary = NetworkSummary()
    if not _is_demo(county_code):
        return summary
    with transaction.atomic(), pghistory.context(command="load_demo_county"):
        if not AdminArea.objects.filter(level=AreaLevel.GROUP, county_code=county_code).exists():
            summary.groups = load_demo_groups(county_code=county_code, seed=seed)
        if not NetworkLink.objects.filter(
            asset__county_code=county_code,
            asset__synthetic=True,
            network_type=NetworkType.COUNTY_ROAD,
        ).exists():
            groups = summary.groups
            summary = load_demo_network(county_code=county_code, seed=seed)
            summary.groups = groups
        summary.register_lines = len(attach_register_lines(county_code=county_code, seed=seed))
        if summary.groups or summary.links or summary.register_lines:
            townships = AdminArea.objects.filter(
                level=AreaLevel.TOWNSHIP, county_code=county_code, retired_on__isnull=True
            )
            notify_places_changed([], sorted(townships.values_list("code", flat=True)))
    return summary


def harden_target(county_code: str = "500101") -> Asset | None:
    """The road of 向东村 (龙驹镇) whose hardening alone closes a gap: its one unhardened group
    road (what the gaps journey hardens)."""
    return (
        Asset.objects.filter(
            area_code=XIANGDONG,
            county_code=county_code,
            synthetic=True,
            network__network_type=NetworkType.GROUP_ROAD,
            network__hardened=False,
        )
        .order_by("code")
        .first()
    )
