"""The relocation sites' pages as their users see them: the list (filters, totals, scope), a
site's page (facilities by role with links, support figures, projects, problems, history) in a
fixed number of queries, the forms (who may open them, what they write, how refusals read),
the exports (Excel, CSV, GeoPackage: exactly what the list shows) and the demo sites."""

import csv
import datetime
import html.parser
import io
import re
import time
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import openpyxl
import pyogrio
import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse

from registry.choices import FacilityRole, ProblemStatus
from registry.demo_sites import LONGJU, XIANGDONG, fill_demo_sites
from registry.models import (
    AdminArea,
    Asset,
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteSupport,
    User,
)
from registry.services import sites as S
from tests.factories import village

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
YUHE = "500101151201"  # 玉合村, the next village of 龙驹镇
JUNK = ["\x00", "9" * 400, "-1", "abc", "<script>x</script>", " ", "２０２５"]


@pytest.fixture
def demo(db) -> list[RelocationSite]:  # type: ignore[no-untyped-def]
    """The demo county's sites, as `make run` loads them (without the network gaps' refresh,
    which these pages do not show)."""
    assert fill_demo_sites(seed=500101, notify=False) > 0
    return list(RelocationSite.objects.select_related("area").order_by("code"))


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def xiangdong_site(sites: list[RelocationSite]) -> RelocationSite:
    return next(s for s in sites if s.area_code == XIANGDONG)


def elsewhere_site(sites: list[RelocationSite]) -> RelocationSite:
    return next(s for s in sites if not s.area_code.startswith(LONGJU[:9]))


def codes_in(html: str) -> set[str]:
    return set(re.findall(r"500101AZ\d{4}", html))


# --- the demo sites ---------------------------------------------------------------------------


def test_the_demo_sites_lie_in_their_villages_with_facilities_figures_and_problems(demo):
    assert 30 <= len(demo) <= 40
    longju = [s for s in demo if s.area_code.startswith(LONGJU[:9])]
    assert len(longju) >= 3 and any(s.area_code == XIANGDONG for s in demo)
    assert len({s.area.parent_id for s in demo}) >= 30  # spread over the county's townships
    for site in demo:
        assert site.synthetic and re.fullmatch(r"500101AZ\d{4}", site.code)
        assert site.area.boundary.covers(site.point), site.code
        if site.outline is not None:
            assert site.outline.covers(site.point) and site.outline.area < 0.00002
    concentrated = [s for s in demo if s.outline is not None]
    assert len(concentrated) >= len(demo) // 2
    roles = set(SiteFacility.objects.values_list("role", flat=True))
    assert roles == set(FacilityRole.values)
    subtypes = set(
        Asset.objects.filter(site_roles__isnull=False, synthetic=True).values_list(
            "subtype", flat=True
        )
    )
    assert {"relocation_housing", "public_service", "workshop", "water_supply", "road"} <= subtypes
    for site in concentrated[:5]:
        assert set(site.support.values_list("year", flat=True)) == set(range(2021, 2026))
    assert all(
        row.employed <= row.labour_force and row.monitored_households <= row.site.households
        for row in SiteSupport.objects.select_related("site")
    )
    statuses = set(SiteProblem.objects.values_list("status", flat=True))
    assert statuses == {ProblemStatus.OPEN, ProblemStatus.RESOLVED}
    assert SiteProblem.objects.filter(site__area_code=XIANGDONG).exists()


def test_the_demo_sites_are_the_same_for_the_same_seed(db):
    from django.db import transaction

    from registry.demo_sites import generate_sites

    def run() -> list[tuple[Any, ...]]:
        with transaction.atomic():
            point = transaction.savepoint()
            generate_sites(seed=7, notify=False)
            rows = list(
                RelocationSite.objects.order_by("code").values_list(
                    "code", "name", "persons", "point", "reclamation"
                )
            )
            transaction.savepoint_rollback(point)
        return [(*r[:3], r[3].wkt, r[4]) for r in rows]

    assert run() == run()


# --- the list ---------------------------------------------------------------------------------


