"""Small helpers that build valid inputs for the services in tests."""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point

from registry.models import AdminArea, Party
from registry.services.assets import AssetInput

XIANGDONG = "500101151200"  # 向东村, 龙驹镇


def village(code: str = XIANGDONG) -> AdminArea:
    return AdminArea.objects.get(code=code)


def asset_input(area: AdminArea | None = None, **overrides: Any) -> AssetInput:
    area = area or village()
    assert area.point is not None
    x, y = area.point.coords
    values: dict[str, Any] = {
        "name": "向东村通组公路",
        "asset_class": "public",
        "subtype": "road",
        "form": "fixed",
        "area": area,
        "address": "三组",
        "geom": Point(x + 0.001, y + 0.001, srid=4490),
        "formed_on": datetime.date(2022, 5, 1),
        "original_value": Decimal("350000.00"),
        "quantity": Decimal("2.5"),
        "unit": "km",
        "beneficiary_households": 40,
        "beneficiary_persons": 120,
        "beneficiary_exited_households": 12,
        "beneficiary_monitored_households": 2,
        "benefit_links": [],
        "booked": False,
        "booked_on": None,
        "voucher_no": "",
        "supervising_department": "区交通运输局",
        "note": "",
    }
    funding = overrides.pop(
        "funding", {"central_bridging": Decimal("300000"), "county": Decimal("50000")}
    )
    values.update(overrides)
    return AssetInput(values=values, funding=funding)


def collective(area: AdminArea | None = None, name: str = "向东村股份经济合作联合社") -> Party:
    area = area or village()
    party, _ = Party.objects.get_or_create(
        name=name,
        defaults={
            "kind": "village_collective",
            "area": area,
            "area_code": area.code,
            "county_code": area.county_code,
        },
    )
    return party
