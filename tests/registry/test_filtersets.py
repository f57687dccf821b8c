"""Every list's area filter selects an area and what lies inside it, by the area's scope
prefix: township 500101150000 (白羊镇) is not a prefix of 500101151000 (龙驹镇), nor village
500101151200 (向东村) of 500101151201 (玉合村). Trimming trailing zeros made both mistakes in
the record lists."""

import pytest

from registry import selectors
from registry.filtersets import AssetFilterSet
from registry.ledgers import LISTS
from registry.models import AdminArea, Asset

pytestmark = pytest.mark.django_db

BAIYANG, LONGJU = "500101150000", "500101151000"
XIANGDONG, YUHE = "500101151200", "500101151201"


@pytest.fixture
def register(db):  # type: ignore[no-untyped-def]
    from registry.demo_assets import generate_register

    generate_register(assets=600, seed=11)


def move(asset_id: int, code: str) -> None:
    area = AdminArea.objects.get(code=code)
    Asset.objects.filter(pk=asset_id).update(area=area, area_code=area.code)


def listed(kind: str, user, area: str) -> set[int]:  # type: ignore[no-untyped-def]
    filterset = LISTS[kind].filterset({"area": area}, user)
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("pk", flat=True))


@pytest.mark.parametrize("kind", list(LISTS))
def test_each_record_list_selects_the_area_by_its_prefix(kind, auditor, register):
    spec = LISTS[kind]
    records = list(spec.queryset(auditor).order_by("pk")[:2])
    assert len(records) == 2, f"the generated register has fewer than 2 {kind} records"
    first, second = records
    move(first.asset_id, XIANGDONG)
    move(second.asset_id, YUHE)

    assert {first.pk, second.pk} <= listed(kind, auditor, LONGJU)
    assert not {first.pk, second.pk} & listed(kind, auditor, BAIYANG)
    in_xiangdong = listed(kind, auditor, XIANGDONG)
    assert first.pk in in_xiangdong and second.pk not in in_xiangdong
    assert listed(kind, auditor, "500101151299") == set()  # no such village: nothing
    # Whatever the area, every record listed lies inside it, and none inside it is missed.
    for code in (BAIYANG, LONGJU, XIANGDONG, YUHE):
        prefix = AdminArea.objects.get(code=code).scope_prefix
        inside = spec.queryset(auditor).filter(asset__area_code__startswith=prefix)
        assert listed(kind, auditor, code) == set(inside.values_list("pk", flat=True)), code


def test_the_asset_list_selects_the_area_by_its_prefix_too(auditor, register):
    first, second = Asset.objects.order_by("pk")[:2]
    move(first.pk, XIANGDONG)
    move(second.pk, YUHE)

    def assets(area: str) -> set[int]:
        filterset = AssetFilterSet({"area": area}, queryset=selectors.asset_list(user=auditor))
        return set(filterset.qs.values_list("pk", flat=True))

    assert {first.pk, second.pk} <= assets(LONGJU)
    assert not {first.pk, second.pk} & assets(BAIYANG)
    assert first.pk in assets(XIANGDONG) and second.pk not in assets(XIANGDONG)
