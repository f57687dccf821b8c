"""Shared fixtures: a real PostGIS test database holding the demo county, and its accounts."""

import pytest

from registry.demo import DEMO_PASSWORD, load_demo_county
from registry.models import User


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
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        **settings.CACHES,
        "tiles": {**settings.CACHES["tiles"], "LOCATION": str(tmp_path / "tiles")},
    }
