"""Issue 19's pages: villages' needs, the township's review queue, the county library and a
project's page with its steps, the year's plan and task list, the 公示 sheets, and the asset's
trace back to its project. Scope, junk, query counts and the negative list, as a user sees them."""

import datetime
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from registry.models import (
    AdminArea,
    Asset,
    ConstructionNeed,
    FundUse,
    Project,
    ProjectFile,
    TaskListItem,
    User,
)
from registry.services import projects as P
from tests.factories import collective, village

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
XIANGDONG, YUHE = "500101151200", "500101151201"  # two villages of 龙驹镇
LONGJU = "500101151000"
OTHER_VILLAGE = "500101139201"  # 新农村, 甘宁镇: another township
PDF = b"%PDF-1.4\n" + b"0" * 300
JUNK = ["\x00", "9" * 400, "-1", "abc", "NaN", "1e999", "<script>x</script>", " ", "２０２５"]


def days(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def place(code: str = XIANGDONG, dx: float = 0.001) -> Point:
    area = AdminArea.objects.get(code=code)
    return Point(area.point.x + dx, area.point.y, srid=4490)


def make_need(clerk: User, code: str = XIANGDONG, **values: Any) -> ConstructionNeed:
    data = {
        "title": "三组通组公路硬化", "category": "rural_road", "horizon_from": TODAY.year,
        "horizon_to": TODAY.year + 2, "meeting_kind": "representatives", "meeting_on": days(20),
        "meeting_attendance": 35, "geom": place(code), "estimated_investment": Decimal("350000"),
    }  # fmt: skip
    data.update(values)
    return P.need_create(actor=clerk, area=village(code), values=data)


def submitted_need(clerk: User, code: str = XIANGDONG, **values: Any) -> ConstructionNeed:
    item = make_need(clerk, code, **values)
    item = P.need_post(actor=clerk, need=item, posted_from=days(15), posted_to=days(8))
    return P.need_submit(actor=clerk, need=item)


def project_input(area: AdminArea | None = None, **values: Any) -> P.ProjectInput:
    data: dict[str, Any] = {
        "name": "向东村三组通组公路硬化", "year": TODAY.year, "category": "construction",
        "in_construction_library": True, "in_bridging_library": True,
        "fund_direction": FundUse.objects.get(code="small_infrastructure"),
        "fund_uses": ["small_infrastructure"], "geom": place(), "beneficiary_households": 40,
        "beneficiary_persons": 130, "beneficiary_exited_households": 12,
    }  # fmt: skip
    funding = values.pop(
        "funding", {"central_bridging": Decimal("300000"), "county": Decimal("50000")}
    )
    others = values.pop("other_areas", [])
    data.update(values)
    return P.ProjectInput(
        values=data,
        area=area or village(),
        other_areas=others,
        funding=funding,
        targets=[
            P.Target("output", "硬化里程", "≥2.5", "公里"),
            P.Target("satisfaction", "受益群众满意度", "≥90", "%"),
        ],
    )


def in_library(project: Project, township: User, county: User) -> Project:
    project = P.project_township_review(
        actor=township, project=project, approve=True, checks=dict.fromkeys(P.TOWNSHIP_CHECKS, True)
    )
    project = P.project_appraise(
        actor=county, project=project, approve=True, checks=dict.fromkeys(P.COUNTY_CHECKS, True)
    )
    return P.project_approve(actor=county, project=project)


def text(response: Any) -> str:
    return response.content.decode()


def token() -> str:
    return str(uuid.uuid4())


def form_of(response: Any) -> dict[str, Any]:
    """What the page's form would post as it stands: its initial values."""
    form = response.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif hasattr(value, "pk"):
            data[name] = str(value.pk)
        elif hasattr(value, "isoformat"):
            data[name] = value.isoformat()
        elif hasattr(value, "geojson"):
            data[name] = value.geojson
        else:
            data[name] = str(value)
    return data


# --- the journey, as forms post it ---


def test_a_need_goes_through_the_pages_to_an_asset_that_links_back(
    client, village_clerk, township_manager, county_approver
):
    # The clerk enters a need, drawn as a line, with the meeting that decided it.
    client.force_login(village_clerk)
    page = client.get(reverse("registry:need_create"))
    assert page.status_code == 200
    road = LineString(place(dx=0.001).coords, place(dx=0.004).coords, srid=4490)
    response = client.post(
        reverse("registry:need_create"),
        {
            "submission": token(), "title": "三组通组公路硬化", "category": "rural_road",
            "area": village().pk, "description": "2.5公里，宽4.5米", "horizon_from": TODAY.year,
            "horizon_to": TODAY.year + 2, "estimated_investment": "350000",
            "geom": road.geojson, "meeting_kind": "representatives",
            "meeting_on": days(30).isoformat(), "meeting_attendance": "42",
        },
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    need = ConstructionNeed.objects.get(title="三组通组公路硬化", area__code=XIANGDONG)
    assert need.geom.geom_type == "LineString" and need.meeting_attendance == 42
    detail = text(client.get(reverse("registry:need_detail", args=[need.pk])))
    assert "村民代表大会" in detail and "草拟中" not in detail.split("need-status")[0]
    # The minutes' scan, the posting (in the past), and sending it up.
    response = client.post(
        reverse("registry:need_file", args=[need.pk]),
        {"submission": token(), "kind": "minutes",
         "file": SimpleUploadedFile("会议记录.pdf", PDF, content_type="application/pdf")},
    )  # fmt: skip
    assert response.status_code == 302
    assert ProjectFile.objects.get(need=need).content_type == "application/pdf"
    response = client.post(
        reverse("registry:need_post", args=[need.pk]),
        {"submission": token(), "posted_from": days(20).isoformat(),
         "posted_to": days(13).isoformat(), "objection": ""},
    )  # fmt: skip
    assert response.status_code == 302
    response = client.post(reverse("registry:need_submit", args=[need.pk]), {"submission": token()})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == "submitted"

    # The township accepts it and merges it into a proposal, then reviews the proposal.
    client.force_login(township_manager)
    queue = text(client.get(reverse("registry:project_queue")))
    assert "三组通组公路硬化" in queue and reverse("registry:need_review", args=[need.pk]) in queue
    response = client.post(
        reverse("registry:need_review", args=[need.pk]),
        {"submission": token(), "genuine": "on", "necessary": "on", "feasible": "on",
         "accept": "1", "note": ""},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("registry:project_create") + f"?need={need.pk}")
    assert page.status_code == 200
    data = form_of(page)
    assert data["name"] == "三组通组公路硬化" and data["area"] == str(village().pk)
    data.update(
        submission=token(), need=str(need.pk), funding_central_bridging="300000",
        funding_county="50000", fund_uses=["small_infrastructure"],
        fund_direction=str(FundUse.objects.get(code="small_infrastructure").pk),
        target_kind_0="output", target_indicator_0="硬化里程", target_value_0="≥2.5",
        target_unit_0="公里", beneficiary_households="40", beneficiary_persons="130",
    )  # fmt: skip
    response = client.post(reverse("registry:project_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    project = Project.objects.get(needs=need)
    assert project.status == "proposed" and XIANGDONG in project.area_codes
    checks = {f"check_{n}": "on" for n in P.TOWNSHIP_CHECKS}
    response = client.post(
        reverse("registry:project_review", args=[project.code]),
        {"submission": token(), "approve": "1", "reason": "", **checks},
    )
    assert response.status_code == 302

    # The county appraises, approves, plans, follows the works and hands them over.
    client.force_login(county_approver)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("appraise", {"approve": "1", **{f"check_{n}": "on" for n in P.COUNTY_CHECKS}}),
        ("approve", {"reason": "区领导小组审定"}),
        ("plan", {"year": str(TODAY.year)}),
        ("start", {"started_on": days(60).isoformat(), "tender": "重庆某建设公司中标"}),
        (
            "complete",
            {
                "completed_on": days(10).isoformat(),
                "actual_central_bridging": "290000.01",
                "actual_county": "50000",
            },
        ),
        ("accept", {"accepted_on": days(5).isoformat(), "report": "验收合格"}),
    ]
    for step, values in steps:
        url = reverse("registry:project_step", args=[project.code, step])
        assert client.get(url).status_code == 200, step
        response = client.post(url, {"submission": token(), **values})
        assert response.status_code == 302, (step, response.context["form"].errors)
    owner = collective()
    url = reverse("registry:project_step", args=[project.code, "hand_over"])
    assert "340,000.01" in text(client.get(url))
    response = client.post(
        url,
        {"submission": token(), "handed_on": days(1).isoformat(),
         "name_0": "向东村三组通组公路", "class_0": "public", "subtype_0": "road",
         "quantity_0": "2.5", "unit_0": "公里", "area_0": str(village().pk),
         "owner_0": str(owner.pk), "share_0": "66.6667",
         "name_1": "向东村三组公路桥涵", "class_1": "public", "subtype_1": "bridge",
         "quantity_1": "1", "unit_1": "座", "area_1": str(village().pk),
         "owner_1": str(owner.pk), "share_1": "33.3333"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    assets = list(Asset.objects.filter(source_project=project).order_by("code"))
    assert len(assets) == 2 and sum(a.original_value for a in assets) == Decimal("340000.01")

    # The project's page shows the steps in words and its assets; the asset links back.
    page = text(client.get(reverse("registry:project_detail", args=[project.code])))
    for words in ("乡镇审核", "县级论证", "审定入库", "资产已移交", "区领导小组审定", "真实性：是"):
        assert words in page, words
    assert "township_review" not in page and "handed_over<" not in page
    for asset in assets:
        assert reverse("registry:asset_detail", args=[asset.code]) in page
    assert owner.name in page
    asset_page = text(client.get(reverse("registry:asset_detail", args=[assets[0].code])))
    assert reverse("registry:project_detail", args=[project.code]) in asset_page
    assert "66.6667%" in asset_page and "形成资产的项目" in asset_page


# --- the negative list ---


def test_a_negative_list_use_is_stopped_at_the_township_review_with_the_rule_named(
    client, township_manager
):
    project = P.project_propose(
        actor=township_manager,
        data=project_input(name="村委会办公楼改造", fund_uses=["office_buildings"]),
    )
    client.force_login(township_manager)
    url = reverse("registry:project_review", args=[project.code])
    page = text(client.get(url))
    assert "修建楼堂馆所及党政机关办公用房" in page  # warned before the review is recorded
    checks = {f"check_{n}": "on" for n in P.TOWNSHIP_CHECKS}
    response = client.post(url, {"submission": token(), "approve": "1", "reason": "", **checks})
    assert response.status_code == 400
    errors = " ".join(response.context["form"].non_field_errors())
    assert "修建楼堂馆所及党政机关办公用房" in errors and "财农〔2021〕19号" in errors
    assert "衔接资金不得用于" in text(response) or "may not pay for" in errors
    assert Project.objects.get(pk=project.pk).status == "proposed"
    assert not project.steps.filter(kind="township_review").exists()
    # The project's own page flags the use as on the negative list.
    page = text(client.get(reverse("registry:project_detail", args=[project.code])))
    assert "负面清单" in page


# --- scope ---


def test_the_village_clerk_sees_only_their_villages_needs_and_the_projects_touching_it(
    client, village_clerk, township_manager, county_manager
):
    own = make_need(village_clerk, title="向东村自己的需求")
    sibling = make_need(county_manager, YUHE, title="邻村的需求")
    far = make_need(county_manager, OTHER_VILLAGE, title="外镇的需求")
    touching = P.project_propose(
        actor=township_manager,
        data=project_input(village(YUHE), name="跨村道路项目", other_areas=[village()]),
    )
    elsewhere = P.project_propose(
        actor=township_manager, data=project_input(village(YUHE), name="邻村独有项目")
    )
    client.force_login(village_clerk)
    needs = text(client.get(reverse("registry:need_list")))
    assert "向东村自己的需求" in needs
    assert "邻村的需求" not in needs and "外镇的需求" not in needs
    assert client.get(reverse("registry:need_detail", args=[sibling.pk])).status_code == 404
    assert client.get(reverse("registry:need_detail", args=[far.pk])).status_code == 404
    assert client.get(reverse("registry:need_edit", args=[sibling.pk])).status_code == 404
    library = text(client.get(reverse("registry:project_list")))
    assert "跨村道路项目" in library and "邻村独有项目" not in library
    assert client.get(reverse("registry:project_detail", args=[touching.code])).status_code == 200
    assert client.get(reverse("registry:project_detail", args=[elsewhere.code])).status_code == 404
    # Seen is not acted on: the project is led from the other village.
    assert client.get(reverse("registry:project_edit", args=[touching.code])).status_code == 403
    assert client.get(reverse("registry:project_review", args=[touching.code])).status_code == 403
    # The clerk's own need: theirs to edit, not to review.
    assert client.get(reverse("registry:need_edit", args=[own.pk])).status_code == 200
    own = submitted_need(village_clerk, title="送审的需求")
    assert client.get(reverse("registry:need_review", args=[own.pk])).status_code == 403


def test_the_township_approver_reviews_only_their_townships_needs_and_projects(
    client, village_clerk, township_manager, county_manager
):
    ours = submitted_need(village_clerk)
    theirs = submitted_need(county_manager, OTHER_VILLAGE, title="外镇送审需求")
    far_project = P.project_propose(
        actor=county_manager, data=project_input(village(OTHER_VILLAGE), name="外镇项目")
    )
    client.force_login(township_manager)
    queue = text(client.get(reverse("registry:project_queue")))
    assert "三组通组公路硬化" in queue and "外镇送审需求" not in queue and "外镇项目" not in queue
    assert client.get(reverse("registry:need_review", args=[ours.pk])).status_code == 200
    assert client.get(reverse("registry:need_review", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("registry:need_review", args=[theirs.pk]),
        {
            "submission": token(),
            "genuine": "on",
            "necessary": "on",
            "feasible": "on",
            "accept": "1",
        },
    )
    assert response.status_code == 404
    assert ConstructionNeed.objects.get(pk=theirs.pk).status == "submitted"
    url = reverse("registry:project_review", args=[far_project.code])
    assert client.get(url).status_code == 404
    # The county's steps are not the township's.
    near = P.project_propose(actor=township_manager, data=project_input())
    url = reverse("registry:project_step", args=[near.code, "appraise"])
    assert client.get(url).status_code == 403
    # The to-do list sends the township approver to its needs.
    todo = text(client.get(reverse("registry:todo")))
    assert reverse("registry:need_review", args=[ours.pk]) in todo
    assert reverse("registry:need_review", args=[theirs.pk]) not in todo
    assert reverse("registry:project_review", args=[near.code]) in todo


def test_readers_see_the_pages_but_get_403_on_every_form(client, planner, township_manager):
    project = P.project_propose(actor=township_manager, data=project_input())
    client.force_login(planner)
    for name in ("need_list", "project_list", "project_queue", "plan_current"):
        assert client.get(reverse(f"registry:{name}"), follow=True).status_code == 200, name
    assert client.get(reverse("registry:project_detail", args=[project.code])).status_code == 200
    for url in (
        reverse("registry:need_create"),
        reverse("registry:project_create"),
        reverse("registry:task_create"),
        reverse("registry:project_edit", args=[project.code]),
        reverse("registry:project_review", args=[project.code]),
        reverse("registry:project_step", args=[project.code, "approve"]),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"submission": token()}).status_code == 403, url
    assert (
        client.get(reverse("registry:project_step", args=[project.code, "nope"])).status_code == 404
    )


# --- junk ---


def _junk_posts(client: Client, url: str, fields: list[str], base: dict[str, Any]) -> list[str]:
    """Every junk value into every field, one field at a time and all at once: never a 5xx."""
    problems = []
    for value in JUNK:
        posts = [{**base, name: value} for name in fields] + [dict.fromkeys(fields, value)]
        for data in posts:
            response = client.post(url, {"submission": token(), **data})
            # 403: an earlier junk post was a valid one (a reason is any text) and took the step.
            if response.status_code not in (200, 302, 400, 403, 409):
                problems.append(f"{url} {data!r:.120}: {response.status_code}")
    return problems


def test_junk_in_every_field_of_every_form_is_never_a_500(
    client, village_clerk, township_manager, county_approver
):
    need = make_need(village_clerk)
    submitted = submitted_need(village_clerk, title="送审")
    client.force_login(village_clerk)
    problems = []
    for url in (reverse("registry:need_create"), reverse("registry:need_edit", args=[need.pk])):
        fields = list(client.get(url).context["form"].fields)
        problems += _junk_posts(client, url, fields, {})
    problems += _junk_posts(
        client, reverse("registry:need_post", args=[need.pk]),
        ["posted_from", "posted_to", "objection"], {},
    )  # fmt: skip
    problems += _junk_posts(
        client, reverse("registry:need_file", args=[need.pk]), ["kind", "file"], {}
    )
    client.force_login(township_manager)
    problems += _junk_posts(
        client, reverse("registry:need_review", args=[submitted.pk]),
        ["genuine", "necessary", "feasible", "accept", "note"], {},
    )  # fmt: skip
    project = P.project_propose(actor=township_manager, data=project_input())
    for url in (
        reverse("registry:project_create"),
        reverse("registry:project_edit", args=[project.code]),
    ):
        fields = list(client.get(url).context["form"].fields)
        problems += _junk_posts(client, url, fields, {})
    problems += _junk_posts(
        client, reverse("registry:project_review", args=[project.code]),
        ["approve", "reason", *(f"check_{n}" for n in P.TOWNSHIP_CHECKS)], {},
    )  # fmt: skip
    # Every county step on a project waiting for it.
    client.force_login(county_approver)
    library = in_library(
        P.project_propose(actor=township_manager, data=project_input(name="垃圾测试")),
        township_manager,
        county_approver,
    )
    for step in ("plan", "adjust", "withdraw", "carry_over"):
        url = reverse("registry:project_step", args=[library.code, step])
        fields = list(client.get(url).context["form"].fields)
        problems += _junk_posts(client, url, fields, {})
        library.refresh_from_db()
        if library.status != "in_library" or library.year != TODAY.year:  # a junk post passed
            Project.objects.filter(pk=library.pk).update(status="in_library", year=TODAY.year)
    assert not problems, "\n".join(problems[:20])
    assert library.steps.count() >= 3
    # Nothing was written under junk: the need is as it was.
    need.refresh_from_db()
    assert need.title == "三组通组公路硬化"


def test_junk_in_the_handover_and_completion_forms_is_a_form_error(
    client, township_manager, county_approver
):
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    project = P.project_plan(actor=county_approver, project=project, year=TODAY.year)
    project = P.project_start(actor=county_approver, project=project, started_on=days(40))
    client.force_login(county_approver)
    url = reverse("registry:project_step", args=[project.code, "complete"])
    fields = list(client.get(url).context["form"].fields)
    problems = _junk_posts(client, url, fields, {})
    project.refresh_from_db()
    if project.status != "in_progress":
        Project.objects.filter(pk=project.pk).update(status="in_progress")
    response = client.post(
        url,
        {"submission": token(), "completed_on": days(3).isoformat(),
         "actual_central_bridging": "300000"},
    )  # fmt: skip
    assert response.status_code == 302
    P.project_accept(actor=county_approver, project=project, accepted_on=days(2))
    url = reverse("registry:project_step", args=[project.code, "hand_over"])
    fields = list(client.get(url).context["form"].fields)
    problems += _junk_posts(client, url, fields, {"handed_on": days(1).isoformat()})
    assert not problems, "\n".join(problems[:20])
    # Shares that do not add up: the service's reason, in both languages, on the page.
    owner = collective()
    response = client.post(
        url,
        {"submission": token(), "handed_on": days(1).isoformat(), "name_0": "路",
         "class_0": "public", "subtype_0": "road", "owner_0": owner.pk, "share_0": "90"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "100 %" in text(response) and not Asset.objects.filter(source_project=project).exists()
    # A part begun without its owner is named on its row.
    response = client.post(
        url,
        {"submission": token(), "handed_on": days(1).isoformat(), "name_0": "路",
         "class_0": "public", "subtype_0": "road", "share_0": "100"},
    )  # fmt: skip
    assert response.status_code == 400 and "owner_0" in response.context["form"].errors


# --- one write per submission ---


def test_the_same_submission_twice_writes_once(
    client, village_clerk, county_approver, township_manager
):
    client.force_login(village_clerk)
    data = {
        "submission": token(), "title": "两次提交的需求", "category": "water", "area": village().pk,
        "horizon_from": TODAY.year, "horizon_to": TODAY.year + 1,
    }  # fmt: skip
    assert client.post(reverse("registry:need_create"), data).status_code == 302
    assert client.post(reverse("registry:need_create"), data).status_code == 302
    assert ConstructionNeed.objects.filter(title="两次提交的需求").count() == 1
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    client.force_login(county_approver)
    url = reverse("registry:project_step", args=[project.code, "carry_over"])
    data = {"submission": token(), "reason": "资金未落实"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code in (302, 403)
    assert project.steps.filter(kind="carry_over").count() == 1


# --- query counts ---


def _projects(n: int, township: User, county: User, clerk: User) -> None:
    """n proposals (half of them in the library, half of those in this year's plan, each under
    a task of its own) and n needs sent up."""
    for i in range(n):
        project = P.project_propose(
            actor=township, data=project_input(name=f"批量项目{i}", other_areas=[village(YUHE)])
        )
        if i % 2:
            project = in_library(project, township, county)
        if i % 4 == 3:
            task = P.task_create(
                actor=county,
                county_code="500101",
                values={"year": TODAY.year, "task": f"批量任务{i}", "department": "区交通局"},
            )
            P.project_plan(actor=county, project=project, year=TODAY.year, task=task)
        submitted_need(clerk, title=f"批量需求{i}")


@pytest.mark.parametrize(
    "url,user",
    [
        (lambda: reverse("registry:project_list"), "planner"),
        (lambda: reverse("registry:project_list") + "?status=in_library&area=" + LONGJU, "planner"),
        (lambda: reverse("registry:need_list"), "township_manager"),
        (lambda: reverse("registry:project_queue"), "township_manager"),
        (lambda: reverse("registry:project_queue"), "approver"),
        (lambda: reverse("registry:plan_year", args=[TODAY.year]), "approver"),
        (lambda: reverse("registry:library_sheet", args=[TODAY.year]), "planner"),
        (lambda: reverse("registry:township_sheet", args=[LONGJU]), "township_manager"),
        (lambda: reverse("registry:need_sheet", args=[XIANGDONG]), "village_clerk"),
    ],
)
def test_list_pages_take_the_same_queries_whatever_the_number_of_rows(
    client,
    url,
    user,
    village_clerk,
    township_manager,
    county_approver,
    django_assert_max_num_queries,
):
    client.force_login(User.objects.get(username=user))
    _projects(4, township_manager, county_approver, village_clerk)
    client.get(url())  # warm: templates, translations
    with django_assert_max_num_queries(14) as few:
        assert client.get(url()).status_code == 200
    _projects(6, township_manager, county_approver, village_clerk)
    with django_assert_max_num_queries(14) as many:
        assert client.get(url()).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries), [
        q["sql"][:160] for q in many.captured_queries
    ]


def test_a_projects_page_takes_the_same_queries_whatever_its_size(
    client, township_manager, county_approver, django_assert_max_num_queries
):
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    client.force_login(county_approver)
    url = reverse("registry:project_detail", args=[project.code])
    client.get(url)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    for i in range(4):
        P.project_adjust(
            actor=county_approver, project=project, expected_version=project.version,
            reason=f"调整{i}", values={"scale": f"{i}公里"},
        )  # fmt: skip
        project.refresh_from_db()
    with django_assert_max_num_queries(20) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


# --- the plan, the task list, the sheets ---


def test_the_plan_page_shows_the_years_industry_share_as_computed_by_hand(
    client, township_manager, county_approver, county_manager
):
    """Industry 300,000 of 300,000 + 200,000 central bridging yuan planned = 60.0 %: the aim.
    Planned for next year, which no demo project is planned for, so the figure is ours alone."""
    industry = P.project_propose(
        actor=township_manager,
        data=project_input(name="向东村柑橘基地", category="industry",
                           funding={"central_bridging": Decimal("300000")}),
    )  # fmt: skip
    road = P.project_propose(
        actor=township_manager, data=project_input(funding={"central_bridging": Decimal("200000")})
    )
    year = TODAY.year + 1
    assert not Project.objects.filter(plan_year=year).exists()
    for project in (industry, road):
        project = in_library(project, township_manager, county_approver)
        P.project_plan(actor=county_approver, project=project, year=year)
    client.force_login(county_manager)
    html = text(client.get(reverse("registry:plan_year", args=[year])))
    assert "60.0 %" in html and "达到目标" in html and "低于目标" not in html
    assert "500,000.00" in html and "300,000.00" in html and "向东村柑橘基地" in html
    # A county-funded industry project does not count: central bridging funds only.
    extra = P.project_propose(
        actor=township_manager,
        data=project_input(name="县级资金产业项目", category="industry",
                           funding={"county": Decimal("900000")}),
    )  # fmt: skip
    P.project_plan(
        actor=county_approver,
        project=in_library(extra, township_manager, county_approver),
        year=year,
    )
    assert "60.0 %" in text(client.get(reverse("registry:plan_year", args=[year])))


def test_the_county_keeps_its_task_list_and_a_project_is_planned_under_a_task(
    client, county_manager, township_manager, county_approver
):
    client.force_login(township_manager)
    assert client.get(reverse("registry:task_create")).status_code == 403
    client.force_login(county_manager)
    response = client.post(
        reverse("registry:task_create"),
        {"submission": token(), "year": TODAY.year, "task": "农村公路提档升级",
         "department": "区交通运输局", "target": "新改建农村公路50公里", "progress": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    task = TaskListItem.objects.get(task="农村公路提档升级")
    response = client.post(
        reverse("registry:task_edit", args=[task.pk]),
        {"submission": token(), "year": TODAY.year, "task": "农村公路提档升级",
         "department": "区交通运输局", "progress": "130"},
    )  # fmt: skip
    assert response.status_code == 400 and "100" in text(response)
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input()),
        township_manager,
        county_approver,
    )
    client.force_login(county_approver)
    url = reverse("registry:project_step", args=[project.code, "plan"])
    response = client.post(url, {"submission": token(), "year": TODAY.year, "task": task.pk})
    assert response.status_code == 302
    page = text(client.get(reverse("registry:plan_year", args=[TODAY.year])))
    assert "农村公路提档升级" in page and project.code in page


def test_the_notice_sheets_list_what_each_level_posts(
    client, village_clerk, township_manager, county_approver
):
    need = make_need(village_clerk, title="村级公示的需求")
    accepted = submitted_need(village_clerk, title="乡级公示的需求")
    P.need_review(actor=township_manager, need=accepted, genuine=True, necessary=True,
                  feasible=True, accept=True)  # fmt: skip
    project = in_library(
        P.project_propose(actor=township_manager, data=project_input(name="县级公示的项目")),
        township_manager,
        county_approver,
    )
    client.force_login(village_clerk)
    sheet = text(client.get(reverse("registry:need_sheet", args=[XIANGDONG])))
    assert need.title in sheet and "乡级公示的需求" in sheet
    assert client.get(reverse("registry:need_sheet", args=[YUHE])).status_code == 404
    client.force_login(township_manager)
    sheet = text(client.get(reverse("registry:township_sheet", args=[LONGJU])))
    assert "乡级公示的需求" in sheet and "村级公示的需求" not in sheet and project.code in sheet
    client.force_login(county_approver)
    sheet = text(client.get(reverse("registry:library_sheet", args=[TODAY.year])))
    assert "县级公示的项目" in sheet and project.code in sheet
    assert client.get(reverse("registry:library_sheet", args=[1999])).status_code == 404


def test_a_need_file_is_served_only_inside_the_scope(client, village_clerk, township_manager):
    need = make_need(village_clerk)
    item = P.need_attach(
        actor=village_clerk, need=need, kind="minutes",
        upload=SimpleUploadedFile("会议.pdf", PDF, content_type="application/pdf"),
    )  # fmt: skip
    url = reverse("registry:project_file", args=[item.pk])
    client.force_login(township_manager)
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    other = User.objects.create_user("p19_other_village", role="manager", area=village(YUHE))
    client.force_login(other)
    assert client.get(url).status_code == 404
    # A file that is not what it says is refused on the form, in both languages.
    client.force_login(village_clerk)
    response = client.post(
        reverse("registry:need_file", args=[need.pk]),
        {"submission": token(), "kind": "scan",
         "file": SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")},
    )  # fmt: skip
    assert response.status_code == 400
    assert re.search(r"不是.*/ The file x.pdf is not", text(response))


def test_a_step_keeps_the_document_that_goes_with_it(
    client, township_manager, county_approver, village_clerk
):
    """The approver attaches the library decision to 审定入库: the timeline links it, the
    file is served inside the scope; a file that is not what it says leaves the step untaken."""
    project = P.project_appraise(
        actor=county_approver,
        project=P.project_township_review(
            actor=township_manager,
            project=P.project_propose(actor=township_manager, data=project_input()),
            approve=True,
            checks=dict.fromkeys(P.TOWNSHIP_CHECKS, True),
        ),
        approve=True,
        checks=dict.fromkeys(P.COUNTY_CHECKS, True),
    )
    url = reverse("registry:project_step", args=[project.code, "approve"])
    client.force_login(county_approver)
    bad = SimpleUploadedFile("决定.pdf", b"<html>", content_type="application/pdf")
    response = client.post(url, {"submission": token(), "reason": "审定", "attach-file": bad})
    assert response.status_code == 400
    assert re.search(r"不是.*/ The file 决定.pdf is not", text(response))
    project.refresh_from_db()
    assert project.status == "appraised" and not project.steps.filter(kind="approve").exists()
    good = SimpleUploadedFile("入库决定.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"submission": token(), "reason": "审定", "attach-file": good})
    assert response.status_code == 302
    step = project.steps.get(kind="approve")
    item = step.files.get()
    assert (item.project_id, item.original_name, item.kind) == (project.pk, "入库决定.pdf", "scan")
    page = text(client.get(reverse("registry:project_detail", args=[project.code])))
    assert "附件：入库决定.pdf" in page
    client.force_login(village_clerk)  # the project is led from the clerk's village
    assert client.get(reverse("registry:project_file", args=[item.pk])).status_code == 200
    other = User.objects.create_user("p19_step_file_other", role="manager", area=village(YUHE))
    client.force_login(other)
    assert client.get(reverse("registry:project_file", args=[item.pk])).status_code == 404


def test_the_adjustment_page_opens_on_the_project_and_changes_only_what_is_changed(
    client, township_manager, county_approver
):
    project = in_library(
        P.project_propose(
            actor=township_manager,
            data=project_input(content="硬化2.5公里", scale="2.5公里"),
        ),
        township_manager,
        county_approver,
    )
    url = reverse("registry:project_step", args=[project.code, "adjust"])
    client.force_login(county_approver)
    page = client.get(url)
    form = page.context["form"]
    # As a browser would post it: every field as the page shows it, one of them changed.
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    assert data["name"] == project.name and data["content"] == "硬化2.5公里"
    assert str(data["version"]) == str(project.version)
    data.update(submission=token(), scale="3.2公里", reason="设计变更")
    data = {k: v for k, v in data.items() if v != []}
    response = client.post(url, data)
    assert response.status_code == 302, text(response)[:2000]
    project.refresh_from_db()
    assert (project.scale, project.content, project.fund_uses) == (
        "3.2公里",
        "硬化2.5公里",
        ["small_infrastructure"],
    )
    step = project.steps.get(kind="adjust")
    assert step.details["after"] == {"scale": "3.2公里"}
