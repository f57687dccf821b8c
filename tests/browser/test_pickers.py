"""Choosing people and places in a real browser: the ownership form's searchable owner pickers
with the running total of shares, and the asset list's township -> village area picker, on a
desktop and on a phone."""

import re

import pytest
from django.db.models import Count
from playwright.sync_api import Browser, Page, expect

from registry.demo import DEMO_PASSWORD
from registry.demo_assets import generate_register, has_demo_register
from registry.models import AdminArea, Asset, Party
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LONGJU = "500101151000"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A small committed register (as the map's browser tests use), so the server sees it."""
    with django_db_blocker.unblock():
        if not has_demo_register():
            generate_register(assets=600, seed=3)


def signed_in(
    browser: Browser, live_url: str, username: str, viewport: dict | None
) -> tuple[Page, list[str]]:
    """A new browser context (desktop unless a viewport is given), signed in; and its errors
    (scripts that fail, or that our Content-Security-Policy blocks)."""
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 800}, locale="zh-CN"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.goto(live_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(live_url + "/map/")
    return page, errors


def search(page: Page, select_id: str, typed: str) -> None:
    """Open the picker that stands for <select id=select_id> and type into its search box."""
    page.locator(f"#{select_id} + .ts-wrapper .ts-control").click()
    page.locator(f"#{select_id} + .ts-wrapper .dropdown-input").press_sequentially(typed, delay=30)


def open_filters(page: Page) -> None:
    """On a phone the list's filters fold away until a filter is set: unfold them."""
    box = page.locator("details[data-collapse-narrow]")
    if box.count() and box.get_attribute("open") is None:
        box.locator("summary").click()


def pick(page: Page, select_id: str, typed: str, option: str) -> None:
    """Search the picker of <select id=select_id>, and click the option with that text."""
    search(page, select_id, typed)
    dropdown = page.locator(f"#{select_id}-ts-dropdown")
    dropdown.locator(".option", has_text=re.compile("^" + re.escape(option))).first.click()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_manager_picks_two_owners_by_typing_and_sees_the_total(
    browser: Browser, live_url: str, register, viewport
):
    asset = Asset.objects.filter(status="in_use").order_by("code")[1 if viewport else 0]
    collective = Party.objects.get(name="向东村股份经济合作联合社")
    township = Party.objects.filter(kind="township_government", area__code=LONGJU).get()
    page, errors = signed_in(browser, live_url, "manager", viewport)
    name = "phone" if viewport else "desktop"
    page.goto(f"{live_url}/assets/{asset.code}/ownership/")
    total = page.get_by_test_id("share-total")
    expect(total).to_have_text("100.000")  # the first row's 100 %

    # Part of a name finds the party; the list is grouped by township · village.
    pick(page, "id_owner_0", "向东村股份", collective.name)
    expect(page.locator("#id_owner_0")).to_have_value(str(collective.pk))
    page.fill("#id_percent_0", "60")
    expect(total).to_have_text("60.000")
    expect(page.locator("tr.share-total")).to_have_class(re.compile(r"\boff\b"))  # red
    # Typing the township's name finds its bodies too.
    search(page, "id_owner_1", "龙驹镇")
    expect(page.locator("#id_owner_1-ts-dropdown .optgroup-header").first).to_have_text("龙驹镇")
    screenshot(page, f"pickers_owner_search_{name}")
    page.locator("#id_owner_1-ts-dropdown .option", has_text=township.name).first.click()
    page.fill("#id_percent_1", "40")
    expect(total).to_have_text("100.000")
    expect(page.locator("tr.share-total")).not_to_have_class(re.compile(r"\boff\b"))
    page.fill("#id_effective_on", "2026-01-15")
    page.fill("#id_basis", "村民代表大会决议")
    screenshot(page, f"pickers_ownership_{name}")
    page.click("form.stacked button.primary")

    page.wait_for_url(f"{live_url}/assets/{asset.code}/")
    current = page.locator("tr.current").first
    expect(current).to_contain_text(f"{collective.name} 60%")
    expect(current).to_contain_text(f"{township.name} 40%")
    assert not errors, errors
    page.context.close()


def test_shares_error_shows_once_when_the_total_is_wrong(browser: Browser, live_url: str, register):
    asset = Asset.objects.filter(status="in_use").order_by("-code")[0]
    page, errors = signed_in(browser, live_url, "manager", None)
    page.goto(f"{live_url}/assets/{asset.code}/ownership/")
    pick(page, "id_owner_0", "向东村股份", "向东村股份经济合作联合社")
    page.fill("#id_percent_0", "90")
    page.fill("#id_effective_on", "2026-01-15")
    page.fill("#id_basis", "决议")
    page.click("form.stacked button.primary")
    expect(page.get_by_test_id("form-errors")).to_contain_text("份额合计为 90%")
    expect(page.locator(".form-errors, .field-error")).to_have_count(1)  # shown once
    expect(page.get_by_test_id("share-total")).to_have_text("90.000")
    # The chosen owner comes back in the picker.
    expect(page.locator("#id_owner_0 + .ts-wrapper .item")).to_contain_text(
        "向东村股份经济合作联合社"
    )
    screenshot(page, "pickers_ownership_error")
    assert not errors, errors
    page.context.close()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_asset_list_picks_township_then_village(
    browser: Browser, live_url: str, register, viewport
):
    page, errors = signed_in(browser, live_url, "manager", viewport)
    name = "phone" if viewport else "desktop"
    page.goto(live_url + "/assets/")
    everything = page.locator("p.count").inner_text()

    open_filters(page)
    pick(page, "id_area", "龙驹", "龙驹镇（全部）")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(rf"area={LONGJU}"))
    township_count = page.locator("p.count").inner_text()
    assert township_count != everything
    locations = page.locator("table.assets tbody td:nth-child(4)")
    expect(locations.first).to_contain_text("龙驹镇")

    # The village, found by the township's name: villages are listed under their township.
    open_filters(page)
    search(page, "id_area", "龙驹镇")
    dropdown = page.locator("#id_area-ts-dropdown")
    expect(dropdown.locator(".optgroup-header").first).to_have_text("龙驹镇")
    # The village of 龙驹镇 with the most assets, so that the filtered list shows some.
    busiest = (
        Asset.objects.filter(area_code__startswith=LONGJU[:9])
        .exclude(area_code=LONGJU)
        .values("area_code")
        .annotate(n=Count("id"))
        .order_by("-n", "area_code")
        .first()
    )
    assert busiest is not None
    village = AdminArea.objects.get(code=busiest["area_code"]).short_name
    option = dropdown.locator(".option", has_text=re.compile(f"^{village}"))
    expect(option).to_be_visible()
    screenshot(page, f"pickers_area_filter_{name}")
    option.click()
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(f"area={busiest['area_code']}"))
    expect(page.locator("p.count")).to_contain_text(f"共 {busiest['n']} 项")
    for text in locations.all_inner_texts():
        assert text.startswith(village), text
    expect(page.locator("#id_area + .ts-wrapper .item")).to_contain_text(village)
    screenshot(page, f"pickers_area_filtered_{name}")
    assert not errors, errors
    page.context.close()
