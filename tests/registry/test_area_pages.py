"""Area pages as county staff use them: the areas below with their assets counted and valued,
the source in the reader's language, and the small maps' surroundings (asset and area pages)."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Count, Sum
from django.urls import reverse

from registry import selectors
from registry.models import AdminArea, Asset
from registry.services.assets import asset_register
from tests.factories import asset_input, village

pytestmark = pytest.mark.django_db

LONGJU = "500101151000"
XIANGDONG = "500101151200"
YUHE = "500101151201"  # 玉合村, 龙驹镇


def table_rows(html: str) -> dict[str, tuple[int, Decimal]]:
    """The areas-below table as {code: (asset count, original value)}, read from the page."""
    rows = {}
    for code, row in re.findall(r'<tr data-code="(\d+)">(.*?)</tr>', html, re.S):
        count = re.search(r'data-testid="child-assets">(.*?)</td>', row, re.S)
        value = re.search(r'data-testid="child-value">(.*?)</td>', row, re.S)
        assert count and value, row
        rows[code] = (
            int(re.sub(r"<[^>]+>|,", "", count.group(1)).strip()),
            Decimal(value.group(1).replace(",", "").strip()),
        )
    return rows


@pytest.fixture
def longju_assets(road, pv_station, county_manager):  # type: ignore[no-untyped-def]
    """Assets in two villages of 龙驹镇 and one registered at the township itself."""
    asset_register(
        actor=county_manager,
        data=asset_input(
            area=village(YUHE), name="玉合村蓄水池", original_value=Decimal("1000.55")
        ),
    )
    asset_register(
        actor=county_manager,
        data=asset_input(area=AdminArea.objects.get(code=LONGJU), name="龙驹镇集镇公厕"),
    )


def test_township_page_counts_and_values_the_assets_of_each_village(
    client, planner, longju_assets, django_assert_max_num_queries
):
    client.force_login(planner)
    with django_assert_max_num_queries(8):  # 7, and the asset table's change counter
        response = client.get(reverse("registry:area_detail", args=[LONGJU]))
    assert response.status_code == 200
    rows = table_rows(response.content.decode())
    villages = AdminArea.objects.filter(parent__code=LONGJU)
    assert set(rows) == set(villages.values_list("code", flat=True))
    expected = {
        row["area_code"]: (row["n"], row["value"])
        for row in Asset.objects.filter(area_code__startswith="500101151")
        .values("area_code")
        .annotate(n=Count("id"), value=Sum("original_value"))
    }
    # The fixture's assets are among them (other tests may have committed more beside them).
    assert expected[XIANGDONG][0] >= 2 and expected[YUHE][0] >= 1
    assert Asset.objects.filter(area_code=YUHE, original_value=Decimal("1000.55")).exists()
    for code, shown in rows.items():
        assert shown == expected.get(code, (0, Decimal("0.00"))), code
    page = response.content.decode()
    # The one at the township itself has its own line, and the total counts all four.
    assert "登记在龙驹镇本级" in page
    total = Asset.objects.filter(area_code__startswith="500101151").count()
    assert total >= 4 and re.search(rf'data-testid="total-assets">{total}<', page)


def test_the_query_count_of_an_area_page_does_not_grow_with_its_areas(
    client, planner, longju_assets, django_assert_max_num_queries
):
    client.force_login(planner)
    # The county page lists 52 townships; the same handful of queries as a township's.
    with django_assert_max_num_queries(8):  # 7, and the asset table's change counter
        response = client.get(reverse("registry:area_detail", args=["500101000000"]))
    assert len(table_rows(response.content.decode())) == 52


def test_village_page_shows_its_own_asset_count_and_value(client, village_clerk, longju_assets):
    client.force_login(village_clerk)
    response = client.get(reverse("registry:area_detail", args=[XIANGDONG]))
    page = response.content.decode()
    count = Asset.objects.filter(area_code=XIANGDONG).count()
    value = Asset.objects.filter(area_code=XIANGDONG).aggregate(v=Sum("original_value"))["v"]
    assert re.search(rf'data-testid="area-assets" data-count="{count}"', page)
    assert f"共 {count} 项资产" in page
    assert f'data-testid="area-asset-value">{value:,.2f}<' in page


def test_a_village_clerk_counts_only_what_lies_in_their_village(village_clerk, longju_assets):
    township = AdminArea.objects.get(code=LONGJU)
    summary = selectors.area_asset_summary(user=village_clerk, area=township)
    assert set(summary["by_code"]) == {XIANGDONG}
    in_village = Asset.objects.filter(area_code=XIANGDONG).count()  # the fixture's 2, or more
    assert summary["own"] is None and summary["total"]["n"] == in_village >= 2


def test_area_source_reads_chinese_first_and_english_under_the_english_ui(client, planner):
    client.force_login(planner)
    url = reverse("registry:area_detail", args=[LONGJU])
    source = re.search(
        r'data-testid="area-source"[^>]*>(.*?)</dd>', client.get(url).content.decode(), re.S
    )
    assert source is not None
    assert "国家统计局 2023年统计用区划代码" in source.group(1)
    assert "示意几何数据" in source.group(1)
    assert "synthetic" not in source.group(1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = re.search(
        r'data-testid="area-source"[^>]*>(.*?)</dd>', client.get(url).content.decode(), re.S
    )
    assert english is not None
    assert "National Bureau of Statistics" in english.group(1)
    assert "illustrative demo geometry" in english.group(1)


def test_a_source_the_loader_did_not_write_is_shown_as_stored():
    from registry.views.areas import source_labels

    assert source_labels("") == []
    assert source_labels("某县自然资源局 2024 年村界") == ["某县自然资源局 2024 年村界"]


# --- small maps -----------------------------------------------------------------------------------


def roles(collection: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for feature in collection["features"]:
        found.setdefault(feature["properties"]["role"], set()).add(feature["properties"]["code"])
    return found


def test_asset_page_map_shows_the_village_its_township_and_the_neighbouring_villages(
    client, planner, road
):
    client.force_login(planner)
    response = client.get(reverse("registry:asset_detail", args=[road.code]))
    surroundings = response.context["outline"]
    found = roles(surroundings)
    assert found["focus"] == {XIANGDONG}
    assert found["parent"] == {LONGJU}
    assert YUHE in found["neighbour"] and found["neighbour"] <= set(
        AdminArea.objects.filter(parent__code=LONGJU).values_list("code", flat=True)
    )
    focus = next(f for f in surroundings["features"] if f["properties"]["role"] == "focus")
    assert focus["geometry"]["type"] == "MultiPolygon"
    assert focus["properties"]["name"] == "向东村"
    page = response.content.decode()
    assert 'id="asset-surroundings"' in page and "registry/minimap.js" in page


def test_a_village_clerks_small_map_holds_no_other_village(client, village_clerk, road):
    client.force_login(village_clerk)
    response = client.get(reverse("registry:asset_detail", args=[road.code]))
    found = roles(response.context["outline"])
    # Its village, the township around it and the village's own groups; no other village.
    assert found["focus"] == {road.area_code} and found.keys() <= {"focus", "parent", "child"}
    assert all(code.startswith(road.area_code) for code in found.get("child", ()))


def test_township_page_map_shows_its_villages_and_the_townships_next_to_it(client, planner):
    client.force_login(planner)
    response = client.get(reverse("registry:area_detail", args=[LONGJU]))
    found = roles(response.context["surroundings"])
    assert found["focus"] == {LONGJU}
    assert len(found["child"]) == 21
    assert found["parent"] == {"500101000000"}
    # Neighbours are the townships near it, not the whole county.
    assert 0 < len(found["neighbour"]) < 20
