"""Wrong passwords lock the account for a while (django-axes, per account); the lockout page
explains it in Chinese and English; an administrator can lift it."""

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def test_twenty_wrong_passwords_lock_the_account_even_for_the_right_one(
    client, planner, demo_password, settings
):
    for _ in range(20):
        assert attempt(client, "planner", "wrong-password").status_code in (200, 429)
    locked = attempt(client, "planner", demo_password)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "账户已暂时锁定" in text and "Account locked" in text
    assert "_auth_user_id" not in client.session
    # Another account is not locked by someone guessing at this one.
    assert attempt(client, "auditor", demo_password).status_code == 302


def test_an_administrator_lifts_the_lock(client, planner, demo_password):
    for _ in range(6):
        attempt(client, "planner", "wrong-password")
    assert attempt(client, "planner", demo_password).status_code == 429
    call_command("axes_reset_username", "planner")
    assert attempt(client, "planner", demo_password).status_code == 302


def test_a_few_mistakes_then_the_right_password_still_log_in(client, planner, demo_password):
    for _ in range(3):
        attempt(client, "planner", "wrong-password")
    assert attempt(client, "planner", demo_password).status_code == 302
