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


# --- synthetic village outlines (Voronoi cells of the village points inside their township) ------


def test_every_demo_village_has_an_outline_marked_illustrative_that_covers_its_point():
    villages = AdminArea.objects.filter(level=AreaLevel.VILLAGE)
    assert not villages.filter(boundary__isnull=True).exists()
    assert not villages.filter(synthetic=False).exists()
    uncovered = scalar(
        """SELECT count(*) FROM registry_adminarea
           WHERE level = 'village' AND NOT ST_Covers(boundary, point)"""
    )
    assert uncovered == 0


def test_village_outlines_lie_inside_their_township_and_tile_it_without_overlap():
    # Planar areas in square degrees (1e-9 is about 10 m²): floating-point slivers only. (On
    # the ellipsoid, a straight edge and the same edge with a vertex in its middle differ by a
    # sliver of real area, which would hide the point of the test.)
    outside = scalar(
        """SELECT coalesce(sum(ST_Area(ST_Difference(v.boundary, t.boundary))), 0)
           FROM registry_adminarea v JOIN registry_adminarea t ON v.parent_id = t.id
           WHERE v.level = 'village'"""
    )
    overlap = scalar(
        """SELECT coalesce(sum(ST_Area(ST_Intersection(a.boundary, b.boundary))), 0)
           FROM registry_adminarea a JOIN registry_adminarea b
             ON a.id < b.id AND a.boundary && b.boundary AND ST_Intersects(a.boundary, b.boundary)
           WHERE a.level = 'village' AND b.level = 'village'"""
    )
    # Each township is exactly the union of its villages' cells (no gap either).
    gap = scalar(
        """SELECT coalesce(sum(ST_Area(ST_SymDifference(t.boundary, v.u))), 0)
           FROM registry_adminarea t
           JOIN (SELECT parent_id, ST_Union(boundary) u FROM registry_adminarea
                 WHERE level = 'village' GROUP BY parent_id) v ON v.parent_id = t.id"""
    )
    assert max(outside, overlap, gap) < 1e-9, (outside, overlap, gap)


def test_a_demo_database_without_village_outlines_gets_them_once(django_assert_num_queries):
    from registry.demo import fill_village_outlines

    before = dict(
        AdminArea.objects.filter(code__startswith="500101151", boundary__isnull=False).values_list(
            "code", "boundary"
        )
    )
    AdminArea.objects.filter(level=AreaLevel.VILLAGE, code__startswith="500101151").update(
        boundary=None
    )
    assert fill_village_outlines() == 21
    after = dict(
        AdminArea.objects.filter(code__startswith="500101151", boundary__isnull=False).values_list(
            "code", "boundary"
        )
    )
    assert after.keys() == before.keys()
    for code, shape in before.items():
        assert after[code].equals_exact(shape, tolerance=1e-9), code
    # Afterwards a start of the server costs one query and changes nothing.
    with django_assert_num_queries(1):
        assert fill_village_outlines() == 0


def test_villages_with_real_data_are_never_given_synthetic_outlines():
    from registry.demo import fill_village_outlines

    AdminArea.objects.filter(code="500101151200").update(boundary=None, synthetic=False)
    assert fill_village_outlines() == 0
    assert AdminArea.objects.get(code="500101151200").boundary is None


def test_every_server_start_fills_in_missing_village_outlines_and_then_does_nothing():
    from io import StringIO

    from django.core.management import call_command

    AdminArea.objects.filter(level=AreaLevel.VILLAGE, code__startswith="500101151").update(
        boundary=None
    )
    out = StringIO()
    call_command("load_demo_county", "--if-empty", stdout=out)
    assert "Gave 21 demo villages their synthetic outlines" in out.getvalue()
    assert not AdminArea.objects.filter(level=AreaLevel.VILLAGE, boundary=None).exists()
    again = StringIO()
    call_command("load_demo_county", "--if-empty", stdout=again)
    assert "Gave" not in again.getvalue()
