"""Fixtures the registry tests share: a registered road and a PV station in 向东村."""

from decimal import Decimal

import pytest

from registry.models import Asset
from registry.services.assets import asset_approve_registration, asset_register
from tests.factories import asset_input


@pytest.fixture
def road(village_clerk, township_manager) -> Asset:  # type: ignore[no-untyped-def]
    """A registered public-welfare road in 向东村 (the clerk's, approved by the township)."""
    asset = asset_register(actor=village_clerk, data=asset_input())
    return asset_approve_registration(actor=township_manager, asset=asset)


@pytest.fixture
def pv_station(county_manager) -> Asset:  # type: ignore[no-untyped-def]
    """A registered operating asset (a PV station) in 向东村."""
    return asset_register(
        actor=county_manager,
        data=asset_input(name="向东村光伏电站", asset_class="operating", subtype="pv_station",
                         unit="kW", quantity=Decimal(300)),
    )  # fmt: skip
