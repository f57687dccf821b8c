"""Relocation sites' services (registry.services.sites): who may register and change a site and
its records (scope), what is refused and how the refusal reads (both languages, on the field),
codes, optimistic versions, the network signal on a move, the history's attribution, and that
nothing is ever deleted."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from registry.choices import ProblemStatus
from registry.errors import ConflictError, ValidationError
from registry.models import (
    AdminArea,
    Asset,
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteSupport,
    User,
)
from registry.services import sites as S
from registry.services.assets import asset_register
from registry.signals import places_changed
from tests.factories import asset_input, map_project, village

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
XIANGDONG, YUHE = "500101151200", "500101151201"  # two villages of 龙驹镇
OTHER_VILLAGE = "500101139201"  # 新农村, 甘宁镇: another township


def spot(code: str = XIANGDONG, dx: float = 0.001, dy: float = 0.0) -> Point:
    area = AdminArea.objects.get(code=code)
    return Point(area.point.x + dx, area.point.y + dy, srid=4490)


def square(centre: Point, half: float = 0.001) -> MultiPolygon:
    x, y = centre.x, centre.y
    ring = ((x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half),
            (x - half, y - half))  # fmt: skip
    return MultiPolygon(Polygon(ring), srid=4490)


def values(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "向东村中心村集中安置点", "site_type": "central_village", "point": spot(),
        "registered_households": 40, "registered_persons": 150, "alongside_households": 5,
        "alongside_persons": 16, "housing_units": 45, "floor_area_m2": Decimal("3600.50"),
        "built_from": 2017, "built_to": 2018, "moved_in_on": datetime.date(2018, 10, 1),
        "reclamation": "in_progress",
    }  # fmt: skip
    data.update(overrides)
    return data


def create(actor: User, code: str = XIANGDONG, **overrides: Any) -> RelocationSite:
    return S.site_create(actor=actor, area=village(code), values=values(**overrides))


def messages(exc: ValidationError, field: str) -> str:
    return " ".join(exc.message_dict[field])


# --- registering a site ---------------------------------------------------------------------


def test_a_village_clerk_registers_a_site_in_their_village_with_the_countys_next_code(
    village_clerk,
):
    first = create(village_clerk)
    second = create(village_clerk, name="向东村第二安置点", point=spot(dx=-0.002))
    assert first.code == "500101AZ0001" and second.code == "500101AZ0002"
    assert (first.households, first.persons) == (45, 166)
    assert first.scale == "100_799" and first.mode == "concentrated"
    assert first.area_code == XIANGDONG and first.county_code == "500101"
    assert first.version == 1


def test_a_site_is_registered_only_in_the_actors_area_and_never_by_readers(
    village_clerk, planner, auditor, township_manager
):
    with pytest.raises(ValidationError) as beside:  # the next village is not the clerk's
        create(village_clerk, YUHE, point=spot(YUHE))
    assert "your own area" in messages(beside.value, "area")
    for reader in (planner, auditor):
        with pytest.raises((PermissionDenied, ValidationError)):
            create(reader)
    with pytest.raises(ValidationError) as refused:
        create(township_manager, OTHER_VILLAGE, point=spot(OTHER_VILLAGE))
    assert "自己的区域" in messages(refused.value, "area") or "your own area" in messages(
        refused.value, "area"
    )
    assert create(township_manager, YUHE, point=spot(YUHE)).area_code == YUHE


def test_a_site_lies_in_a_village_not_a_township(county_manager):
    with pytest.raises(ValidationError) as refused:
        S.site_create(actor=county_manager, area=village("500101151000"), values=values())
    assert "village or community" in messages(refused.value, "area")


def test_a_position_outside_the_township_is_refused_naming_it_in_both_languages(village_clerk):
    far = Point(108.9, 31.2, srid=4490)
    with pytest.raises(ValidationError) as refused:
        create(village_clerk, point=far)
    text = messages(refused.value, "point")
    assert "108.900000" in text and "31.200000" in text and " / " in text
    assert "lies outside" in text


def test_an_outline_alone_gives_the_site_a_point_inside_it(village_clerk):
    outline = square(spot())
    site = create(village_clerk, point=None, outline=outline)
    assert site.outline is not None and site.outline.covers(site.point)


def test_a_point_away_from_the_outline_is_refused(village_clerk):
    with pytest.raises(ValidationError) as refused:
        create(village_clerk, outline=square(spot()), point=spot(dx=0.01))
    assert "outline" in messages(refused.value, "point")


def test_a_polygon_is_taken_as_the_outline_and_a_line_is_refused(village_clerk):
    outline = square(spot())[0]
    assert create(village_clerk, outline=outline).outline.geom_type == "MultiPolygon"
    from django.contrib.gis.geos import LineString

    line = LineString(spot().coords, spot(dx=0.002).coords, srid=4490)
    with pytest.raises(ValidationError) as refused:
        create(village_clerk, name="线", outline=line)
    assert "outline" in refused.value.message_dict


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"registered_households": 10, "registered_persons": 5}, "registered_persons"),
        ({"alongside_households": 3, "alongside_persons": 0}, "alongside_persons"),
        ({"built_from": 2019, "built_to": 2017}, "built_to"),
        ({"built_from": 1990}, "built_from"),
        ({"moved_in_on": TODAY + datetime.timedelta(days=3)}, "moved_in_on"),
        ({"name": " \u200b "}, "name"),
        ({"site_type": "palace"}, "site_type"),
        ({"registered_households": -1}, "registered_households"),
        ({"floor_area_m2": Decimal("1e30")}, "floor_area_m2"),
        ({"name": "x\x00y"}, "name"),
        ({"point": None}, "point"),
    ],
)
def test_what_a_person_states_wrong_is_refused_on_its_field_in_both_languages(
    village_clerk, overrides, field
):
    with pytest.raises(ValidationError) as refused:
        create(village_clerk, **overrides)
    text = messages(refused.value, field)
    assert text, refused.value
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text  # Chinese first
    assert not RelocationSite.objects.exists()


# --- correcting and moving ----------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_a_fresh_one_bumps_the_version(village_clerk):
    site = create(village_clerk)
    saved = S.site_update(
        actor=village_clerk, site=site, expected_version=1, values={"name": "向东村安置小区"}
    )
    assert saved.version == 2 and saved.name == "向东村安置小区"
    with pytest.raises(ConflictError):
        S.site_update(actor=village_clerk, site=site, expected_version=1, values={"note": "x"})
    assert RelocationSite.objects.get(pk=site.pk).note == ""


def test_a_moved_site_tells_the_network_analysis_its_old_and_new_place(village_clerk):
    site = create(village_clerk)
    heard: list[dict[str, Any]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        heard.append(kwargs)

    places_changed.connect(listen, dispatch_uid="test_sites_listen")
    try:
        S.site_update(actor=village_clerk, site=site, expected_version=1, values={"note": "备注"})
        assert heard == []  # a note is not a move
        new = spot(dx=0.002)
        S.site_update(actor=village_clerk, site=site, expected_version=2, values={"point": new})
    finally:
        places_changed.disconnect(dispatch_uid="test_sites_listen")
    assert len(heard) == 1
    assert heard[0]["area_codes"] and set(heard[0]["area_codes"]) == {XIANGDONG}
    assert any(
        site.point.ewkt[:20] in g or g.startswith("SRID=4490;POINT") for g in heard[0]["geoms"]
    )
    assert len(heard[0]["geoms"]) == 2  # the old point and the new one (no outlines)


def test_only_the_sites_editors_change_it(village_clerk, planner, township_manager):
    site = create(village_clerk)
    with pytest.raises(PermissionDenied):
        S.site_update(actor=planner, site=site, expected_version=1, values={"name": "改"})
    other = create(township_manager, YUHE, point=spot(YUHE))
    with pytest.raises(PermissionDenied):
        S.site_update(actor=village_clerk, site=other, expected_version=1, values={"name": "改"})
    with pytest.raises(ValidationError):  # a clerk cannot move a site out of the village
        S.site_update(
            actor=village_clerk, site=site, expected_version=1, values={}, area=village(YUHE)
        )


def test_the_history_names_who_changed_the_site_whatever_calls_the_service(village_clerk):
    site = create(village_clerk)
    S.site_update(actor=village_clerk, site=site, expected_version=1, values={"name": "新名"})
    events = list(
        site.events.order_by("pgh_id").values_list("pgh_label", "pgh_context__metadata")  # type: ignore[attr-defined]
    )
    assert [label for label, _ in events] == ["insert", "update"]
    assert all(context["user"] == village_clerk.pk for _, context in events)


# --- facilities and projects ----------------------------------------------------------------


@pytest.fixture
def school(village_clerk) -> Asset:
    return asset_register(
        actor=village_clerk,
        data=asset_input(name="向东村安置点幼儿园", subtype="public_service", unit="处",
                         quantity=Decimal(1)),
    )  # fmt: skip


def test_an_asset_of_the_actors_area_is_linked_once_and_ended_never_deleted(village_clerk, school):
    site = create(village_clerk)
    link = S.facility_link(actor=village_clerk, site=site, asset=school, role="facility")
    with pytest.raises(ValidationError) as twice:
        S.facility_link(actor=village_clerk, site=site, asset=school, role="facility")
    assert "already" in messages(twice.value, "asset")
    ended = S.facility_end(actor=village_clerk, facility=link)
    assert ended.active is False
    with pytest.raises(ValidationError):
        S.facility_end(actor=village_clerk, facility=link)
    again = S.facility_link(actor=village_clerk, site=site, asset=school, role="facility")
    assert SiteFacility.objects.filter(site=site).count() == 2 and again.active


SUBTYPE = {"household": "relocation_housing", "public": "public_service", "operating": "workshop"}


@pytest.mark.parametrize(
    ("role", "fits", "misfit"),
    [("housing", "household", "public"), ("facility", "public", "operating"),
     ("industry", "operating", "household")],
)  # fmt: skip
def test_a_role_takes_an_asset_of_its_class(village_clerk, role, fits, misfit):
    """Resettlement housing is a household asset, a facility public-welfare, a workshop
    operating (DOMAIN.md 2): linking a school as housing is refused on the role."""
    site = create(village_clerk)
    wrong = asset_register(
        actor=village_clerk,
        data=asset_input(asset_class=misfit, subtype=SUBTYPE[misfit], name="错类"),
    )
    with pytest.raises(ValidationError) as refused:
        S.facility_link(actor=village_clerk, site=site, asset=wrong, role=role)
    assert "another class" in messages(refused.value, "role")
    assert "资产" in messages(refused.value, "role")  # in Chinese too
    right = asset_register(
        actor=village_clerk,
        data=asset_input(asset_class=fits, subtype=SUBTYPE[fits], name="对类"),
    )
    assert S.facility_link(actor=village_clerk, site=site, asset=right, role=role).active
    assert not SiteFacility.objects.filter(asset=wrong).exists()


def test_an_asset_outside_the_actors_area_or_an_unknown_role_is_refused(
    village_clerk, county_manager
):
    site = create(village_clerk)
    elsewhere = asset_register(
        actor=county_manager, data=asset_input(area=village(OTHER_VILLAGE), name="甘宁镇公路")
    )
    with pytest.raises(ValidationError) as refused:
        S.facility_link(actor=village_clerk, site=site, asset=elsewhere, role="facility")
    assert "inside your area" in messages(refused.value, "asset")
    with pytest.raises(ValidationError) as role:
        S.facility_link(actor=county_manager, site=site, asset=elsewhere, role="palace")
    assert "role" in role.value.message_dict
    # The county sees both: a facility outside the village may serve the site.
    assert S.facility_link(actor=county_manager, site=site, asset=elsewhere, role="facility")


def test_a_project_the_actor_cannot_see_is_not_linked(village_clerk, county_manager):
    from registry.models import Project
    from registry.services import projects as P

    site = create(village_clerk)
    project = P.project_propose(
        actor=county_manager,
        data=P.ProjectInput(
            values={"name": "甘宁镇产业路", "year": TODAY.year, "category": "construction",
                    "in_bridging_library": True},
            area=village(OTHER_VILLAGE),
        ),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        S.site_project_link(actor=village_clerk, site=site, project=project)
    assert "project" in refused.value.message_dict
    link = S.site_project_link(actor=county_manager, site=site, project=project)
    assert S.site_project_end(actor=county_manager, link=link).active is False
    assert Project.objects.filter(pk=project.pk).exists()


# --- follow-up support and problems ---------------------------------------------------------


def test_a_years_figures_are_one_row_corrected_in_place(village_clerk):
    site = create(village_clerk)
    figures = {"labour_force": 80, "employed": 70, "per_capita_income": Decimal("12500.00"),
               "welfare_posts": 4, "workshops": 1, "monitored_households": 2}  # fmt: skip
    first = S.support_set(actor=village_clerk, site=site, year=2024, values=figures)
    assert first.employment_rate == pytest.approx(87.5)
    S.support_set(actor=village_clerk, site=site, year=2024, values={**figures, "employed": 76})
    rows = list(SiteSupport.objects.filter(site=site))
    assert len(rows) == 1 and rows[0].employed == 76


@pytest.mark.parametrize(
    ("year", "figures", "field"),
    [
        (2024, {"labour_force": 10, "employed": 12}, "employed"),
        (2024, {"monitored_households": 999}, "monitored_households"),
        (TODAY.year + 1, {}, "year"),
        (1999, {}, "year"),
        (2024, {"per_capita_income": Decimal("-1")}, "per_capita_income"),
        (2024, {"labour_force": -3}, "labour_force"),
    ],
)
def test_impossible_figures_are_refused_on_their_field(village_clerk, year, figures, field):
    site = create(village_clerk)
    with pytest.raises(ValidationError) as refused:
        S.support_set(actor=village_clerk, site=site, year=year, values=figures)
    assert messages(refused.value, field)
    assert not SiteSupport.objects.filter(site=site).exists()


def test_a_problem_is_raised_and_resolved_once_not_before_it_was_raised(village_clerk, planner):
    site = create(village_clerk)
    raised = TODAY - datetime.timedelta(days=30)
    problem = S.problem_add(
        actor=village_clerk, site=site, category="utilities", description="水压不足",
        raised_on=raised,
    )  # fmt: skip
    assert problem.status == ProblemStatus.OPEN and problem.recorded_by == village_clerk
    with pytest.raises(PermissionDenied):
        S.problem_resolve(actor=planner, problem=problem, resolved_on=TODAY, resolution="已加压")
    with pytest.raises(ValidationError) as early:
        S.problem_resolve(
            actor=village_clerk, problem=problem, resolved_on=raised - datetime.timedelta(days=1),
            resolution="已加压",
        )  # fmt: skip
    assert messages(early.value, "resolved_on")
    with pytest.raises(ValidationError) as empty:
        S.problem_resolve(actor=village_clerk, problem=problem, resolved_on=TODAY, resolution=" ")
    assert messages(empty.value, "resolution")
    done = S.problem_resolve(
        actor=village_clerk, problem=problem, resolved_on=TODAY, resolution="已新建增压泵站"
    )
    assert done.status == ProblemStatus.RESOLVED and done.resolved_on == TODAY
    with pytest.raises(ValidationError):
        S.problem_resolve(actor=village_clerk, problem=problem, resolved_on=TODAY, resolution="再")


def test_a_problem_needs_a_description_and_a_past_date(village_clerk, planner):
    site = create(village_clerk)
    with pytest.raises(ValidationError) as blank:
        S.problem_add(actor=village_clerk, site=site, category="other", description="",
                      raised_on=TODAY)  # fmt: skip
    assert messages(blank.value, "description")
    with pytest.raises(ValidationError) as future:
        S.problem_add(actor=village_clerk, site=site, category="other", description="x",
                      raised_on=TODAY + datetime.timedelta(days=1))  # fmt: skip
    assert messages(future.value, "raised_on")
    with pytest.raises(PermissionDenied):
        S.problem_add(actor=planner, site=site, category="other", description="x", raised_on=TODAY)


@pytest.mark.parametrize("model", [RelocationSite, SiteFacility, SiteSupport, SiteProblem])
def test_nothing_of_a_site_is_ever_deleted(village_clerk, school, model):
    site = create(village_clerk)
    S.facility_link(actor=village_clerk, site=site, asset=school, role="facility")
    S.support_set(actor=village_clerk, site=site, year=2023, values={"labour_force": 5})
    S.problem_add(actor=village_clerk, site=site, category="other", description="x",
                  raised_on=TODAY)  # fmt: skip
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.all().delete()
    assert model.objects.exists()


def test_a_village_clerk_cannot_end_a_link_to_what_they_cannot_see(village_clerk, county_manager):
    """The county links a sibling village's asset and project to 向东村's site; the clerk of
    向东村 sees neither, so may not end either link (the page offers no button either)."""
    site = create(county_manager)
    sibling = asset_register(actor=county_manager, data=asset_input(area=village(YUHE)))
    project = map_project(village(YUHE), name="玉合村后扶项目")
    facility = S.facility_link(actor=county_manager, site=site, asset=sibling, role="facility")
    link = S.site_project_link(actor=county_manager, site=site, project=project)
    with pytest.raises(PermissionDenied):
        S.facility_end(actor=village_clerk, facility=facility)
    with pytest.raises(PermissionDenied):
        S.site_project_end(actor=village_clerk, link=link)
    facility.refresh_from_db()
    link.refresh_from_db()
    assert facility.active and link.active


def test_a_site_cannot_name_a_community_outside_the_editors_area(village_clerk):
    with pytest.raises(ValidationError) as raised:
        create(village_clerk, community=village(YUHE))
    assert "community" in raised.value.message_dict


def test_the_timeline_names_every_changed_field_in_words_also_the_generated_totals(
    county_manager,
):
    """A change of persons moved also changes the generated total and scale band: the site's
    timeline names them (搬迁人数, 安置规模), never the column names."""
    from django.utils import translation

    from registry.selectors import site_timeline

    site = create(county_manager)
    S.site_update(
        actor=county_manager, site=site, expected_version=site.version,
        values={"registered_persons": 900},
    )  # fmt: skip
    with translation.override("zh-hans"):
        labels = {name for e in site_timeline(site=site, user=county_manager)
                  for name, *_ in e["changes"]}  # fmt: skip
    assert {"搬迁人数", "安置规模"} <= labels
    assert not labels & {"persons", "scale", "households", "mode"}


def test_a_site_stands_in_its_own_village_and_its_figures_agree(county_manager):
    """Placed in 玉合村 but listed under 向东村, moved in before it was built, more people able
    to work than were moved: each refused on its field."""
    with pytest.raises(ValidationError) as raised:
        create(county_manager, point=spot(YUHE, dx=0, dy=0))
    assert "向东村" in messages(raised.value, "point")
    with pytest.raises(ValidationError) as raised:
        create(county_manager, built_from=2018, built_to=2019,
               moved_in_on=datetime.date(2010, 5, 1))  # fmt: skip
    assert "2018" in messages(raised.value, "moved_in_on")
    site = create(county_manager)
    with pytest.raises(ValidationError) as raised:
        S.support_set(
            actor=county_manager, site=site, year=2024,
            values={"labour_force": site.persons + 1, "employed": 1},
        )  # fmt: skip
    assert str(site.persons) in messages(raised.value, "labour_force")
