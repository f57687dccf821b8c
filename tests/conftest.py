"""Shared fixtures: a real PostGIS test database holding the demo county, and its accounts."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from registry.demo import DEMO_PASSWORD, load_demo_county
from registry.models import User


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests whose writes are rolled back first, then the browser journeys (they act through a
    real server, whose writes are committed to the session's database), then the tests that
    use transactions (pytest-django empties the database after each of them)."""

    def group(item: pytest.Item) -> int:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        if "transactional_db" in fixtures or (marker and marker.kwargs.get("transaction")):
            return 2
        return 1 if item.get_closest_marker("browser") else 0

    items.sort(key=group)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The test database (created by pytest-django from the migrations) plus the demo county,
    committed once; each test's own writes are rolled back."""
    from django.db import connection

    # pytest-django creates only the databases that collected tests ask for (django_db marks);
    # never load anything into a database that is not a test database.
    if not connection.settings_dict["NAME"].startswith("test_"):
        pytest.fail("Tests that use the database must be marked django_db.")
    with django_db_blocker.unblock():
        load_demo_county()


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


def _user(username: str) -> User:
    return User.objects.select_related("area").get(username=username)


@pytest.fixture
def planner(db) -> User:  # type: ignore[no-untyped-def]
    return _user("planner")


@pytest.fixture
def township_manager(db) -> User:  # type: ignore[no-untyped-def]
    return _user("township_manager")


@pytest.fixture
def village_clerk(db) -> User:  # type: ignore[no-untyped-def]
    return _user("village_clerk")


@pytest.fixture
def auditor(db) -> User:  # type: ignore[no-untyped-def]
    return _user("auditor")


@pytest.fixture
def demo_admin(db) -> User:  # type: ignore[no-untyped-def]
    return _user("admin")


@pytest.fixture
def county_approver(db) -> User:  # type: ignore[no-untyped-def]
    return _user("approver")


@pytest.fixture
def county_manager(db) -> User:  # type: ignore[no-untyped-def]
    return _user("manager")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploaded files and cached tiles of a test go to its own temporary folder."""
    from django.core.cache import cache

    cache.clear()  # counts kept by one test (the to-do badge, list counts) are not another's
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        **settings.CACHES,
        "tiles": {**settings.CACHES["tiles"], "LOCATION": str(tmp_path / "tiles")},
    }


# --- the app served as `make run` serves it -----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-results"
# What scripts/serve.sh is told here; the connection bound of the serving test depends on it.
WEB_WORKERS, WEB_THREADS = 2, 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_database_url() -> str:
    """The URL of the database pytest-django created, for the server process."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "", safe="")
    port = db.get("PORT") or 5432
    return f"postgis://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`scripts/serve.sh` (gunicorn, DEBUG off, and the background worker), exactly as `make run`
    starts it, on the test database."""
    with django_db_blocker.unblock():
        database_url = served_database_url()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "served-test-key",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": str(WEB_WORKERS),
        "WEB_THREADS": str(WEB_THREADS),
        "MEDIA_ROOT": str(RESULTS / "media"),
        "JOBS_CACHE_DIR": str(RESULTS / "jobs-cache"),
        "TILE_CACHE_DIR": str(RESULTS / "tile-cache"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = open(RESULTS / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=2)
            break
        except OSError as exc:
            if server.poll() is not None or time.monotonic() > deadline:
                os.killpg(server.pid, signal.SIGKILL)
                raise RuntimeError("the app did not start; see test-results/server.log") from exc
            time.sleep(0.3)
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    log.close()
