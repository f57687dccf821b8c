"""Issue 19, files: the county project library, the year's plan and the task list exported in
the county's layout (Excel, CSV, GeoPackage), filtered as the library lists them and scoped to
the user; and an earlier library imported from Excel with the check-preview-commit flow."""

import contextlib
import csv
import datetime
import io
import sqlite3
from decimal import Decimal
from typing import Any

import openpyxl
import pghistory.models
import pyogrio
import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from registry import ledgers
from registry.choices import BenefitLink, ProjectCategory, ProjectStatus
from registry.models import AdminArea, FundUse, Project, ProjectFunding, TaskListItem, User
from registry.services import projects as P
from tests.factories import run_worker
from transfer.models import ProjectImport

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
YEAR = TODAY.year
XIANGDONG, YUHE = "500101151200", "500101151201"  # two villages of 龙驹镇
GANNING_VILLAGE = "500101139201"  # 新农村, 甘宁镇 (another township)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def place(code: str) -> Point:
    area = AdminArea.objects.get(code=code)
    return Point(area.point.x + 0.001, area.point.y, srid=4490)


def propose(actor: User, code: str, name: str, **values: Any) -> Project:
    """A project proposed by ``actor`` (a county or township editor), led from ``code``."""
    others = [AdminArea.objects.get(code=c) for c in values.pop("others", [])]
    funding = values.pop(
        "funding", {"central_bridging": Decimal("300000"), "county": Decimal(50000)}
    )
    data: dict[str, Any] = {
        "name": name, "year": YEAR, "category": "construction", "in_construction_library": True,
        "in_bridging_library": True, "geom": place(code), "beneficiary_households": 40,
        "beneficiary_persons": 130, "beneficiary_exited_households": 6,
        "period_start": datetime.date(YEAR, 3, 1), "period_end": datetime.date(YEAR, 10, 31),
        "benefit_links": ["employment", "dividend"], "implementing_unit": "龙驹镇人民政府",
        "fund_direction": FundUse.objects.get(code="small_infrastructure"),
        "content": "=硬化道路2.5公里", "scale": "2.5公里",
    }  # fmt: skip
    data.update(values)
    return P.project_propose(
        actor=actor,
        data=P.ProjectInput(
            values=data, area=AdminArea.objects.get(code=code), other_areas=others, funding=funding
        ),
    )


def to_library(project: Project, township: User, county: User) -> Project:
    project = P.project_township_review(
        actor=township, project=project, approve=True, checks=dict.fromkeys(P.TOWNSHIP_CHECKS, True)
    )
    project = P.project_appraise(
        actor=county, project=project, approve=True, checks=dict.fromkeys(P.COUNTY_CHECKS, True)
    )
    return P.project_approve(actor=county, project=project)


@pytest.fixture
def library(county_manager, township_manager, county_approver) -> dict[str, Project]:
    """Four projects: one planned (向东村), one led from 玉合村 that touches 向东村, one of
    another township, one waiting in the library (with its actual cost started)."""
    road = to_library(propose(county_manager, XIANGDONG, "向东村三组通组公路"), township_manager,
                      county_approver)  # fmt: skip
    road = P.project_plan(actor=county_approver, project=road, year=YEAR)
    road = P.project_start(actor=county_approver, project=road, started_on=TODAY, tender="中标")
    road = P.project_complete(actor=county_approver, project=road, completed_on=TODAY,
                              actual={"central_bridging": Decimal("290000.40")})  # fmt: skip
    farm = propose(
        township_manager, YUHE, "玉合村柑橘基地", category="industry", others=[XIANGDONG],
        funding={"provincial": Decimal("120000.50"), "self_raised": Decimal(8000)},
        benefit_links=["land_transfer"], period_start=None, period_end=None,
    )  # fmt: skip
    other = propose(county_manager, GANNING_VILLAGE, "新农村饮水工程",
                    funding={"central_bridging": Decimal(80000)})  # fmt: skip
    waiting = to_library(propose(county_manager, XIANGDONG, "向东村文化广场", nature="expansion"),
                         township_manager, county_approver)  # fmt: skip
    return {"road": road, "farm": farm, "other": other, "waiting": waiting}


