"""The gaps view (网络缺口) on a hand-made township like 龙驹镇 (tests.factories.hand_network):
the table lists what the analysis computed (gis.models.NetworkPlace) for the chosen township,
kind and gap, in Chinese; the summary gives the km of each network, of them hardened, per
maintainer, and the places and households without a hardened road or piped water; it says when
the gaps were computed; everyone sees only their area; the exports hold the same rows."""

import csv
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pyogrio
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gis.filtersets import GAP_Q
from gis.models import NetworkPlace, NetworkRun
from registry.choices import RoadReach
from registry.models import MaintenanceDuty, User
from tests.factories import collective, hand_network, run_worker

pytestmark = pytest.mark.django_db
URL = "/network/gaps/"


@pytest.fixture
def net(county_manager: User) -> dict[str, Any]:
    return hand_network(county_manager)


def page(client: Client, **params: str) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def listed(html: str) -> list[str]:
    """The codes of the places in the gap table, in its order."""
    table = html[html.index('id="gap-table"') :]
    return re.findall(r'<tr class="gap-row"[^>]*data-code="([^"]+)"', table)


def row(html: str, code: str) -> str:
    """The text of the table row of ``code``, tags removed."""
    found = re.search(rf'<tr class="gap-row"[^>]*data-code="{code}".*?</tr>', html, re.S)
    assert found, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def codes(net: dict[str, Any], *keys: str) -> set[str]:
    return {net["groups"][k].code if k != "site" else net["site"].code for k in keys}


def expected(town: str, gap: str) -> set[str]:
    qs = NetworkPlace.objects.filter(township_code=town)
    if gap in GAP_Q:
        qs = qs.filter(GAP_Q[gap])
    return set(qs.values_list("code", flat=True))


