"""Settings come from the environment and production refuses to start without a secret."""

import os
import re
import shutil
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


def test_every_user_facing_string_has_a_chinese_translation(tmp_path):
    """Extract the strings from today's code (in a scratch copy) and check each is translated."""
    for name in ["config", "registry", "gis", "transfer", "templates", "locale", "manage.py"]:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    env = {**os.environ, "DEBUG": "1"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=120,
    )
    po = (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    entries = po.split("\n\n")[1:]  # the first entry is the header
    untranslated = [e for e in entries if re.search(r'^msgstr(\[0\])? ""$(?!\n")', e, re.M)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert len(entries) > 50
    assert not untranslated, "add these to locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n".join(
        untranslated
    )
    assert not fuzzy, "\n".join(fuzzy)
