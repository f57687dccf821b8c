"""A ledger is a declaration: a throwaway ledger of parties, declared in a few lines, exports
its rows in the user's scope, with Chinese headers and labels, neutralised text and the
statement sheet, as the record lists do. This is what the next kinds of record (projects,
relocation sites, infrastructure links) will do."""

import csv
import io

import openpyxl
import pytest
from django.utils import translation

from registry.choices import PartyKind
from registry.ledgers import Ledger, LedgerColumn
from registry.models import Party
from tests.factories import collective, village
from transfer import exporters

pytestmark = pytest.mark.django_db

PARTIES = Ledger(
    key="parties",
    title="主体名录",
    model=Party,
    scope_field="area_code",
    order_by=("name",),
    columns=[
        LedgerColumn("name", "主体名称"),
        LedgerColumn("kind", "主体类型", kind="choice", choices=PartyKind.choices),
        LedgerColumn("area", "所在村（社区）", "area__name"),
    ],
)


def test_a_declared_ledger_exports_its_rows_in_the_users_scope(township_manager):
    collective(village("500101151201"), "=HYPERLINK(1)合作社")  # formula-looking, in 龙驹镇
    collective(village("500101150001"), "白羊社区合作社")  # another township
    mine = PARTIES.queryset(township_manager)
    assert mine.filter(name="=HYPERLINK(1)合作社").exists()
    assert not mine.filter(name="白羊社区合作社").exists()
    meta = {"time": "now", "user": "township_manager", "filters": ""}
    with translation.override("zh-hans"):
        path = exporters.export_ledger(PARTIES, mine, "csv", meta=meta)
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
        book = openpyxl.load_workbook(exporters.export_ledger(PARTIES, mine, "xlsx", meta=meta))
    assert rows[0] == ["主体名称", "主体类型", "所在村（社区）"]
    expected = sorted(mine.values_list("name", "kind", "area__name"))
    assert len(rows) - 1 == len(expected) > 1
    labels = dict(PartyKind.choices)
    with translation.override("zh-hans"):
        wanted = [
            [("'" + n) if n.startswith("=") else n, str(labels[k]), a] for n, k, a in expected
        ]
    assert rows[1:] == wanted
    sheet, statement = book.worksheets
    assert [
        list(r) for r in sheet.iter_rows(min_row=2, max_row=len(wanted) + 1, values_only=True)
    ] == wanted
    assert dict(statement.iter_rows(values_only=True))["记录数（行）"] == str(len(wanted))
