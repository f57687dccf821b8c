"""The asset search served by indexes (code range, trigrams, 1-2 character pieces) and the
asset list's cached count: same results, in the same order, as the plain queries they replace."""

import pytest
from django.db import connection
from django.db.models import Q, QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import selectors
from registry.demo_assets import generate_register
from registry.filtersets import COMMON_PIECE_SHARE, AssetFilterSet, piece_share
from registry.models import Asset, User
from registry.services.assets import asset_register, asset_update
from tests.factories import asset_input

pytestmark = pytest.mark.django_db

# name, address: mixed case, Latin and Chinese, words of 1, 2 and 3+ characters, LIKE
# wildcards, a term split between name and address.
NAMED = [
    ("向东村蔬菜大棚", "三组"),
    ("向东村Solar光伏Station", "No.5 Road"),
    ("鱼塘整治", "向东村二组 SOLAR 路口"),
    ("龙驹镇冷藏保鲜库", "100%_达标 a_b"),
    ("ab", "x"),
    ("向东村通组公路", "鲸背梁"),
]
TERMS = [
    # 1 character
    "鲸", "鱼", "村", "a", "A", "x", "%", "_", "号",
    # 2 characters
    "蔬菜", "鱼塘", "光伏", "so", "SO", "Ab", "aB", "路口", "库三", "%_", "b ", "村蔬",
    # 3+ characters
    "蔬菜大棚", "向东村", "solar", "SOLAR", "sOlAr光伏", "no.5", "road", "二组 s", "100%",
    "a_b", "冷藏保鲜库", "不存在的词", "光伏station",
]  # fmt: skip
PREFIXES = [
    "5", "500101", "5001012", "5001012022", "50010120221", "5001012022100", "5001019",
    "50010120229", "9", "0", "5001012022100001", "50010120221000011", "５００１",
]  # fmt: skip


@pytest.fixture
def register(db, county_manager):  # type: ignore[no-untyped-def]
    generate_register(assets=300, seed=11)
    for name, address in NAMED:
        asset_register(actor=county_manager, data=asset_input(name=name, address=address))


def codes(qs: QuerySet[Asset]) -> list[str]:
    return list(qs.order_by("code").values_list("code", flat=True))


def searched(user: User, term: str) -> list[str]:
    filterset = AssetFilterSet({"q": term}, queryset=selectors.asset_list(user=user))
    assert filterset.is_valid()
    return codes(filterset.qs)


def before(user: User, term: str) -> list[str]:
    """The query filter_q ran before the indexes: code__startswith, or icontains on both."""
    term = term.strip()
    q = (
        Q(code__startswith=term)
        if term.isdigit()
        else Q(name__icontains=term) | Q(address__icontains=term)
    )
    return codes(selectors.asset_list(user=user).filter(q))


@pytest.mark.parametrize("term", TERMS)
def test_text_search_finds_what_icontains_found(register, planner, township_manager, term):
    for user in (planner, township_manager):
        assert searched(user, term) == before(user, term)


def test_text_search_is_not_vacuous(register, planner):
    """The comparisons above compare something: each kind of term finds rows (or none)."""
    assert len(searched(planner, "鲸")) == 1
    assert len(searched(planner, "鱼塘")) == 1
    assert len(searched(planner, "so")) == 2  # name "Solar", address "SOLAR"
    assert len(searched(planner, "sOlAr光伏")) == 1
    assert len(searched(planner, "%_")) == 1 and len(searched(planner, "a_b")) == 1
    assert len(searched(planner, "%")) == 1  # the wildcard is a character, not a wildcard
    assert len(searched(planner, "蔬菜")) >= 1 and len(searched(planner, "村")) > 10
    assert searched(planner, "不存在的词") == []
    assert searched(planner, "库三") == []  # name + address are not one text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_code_prefix_finds_what_startswith_found(register, planner, village_clerk, prefix):
    for user in (planner, village_clerk):
        assert searched(user, prefix) == before(user, prefix)


def test_code_prefixes_are_not_vacuous(register, planner):
    every = codes(selectors.asset_list(user=planner))
    assert searched(planner, "500101") == every
    year = every[0][:10]
    assert 0 < len(searched(planner, year)) < len(every)
    assert searched(planner, every[3]) == [every[3]]
    assert searched(planner, every[3] + "0") == []


def test_map_search_returns_the_first_ten_by_code(client, register, planner):
    client.force_login(planner)
    for term in ["村", "向东村", "so", "鲸", "5001012022"]:
        expected = before(planner, term)[:10]
        found = client.get(reverse("gis:asset_search"), {"q": term}).json()["results"]
        assert [r["code"] for r in found] == expected, term


