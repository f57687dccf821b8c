"""Messages and file names tell nothing outside the user's area and nothing the uploader chose."""

import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.models import AdminArea
from registry.services.assets import asset_register
from registry.services.maintenance import maintenance_log_add
from tests.factories import asset_input
from transfer import importers

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def test_an_attachment_is_served_under_our_name_with_its_sniffed_extension(client, village_clerk):
    asset = asset_register(actor=village_clerk, data=asset_input())
    log = maintenance_log_add(
        actor=village_clerk, asset=asset, kind="inspection", performed_on=datetime.date.today(),
        result="normal", photos=[SimpleUploadedFile("poly.html", JPEG)], cost=Decimal(0),
    )  # fmt: skip
    attachment = log.attachments.get()
    client.force_login(village_clerk)
    response = client.get(reverse("registry:attachment", args=[attachment.pk]))
    disposition = response["Content-Disposition"]
    assert "poly" not in disposition and ".html" not in disposition
    assert disposition.endswith(f'{asset.code}-{attachment.kind}-{attachment.pk}.jpg"')
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_import_row_outside_the_area_does_not_name_that_area(tmp_path, village_clerk):
    outside = (
        AdminArea.objects.filter(level="village").exclude(code__startswith="500101151").first()
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "资产台账"
    keys = ["name", "asset_class", "subtype", "area_code", "original_value", "quantity",
            "unit", "formed_on"]  # fmt: skip
    sheet.append([importers.HEADERS[k] for k in keys])
    sheet.append(["越界大棚", "经营性", "设施农业（大棚）", outside.code, 1000, 1, "个",
                  "2022-04-18"])  # fmt: skip
    path = tmp_path / "outside.xlsx"
    book.save(path)
    outcome = importers.preview(path, village_clerk)
    messages = " ".join(p["message"] for p in outcome.as_dict()["problems"])
    # Answered as an area the clerk has not: neither its name nor that it exists elsewhere.
    assert f"No township or village in your area has the code {outside.code}" in messages
    assert outside.name not in messages and outside.short_name not in messages