def test_the_planner_lists_every_site_with_totals_and_no_write_buttons(client, planner, demo):
    page = login(client, planner).get(reverse("registry:site_list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert codes_in(html) == {s.code for s in demo}
    households = sum(s.households for s in demo)
    persons = sum(s.persons for s in demo)
    totals = re.search(r'data-testid="site-totals">(.*?)</p>', html, re.S)
    assert totals is not None
    text = re.sub(r"\s+", " ", totals.group(1)).replace(",", "")
    assert f"{len(demo)} 个安置点" in text
    assert f"搬迁 {households} 户 {persons} 人" in text
    assert 'data-testid="site-create"' not in html and 'data-testid="site-import"' not in html
    shown = re.sub(r'(class|value|data-testid)="[^"]*"', "", html)
    assert "concentrated" not in shown and "central_village" not in shown  # labels, not codes


def test_the_village_clerk_sees_only_the_sites_of_their_village(client, village_clerk, demo):
    mine = [s for s in demo if s.area_code == XIANGDONG]
    login(client, village_clerk)
    html = client.get(reverse("registry:site_list")).content.decode()
    assert codes_in(html) == {s.code for s in mine}
    other = elsewhere_site(demo)
    assert client.get(reverse("registry:site_detail", args=[other.code])).status_code == 404
    assert client.get(reverse("registry:site_edit", args=[other.code])).status_code == 404
    assert client.get(reverse("registry:site_detail", args=[mine[0].code])).status_code == 200


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ({"area": LONGJU}, lambda s: s.area_code.startswith(LONGJU[:9])),
        ({"site_type": "central_village"}, lambda s: s.site_type == "central_village"),
        ({"mode": "dispersed"}, lambda s: s.mode == "dispersed"),
        ({"scale": "lt100"}, lambda s: s.scale == "lt100"),
        ({"reclamation": "done"}, lambda s: s.reclamation == "done"),
        ({"q": "向东"}, lambda s: "向东" in s.name),
        ({"q": "500101AZ000"}, lambda s: s.code.startswith("500101AZ000")),
        ({"q": "az0012"}, lambda s: s.code.endswith("AZ0012")),  # the serial, as said aloud
    ],
)
def test_each_filter_lists_exactly_its_sites(client, planner, demo, query, expect):
    html = login(client, planner).get(reverse("registry:site_list"), query).content.decode()
    wanted = {s.code for s in demo if expect(s)}
    assert wanted, query
    assert codes_in(html) == wanted


def test_the_open_problems_filter_and_column(client, planner, demo):
    login(client, planner)
    with_open = {s.code for s in demo if s.problems.filter(status=ProblemStatus.OPEN).exists()}
    html = client.get(reverse("registry:site_list"), {"open_problems": "true"}).content.decode()
    assert codes_in(html) == with_open
    html = client.get(reverse("registry:site_list"), {"open_problems": "false"}).content.decode()
    assert codes_in(html) == {s.code for s in demo} - with_open


@pytest.mark.parametrize("junk", JUNK)
def test_junk_filters_never_fail(client, planner, demo, junk):
    login(client, planner)
    for name in ("q", "area", "site_type", "mode", "scale", "reclamation", "open_problems", "page"):
        response = client.get(reverse("registry:site_list"), {name: junk})
        assert response.status_code in (200, 400), (name, junk)
    path = "/sites/" + quote(junk, safe="") + "/"
    assert client.get(path).status_code in (404, 400)


def test_the_list_takes_a_fixed_number_of_queries(
    client, planner, demo, django_assert_max_num_queries
):
    login(client, planner)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("registry:site_list")).status_code == 200


# --- one site -----------------------------------------------------------------------------


