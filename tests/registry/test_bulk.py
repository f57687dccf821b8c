"""The bulk-write service checks rights and rules itself, whatever its caller checked."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from registry.models import AdminArea, Asset
from registry.services.bulk import AssetBulkWriter

pytestmark = pytest.mark.django_db


def values(area: AdminArea, **extra: object) -> dict:
    return {
        "name": "批量测试", "asset_class": "public", "subtype": "road", "form": "fixed",
        "original_value": Decimal("10.00"), "quantity": Decimal("1"), "unit": "公里",
        "formed_on": datetime.date(2022, 3, 1), "area_id": area.pk,
        "beneficiary_households": 0, "beneficiary_persons": 0,
        "beneficiary_exited_households": 0, "beneficiary_monitored_households": 0,
        "booked": False, "address": "", **extra,
    }  # fmt: skip


def test_it_refuses_rows_outside_the_users_area(village_clerk):
    other = AdminArea.objects.get(code="500101151201")
    with pytest.raises(PermissionDenied), transaction.atomic():
        AssetBulkWriter(village_clerk).register([(values(other), None)])
    assert not Asset.objects.filter(name="批量测试").exists()


def test_it_registers_with_codes_and_refuses_to_change_a_disposed_asset(county_manager):
    area = AdminArea.objects.get(code="500101151200")
    with transaction.atomic():
        AssetBulkWriter(county_manager).register([(values(area), None), (values(area), None)])
    codes = sorted(Asset.objects.filter(name="批量测试").values_list("code", flat=True))
    assert len(codes) == 2 and int(codes[1]) == int(codes[0]) + 1
    asset = Asset.objects.get(code=codes[0])
    Asset.objects.filter(pk=asset.pk).update(status="disposed")
    with pytest.raises(ValidationError), transaction.atomic():
        AssetBulkWriter(county_manager).change([(values(area, id=asset.pk, name="改"), None)])
    assert Asset.objects.get(pk=asset.pk).name == "批量测试"
