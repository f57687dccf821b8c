"""The issue's journey for work that waits: a village clerk registers a PV station and reads
that it waits for the township; the township approver finds it under 待办 and returns it with a
reason; the clerk finds the reason under 待办, corrects it and saves; the approver approves.
Then the clerk plans its income and is warned, while typing, that too much goes to households
as cash. Every step's message is read on a screenshot."""

import pytest
from playwright.sync_api import Browser, Page, expect

from registry.models import Asset, RegistrationReturn
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
XIANGDONG = "500101151200"
REASON = "位置标在了村委会，请标到光伏电站的实际位置，并补填联农带农方式"


def sign_in(browser: Browser, live_url: str, username: str, password: str) -> Page:
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


def test_clerk_registers_township_returns_clerk_corrects_township_approves(
    browser: Browser, live_url: str, demo_password: str
):
    # --- the clerk registers a PV station -------------------------------------------------------
    page = sign_in(browser, live_url, "village_clerk", demo_password)
    page.goto(live_url + "/assets/new/")
    page.fill("#id_name", "向东村待办旅程光伏电站")
    page.select_option("#id_asset_class", "operating")
    page.select_option("#id_subtype", "pv_station")
    page.fill("#id_formed_on", "2023-06-30")
    page.fill("#id_original_value", "960000")
    page.fill("#id_quantity", "300")
    page.fill("#id_unit", "kW")
    page.fill("#id_funding_central_bridging", "960000")
    page.fill("#id_beneficiary_households", "80")
    page.fill("#id_beneficiary_persons", "260")
    page.locator(".leaflet-container").first.scroll_into_view_if_needed()
    page.click(".leaflet-draw-draw-marker")
    box = page.locator(".leaflet-container").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 20, box["y"] + box["height"] / 2 - 10)
    expect(page.locator(".leaflet-marker-icon")).not_to_have_count(0)
    page.click("form.asset-form button.primary")
    expect(page.locator("ul.messages")).to_contain_text("已登记，等待乡镇审核")
    expect(page.get_by_test_id("asset-status")).to_have_text("清查登记中")
    expect(page.get_by_test_id("registration-review")).to_contain_text("本登记等待乡镇审核")
    screenshot(page, "todo_1_clerk_registered_waits_for_township")
    code = page.get_by_test_id("asset-code").inner_text()
    asset = Asset.objects.get(code=code)
    assert asset.status == "draft" and asset.area_code == XIANGDONG
    sign_out(page)

    # --- the township approver finds it under 待办 and returns it with a reason ----------------
    page = sign_in(browser, live_url, "township_manager", demo_password)
    expect(page.get_by_test_id("todo-count")).to_be_visible()
    page.get_by_test_id("todo-link").click()
    row = page.get_by_test_id("todo-registrations").locator("tr", has_text=code)
    expect(row).to_contain_text("向东村待办旅程光伏电站")
    screenshot(page, "todo_2_township_todo_lists_the_registration")
    row.get_by_role("link", name="审核：通过或退回").click()
    page.get_by_test_id("return-registration").click()  # without a reason: refused
    expect(page.locator("ul.messages")).to_contain_text("请填写退回理由")
    assert not RegistrationReturn.objects.filter(asset=asset).exists()
    page.get_by_test_id("return-reason-input").fill(REASON)
    page.get_by_test_id("return-registration").click()
    expect(page.locator("ul.messages")).to_contain_text("已附理由退回登记人，等待其更正")
    expect(page.get_by_test_id("return-reason")).to_contain_text(REASON)
    expect(page.get_by_test_id("asset-status")).to_have_text("清查登记中")
    screenshot(page, "todo_3_township_returned_with_reason")
    sign_out(page)

    # --- the clerk finds the reason under 待办, corrects and saves ----------------------------
    page = sign_in(browser, live_url, "village_clerk", demo_password)
    page.get_by_test_id("todo-link").click()
    returned = page.get_by_test_id("todo-returned")
    expect(returned).to_contain_text(REASON)
    expect(returned).to_contain_text(code)
    screenshot(page, "todo_4_clerk_todo_shows_the_reason")
    returned.locator("tr", has_text=code).get_by_role("link", name="去更正").click()
    page.fill("#id_address", "三组光伏电站场址")
    page.check("input[name=benefit_links][value=dividend]")
    page.click("form.asset-form button.primary")
    expect(page.locator("ul.messages")).to_contain_text("已保存，等待乡镇审核")
    expect(page.get_by_test_id("return-corrected")).to_contain_text("重新等待乡镇审核")
    screenshot(page, "todo_5_clerk_corrected_waits_again")
    page.get_by_test_id("todo-link").click()
    expect(page.get_by_test_id("todo-returned")).to_have_count(0)
    sign_out(page)

    # --- the approver approves ------------------------------------------------------------------
    page = sign_in(browser, live_url, "township_manager", demo_password)
    page.get_by_test_id("todo-link").click()
    row = page.get_by_test_id("todo-registrations").locator("tr", has_text=code)
    expect(row).to_contain_text("退回后已更正")
    row.get_by_role("link", name="审核：通过或退回").click()
    page.get_by_test_id("approve-registration").click()
    expect(page.locator("ul.messages")).to_contain_text("登记已审核通过，资产正式登记在册")
    expect(page.get_by_test_id("asset-status")).to_have_text("已登记")
    screenshot(page, "todo_6_township_approved")
    sign_out(page)
    assert Asset.objects.get(code=code).status == "registered"
    returned_row = RegistrationReturn.objects.get(asset__code=code)
    assert returned_row.reason == REASON and returned_row.corrected_at is not None
    assert returned_row.returned_by.username == "township_manager"

    # --- the clerk plans the station's income: warned while typing ---------------------------
    page = sign_in(browser, live_url, "village_clerk", demo_password)
    page.goto(f"{live_url}/assets/{code}/distribution/")
    warning = page.get_by_test_id("cash-warning")
    page.fill("#id_total", "20000")
    page.fill("#id_line_welfare_posts", "12000")
    page.fill("#id_line_upkeep", "4000")
    page.fill("#id_line_households", "4000")  # 20 %: under the county's 30 %
    expect(warning).to_be_hidden()
    expect(page.get_by_test_id("plan-sum")).to_have_text("各项合计等于应分配金额。")
    page.fill("#id_line_welfare_posts", "6000")
    page.fill("#id_line_households", "10000")  # 50 %
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("直接以现金发放到户的资金占 50%，超过本县预警比例 30%")
    page.get_by_test_id("plan-sum").scroll_into_view_if_needed()
    screenshot(page, "todo_7_plan_form_warns_while_typing")
    page.click("form.stacked button.primary")
    expect(page.locator("ul.messages")).to_contain_text("本方案直接以现金发放到户的资金占 50%")
    expect(page.locator("ul.messages")).to_contain_text("下一步：村级作出决议")
    expect(page.get_by_test_id("plan-cash-warning")).to_contain_text("占 50%")
    expect(page.locator("[data-testid=plan-next]").first).to_contain_text("下一步：村级作出决议")
    screenshot(page, "todo_8_plan_saved_messages")
    page.get_by_test_id("plan-cash-warning").scroll_into_view_if_needed()
    screenshot(page, "todo_9_saved_plan_warns_and_says_what_next")
    sign_out(page)
