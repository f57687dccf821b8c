"""Area pages: tree, search and detail work and stay within a fixed number of queries."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_area_tree_lists_every_township_and_village_for_the_county(client, planner):
    client.force_login(planner)
    page = client.get(reverse("registry:area_list")).content.decode()
    assert page.count('href="/areas/500101') == 1 + 52 + 610
    assert "龙驹镇" in page and "向东村村民委员会" in page


def test_search_by_name_and_by_code(client, planner):
    client.force_login(planner)
    by_name = client.get(reverse("registry:area_list"), {"q": "龙驹"}).content.decode()
    assert "龙驹镇" in by_name and "龙驹社区居民委员会" in by_name
    assert "高笋塘街道" not in by_name
    by_code = client.get(reverse("registry:area_list"), {"q": "500101151200"}).content.decode()
    assert "向东村村民委员会" in by_code
    nothing = client.get(reverse("registry:area_list"), {"q": "不存在的村"}).content.decode()
    assert 'href="/areas/500101' not in nothing


def test_detail_shows_code_parent_and_children(client, planner):
    client.force_login(planner)
    page = client.get(reverse("registry:area_detail", args=["500101151000"])).content.decode()
    assert "500101151000" in page and "龙驹镇" in page and "万州区" in page
    assert page.count('href="/areas/5001011512') == 16  # its 16 villagers' committees
    assert "area-geometry" in page


@pytest.mark.parametrize(
    "url",
    [
        reverse("registry:area_list"),
        reverse("registry:area_list") + "?q=镇",
        reverse("registry:area_detail", args=["500101000000"]),
        reverse("registry:area_detail", args=["500101151000"]),
    ],
)
def test_pages_use_a_fixed_number_of_queries(client, planner, url, django_assert_max_num_queries):
    client.force_login(planner)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_unknown_area_is_404(client, planner):
    client.force_login(planner)
    assert client.get(reverse("registry:area_detail", args=["999999999999"])).status_code == 404