def test_the_site_page_shows_what_a_planner_checks(client, planner, demo, county_manager):
    from registry.services import projects as P

    site = xiangdong_site(demo)
    project = P.project_propose(
        actor=county_manager,
        data=P.ProjectInput(
            values={"name": "向东村安置点后续扶持产业项目", "year": TODAY.year,
                    "category": "relocation", "in_bridging_library": True},
            area=site.area,
        ),
    )  # fmt: skip
    S.site_project_link(actor=county_manager, site=site, project=project)
    html = login(client, planner).get(reverse("registry:site_detail", args=[site.code]))
    text = html.content.decode()
    assert html.status_code == 200
    assert site.name in text and site.code in text
    for link in SiteFacility.objects.filter(site=site).select_related("asset"):
        assert reverse("registry:asset_detail", args=[link.asset.code]) in text
    assert 'data-testid="facilities-housing"' in text
    assert (
        'data-testid="facilities-facility"' in text and 'data-testid="facilities-industry"' in text
    )
    latest = site.support.order_by("-year").first()
    assert latest is not None
    assert f"{100 * latest.employed / latest.labour_force:.1f}%" in text
    assert reverse("registry:project_detail", args=[project.code]) in text
    for problem in site.problems.all():
        assert problem.description in text
    assert f'data-testid="site-households">{site.households}' in text
    assert 'data-testid="site-timeline"' in text and "系统（演示数据）" in text
    assert 'data-testid="site-edit"' not in text and 'data-testid="facility-link"' not in text
    assert 'data-testid="record-map"' in text and "record-geometry" in text


def test_the_site_page_takes_a_fixed_number_of_queries_and_under_a_second(
    client, county_manager, demo, django_assert_max_num_queries
):
    site = max(demo, key=lambda s: s.facilities.count())
    login(client, county_manager)
    client.get(reverse("registry:site_detail", args=[site.code]))  # warm the templates
    start = time.perf_counter()
    with django_assert_max_num_queries(22):
        response = client.get(reverse("registry:site_detail", args=[site.code]))
    assert response.status_code == 200
    assert time.perf_counter() - start < 1.0


def test_a_facility_outside_the_readers_area_is_counted_not_named(
    client, village_clerk, county_manager, demo
):
    site = xiangdong_site(demo)
    far = Asset.objects.filter(
        site_roles__site=elsewhere_site(demo), site_roles__role="facility"
    ).first()
    assert far is not None
    S.facility_link(actor=county_manager, site=site, asset=far, role="facility")
    html = login(client, village_clerk).get(reverse("registry:site_detail", args=[site.code]))
    text = html.content.decode()
    assert far.code not in text and far.name not in text
    assert 'data-testid="hidden-facilities"' in text


# --- forms --------------------------------------------------------------------------------


def test_readers_may_open_no_form_and_post_nothing(client, planner, auditor, demo):
    site = xiangdong_site(demo)
    problem = site.problems.first()
    urls = [
        reverse("registry:site_create"),
        reverse("registry:site_edit", args=[site.code]),
        reverse("registry:site_facility_link", args=[site.code]),
        reverse("registry:site_project_link", args=[site.code]),
        reverse("registry:site_support", args=[site.code]),
        reverse("registry:site_problem_add", args=[site.code]),
    ]
    if problem is not None:
        urls.append(reverse("registry:site_problem_resolve", args=[site.code, problem.pk]))
    link = SiteFacility.objects.filter(site=site).first()
    assert link is not None
    for user in (planner, auditor):
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"name": "x"}).status_code == 403, url
        end = reverse("registry:site_facility_end", args=[site.code, link.pk])
        assert client.post(end).status_code == 403
    link.refresh_from_db()
    assert link.active