def test_list_shows_the_same_rows_and_count(client, register, planner):
    client.force_login(planner)
    url = reverse("registry:asset_list")
    for term in ["村", "光伏", "Solar", "鱼", "500101"]:
        page = client.get(url, {"q": term}).context["page_obj"]
        expected = before(planner, term)
        assert page.paginator.count == len(expected)
        assert [a.code for a in page.object_list] == expected[:50]


def test_list_count_is_cached_until_an_asset_changes(client, register, planner, county_manager):
    client.force_login(planner)
    url = reverse("registry:asset_list")
    params = {"asset_class": "public", "q": "村"}

    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        sqls = [q["sql"] for q in ctx.captured_queries]
        return response.context["page_obj"].paginator.count, sum("COUNT(*)" in s for s in sqls)

    def expected() -> int:
        return selectors.asset_list(user=planner).filter(q_text("村"), asset_class="public").count()

    first, counted = count_queries()
    assert (first, counted) == (expected(), 1)
    again, counted = count_queries()
    assert (again, counted) == (first, 0)
    # Other pages of the same list and other users of the same scope share the count.
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, {**params, "page": 2})
    assert not any("COUNT(*)" in q["sql"] for q in ctx.captured_queries)

    asset_register(actor=county_manager, data=asset_input(name="向东村新修便民桥"))
    after_insert, counted = count_queries()
    assert (after_insert, counted) == (first + 1, 1) == (expected(), 1)

    asset = Asset.objects.get(name="向东村新修便民桥")
    asset_update(
        actor=county_manager,
        asset=asset,
        expected_version=asset.version,
        data=asset_input(name="新修便民桥"),
    )
    after_rename, counted = count_queries()
    assert (after_rename, counted) == (first, 1) == (expected(), 1)


def test_counts_of_other_scopes_and_day_dependent_filters_are_not_shared(
    client, register, planner, village_clerk
):
    url = reverse("registry:asset_list")
    client.force_login(planner)
    county = client.get(url, {"q": "村"}).context["page_obj"].paginator.count
    client.force_login(village_clerk)
    village = client.get(url, {"q": "村"}).context["page_obj"].paginator.count
    assert village == len(before(village_clerk, "村")) < county
    # "Inspection overdue" changes with the day and with other tables: counted every time.
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(2):
            client.get(url, {"overdue": "true"})
    assert sum("COUNT(*)" in q["sql"] for q in ctx.captured_queries) == 2


def test_a_common_piece_is_looked_for_with_the_like_alone(register, planner):
    """A piece in most assets (村) skips the pieces' index, a rare one (鲸) uses it: the same
    rows either way."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_asset")  # rolled back with the test

    def sql(term: str) -> str:
        return str(AssetFilterSet({"q": term}, queryset=Asset.objects.all()).qs.query)

    assert (piece_share("村") or 0) > COMMON_PIECE_SHARE > (piece_share("鲸") or 0)
    assert "atlas_search_grams" not in sql("村") and "atlas_search_grams" in sql("鲸")
    for term in ("村", "鲸", "号", "区"):
        assert searched(planner, term) == before(planner, term)


def q_text(term: str) -> Q:
    return Q(name__icontains=term) | Q(address__icontains=term)


def test_search_grams_function_and_locale():
    with connection.cursor() as cursor:
        cursor.execute("SELECT atlas_search_grams('AB', 'c'), atlas_search_grams('', NULL)")
        grams, empty = cursor.fetchone()
        # pg_trgm must see Chinese characters as word characters (a C.UTF-8 or zh_CN.UTF-8
        # ctype; under plain C it would index none of them): '  向', ' 向东', '向东村', '东村 '.
        cursor.execute("SELECT cardinality(show_trgm('向东村'))")
        (trigrams,) = cursor.fetchone()
    assert grams == ["A", "AB", "B", "c"] and empty == []  # case is left to UPPER()
    assert trigrams == 4


@pytest.mark.parametrize(
    ("term", "index"),
    [("蔬菜大棚", "asset_name_address_trgm"), ("蔬菜", "asset_search_grams"),
     ("鱼", "asset_search_grams"), ("Solar", "asset_name_address_trgm")],
)  # fmt: skip
def test_the_search_query_can_use_its_index(register, term, index):
    """The filter's expressions are those of the indexes (with walks along the code index and
    sequential scans priced out, the planner picks the index only if it matches the query)."""
    filterset = AssetFilterSet({"q": term}, queryset=Asset.objects.all())
    sql, params = filterset.qs.order_by("code").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
