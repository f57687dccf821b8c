"""The to-do list (待办): what waits for each role, counts that match the database, readers
who get an empty list, a fixed number of queries, and the count in the top bar."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db.models import Q
from django.test import RequestFactory
from django.urls import reverse

from registry import selectors
from registry.choices import ACTIVE_STATUSES, Role
from registry.context_processors import todo, todo_badge
from registry.demo_assets import generate_register
from registry.models import (
    AdminArea,
    Asset,
    ConstructionNeed,
    DisposalApproval,
    DisposalRequest,
    DistributionPlan,
    MaintenanceDuty,
    MaintenanceLog,
    Project,
    RegistrationReturn,
    User,
)
from registry.services.assets import (
    asset_register,
    asset_return_registration,
    asset_update,
)
from registry.services.disposal import disposal_decide, disposal_request
from registry.services.income import (
    distribution_plan_advance,
    distribution_plan_create,
    distribution_plan_return,
)
from tests.factories import asset_input

pytestmark = pytest.mark.django_db

REASON = "受益户数与花名册不符，请核对"


def _section(page: str, kind: str) -> str:
    """The HTML of one section of the to-do page ('' when it is not shown)."""
    found = re.search(rf'<section data-testid="todo-{kind}">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def _todo(client, user: User) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(reverse("registry:todo"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def plan(pv_station, village_clerk) -> DistributionPlan:  # type: ignore[no-untyped-def]
    """A plan of 向东村 the village has resolved: it waits for the township."""
    plan = distribution_plan_create(
        actor=village_clerk, asset=pv_station, year=2025, total=Decimal(1000),
        lines={"welfare_posts": Decimal(700), "upkeep": Decimal(300)},
    )  # fmt: skip
    return distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=plan.version, resolution="村民代表大会决议"
    )


# --- what each role sees -------------------------------------------------------------------------


def test_the_township_approver_sees_the_clerks_draft_until_it_is_returned(
    client, village_clerk, township_manager
):
    draft = asset_register(actor=village_clerk, data=asset_input(name="向东村待办测试道路"))
    section = _section(_todo(client, township_manager), "registrations")
    assert draft.code in section and "审核：通过或退回" in section
    assert reverse("registry:asset_detail", args=[draft.code]) in section
    asset_return_registration(actor=township_manager, asset=draft, reason=REASON)
    # Returned, it waits for the clerk, not for the township.
    assert draft.code not in _section(_todo(client, township_manager), "registrations")


def test_the_clerk_sees_their_returned_registration_with_the_reason_until_corrected(
    client, village_clerk, township_manager
):
    draft = asset_register(actor=village_clerk, data=asset_input(name="向东村待办测试道路"))
    asset_return_registration(actor=township_manager, asset=draft, reason=REASON)
    section = _section(_todo(client, village_clerk), "returned")
    assert draft.code in section and REASON in section and "去更正" in section
    assert reverse("registry:asset_edit", args=[draft.code]) in section
    asset_update(
        actor=village_clerk, asset=draft, expected_version=draft.version,
        data=asset_input(name="向东村待办测试道路（已更正）"),
    )  # fmt: skip
    assert draft.code not in _section(_todo(client, village_clerk), "returned")
    section = _section(_todo(client, township_manager), "registrations")
    assert draft.code in section and "退回后已更正" in section


def test_plans_wait_for_the_level_whose_step_is_next(
    client, plan, pv_station, village_clerk, township_manager, county_approver
):
    section = _section(_todo(client, township_manager), "plans")
    assert pv_station.code in section and "乡镇审核：通过或退回" in section
    assert pv_station.code not in _section(_todo(client, county_approver), "plans")
    plan = distribution_plan_advance(
        actor=township_manager, plan=plan, expected_version=plan.version
    )
    assert pv_station.code not in _section(_todo(client, township_manager), "plans")
    section = _section(_todo(client, county_approver), "plans")
    assert pv_station.code in section and "县级备案：备案或退回" in section
    distribution_plan_return(
        actor=county_approver, plan=plan, expected_version=plan.version, reason="缺少公示记录"
    )
    assert pv_station.code not in _section(_todo(client, county_approver), "plans")
    section = _section(_todo(client, village_clerk), "plans")  # the author, and its village
    assert pv_station.code in section and "由县（区）退回: 缺少公示记录" in section


def test_the_county_approver_sees_a_valuable_disposal_once_the_township_approved(
    client, pv_station, county_manager, township_manager, county_approver
):
    request = disposal_request(
        actor=county_manager, asset=pv_station, reason="planning", method="transfer",
        book_value=Decimal(800000), explanation="规划调整",
    )  # fmt: skip
    anchor = f"#disposal-{request.pk}"
    assert anchor in _section(_todo(client, township_manager), "disposals")
    assert anchor not in _section(_todo(client, county_approver), "disposals")
    disposal_decide(actor=township_manager, request=request, approved=True)
    assert anchor not in _section(_todo(client, township_manager), "disposals")
    section = _section(_todo(client, county_approver), "disposals")
    assert anchor in section and "县（区）" in section and "审批：批准或驳回" in section


def test_an_editor_sees_the_overdue_inspections_of_their_area(client, road, village_clerk):
    long_ago = datetime.date.today() - datetime.timedelta(days=400)
    MaintenanceDuty.objects.create(
        asset=road, maintainer_id=_collective_id(), responsible_person="王国华",
        duties="每月巡查", funding_source="公益性岗位", inspection_interval_days=30,
        starts_on=long_ago, assigned_by=village_clerk,
    )  # fmt: skip
    section = _section(_todo(client, village_clerk), "inspections")
    assert road.code in section and reverse("registry:maintenance_log", args=[road.code]) in section


def _collective_id() -> int:
    from tests.factories import collective

    return collective().pk


def test_readers_get_an_empty_list_and_no_query(
    client, planner, auditor, django_assert_num_queries
):
    for reader in (planner, auditor):
        page = _todo(client, reader)
        assert 'data-testid="todo-empty"' in page and "您的角色只查阅台账" in page
        with django_assert_num_queries(0):
            assert set(selectors.todo_counts(user=reader).values()) == {0}


def test_an_editor_with_nothing_to_do_is_told_so(client):
    # A new village with no assets (every demo village has some since the demo network).
    quiet = AdminArea.objects.create(
        code="500101001399", name="新设村", level="village",
        parent=AdminArea.objects.get(code="500101001000"), county_code="500101",
    )  # fmt: skip
    editor = User.objects.create_user("quiet_clerk", role=Role.MANAGER, area=quiet)
    page = _todo(client, editor)
    assert "暂无待办：目前没有需要您办理的登记、分配方案、处置或巡查。" in page


# --- counts --------------------------------------------------------------------------------------


def _expected(user: User) -> dict[str, int]:
    """The counts worked out another way: plain filters, and overdue inspections in Python."""
    prefix = user.area.scope_prefix  # type: ignore[union-attr]
    level = {6: "county", 9: "township"}.get(len(prefix), "village")
    approver = user.role in (Role.APPROVER, Role.ADMIN)
    in_area = {"asset__area_code__startswith": prefix}
    open_returns = RegistrationReturn.objects.filter(corrected_at__isnull=True)
    drafts = Asset.objects.filter(status="draft", area_code__startswith=prefix)
    returned = open_returns.filter(asset__in=drafts)
    if level != "village":
        returned = returned.filter(author=user)
    plans = DistributionPlan.objects.filter(**in_area)
    waiting = {"village": ["draft", "rejected"], "township": ["village_resolved"],
               "county": ["township_reviewed"]}[level]  # fmt: skip
    plan_ids = set(plans.filter(status="rejected", created_by=user).values_list("pk", flat=True))
    if level == "village" or approver:
        plan_ids |= set(plans.filter(status__in=waiting).values_list("pk", flat=True))
    disposals = 0
    if approver and level != "village":
        for request in DisposalRequest.objects.filter(status="requested", **in_area):
            done = dict(
                DisposalApproval.objects.filter(request=request).values_list("level", "approved")
            )
            needed = ["township", "county"] if request.required_level == "county" else ["township"]
            pending = [lv for lv in needed if lv not in done]
            disposals += bool(pending) and pending[0] == level
    # The project libraries: needs sent up wait for their township's approver; proposals for
    # the approver of the level that reviews them (county-led ones and later stages: the county).
    needs = projects = 0
    if approver and level == "township":
        needs = ConstructionNeed.objects.filter(
            status="submitted", area_code__startswith=prefix
        ).count()
        projects = (
            Project.objects.filter(status="proposed", area_code__startswith=prefix)
            .exclude(area__level="county")
            .count()
        )
    elif approver and level == "county":
        projects = (
            Project.objects.filter(county_code=prefix)
            .filter(
                Q(status="proposed", area__level="county")
                | Q(status__in=["township_reviewed", "appraised"])
            )
            .count()
        )
    return {
        "returned": returned.count(),
        "registrations": (
            drafts.exclude(pk__in=open_returns.values("asset")).count()
            if approver and level != "village"
            else 0
        ),
        "plans": len(plan_ids),
        "disposals": disposals,
        # Readers (planners, auditors) are sent no inspections (selectors.todo_sources).
        "inspections": (
            _overdue(prefix) if user.role in (Role.MANAGER, Role.APPROVER, Role.ADMIN) else 0
        ),
        "needs": needs,
        "projects": projects,
    }


def _overdue(prefix: str) -> int:
    today = datetime.date.today()
    duties: dict[int, MaintenanceDuty] = {}
    for duty in MaintenanceDuty.objects.filter(
        asset__area_code__startswith=prefix,
        asset__status__in=ACTIVE_STATUSES,  # in the register: not drafts, not being disposed
        starts_on__lte=today,
    ).order_by("starts_on", "id"):
        if duty.ends_on is None or duty.ends_on >= today:
            duties[duty.asset_id] = duty  # the newest in force wins
    last: dict[int, datetime.date] = {}
    for asset_id, day in MaintenanceLog.objects.filter(
        asset_id__in=list(duties), kind="inspection"
    ).values_list("asset_id", "performed_on"):
        last[asset_id] = max(day, last.get(asset_id, day))
    return sum(
        (last.get(a, d.starts_on) + datetime.timedelta(days=d.inspection_interval_days)) < today
        for a, d in duties.items()
    )


@pytest.mark.parametrize(
    "username", ["township_manager", "village_clerk", "approver", "manager", "planner"]
)
def test_the_counts_match_the_database(username, plan, village_clerk, township_manager):
    # Some of everything: a draft, a returned draft, a plan waiting for the township.
    asset_register(actor=village_clerk, data=asset_input(name="向东村待审一"))
    second = asset_register(actor=village_clerk, data=asset_input(name="向东村待审二"))
    asset_return_registration(actor=township_manager, asset=second, reason=REASON)
    user = User.objects.select_related("area").get(username=username)
    counts = selectors.todo_counts(user=user)
    assert counts == _expected(user)
    if username in ("township_manager", "village_clerk"):
        assert counts["registrations"] + counts["returned"] >= 1
    capped = selectors.todo_counts(user=user, cap=3)
    assert capped == {kind: min(n, 3) for kind, n in counts.items()}


def test_the_page_takes_the_same_few_queries_whatever_the_numbers(
    client, county_approver, village_clerk, django_assert_max_num_queries
):
    client.force_login(county_approver)
    url = reverse("registry:todo")
    client.get(url)  # warm: translations, templates
    with django_assert_max_num_queries(10) as before:
        assert client.get(url).status_code == 200
    for n in range(5):
        asset_register(actor=village_clerk, data=asset_input(name=f"向东村待审{n}"))
    with django_assert_max_num_queries(10) as after:
        page = client.get(url).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
    assert "向东村待审4" in _section(page, "registrations")


@pytest.fixture
def demo_register(db):  # type: ignore[no-untyped-def]
    """The demo county's register as `make run` loads it: 3,000 assets with their records."""
    generate_register(assets=3000)


