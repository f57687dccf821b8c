"""Issue 18: no stored code reaches a page or a file without its label. A status change reads
在用 → 需维修, not in_use → damaged; a level reads 乡镇, not township; the demo's writer reads
系统（演示数据）, not generate_register; people are named, not shown by their login.

The check collects every code the register stores for a choice (registry.choices, the import
and export states, history's insert/update/delete, the demo commands, the roles and the demo
logins), then reads the visible text of the pages county staff open and every cell of the files
they export, in Chinese, and fails on any of those codes standing as a word of its own."""

import csv
import datetime
import html.parser
import inspect
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import models
from django.urls import reverse

from registry import choices as registry_choices
from registry.demo_assets import generate_register
from registry.models import Asset, DistributionPlan, User
from registry.services import assets as asset_services
from registry.services import disposal, income, maintenance, ownership
from tests.factories import asset_input, collective, village
from transfer.models import AssetImport, ExportJob

pytestmark = pytest.mark.django_db


def stored_codes() -> set[str]:
    codes: set[str] = set()
    for _name, value in inspect.getmembers(registry_choices, inspect.isclass):
        if issubclass(value, models.Choices) and value is not models.TextChoices:
            codes |= {str(v) for v in value.values}
    codes |= {str(v) for v in AssetImport.State.values} | {str(v) for v in ExportJob.State.values}
    codes |= {"insert", "update", "delete", "generate_register", "load_demo_county"}
    codes |= set(User.objects.values_list("username", flat=True))
    # Words that are codes but also plain English in the names of formats and standards shown.
    return {c for c in codes if len(c) > 2}


