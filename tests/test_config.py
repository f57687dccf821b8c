"""Settings come from the environment and production refuses to start without a secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_fails_fast_with_a_clear_message():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_local_development_needs_no_configuration():
    result = run_check(DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_one_click_away(client, planner):
    client.force_login(planner)
    page = client.get(reverse("registry:area_list"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "行政区划" in page and '<html lang="zh-hans">' in page
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("registry:area_list")}
    )
    assert response.status_code == 302
    page = client.get(reverse("registry:area_list")).content.decode()
    assert "Administrative areas" in page and '<html lang="en">' in page


def test_every_chinese_translation_is_filled_in():
    po = (ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]  # the first entry is the header
    untranslated = [e for e in entries if 'msgstr ""' in e and 'msgstr ""\n"' not in e]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert entries and not untranslated and not fuzzy
