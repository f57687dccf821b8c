"""Reads of the network gaps (the planner's network questions): which village groups and
relocation sites have no hardened road to their township seat or no piped water, how far the
nearest connection is, how many km of each network each township has, how much of it is
hardened, and who maintains it. All of it within the user's area (registry.scoping: the area
code of the place, of the link's asset); the places are the analysis's answers
(gis.models.NetworkPlace, gis.network), the lengths are the links' own (registry.NetworkLink).

``GAPS`` is the gap table's ledger (registry.ledgers.Ledger): its page, its exports (Excel, CSV,
GeoPackage) and its background export job read the same declaration.
"""

import dataclasses
import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Substr
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gis.filtersets import (
    GAP_ANY,
    NO_HARDENED_ROAD,
    NO_WATER,
    ORDERS,
    NetworkPlaceFilterSet,
)
from gis.models import NetworkPlace, NetworkRun
from gis.network import GONE_STATUSES
from registry import selectors
from registry.choices import AreaLevel, Network, NetworkType, PlaceKind, RoadReach
from registry.ledgers import Ledger, LedgerColumn
from registry.models import AdminArea, MaintenanceDuty, Party, User
from registry.scoping import scope_prefix, visible_to

# --- the places ---------------------------------------------------------------------------------


def place_scope(*, user: User | AnonymousUser) -> QuerySet[NetworkPlace]:
    """The groups and sites in the user's area, with the analysis's answer for each."""
    return visible_to(user, NetworkPlace.objects.all(), code_field="area_code")


def with_default_gap(filters: Mapping[str, Any] | None) -> QueryDict:
    """The filters as a query, the gap "any" when none was asked for: the page opens on the
    gaps, and asks ``gap=all`` for every place."""
    query = QueryDict(mutable=True)
    if filters is not None:
        if isinstance(filters, QueryDict):
            for key, values in filters.lists():
                query.setlist(key, values)
        else:
            for key, value in filters.items():
                query[key] = value
    if "gap" not in query:
        query["gap"] = GAP_ANY
    return query


def gap_filterset(
    *, user: User | AnonymousUser, filters: Mapping[str, Any] | None
) -> NetworkPlaceFilterSet:
    """The one door to the gap table: its FilterSet bound to ``filters`` (a request's GET, a
    job's stored filters) over the places ``user`` may see, the gap "any" by default."""
    return NetworkPlaceFilterSet(with_default_gap(filters), queryset=place_scope(user=user))


def _area_name(code_chars: int) -> Subquery:
    """The name of the area whose code is the first ``code_chars`` digits of the place's area
    code padded to 12 (a village: 12; a township: 9 and 000)."""
    code: Any = Substr(OuterRef("area_code"), 1, code_chars)
    if code_chars < 12:
        code = Func(code, Value("000"), function="CONCAT", output_field=CharField())
    return Subquery(AdminArea.objects.filter(code=code).values("name")[:1])


def gap_rows(places: QuerySet[NetworkPlace], order: str = "code") -> QuerySet[NetworkPlace]:
    """``places`` in the table's order (ORDERS), each with its village's and township's name
    (read for the rows of one page, by the area code's unique index)."""
    return (
        places.annotate(village_name=_area_name(12), township_name=_area_name(9))
        .defer("point", "point_3857")
        .order_by(*ORDERS.get(order, ORDERS["code"]))
    )


# --- the townships ------------------------------------------------------------------------------


def gap_townships(*, user: User | AnonymousUser) -> list[AdminArea]:
    """The townships whose places the user may see: every township of their area, or the
    township of their village."""
    prefix = scope_prefix(user)
    if prefix is None:
        return []
    qs = AdminArea.objects.active().filter(level=AreaLevel.TOWNSHIP)
    if len(prefix) > 9:
        qs = qs.filter(code=prefix[:9] + "000")
    elif prefix:
        qs = qs.filter(code__startswith=prefix)
    return list(qs.only("code", "name").order_by("code"))


def runs_by_township(codes: list[str]) -> dict[str, NetworkRun]:
    """When each township's gaps were last computed."""
    return {run.township_code: run for run in NetworkRun.objects.filter(township_code__in=codes)}


@dataclasses.dataclass
class NetworkLength:
    """Kilometres of one network, and of them hardened (roads)."""

    km: float = 0.0
    hardened_km: float = 0.0


