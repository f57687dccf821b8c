"""One form submission writes once, even sent twice at the same moment; dates of facts (a
confirmation, a handover, income earned, a booking, a disposal) cannot lie in the future."""

import datetime
import os
import re
import subprocess
import sys
import threading
from decimal import Decimal

import pytest
import requests
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.models import Asset, IncomeRecord
from registry.selectors import asset_ownership
from registry.services.assets import asset_register
from registry.services.income import income_record_add
from registry.services.ownership import ownership_confirm
from tests.conftest import ROOT, served_database_url
from tests.factories import asset_form_data, asset_input, collective

pytestmark = pytest.mark.django_db
FAR = datetime.date(9999, 12, 31)
TOMORROW = datetime.date.today() + datetime.timedelta(days=1)


@pytest.fixture
def pv_station(county_manager) -> Asset:
    return asset_register(
        actor=county_manager,
        data=asset_input(name="重复测试光伏电站", asset_class="operating", subtype="pv_station",
                         unit="kW", quantity=Decimal(300)),
    )  # fmt: skip


@pytest.mark.parametrize("when", [FAR, TOMORROW])
def test_an_ownership_dated_in_the_future_is_refused_and_never_current(
    when, county_manager, pv_station
):
    party = collective(pv_station.area)
    before = asset_ownership(asset=pv_station)
    with pytest.raises(ValidationError) as caught:
        ownership_confirm(actor=county_manager, asset=pv_station, shares=[(party, Decimal(100))],
                          effective_on=when, basis="村民代表大会决议")  # fmt: skip
    assert "effective_on" in caught.value.message_dict
    assert " / " in caught.value.message_dict["effective_on"][0]
    assert asset_ownership(asset=pv_station) == before


def test_income_for_a_period_not_yet_over_is_refused(county_manager, pv_station):
    with pytest.raises(ValidationError) as caught:
        income_record_add(actor=county_manager, asset=pv_station,
                          period_start=datetime.date.today(), period_end=FAR,
                          gross=Decimal(1000), costs=Decimal(0))  # fmt: skip
    assert "period_end" in caught.value.message_dict
    assert not IncomeRecord.objects.filter(asset=pv_station).exists()


def test_a_booking_date_in_the_future_is_a_field_error_on_the_form(client, village_clerk):

    client.force_login(village_clerk)
    response = client.post(
        reverse("registry:asset_create"), asset_form_data(booked="on", booked_on=FAR.isoformat())
    )
    assert response.status_code == 400
    assert "booked_on" in response.context["form"].errors


def income_post(pv_station) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"period_start": "2025-01-01", "period_end": "2025-12-31", "gross": "50000",
            "costs": "5000", "account": "村集体账户"}  # fmt: skip


def test_the_same_income_form_posted_twice_writes_one_record(client, county_manager, pv_station):
    client.force_login(county_manager)
    url = reverse("registry:income", args=[pv_station.code])
    page = client.get(url)
    token = page.context["submission_token"]
    first = client.post(url, {**income_post(pv_station), "submission": token})
    second = client.post(url, {**income_post(pv_station), "submission": token})
    assert first.status_code == second.status_code == 302
    assert IncomeRecord.objects.filter(asset=pv_station).count() == 1
    # A new page is a new submission: recording the same figures again on purpose works.
    again = client.get(url).context["submission_token"]
    assert again != token
    client.post(url, {**income_post(pv_station), "submission": again})
    assert IncomeRecord.objects.filter(asset=pv_station).count() == 2


def test_a_refused_submission_can_be_corrected_and_sent_again(client, county_manager, pv_station):
    client.force_login(county_manager)
    url = reverse("registry:income", args=[pv_station.code])
    token = client.get(url).context["submission_token"]
    wrong = client.post(url, {**income_post(pv_station), "costs": "90000", "submission": token})
    assert wrong.status_code == 400 and wrong.context["submission_token"] == token
    fixed = client.post(url, {**income_post(pv_station), "submission": token})
    assert fixed.status_code == 302
    assert IncomeRecord.objects.filter(asset=pv_station).count() == 1


def test_two_identical_posts_at_the_same_moment_write_once(live_url, demo_password):
    """Against the served app (two gunicorn threads, two transactions): the second request
    waits on the token's unique index and then writes nothing."""
    from django.db import connection

    # An operating asset committed in the test database (the served app cannot see this
    # test's transaction), registered through the service by a separate process.
    script = (
        "from decimal import Decimal; from registry.models import User;"
        " from registry.services.assets import asset_register;"
        " from tests.factories import asset_input;"
        " a = asset_register(actor=User.objects.get(username='manager'), data=asset_input("
        "name='并发测试光伏电站', asset_class='operating', subtype='pv_station', unit='kW',"
        " quantity=Decimal(30))); print(a.code)"
    )
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": served_database_url(), "DEBUG": "0",
             "SECRET_KEY": "test-only"},
    )  # fmt: skip
    code = made.stdout.strip().splitlines()[-1]
    session = requests.Session()
    login = session.get(live_url + "/accounts/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    session.post(live_url + "/accounts/login/", timeout=30,
                 data={"username": "manager", "password": demo_password,
                       "csrfmiddlewaretoken": csrf},
                 headers={"Referer": live_url + "/accounts/login/"})  # fmt: skip
    url = f"{live_url}/assets/{code}/income/"
    page = session.get(url, timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    token = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    data = {"period_start": "2024-01-01", "period_end": "2024-06-30", "gross": "777.77",
            "costs": "0", "account": "并发测试", "csrfmiddlewaretoken": csrf,
            "submission": token}  # fmt: skip
    statuses: list[int] = []

    def post() -> None:
        answer = session.post(url, data=data, headers={"Referer": url}, allow_redirects=False,
                              timeout=60)  # fmt: skip
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302, 302]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registry_incomerecord r JOIN registry_asset a"
            " ON a.id = r.asset_id WHERE a.code = %s AND r.account = '并发测试'",
            [code],
        )
        assert cursor.fetchone()[0] == 1
