"""The tests' shared helpers (the one module tests import from each other): valid inputs for
the services and forms, and the background worker run in the test's process."""

import datetime
import math
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


def asset_form_data(asset: Any = None, **overrides: object) -> dict[str, object]:
    """What the asset form posts for ``asset_input()`` (``asset`` for an edit: its version);
    an override of None leaves the field out."""
    values = asset_input().values
    data: dict[str, object] = {
        k: v for k, v in values.items() if k not in {"geom", "area", "benefit_links", "booked_on"}
    }
    data.update(
        area=values["area"].pk,
        geom=values["geom"].geojson,
        booked="",
        funding_central_bridging="300000",
        version=asset.version if asset else "",
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def run_worker() -> None:
    """The database worker, as `make run` starts it, processing what is queued, then exiting.
    (Run in this process, it must not close the connection that holds the test's transaction.)"""
    from unittest import mock

    from django.core.management import call_command

    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("db_worker", batch=True, no_startup_delay=True, interval=0.1, verbosity=0)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the Web Mercator tile holding a longitude and latitude."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y
