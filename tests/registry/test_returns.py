"""Sending work back (退回): a township returns a village's registration with a reason, the
clerk corrects it and it is approved; a plan is sent back and resubmitted; pages say what
happens next; the per-head cash warning follows the configured share."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from registry.choices import Role
from registry.errors import ConflictError
from registry.models import (
    AdminArea,
    Asset,
    DistributionPlan,
    RegistrationReturn,
    User,
)
from registry.services.assets import (
    asset_approve_registration,
    asset_register,
    asset_return_registration,
    asset_update,
)
from registry.services.disposal import disposal_decide, disposal_request
from registry.services.income import (
    distribution_plan_advance,
    distribution_plan_create,
    distribution_plan_return,
    distribution_plan_revise,
    household_cash_share,
    household_cash_warns,
)
from tests.factories import asset_form_data, asset_input

pytestmark = pytest.mark.django_db

REASON = "位置标绘在邻村，请按实际位置重新标绘"


@pytest.fixture
def draft(village_clerk) -> Asset:  # type: ignore[no-untyped-def]
    """A village clerk's registration, waiting for the township."""
    asset = asset_register(actor=village_clerk, data=asset_input(name="向东村待审道路"))
    assert asset.status == "draft"
    return asset


@pytest.fixture
def other_township_approver(db) -> User:  # type: ignore[no-untyped-def]
    """An approver of another township (not 龙驹镇)."""
    township = AdminArea.objects.filter(level="township").exclude(code="500101151000").first()
    return User.objects.create_user("other_township_approver", role=Role.APPROVER, area=township)


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- registrations: services ---------------------------------------------------------------------


def test_a_township_approver_returns_a_draft_with_a_reason_and_history_names_them(
    draft, village_clerk, township_manager
):
    returned = asset_return_registration(actor=township_manager, asset=draft, reason=f"  {REASON} ")
    draft.refresh_from_db()
    assert draft.status == "draft"  # it stays a registration being made
    assert returned.reason == REASON and returned.level == "township"
    assert returned.returned_by == township_manager and returned.author == village_clerk
    assert returned.returned_at is not None and returned.corrected_at is None
    event = returned.events.get()  # type: ignore[attr-defined]
    assert event.pgh_label == "insert" and event.reason == REASON
    assert event.pgh_context.metadata["user"] == township_manager.pk


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_return_needs_a_reason_and_writes_nothing_without_one(draft, township_manager, reason):
    with pytest.raises(ValidationError) as refused:
        asset_return_registration(actor=township_manager, asset=draft, reason=reason)
    assert "请填写退回理由" in refused.value.message_dict["reason"][0]
    assert "Give the reason" in refused.value.message_dict["reason"][0]
    assert not RegistrationReturn.objects.filter(asset=draft).exists()


def test_only_an_approver_of_the_area_at_township_or_county_level_may_return_or_approve(
    draft, village_clerk, planner, county_manager, auditor, other_township_approver
):
    for actor in (village_clerk, planner, county_manager, auditor, other_township_approver):
        with pytest.raises(PermissionDenied):
            asset_return_registration(actor=actor, asset=draft, reason=REASON)
        with pytest.raises(PermissionDenied):
            asset_approve_registration(actor=actor, asset=draft)
    assert not RegistrationReturn.objects.filter(asset=draft).exists()
    assert Asset.objects.get(pk=draft.pk).status == "draft"


def test_a_county_approver_may_return_a_village_registration(draft, county_approver):
    returned = asset_return_registration(actor=county_approver, asset=draft, reason=REASON)
    assert returned.level == "county"


def test_a_returned_then_corrected_registration_is_approved(draft, village_clerk, township_manager):
    first = asset_return_registration(actor=township_manager, asset=draft, reason=REASON)
    with pytest.raises(ValidationError):  # one open return at a time
        asset_return_registration(actor=township_manager, asset=draft, reason="再次退回")
    corrected = asset_update(
        actor=village_clerk,
        asset=draft,
        expected_version=draft.version,
        data=asset_input(name="向东村待审道路（已更正）"),
    )
    assert corrected.status == "draft"  # it waits for approval again
    first.refresh_from_db()
    assert first.corrected_by == village_clerk and first.corrected_at is not None
    # Corrected, it may be returned again (a new record) or approved.
    second = asset_return_registration(actor=township_manager, asset=corrected, reason="面积有误")
    assert second.pk != first.pk
    corrected = asset_update(
        actor=village_clerk, asset=corrected, expected_version=corrected.version,
        data=asset_input(name="向东村待审道路（再更正）"),
    )  # fmt: skip
    approved = asset_approve_registration(actor=township_manager, asset=corrected)
    assert approved.status == "registered"
    reasons = list(draft.registration_returns.order_by("id").values_list("reason", flat=True))
    assert reasons == [REASON, "面积有误"]  # the history of returns is kept
    with pytest.raises(ValidationError):  # no longer waiting
        asset_return_registration(actor=township_manager, asset=approved, reason=REASON)