class _Text(html.parser.HTMLParser):
    """The text a person reads: no tags, attributes, scripts, styles or JSON data."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in ("script", "style", "template"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def leaks(text: str, codes: set[str]) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z_]+", text) if w in codes}


@pytest.fixture
def history(county_manager, township_manager, county_approver, village_clerk):  # type: ignore[no-untyped-def]
    """A register with every kind of record, and one asset taken through its life by several
    people: registered by the village, approved, owned, kept, damaged, put up for disposal."""
    generate_register(assets=60, seed=18)
    road = asset_services.asset_register(actor=village_clerk, data=asset_input())
    asset_services.asset_approve_registration(actor=township_manager, asset=road)
    road.refresh_from_db()
    owner = collective()
    ownership.ownership_confirm(
        actor=county_manager,
        asset=road,
        shares=[(owner, Decimal(100))],
        effective_on=datetime.date(2024, 1, 2),
        basis="村民代表大会决议",
    )
    maintenance.maintenance_assign(
        actor=county_manager,
        asset=road,
        maintainer=owner,
        responsible_person="王五",
        responsible_phone="13800000000",
        duties="每月巡查",
        funding_source="村集体收益",
        inspection_interval_days=30,
        starts_on=datetime.date(2024, 1, 2),
    )
    for status in ("in_use", "damaged"):
        road.refresh_from_db()
        asset_services.asset_set_status(
            actor=county_manager, asset=road, status=status, expected_version=road.version
        )
    road.refresh_from_db()
    disposal.disposal_request(
        actor=county_manager,
        asset=road,
        reason="disaster",
        method="scrap",
        book_value=Decimal(1000),
        explanation="山洪冲毁",
    )
    pv = Asset.objects.filter(
        asset_class="operating", status="in_use", area_code__startswith="500101151"
    ).first()
    assert pv is not None
    income.income_record_add(
        actor=county_manager,
        asset=pv,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2024, 12, 31),
        gross=Decimal(50000),
        costs=Decimal(5000),
    )
    if not DistributionPlan.objects.filter(asset=pv, year=2024).exists():
        income.distribution_plan_create(
            actor=county_manager,
            asset=pv,
            year=2024,
            total=Decimal(45000),
            lines={"welfare_posts": Decimal(20000), "households": Decimal(25000)},
        )
    return road, pv


PAGES = [
    ("registry:asset_list", []),
    ("registry:area_list", []),
    ("registry:todo", []),
    ("transfer:import_list", []),
]


def test_no_stored_code_reaches_a_page(client, history, county_manager, township_manager):
    road, pv = history
    codes = stored_codes()
    urls = [reverse(name, args=args) for name, args in PAGES]
    urls += [reverse("registry:asset_detail", args=[a.code]) for a in (road, pv)]
    urls += [
        reverse("registry:record_list", args=[kind])
        for kind in ("ownership", "maintenance", "income", "distributions", "disposals")
    ]
    urls += [
        reverse("registry:area_detail", args=[code]) for code in ("500101151000", village().code)
    ]
    urls += [reverse("registry:notice_sheet", args=[village().code])]
    urls += [reverse("registry:maintenance_log", args=[road.code])]
    found: dict[str, set[str]] = {}
    for user in (township_manager, county_manager):
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            leaked = leaks(visible_text(response.content.decode()), codes)
            if leaked:
                found[f"{user.username} {url}"] = leaked
        popup = client.get(reverse("gis:asset_popup", args=[road.pk])).json()
        leaked = leaks(" ".join(str(v) for k, v in popup.items() if k != "url"), codes)
        if leaked:
            found[f"{user.username} popup"] = leaked
    assert not found, found


def test_the_timeline_speaks_in_labels_and_names(client, history, county_manager):
    road, _pv = history
    client.force_login(county_manager)
    page = client.get(reverse("registry:asset_detail", args=[road.code])).content.decode()
    timeline = visible_text(page.split('data-testid="timeline"')[1])
    timeline = " ".join(timeline.split())
    assert re.search(r"在用 → 待维修/损毁", timeline), timeline  # a status change by its labels
    assert re.search(r"待维修/损毁 → 处置申请中", timeline), timeline
    clerk = User.objects.get(username="village_clerk")
    assert (clerk.get_full_name() or clerk.username) in timeline
    demo = Asset.objects.filter(synthetic=True).first()
    assert demo is not None
    page = client.get(reverse("registry:asset_detail", args=[demo.code])).content.decode()
    assert "系统（演示数据）" in visible_text(page.split('data-testid="timeline"')[1])


def test_no_stored_code_reaches_an_export(client, history, auditor):
    codes = stored_codes()
    client.force_login(auditor)
    found: dict[str, set[str]] = {}

    def read(url: str, **params: str) -> bytes:
        response = client.get(url, params)
        assert response.status_code == 200, url
        return b"".join(response.streaming_content) if response.streaming else response.content

    body = read(reverse("transfer:asset_export", args=["csv"])).decode("utf-8-sig")
    for row in csv.reader(io.StringIO(body)):
        if leaked := leaks(" ".join(row), codes):
            found.setdefault("assets.csv", set()).update(leaked)
    books = {"assets.xlsx": read(reverse("transfer:asset_export", args=["xlsx"]), history="1")}
    for kind in ("ownership", "maintenance", "income", "distributions", "disposals"):
        books[f"{kind}.xlsx"] = read(reverse("transfer:record_export", args=[kind, "xlsx"]))
    for name, data in books.items():
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                text = " ".join(str(v) for v in row if isinstance(v, str))
                if leaked := leaks(text, codes):
                    found.setdefault(f"{name}:{sheet.title}", set()).update(leaked)
    assert not found, found


def test_the_timeline_does_not_name_an_area_outside_the_readers_area(
    client, county_manager, village_clerk
):
    """An asset moved into the clerk's village from another: the clerk reads where it came
    from as outside their area, not that village's name (its page would be a 404 to them)."""
    yuhe = village("500101151201")
    asset = asset_services.asset_register(
        actor=county_manager, data=asset_input(area=yuhe, name="迁来的蓄水池", geom=None)
    )
    asset_services.asset_update(
        actor=county_manager,
        asset=asset,
        expected_version=asset.version,
        data=asset_input(name="迁来的蓄水池", geom=None),
    )
    client.force_login(village_clerk)
    page = client.get(reverse("registry:asset_detail", args=[asset.code])).content.decode()
    timeline = visible_text(page.split('data-testid="timeline"')[1])
    assert "（辖区外） → 向东村" in timeline, timeline
    assert "玉合村" not in timeline
    client.force_login(county_manager)
    page = client.get(reverse("registry:asset_detail", args=[asset.code])).content.decode()
    assert "玉合村" in visible_text(page.split('data-testid="timeline"')[1])
