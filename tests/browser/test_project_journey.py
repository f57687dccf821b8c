"""The issue's journey of one construction need through 一库一单, clicked through the real pages
as each user would: the village clerk of 向东村 enters a road need drawn on the map with the
meeting that decided it, posts it and sends it up; the township approver of 龙驹镇 finds it in
the review queue, accepts it, proposes a project from it and reviews the proposal; a county
planner finds the proposal in the library; the county approver appraises it, approves it into
the library, adds a task to the year's task list and puts the project in the year's plan under
it, records the start, the completion with its actual cost and the acceptance, and hands the
works over as an asset in one action (its value split from the actual cost as it is typed).
The journey ends on the asset's page, whose trace leads back to the project, which shows the
asset it formed and every step. Every stage is a screenshot, looked at."""

import datetime
import random
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from registry.models import Asset, ConstructionNeed, Project, TaskListItem
from registry.services.projects import split
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
XIANGDONG = "500101151200"
COLLECTIVE = "向东村股份经济合作联合社"
# What the completion records as actually paid: central bridging funds and the villagers' own.
ACTUAL_CENTRAL = Decimal("712345.67")
ACTUAL_SELF = Decimal("43210.00")
ACTUAL_TOTAL = ACTUAL_CENTRAL + ACTUAL_SELF  # 755,555.67


def yuan(value: Decimal) -> str:
    """As the pages print money: grouped thousands, two decimals."""
    return f"{value:,.2f}"


