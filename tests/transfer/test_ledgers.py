"""A ledger is a declaration: a throwaway ledger of parties, declared in a few lines, exports
its rows in the user's scope, with Chinese headers and labels, neutralised text and the
statement sheet, as the record lists do. This is what the next kinds of record (projects,
relocation sites, infrastructure links) will do."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.utils import translation

from registry.choices import PartyKind
from registry.ledgers import Ledger, LedgerColumn
from registry.models import Asset, Party
from registry.services.assets import asset_register
from tests.factories import asset_input, collective, village
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


BOOKINGS = Ledger(
    key="bookings",
    title="入账情况",
    model=Asset,
    scope_field="area_code",
    order_by=("code",),
    columns=[
        LedgerColumn("code", "资产编号"),
        LedgerColumn("booked", "是否入账", kind="bool"),
        LedgerColumn("formed_on", "形成日期", kind="date"),
        LedgerColumn("quantity", "数量", kind="number"),
    ],
)


def test_a_declared_ledger_writes_yes_no_in_words_and_dates_as_dates(county_manager):
    booked = asset_register(actor=county_manager, data=asset_input(booked=True,
                            booked_on=datetime.date(2022, 6, 1), voucher_no="记-12"))  # fmt: skip
    unbooked = asset_register(actor=county_manager, data=asset_input(name="未入账的公路"))
    mine = BOOKINGS.queryset(county_manager).filter(pk__in=[booked.pk, unbooked.pk])
    meta = {"time": "now", "user": "县资产管理员", "filters": ""}
    with translation.override("zh-hans"):
        rows = list(csv.reader(io.StringIO(
            exporters.export_ledger(BOOKINGS, mine, "csv", meta=meta).read_text("utf-8-sig")
        )))  # fmt: skip
        book = openpyxl.load_workbook(exporters.export_ledger(BOOKINGS, mine, "xlsx", meta=meta))
    assert sorted(r[1] for r in rows[1:]) == ["否", "是"]
    assert {r[2] for r in rows[1:]} == {"2022-05-01"}
    sheet = book.worksheets[0]
    assert sorted(sheet.cell(row=r, column=2).value for r in (2, 3)) == ["否", "是"]
    dates = [sheet.cell(row=r, column=3) for r in (2, 3)]
    assert all(c.is_date and c.value == datetime.datetime(2022, 5, 1) for c in dates)
    assert sheet.auto_filter.ref == "A1:D3"
    assert sheet.cell(row=4, column=1).value == "合计"
    assert sheet.cell(row=4, column=4).value == "=SUBTOTAL(109,D2:D3)"
