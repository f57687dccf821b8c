"""The app as `make run` serves it (gunicorn, bounded threads, DEBUG off) holds many clients at
once without running out of database connections, and shows its own error page."""

import re
import threading
from collections import Counter

import pytest
import requests
from django.db import connection

from tests.conftest import WEB_THREADS, WEB_WORKERS

pytestmark = pytest.mark.django_db


def signed_in(live_url: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(live_url + "/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        live_url + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": live_url + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session


def test_500_requests_from_16_clients_then_login_still_works(live_url, demo_password):
    cookies = signed_in(live_url, "manager", demo_password).cookies.get_dict()
    paths = [
        "/map/", "/assets/", "/assets/?asset_class=public", "/areas/", "/areas/500101151000/",
        "/gis/tiles/assets/14/13136/6721.mvt", "/gis/tiles/assets/10/821/420.mvt",
        "/gis/assets/search.json?q=村", "/records/ownership/", "/accounts/login/",
    ]  # fmt: skip
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(number: int) -> None:
        for i in range(number, 500, 16):
            # A new connection for every request, as 16 browsers behind a county proxy.
            response = requests.get(
                live_url + paths[i % len(paths)], cookies=cookies, timeout=60,
                headers={"Connection": "close"},
            )  # fmt: skip
            with lock:
                statuses[response.status_code] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert sum(statuses.values()) == 500
    assert set(statuses) <= {200, 302}, statuses
    signed_in(live_url, "auditor", demo_password)  # a login after the burst works at once
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        held = cursor.fetchone()[0]
    # One connection per gunicorn thread at most, plus the background worker's.
    assert held <= WEB_WORKERS * WEB_THREADS + 1, held


def test_debug_is_off_and_errors_show_our_pages(live_url, demo_password, rf):
    from django.views.defaults import server_error

    session = signed_in(live_url, "planner", demo_password)
    missing = session.get(live_url + "/assets/0000000000000000/", timeout=30)
    assert missing.status_code == 404
    assert "URLconf" not in missing.text and "Traceback" not in missing.text
    assert "不在您的辖区内" in missing.text
    page = server_error(rf.get("/"))  # what a 500 answers (the handler's own page)
    assert page.status_code == 500
    text = page.content.decode()
    assert "服务器出错了" in text and "Something went wrong on the server" in text
