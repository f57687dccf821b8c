"""The demo project libraries agree with the demo register: every handed-over project's assets
point to it and add up to its actual investment, per fund source too; every stage is there;
each project's steps lead, one after the other and in time, to its status; codes are well
formed and unique; needs and tasks are linked to their projects. The same seed gives the same
projects."""

import datetime
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from registry import selectors
from registry.choices import NeedStatus, ProjectStatus, ProjectStepKind
from registry.demo_assets import generate_register
from registry.demo_projects import NEED_TITLES, bulk_load_projects
from registry.models import (
    Asset,
    AssetFunding,
    ConstructionNeed,
    Project,
    ProjectFunding,
    ProjectStep,
    TaskListItem,
    User,
)
from registry.services.projects import negative_uses, project_can

pytestmark = pytest.mark.django_db

ASSETS = 1500  # the demo's 3000 halved: 150 projects, enough for every stage
S, K = ProjectStatus, ProjectStepKind
FINISHED = {S.HANDED_OVER, S.EVALUATED, S.ARCHIVED}
# Each step, the statuses it is taken from and the one it leads to (None: stays where it is).
TRANSITIONS: dict[str, tuple[set[str], str | None]] = {
    K.PROPOSE: ({""}, S.PROPOSED),
    K.TOWNSHIP_REVIEW: ({S.PROPOSED}, S.TOWNSHIP_REVIEWED),
    K.COUNTY_APPRAISE: ({S.TOWNSHIP_REVIEWED}, S.APPRAISED),
    K.APPROVE: ({S.APPRAISED}, S.IN_LIBRARY),
    K.PLAN: ({S.IN_LIBRARY}, S.PLANNED),
    K.START: ({S.PLANNED}, S.IN_PROGRESS),
    K.COMPLETE: ({S.IN_PROGRESS}, S.COMPLETED),
    K.ACCEPT: ({S.COMPLETED}, S.ACCEPTED),
    K.HAND_OVER: ({S.ACCEPTED}, S.HANDED_OVER),
    K.EVALUATE: ({S.HANDED_OVER}, S.EVALUATED),
    K.ARCHIVE: ({S.EVALUATED}, S.ARCHIVED),
    K.REJECT: ({S.PROPOSED, S.TOWNSHIP_REVIEWED}, S.REJECTED),
    K.WITHDRAW: ({S.APPRAISED, S.IN_LIBRARY, S.PLANNED}, S.WITHDRAWN),
    K.CARRY_OVER: ({S.IN_LIBRARY}, None),
}
TOWNSHIP_STEPS = {K.PROPOSE, K.TOWNSHIP_REVIEW}


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The demo register at half size with its project libraries, generated once for the
    module inside a transaction that is rolled back after its last test (each test's own
    writes are rolled back to a savepoint of it)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield generate_register(assets=ASSETS, seed=500101)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(register, db):  # type: ignore[no-untyped-def]
    return {"summary": register}


def demo_projects() -> list[Project]:
    return list(Project.objects.filter(synthetic=True).select_related("area"))


def test_the_register_brings_a_tenth_as_many_projects_in_every_stage(demo):
    assert demo["summary"].projects == ASSETS // 10
    statuses = Counter(p.status for p in demo_projects())
    assert sum(statuses.values()) == ASSETS // 10
    assert set(statuses) == set(ProjectStatus.values), statuses
    # The ends besides the main line: carried over, refused at both levels.
    assert ProjectStep.objects.filter(kind=K.CARRY_OVER, project__synthetic=True).exists()
    refused = ProjectStep.objects.filter(kind=K.REJECT, project__synthetic=True)
    assert {s.from_status for s in refused} == {S.PROPOSED, S.TOWNSHIP_REVIEWED}
    needs = Counter(
        ConstructionNeed.objects.filter(synthetic=True).values_list("status", flat=True)
    )
    assert set(needs) == set(NeedStatus.values), needs
    years = {p.year for p in demo_projects() if p.status in FINISHED}
    assert years == {2021, 2022, 2023, 2024, 2025}


def test_a_handed_over_project_cost_what_its_assets_are_worth_per_fund_source(demo):
    formed_by: dict[int, list[Asset]] = defaultdict(list)
    for asset in Asset.objects.filter(source_project__isnull=False):
        formed_by[asset.source_project_id].append(asset)  # type: ignore[index]
    lines: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for line in AssetFunding.objects.filter(asset__source_project__isnull=False):
        lines[line.asset_id][line.source_id] = line.amount
    finished = 0
    for project in demo_projects():
        assets = formed_by.get(project.pk, [])
        if project.status not in FINISHED:
            assert not assets, project.code
            continue
        finished += 1
        assert assets, f"{project.code} handed over nothing"
        funding = {f.source_id: f for f in ProjectFunding.objects.filter(project=project)}
        actual = sum((f.actual or Decimal(0) for f in funding.values()), Decimal(0))
        assert actual == sum((a.original_value for a in assets), Decimal(0)), project.code
        per_source: dict[int, Decimal] = defaultdict(Decimal)
        for asset in assets:
            for source, amount in lines[asset.pk].items():
                per_source[source] += amount
        assert {s: f.actual for s, f in funding.items()} == dict(per_source), project.code
        assert all(f.planned > 0 for f in funding.values())
        # The shares of the investment add up to 100 % and follow the values.
        assert sum((a.source_share or Decimal(0) for a in assets), Decimal(0)) == 100
        for asset in assets:
            exact = asset.original_value * 100 / actual
            assert abs((asset.source_share or 0) - exact) <= Decimal("0.0001"), asset.code
            # Formed in the project's village, in its year, from 2021 on, by its handover.
            assert asset.area_code == project.area_code
            assert asset.formed_on.year == project.year >= 2021
        handover = ProjectStep.objects.get(project=project, kind=K.HAND_OVER)
        assert sorted(handover.details["assets"]) == sorted(a.code for a in assets)
        assert handover.details["handed_on"] == max(a.formed_on for a in assets).isoformat()
        assert timezone.localdate(handover.at).isoformat() == handover.details["handed_on"]
    assert finished >= 40