def test_a_return_cannot_be_deleted(draft, township_manager):
    from django.db import InternalError, transaction

    returned = asset_return_registration(actor=township_manager, asset=draft, reason=REASON)
    rows = RegistrationReturn.objects.filter(pk=returned.pk)
    with pytest.raises(InternalError, match="protect_delete"), transaction.atomic():
        rows._raw_delete(rows.db)


# --- registrations: pages ------------------------------------------------------------------------


def test_the_clerk_reads_what_happens_next_after_registering(client, village_clerk):
    client.force_login(village_clerk)
    response = client.post(reverse("registry:asset_create"), asset_form_data(), follow=True)
    assert "已登记，等待乡镇审核。" in _messages(response)
    page = response.content.decode()
    assert "本登记等待乡镇审核。" in page


def test_a_county_user_reads_the_code_after_registering(client, county_manager):
    client.force_login(county_manager)
    response = client.post(reverse("registry:asset_create"), asset_form_data(), follow=True)
    (message,) = _messages(response)
    code = response.context["asset"].code
    assert message == f"资产已登记，编号 {code}。"


def test_return_correct_approve_through_the_pages(client, draft, village_clerk, township_manager):
    url = reverse("registry:asset_detail", args=[draft.code])
    client.force_login(township_manager)
    page = client.get(url).content.decode()
    assert 'data-testid="return-registration"' in page
    empty = client.post(reverse("registry:asset_return_registration", args=[draft.code]), {})
    assert empty.status_code == 302
    assert any("请填写退回理由" in m for m in _messages(empty))
    returned = client.post(
        reverse("registry:asset_return_registration", args=[draft.code]),
        {"reason": REASON},
        follow=True,
    )
    assert "已附理由退回登记人，等待其更正。" in _messages(returned)
    # The author (and anyone who sees the asset) reads the reason on the asset page.
    client.force_login(village_clerk)
    page = client.get(url).content.decode()
    assert REASON in page and "已被乡镇（街道）退回更正" in page
    timeline = page.split('data-testid="timeline"')[1]
    assert "登记退回记录" in timeline and "龙驹镇资产管理员" in timeline  # who returned it
    edit = client.post(
        reverse("registry:asset_edit", args=[draft.code]),
        asset_form_data(draft, name="向东村待审道路（已更正）"),
        follow=True,
    )
    assert "已保存，等待乡镇审核。" in _messages(edit)
    page = edit.content.decode()
    assert 'data-testid="return-corrected"' in page and "重新等待乡镇审核" in page
    client.force_login(township_manager)
    approved = client.post(
        reverse("registry:asset_approve_registration", args=[draft.code]), follow=True
    )
    assert "登记已审核通过，资产正式登记在册。" in _messages(approved)
    assert 'data-testid="registration-review"' not in approved.content.decode()


def test_a_reader_cannot_return_a_registration(client, draft, planner):
    client.force_login(planner)
    response = client.post(
        reverse("registry:asset_return_registration", args=[draft.code]), {"reason": REASON}
    )
    assert response.status_code == 403
    assert not draft.registration_returns.exists()


# --- distribution plans --------------------------------------------------------------------------


def _plan(actor: User, asset: Asset) -> DistributionPlan:
    return distribution_plan_create(
        actor=actor, asset=asset, year=2025, total=Decimal(1000),
        lines={"welfare_posts": Decimal(600), "households": Decimal(400)},
    )  # fmt: skip


