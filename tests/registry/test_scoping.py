"""Users see and open only areas inside their own: one rule, applied by every page and layer."""

import json

import pytest
from django.urls import reverse

from registry import selectors
from registry.models import AdminArea
from registry.scoping import can_edit, scope_prefix

pytestmark = pytest.mark.django_db

LONGJU = "500101151000"
XIANGDONG = "500101151200"  # 向东村, 龙驹镇
OUTSIDE_TOWNSHIP = "500101001000"  # 高笋塘街道
OUTSIDE_VILLAGE = "500101001001"


def test_township_manager_sees_only_longju_and_its_villages(township_manager):
    codes = set(selectors.area_list(user=township_manager).values_list("code", flat=True))
    assert LONGJU in codes
    assert len(codes) == 1 + 21
    assert all(code.startswith("500101151") for code in codes)


def test_village_clerk_sees_only_their_village(village_clerk):
    codes = list(selectors.area_list(user=village_clerk).values_list("code", flat=True))
    assert codes == [XIANGDONG]


def test_county_users_see_the_whole_county(planner, auditor):
    for user in (planner, auditor):
        assert selectors.area_list(user=user).count() == 1 + 52 + 610


def test_user_without_area_sees_nothing_unless_superuser(planner, demo_admin):
    planner.area = None
    assert scope_prefix(planner) is None
    assert selectors.area_list(user=planner).count() == 0
    demo_admin.area = None
    assert scope_prefix(demo_admin) == ""


def test_only_editor_roles_edit_and_only_inside_their_area(planner, auditor, township_manager):
    assert can_edit(township_manager, XIANGDONG)
    assert not can_edit(township_manager, OUTSIDE_VILLAGE)
    assert not can_edit(planner, XIANGDONG)  # read-only role
    assert not can_edit(auditor, XIANGDONG)  # auditors never write


@pytest.mark.parametrize("code", [OUTSIDE_TOWNSHIP, OUTSIDE_VILLAGE, "500101000000"])
def test_area_outside_scope_answers_404_without_its_name(client, township_manager, code):
    client.force_login(township_manager)
    response = client.get(reverse("registry:area_detail", args=[code]))
    assert response.status_code == 404
    assert AdminArea.objects.get(code=code).name not in response.content.decode()


def test_area_inside_scope_opens(client, township_manager):
    client.force_login(township_manager)
    response = client.get(reverse("registry:area_detail", args=[XIANGDONG]))
    assert response.status_code == 200
    assert "向东村村民委员会" in response.content.decode()


def test_area_list_and_search_never_show_outside_names(client, township_manager):
    client.force_login(township_manager)
    page = client.get(reverse("registry:area_list")).content.decode()
    assert "龙驹镇" in page and "向东村村民委员会" in page
    assert "高笋塘街道" not in page and "万州区" not in page.split("</header>")[1]
    found = client.get(reverse("registry:area_list"), {"q": "高笋塘"}).content.decode()
    assert "高笋塘街道" not in found.split("</header>")[1]


def test_map_layers_hold_only_areas_in_scope(client, township_manager):
    client.force_login(township_manager)
    for level, expected in [("township", 1), ("village", 21), ("county", 0)]:
        response = client.get(reverse("gis:areas_geojson"), {"level": level})
        assert response.status_code == 200
        features = json.loads(response.content)["features"]
        assert len(features) == expected
        assert all(f["properties"]["code"].startswith("500101151") for f in features)


def test_anonymous_users_are_sent_to_login(client):
    for url in [reverse("gis:map"), reverse("registry:area_list"), reverse("gis:areas_geojson")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