def test_each_projects_steps_lead_in_time_to_its_status(demo):
    accounts = {u.username: u.pk for u in User.objects.all()}
    township = User.objects.get(username="township_manager").area
    assert township is not None
    now = timezone.now()
    steps: dict[int, list[ProjectStep]] = defaultdict(list)
    for step in ProjectStep.objects.filter(project__synthetic=True).order_by("at", "id"):
        steps[step.project_id].append(step)
    for project in demo_projects():
        taken = steps[project.pk]
        assert taken and taken[0].kind == K.PROPOSE, project.code
        status = ""
        for step in taken:
            allowed_from, leads_to = TRANSITIONS[step.kind]
            assert step.from_status == status and status in allowed_from, (project.code, step)
            assert step.to_status == (leads_to or status), (project.code, step)
            status = step.to_status
            # Plausible days: in the past, never before the 2020 autumn of the first library.
            assert datetime.datetime(2020, 9, 1, tzinfo=datetime.UTC) < step.at < now
            # The township's steps by its approver in 龙驹镇 (the county's elsewhere), the
            # county's by the county approver.
            in_township = project.area_code.startswith(township.scope_prefix)
            township_step = step.kind in TOWNSHIP_STEPS or (
                step.kind == K.REJECT and step.from_status == S.PROPOSED
            )
            expected = "township_manager" if township_step and in_township else "approver"
            assert step.actor_id == accounts[expected], (project.code, step.kind)
        assert status == project.status, project.code
        assert project.version == len(taken)
        assert [s.at for s in taken] == sorted(s.at for s in taken)
        plan = [s for s in taken if s.kind == K.PLAN]
        assert project.plan_year == (plan[0].details["year"] if plan else None)
        if plan:
            assert timezone.localdate(plan[0].at).year == project.plan_year >= project.year


def test_project_codes_are_county_year_serial_and_unique(demo):
    projects = demo_projects()
    codes = [p.code for p in projects]
    assert len(set(codes)) == len(codes)
    carried = set(
        ProjectStep.objects.filter(kind=K.CARRY_OVER).values_list("project_id", flat=True)
    )
    for project in projects:
        assert re.fullmatch(r"500101(20[2-9]\d)(\d{4})", project.code), project.code
        code_year = int(project.code[6:10])
        assert code_year == project.year - (1 if project.pk in carried else 0)
        assert project.code[10:] != "0000"
        assert project.area_codes and project.area_code in project.area_codes
        assert all(c.startswith(project.county_code) for c in project.area_codes)
        assert project.geom is not None and project.synthetic
    # The serials of a year run from 1 without gaps.
    by_year: dict[str, list[int]] = defaultdict(list)
    for code in codes:
        by_year[code[:10]].append(int(code[10:]))
    for serials in by_year.values():
        assert sorted(serials) == list(range(1, len(serials) + 1))


def test_a_needs_title_says_what_its_category_says(demo):
    """Seen on the demo's need list: 天然气管道入户 filed under 通讯网络, 5G基站 under 燃气."""
    needs = list(ConstructionNeed.objects.values_list("title", "category", "area__name"))
    assert needs
    for title, category, village in needs:
        assert any(title.endswith(t) for t in NEED_TITLES[category]), (title, category, village)