def test_a_plan_sent_back_is_revised_and_resubmitted(
    pv_station, village_clerk, township_manager, county_approver
):
    plan = _plan(village_clerk, pv_station)
    with pytest.raises(ValidationError):  # a draft is not under review: nothing to send back
        distribution_plan_return(
            actor=township_manager, plan=plan, expected_version=plan.version, reason="理由"
        )
    plan = distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=plan.version, resolution="村民代表大会决议"
    )
    for actor in (village_clerk, county_approver):  # not the level that reviews it now
        with pytest.raises(PermissionDenied):
            distribution_plan_return(
                actor=actor, plan=plan, expected_version=plan.version, reason="理由"
            )
    with pytest.raises(ValidationError):
        distribution_plan_return(
            actor=township_manager, plan=plan, expected_version=plan.version, reason=" "
        )
    returned = distribution_plan_return(
        actor=township_manager, plan=plan, expected_version=plan.version,
        reason="到户现金比例过高，请调整为公益岗位",
    )  # fmt: skip
    assert (returned.level, returned.from_status) == ("township", "village_resolved")
    assert returned.events.get().pgh_context.metadata["user"] == township_manager.pk  # type: ignore[attr-defined]
    plan = DistributionPlan.objects.get(pk=plan.pk)
    assert plan.status == "rejected"
    with pytest.raises(ConflictError):  # a stale revision is refused
        distribution_plan_revise(
            actor=village_clerk, plan=plan, expected_version=plan.version - 1,
            total=Decimal(1000), lines={"welfare_posts": Decimal(1000)},
        )  # fmt: skip
    plan = distribution_plan_revise(
        actor=village_clerk, plan=plan, expected_version=plan.version, total=Decimal(1200),
        lines={"welfare_posts": Decimal(900), "upkeep": Decimal(300)},
        resolution="村民代表大会决议",
    )  # fmt: skip
    assert plan.status == "draft" and plan.total == Decimal(1200)
    lines = dict(plan.lines.values_list("use", "amount"))
    assert lines == {"welfare_posts": 900, "households": 0, "upkeep": 300}
    plan = distribution_plan_advance(actor=village_clerk, plan=plan, expected_version=plan.version)
    plan = distribution_plan_advance(
        actor=township_manager, plan=plan, expected_version=plan.version
    )
    # The county sends it back too; the village resolves it again without changing it.
    distribution_plan_return(
        actor=county_approver, plan=plan, expected_version=plan.version, reason="决议日期缺失"
    )
    plan = DistributionPlan.objects.get(pk=plan.pk)
    with pytest.raises(PermissionDenied):  # the village's step, not the township's
        distribution_plan_advance(actor=township_manager, plan=plan, expected_version=plan.version)
    plan = distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=plan.version,
        resolution="2026年1月5日村民代表大会决议",
    )  # fmt: skip
    assert plan.status == "village_resolved"
    assert list(plan.returns.values_list("level", flat=True)) == ["county", "township"]


def test_only_draft_or_sent_back_plans_are_revised(pv_station, village_clerk, planner):
    plan = _plan(village_clerk, pv_station)
    with pytest.raises(PermissionDenied):
        distribution_plan_revise(
            actor=planner, plan=plan, expected_version=plan.version, total=Decimal(1000),
            lines={"welfare_posts": Decimal(1000)},
        )  # fmt: skip
    with pytest.raises(ValidationError):  # lines must still add up
        distribution_plan_revise(
            actor=village_clerk, plan=plan, expected_version=plan.version, total=Decimal(1000),
            lines={"welfare_posts": Decimal(10)},
        )  # fmt: skip
    plan = distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=plan.version, resolution="决议"
    )
    with pytest.raises(ValidationError):
        distribution_plan_revise(
            actor=village_clerk, plan=plan, expected_version=plan.version, total=Decimal(1000),
            lines={"welfare_posts": Decimal(1000)},
        )  # fmt: skip


def test_the_asset_page_says_who_acts_next_and_the_reason_a_plan_was_sent_back(
    client, pv_station, village_clerk, township_manager
):
    plan = _plan(village_clerk, pv_station)
    url = reverse("registry:asset_detail", args=[pv_station.code])
    client.force_login(village_clerk)
    page = client.get(url).content.decode()
    assert "下一步：村级作出决议（村民代表会议决议），再由乡镇审核、县级备案。" in page
    distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=plan.version, resolution="决议"
    )
    client.force_login(township_manager)
    page = client.get(url).content.decode()
    assert "下一步：乡镇审核，再报县级备案。" in page and 'data-testid="plan-return"' in page
    plan.refresh_from_db()
    response = client.post(
        reverse("registry:plan_return", args=[pv_station.code, plan.pk]),
        {"version": plan.version, "reason": "请补充公益岗位名单"},
        follow=True,
    )
    assert "方案已附理由退回村级。" in _messages(response)
    client.force_login(village_clerk)
    page = client.get(url).content.decode()
    assert "由乡镇（街道）退回" in page and "请补充公益岗位名单" in page
    assert 'data-testid="plan-revise"' in page
    revise = client.get(reverse("registry:plan_revise", args=[pv_station.code, plan.pk]))
    assert revise.status_code == 200 and "请补充公益岗位名单" in revise.content.decode()
    # Only the level that reviews the plan may send it back: the clerk is refused.
    plan.refresh_from_db()
    refused = client.post(
        reverse("registry:plan_return", args=[pv_station.code, plan.pk]),
        {"version": plan.version, "reason": "x"},
    )
    assert refused.status_code == 403


