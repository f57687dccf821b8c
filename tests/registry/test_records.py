"""Record lists (ownership, maintenance, income, distributions, disposals): scoped to the user's
area, filtered, and exported exactly as listed."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from registry.demo_assets import generate_register
from registry.ledgers import LISTS

pytestmark = pytest.mark.django_db
XIANGDONG = "500101151200"


@pytest.fixture
def register(db):  # type: ignore[no-untyped-def]
    generate_register(assets=300, seed=11)


def export_rows(client, kind: str, fmt: str, **params: str) -> list[list]:  # type: ignore[no-untyped-def]
    response = client.get(reverse("transfer:record_export", args=[kind, fmt]), params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        assert body.startswith("\ufeff".encode())
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("kind", list(LISTS))
def test_each_list_exports_what_it_lists_within_the_users_area(
    kind, client, auditor, village_clerk, register
):
    spec = LISTS[kind]
    everything = spec.queryset(auditor).count()
    assert everything > 0, kind
    client.force_login(auditor)
    page = client.get(reverse("registry:record_list", args=[kind]))
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.count == everything
    rows = export_rows(client, kind, "xlsx")
    assert rows[0] == [c.header for c in spec.columns]
    assert rows[-1][0] == "合计"
    assert len(rows) == everything + 2
    csv_rows = export_rows(client, kind, "csv")
    assert len(csv_rows) == everything + 1

    # The village clerk sees and exports only their village's records.
    client.force_login(village_clerk)
    mine = spec.queryset(village_clerk)
    assert set(mine.values_list("asset__area_code", flat=True)) <= {XIANGDONG}
    page = client.get(reverse("registry:record_list", args=[kind]))
    assert page.context["page_obj"].paginator.count == mine.count() < everything
    assert len(export_rows(client, kind, "csv")) == mine.count() + 1


def test_filters_narrow_the_list_and_its_export_alike(client, auditor, register):
    client.force_login(auditor)
    spec = LISTS["maintenance"]
    params = {"choice": "needs_repair", "date_from": "2023-01-01"}
    page = client.get(reverse("registry:record_list", args=["maintenance"]), params)
    shown = page.context["page_obj"].paginator.count
    assert 0 < shown < spec.queryset(auditor).count()
    rows = export_rows(client, "maintenance", "xlsx", **params)
    assert len(rows) == shown + 2
    result_col = [c.key for c in spec.columns].index("result")
    date_col = [c.key for c in spec.columns].index("performed_on")
    assert {r[result_col] for r in rows[1:-1]} == {"需维修"}
    assert min(r[date_col] for r in rows[1:-1]) >= datetime.datetime(2023, 1, 1)  # Excel dates
