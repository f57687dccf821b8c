"""Issue 19: villages' needs, the county's project library and the assets each project forms
(registry/services/projects.py): the lifecycle, the fund rules, the handover, the scope."""

import datetime
from decimal import Decimal

import pghistory.models
import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError

from registry import selectors
from registry.models import (
    AdminArea,
    Asset,
    AssetFunding,
    ConstructionNeed,
    FundUse,
    Party,
    Project,
    ProjectStep,
    User,
)
from registry.services import projects as P
from tests.factories import collective, village

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
XIANGDONG, YUHE = "500101151200", "500101151201"  # two villages of 龙驹镇
OTHER_TOWNSHIP_VILLAGE = "500101139201"  # 新农村, 甘宁镇


def days(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def place(code: str = XIANGDONG, dx: float = 0.001) -> Point:
    area = AdminArea.objects.get(code=code)
    return Point(area.point.x + dx, area.point.y, srid=4490)


def need(clerk: User, **values: object) -> ConstructionNeed:
    data = {
        "title": "三组通组公路硬化",
        "category": "rural_road",
        "horizon_from": TODAY.year,
        "horizon_to": TODAY.year + 2,
        "meeting_kind": "representatives",
        "meeting_on": days(20),
        "meeting_attendance": 35,
        "geom": place(),
    }
    data.update(values)
    return P.need_create(actor=clerk, area=village(), values=data)


def accepted_need(clerk: User, township: User, **values: object) -> ConstructionNeed:
    item = need(clerk, **values)
    item = P.need_post(actor=clerk, need=item, posted_from=days(15), posted_to=days(8))
    item = P.need_submit(actor=clerk, need=item)
    return P.need_review(
        actor=township, need=item, genuine=True, necessary=True, feasible=True, accept=True
    )


def project_input(area: AdminArea | None = None, **values: object) -> P.ProjectInput:
    data: dict[str, object] = {
        "name": "向东村三组通组公路硬化",
        "year": TODAY.year,
        "category": "construction",
        "in_construction_library": True,
        "in_bridging_library": True,
        "fund_direction": FundUse.objects.get(code="small_infrastructure"),
        "fund_uses": ["small_infrastructure"],
        "geom": place(),
        "beneficiary_households": 40,
        "beneficiary_persons": 130,
    }
    funding = values.pop(
        "funding", {"central_bridging": Decimal("300000"), "county": Decimal("50000")}
    )
    data.update(values)
    return P.ProjectInput(
        values=data,
        area=area or village(),
        funding=funding,  # type: ignore[arg-type]
        targets=[
            P.Target("output", "硬化里程", "≥2.5", "公里"),
            P.Target("satisfaction", "受益群众满意度", "≥90", "%"),
        ],
    )


def in_library(project: Project, township: User, county: User) -> Project:
    project = P.project_township_review(
        actor=township, project=project, approve=True, checks=dict.fromkeys(P.TOWNSHIP_CHECKS, True)
    )
    project = P.project_appraise(
        actor=county, project=project, approve=True, checks=dict.fromkeys(P.COUNTY_CHECKS, True)
    )
    return P.project_approve(actor=county, project=project)


def accepted(project: Project, township: User, county: User, actual: dict) -> Project:
    project = in_library(project, township, county)
    project = P.project_plan(actor=county, project=project, year=TODAY.year)
    project = P.project_start(actor=county, project=project, started_on=days(30), tender="中标")
    project = P.project_complete(actor=county, project=project, completed_on=days(5), actual=actual)
    return P.project_accept(actor=county, project=project, accepted_on=days(2))


# --- needs ---------------------------------------------------------------------------------------


def test_a_need_goes_from_the_village_meeting_to_the_townships_review(
    village_clerk, township_manager
):
    item = need(village_clerk)
    assert item.status == "draft" and item.area_code == XIANGDONG
    with pytest.raises(ValidationError):  # not posted yet
        P.need_submit(actor=village_clerk, need=item)
    posted = P.need_post(
        actor=village_clerk,
        need=item,
        posted_from=days(10),
        posted_to=TODAY + datetime.timedelta(days=3),
    )
    with pytest.raises(ValidationError) as caught:  # the posting runs on
        P.need_submit(actor=village_clerk, need=posted)
    assert "posting runs until" in str(caught.value)
    ConstructionNeed.objects.filter(pk=item.pk).update(posted_to=days(1))
    submitted = P.need_submit(actor=village_clerk, need=posted)
    assert submitted.status == "submitted"
    with pytest.raises(PermissionDenied):  # the village does not review its own needs
        P.need_review(
            actor=village_clerk,
            need=submitted,
            genuine=True,
            necessary=True,
            feasible=True,
            accept=True,
        )
    with pytest.raises(ValidationError) as caught:
        P.need_review(
            actor=township_manager,
            need=submitted,
            genuine=True,
            necessary=False,
            feasible=True,
            accept=False,
        )
    assert "review_note" in caught.value.message_dict  # a refusal says why
    refused = P.need_review(
        actor=township_manager,
        need=submitted,
        genuine=True,
        necessary=False,
        feasible=True,
        accept=False,
        note="与已建道路重复",
    )
    assert (refused.status, refused.reviewed_by) == ("rejected", township_manager)


def test_a_village_plans_at_most_five_years_ahead_and_a_meeting_cannot_be_tomorrow(village_clerk):
    with pytest.raises(ValidationError) as caught:
        need(village_clerk, horizon_to=TODAY.year + 5)
    assert "horizon_to" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        need(village_clerk, meeting_on=TODAY + datetime.timedelta(days=1))
    assert "meeting_on" in caught.value.message_dict


# --- the library ---------------------------------------------------------------------------------


def test_a_township_merges_needs_into_a_proposal_with_a_code_never_reused(
    village_clerk, township_manager, county_approver
):
    first = accepted_need(village_clerk, township_manager)
    second = accepted_need(village_clerk, township_manager, title="三组路灯")
    project = P.project_propose(actor=township_manager, data=project_input(), needs=[first, second])
    assert project.code == f"500101{TODAY.year}0001" and project.status == "proposed"
    assert set(
        ConstructionNeed.objects.filter(project=project).values_list("status", flat=True)
    ) == {"merged"}
    step = project.steps.get()
    assert (step.kind, step.actor, step.to_status) == ("propose", township_manager, "proposed")
    # A withdrawn project keeps its code: the next proposal gets the next one.
    project = in_library(project, township_manager, county_approver)
    P.project_withdraw(actor=county_approver, project=project, reason="并入县级统筹项目")
    # ... and gives its needs back to the township, which may propose them again.
    assert set(
        ConstructionNeed.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", "project"
        )
    ) == {("accepted", None)}
    assert sorted(project.steps.get(kind="withdraw").details["released_needs"]) == sorted(
        [first.pk, second.pk]
    )
    first.refresh_from_db()
    again = P.project_propose(
        actor=township_manager, data=project_input(name="另一项目"), needs=[first]
    )
    assert again.code == f"500101{TODAY.year}0002"
    refused = P.project_township_review(
        actor=township_manager, project=again, approve=False, checks={}, reason="重复建设"
    )
    assert refused.status == "rejected"
    first.refresh_from_db()
    assert (first.status, first.project_id) == ("accepted", None)
    with pytest.raises(PermissionDenied):  # a village sends needs up; it does not propose
        P.project_propose(actor=village_clerk, data=project_input())


