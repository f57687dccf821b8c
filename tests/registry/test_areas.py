"""The demo county's area data is complete and consistent (checked in PostGIS)."""

from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction

from registry.choices import AreaLevel
from registry.models import AdminArea

pytestmark = pytest.mark.django_db

LONGJU = "500101151000"


def scalar(sql: str, params: list[object] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def test_demo_county_has_52_townships_and_610_villages():
    assert AdminArea.objects.filter(level=AreaLevel.COUNTY).count() == 1
    assert AdminArea.objects.filter(level=AreaLevel.TOWNSHIP).count() == 52
    assert AdminArea.objects.filter(level=AreaLevel.VILLAGE).count() == 610
    county = AdminArea.objects.get(level=AreaLevel.COUNTY)
    assert (county.code, county.name) == ("500101000000", "万州区")


def test_township_kinds_match_the_code_table():
    kinds = Counter(
        AdminArea.objects.filter(level=AreaLevel.TOWNSHIP).values_list("kind", flat=True)
    )
    assert kinds == {"subdistrict": 14, "town": 27, "township": 9, "ethnic_township": 2}


def test_every_village_code_starts_with_its_townships_nine_digits():
    villages = AdminArea.objects.filter(level=AreaLevel.VILLAGE).select_related("parent")
    for village in villages:
        assert village.parent is not None and village.parent.level == AreaLevel.TOWNSHIP
        assert village.code[:9] == village.parent.code[:9], village.code
    assert AdminArea.objects.get(code=LONGJU).children.count() == 21


def test_every_village_point_lies_in_its_township():
    outside = scalar(
        """SELECT count(*) FROM registry_adminarea v JOIN registry_adminarea t ON v.parent_id = t.id
           WHERE v.level = 'village' AND NOT ST_Covers(t.boundary, v.point)"""
    )
    missing = AdminArea.objects.filter(level=AreaLevel.VILLAGE, point__isnull=True).count()
    assert (outside, missing) == (0, 0)


def test_townships_tile_the_county_without_overlap():
    # Overlap: total area of pairwise intersections, in km² on the ellipsoid.
    overlap_km2 = scalar(
        """SELECT coalesce(sum(ST_Area(ST_Intersection(a.boundary, b.boundary)::geography)), 0)
                  / 1e6
           FROM registry_adminarea a JOIN registry_adminarea b
             ON a.id < b.id AND a.boundary && b.boundary AND ST_Intersects(a.boundary, b.boundary)
           WHERE a.level = 'township' AND b.level = 'township'"""
    )
    # Gaps or spill-over: what the union of townships and the county outline do not share.
    mismatch_km2 = scalar(
        """SELECT ST_Area(ST_SymDifference(t.u, c.boundary)::geography) / 1e6
           FROM (SELECT ST_Union(boundary) u FROM registry_adminarea WHERE level = 'township') t,
                registry_adminarea c WHERE c.level = 'county'"""
    )
    county_km2 = scalar(
        "SELECT ST_Area(boundary::geography) / 1e6 FROM registry_adminarea WHERE level = 'county'"
    )
    assert 3300 < county_km2 < 3600  # 万州区 is about 3,457 km²
    assert overlap_km2 < 0.01
    assert mismatch_km2 < 0.01


def test_all_demo_geometry_is_marked_illustrative_and_stored_in_cgcs2000():
    assert not AdminArea.objects.filter(synthetic=False).exclude(boundary=None, point=None).exists()
    assert scalar("SELECT Find_SRID('public', 'registry_adminarea', 'boundary')") == 4490


def test_area_codes_are_validated_by_the_database():
    county = AdminArea.objects.get(level=AreaLevel.COUNTY)
    for bad_code in ["50010115100", "5001011510001", "60010115100A", "600101151000"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            AdminArea.objects.create(
                code=bad_code,
                name="坏",
                level=AreaLevel.TOWNSHIP,
                parent=county,
                county_code="500101",
            )
