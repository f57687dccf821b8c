"""Junk in URLs and fields gets a 400 or 404 with a reason, never a 500."""

import datetime

import pytest
from django.urls import reverse

from registry.models import MaintenanceDuty, OperationContract, PublicNotice
from registry.services.assets import asset_register
from tests.factories import asset_input, collective

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/assets/%00/",
        "/areas/%00/",
        "/assets/%00/edit/",
        "/areas/500101%00/notice-sheet/",
        "/records/%00/",
        "/gis/assets/export.%00",
        "/assets/?q=%00",
        "/assets/?area=%00",
        "/gis/assets/search.json?q=%00",
        "/records/ownership/?area=5001%00",
    ],
)
def test_a_nul_byte_anywhere_in_the_url_is_refused_not_a_500(url, client, county_manager):
    client.force_login(county_manager)
    response = client.get(url)
    assert response.status_code in (400, 404), response.status_code


def test_a_tile_for_an_unknown_area_is_empty_at_every_zoom(client, county_manager):
    client.force_login(county_manager)
    for url in (
        "/gis/tiles/assets/14/13136/6721.mvt?area=999",
        "/gis/tiles/assets/16/52544/26884.mvt?area=999",
        "/gis/tiles/assets/10/821/420.mvt?area=999",
        "/gis/tiles/assets/14/13136/6721.mvt?area=500101151200&subtype=road",
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_date_ranges_out_of_order_are_field_errors_not_constraint_names(client, county_manager):
    """Each of these forms used to show the raw name of a database CHECK constraint."""
    asset = asset_register(actor=county_manager, data=asset_input())
    client.force_login(county_manager)
    party = collective(asset.area)
    today = datetime.date.today()
    later = (today + datetime.timedelta(days=30)).isoformat()
    earlier = (today - datetime.timedelta(days=30)).isoformat()
    forms = {
        "registry:maintenance_assign": {
            "maintainer": party.pk,
            "responsible_person": "张三",
            "responsible_phone": "13800000000",
            "duties": "巡查",
            "inspection_interval_days": 30,
            "starts_on": later,
            "ends_on": earlier,
        },
        "registry:operation": {
            "operator": party.pk,
            "mode": "lease",
            "starts_on": later,
            "ends_on": earlier,
            "annual_fee": "1000",
        },
    }
    counts = (MaintenanceDuty.objects.count(), OperationContract.objects.count(),
              PublicNotice.objects.count())  # fmt: skip
    for name, data in forms.items():
        response = client.post(reverse(name, args=[asset.code]), data)
        assert response.status_code == 400, (name, response.status_code)
        text = response.content.decode()
        assert "_check" not in text and "constraint" not in text.lower(), name
        assert "结束日期" in text or "end" in text.lower(), name
    assert counts == (MaintenanceDuty.objects.count(), OperationContract.objects.count(),
                      PublicNotice.objects.count())  # fmt: skip