@dataclasses.dataclass
class TownshipSummary:
    """One township (or, for a village user, their village): km per network and how many
    groups, sites and households lack a hardened road or piped water."""

    code: str
    name: str
    computed_at: datetime.datetime | None
    networks: dict[str, NetworkLength]
    groups: int = 0
    sites: int = 0
    households: int = 0
    road_groups: int = 0
    road_sites: int = 0
    road_households: int = 0
    water_groups: int = 0
    water_sites: int = 0
    water_households: int = 0

    @property
    def lengths(self) -> list[NetworkLength]:
        """The networks' lengths in the order of ``Network``."""
        return [self.networks[n] for n in Network.values]

    @property
    def road_km(self) -> NetworkLength:
        return self.networks[Network.ROAD]

    @property
    def hardened_share(self) -> float | None:
        road = self.road_km
        return round(100 * road.hardened_km / road.km, 1) if road.km else None


def network_links(*, user: User | AnonymousUser, prefix: str = "") -> QuerySet[Any]:
    """The standing links (lines, not water sources) of the user's area, within ``prefix``."""
    links = (
        selectors.asset_scope(user=user)
        .filter(network__isnull=False)
        .exclude(status__in=GONE_STATUSES)
        .exclude(network__network_type=NetworkType.WATER_SOURCE)
    )
    if prefix:
        links = links.filter(area_code__startswith=prefix)
    # The same area on the link's copy of the code: PostgreSQL then starts from the links
    # (thousands in a county) rather than from its assets (up to a million).
    scope = scope_prefix(user) or ""
    narrowest = (
        max(scope, prefix, key=len)
        if prefix.startswith(scope) or scope.startswith(prefix)
        else prefix
    )
    return links.filter(network__area_code__startswith=narrowest) if narrowest else links


# How long a summary is kept; any change to an asset or to the gaps changes its key anyway.
SUMMARY_SECONDS = 600


def township_summaries(
    *, user: User | AnonymousUser, townships: list[AdminArea]
) -> list[TownshipSummary]:
    """A summary per township of ``townships`` (those the user may see), in their order, in
    two grouped queries: the places and the links. A village user's one row is their village
    (their area is all they see of the township).

    Kept in the cache under the user's scope, the townships, the asset table's change counter
    and the gap analysis's runs (a link's attributes change only through the link service,
    which recomputes its townships): summing a province's 200,000 links takes 0.15 s, which
    a county's every look at the page would otherwise pay. The versions are read before
    counting, so a change committed meanwhile can only make the kept summary newer than its
    key, never older."""
    prefix = scope_prefix(user)
    if prefix is None or not townships:
        return []
    signature = json.dumps(
        [*versions(), prefix, [t.code for t in townships], translation.get_language()]
    )
    key = "network-summary:" + hashlib.sha1(signature.encode(), usedforsecurity=False).hexdigest()
    summaries: list[TownshipSummary] | None = cache.get(key)
    if summaries is None:
        summaries = _township_summaries(user=user, prefix=prefix, townships=townships)
        cache.set(key, summaries, SUMMARY_SECONDS)
    return summaries