def test_a_negative_list_use_of_bridging_funds_is_stopped_at_review_with_the_rule_named(
    township_manager, county_approver
):
    project = P.project_propose(
        actor=township_manager,
        data=project_input(name="村委会办公楼改造", fund_uses=["office_buildings"]),
    )
    with pytest.raises(ValidationError) as caught:
        P.project_township_review(
            actor=township_manager,
            project=project,
            approve=True,
            checks=dict.fromkeys(P.TOWNSHIP_CHECKS, True),
        )
    message = caught.value.message_dict["fund_uses"][0]
    assert "修建楼堂馆所及党政机关办公用房" in message and "财农〔2021〕19号" in message
    assert Project.objects.get(pk=project.pk).status == "proposed"
    # Paid without bridging funds, the same use is not the bridging funds' rule.
    county_only = P.project_propose(
        actor=township_manager,
        data=project_input(
            name="村委会办公楼改造（县级资金）",
            fund_uses=["office_buildings"],
            funding={"county": Decimal("80000")},
        ),
    )
    assert P.negative_uses(county_only) == []


def test_bridging_money_recorded_at_completion_meets_the_negative_list_too(
    township_manager, county_approver
):
    """Planned from county funds, the office works pass review; their completion may not then
    book the cost to bridging funds."""
    project = in_library(
        P.project_propose(
            actor=township_manager,
            data=project_input(
                name="村委会办公楼改造（县级资金）",
                fund_uses=["office_buildings"],
                funding={"county": Decimal("80000")},
            ),
        ),
        township_manager,
        county_approver,
    )
    project = P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    project = P.project_start(
        actor=county_approver, project=project, started_on=days(30), tender="中标"
    )
    with pytest.raises(ValidationError) as caught:
        P.project_complete(
            actor=county_approver,
            project=project,
            completed_on=days(5),
            actual={"county": Decimal("30000"), "central_bridging": Decimal("50000")},
        )
    message = caught.value.message_dict["actual"][0]
    assert "修建楼堂馆所及党政机关办公用房" in message and "另一资金来源" in message
    project.refresh_from_db()
    assert project.status == "in_progress"  # nothing written: no step, no actual amounts
    assert not project.funding.filter(actual__isnull=False).exists()
    assert not project.steps.filter(kind="complete").exists()
    done = P.project_complete(
        actor=county_approver,
        project=project,
        completed_on=days(5),
        actual={"county": Decimal("80000")},
    )
    assert done.status == "completed"