def sign_in(browser: Browser, live_url: str, username: str, password: str) -> Page:
    """A fresh browser (desktop, Chinese) signed in as ``username``; every script error or
    failed console message of its pages is kept for sign_out."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None,
    )
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button.primary")
    page.wait_for_url(live_url + "/map/")
    return page


def sign_out(page: Page) -> None:
    errors = page.errors  # type: ignore[attr-defined]
    page.context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def message(page: Page) -> str:
    return page.locator("ul.messages").inner_text()


def no_raw_codes(page: Page, *codes: str) -> None:
    """No stored code reaches the reader unlabelled."""
    text = page.locator("main").inner_text()
    for code in codes:
        assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text), (
            f"raw code {code!r} on {page.url}"
        )


STATUS_CODES = (
    "draft", "posted", "submitted", "accepted", "merged", "proposed", "township_reviewed",
    "appraised", "in_library", "planned", "in_progress", "completed", "handed_over",
    "village_road", "construction", "central_bridging", "township", "county", "public", "road",
)  # fmt: skip


def pick(page: Page, select_id: str, typed: str, option: str) -> None:
    """Search the picker (Tom Select) of <select id=select_id> and click the option."""
    page.locator(f"#{select_id} + .ts-wrapper .ts-control").click()
    page.locator(f"#{select_id} + .ts-wrapper .dropdown-input").press_sequentially(typed, delay=30)
    page.locator(f"#{select_id}-ts-dropdown .option", has_text=option).first.click()


def draw_road(page: Page) -> None:
    """Draw the road as a user does: the line tool, three clicks on the map, then 完成."""
    page.wait_for_selector("html[data-draw-map-ready='1']", timeout=20_000)
    map_box = page.locator(".draw-form .leaflet-container").first
    map_box.scroll_into_view_if_needed()
    page.locator(".leaflet-draw-draw-polyline").click()
    box = map_box.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-120, 40), (-20, -10), (110, -60)):
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(250)  # paced like a hand: no two clicks read as a double click
    page.locator(".leaflet-draw-actions a", has_text="完成").click()
    expect(page.locator(".draw-form path.leaflet-interactive")).not_to_have_count(0)
    drawn = page.locator("#id_geom").input_value()
    assert "LineString" in drawn, drawn


def test_one_need_becomes_a_library_project_and_an_asset(
    browser: Browser, live_url: str, demo_password: str
):
    today = timezone.localdate()
    year = today.year
    day = lambda n: (today - datetime.timedelta(days=n)).isoformat()  # noqa: E731
    run = random.randint(100, 999)  # several runs on one kept test database stay apart
    title = f"向东村三组通组路硬化（{run}）"
    task_name = f"自然村组通硬化路（{run}）"

    # === 1. the village clerk enters the need, records the meeting, posts it, sends it up ====
    page = sign_in(browser, live_url, "village_clerk", demo_password)
    page.get_by_test_id("nav-needs").click()
    page.get_by_test_id("need-create").click()
    expect(page.locator("h1")).to_have_text("录入村级建设需求")
    page.fill("#id_title", title)
    page.select_option("#id_category", "village_road")
    page.fill(
        "#id_description",
        "三组至五组通组道路约2.6公里为泥结石路面，雨季无法通行，硬化为4.5米宽水泥路",
    )
    expect(page.locator("#id_horizon_from")).to_have_value(str(year))  # the next years
    expect(page.locator("#id_horizon_to")).to_have_value(str(year + 2))
    page.fill("#id_estimated_investment", "820000")
    page.select_option("#id_meeting_kind", "representatives")
    page.fill("#id_meeting_on", day(20))
    page.fill("#id_meeting_attendance", "38")
    draw_road(page)
    screenshot(page, "project_journey_1_need_form")
    page.get_by_test_id("need-save").click()
    expect(page.locator("ul.messages")).to_contain_text(
        "需求已录入。请在村内公示，公示期满后报乡镇。"
    )
    expect(page.get_by_test_id("need-title")).to_have_text(title)
    expect(page.get_by_test_id("need-status")).to_have_text("草拟中")
    expect(page.get_by_test_id("need-meeting")).to_contain_text("村民代表大会")
    expect(page.get_by_test_id("need-meeting")).to_contain_text(day(20))
    expect(page.get_by_test_id("need-meeting")).to_contain_text("38")
    expect(page.get_by_test_id("record-map")).to_be_visible()
    need = ConstructionNeed.objects.get(title=title)
    assert need.area.code == XIANGDONG and need.geom is not None
    assert need.geom.geom_type == "LineString" and len(need.geom.coords) == 3

    page.get_by_test_id("need-post").click()
    page.fill("#id_posted_from", day(15))
    page.fill("#id_posted_to", day(8))
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("公示已登记。")
    expect(page.get_by_test_id("need-status")).to_have_text("已在村内公示")
    expect(page.get_by_test_id("need-posting")).to_contain_text(f"{day(15)}–{day(8)}")
    page.get_by_test_id("need-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已报乡镇，等待乡镇审核。")
    expect(page.get_by_test_id("need-status")).to_have_text("已报乡镇")
    expect(page.get_by_test_id("need-edit")).to_have_count(0)  # sent up: no longer the village's
    no_raw_codes(page, *STATUS_CODES)
    screenshot(page, "project_journey_2_need_sent_to_township")
    sign_out(page)

    # === 2. the township reviews it, proposes a project from it and reviews the proposal ======
    page = sign_in(browser, live_url, "township_manager", demo_password)
    page.get_by_test_id("nav-projects").click()
    page.get_by_test_id("tab-queue").click()
    row = page.get_by_test_id("queue-needs").locator("tr", has_text=title)
    expect(row).to_contain_text("向东村")
    expect(row).to_contain_text("村内道路")
    screenshot(page, "project_journey_3_township_queue")
    row.get_by_role("link", name="审核：通过或不通过").click()
    expect(page.get_by_test_id("need-summary")).to_contain_text("村民代表大会")
    page.check("#id_genuine")
    page.check("#id_necessary")
    page.check("#id_feasible")
    page.check("input[name=accept][value='1']")
    page.fill("#id_note", "经实地踏勘，道路现状属实，群众出行需求迫切，具备建设条件")
    screenshot(page, "project_journey_4_township_reviews_need")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text(
        "已通过；请在审核队列中将其合并申报为项目。"
    )
    expect(page.get_by_test_id("need-status")).to_have_text("乡镇审核通过")
    expect(page.get_by_test_id("need-review-result")).to_contain_text("真实性：是")

    page.get_by_test_id("nav-projects").click()
    page.get_by_test_id("tab-queue").click()
    page.get_by_test_id(f"merge-{need.pk}").check()
    page.get_by_test_id("merge-submit").click()
    expect(page.get_by_test_id("merged-needs")).to_contain_text(title)
    expect(page.locator("#id_name")).to_have_value(title)
    expect(page.locator("#id_category")).to_have_value("construction")
    assert "LineString" in page.locator("#id_geom").input_value()  # the need's road, carried
    page.select_option("#id_nature", "new")
    screenshot(page, "project_journey_5_project_form_top")
    page.fill("#id_scale", "硬化道路2.6公里，路面宽4.5米")
    page.fill("#id_period_start", f"{year}-03-01")
    page.fill("#id_period_end", f"{year}-10-31")
    page.fill("#id_implementing_unit", "龙驹镇人民政府")
    page.fill("#id_responsible_person", "张建国")
    page.select_option("#id_fund_direction", label="小型公益性基础设施（水、电、路、网、垃圾收运）")
    page.check("input[name=fund_uses][value=small_infrastructure]")
    page.fill("#id_funding_central_bridging", "760000")
    page.fill("#id_funding_self_raised", "60000")
    page.fill("#id_beneficiary_households", "126")
    page.fill("#id_beneficiary_persons", "418")
    page.fill("#id_beneficiary_exited_households", "37")
    page.fill("#id_beneficiary_monitored_households", "4")
    page.check("input[name=benefit_links][value=employment]")
    page.fill("#id_expected_ownership", COLLECTIVE)
    targets = [
        ("output", "硬化道路里程", "≥2.6", "公里"),
        ("benefit", "受益脱贫户", "≥37", "户"),
        ("satisfaction", "受益群众满意度", "≥90", "%"),
    ]
    for i, (kind, indicator, target, unit) in enumerate(targets):
        page.select_option(f"#id_target_kind_{i}", kind)
        page.fill(f"#id_target_indicator_{i}", indicator)
        page.fill(f"#id_target_value_{i}", target)
        page.fill(f"#id_target_unit_{i}", unit)
    page.get_by_test_id("target-rows").scroll_into_view_if_needed()
    screenshot(page, "project_journey_6_project_form_targets")
    page.get_by_test_id("project-save").click()
    expect(page.locator("ul.messages")).to_contain_text("等待乡镇审核。")
    code = page.get_by_test_id("project-code").inner_text()
    assert re.fullmatch(r"500101\d{8}", code), code
    expect(page.locator("ul.messages")).to_contain_text(f"已申报为项目 {code}")
    expect(page.get_by_test_id("project-status")).to_have_text("已申报")
    expect(page.get_by_test_id("project-needs")).to_contain_text(title)
    expect(page.get_by_test_id("project-funding")).to_contain_text("820,000.00")
    expect(page.get_by_test_id("project-targets")).to_contain_text("硬化道路里程")
    expect(page.get_by_test_id("fund-uses")).to_contain_text("小型公益性基础设施")
    no_raw_codes(page, *STATUS_CODES)
    screenshot(page, "project_journey_7_project_proposed")
    project = Project.objects.get(code=code)
    assert project.area.code == XIANGDONG and project.geom is not None
    assert ConstructionNeed.objects.get(pk=need.pk).status == "merged"

    page.get_by_test_id("step-township_review").click()
    for check in ("genuine", "necessary", "sound", "complete", "feasible"):
        page.check(f"#id_check_{check}")
    page.check("input[name=approve][value='1']")
    page.fill("#id_reason", "需求经村民代表大会决议并公示无异议，建设内容与规模合理")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已审核；下一步由县级论证。")
    expect(page.get_by_test_id("project-status")).to_have_text("乡镇已审核")
    expect(page.get_by_test_id("project-actions")).to_have_count(0)  # the county's turn now
    sign_out(page)

    # === 3a. a county planner reads it in the library (and may not act) =====================
    page = sign_in(browser, live_url, "planner", demo_password)
    page.get_by_test_id("nav-projects").click()
    page.fill("input[name=q]", code)
    page.keyboard.press("Enter")
    row = page.locator("tr", has_text=code)
    expect(row).to_contain_text("乡镇已审核")
    screenshot(page, "project_journey_8_planner_reads_library")
    row.get_by_role("link", name=title).click()
    expect(page.get_by_test_id("project-status")).to_have_text("乡镇已审核")
    expect(page.get_by_test_id("project-actions")).to_have_count(0)
    sign_out(page)

    # === 3b. the county approver: appraisal, library, task list, plan, works, handover =======
    page = sign_in(browser, live_url, "approver", demo_password)
    page.get_by_test_id("nav-projects").click()
    page.get_by_test_id("tab-queue").click()
    row = page.get_by_test_id("queue-appraise").locator("tr", has_text=code)
    expect(row).to_contain_text("向东村")
    expect(row).to_contain_text("820,000.00")
    row.get_by_role("link", name="县级论证").click()
    summary = page.get_by_test_id("project-summary")
    expect(summary).to_contain_text("126 户 418 人")
    expect(summary.get_by_test_id("summary-targets")).to_contain_text("产出：硬化道路里程 ≥2.6公里")
    for check in ("compliant", "estimate", "funding", "land", "benefit_links", "targets"):
        page.check(f"#id_check_{check}")
    page.check("input[name=approve][value='1']")
    page.fill(
        "#id_reason",
        "符合衔接资金支出方向；投资估算合理；资金来源可靠；用地已落实；以工代赈带农；绩效目标明确",
    )
    screenshot(page, "project_journey_9_county_appraisal")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已论证，等待审定入库。")
    expect(page.get_by_test_id("project-status")).to_have_text("县级已论证")

    page.get_by_test_id("nav-projects").click()
    page.get_by_test_id("tab-queue").click()
    page.get_by_test_id("queue-approve").locator("tr", has_text=code).get_by_role(
        "link", name="审定入库"
    ).click()
    page.fill("#id_reason", "县乡村振兴领导小组会议审定")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已审定入库。")
    expect(page.get_by_test_id("project-status")).to_have_text("已入库")

    # the year's task list gets the task this project serves; then the project enters the plan
    page.get_by_test_id("nav-projects").click()
    page.get_by_test_id("tab-plan").click()
    expect(page.get_by_test_id("plan-waiting")).to_contain_text(code)
    page.get_by_test_id("task-create").click()
    expect(page.locator("#id_year")).to_have_value(str(year))
    page.fill("#id_task", task_name)
    page.fill("#id_department", "县交通运输局")
    page.fill("#id_target", "新增硬化通组路10公里")
    page.fill("#id_content", "较大人口规模自然村（组）通硬化路")
    page.fill("#id_standard", "路面宽度不低于4.5米")
    page.fill("#id_scale", "10公里")
    page.fill("#id_fund_source", "衔接资金、群众自筹")
    page.get_by_test_id("task-form").locator("button.primary").click()
    expect(page.locator("ul.messages")).to_contain_text("任务已保存。")
    expect(page.get_by_test_id("task-list")).to_contain_text(task_name)
    page.get_by_test_id(f"plan-{code}").click()
    expect(page.locator("#id_year")).to_have_value(str(year))
    page.select_option("#id_task", label=f"{year} · {task_name}（县交通运输局）")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已列入年度计划。")
    expect(page.get_by_test_id("project-status")).to_have_text("已列入年度计划")
    expect(page.locator("dl.facts")).to_contain_text(task_name)
    task = TaskListItem.objects.get(task=task_name)
    assert Project.objects.get(code=code).task_id == task.pk
    page.get_by_test_id("nav-projects").click()
    page.get_by_test_id("tab-plan").click()
    expect(page.locator("table", has_text=code).first).to_contain_text(title)
    expect(page.get_by_test_id("task-list").locator("tr", has_text=task_name)).to_contain_text("1")
    no_raw_codes(page, *STATUS_CODES)
    screenshot(page, "project_journey_10_year_plan")

    page.locator("a", has_text=title).first.click()
    page.get_by_test_id("step-start").click()
    expect(page.locator("#id_started_on")).to_have_value(today.isoformat())
    page.fill("#id_tender", "中标单位：重庆某路桥建设有限公司，合同价75.8万元")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("项目已开工实施。")
    expect(page.get_by_test_id("project-status")).to_have_text("实施中")

    page.get_by_test_id("step-complete").click()
    expect(page.locator("#id_actual_central_bridging")).to_have_value(re.compile(r"^760000"))
    page.fill("#id_actual_central_bridging", str(ACTUAL_CENTRAL))
    page.fill("#id_actual_self_raised", str(ACTUAL_SELF))
    screenshot(page, "project_journey_11_completion_actual_cost")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已完工，等待验收。")
    expect(page.get_by_test_id("actual-total")).to_have_text(yuan(ACTUAL_TOTAL))

    page.get_by_test_id("step-accept").click()
    page.fill("#id_report", "经县交通运输局组织验收，工程质量合格")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已验收，请办理资产移交。")
    expect(page.get_by_test_id("project-status")).to_have_text("已验收")

    # the handover: the value of each part computed as it is typed, adding up to the cost
    page.get_by_test_id("step-hand_over").click()
    expect(page.get_by_test_id("handover-total")).to_contain_text(yuan(ACTUAL_TOTAL))
    expect(page.locator("#id_name_0")).to_have_value(title)
    page.fill("#id_name_0", "向东村三组通组路")
    page.select_option("#id_class_0", "public")
    page.select_option("#id_subtype_0", "road")
    page.fill("#id_quantity_0", "2.6")
    page.fill("#id_unit_0", "公里")
    pick(page, "id_owner_0", "向东村股份", COLLECTIVE)
    expect(page.get_by_test_id("part-value-0")).to_have_text(yuan(ACTUAL_TOTAL))
    # a split into thirds first: the fen left by rounding go to a part, the sum stays exact
    page.fill("#id_share_0", "66.6667")
    page.fill("#id_share_1", "33.3333")
    expect(page.get_by_test_id("share-sum")).to_have_text("100")
    first = Decimal(page.get_by_test_id("part-value-0").inner_text().replace(",", ""))
    second = Decimal(page.get_by_test_id("part-value-1").inner_text().replace(",", ""))
    assert first + second == ACTUAL_TOTAL, (first, second)
    # as the register will split it (each source on its own, registry.services.projects.split),
    # fen for fen
    shares = [Decimal("66.6667"), Decimal("33.3333")]
    by_source = [split(ACTUAL_CENTRAL, shares), split(ACTUAL_SELF, shares)]
    assert [first, second] == [sum(lines) for lines in zip(*by_source, strict=True)]
    expect(page.get_by_test_id("value-sum")).to_have_text(yuan(ACTUAL_TOTAL))
    screenshot(page, "project_journey_12_handover_split")
    # ... but the road is one asset, wholly the collective's
    page.fill("#id_share_1", "")
    expect(page.get_by_test_id("share-sum")).to_have_text("66.6667")
    page.fill("#id_share_0", "100")
    expect(page.get_by_test_id("share-sum")).to_have_text("100")
    expect(page.get_by_test_id("part-value-0")).to_have_text(yuan(ACTUAL_TOTAL))
    expect(page.get_by_test_id("part-value-1")).to_have_text("—")
    expect(page.get_by_test_id("value-sum")).to_have_text(yuan(ACTUAL_TOTAL))
    screenshot(page, "project_journey_13_handover_one_asset")
    page.get_by_test_id("step-submit").click()
    expect(page.locator("ul.messages")).to_contain_text("已移交：登记资产 1 项：")
    expect(page.get_by_test_id("project-status")).to_have_text("资产已移交")
    asset = Asset.objects.get(source_project__code=code)
    assert asset.original_value == ACTUAL_TOTAL and asset.source_share == 100
    assert asset.area_code == XIANGDONG and asset.geom.geom_type == "LineString"
    assert sorted((f.source.code, f.amount) for f in asset.funding.all()) == [
        ("central_bridging", ACTUAL_CENTRAL),
        ("self_raised", ACTUAL_SELF),
    ]
    expect(page.locator("ul.messages")).to_contain_text(asset.code)

    # === 4. the asset's page traces it back to the project, which shows it and its steps =====
    assets = page.get_by_test_id("project-assets")
    assets.get_by_role("link", name="向东村三组通组路").click()
    expect(page.get_by_test_id("asset-code")).to_have_text(asset.code)
    expect(page.get_by_test_id("current-owner")).to_contain_text(COLLECTIVE)
    trace = page.get_by_test_id("asset-trace")
    trace.scroll_into_view_if_needed()
    expect(trace).to_contain_text("形成资产的项目")
    expect(trace.get_by_test_id("trace-project")).to_have_text(title)
    expect(trace).to_contain_text(code)
    expect(trace.get_by_test_id("trace-share")).to_contain_text("100%")
    expect(trace.get_by_test_id("trace-share")).to_contain_text(yuan(ACTUAL_TOTAL))
    expect(trace.get_by_test_id("trace-funding")).to_contain_text(yuan(ACTUAL_CENTRAL))
    expect(trace.get_by_test_id("trace-handover")).to_contain_text(today.isoformat())
    no_raw_codes(page, *STATUS_CODES)
    screenshot(page, "project_journey_14_asset_trace")
    trace.get_by_test_id("trace-project").click()
    expect(page.get_by_test_id("project-code")).to_have_text(code)
    formed = page.get_by_test_id("project-assets")
    expect(formed).to_contain_text(asset.code)
    expect(formed).to_contain_text(COLLECTIVE)
    expect(formed).to_contain_text(yuan(ACTUAL_TOTAL))
    steps = page.get_by_test_id("project-timeline").get_by_test_id("step-record")
    labels = [s.locator("strong").inner_text() for s in steps.all()]
    assert labels == [  # proposal to handover, each step once, in words
        "申报", "乡镇审核", "县级论证", "审定入库", "列入年度计划", "招标开工", "完工",
        "已验收", "资产已移交",
    ], labels  # fmt: skip
    expect(steps.last).to_contain_text(asset.code)
    no_raw_codes(page, *STATUS_CODES)
    page.get_by_test_id("project-assets").scroll_into_view_if_needed()
    screenshot(page, "project_journey_15_project_assets")
    page.get_by_test_id("project-timeline").scroll_into_view_if_needed()
    screenshot(page, "project_journey_16_project_timeline")
    sign_out(page)