def test_needs_and_tasks_are_linked_to_their_projects(demo):
    today = timezone.localdate()
    projects = {p.pk: p for p in demo_projects()}
    proposed_with = {
        s.project_id: set(s.details["needs"])
        for s in ProjectStep.objects.filter(kind=K.PROPOSE, project__synthetic=True)
    }
    merged = 0
    for need in ConstructionNeed.objects.filter(synthetic=True):
        assert (need.project_id is not None) == (need.status == NeedStatus.MERGED), need.pk
        assert need.horizon_to - need.horizon_from <= 4
        if need.status != NeedStatus.DRAFT:
            assert need.meeting_on and need.posted_from and need.posted_to
            assert need.meeting_on <= need.posted_from <= today
        if need.status in (NeedStatus.SUBMITTED, NeedStatus.ACCEPTED, NeedStatus.REJECTED,
                           NeedStatus.MERGED):  # fmt: skip
            assert need.posted_to is not None and need.posted_to < today
        if need.status in (NeedStatus.ACCEPTED, NeedStatus.REJECTED, NeedStatus.MERGED):
            assert need.reviewed_by_id and need.reviewed_at
            assert need.posted_to is not None
            assert timezone.localdate(need.reviewed_at) > need.posted_to
        if need.status == NeedStatus.REJECTED:
            assert need.review_note and not (need.genuine and need.necessary and need.feasible)
        if need.project_id is None:
            continue
        merged += 1
        project = projects[need.project_id]
        assert need.area_code in project.area_codes
        assert project.in_construction_library
        assert need.pk in proposed_with[project.pk]
        proposed = ProjectStep.objects.get(project=project, kind=K.PROPOSE).at
        assert need.reviewed_at is not None and need.reviewed_at < proposed
    assert merged > 10
    for project in projects.values():
        stated = proposed_with[project.pk]
        assert stated == set(project.needs.values_list("pk", flat=True))
        if project.in_construction_library and project.plan_year:
            assert project.task is not None, project.code
            assert project.task.year == project.plan_year and project.task.synthetic
        elif not project.in_construction_library:
            assert project.task_id is None
    assert TaskListItem.objects.filter(synthetic=True, year__lt=today.year, progress=100).exists()


def test_a_refusal_for_a_negative_list_use_names_the_rule(demo):
    refused = [p for p in demo_projects() if p.status == S.REJECTED and negative_uses(p)]
    assert refused
    for project in refused:
        step = ProjectStep.objects.get(project=project, kind=K.REJECT)
        assert negative_uses(project)[0].name in step.reason


def test_the_demo_accounts_have_work_in_their_area(demo):
    clerk = User.objects.get(username="village_clerk")
    township = User.objects.select_related("area").get(username="township_manager")
    seen = selectors.project_scope(user=clerk)
    assert seen.exists() and all("500101151200" in p.area_codes for p in seen)
    assert (
        ConstructionNeed.objects.filter(
            area_code="500101151200", status__in=[NeedStatus.DRAFT, NeedStatus.POSTED]
        ).count()
        >= 2
    )
    queue = selectors.projects_led_in(user=township, prefix="500101151")
    assert any(project_can(township, p)["township_review"] for p in queue)
    assert ConstructionNeed.objects.filter(
        area_code__startswith="500101151", status=NeedStatus.SUBMITTED
    ).exists()
    formed = Asset.objects.filter(source_project__isnull=False, area_code__startswith="500101151")
    assert formed.exists()


def snapshot() -> list[tuple[Any, ...]]:
    """What a reader of the libraries sees, without database ids."""
    rows = []
    for project in Project.objects.filter(synthetic=True).order_by("code"):
        steps = [
            (s.kind, s.to_status, s.at, s.actor_id, s.reason)
            for s in project.steps.order_by("at", "id")
        ]
        money = project.funding.aggregate(p=Sum("planned"), a=Sum("actual"))
        assets = sorted(project.formed_assets.values_list("code", "source_share"))
        rows.append(
            (project.code, project.name, project.status, project.geom.wkt if project.geom else "",
             money["p"], money["a"], tuple(steps), tuple(assets), project.needs.count())
        )  # fmt: skip
    return rows


def test_the_same_seed_gives_the_same_projects(db):
    class Undo(Exception):
        pass

    seen = []
    for _ in range(2):
        try:
            with transaction.atomic():
                generate_register(assets=400, seed=7)
                seen.append(snapshot())
                raise Undo
        except Undo:
            pass
    assert seen[0] and seen[0] == seen[1]


def test_the_benchmark_mode_writes_consistent_projects(db):
    before = set(Project.objects.values_list("pk", flat=True))
    assert bulk_load_projects(projects=300, seed=3) == 300
    projects = Project.objects.exclude(pk__in=before)
    assert projects.count() == 300
    assert len({p.status for p in projects}) >= 10
    for project in projects.prefetch_related("steps"):
        taken = sorted(project.steps.all(), key=lambda s: (s.at, s.pk))
        assert taken[0].kind == K.PROPOSE and taken[-1].to_status == project.status
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(taken))
        assert project.geom_3857 is not None
    funded = ProjectFunding.objects.filter(project__in=projects)
    assert funded.filter(planned__gt=0).values("project").distinct().count() == 300
    # The ids were given by the loader: the table's sequence continues after them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('registry_project', 'id'))")
        assert cursor.fetchone()[0] > max(p.pk for p in projects)


def test_a_demo_database_from_before_the_libraries_gets_its_projects_once(
    db, django_assert_num_queries
):
    from registry.demo_projects import fill_demo_projects

    Project.objects.filter(synthetic=True).update(synthetic=False)  # as if there were none
    generate_register(assets=300, seed=5, projects=0)
    assets = Asset.objects.filter(synthetic=True).count()
    assert fill_demo_projects() == assets // 10
    assert Asset.objects.filter(source_project__synthetic=True).exists()
    # Afterwards a start of the server costs one query and changes nothing.
    with django_assert_num_queries(1):
        assert fill_demo_projects() == 0