def places_version() -> int:
    """A number that changes whenever any township's gaps are recomputed: the sum of the
    runs' times in milliseconds and their count (a recomputation replaces a township's time,
    so the sum moves even when two transactions commit out of order)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {RUNS_SUM}, {RUNS_COUNT}")
        row = cursor.fetchone()
    # In Python: a province's sum of milliseconds times 10,000 passes a bigint.
    return int(row[0]) * 10_000 + int(row[1]) if row else 0


RUNS_SUM = (
    "(SELECT COALESCE(sum(floor(extract(epoch FROM computed_at) * 1000)), 0)::bigint"
    " FROM atlas_gis_networkrun)"
)
RUNS_COUNT = "(SELECT count(*) FROM atlas_gis_networkrun)"


def versions() -> tuple[int, int, int]:
    """In one query: the asset table's change counter (selectors.assets_version), the last
    row-history event of the maintenance duties (a duty is never deleted; ending one writes an
    event too) and places_version. What the cached summaries and maintainer km are kept under."""
    events = MaintenanceDuty.events.rel.related_model._meta.db_table  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT version FROM atlas_asset_version WHERE id = 1),"
            f" (SELECT COALESCE(max(pgh_id), 0) FROM {events}), {RUNS_SUM}, {RUNS_COUNT}"
        )
        row = cursor.fetchone()
    if row is None:
        return (0, 0, 0)
    return (int(row[0] or 0), int(row[1]), int(row[2]) * 10_000 + int(row[3]))


def _township_summaries(
    *, user: User | AnonymousUser, prefix: str, townships: list[AdminArea]
) -> list[TownshipSummary]:
    codes = [t.code for t in townships]
    names = {t.code: t.name for t in townships}
    if len(prefix) > 9 and isinstance(user, User) and user.area is not None:
        names = {t.code: user.area.name for t in townships}
    runs = runs_by_township(codes)
    summaries = {
        code: TownshipSummary(
            code=code,
            name=names[code],
            computed_at=runs[code].computed_at if code in runs else None,
            networks={n: NetworkLength() for n in Network.values},
        )
        for code in codes
    }
    group, site = Q(kind=PlaceKind.GROUP), Q(kind=PlaceKind.SITE)
    places = (
        place_scope(user=user)
        .filter(township_code__in=codes)
        .values("township_code")
        .annotate(
            n_groups=Count("id", filter=group),
            n_sites=Count("id", filter=site),
            n_households=Sum("households"),
            n_road_groups=Count("id", filter=group & NO_HARDENED_ROAD),
            n_road_sites=Count("id", filter=site & NO_HARDENED_ROAD),
            n_road_households=Sum("households", filter=NO_HARDENED_ROAD),
            n_water_groups=Count("id", filter=group & NO_WATER),
            n_water_sites=Count("id", filter=site & NO_WATER),
            n_water_households=Sum("households", filter=NO_WATER),
        )
        .order_by()
    )
    for row in places:
        summary = summaries[row.pop("township_code")]
        for key, value in row.items():
            setattr(summary, key[2:], value or 0)
    one = codes[0][:9] if len(codes) == 1 else ""
    links = (
        network_links(user=user, prefix=one)
        .annotate(township=Substr("area_code", 1, 9))
        .values("township", "network__network")
        .annotate(
            m=Sum("network__length_m"),
            hardened_m=Sum("network__length_m", filter=Q(network__hardened=True)),
        )
        .order_by()
    )
    for row in links:
        found = summaries.get(row["township"] + "000")
        if found is None or row["network__network"] not in found.networks:
            continue
        length = found.networks[row["network__network"]]
        length.km = (row["m"] or 0) / 1000
        length.hardened_km = (row["hardened_m"] or 0) / 1000
    return [summaries[code] for code in codes]


@dataclasses.dataclass
class MaintainerLength:
    """Kilometres of each network a maintainer keeps (under the duty in force today)."""

    party_id: int | None
    name: str
    networks: dict[str, float]

    @property
    def km(self) -> float:
        return sum(self.networks.values())

    @property
    def lengths(self) -> list[float]:
        """Km of each network in the order of ``Network`` (0 for none)."""
        return [self.networks.get(n, 0.0) for n in Network.values]


def maintainer_lengths(
    *, user: User | AnonymousUser, prefix: str, today: datetime.date | None = None
) -> list[MaintainerLength]:
    """Km of each network per maintainer (the maintainer of each link's duty in force today,
    registry.models.maintenance) within ``prefix`` (a township's nine digits, or the user's
    village), most km first; the links without a maintainer last, under party_id None."""
    today = today or timezone.localdate()
    by_party = _maintainer_km(user=user, prefix=prefix, today=today)
    names = dict(
        Party.objects.filter(pk__in=[p for p in by_party if p is not None]).values_list(
            "pk", "name"
        )
    )
    result = [
        MaintainerLength(
            party_id=party,
            name=names.get(party, "") if party is not None else str(_("No maintainer assigned")),
            networks=networks,
        )
        for party, networks in by_party.items()
    ]
    return sorted(result, key=lambda m: (m.party_id is None, -m.km, m.name))


def _maintainer_km(
    *, user: User | AnonymousUser, prefix: str, today: datetime.date
) -> dict[int | None, dict[str, float]]:
    """Km per maintainer and network, kept in the cache like the township summaries (under the
    user's scope, the day, and the asset, duty and gap versions): on a county of a million
    assets the grouping reads every asset of the township (~90 ms a look)."""
    signature = json.dumps([*versions(), scope_prefix(user), prefix, today.isoformat()])
    key = (
        "network-maintainers:" + hashlib.sha1(signature.encode(), usedforsecurity=False).hexdigest()
    )
    kept: dict[int | None, dict[str, float]] | None = cache.get(key)
    if kept is not None:
        return kept
    duty = MaintenanceDuty.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        asset=OuterRef("pk"),
        starts_on__lte=today,
    ).order_by("-starts_on", "-id")
    rows = (
        network_links(user=user, prefix=prefix)
        .annotate(party=Subquery(duty.values("maintainer_id")[:1]))
        .values("party", "network__network")
        .annotate(m=Sum("network__length_m"))
        .order_by()
    )
    by_party: dict[int | None, dict[str, float]] = defaultdict(dict)
    for row in rows:
        by_party[row["party"]][row["network__network"]] = (row["m"] or 0) / 1000
    kept = dict(by_party)
    cache.set(key, kept, SUMMARY_SECONDS)
    return kept


def township_gap_counts(*, user: User | AnonymousUser) -> dict[str, dict[str, int]]:
    """For each township with places in the user's area: its village groups and households,
    the groups without a hardened road and the households without piped water (the map's
    choropleth measures), in one grouped query."""
    group = Q(kind=PlaceKind.GROUP)
    rows = (
        place_scope(user=user)
        .values("township_code")
        .annotate(
            n_groups=Count("id", filter=group),
            n_households=Sum("households"),
            n_no_road_groups=Count("id", filter=group & NO_HARDENED_ROAD),
            n_no_water_households=Sum("households", filter=NO_WATER),
        )
        .order_by()
    )
    # Annotations may not share a field's name ("households"): prefixed, then unprefixed.
    return {
        row.pop("township_code"): {key[2:]: value or 0 for key, value in row.items()}
        for row in rows
    }


# --- the gap table's ledger ---------------------------------------------------------------------


def _km(field: str) -> Any:
    """Metres as kilometres to the metre (numeric: PostgreSQL rounds only numerics), as the
    page shows them."""
    return Cast(F(field) / Value(1000.0), DecimalField(max_digits=12, decimal_places=3))


def _local_time(field: str) -> Any:
    """A timestamp as the county's clock shows it, to the minute (a timestamp without zone:
    Excel and GeoPackage store it as the wall-clock time it reads)."""
    local = Func(Value(settings.TIME_ZONE), F(field), function="timezone")
    return Func(Value("minute"), local, function="date_trunc", output_field=DateTimeField())


GAPS = Ledger(
    key="network_gaps",
    title=_("Network gaps"),
    model=NetworkPlace,
    scope_field="area_code",
    filterset_class=NetworkPlaceFilterSet,
    order_by=ORDERS["code"],
    columns=[
        LedgerColumn("kind", "类型", kind="choice", choices=PlaceKind.choices),
        LedgerColumn("name", "名称"),
        LedgerColumn("code", "编码"),
        LedgerColumn("township", "乡镇（街道）", _area_name(9)),
        LedgerColumn("village", "村（社区）", _area_name(12)),
        LedgerColumn("households", "户数", kind="int", total=True),
        LedgerColumn("persons", "人数", kind="int", total=True),
        LedgerColumn("road", "道路通达情况", kind="choice", choices=RoadReach.choices),
        LedgerColumn(
            "harden_km", "需硬化里程（公里）",
            _km("harden_m"), kind="number",
            shp="harden_km",
        ),
        LedgerColumn("road_gap_km", "距最近硬化路（公里）", _km("hardened_gap_m"),
                     kind="number", total=False, shp="road_gap"),
        LedgerColumn("water", "通自来水", kind="bool"),
        LedgerColumn("water_gap_km", "距供水管网（公里）", _km("water_gap_m"), kind="number",
                     total=False, shp="water_gap"),
        LedgerColumn("computed_at", "计算时间", _local_time("computed_at"), kind="datetime",
                     shp="computed"),
    ],
)  # fmt: skip

# The GeoPackage layer's name, whatever the language of the page.
GAPS_LAYER = "网络缺口"


def gaps_ledger(order: str = "code") -> Ledger:
    """The gap ledger in the order the table shows (ORDERS)."""
    return dataclasses.replace(GAPS, order_by=ORDERS.get(order, ORDERS["code"]))


def gaps_for_export(places: QuerySet[NetworkPlace]) -> QuerySet[NetworkPlace]:
    """The places with the geometry the vector exports write (their point, as ``geom``)."""
    return places.annotate(geom=F("point"))
