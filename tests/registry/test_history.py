"""Every change is in the row history with who made it; nothing is hard-deleted."""

import pytest
from django.db import InternalError, transaction
from django.urls import reverse

from registry.models import AdminArea, User

pytestmark = pytest.mark.django_db


def test_change_through_a_request_records_user_url_and_old_and_new_values(client, demo_admin):
    planner = User.objects.get(username="planner")
    client.force_login(demo_admin)
    url = reverse("admin:registry_user_change", args=[planner.pk])
    data = {
        "username": "planner",
        "first_name": planner.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": planner.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": planner.date_joined.strftime("%H:%M:%S"),
        "role": "auditor",
        "area": str(planner.area_id),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    events = planner.events.order_by("pgh_id")  # type: ignore[attr-defined]
    assert [e.pgh_label for e in events] == ["insert", "update"]
    update = events.last()
    assert update.role == "auditor"
    assert events.first().role == "planner"
    assert update.pgh_context.metadata["user"] == demo_admin.pk
    assert update.pgh_context.metadata["url"] == url
    assert not hasattr(update, "password")  # secrets stay out of history


def test_bulk_update_bypassing_save_is_still_recorded(planner):
    AdminArea.objects.filter(code="500101151200").update(name="向东村（改）")
    area = AdminArea.objects.get(code="500101151200")
    assert [e.name for e in area.events.order_by("pgh_id")] == [  # type: ignore[attr-defined]
        "向东村村民委员会",
        "向东村（改）",
    ]


def test_demo_load_is_attributed_to_its_command():
    event = AdminArea.objects.get(code="500101151000").events.get()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["command"] == "load_demo_county"


@pytest.mark.parametrize("model", [AdminArea, User])
def test_database_refuses_hard_deletes(model):
    row = model.objects.order_by("-pk")[:1]
    # _raw_delete skips Django's on_delete checks: the database itself must refuse.
    with pytest.raises(InternalError, match="protect_delete"), transaction.atomic():
        row._raw_delete(row.db)
    assert row.exists()


def test_admin_offers_no_delete(client, demo_admin):
    client.force_login(demo_admin)
    area = AdminArea.objects.get(code="500101151200")
    response = client.get(reverse("admin:registry_adminarea_delete", args=[area.pk]))
    assert response.status_code == 403


def test_every_registry_table_keeps_history_and_refuses_deletes():
    """A new registry model cannot forget its history or its delete protection."""
    from django.apps import apps

    events = {m._meta.model_name for m in apps.get_app_config("registry").get_models()}
    tracked = [
        m
        for m in apps.get_app_config("registry").get_models()
        if not m._meta.model_name.endswith("event")
    ]
    assert tracked
    for model in tracked:
        assert f"{model._meta.model_name}event" in events, model
        trigger_names = {t.name for t in model._meta.triggers}  # type: ignore[attr-defined]
        assert {"protect_delete", "insert_insert", "update_update"} <= trigger_names, model


def test_an_admin_save_over_someone_elses_change_is_refused(client, demo_admin):
    """Two administrators open the same area; the second to save is told, and nothing of the
    first one's change is lost."""
    import re

    area = AdminArea.objects.get(code="500101151200")
    client.force_login(demo_admin)
    url = reverse("admin:registry_adminarea_change", args=[area.pk])
    page = client.get(url).content.decode()
    loaded = re.search(r'name="loaded" value="([0-9a-f]+)"', page).group(1)
    AdminArea.objects.filter(pk=area.pk).update(name="向东村村民委员会（他人已改）")
    data = {"code": area.code, "name": "向东村（我的修改）", "level": area.level,
            "kind": area.kind, "county_code": area.county_code, "parent": area.parent_id,
            "division_year": area.division_year or "", "source": area.source,
            "loaded": loaded}  # fmt: skip
    response = client.post(url, data, follow=True)
    assert "Someone else changed this record" in response.content.decode()
    assert AdminArea.objects.get(pk=area.pk).name == "向东村村民委员会（他人已改）"


def test_a_service_called_outside_a_request_attributes_its_writes_to_its_actor(
    village_clerk, township_manager
):
    """No middleware sets the context for a command or a background job: the service does."""
    from registry.models import AssetEvent
    from registry.services.assets import asset_approve_registration, asset_register
    from tests.factories import asset_input

    asset = asset_register(actor=village_clerk, data=asset_input())
    asset_approve_registration(actor=township_manager, asset=asset)
    events = list(AssetEvent.objects.filter(pgh_obj=asset).order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert [e.pgh_context.metadata["user"] for e in events] == [
        village_clerk.pk,
        township_manager.pk,
    ]