def test_the_table_lists_the_townships_gaps_as_computed(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    town = net["town"].code
    html = page(client, township=town)
    # The page opens on the places with any gap.
    assert set(listed(html)) == expected(town, "any")
    assert set(listed(html)) == codes(net, "xd_gravel", "xd_none", "site", "sib")
    for gap, keys in {
        "road": ("xd_gravel", "xd_none", "site"),
        "water": ("xd_gravel", "xd_none", "site", "sib"),
        "both": ("xd_gravel", "xd_none", "site"),
        "all": ("xd_paved", "xd_gravel", "xd_none", "site", "sib"),
    }.items():
        shown = set(listed(page(client, township=town, gap=gap)))
        assert shown == codes(net, *keys) == expected(town, gap), gap
    assert listed(page(client, township=town, gap="all", kind="site")) == [net["site"].code]
    assert listed(page(client, township=town, q="902")) == [net["groups"]["xd_gravel"].code]

    with translation.override("zh-hans"):
        unhardened, none = str(RoadReach.UNHARDENED.label), str(RoadReach.NONE.label)
    assert unhardened != "Only over unhardened road"  # the label is in Chinese
    gravel = row(html, net["groups"]["xd_gravel"].code)
    # 试验村 · 40 households · gravel all the way: 0.80 km to harden, 0.80 km to hardened road.
    assert "试验村" in gravel and " 40 " in gravel and unhardened in gravel
    assert gravel.count("0.80") == 2 and "未通自来水" in gravel
    far = row(html, net["groups"]["xd_none"].code)
    assert none in far and "1.51" in far  # 1.5 km from the township road
    assert "村民小组" in far and "none" not in far


def test_the_page_says_when_the_gaps_were_computed(
    client: Client, planner: User, net: dict[str, Any]
) -> None:
    client.force_login(planner)
    run = NetworkRun.objects.get(township_code=net["town"].code)
    stamp = timezone.localtime(run.computed_at).strftime("%Y-%m-%d %H:%M")
    html = page(client, township=net["town"].code)
    assert re.search(rf'data-testid="gap-computed-at">\s*计算于 {stamp}', html)
    # Every township's time in the county's summary.
    county = page(client)
    summary = county[county.index('id="gap-summary"') :]
    assert re.search(
        rf'data-township="{net["town"].code}".*?summary-computed-at">{stamp}<', summary, re.S
    )


def test_the_summary_gives_km_per_network_hardened_maintainers_and_the_gaps(
    client: Client, planner: User, county_manager: User, net: dict[str, Any]
) -> None:
    keeper = collective(net["xd"], "试验村股份经济合作联合社")
    MaintenanceDuty.objects.create(
        asset=net["links"]["trunk"], maintainer=keeper, responsible_person="张三",
        responsible_phone="13800000000", duties="巡查", funding_source="村集体",
        inspection_interval_days=30, starts_on=timezone.localdate(), assigned_by=county_manager,
    )  # fmt: skip
    client.force_login(planner)
    response = client.get(URL, {"township": net["town"].code})
    (summary,) = response.context["summaries"]
    # Roads: 1.0 (township road) + 0.8 + 0.8 (group roads) + 1.0 (village road), of which the
    # gravel group road is not hardened; the main 0.79 + 1.2 km; the power line 0.8 km.
    assert summary.networks["road"].km == pytest.approx(3.6, abs=0.01)
    assert summary.networks["road"].hardened_km == pytest.approx(2.8, abs=0.01)
    assert summary.networks["water"].km == pytest.approx(1.99, abs=0.01)
    assert summary.networks["power"].km == pytest.approx(0.8, abs=0.01)
    assert (summary.groups, summary.sites, summary.households) == (4, 1, 150)
    assert (summary.road_groups, summary.road_sites, summary.road_households) == (2, 1, 85)
    assert (summary.water_groups, summary.water_sites, summary.water_households) == (3, 1, 120)
    maintainers = {m.name: m for m in response.context["maintainers"]}
    assert maintainers["试验村股份经济合作联合社"].networks == {
        "road": pytest.approx(1.0, abs=0.01)
    }
    unassigned = response.context["maintainers"][-1]
    assert unassigned.party_id is None and unassigned.name == "未落实管护主体"
    assert unassigned.km == pytest.approx(3.6 - 1.0 + 1.99 + 0.8, abs=0.02)
    html = response.content.decode()
    assert 'id="gap-maintainers"' in html and "试验村股份经济合作联合社" in html
    assert "2.8 · 77.8%" in html  # hardened road km and share

    # A new duty names another maintainer: the next look says so (the km are kept in the
    # cache, under the duties' version among others).
    from registry.services.maintenance import maintenance_assign

    other = collective(net["xd"], "试验村道路养护队")
    maintenance_assign(
        actor=county_manager, asset=net["links"]["trunk"], maintainer=other,
        responsible_person="李四", responsible_phone="13900000000", duties="巡查",
        funding_source="村集体", inspection_interval_days=30, starts_on=timezone.localdate(),
    )  # fmt: skip
    again = client.get(URL, {"township": net["town"].code})
    names = [m.name for m in again.context["maintainers"]]
    assert "试验村道路养护队" in names and "试验村股份经济合作联合社" not in names


def test_a_village_user_sees_only_their_village(client: Client, net: dict[str, Any]) -> None:
    client.force_login(net["clerk"])
    html = page(client, gap="all")
    assert set(listed(html)) == codes(net, "xd_paved", "xd_gravel", "xd_none", "site")
    assert net["groups"]["sib"].code not in html and "邻村" not in html
    # Their one township to choose, and the summary of their village alone.
    assert re.findall(r'<option value="(\d{12})"', html) == [net["town"].code]
    response = client.get(URL, {"gap": "all"})
    (summary,) = response.context["summaries"]
    assert summary.name == "试验村村民委员会"
    assert summary.networks["road"].km == pytest.approx(2.6, abs=0.01)  # not the village road
    assert summary.groups == 3
    # Another township's places are not theirs, whatever the address says.
    other = page(client, township=net["other_town"].code, gap="all")
    assert listed(other) == [] and net["groups"]["oth"].code not in other
    place = NetworkPlace.objects.get(kind="group", place_id=net["groups"]["sib"].pk)
    assert client.get(reverse("gis:network_place_popup", args=[place.pk])).status_code == 404

    client.force_login(net["township_user"])
    html = page(client, gap="all")
    assert set(listed(html)) == codes(net, "xd_paved", "xd_gravel", "xd_none", "site", "sib")


def test_the_demo_village_clerk_sees_only_xiangdong(client: Client, village_clerk: User) -> None:
    client.force_login(village_clerk)
    html = page(client, gap="all")
    shown = listed(html)
    assert shown and all(code.startswith("500101151200") or "AZ" in code for code in shown)
    assert set(shown) == set(
        NetworkPlace.objects.filter(area_code__startswith="500101151200").values_list(
            "code", flat=True
        )
    )


def test_a_township_outside_the_area_is_not_answered_for(
    client: Client, township_manager: User
) -> None:
    """Asked about another township, the township approver gets none of its rows, nor when it
    was computed, and is told it lies outside their area."""
    client.force_login(township_manager)
    other = NetworkRun.objects.exclude(township_code="500101151000").first()
    assert other is not None
    response = client.get(URL, {"township": other.township_code, "gap": "all"})
    assert response.status_code == 200
    assert listed(response.content.decode()) == [] and response.context["run"] is None
    assert "该乡镇不在您的辖区内" in response.content.decode()


EXPORT_HEADERS = [
    "类型", "名称", "编码", "乡镇（街道）", "村（社区）", "户数", "人数", "道路通达情况",
    "需硬化里程（公里）", "距最近硬化路（公里）", "通自来水", "距供水管网（公里）", "计算时间",
]  # fmt: skip


def export(client: Client, fmt: str, **params: str) -> bytes:
    response = client.get(reverse("transfer:gap_export", args=[fmt]), params)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_exports_hold_the_listed_rows_with_chinese_headers(
    client: Client, planner: User, net: dict[str, Any], tmp_path: Path
) -> None:
    client.force_login(planner)
    town = net["town"].code
    shown = listed(page(client, township=town, order="households"))

    book = openpyxl.load_workbook(
        io.BytesIO(export(client, "xlsx", township=town, order="households")), data_only=True
    )
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADERS
    body = [r for r in rows[1:] if r[2]]
    assert [r[2] for r in body] == shown  # the same places, in the same order
    totals = rows[len(body) + 1]  # households and km to harden are summed; distances are not
    assert totals[0] == "合计" and totals[5] == sum(r[5] for r in body)
    assert totals[8] == pytest.approx(sum(r[8] or 0 for r in body)) and totals[9] is None
    with translation.override("zh-hans"):
        unhardened, none = str(RoadReach.UNHARDENED.label), str(RoadReach.NONE.label)
    gravel = next(r for r in body if r[2] == net["groups"]["xd_gravel"].code)
    assert gravel[0] == "村民小组" and gravel[3] == "试验镇" and gravel[4] == "试验村村民委员会"
    assert gravel[5] == 40 and gravel[7] == unhardened
    assert gravel[8] == pytest.approx(0.8, abs=0.001) and gravel[9] == pytest.approx(0.8)
    assert gravel[10] == "否"  # km as the page shows them; the time an Excel date and time
    now = timezone.localtime().replace(tzinfo=None)
    assert abs((now - gravel[12]).total_seconds()) < 600
    statement = dict(r[:2] for r in book.worksheets[1].iter_rows(values_only=True))
    assert statement["记录数（行）"] == str(len(shown)) and town in statement["筛选条件"]
    assert "试验镇" in statement["筛选条件"]  # the township by its name, not only its code

    text = export(client, "csv", township=town, gap="water").decode("utf-8")
    assert text.startswith("\ufeff")
    records = list(csv.reader(io.StringIO(text[1:])))
    assert records[0] == EXPORT_HEADERS
    assert {r[2] for r in records[1:]} == expected(town, "water")

    path = tmp_path / "gaps.gpkg"
    path.write_bytes(export(client, "gpkg", township=town, gap="all"))
    assert pyogrio.list_layers(path)[0][0] == "网络缺口"
    frame = pyogrio.read_dataframe(path)
    assert set(frame["code"]) == expected(town, "all")
    assert frame.crs.to_epsg() == 4490
    site = frame[frame["code"] == net["site"].code].iloc[0]
    assert site.geometry.geom_type == "Point" and site["households"] == 20
    assert site["road"] == none


def test_a_long_gap_table_is_written_by_the_worker_in_the_users_scope(
    client: Client, net: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from transfer.models import ExportJob

    settings.EXPORT_INLINE_MAX_ROWS = 1
    client.force_login(net["clerk"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("transfer:gap_export", args=["csv"]), {"gap": "all"})
    job = ExportJob.objects.order_by("-pk").first()
    assert job is not None and response.status_code == 302
    assert (job.ledger, job.rows_total) == ("network_gaps", 4)
    detail = client.get(response["Location"]).content.decode()
    assert "网络缺口导出" in detail and "共 4 个村民小组和安置点" in detail
    run_worker()
    job.refresh_from_db()
    assert job.state == "done", job.message
    content = b"".join(client.get(reverse("transfer:export_download", args=[job.pk])))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADERS
    assert {r[2] for r in rows[1:]} == codes(net, "xd_paved", "xd_gravel", "xd_none", "site")


def test_exports_are_limited_to_the_users_area(client: Client, net: dict[str, Any]) -> None:
    client.force_login(net["clerk"])
    text = export(client, "csv", gap="all", township=net["town"].code).decode("utf-8")
    assert net["groups"]["xd_paved"].code in text
    assert net["groups"]["sib"].code not in text and "邻村" not in text
    other = export(client, "csv", gap="all", township=net["other_town"].code).decode("utf-8")
    assert net["groups"]["oth"].code not in other and len(other.splitlines()) == 1
    assert client.get(reverse("transfer:gap_export", args=["shp"])).status_code == 404
    bad = client.get(reverse("transfer:gap_export", args=["csv"]), {"kind": "farm"})
    assert bad.status_code == 400
    (message,) = bad.json()["errors"]["kind"]  # a typed URL: told in both languages
    assert "选择一个有效的选项" in message and "Select a valid choice" in message


def test_bad_filters_never_break_the_page(client: Client, planner: User) -> None:
    client.force_login(planner)
    for params in (
        {"township": "x" * 300},
        {"township": "%00"},
        {"gap": "nonsense"},
        {"kind": "farm"},
        {"order": "drop table"},
        {"page": "999999"},
        {"page": "-1"},
        {"q": "\x00"},
    ):
        response = client.get(URL, params)
        assert response.status_code in (200, 400), params
    assert listed(page(client, township="500101999000")) == []


def test_the_page_costs_a_fixed_number_of_queries(
    client: Client, planner: User, net: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(planner)
    page(client)  # sessions, caches
    with django_assert_max_num_queries(16):
        page(client)
    with django_assert_max_num_queries(16):
        page(client, township=net["town"].code, gap="all")


def test_the_top_bar_leads_to_the_gaps_view(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    html = page(client)
    assert re.search(
        r'href="/network/gaps/" data-testid="nav-gaps" aria-current="page">网络缺口<', html
    )
    assert 'id="gap-map"' in html and 'id="gap-filters"' in html


def test_the_versions_hold_a_province_of_runs(db: Any) -> None:
    """A province's 1,000 townships computed: the sum of their times in milliseconds, times
    10,000, passes a bigint (the load bench met it): the versions are added up in Python."""
    from gis import gaps

    now = timezone.now()
    before = gaps.places_version()
    NetworkRun.objects.bulk_create(
        NetworkRun(township_code=f"99{i:07d}000", county_code="990000", computed_at=now,
                   links=1, places=1, duration_ms=1)
        for i in range(1_000)
    )  # fmt: skip
    after = gaps.places_version()
    assert after > 2**63 and after != before
    assert gaps.versions()[2] == after
