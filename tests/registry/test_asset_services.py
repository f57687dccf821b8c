"""The asset register's rules, checked through the services against PostGIS."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.gis.geos import LineString
from django.core.exceptions import PermissionDenied, ValidationError

from registry.errors import ConflictError
from registry.models import Asset, AssetFunding
from registry.services.assets import (
    asset_approve_registration,
    asset_register,
    asset_update,
)
from tests.factories import asset_input, village

pytestmark = pytest.mark.django_db


def test_village_clerk_registers_an_asset_that_waits_for_township_approval(
    village_clerk, township_manager
):
    prefix = "50010120222"  # county + year formed + class digit (public)
    last = Asset.objects.filter(code__startswith=prefix).order_by("-code").first()
    asset = asset_register(actor=village_clerk, data=asset_input())
    assert asset.code.startswith(prefix) and len(asset.code) == 16
    assert int(asset.code[-5:]) == (int(last.code[-5:]) if last else 0) + 1
    assert (asset.status, asset.fund_era, asset.area_code) == (
        "draft",
        "assistance",
        "500101151200",
    )
    assert {f.source.code: f.amount for f in AssetFunding.objects.filter(asset=asset)} == {
        "central_bridging": Decimal("300000.00"),
        "county": Decimal("50000.00"),
    }
    approved = asset_approve_registration(actor=township_manager, asset=asset)
    assert approved.status == "registered"


def test_codes_run_on_per_county_year_and_class(county_manager):
    first = asset_register(actor=county_manager, data=asset_input())
    second = asset_register(actor=county_manager, data=asset_input(name="第二条路"))
    assert int(second.code[-5:]) == int(first.code[-5:]) + 1
    household = asset_register(
        actor=county_manager,
        data=asset_input(
            asset_class="household", subtype="toilet", formed_on=datetime.date(2019, 3, 1)
        ),
    )
    assert household.code[6:11] == "20193" and household.fund_era == "alleviation"
    assert first.status == "registered"  # a county user's registration needs no approval


def test_a_village_clerk_cannot_approve_and_nor_can_a_county_reader(village_clerk, planner):
    asset = asset_register(actor=village_clerk, data=asset_input())
    for user in (village_clerk, planner):
        with pytest.raises(PermissionDenied):
            asset_approve_registration(actor=user, asset=asset)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"subtype": "pv_station"}, "subtype"),
        ({"formed_on": datetime.date(2099, 1, 1)}, "formed_on"),
        ({"beneficiary_exited_households": 99}, "beneficiary_exited_households"),
        ({"funding": {"central_bridging": Decimal("-5")}}, "funding_central_bridging"),
    ],
)
def test_invalid_input_names_the_field_in_both_languages_and_writes_nothing(
    village_clerk, override, field
):
    before = (Asset.objects.count(), AssetFunding.objects.count())
    with pytest.raises(ValidationError) as caught:
        asset_register(actor=village_clerk, data=asset_input(**override))
    assert field in caught.value.message_dict
    message = caught.value.message_dict[field][0]
    assert " / " in message, message  # 中文 / English
    assert (Asset.objects.count(), AssetFunding.objects.count()) == before


def test_geometry_outside_the_township_names_the_coordinate(village_clerk):
    inside = village().point
    line = LineString(inside.coords, (100.0, 25.0), srid=4490)
    with pytest.raises(ValidationError) as caught:
        asset_register(actor=village_clerk, data=asset_input(geom=line))
    message = caught.value.message_dict["geom"][0]
    assert "100.000000, 25.000000" in message and "龙驹镇" in message


def test_nobody_writes_outside_their_area_and_readers_never_write(
    township_manager, planner, auditor
):
    before = Asset.objects.count()
    outside = village("500101001001")
    with pytest.raises(ValidationError):  # the location is not even offered to them
        asset_register(actor=township_manager, data=asset_input(area=outside))
    for reader in (planner, auditor):
        with pytest.raises(PermissionDenied):
            asset_register(actor=reader, data=asset_input())
    assert Asset.objects.count() == before


def test_second_of_two_concurrent_edits_is_refused_and_the_first_kept(
    county_manager, township_manager
):
    asset = asset_register(actor=county_manager, data=asset_input())
    version = asset.version
    asset_update(
        actor=county_manager, asset=asset, expected_version=version,
        data=asset_input(name="县里改的名字"),
    )  # fmt: skip
    with pytest.raises(ConflictError) as caught:
        asset_update(
            actor=township_manager, asset=asset, expected_version=version,
            data=asset_input(name="镇里改的名字"),
        )  # fmt: skip
    assert "Someone else changed this record" in str(caught.value)
    asset.refresh_from_db()
    assert (asset.name, asset.version) == ("县里改的名字", version + 1)