def test_a_project_before_the_first_rules_meets_the_first_rules(township_manager):
    """The national rows start in 2021; a 2020 library entry is not free of the negative list."""
    project = P.project_propose(
        actor=township_manager,
        data=project_input(name="村委会办公楼改造", year=2020, fund_uses=["office_buildings"]),
    )
    assert [u.code for u in P.negative_uses(project)] == ["office_buildings"]


def test_only_a_library_project_enters_the_years_plan(township_manager, county_approver):
    project = P.project_propose(actor=township_manager, data=project_input())
    with pytest.raises(ValidationError) as caught:
        P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    assert "Only a project in the library" in str(caught.value)
    project = in_library(project, township_manager, county_approver)
    planned = P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    assert (planned.status, planned.plan_year) == ("planned", TODAY.year)


def test_the_years_industry_share_of_central_bridging_funds(township_manager, county_approver):
    """Hand-computed: industry 300,000 of 300,000 + 200,000 central bridging yuan = 60.0 %;
    county funds and unplanned projects do not count."""
    industry = P.project_propose(
        actor=township_manager,
        data=project_input(
            name="向东村柑橘基地",
            category="industry",
            fund_direction=FundUse.objects.get(code="specialty_industry"),
            fund_uses=["specialty_industry"],
            funding={"central_bridging": Decimal("300000"), "county": Decimal("999999")},
        ),
    )
    road = P.project_propose(
        actor=township_manager,
        data=project_input(funding={"central_bridging": Decimal("200000")}),
    )
    waiting = P.project_propose(
        actor=township_manager,
        data=project_input(
            name="未列入计划的产业项目",
            category="industry",
            funding={"central_bridging": Decimal("700000")},
        ),
    )
    for project in (industry, road, waiting):
        project = in_library(project, township_manager, county_approver)
        if project.pk != waiting.pk:
            P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    share = selectors.industry_share(county_code="500101", year=TODAY.year)
    assert (share["industry"], share["total"], share["share"]) == (
        Decimal("300000"),
        Decimal("500000"),
        Decimal("60.0"),
    )


def test_the_township_corrects_its_proposal_and_the_village_may_not(
    township_manager, village_clerk
):
    project = P.project_propose(actor=township_manager, data=project_input())
    assert project.area_code == XIANGDONG  # led from the clerk's own village
    assert not P.project_can(village_clerk, project)["edit"]
    with pytest.raises(PermissionDenied, match="由乡镇申报项目"):
        P.project_update(
            actor=village_clerk,
            project=project,
            expected_version=project.version,
            data=project_input(name="村里改的名字"),
        )
    assert P.project_can(township_manager, project)["edit"]
    corrected = P.project_update(
        actor=township_manager,
        project=project,
        expected_version=project.version,
        data=project_input(name="向东村通组路硬化（修正）"),
    )
    project.refresh_from_db()
    assert corrected.name == project.name == "向东村通组路硬化（修正）"


