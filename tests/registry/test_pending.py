"""Photos kept across a form sent back with an error (registry/views/pending.py): bounded, per
user and asset, never another user's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.models import Asset
from registry.views import pending

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def photos(n: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"照片{i}.jpg", JPEG) for i in range(n)]


def test_at_most_ten_photos_are_kept_and_the_rest_said(road, village_clerk):
    kept, dropped = pending.keep_uploads(village_clerk, road, photos(12))
    assert (len(kept), dropped) == (10, 2)
    # The next try carries them on and adds none beyond the ten.
    ids = [k["id"] for k in kept]
    more, dropped = pending.keep_uploads(village_clerk, road, photos(3), still=ids)
    assert (more, dropped) == ([], 3)
    assert len(pending.kept_uploads(village_clerk, road, ids)) == 10


def test_ids_that_are_not_named_by_the_page_are_removed(road, village_clerk):
    first, _ = pending.keep_uploads(village_clerk, road, photos(2))
    second, _ = pending.keep_uploads(village_clerk, road, photos(1))  # first not carried on
    assert pending.kept_uploads(village_clerk, road, [k["id"] for k in first]) == []
    assert len(pending.kept_uploads(village_clerk, road, [k["id"] for k in second])) == 1


def test_forms_on_two_assets_keep_their_own_photos_and_no_one_elses(
    road, pv_station, village_clerk, county_manager
):
    on_road, _ = pending.keep_uploads(village_clerk, road, photos(1))
    on_pv, _ = pending.keep_uploads(village_clerk, pv_station, photos(1))
    assert len(pending.kept_uploads(village_clerk, road, [k["id"] for k in on_road])) == 1
    assert len(pending.kept_uploads(village_clerk, pv_station, [k["id"] for k in on_pv])) == 1
    # Another user, or the same ids on another asset, or a path: nothing.
    assert pending.kept_uploads(county_manager, road, [k["id"] for k in on_road]) == []
    assert pending.kept_uploads(village_clerk, pv_station, [k["id"] for k in on_road]) == []
    junk = ["../../etc/passwd", on_road[0]["id"] + "\n", "a" * 32 + "/1/2"]
    assert pending.kept_uploads(village_clerk, road, junk) == []
    assert isinstance(road, Asset)