def site_post(area: AdminArea, **overrides: Any) -> dict[str, Any]:
    assert area.point is not None
    point = Point(area.point.x + 0.001, area.point.y, srid=4490)
    data: dict[str, Any] = {
        "name": "玉合村集中安置点", "site_type": "central_village", "area": area.pk,
        "point": point.geojson, "outline": "", "registered_households": "30",
        "registered_persons": "110", "alongside_households": "2", "alongside_persons": "7",
        "housing_units": "32", "floor_area_m2": "2600", "built_from": "2018", "built_to": "2019",
        "moved_in_on": "2019-11-01", "reclamation": "done", "note": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_a_township_manager_registers_and_corrects_a_site_through_the_form(
    client, township_manager
):
    login(client, township_manager)
    assert client.get(reverse("registry:site_create")).status_code == 200
    response = client.post(reverse("registry:site_create"), site_post(village(YUHE)))
    assert response.status_code == 302, response.content.decode()[:2000]
    site = RelocationSite.objects.get(name="玉合村集中安置点")
    assert response["Location"] == reverse("registry:site_detail", args=[site.code])
    edit = reverse("registry:site_edit", args=[site.code])
    assert client.get(edit).status_code == 200
    changed = site_post(village(YUHE), name="玉合村安置小区", version=str(site.version))
    assert client.post(edit, changed).status_code == 302
    site.refresh_from_db()
    assert site.name == "玉合村安置小区" and site.version == 2
    stale = client.post(edit, site_post(village(YUHE), name="又改", version="1"))
    assert stale.status_code == 400 and "Someone else changed" in stale.content.decode()


def test_a_refused_site_comes_back_with_the_reason_on_the_field(client, village_clerk):
    login(client, village_clerk)
    data = site_post(village(XIANGDONG), registered_persons="3", registered_households="9")
    response = client.post(reverse("registry:site_create"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "每户搬迁人口至少为 1 人" in text and "at least one person" in text
    far = site_post(village(XIANGDONG), point='{"type":"Point","coordinates":[100.5,31.2]}')
    text = client.post(reverse("registry:site_create"), far).content.decode()
    assert "100.500000" in text
    assert not RelocationSite.objects.exists()


def test_the_clerk_links_an_asset_found_by_code_enters_figures_and_resolves_a_problem(
    client, village_clerk, demo
):
    site = xiangdong_site(demo)
    login(client, village_clerk)
    url = reverse("registry:site_facility_link", args=[site.code])
    candidate = Asset.objects.filter(area_code=XIANGDONG).exclude(site_roles__site=site).first()
    if candidate is None:  # the demo register is not loaded in the tests: one of the village's
        from registry.services.assets import asset_register
        from tests.factories import asset_input

        candidate = asset_register(actor=village_clerk, data=asset_input(name="向东村便民桥"))
    page = client.get(url, {"q": candidate.code}).content.decode()
    assert candidate.code in page
    response = client.post(url, {"asset": candidate.code, "role": "facility"})
    assert response.status_code == 302
    assert SiteFacility.objects.filter(site=site, asset=candidate, active=True).exists()
    outside = Asset.objects.exclude(area_code=XIANGDONG).first()
    assert outside is not None
    refused = client.post(url, {"asset": outside.code, "role": "facility"})
    assert refused.status_code == 400 and "请选择您辖区内的资产" in refused.content.decode()

    support = reverse("registry:site_support", args=[site.code])
    assert client.get(support, {"year": "2024"}).status_code == 200
    bad = client.post(support, {"year": "2024", "labour_force": "10", "employed": "12",
                                "welfare_posts": "0", "workshops": "0",
                                "monitored_households": "0"})  # fmt: skip
    assert bad.status_code == 400
    assert "就业人数多于" in bad.content.decode() or "More persons employed" in bad.content.decode()
    good = client.post(support, {"year": "2024", "labour_force": "100", "employed": "93",
                                 "per_capita_income": "14200", "welfare_posts": "5",
                                 "workshops": "1", "monitored_households": "1"})  # fmt: skip
    assert good.status_code == 302
    assert site.support.get(year=2024).employed == 93

    add = reverse("registry:site_problem_add", args=[site.code])
    assert client.post(add, {"category": "health", "description": "缺少全科医生",
                             "raised_on": TODAY.isoformat()}).status_code == 302  # fmt: skip
    problem = site.problems.get(description="缺少全科医生")
    resolve = reverse("registry:site_problem_resolve", args=[site.code, problem.pk])
    assert client.post(resolve, {"resolved_on": TODAY.isoformat(),
                                 "resolution": "已签约家庭医生"}).status_code == 302  # fmt: skip
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED

    link = SiteFacility.objects.get(site=site, asset=candidate, active=True)
    end = reverse("registry:site_facility_end", args=[site.code, link.pk])
    assert client.post(end).status_code == 302
    link.refresh_from_db()
    assert not link.active
    detail = client.get(reverse("registry:site_detail", args=[site.code])).content.decode()
    assert "已签约家庭医生" in detail and "华强" not in detail


# --- exports --------------------------------------------------------------------------------


def download(client: Client, url: str, query: dict[str, str] | None = None) -> bytes:
    response = client.get(url, query or {})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_the_exports_hold_exactly_what_the_list_shows(client, planner, demo, tmp_path):
    login(client, planner)
    query = {"area": LONGJU}
    listed = codes_in(client.get(reverse("registry:site_list"), query).content.decode())
    assert len(listed) >= 3

    book = openpyxl.load_workbook(
        io.BytesIO(download(client, reverse("transfer:site_export", args=["xlsx"]), query))
    )
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    assert headers[:4] == ["安置点编号", "安置点名称", "安置类别", "集中或分散"]
    assert "建档立卡搬迁户数" in headers and "拆旧复垦" in headers and "经度" in headers
    body = [r for r in rows[1:] if r[0] and str(r[0]).startswith("500101AZ")]
    assert {r[0] for r in body} == listed
    by_code = {s.code: s for s in demo}
    for row in body:
        site = by_code[row[0]]
        record = dict(zip(headers, row, strict=False))
        assert record["搬迁总人数"] == site.persons
        assert record["安置类别"] == str(site.get_site_type_display())  # a label, not a code
        assert abs(float(record["经度"]) - site.point.x) < 1e-5
    statement = book["导出说明"]
    assert "龙驹镇" in " ".join(str(c.value) for c in statement["B"] if c.value)

    text = download(client, reverse("transfer:site_export", args=["csv"]), query).decode(
        "utf-8-sig"
    )
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] == "安置点编号" and {line[0] for line in lines[1:]} == listed

    path = tmp_path / "sites.gpkg"
    path.write_bytes(download(client, reverse("transfer:site_export", args=["gpkg"]), query))
    assert [name for name, _ in pyogrio.list_layers(path)] == ["安置点"]
    frame = pyogrio.read_dataframe(path, layer="安置点")
    assert set(frame["code"]) == listed
    kinds = set(frame.geometry.geom_type)
    assert kinds <= {"MultiPolygon", "Point"} and "MultiPolygon" in kinds
    info = pyogrio.read_info(path, layer="安置点")
    assert info["crs"] == "EPSG:4490"


def test_an_export_never_holds_a_site_outside_the_users_area(client, village_clerk, demo):
    login(client, village_clerk)
    text = download(client, reverse("transfer:site_export", args=["csv"])).decode("utf-8-sig")
    codes = codes_in(text)
    assert codes == {s.code for s in demo if s.area_code == XIANGDONG}
    assert client.get(reverse("transfer:site_export", args=["shp"])).status_code == 404
    bad = client.get(reverse("transfer:site_export", args=["csv"]), {"site_type": "palace"})
    assert bad.status_code == 400


def test_demo_sites_are_recorded_as_demo_data(demo):
    site = demo[0]
    context = site.events.values_list("pgh_context__metadata", flat=True).first()  # type: ignore[attr-defined]
    assert context is None or context.get("command") in (None, "load_demo_county")
    assert Decimal(site.floor_area_m2) > 0


# --- labels, never codes --------------------------------------------------------------------


class _Text(html.parser.HTMLParser):
    """The text a person reads: no tags, attributes, scripts or JSON data."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[Any]) -> None:
        self.skip += tag in ("script", "style", "template")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def site_codes() -> set[str]:
    """Every code a site and its records store for a choice, and the demo's writer."""
    from registry import choices as C

    codes = {"load_demo_county", "insert", "update"}
    for choice in (C.SiteType, C.SiteMode, C.SiteScale, C.ReclamationStatus, C.FacilityRole,
                   C.ProblemCategory, C.ProblemStatus):  # fmt: skip
        codes |= {str(v) for v in choice.values}
    return codes


def test_no_stored_code_reaches_a_site_page_or_export(client, county_manager, demo):
    site = xiangdong_site(demo)
    S.problem_resolve(
        actor=county_manager, problem=site.problems.first(), resolved_on=TODAY, resolution="已办"
    )
    login(client, county_manager)
    codes = site_codes()
    pages = [
        reverse("registry:site_list"),
        reverse("registry:site_detail", args=[site.code]),
        reverse("registry:site_facility_link", args=[site.code]),
        reverse("registry:site_support", args=[site.code]),
    ]
    for url in pages:
        parser = _Text()
        parser.feed(client.get(url).content.decode())
        words = set(re.findall(r"[A-Za-z_0-9]+", " ".join(parser.parts)))
        assert not words & codes, (url, words & codes)
    content = download(client, reverse("transfer:site_export", args=["csv"]))
    words = set(re.findall(r"[A-Za-z_0-9]+", content.decode("utf-8-sig")))
    assert not words & codes, words & codes