def test_an_approved_project_changes_only_through_a_recorded_adjustment(
    township_manager, county_approver
):
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    with pytest.raises(ValidationError):
        P.project_update(
            actor=township_manager,
            project=project,
            expected_version=project.version,
            data=project_input(name="改名"),
        )
    target = project.targets.get(indicator="硬化里程")
    adjusted = P.project_adjust(
        actor=county_approver,
        project=project,
        expected_version=project.version,
        reason="设计变更：延长至四组",
        values={"scale": "3.2公里"},
        planned={"central_bridging": Decimal("380000")},
        targets={target.pk: "≥3.2"},
    )
    step = adjusted.steps.get(kind="adjust")
    assert step.reason == "设计变更：延长至四组"
    assert step.details["before"]["funding:central_bridging"] == "300000.00"
    assert step.details["after"] == {
        "scale": "3.2公里",
        "funding:central_bridging": "380000",
        "target:硬化里程": "≥3.2",
    }
    assert adjusted.status == "in_library"
    # An adjustment cannot bring in a use the review would have stopped: refused, nothing kept.
    with pytest.raises(ValidationError) as caught:
        P.project_adjust(
            actor=county_approver,
            project=adjusted,
            expected_version=adjusted.version,
            reason="改建村委办公楼",
            values={"fund_uses": ["office_buildings"]},
        )
    assert "修建楼堂馆所及党政机关办公用房" in str(caught.value)
    adjusted.refresh_from_db()
    assert adjusted.fund_uses != ["office_buildings"]
    assert adjusted.steps.filter(kind="adjust").count() == 1


def test_a_project_the_year_did_not_fund_carries_over_with_its_code(
    township_manager, county_approver
):
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    carried = P.project_carry_over(actor=county_approver, project=project, reason="资金未落实")
    assert (carried.code, carried.year, carried.status) == (
        project.code,
        TODAY.year + 1,
        "in_library",
    )


# --- the handover ------------------------------------------------------------------------------


def hand_over_parts(owner: Party) -> list[P.HandoverPart]:
    return [
        P.HandoverPart(
            "向东村三组通组公路",
            "public",
            "road",
            Decimal("2.5"),
            "公里",
            owner,
            Decimal("66.6667"),
        ),
        P.HandoverPart(
            "向东村三组公路桥涵", "public", "bridge", Decimal("1"), "座", owner, Decimal("33.3333")
        ),
    ]


def test_the_handover_splits_the_actual_investment_exactly_and_links_both_ways(
    township_manager, county_approver
):
    # Two sources that each leave a fen over: every source and every asset must still add up.
    actual = {"central_bridging": Decimal("290000.01"), "county": Decimal("50000.01")}
    project = accepted(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
        actual,
    )
    owner = collective()
    assets = P.project_hand_over(
        actor=county_approver, project=project, handed_on=TODAY, parts=hand_over_parts(owner)
    )
    assert sum(a.original_value for a in assets) == Decimal("340000.02")
    for source, amount in actual.items():
        lines = AssetFunding.objects.filter(asset__in=assets, source__code=source)
        assert sum(line.amount for line in lines) == amount, source
    for asset in assets:  # each asset is worth exactly its own funding lines
        own = AssetFunding.objects.filter(asset=asset)
        assert sum(line.amount for line in own) == asset.original_value, asset.name
    for asset in Asset.objects.filter(pk__in=[a.pk for a in assets]):
        assert asset.source_project_id == project.pk and asset.status == "confirmed"
    listed = selectors.asset_list(user=county_approver).filter(source_project=project)
    assert {a.owner_names for a in listed} == {owner.name}
    project.refresh_from_db()
    assert project.status == "handed_over"
    step = project.steps.get(kind="hand_over")
    assert step.details["assets"] == [a.code for a in assets] and step.actor == county_approver
    # History attributes every row the handover wrote to the acting user. (Inside a test
    # transaction now() is constant, so the rows are picked by identity, not by time.)
    asset_ids = [str(a.pk) for a in assets]
    written = {
        "registry.Asset": asset_ids,
        "registry.AssetFunding": [
            str(pk)
            for pk in AssetFunding.objects.filter(asset__in=assets).values_list("pk", flat=True)
        ],
        "registry.ProjectStep": [str(step.pk)],
    }
    users = set()
    for model, ids in written.items():
        events = pghistory.models.Events.objects.filter(pgh_obj_model=model, pgh_obj_id__in=ids)
        assert events.exists(), model
        users |= {(e.pgh_context or {}).get("user") for e in events}
    assert users == {county_approver.pk}, users