def test_on_the_demo_county_the_page_is_fast_and_the_badge_stops_at_99_plus(
    client, demo_register, county_approver, planner, django_assert_max_num_queries
):
    counts = selectors.todo_counts(user=county_approver)
    assert counts["registrations"] > 50 and counts["plans"] > 50 and counts["inspections"] > 99
    assert counts == _expected(county_approver)
    client.force_login(county_approver)
    url = reverse("registry:todo")
    # However many things wait, the same few queries (its time is measured on a quiet machine,
    # not here: ~0.1 s on the demo county, see the README's performance section).
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert "另有" in _section(page, "inspections")  # 50 listed, the rest in the asset list
    page = client.get(reverse("registry:area_list")).content.decode()
    assert 'data-testid="todo-count">99+</span>' in page
    client.force_login(planner)
    page = client.get(reverse("registry:area_list")).content.decode()
    assert 'data-testid="todo-link"' in page and 'data-testid="todo-count"' not in page


# --- the top bar ---------------------------------------------------------------------------------


def test_the_top_bar_shows_the_count_and_links_to_the_list(client, village_clerk, township_manager):
    asset_register(actor=village_clerk, data=asset_input(name="向东村待审顶栏"))
    client.force_login(township_manager)
    page = client.get(reverse("registry:asset_list")).content.decode()
    expected = sum(selectors.todo_counts(user=township_manager).values())
    assert 0 < expected < 100
    badge = re.search(r'data-testid="todo-count">(\d+)</span>', page)
    assert badge is not None and int(badge.group(1)) == expected
    assert f'href="{reverse("registry:todo")}"' in page


def test_anonymous_visitors_get_no_link_and_the_badge_costs_two_queries_then_one(
    client, township_manager, planner, django_assert_num_queries
):
    page = client.get(reverse("login")).content.decode()
    assert 'data-testid="todo-link"' not in page
    request = RequestFactory().get("/")
    request.user = township_manager
    context = todo(request)
    # The asset table's change counter and the counts; then the counter alone (the counts are
    # kept until an asset changes); a reader's badge asks nothing.
    with django_assert_num_queries(2):
        assert int(str(context["todo_count"])) == todo_badge(request)
    again = RequestFactory().get("/")
    again.user = township_manager
    with django_assert_num_queries(1):
        assert todo_badge(again) == todo_badge(request)
    reader = RequestFactory().get("/")
    reader.user = planner
    with django_assert_num_queries(0):
        assert todo_badge(reader) == 0