def download(client: Any, user: User, url: str) -> bytes:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def sheet_rows(content: bytes) -> tuple[list[tuple], dict[str, str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet, statement = book.worksheets
    return [tuple(c.value for c in row) for row in sheet.iter_rows()], dict(
        statement.iter_rows(values_only=True)
    )


def library_headers() -> list[str]:
    return [c.header for c in ledgers.project_library().exported]


# --- exports --------------------------------------------------------------------------------------


def test_the_library_exports_to_excel_in_the_county_layout(client, auditor, library):
    content = download(client, auditor, reverse("transfer:project_export", args=["xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet, statement = book.worksheets
    headers = [c.value for c in sheet[1]]
    assert headers == library_headers()
    wanted = ["项目编号", "项目名称", "项目类别", "建设性质", "乡镇（街道）", "村（社区）",
              "计划总投资（元）", "其中：中央衔接推进乡村振兴补助资金（元）", "资金投向",
              "受益户数", "其中脱贫户", "其中监测户", "联农带农机制", "项目阶段",
              "入库年度"]  # fmt: skip
    assert set(wanted) <= set(headers)
    col = {h: i for i, h in enumerate(headers)}
    codes = sorted(p.code for p in library.values())
    data = [r for r in sheet.iter_rows(min_row=2) if r[0].value in codes]
    assert [r[0].value for r in data] == codes  # every project, in code order
    road = next(r for r in data if r[0].value == library["road"].code)
    assert road[col["项目类别"]].value == "乡村建设行动"
    assert road[col["项目阶段"]].value == "已完工"
    assert road[col["联农带农机制"]].value == "务工就业、分红"
    assert road[col["乡村建设项目库"]].value == "是"
    assert road[col["村（社区）"]].value == "向东村村民委员会"
    assert road[col["乡镇（街道）"]].value == "龙驹镇"
    assert road[col["建设内容"]].value == "'=硬化道路2.5公里"  # a formula is neutralised
    start = road[col["计划开工日期"]]
    assert start.is_date and start.value == datetime.datetime(YEAR, 3, 1)
    farm = next(r for r in data if r[0].value == library["farm"].code)
    assert farm[col["村（社区）"]].value == "向东村村民委员会、玉合村村民委员会"
    assert farm[col["涉及区划代码"]].value == f"{XIANGDONG}、{YUHE}"
    assert farm[col["其中：省级财政资金（元）"]].value == 120000.5
    # No stored code reaches the file unlabelled.
    stored = {v for v, _l in ProjectCategory.choices} | {v for v, _l in ProjectStatus.choices}
    stored |= {v for v, _l in BenefitLink.choices} | {"new", "expansion", "True", "False"}
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert not cells & stored
    # Totals row: 合计 with the sums of the money columns, reconciling with the database.
    total_row = sheet.max_row
    assert sheet.cell(row=total_row, column=1).value == "合计"
    last = sheet.cell(row=1, column=len(headers)).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{total_row - 1}"
    planned = ProjectFunding.objects.filter(
        project__county_code="500101"
    ).aggregate(s=Sum("planned"))["s"]  # fmt: skip
    total_cell = sheet.cell(row=total_row, column=col["计划总投资（元）"] + 1)
    assert total_cell.value.startswith("=SUBTOTAL(109,")
    statement = dict(statement.iter_rows(values_only=True))
    assert Decimal(statement["计划总投资（元）合计"]) == planned
    central = ProjectFunding.objects.filter(source__code="central_bridging").aggregate(
        s=Sum("planned")
    )["s"]
    assert Decimal(statement["其中：中央衔接推进乡村振兴补助资金（元）合计"]) == central
    assert statement["导出内容"] == "项目库"
    assert (auditor.get_full_name() or auditor.username) in statement["导出人"]
    assert statement["筛选条件"] == "无"


def test_the_library_export_holds_what_the_page_lists_in_the_users_scope(
    client, village_clerk, county_manager, library
):
    content = download(client, village_clerk, reverse("transfer:project_export", args=["csv"]))
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel on Chinese Windows
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == library_headers()
    codes = {r[0] for r in rows[1:]}
    # The village clerk sees the projects touching 向东村, even one led from 玉合村.
    assert codes == {library["road"].code, library["farm"].code, library["waiting"].code}
    assert "新农村饮水工程" not in content.decode("utf-8-sig")
    # Filtered as the library page is: the same query string.
    url = reverse("transfer:project_export", args=["xlsx"]) + f"?category=industry&area={YUHE}"
    data, statement = sheet_rows(download(client, county_manager, url))
    assert [r[0] for r in data[1:-1] if r[0]] == [library["farm"].code]
    assert statement["筛选条件"] == "区划：玉合村村民委员会（500101151201）；类别：产业发展"
    url = reverse("transfer:project_export", args=["csv"]) + "?status=in_library,proposed"
    rows = list(csv.reader(io.StringIO(
        download(client, county_manager, url).decode("utf-8-sig"))))  # fmt: skip
    assert {r[0] for r in rows[1:]} == {library["farm"].code, library["other"].code,
                                         library["waiting"].code}  # fmt: skip


def test_the_library_export_statement_names_stages_in_words(client, county_manager, library):
    url = reverse("transfer:project_export", args=["xlsx"]) + "?status=in_library,proposed"
    _rows, statement = sheet_rows(download(client, county_manager, url))
    assert statement["筛选条件"] == "阶段：已入库、已申报"


def test_the_library_exports_to_a_geopackage_with_chinese_aliases(
    client, county_manager, library, tmp_path
):
    path = tmp_path / "library.gpkg"
    path.write_bytes(download(client, county_manager, reverse("transfer:project_export",
                                                                  args=["gpkg"])))  # fmt: skip
    assert [name for name, _type in pyogrio.list_layers(path)] == ["项目库"]
    frame = pyogrio.read_dataframe(path, layer="项目库")
    spec = ledgers.project_library()
    assert list(frame.columns[:-1]) == [c.key for c in spec.exported]
    road = frame[frame["code"] == library["road"].code].iloc[0]
    assert road["category"] == "乡村建设行动" and road["in_construction_library"] == "是"
    assert road.geometry.geom_type == "Point"
    assert abs(road.geometry.x - library["road"].geom.x) < 1e-9
    assert frame["planned_total"].sum() == pytest.approx(
        float(ProjectFunding.objects.aggregate(s=Sum("planned"))["s"])
    )
    with contextlib.closing(sqlite3.connect(path)) as db:
        aliases = dict(db.execute("SELECT column_name, name FROM gpkg_data_columns"))
        declared = db.execute(
            "SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns"
        ).fetchone()
    assert aliases["code"] == "项目编号" and aliases["planned_total"] == "计划总投资（元）"
    assert declared == ("POINT", 4490)
    info = pyogrio.read_info(path, layer="项目库")
    assert info["fields"][list(info["fields"]).index("period_start")] == "period_start"
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["period_start"].startswith(
        "datetime"
    )


def test_the_annual_plan_holds_the_years_projects_with_planned_and_actual_money(
    client, auditor, library
):
    url = reverse("transfer:plan_export", args=["xlsx"]) + f"?plan_year={YEAR}"
    rows, statement = sheet_rows(download(client, auditor, url))
    headers = list(rows[0])
    assert headers == [c.header for c in ledgers.PLAN.exported]
    assert headers[:3] == ["计划年度", "项目编号", "项目名称"]
    data = rows[1:-1]
    assert [r[1] for r in data] == [library["road"].code]  # only the planned one
    col = {h: i for i, h in enumerate(headers)}
    assert data[0][col["计划投资（元）"]] == 350000
    assert data[0][col["其中：衔接资金（元）"]] == 300000
    assert data[0][col["实际投资（元）"]] == pytest.approx(290000.40)
    assert statement["实际投资（元）合计"] == "290000.40"
    assert statement["导出内容"] == "年度实施计划"
    assert statement["筛选条件"] == f"计划年度：{YEAR}"


def test_the_task_list_is_the_countys_and_exports_with_its_elements(
    client, village_clerk, county_approver
):
    TaskListItem.objects.create(
        county_code="500101", year=YEAR, task="农村公路提档升级", department="区交通局",
        target="新改建农村公路30公里", content="通组公路硬化", standard="四级公路",
        scale="30公里", fund_source="衔接资金、交通专项", progress=40, created_by=county_approver,
    )  # fmt: skip
    TaskListItem.objects.create(
        county_code="500102", year=YEAR, task="邻县任务", department="邻县交通局",
        created_by=county_approver,
    )  # fmt: skip
    url = reverse("transfer:task_export", args=["csv"]) + f"?year={YEAR}"
    rows = list(csv.reader(io.StringIO(download(client, village_clerk, url).decode("utf-8-sig"))))
    assert rows[0] == ["年度", "年度建设任务名称", "责任部门", "建设目标", "建设内容",
                       "建设标准", "建设规模", "资金来源", "进度（%）", "进度说明"]  # fmt: skip
    task = [str(YEAR), "农村公路提档升级", "区交通局", "新改建农村公路30公里", "通组公路硬化",
            "四级公路", "30公里", "衔接资金、交通专项", "40", ""]  # fmt: skip
    assert rows[1:] == [task]


def test_exports_refuse_formats_and_junk_filters(client, county_manager):
    client.force_login(county_manager)
    assert client.get(reverse("transfer:plan_export", args=["gpkg"])).status_code == 404
    assert client.get(reverse("transfer:project_export", args=["shp"])).status_code == 404
    url = reverse("transfer:project_export", args=["xlsx"]) + "?status=nonsense"
    assert client.get(url).status_code == 400


# --- import -------------------------------------------------------------------------------------


def upload(client: Any, user: User, name: str, content: bytes, capture: Any) -> ProjectImport:
    client.force_login(user)
    with capture(execute=True):
        response = client.post(
            reverse("transfer:project_import_list"),
            {"file": SimpleUploadedFile(name, content, content_type=XLSX)},
        )
    assert response.status_code == 302, response.content[:500]
    run_worker()
    return ProjectImport.objects.filter(user=user).latest("pk")


def commit(client: Any, item: ProjectImport, capture: Any) -> ProjectImport:
    with capture(execute=True):
        response = client.post(reverse("transfer:project_import_commit", args=[item.pk]))
    assert response.status_code == 302
    run_worker()
    item.refresh_from_db()
    return item


def county_workbook(rows: list[list[Any]]) -> bytes:
    """A library as a county keeps it: a title row, its own headers, money in 万元."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["XX区2025年巩固拓展脱贫攻坚成果和乡村振兴项目库"])
    sheet.append(["序号", "项目名称", "项目类型", "建设性质", "乡镇", "村", "建设内容及规模",
                  "计划开工时间", "计划投资（万元）", "中央衔接资金（万元）", "其他资金（万元）",
                  "受益户数", "受益脱贫户数", "利益联结机制", "项目库年度", "项目状态",
                  "备注"])  # fmt: skip
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", None, None, None, None, None, None, None, 999])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [1, "向东村产业路", "乡村建设行动", "新建", "龙驹镇", "向东村", "硬化2公里",
        "2025-04-01", 35.5, 30, 5.5, 60, 8, "务工就业、分红", YEAR, "", "老台账"]  # fmt: skip


def test_a_county_library_is_checked_row_by_row_and_imports_all_or_nothing(
    client, county_manager, django_capture_on_commit_callbacks
):
    bad = [2, "玉合村冷库", "冷链", "新建", "龙驹镇", "玉合村", "", "2025-13-01", 12, 12, 0, 5,
           9, "发钱", YEAR, "", ""]  # fmt: skip
    outside = [3, "外镇项目", "产业发展", "新建", "龙驹镇", "不存在村", "", "", 1, 1, 0, 0, 0,
               "", YEAR, "", ""]  # fmt: skip
    item = upload(client, county_manager, "项目库.xlsx", county_workbook([GOOD, bad, outside]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "checked"
    outcome = item.outcome
    assert (outcome["rows"], outcome["create"], outcome["errors"]) == (3, 1, 2)
    # Each problem by its row in the sheet, the file's own column and the reason in both
    # languages; the title row and the totals row are not rows of projects.
    problems = {(p["row"], p["column"]): p["message"] for p in outcome["problems"]}
    assert set(problems) == {("4", "项目类型"), ("4", "计划开工时间"), ("4", "利益联结机制"),
                             ("5", "村")}  # fmt: skip
    assert problems[("4", "项目类型")].startswith("无效值 冷链；可选：产业发展")
    assert "Unknown value 冷链; allowed:" in problems[("4", "项目类型")]
    assert (
        problems[("4", "计划开工时间")]
        == "不是日期（请写作 2021-05-03）。 / Not a date (write 2021-05-03)."
    )
    assert "发钱" in problems[("4", "利益联结机制")]
    assert "No area named 不存在村 in your area." in problems[("5", "村")]
    assert outcome["ignored"] == ["序号", "备注"]
    assert not Project.objects.filter(name="向东村产业路").exists()  # the check wrote nothing
    page = client.get(reverse("transfer:project_import_detail", args=[item.pk]))
    assert page.status_code == 200 and "冷链" in page.content.decode()
    assert 'data-testid="commit"' not in page.content.decode()  # a file with problems: no import
    assert client.post(reverse("transfer:project_import_commit", args=[item.pk])).status_code == 409
    problems_file = client.get(reverse("transfer:project_import_problems", args=[item.pk]))
    assert problems_file.status_code == 200
    # Corrected, it imports: the row is a proposed project, attributed to the user.
    item = upload(client, county_manager, "项目库-改.xlsx", county_workbook([GOOD]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert (item.outcome["create"], item.outcome["errors"]) == (1, 0)
    assert item.outcome["stages"] == {"已申报": 1}
    item = commit(client, item, django_capture_on_commit_callbacks)
    assert item.state == "committed", item.message
    project = Project.objects.get(name="向东村产业路")
    assert project.status == "proposed" and project.area.code == XIANGDONG
    assert project.created_by == county_manager and project.category == "construction"
    assert project.benefit_links == ["employment", "dividend"]
    assert project.period_start == datetime.date(2025, 4, 1)
    lines = {f.source.code: f.planned for f in project.funding.select_related("source")}
    assert lines == {"central_bridging": Decimal("300000.00"), "other": Decimal("55000.00")}
    step = project.steps.get()
    assert step.actor == county_manager
    assert f"项目库-改.xlsx（导入 #{item.pk}）第3行" in step.reason
    # History attributes every row the import wrote to the importing user and the import.
    events = pghistory.models.Events.objects.filter(
        pgh_obj_model__in=["registry.Project", "registry.ProjectFunding", "registry.ProjectStep"],
        pgh_obj_id__in=[str(project.pk), str(step.pk)]
        + [str(pk) for pk in project.funding.values_list("pk", flat=True)],
    )
    assert events.count() >= 4
    contexts = [e.pgh_context or {} for e in events]
    assert {c.get("user") for c in contexts} == {county_manager.pk}
    assert {c.get("command") for c in contexts} == {f"import #{item.pk} 项目库-改.xlsx"}
    assert item.outcome["codes"] == [project.code]


def test_the_total_must_be_the_sum_of_the_fund_sources(
    client, county_manager, django_capture_on_commit_callbacks
):
    row = list(GOOD)
    row[8] = 40  # 40 万元 against 30 + 5.5
    item = upload(client, county_manager, "项目库.xlsx", county_workbook([row]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    [problem] = item.outcome["problems"]
    assert (problem["row"], problem["column"]) == ("3", "计划投资（万元）")
    assert "400,000.00" in problem["message"] and "355,000.00" in problem["message"]


def test_a_commit_that_meets_a_new_problem_writes_nothing(
    client, county_manager, django_capture_on_commit_callbacks
):
    second = list(GOOD)
    second[1] = "向东村便民桥"
    item = upload(client, county_manager, "项目库.xlsx", county_workbook([GOOD, second]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.outcome["create"] == 2
    # Before the commit, someone enters the bridge by hand: the file's row is now its twin.
    propose(county_manager, XIANGDONG, "向东村便民桥")
    before = Project.objects.count()
    item = commit(client, item, django_capture_on_commit_callbacks)
    assert item.state == "checked" and "nothing was imported" in item.message
    assert Project.objects.count() == before  # the road of row 3 was not written either
    assert not Project.objects.filter(name="向东村产业路").exists()
    [problem] = item.outcome["problems"]
    assert (problem["row"], problem["column"]) == ("4", "项目名称")
    assert "in the library already" in problem["message"]


def test_a_library_entry_past_the_proposal_is_entered_so_only_by_the_county_approver(
    client, township_manager, county_approver, django_capture_on_commit_callbacks
):
    row = list(GOOD)
    row[15] = "已入库"
    item = upload(client, township_manager, "项目库.xlsx", county_workbook([row]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    [problem] = item.outcome["problems"]
    assert problem["column"] == "项目状态" and "county" in problem["message"]
    item = upload(client, county_approver, "项目库.xlsx", county_workbook([row]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.outcome["stages"] == {"已入库": 1}
    item = commit(client, item, django_capture_on_commit_callbacks)
    project = Project.objects.get(name="向东村产业路")
    assert project.status == "in_library"
    propose_step, entered = project.steps.order_by("id")
    assert (propose_step.kind, propose_step.to_status) == ("propose", "proposed")
    assert (entered.kind, entered.from_status, entered.to_status) == (
        "adjust", "proposed", "in_library"
    )  # fmt: skip
    assert entered.actor == county_approver and "项目库.xlsx" in entered.reason
    assert "before the register" in entered.reason
    later = list(GOOD)
    later[1], later[15] = "向东村水厂", "实施中"
    item = upload(client, county_approver, "项目库2.xlsx", county_workbook([later]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.outcome["errors"] == 1 and "step by step" in item.outcome["problems"][0]["message"]


def test_a_township_imports_only_into_its_own_area_and_a_village_not_at_all(
    client, township_manager, village_clerk, django_capture_on_commit_callbacks
):
    row = list(GOOD)
    row[4], row[5] = "甘宁镇", "新农村"
    item = upload(client, township_manager, "项目库.xlsx", county_workbook([row]),
                  django_capture_on_commit_callbacks)  # fmt: skip
    columns = {p["column"] for p in item.outcome["problems"]}
    assert columns == {"乡镇", "村"}
    assert not Project.objects.filter(name="向东村产业路").exists()
    client.force_login(village_clerk)
    page = client.get(reverse("transfer:project_import_list"))
    assert page.status_code == 200 and 'data-testid="village-refusal"' in page.content.decode()
    refused = client.post(
        reverse("transfer:project_import_list"),
        {"file": SimpleUploadedFile("a.xlsx", county_workbook([GOOD]), content_type=XLSX)},
    )
    assert refused.status_code == 403
    assert not ProjectImport.objects.filter(user=village_clerk).exists()


def test_an_export_of_the_library_reimports_without_change(
    client, county_approver, library, django_capture_on_commit_callbacks
):
    content = download(client, county_approver, reverse("transfer:project_export", args=["xlsx"]))
    item = upload(client, county_approver, "项目库导出.xlsx", content,
                  django_capture_on_commit_callbacks)  # fmt: skip
    outcome = item.outcome
    assert outcome["errors"] == 0, outcome["problems"]
    assert (outcome["create"], outcome["update"]) == (0, 0)
    assert outcome["unchanged"] == Project.objects.filter(county_code="500101").count() >= 4
    page = client.get(reverse("transfer:project_import_detail", args=[item.pk])).content.decode()
    assert 'data-testid="commit"' not in page
    # The same export with one cell changed: one change, through the project's own rules.
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == library["farm"].code:
            row[headers.index("建设规模")].value = "300亩"
        if row[0].value == library["waiting"].code:
            row[headers.index("其中：县级财政资金（元）")].value = 60000
            row[headers.index("计划总投资（元）")].value = 360000
    out = io.BytesIO()
    book.save(out)
    item = upload(client, county_approver, "项目库修改.xlsx", out.getvalue(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert (item.outcome["update"], item.outcome["errors"]) == (2, 0), item.outcome["problems"]
    item = commit(client, item, django_capture_on_commit_callbacks)
    assert item.state == "committed", item.message
    farm = Project.objects.get(pk=library["farm"].pk)
    assert farm.scale == "300亩"
    waiting = Project.objects.get(pk=library["waiting"].pk)
    assert waiting.funding.get(source__code="county").planned == Decimal(60000)
    adjusted = waiting.steps.get(kind="adjust")  # in the library: a recorded adjustment
    assert adjusted.actor == county_approver and "项目库修改.xlsx" in adjusted.reason
    assert adjusted.details["after"] == {"funding:county": "60000.00"}


def test_a_township_reimports_its_csv_export_unchanged_even_a_project_led_elsewhere(
    client, township_manager, county_manager, library, django_capture_on_commit_callbacks
):
    # Led from 甘宁镇 but touching 向东村: the township sees it (and may not change it).
    link = propose(county_manager, GANNING_VILLAGE, "甘宁至龙驹连接路", others=[XIANGDONG])
    content = download(client, township_manager, reverse("transfer:project_export", args=["csv"]))
    assert link.code in content.decode("utf-8-sig")
    item = upload(client, township_manager, "项目库.csv", content,
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.outcome["errors"] == 0, item.outcome["problems"]
    assert (item.outcome["unchanged"], item.outcome["create"], item.outcome["update"]) == (4, 0, 0)
    assert item.outcome["format"] == "csv"
    # Changing the project led elsewhere is refused with the reason, on its code.
    text = content.decode("utf-8-sig").replace("甘宁至龙驹连接路", "甘宁至龙驹连接路（改）")
    item = upload(client, township_manager, "项目库.csv", ("\ufeff" + text).encode(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    [problem] = item.outcome["problems"]
    assert problem["column"] == "项目编号" and "led from outside your area" in problem["message"]
    assert Project.objects.get(pk=link.pk).name == "甘宁至龙驹连接路"


def test_a_file_that_is_no_library_is_refused_with_the_reason_and_others_never_see_an_import(
    client, county_manager, township_manager, django_capture_on_commit_callbacks
):
    item = upload(client, county_manager, "名单.csv", "姓名,电话\n张三,123\n".encode(),
                  django_capture_on_commit_callbacks)  # fmt: skip
    assert item.state == "rejected"
    assert "No column of the project library was found" in item.message
    assert "未找到项目库的列" in item.message
    status = client.get(reverse("transfer:project_import_status", args=[item.pk])).json()
    assert (status["state"], status["busy"]) == ("rejected", False)
    client.force_login(township_manager)
    assert client.get(reverse("transfer:project_import_detail", args=[item.pk])).status_code == 404
    old = upload(client, township_manager, "旧表.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 600,
                 django_capture_on_commit_callbacks)  # fmt: skip
    assert old.state == "rejected" and ".xlsx" in old.message


def test_a_table_without_geometry_or_a_lying_zip_is_refused_with_a_reason(tmp_path, db):
    """A GeoPackage of attributes only once crashed the check (AttributeError); a workbook
    whose zip directory understates its members ended as an "unexpected error"."""
    import zipfile

    import pandas

    from transfer.importers import ImportRefused
    from transfer.importers import projects as library
    from transfer.jobs import _failure

    plain = tmp_path / "plain.gpkg"
    pyogrio.write_dataframe(pandas.DataFrame({"项目名称": ["甲"]}), plain, driver="GPKG")
    manager = User.objects.get(username="manager")
    with pytest.raises(ImportRefused) as caught:
        library.preview(plain, manager)
    assert "Excel" in str(caught.value)
    damaged = _failure(zipfile.BadZipFile("Bad CRC-32"))
    assert "文件已损坏" in damaged and "The file is damaged" in damaged


def test_a_big_library_export_is_written_by_the_worker_in_the_users_scope(
    client, village_clerk, library, settings, django_capture_on_commit_callbacks
):
    """Over EXPORT_INLINE_MAX_ROWS projects (a province's library: 12 s as Excel at 50,000),
    the worker writes the file, filtered and scoped as the page was, as for big asset lists."""
    from transfer.models import ExportJob

    settings.EXPORT_INLINE_MAX_ROWS = 1
    client.force_login(village_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("transfer:project_export", args=["csv"]))
    job = ExportJob.objects.order_by("-pk").first()
    assert response.status_code == 302
    assert response["Location"] == reverse("transfer:export_detail", args=[job.pk])
    assert (job.ledger, job.rows_total, job.state) == ("projects", 3, "queued")
    page = client.get(response["Location"]).content.decode()
    assert "项目库导出" in page and "共 3 个项目" in page
    run_worker()
    job.refresh_from_db()
    assert job.state == "done", job.message
    content = b"".join(client.get(reverse("transfer:export_download", args=[job.pk])))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == library_headers()
    assert {r[0] for r in rows[1:]} == {
        library["road"].code,
        library["farm"].code,
        library["waiting"].code,
    }