def test_a_handover_that_fails_part_way_leaves_no_asset_and_no_step(
    township_manager, county_approver
):
    project = accepted(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
        {"central_bridging": Decimal("300000")},
    )
    parts = hand_over_parts(collective())
    parts[1].geom = place(OTHER_TOWNSHIP_VILLAGE)  # the second part lies in another township
    before = (Asset.objects.count(), ProjectStep.objects.count())
    with pytest.raises(ValidationError) as caught:
        P.project_hand_over(actor=county_approver, project=project, handed_on=TODAY, parts=parts)
    assert "Part 2" in str(caught.value)
    assert (Asset.objects.count(), ProjectStep.objects.count()) == before
    assert Project.objects.get(pk=project.pk).status == "accepted"
    bad_shares = hand_over_parts(collective())
    bad_shares[0].share = Decimal("50")
    with pytest.raises(ValidationError) as caught:
        P.project_hand_over(
            actor=county_approver, project=project, handed_on=TODAY, parts=bad_shares
        )
    assert "add up to 100" in str(caught.value)


def test_split_hands_out_every_fen():
    parts = P.split(
        Decimal("100.00"), [Decimal(1) / 3 * 100, Decimal(1) / 3 * 100, Decimal(1) / 3 * 100]
    )
    assert sum(parts) == Decimal("100.00") and max(parts) - min(parts) == Decimal("0.01")


def test_an_assets_trace_takes_three_queries_whatever_the_projects_size(
    township_manager, county_approver, django_assert_num_queries
):
    project = accepted(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
        {"central_bridging": Decimal("300000"), "county": Decimal("1")},
    )
    for i in range(5):  # a long record: adjustments add steps
        ProjectStep.objects.create(
            project=project,
            kind="adjust",
            to_status=project.status,
            reason=f"调整{i}",
            actor=county_approver,
        )
    asset = P.project_hand_over(
        actor=county_approver, project=project, handed_on=TODAY, parts=hand_over_parts(collective())
    )[0]
    asset = Asset.objects.get(pk=asset.pk)
    with django_assert_num_queries(3):
        trace = selectors.asset_trace(asset=asset)
        assert trace is not None
        assert len(trace["steps"]) >= 12 and len(trace["funding"]) == 2
        assert trace["actual_total"] == Decimal("300001")


# --- scope ----------------------------------------------------------------------------------------


def test_the_village_clerk_sees_their_villages_needs_and_the_projects_touching_it(
    village_clerk, township_manager, county_manager
):
    mine = need(village_clerk)
    other = P.need_create(
        actor=county_manager,
        area=village(YUHE),
        values={
            "title": "玉合村供水",
            "category": "water",
            "horizon_from": TODAY.year,
            "horizon_to": TODAY.year,
        },
    )
    assert list(selectors.need_list(user=village_clerk)) == [mine]
    assert set(selectors.need_list(user=township_manager)) == {mine, other}
    touching = P.project_propose(
        actor=township_manager,
        data=P.ProjectInput(
            **{**project_input(area=village(YUHE)).__dict__, "other_areas": [village(XIANGDONG)]}
        ),
    )
    yuhe_only = P.project_propose(actor=township_manager, data=project_input(area=village(YUHE)))
    elsewhere = P.project_propose(
        actor=county_manager,
        data=project_input(
            area=village(OTHER_TOWNSHIP_VILLAGE), geom=place(OTHER_TOWNSHIP_VILLAGE)
        ),
    )
    seen = set(selectors.project_scope(user=village_clerk))
    assert touching in seen and yuhe_only not in seen and elsewhere not in seen
    assert selectors.project_get(user=village_clerk, code=elsewhere.code) is None
    assert set(selectors.project_scope(user=township_manager)) >= {touching, yuhe_only}
    assert elsewhere not in set(selectors.project_scope(user=township_manager))