def test_a_plan_revised_through_its_page_becomes_a_draft_again(
    client, pv_station, village_clerk, township_manager
):
    plan = _plan(village_clerk, pv_station)
    plan = distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=plan.version, resolution="决议"
    )
    distribution_plan_return(
        actor=township_manager, plan=plan, expected_version=plan.version, reason="调整"
    )
    plan.refresh_from_db()
    client.force_login(village_clerk)
    url = reverse("registry:plan_revise", args=[pv_station.code, plan.pk])
    data = {"year": "2030", "total": "1000", "resolution": "决议", "version": plan.version,
            "line_welfare_posts": "700", "line_upkeep": "300"}  # fmt: skip
    response = client.post(url, data, follow=True)
    assert "方案已修改。下一步：村级重新作出决议，再次报乡镇审核。" in _messages(response)
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.year == 2025  # the year of a plan stays
    # A plan under review is not revised: back to the asset with the reason.
    plan = distribution_plan_advance(actor=village_clerk, plan=plan, expected_version=plan.version)
    response = client.get(url, follow=True)
    assert "只有草稿或已退回的方案可以修改。" in _messages(response)


# --- the per-head cash warning -------------------------------------------------------------------


def test_the_cash_share_warns_above_the_configured_threshold(settings):
    lines = {"welfare_posts": Decimal(600), "households": Decimal(400)}
    assert household_cash_share(lines) == Decimal("40.0")
    assert household_cash_warns(lines)  # default 30 %
    settings.HOUSEHOLD_CASH_WARN_PERCENT = 50
    assert not household_cash_warns(lines)
    assert household_cash_warns({"households": Decimal(1)})
    assert not household_cash_warns({"welfare_posts": Decimal(1)})
    assert household_cash_share({}) == 0


def test_the_plan_form_warns_live_and_the_saved_plan_warns_on_the_asset_page(
    client, pv_station, village_clerk
):
    client.force_login(village_clerk)
    url = reverse("registry:distribution_plan", args=[pv_station.code])
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["cash_check"]["limit"] == 30.0
    page = form.content.decode()
    assert 'id="cash-check"' in page and "registry/distribution_plan.js" in page
    assert 'data-use="households"' in page
    data = {"year": "2025", "total": "1000", "resolution": "",
            "line_welfare_posts": "600", "line_households": "400"}  # fmt: skip
    response = client.post(url, data, follow=True)
    messages = _messages(response)
    assert "本方案直接以现金发放到户的资金占 40%，超过本县预警比例 30%。" in messages
    assert any(m.startswith("收益分配方案已起草。下一步") for m in messages)
    page = response.content.decode()
    assert 'data-testid="plan-cash-warning"' in page and "占 40%" in page


def test_a_disposal_card_names_the_level_it_waits_for_by_its_label(
    client, pv_station, county_manager, township_manager
):
    request = disposal_request(
        actor=county_manager, asset=pv_station, reason="planning", method="transfer",
        book_value=Decimal(800000), explanation="规划调整",
    )  # fmt: skip
    url = reverse("registry:asset_detail", args=[pv_station.code])
    client.force_login(county_manager)
    assert _waiting(client.get(url)) == "等待审批层级： 乡镇（街道）"  # not "township"
    disposal_decide(actor=township_manager, request=request, approved=True)
    client.force_login(township_manager)
    assert _waiting(client.get(url)) == "等待审批层级： 县（区）"


def _waiting(response) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'data-testid="disposal-waiting">(.*?)</p>', response.content.decode())
    assert found is not None
    return found.group(1)


def test_a_rejected_disposal_shows_its_reason(client, pv_station, county_manager, township_manager):
    request = disposal_request(
        actor=county_manager, asset=pv_station, reason="planning", method="transfer",
        book_value=Decimal(1000), explanation="规划调整",
    )  # fmt: skip
    client.force_login(township_manager)
    response = client.post(
        reverse("registry:disposal_decide", args=[pv_station.code, request.pk]),
        {"approved": "0", "comment": "仍在正常发电，不同意处置"},
        follow=True,
    )
    assert "已附意见驳回，资产继续使用。" in _messages(response)
    page = response.content.decode()
    assert 'data-testid="disposal-reject-reason"' in page and "仍在正常发电，不同意处置" in page
