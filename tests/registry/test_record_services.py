"""Ownership, maintenance, income, disposal and notices: each rule the issue names."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.models import (
    Asset,
    Attachment,
    DistributionPlan,
    MaintenanceLog,
    OwnershipRecord,
    Party,
)
from registry.selectors import asset_list
from registry.services.disposal import disposal_complete, disposal_decide, disposal_request
from registry.services.income import (
    distribution_plan_advance,
    distribution_plan_create,
    income_record_add,
)
from registry.services.maintenance import maintenance_assign, maintenance_log_add
from registry.services.ownership import asset_hand_over, ownership_confirm
from tests.factories import collective, village

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
TODAY = datetime.date.today()


def owners_of(asset: Asset, user) -> str:
    return asset_list(user=user).get(pk=asset.pk).owner_names


def test_shares_must_add_up_to_100(road, village_clerk):
    other = collective(village("500101151201"), "玉合村股份经济合作联合社")
    with pytest.raises(ValidationError) as caught:
        ownership_confirm(
            actor=village_clerk, asset=road, effective_on=TODAY, basis="确权登记表",
            shares=[(collective(), Decimal(60)), (other, Decimal(30))],
        )  # fmt: skip
    assert "90" in caught.value.message_dict["shares"][0]
    assert not OwnershipRecord.objects.filter(asset=road).exists()


def test_the_parties_a_service_accepts_are_the_ones_the_picker_offers(road, township_manager):
    """One rule (selectors.party_list): the service once also took any township's government
    and parties no longer active, which the picker never offered."""
    from registry import selectors

    own_township = collective(village("500101151000"), "龙驹镇人民政府")
    other_township = collective(village("500101150000"), "白羊镇人民政府")
    retired = collective(village("500101151201"), "玉合村旧合作社")
    Party.objects.filter(pk=retired.pk).update(active=False)
    offered = set(selectors.party_list(user=township_manager).values_list("pk", flat=True))
    for party in (own_township, other_township, retired):
        accepted = True
        try:
            ownership_confirm(
                actor=township_manager, asset=road, effective_on=TODAY, basis="确权登记表",
                shares=[(party, Decimal(100))],
            )  # fmt: skip
        except ValidationError as exc:
            accepted = False
            assert "shares" in exc.message_dict
        assert accepted == (party.pk in offered), party.name
    assert own_township.pk in offered and not {other_township.pk, retired.pk} & offered


def test_multi_village_ownership_then_handover_changes_the_current_owner(
    road, village_clerk, township_manager
):
    other = collective(village("500101151201"), "玉合村股份经济合作联合社")
    ownership_confirm(
        actor=township_manager, asset=road, effective_on=TODAY - datetime.timedelta(days=10),
        basis="联建项目确权", shares=[(collective(), Decimal(60)), (other, Decimal(40))],
    )  # fmt: skip
    assert owners_of(road, village_clerk) == "向东村股份经济合作联合社、玉合村股份经济合作联合社"
    road.refresh_from_db()
    assert road.status == "confirmed"
    township = collective(village("500101151000"), "龙驹镇人民政府")
    asset_hand_over(
        actor=township_manager, asset=road, from_party=collective(), to_party=township,
        supervisor=None, handed_on=TODAY, items="道路 2.5 公里及竣工资料",
    )  # fmt: skip
    assert owners_of(road, village_clerk) == "龙驹镇人民政府"
    assert OwnershipRecord.objects.filter(asset=road).count() == 2  # the ledger keeps both


def test_inspection_with_gps_and_photo_and_damage_marks_the_asset(road, village_clerk):
    maintenance_assign(
        actor=village_clerk, asset=road, maintainer=collective(), responsible_person="王国华",
        responsible_phone="13800001111", duties="每月巡查", funding_source="公益性岗位",
        inspection_interval_days=30, starts_on=TODAY - datetime.timedelta(days=100),
    )  # fmt: skip
    listed = asset_list(user=village_clerk).get(pk=road.pk)
    assert (listed.maintainer_name, listed.inspection_overdue) == ("向东村股份经济合作联合社", True)
    photo = SimpleUploadedFile("路面.jpg", JPEG, content_type="image/jpeg")
    log = maintenance_log_add(
        actor=village_clerk, asset=road, kind="inspection", performed_on=TODAY, result="damaged",
        findings="塌方", location=Point(108.659, 30.726), location_accuracy_m=8, photos=[photo],
    )  # fmt: skip
    assert log.location.srid == 4490
    attachment = Attachment.objects.get(maintenance_log=log)
    assert (attachment.content_type, attachment.original_name) == ("image/jpeg", "路面.jpg")
    road.refresh_from_db()
    assert road.status == "damaged"
    assert asset_list(user=village_clerk).get(pk=road.pk).inspection_overdue is False


def test_a_position_far_from_the_assets_township_is_refused_with_the_coordinate(
    road, village_clerk
):
    """Issue 18: an inspection of a road in 龙驹镇 logged from Beijing is a slip."""
    with pytest.raises(ValidationError) as caught:
        maintenance_log_add(
            actor=village_clerk, asset=road, kind="inspection", performed_on=TODAY,
            result="normal", location=Point(116.4, 39.9),
        )  # fmt: skip
    message = caught.value.message_dict["location"][0]
    assert "116.400000, 39.900000" in message and "龙驹镇" in message
    with pytest.raises(ValidationError) as caught:
        maintenance_log_add(
            actor=village_clerk, asset=road, kind="inspection", performed_on=TODAY,
            result="normal", location=Point(108.659, 30.726), location_accuracy_m=1e308,
        )  # fmt: skip
    assert "location_accuracy_m" in caught.value.message_dict
    assert not MaintenanceLog.objects.filter(asset=road).exists()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_logged(road, village_clerk):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        maintenance_log_add(
            actor=village_clerk, asset=road, kind="inspection", performed_on=TODAY,
            result="normal", photos=[fake],
        )  # fmt: skip
    assert "photo.jpg" in caught.value.message_dict["photos"][0]
    assert not MaintenanceLog.objects.filter(asset=road).exists()


def test_gps_outside_china_is_refused(road, village_clerk):
    with pytest.raises(ValidationError) as caught:
        maintenance_log_add(
            actor=village_clerk, asset=road, kind="inspection", performed_on=TODAY,
            result="normal", location=Point(2.35, 48.85),
        )  # fmt: skip
    assert "2.350000, 48.850000" in caught.value.message_dict["location"][0]


def test_distribution_lines_must_add_up_and_cash_only_is_flagged(pv_station, county_manager):
    income_record_add(
        actor=county_manager, asset=pv_station, period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31), gross=Decimal(50000), costs=Decimal(5000),
    )  # fmt: skip
    with pytest.raises(ValidationError):
        distribution_plan_create(
            actor=county_manager, asset=pv_station, year=2025, total=Decimal(45000),
            lines={"welfare_posts": Decimal(30000)},
        )  # fmt: skip
    plan = distribution_plan_create(
        actor=county_manager, asset=pv_station, year=2025, total=Decimal(45000),
        lines={"households": Decimal(45000)},
    )  # fmt: skip
    assert plan.per_capita_cash_only is True


def test_plan_goes_village_then_township_then_county(
    pv_station, county_manager, village_clerk, township_manager, county_approver
):
    plan = distribution_plan_create(
        actor=county_manager, asset=pv_station, year=2025, total=Decimal(1000),
        lines={"welfare_posts": Decimal(600), "public_works": Decimal(400)},
    )  # fmt: skip
    with pytest.raises(PermissionDenied):  # the township cannot skip the village
        distribution_plan_advance(actor=township_manager, plan=plan, expected_version=1)
    plan = distribution_plan_advance(
        actor=village_clerk, plan=plan, expected_version=1, resolution="村民代表大会决议"
    )
    plan = distribution_plan_advance(actor=township_manager, plan=plan, expected_version=2)
    plan = distribution_plan_advance(actor=county_approver, plan=plan, expected_version=3)
    assert DistributionPlan.objects.get(pk=plan.pk).status == "county_filed"


def test_disposal_needs_township_approval_and_the_asset_stays_disposed(
    road, village_clerk, township_manager, county_approver
):
    request = disposal_request(
        actor=village_clerk, asset=road, reason="disaster", method="scrap",
        book_value=Decimal(20000), explanation="山体滑坡损毁",
    )  # fmt: skip
    assert request.required_level == "township"
    with pytest.raises(PermissionDenied):
        disposal_decide(actor=county_approver, request=request, approved=True)
    with pytest.raises(ValidationError):  # not approved yet
        disposal_complete(actor=village_clerk, request=request, completed_on=TODAY,
                          proceeds=Decimal(0), proceeds_use="")  # fmt: skip
    request = disposal_decide(actor=township_manager, request=request, approved=True)
    assert request.status == "approved"
    disposal_complete(
        actor=village_clerk, request=request, completed_on=TODAY, proceeds=Decimal(500),
        proceeds_use="留村用于公益事业",
    )  # fmt: skip
    road.refresh_from_db()
    assert road.status == "disposed" and Asset.objects.filter(pk=road.pk).exists()


def test_valuable_disposal_needs_the_county_after_the_township(
    road, village_clerk, township_manager, county_approver
):
    request = disposal_request(
        actor=village_clerk, asset=road, reason="planning", method="transfer",
        book_value=Decimal(800000), explanation="规划调整",
    )  # fmt: skip
    assert request.required_level == "county"
    request = disposal_decide(actor=township_manager, request=request, approved=True)
    assert request.status == "requested"
    request = disposal_decide(actor=county_approver, request=request, approved=True)
    assert request.status == "approved"