def test_the_township_approver_reviews_only_their_townships_projects_and_needs(
    township_manager, county_manager, county_approver
):
    elsewhere = P.project_propose(
        actor=county_manager,
        data=project_input(
            area=village(OTHER_TOWNSHIP_VILLAGE), geom=place(OTHER_TOWNSHIP_VILLAGE)
        ),
    )
    with pytest.raises(PermissionDenied):
        P.project_township_review(
            actor=township_manager,
            project=elsewhere,
            approve=True,
            checks=dict.fromkeys(P.TOWNSHIP_CHECKS, True),
        )
    with pytest.raises(PermissionDenied):  # the county's steps are the county's
        P.project_appraise(
            actor=township_manager,
            project=elsewhere,
            approve=True,
            checks=dict.fromkeys(P.COUNTY_CHECKS, True),
        )
    assert P.project_can(township_manager, elsewhere)["township_review"] is False
    other_need = P.need_create(
        actor=county_manager,
        area=village(OTHER_TOWNSHIP_VILLAGE),
        values={
            "title": "新农村供水",
            "category": "water",
            "horizon_from": TODAY.year,
            "horizon_to": TODAY.year,
        },
    )
    ConstructionNeed.objects.filter(pk=other_need.pk).update(status="submitted")
    other_need.refresh_from_db()
    assert P.need_can_review(actor=township_manager, need=other_need) is False
    assert county_approver  # the county approver reviews county-led projects (see services)


@pytest.mark.parametrize(
    "values,field",
    [
        ({"year": 10000}, "year"),
        ({"year": 0}, "year"),
        ({"year": 2012}, "year"),
        ({"period_start": datetime.date(1, 1, 1)}, "period_start"),
        ({"period_end": datetime.date(9999, 12, 31)}, "period_end"),
    ],
)
def test_a_year_or_date_off_the_calendar_is_a_field_error(township_manager, values, field):
    """A year of 10000 made a 15-digit code (a 500); a date in year 1 an Excel cell no
    spreadsheet reads back."""
    before = Project.objects.count()
    with pytest.raises(ValidationError) as caught:
        P.project_propose(actor=township_manager, data=project_input(**values))
    assert "2013" in caught.value.message_dict[field][0]
    assert Project.objects.count() == before


def test_a_step_dated_before_2013_is_refused(township_manager, county_approver):
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    project = P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    with pytest.raises(ValidationError) as caught:
        P.project_start(
            actor=county_approver, project=project, started_on=datetime.date(1, 1, 1), tender="x"
        )
    assert "2013" in caught.value.message_dict["started_on"][0]


def test_a_need_for_year_10000_or_met_in_year_1_is_refused(village_clerk):
    with pytest.raises(ValidationError) as caught:
        need(village_clerk, horizon_from=10000, horizon_to=10000)
    assert "2013" in caught.value.message_dict["horizon_from"][0]
    with pytest.raises(ValidationError) as caught:
        need(village_clerk, meeting_on=datetime.date(1, 1, 1))
    assert "2013" in caught.value.message_dict["meeting_on"][0]


def test_a_previewed_import_takes_no_lock_on_the_years_codes(db):
    """Proposals of the year must not wait while a big library file is being checked: the
    preview's codes are provisional and lock nothing; a real proposal's code locks its year."""
    from django.db import connection, transaction

    def advisory_locks() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    with transaction.atomic():
        with P.provisional_codes():
            provisional = P.ProjectCodes().code("500101", TODAY.year)
        assert advisory_locks() == 0
        assert P.ProjectCodes().code("500101", TODAY.year) == provisional
        assert advisory_locks() == 1


def test_a_place_in_new_york_is_refused_with_the_position_named(township_manager, village_clerk):
    with pytest.raises(ValidationError) as caught:
        P.project_propose(
            actor=township_manager, data=project_input(geom=Point(-70, 40, srid=4490))
        )
    assert "-70.000000, 40.000000" in caught.value.message_dict["geom"][0]
    with pytest.raises(ValidationError) as caught:
        need(village_clerk, geom=Point(2.35, 48.85, srid=4490))
    assert "2.350000, 48.850000" in caught.value.message_dict["geom"][0]


def test_an_actual_cost_ten_times_the_plan_must_be_confirmed(township_manager, county_approver):
    """Typed in 元 where 万元 was meant (or a key held down), the cost would value the assets."""
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    project = P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    project = P.project_start(
        actor=county_approver, project=project, started_on=days(30), tender="中标"
    )
    slip = {"central_bridging": Decimal("99999999999999.99")}
    with pytest.raises(ValidationError) as caught:
        P.project_complete(
            actor=county_approver, project=project, completed_on=days(5), actual=slip
        )
    assert "99,999,999,999,999.99" in caught.value.message_dict["confirm_cost"][0]
    assert not project.funding.filter(actual__isnull=False).exists()
    confirmed = P.project_complete(
        actor=county_approver,
        project=project,
        completed_on=days(5),
        actual={"central_bridging": Decimal("120000000")},  # a large works, really so costly
        confirm_cost=True,
    )
    assert confirmed.status == "completed"
