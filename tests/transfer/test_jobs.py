"""Background jobs have a time limit: a job that runs past it is stopped, marked failed with a
reason in both languages, and its transaction is rolled back."""

import time
from pathlib import Path

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.db import connection

from registry.models import AdminArea, Asset
from transfer import importers, jobs
from transfer.importers import run as import_run
from transfer.models import AssetImport

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"


def ledger_upload(user, tmp_path: Path) -> AssetImport:  # type: ignore[no-untyped-def]
    area = AdminArea.objects.get(code=XIANGDONG)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "资产台账"
    keys = ["name", "asset_class", "subtype", "area_code", "original_value", "quantity",
            "unit", "formed_on", "lon", "lat"]  # fmt: skip
    sheet.append([importers.HEADERS[k] for k in keys])
    sheet.append(["限时测试大棚", "经营性", "设施农业（大棚）", XIANGDONG, 1000, 1, "个",
                  "2022-04-18", area.point.x, area.point.y])  # fmt: skip
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    item = AssetImport(user=user, original_name="ledger.xlsx", size=path.stat().st_size)
    item.file.save("ledger.xlsx", ContentFile(path.read_bytes()))
    return item


def test_a_check_that_runs_too_long_is_stopped_with_a_reason(
    tmp_path, county_manager, settings, monkeypatch
):
    settings.JOB_TIME_LIMIT = 1
    item = ledger_upload(county_manager, tmp_path)

    def slow_preview(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(10)

    monkeypatch.setattr(importers, "preview", slow_preview)
    started = time.monotonic()
    assert jobs.check_import.call(item.pk) == "failed"
    assert time.monotonic() - started < 5
    item.refresh_from_db()
    assert item.state == AssetImport.State.FAILED
    assert "1 秒" in item.message and "1 seconds" in item.message


def test_an_import_whose_sql_runs_too_long_writes_nothing(
    tmp_path, county_manager, settings, monkeypatch
):
    settings.JOB_TIME_LIMIT = 1
    item = ledger_upload(county_manager, tmp_path)
    before = Asset.objects.count()

    class SlowWriter(import_run._Writer):
        def __call__(self, checked, source):  # type: ignore[no-untyped-def]
            super().__call__(checked, source)
            with connection.cursor() as cursor:  # the rows are written, then SQL hangs
                cursor.execute("SELECT pg_sleep(10)")

    monkeypatch.setattr(import_run, "_Writer", SlowWriter)  # where commit makes its writer
    started = time.monotonic()
    assert jobs.commit_import.call(item.pk) == "failed"
    assert time.monotonic() - started < 5
    item.refresh_from_db()
    assert item.state == AssetImport.State.FAILED
    assert "JOB_TIME_LIMIT" in item.message
    assert Asset.objects.count() == before
    assert not Asset.objects.filter(name="限时测试大棚").exists()
