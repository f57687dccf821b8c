"""A permanent access sweep: every URL pattern of the project, asked by every demo account (and
three more at the levels the demo accounts leave out) and by an anonymous visitor, must answer
as its declared rule says.

* ``RULES`` names every URL pattern (namespaced) with who may read it (GET), who may write
  (POST), whether its object is area-scoped or belongs to a user, and how to build sample
  arguments: an object inside the account's area, objects outside it, and junk (NUL bytes,
  very long strings, non-digits). A pattern without a rule, or a rule without a pattern, fails
  ``test_every_url_pattern_has_a_rule``.
* For each pattern and account: anonymous visitors are sent to the login page (unless the
  rule says public); an object outside the account's area answers 404, never 200/403 with its
  data; a role that may not write gets 403 (404 outside its area) and nothing is written; no
  answer is ever 5xx; the body of every answer (pages, JSON, vector tiles, every export format)
  holds no code or name of an area (a village group's 15-digit code too), asset, relocation site
  or party outside the account's area, and a tile no feature the account may not see; lists,
  layers and exports that should show the account's own data are not empty.

Data: the demo county of ``tests/conftest.py`` plus, for this module only, "probe" assets
with every kind of record in four places (向东村; a sibling village in 龙驹镇; a village of
another township; a village of a made-up neighbouring county 500102, so that county accounts
have something outside their area too); at each of them the project libraries' needs and
projects (issue 19) and a relocation site with a facility, a project, support figures and a
problem, a village group and a gravel group road, with the gap analysis's rows for the group
and the site (issue 20); three more accounts, and imports and export jobs owned by different
people. It is written once in a transaction that the module rolls back at its end; each
pattern's test runs in a savepoint inside it, each account in a savepoint of its own (its
writes are undone before the next account asks), each request in one more (a 5xx cannot break
the next request).

Sampling, to stay fast: every account asks every pattern with one sample in its area and one
outside it, chosen in rotation; ``FULL_ACCOUNTS`` ask every sample. Accounts with the same
area, rights and samples for a pattern would get the same answers in their area, so one of
them (in rotation) asks there while each still asks outside. Junk goes to ``JUNK_ACCOUNTS``.
"""

import csv
import dataclasses
import datetime
import io
import json
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import mapbox_vector_tile
import openpyxl
import pghistory.models
import pyogrio
import pytest
from django.conf import settings
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views import static

from gis import tiles
from gis.gaps import place_scope
from gis.models import NetworkPlace
from gis.network import refresh_township
from registry.choices import AreaKind, AreaLevel, Role
from registry.demo import collective_name
from registry.models import (
    AdminArea,
    Asset,
    Attachment,
    ConstructionNeed,
    Party,
    Project,
    ProjectFile,
    RelocationSite,
    SiteFacility,
    SiteProblem,
    SiteProject,
    SiteSupport,
    TaskListItem,
    User,
)
from registry.scoping import scope_level, scope_prefix, visible_to
from registry.selectors import asset_list, asset_scope, party_list, project_scope, site_scope
from registry.services.assets import asset_register
from registry.services.disposal import disposal_request
from registry.services.income import distribution_plan_create, income_record_add
from registry.services.maintenance import maintenance_assign, maintenance_log_add
from registry.services.network import network_link_set
from registry.services.ownership import ownership_confirm
from registry.services.projects import TOWNSHIP_CHECKS
from registry.services.sites import facility_link, site_project_link
from tests.factories import asset_input, map_need, map_project, tile_of
from transfer import exporters, jobs, site_jobs
from transfer.importers import HEADERS
from transfer.models import AssetImport, ExportJob, ProjectImport, SiteImport

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
LOGIN_PATH = "/accounts/login/"
ADMIN_LOGIN_PATH = "/admin/login/"

XIANGDONG = "500101151200"  # 向东村 (龙驹镇): the village of village_clerk
LONGJU = "500101151000"  # 龙驹镇: the township of township_manager
NB_COUNTY, NB_TOWNSHIP, NB_VILLAGE = "500102000000", "500102100000", "500102100200"

# --- accounts ---------------------------------------------------------------------------------

DEMO_ACCOUNTS = [
    "planner",
    "manager",
    "approver",
    "township_manager",
    "village_clerk",
    "auditor",
    "admin",
]
# Readers below the county and an editor of a neighbouring village: the demo accounts have
# none of these, and each is a place where scoping can go wrong.
EXTRA_ACCOUNTS = {
    "sweep_township_planner": (Role.PLANNER, "township"),  # 龙驹镇
    "sweep_village_auditor": (Role.AUDITOR, "XD"),  # 向东村
    "sweep_sibling_manager": (Role.MANAGER, "SIB"),  # another village of 龙驹镇
}
ANONYMOUS = "anonymous"
ACCOUNTS = [ANONYMOUS, *DEMO_ACCOUNTS, *EXTRA_ACCOUNTS]
# Every account asks every pattern with one sample in its area and one outside it, in rotation
# (so that each export format, record kind and tile is asked by several accounts). These ask
# every sample in their area and two outside: the narrowest area, with the most outside it.
FULL_ACCOUNTS = {"village_clerk"}
# Accounts refused a write try an empty POST as well as a valid one.
EMPTY_POST_ACCOUNTS = {"planner", "sweep_village_auditor", *FULL_ACCOUNTS}
# Junk arguments and junk filters are asked by these only (they do not depend on the area).
JUNK_ACCOUNTS = {ANONYMOUS, "admin"}

EDITORS = frozenset({Role.MANAGER, Role.APPROVER, Role.ADMIN})
APPROVERS = frozenset({Role.APPROVER, Role.ADMIN})
ALL_ROLES = frozenset(Role)

# The four places that hold probe objects. Every account has its "home" among them (the place
# of its in-area samples) and the places outside its area give its out-of-area samples.
SLOTS = ["XD", "SIB", "OTH", "NB"]

# --- the rule table ---------------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not
LOGIN = "login"  # any signed-in account (its area still limits what it sees)
POST_ONLY = "post-only"  # GET answers 405 (for anonymous visitors: the login redirect)


@dataclasses.dataclass(frozen=True)
class Writers:
    """Who may POST: these roles, at these scope levels (None: any level); ``superuser``: a
    superuser whatever the level."""

    roles: frozenset[str]
    levels: frozenset[str] | None = None
    superuser: bool = False

    def allow(self, scope: "Scope") -> bool:
        if scope.user is None:
            return False
        if self.superuser and scope.user.is_superuser:
            return True
        return scope.role in self.roles and (self.levels is None or scope.level in self.levels)


@dataclasses.dataclass
class Sample:
    """One request's arguments: ``kind`` is in (inside the account's area or its own object),
    out (outside it, or someone else's) or junk."""

    kind: str
    kwargs: dict[str, Any]
    query: dict[str, str] = dataclasses.field(default_factory=dict)
    body: str | None = None  # overrides the rule's body kind (e.g. the export format)
    post: dict[str, Any] | None = None  # a valid POST for this sample (else only an empty one)
    check: Callable[["Answer"], list[str]] | None = None  # extra checks of a 200
    allow: frozenset[str] = frozenset()  # codes the account itself put there (its upload)
    label: str = ""
    get: bool = True  # False: a POST-only sample (e.g. registering in another area)


@dataclasses.dataclass(frozen=True)
class Rule:
    # PUBLIC, LOGIN, POST_ONLY, the roles that may GET, or Writers (roles at some levels)
    read: str | frozenset[str] | Writers
    write: str | Writers | None = None  # PUBLIC, Writers, or None: not a write view
    scope: str | None = None  # "area": kwargs point into an area; "owner": a user's object
    samples: Callable[["World", "Scope"], list[Sample]] = lambda world, scope: [Sample("in", {})]
    body: str = "html"  # html | json | tile | xlsx | csv | geojson | gpkg | shp | binary
    get_ok: frozenset[int] = frozenset({200})  # a permitted GET
    get_denied: frozenset[int] = frozenset({403})  # a signed-in account without the read role
    post_ok: frozenset[int] = frozenset({200, 302, 400, 409})  # a permitted POST (empty/valid)
    valid_post_writes: bool = True  # a permitted valid POST must change something
    post_out: frozenset[int] = frozenset({404})  # a POST about an object outside the area
    anon: str = "login"  # login | admin (the admin's own login) | public
    role_first: bool = False  # the role is checked before the object is looked up
    junk_query: tuple[dict[str, str], ...] = ()  # junk filters: 200 or 400, never 5xx
    # Junk filters asked at other addresses of the pattern than the first sample's (another
    # tile layer's filters): (arguments, filters).
    junk_more: tuple[tuple[dict[str, Any], tuple[dict[str, str], ...]], ...] = ()
    note: str = ""


def _roles(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# --- samples ----------------------------------------------------------------------------------


def _areas_in(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home]
    codes = [home.village.code]
    if scope.area_code and scope.area_code != home.village.code:
        codes.append(scope.area_code)
    return [Sample("in", {"code": c}, check=_must_show(c)) for c in codes]


def _areas_out(world: "World", scope: "Scope") -> list[Sample]:
    samples = [Sample("out", {"code": world.slots[s].village.code}) for s in scope.out_slots]
    # The parent township of a village account lies outside its area as well.
    if scope.level == "village":
        samples.append(Sample("out", {"code": scope.area_code[:9] + "000"}, label="parent"))
    samples.append(Sample("out", {"code": NB_COUNTY}, label="neighbour county"))
    return samples


def area_samples(world: "World", scope: "Scope") -> list[Sample]:
    return _areas_in(world, scope) + _areas_out(world, scope)


def _asset_samples(attr: str, post: Callable[["World", "Scope", "Probe"], dict] | None = None):
    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.slots[scope.home]
        result = [
            Sample(
                "in",
                {"code": getattr(home, attr).code},
                post=post(world, scope, home) if post else None,
                check=_must_show(getattr(home, attr).code),
            )
        ]
        result += [
            Sample("out", {"code": getattr(world.slots[s], attr).code}) for s in scope.out_slots
        ]
        return result

    return samples


def asset_detail_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The probe's operating asset; and its road (issue 20: network attributes, the harden
    form, the gaps link)."""
    road = world.sites[scope.home].road.code
    return [
        *_asset_samples("a")(world, scope),
        Sample("in", {"code": road}, check=_must_show(road), label="a road"),
    ]


def asset_edit_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The probe's operating asset (a valid edit); its road (the form's network section)."""
    road = world.sites[scope.home].road.code
    return [
        *_asset_samples("a", _edit_post)(world, scope),
        Sample("in", {"code": road}, check=_must_show(road), label="a road"),
    ]


def _record_samples(attr: str, id_name: str, post: Callable[..., dict] | None = None):
    """An asset with one of its records; outside; and an in-area asset with someone else's
    record (must be a 404 as well)."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.slots[scope.home]
        record = getattr(home, f"{attr}_id")
        asset = home.a if attr == "plan" else home.d
        result = [
            Sample(
                "in",
                {"code": asset.code, id_name: record},
                post=post(world, scope, home) if post else None,
            )
        ]
        for s in scope.out_slots:
            other = world.slots[s]
            other_asset = other.a if attr == "plan" else other.d
            other_record = getattr(other, f"{attr}_id")
            result.append(Sample("out", {"code": other_asset.code, id_name: other_record}))
            result.append(
                Sample("out", {"code": asset.code, id_name: other_record}, label="mismatched")
            )
        return result

    return samples


def _pk_samples(attr: str):
    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.slots[scope.home]
        result = [Sample("in", {"pk": getattr(home, attr)})]
        result += [Sample("out", {"pk": getattr(world.slots[s], attr)}) for s in scope.out_slots]
        return result

    return samples


def _owned_samples(objects: str, post: bool = False):
    """Objects that belong to users (imports, export jobs; keyed by the owner's name, or
    "name#what" for another one of theirs): in for their owner (and for a superuser), out for
    everyone else."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        result = []
        for key, (pk, allow) in getattr(world, objects).items():
            owner = key.partition("#")[0]
            mine = scope.name == owner or (scope.user is not None and scope.user.is_superuser)
            result.append(
                Sample(
                    "in" if mine else "out",
                    {"pk": pk},
                    allow=allow if scope.name == owner else frozenset(),
                    post={} if post else None,
                    label=f"of {key}",
                )
            )
        return result

    return samples


def list_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, check=_lists_own_assets)]


def record_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {"kind": k}, check=_lists_own_assets) for k in RECORD_KINDS]


def record_export_samples(world: "World", scope: "Scope") -> list[Sample]:
    pairs = [(k, ("csv", "xlsx")[i % 2]) for i, k in enumerate(RECORD_KINDS)] + [
        ("ownership", "xlsx")
    ]
    return [Sample("in", {"kind": k, "fmt": f}, body=f, check=_lists_own_assets) for k, f in pairs]


def asset_export_samples(world: "World", scope: "Scope") -> list[Sample]:
    samples = [
        Sample("in", {"fmt": f}, body=f, check=_lists_own_assets)
        for f in ("xlsx", "csv", "geojson", "gpkg", "shp")
    ]
    samples.append(
        Sample("in", {"fmt": "xlsx"}, {"history": "1"}, body="xlsx", check=_lists_own_assets)
    )
    # Filtered on an area outside the account's: an empty file, never the other area's rows.
    for s in scope.out_slots[:1]:
        samples.append(
            Sample("in", {"fmt": "csv"}, {"area": world.slots[s].village.code}, body="csv")
        )
    return samples


def _tile(z: int, x: int, y: int, query: dict[str, str] | None = None, **kw: Any) -> Sample:
    """A tile; every answer is checked against the assets the account may see there."""
    kwargs = {"z": z, "x": x, "y": y}
    check = _tile_matches(kwargs, query or {})
    return Sample("in", {"layer": "assets", **kwargs}, query or {}, check=check, **kw)


def tile_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home]
    samples = [
        _tile(6, 51, 26, label="county z6"),  # the whole county in one tile: clusters
        _tile(6, 51, 26, {"subtype": "pv_station"}, label="aggregated z6"),
        _tile(*home.tile15, label="z15 home"),  # single assets
    ]
    for s in scope.out_slots[:1]:  # where assets outside the area lie, and filtered on them
        samples.append(_tile(*world.slots[s].tile15, label=f"z15 {s}"))
        samples.append(_tile(*world.slots[s].tile10, label=f"z10 {s}"))
        samples.append(_tile(6, 51, 26, {"area": world.slots[s].village.code}, label=f"z6 {s}"))
    return samples + project_tile_samples(world, scope) + network_tile_samples(world, scope)


def _project_tile(z: int, x: int, y: int, **kw: Any) -> Sample:
    """A tile of the project layer, checked against the projects the account may see."""
    kwargs = {"z": z, "x": x, "y": y}
    return Sample("in", {"layer": "projects", **kwargs}, check=_project_tile_matches(kwargs), **kw)


def project_tile_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home]
    samples = [
        _project_tile(6, 51, 26, label="projects county z6"),
        _project_tile(*home.tile15, label="projects z15 home"),
    ]
    for s in scope.out_slots[:1]:
        samples.append(_project_tile(*world.slots[s].tile15, label=f"projects z15 {s}"))
    return samples


def project_popup_samples(world: "World", scope: "Scope") -> list[Sample]:
    pk, code = world.projects[scope.home]
    result = [Sample("in", {"pk": pk}, check=_must_show(code))]
    result += [Sample("out", {"pk": world.projects[s][0]}) for s in scope.out_slots]
    return result


def needs_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home]
    samples = [Sample("in", {}, check=_must_show(f"{home.a.name}配套需求"))]
    for s in scope.out_slots[:1]:  # filtered on a village outside the area: nothing
        samples.append(Sample("in", {}, {"area": world.slots[s].village.code}, check=_no_features))
    return samples


def search_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home]
    samples = [
        Sample("in", {}, {"q": home.a.code}, check=_search_finds(home.a.code)),
        Sample("in", {}, {"q": "探针"}, check=_search_finds(home.a.code)),
    ]
    samples += [
        Sample("in", {}, {"q": world.slots[s].a.code}, check=_search_finds(None))
        for s in scope.out_slots
    ]
    return samples


def popup_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home]
    result = [Sample("in", {"pk": home.a.pk}, check=_must_show(home.a.code))]
    result += [Sample("out", {"pk": world.slots[s].a.pk}) for s in scope.out_slots]
    return result


def areas_geojson_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [
        Sample("in", {}, {"level": "township"}),
        Sample(
            "in",
            {},
            {"level": "village"},
            check=_must_show(world.slots[scope.home].village.code),
        ),
        Sample("in", {}, check=_must_show(scope.area_code)),
        # Searching for an area outside the account's: nothing.
        *(
            Sample("in", {}, {"q": world.slots[s].village.name}, check=_no_features)
            for s in scope.out_slots[:1]
        ),
    ]


def township_samples(world: "World", scope: "Scope") -> list[Sample]:
    check = _must_show(LONGJU) if scope.level != "village" else None
    return [
        Sample("in", {}, check=check),
        Sample("in", {}, {"indicator": "overdue"}),
        # The network measures (issue 20): counted over the account's own groups and sites.
        Sample("in", {}, {"indicator": "no_road_groups"}, check=check),
        Sample("in", {}, {"indicator": "no_water_households"}),
    ]


def map_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, check=_must_show(scope.area_code))]


def area_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    samples = [Sample("in", {}, check=_must_show(scope.area_code))]
    for s in scope.out_slots[:1]:
        village = world.slots[s].village
        # The search box shows the term searched for: that term alone may appear.
        samples.append(Sample("in", {}, {"q": village.code}, allow=frozenset({village.code})))
        samples.append(Sample("in", {}, {"q": village.name}, allow=frozenset({village.name})))
    return samples


def create_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.slots[scope.home].village
    samples = [Sample("in", {}, post=_asset_form(home, name="扫描新登记资产"))]
    for s in scope.out_slots[:2]:
        village = world.slots[s].village
        if village.point is not None:
            samples.append(
                Sample(
                    "out", {}, post=_asset_form(village, name="扫描越界登记"), label=s, get=False
                )
            )
    return samples


def import_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, post={})]


def project_export_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The project library in each format: it lists the account's own probe project."""
    code = world.projects[scope.home][1] if scope.home in world.projects else ""
    check = _must_show(code) if code else None
    samples = [Sample("in", {"fmt": f}, body=f, check=check) for f in ("xlsx", "csv", "gpkg")]
    # Filtered on an area outside the account's: an empty file, never the other area's rows.
    for s in scope.out_slots[:1]:
        samples.append(
            Sample("in", {"fmt": "csv"}, {"area": world.slots[s].village.code}, body="csv")
        )
    return samples


def plan_task_export_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {"fmt": f}, body=f) for f in ("xlsx", "csv")]


def _project_import_samples(post: bool = False):
    """Project library imports of two owners (made on first use in each test: the test's
    transaction takes them away again): in for their owner and a superuser, out for others."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        result = []
        for owner in ("township_manager", "manager"):
            item = ProjectImport.objects.filter(
                user__username=owner, original_name="扫描项目库.xlsx"
            ).first()
            if item is None:
                item = ProjectImport.objects.create(
                    user=User.objects.get(username=owner), original_name="扫描项目库.xlsx",
                    size=1, state=ProjectImport.State.CHECKED,
                    outcome={"rows": 1, "create": 0, "update": 0, "unchanged": 1, "errors": 0,
                             "problems": []},
                )  # fmt: skip
            mine = scope.name == owner or (scope.user is not None and scope.user.is_superuser)
            result.append(
                Sample(
                    "in" if mine else "out",
                    {"pk": item.pk},
                    post={} if post else None,
                    label=f"of {owner}",
                )
            )
        return result

    return samples


def language_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, post={"language": "en", "next": "/map/"})]


def login_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, post={})]  # (a wrong password would cost a slow hash per account)


# --- the project libraries' pages (issue 19) ---------------------------------------------------


def _all(*checks: Callable[["Answer"], list[str]]) -> Callable[["Answer"], list[str]]:
    def check(answer: "Answer") -> list[str]:
        return [problem for c in checks for problem in c(answer)]

    return check


def _need_samples(
    attr: str, post: Callable[["World", "Scope", "Library"], dict] | None = None
) -> Callable[["World", "Scope"], list[Sample]]:
    """A need of the account's home place (``attr`` of Library); the same need elsewhere."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.library[scope.home]
        need = getattr(home, attr)
        result = [
            Sample(
                "in",
                {"pk": need.pk},
                post=post(world, scope, home) if post else None,
                check=_must_show(need.title),
            )
        ]
        result += [
            Sample("out", {"pk": getattr(world.library[s], attr).pk}) for s in scope.out_slots
        ]
        return result

    return samples


def _project_samples(
    attr: str, post: Callable[["World", "Scope", "Library"], dict] | None = None
) -> Callable[["World", "Scope"], list[Sample]]:
    """A project of the account's home place (``attr`` of Library); the same elsewhere."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.library[scope.home]
        code = getattr(home, attr).code
        result = [
            Sample(
                "in",
                {"code": code},
                post=post(world, scope, home) if post else None,
                check=_must_show(code),
            )
        ]
        result += [
            Sample("out", {"code": getattr(world.library[s], attr).code}) for s in scope.out_slots
        ]
        return result

    return samples


# The county's steps a project in the library may take, each with a valid POST (the sweep asks
# one of them per account in rotation).
LIBRARY_STEPS = ("plan", "carry_over", "withdraw", "adjust")


def _library_step_post(step: str, project: Project) -> dict[str, Any]:
    if step == "plan":
        return {"year": str(project.year), "reason": "扫描计划"}
    if step == "adjust":
        return {
            "version": str(project.version), "reason": "扫描调整", "name": f"{project.name}（调）",
            "planned_central_bridging": "360000",
        }  # fmt: skip
    return {"reason": f"扫描{step}"}


def project_step_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The county's steps on the home place's library project; the same on others; a step
    that does not exist."""
    project = Project.objects.get(pk=world.library[scope.home].project.pk)
    code = project.code
    result = [
        Sample(
            "in",
            {"code": code, "step": step},
            post=_library_step_post(step, project),
            check=_must_show(code),
            label=step,
        )
        for step in LIBRARY_STEPS
    ]
    for i, s in enumerate(scope.out_slots):
        step = LIBRARY_STEPS[i % len(LIBRARY_STEPS)]
        result.append(Sample("out", {"code": world.library[s].project.code, "step": step}))
    result.append(Sample("out", {"code": code, "step": "nosuch"}, label="unknown step"))
    return result


def project_file_samples(world: "World", scope: "Scope") -> list[Sample]:
    """Files of a need and of a project: the home place's, and those elsewhere."""
    result = []
    for slot in [scope.home, *scope.out_slots]:
        lib = world.library[slot]
        kind = "in" if slot == scope.home else "out"
        result += [
            Sample(kind, {"pk": lib.need_file_id}, label="of a need"),
            Sample(kind, {"pk": lib.project_file_id}, label="of a project"),
        ]
    return result


def need_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.library[scope.home]
    samples = [Sample("in", {}, check=_all(*(_must_show(n.title) for n in _needs_of(home))))]
    for s in scope.out_slots[:1]:  # filtered on a village outside the area: nothing of it
        samples.append(Sample("in", {}, {"area": world.slots[s].village.code}))
    return samples


def _needs_of(lib: "Library") -> list[ConstructionNeed]:
    return [lib.submitted, lib.posted, lib.accepted]


def project_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.library[scope.home]
    check = _all(_must_show(home.project.code), _must_show(home.proposal.code))
    samples = [Sample("in", {}, check=check)]
    for s in scope.out_slots[:1]:
        samples.append(Sample("in", {}, {"area": world.slots[s].village.code}))
    samples.append(Sample("in", {}, {"status": "in_library,proposed"}, check=check))
    return samples


def queue_samples(world: "World", scope: "Scope") -> list[Sample]:
    """What waits for the account: a township approver its villages' needs sent up and the
    proposals led in it; editors of a township or the county the accepted needs to merge."""
    home = world.library[scope.home]
    checks = []
    if scope.role in APPROVERS and scope.level == "township":
        checks += [_must_show(home.submitted.title), _must_show(home.proposal.code)]
    if scope.role in EDITORS and scope.level in ("township", "county"):
        checks.append(_must_show(home.accepted.title))
    return [Sample("in", {}, check=_all(*checks))]


def need_sheet_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The home village's sheet; villages outside; an area of the account's that is not a
    village (its township or county: no such sheet), or its parent township."""
    home = world.library[scope.home]
    village = world.slots[scope.home].village.code
    result = [
        Sample("in", {"code": village}, check=_all(*(_must_show(n.title) for n in _needs_of(home))))
    ]
    result += [Sample("out", {"code": world.slots[s].village.code}) for s in scope.out_slots]
    not_village = scope.area_code[:9] + "000" if scope.level == "village" else scope.area_code
    result.append(Sample("out", {"code": not_village}, label="not a village"))
    result.append(Sample("out", {"code": NB_COUNTY}, label="neighbour county"))
    return result


def township_sheet_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The home place's township (not for a village account: it lies outside); townships
    outside; a village (no such sheet)."""
    home = world.library[scope.home]
    township = world.slots[scope.home].village.code[:9] + "000"
    result = []
    if scope.level != "village":
        check = _all(_must_show(home.accepted.title), _must_show(home.project.code))
        result.append(Sample("in", {"code": township}, check=check))
    else:
        result.append(Sample("out", {"code": township}, label="parent"))
    result += [
        Sample("out", {"code": world.slots[s].village.code[:9] + "000"}) for s in scope.out_slots
    ]
    home_village = world.slots[scope.home].village.code
    result.append(Sample("out", {"code": home_village}, label="a village"))
    return result


def library_sheet_samples(world: "World", scope: "Scope") -> list[Sample]:
    project = world.library[scope.home].project
    return [
        Sample("in", {"year": project.year}, check=_must_show(project.code)),
        Sample("in", {"year": TODAY.year}),
        Sample("out", {"year": 1999}, label="no such year"),
    ]


def plan_year_samples(world: "World", scope: "Scope") -> list[Sample]:
    """This year's plan lists the home library project as waiting for a year; the task list."""
    code = world.library[scope.home].project.code
    return [
        Sample("in", {"year": TODAY.year}, check=_all(_must_show(code), _must_show("扫描任务"))),
        Sample("in", {"year": world.library[scope.home].project.year}),
        Sample("out", {"year": 2012}, label="before the first plan"),
    ]


def need_create_samples(world: "World", scope: "Scope") -> list[Sample]:
    """A need of the home village; one of a village outside (a form error)."""
    samples = [Sample("in", {}, post=_need_form(world.slots[scope.home].village))]
    for s in scope.out_slots[:2]:
        village = world.slots[s].village
        samples.append(
            Sample("out", {}, post=_need_form(village, title="扫描越界需求"), label=s, get=False)
        )
    return samples


def project_create_samples(world: "World", scope: "Scope") -> list[Sample]:
    """A proposal at the home village merging its accepted need (the form offers the need
    when asked with ``?need=``); a need outside is not offered; a proposal led outside is a
    form error."""
    home = world.library[scope.home]
    samples = [
        Sample("in", {}, post=_proposal_form(world.slots[scope.home].village, home)),
        Sample("in", {}, {"need": str(home.accepted.pk)}, check=_must_show(home.accepted.title)),
    ]
    for s in scope.out_slots[:1]:
        samples.append(Sample("in", {}, {"need": str(world.library[s].accepted.pk)}))
    for s in scope.out_slots[:2]:
        village = world.slots[s].village
        samples.append(
            Sample("out", {}, post=_proposal_form(village, world.library[s]), label=s, get=False)
        )
    return samples


def task_create_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, post=_task_form(task="扫描新任务"))]


def task_edit_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The county's task; a task of the neighbouring county (every account's is 500101)."""
    return [
        Sample(
            "in",
            {"pk": world.tasks["500101"]},
            post=_task_form(task="扫描任务", progress="40"),
            check=_must_show("扫描任务"),
        ),
        Sample("out", {"pk": world.tasks["500102"]}, label="neighbour county"),
    ]


# --- relocation sites and the infrastructure networks (issue 20) ------------------------------


def _site_samples(
    post: Callable[["World", "Scope", "Sited"], dict] | None = None, *, check: bool = True
) -> Callable[["World", "Scope"], list[Sample]]:
    """The home place's relocation site (its page shows its facility, project and problem);
    the sites elsewhere."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.sites[scope.home]
        shows = _all(
            _must_show(home.site.code),
            _must_show(home.problem),
            _must_show(world.slots[scope.home].a.code),  # the asset linked as its facility
            _must_show(world.library[scope.home].project.code),  # the project supporting it
        )
        result = [
            Sample(
                "in",
                {"code": home.site.code},
                post=post(world, scope, home) if post else None,
                check=shows if check else _must_show(home.site.code),
            )
        ]
        result += [Sample("out", {"code": world.sites[s].site.code}) for s in scope.out_slots]
        return result

    return samples


def _site_record_samples(
    attr: str, post: Callable[["World", "Scope", "Sited"], dict] | None = None
) -> Callable[["World", "Scope"], list[Sample]]:
    """A record of the home site (``attr`` of Sited: its facility link, project link or
    problem); the same record elsewhere; and the home site with another site's record (a 404
    as well)."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.sites[scope.home]
        result = [
            Sample(
                "in",
                {"code": home.site.code, "pk": getattr(home, attr)},
                post=post(world, scope, home) if post else None,
            )
        ]
        for s in scope.out_slots:
            other = world.sites[s]
            result.append(Sample("out", {"code": other.site.code, "pk": getattr(other, attr)}))
            result.append(
                Sample(
                    "out", {"code": home.site.code, "pk": getattr(other, attr)}, label="mismatched"
                )
            )
        return result

    return samples


def site_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    home = world.sites[scope.home].site
    samples = [
        Sample("in", {}, check=_all(_must_show(home.code), _must_show(home.name))),
        Sample("in", {}, {"q": "探针"}, check=_must_show(home.code)),
        Sample("in", {}, {"open_problems": "true"}, check=_must_show(home.code)),
    ]
    for s in scope.out_slots[:1]:  # filtered on a village outside the area: nothing of it
        samples.append(Sample("in", {}, {"area": world.slots[s].village.code}))
        samples.append(Sample("in", {}, {"q": world.sites[s].site.code}))
    return samples


def site_create_samples(world: "World", scope: "Scope") -> list[Sample]:
    """A site in the home village; in villages outside (a form error)."""
    samples = [Sample("in", {}, post=_site_form(world.slots[scope.home].village))]
    for s in scope.out_slots[:2]:
        village = world.slots[s].village
        samples.append(
            Sample("out", {}, post=_site_form(village, name="扫描越界安置点"), label=s, get=False)
        )
    return samples


def site_facility_link_samples(world: "World", scope: "Scope") -> list[Sample]:
    """Link the home place's road to its site; the form's search finds the account's own
    assets and never one outside (searched for by its code)."""
    samples = _site_samples(_facility_link_post, check=False)(world, scope)
    home = world.sites[scope.home]
    samples.append(
        Sample("in", {"code": home.site.code}, {"q": "探针"}, check=_must_show(home.road.code))
    )
    for s in scope.out_slots[:1]:
        code = world.sites[s].road.code
        samples.append(Sample("in", {"code": home.site.code}, {"q": code}, label="search out"))
    return samples


def site_project_link_samples(world: "World", scope: "Scope") -> list[Sample]:
    """Link the home place's proposal to its site; the search never finds a project outside."""
    samples = _site_samples(_project_link_post, check=False)(world, scope)
    home = world.sites[scope.home]
    proposal = world.library[scope.home].proposal.code
    samples.append(
        Sample("in", {"code": home.site.code}, {"q": "探针"}, check=_must_show(proposal))
    )
    for s in scope.out_slots[:1]:
        code = world.library[s].project.code
        samples.append(Sample("in", {"code": home.site.code}, {"q": code}, label="search out"))
    return samples


def site_support_samples(world: "World", scope: "Scope") -> list[Sample]:
    """A year's figures of the home site (and the form opened on the year entered)."""
    samples = _site_samples(_support_post, check=False)(world, scope)
    home = world.sites[scope.home]
    samples.append(Sample("in", {"code": home.site.code}, {"year": str(TODAY.year - 1)}))
    return samples


def _site_form(village: AdminArea, site: RelocationSite | None = None, **values: Any) -> dict:
    x, y = village.point.coords
    data = {
        "name": f"扫描{village.short_name}安置点", "site_type": "central_village",
        "area": str(village.pk), "community": "",
        "point": Point(x + 0.0011, y + 0.0009, srid=4490).geojson, "outline": "",
        "registered_households": "10", "registered_persons": "40", "alongside_households": "2",
        "alongside_persons": "6", "housing_units": "12", "floor_area_m2": "1200",
        "built_from": "2018", "built_to": "2019", "moved_in_on": "2019-10-01",
        "reclamation": "in_progress", "note": "", "version": "",
    }  # fmt: skip
    if site is not None:
        data.update(
            name=f"{site.name}（改）", point=site.point.geojson,
            outline=site.outline.geojson if site.outline else "",
            registered_households=str(site.registered_households),
            registered_persons=str(site.registered_persons),
            alongside_households=str(site.alongside_households),
            alongside_persons=str(site.alongside_persons), version=str(site.version),
        )  # fmt: skip
    data.update(values)
    return data


def _site_edit_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    site = RelocationSite.objects.get(pk=home.site.pk)
    return _site_form(site.area, site)


def _facility_link_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    return {"asset": home.road.code, "role": "facility"}


def _project_link_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    return {"project": world.library[scope.home].proposal.code}


def _support_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    return {
        "year": str(TODAY.year - 2), "labour_force": "50", "employed": "40",
        "per_capita_income": "12000", "welfare_posts": "3", "workshops": "1",
        "monitored_households": "2", "note": "扫描",
    }  # fmt: skip


def _problem_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    return {"category": "utilities", "description": "扫描问题", "raised_on": TODAY.isoformat()}


def _resolve_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    return {"resolved_on": TODAY.isoformat(), "resolution": "扫描解决"}


def _end_post(world: "World", scope: "Scope", home: "Sited") -> dict:
    return {}


def harden_samples(world: "World", scope: "Scope") -> list[Sample]:
    """Harden the home place's gravel group road; roads elsewhere; an asset that is no road
    (the page says why, nothing changes)."""
    home = world.sites[scope.home]
    road = Asset.objects.get(pk=home.road.pk)
    result = [
        Sample(
            "in",
            {"code": road.code},
            post={"surface": "concrete", "built_year": "2024", "version": str(road.version)},
        ),
        Sample("in", {"code": world.slots[scope.home].a.code}, label="not a road"),
    ]
    result += [Sample("out", {"code": world.sites[s].road.code}) for s in scope.out_slots]
    return result


# Junk filters of the gap table (its page, its files and the places' tiles).
GAP_JUNK = (
    {"township": "\x00"}, {"township": "9" * 500}, {"township": "非数字"}, {"gap": "nosuch"},
    {"gap": "\x00"}, {"kind": "x"}, {"order": "\x00"}, {"order": "nosuch"}, {"q": "\x00"},
    {"q": "9" * 500}, {"page": "\x00"}, {"page": "9" * 500},
)  # fmt: skip


NETWORK_JUNK = (
    {"network": "\x00"}, {"network": "road,,nosuch"}, {"network": "9" * 500},
    {"hardened": "x"}, {"hardened": "\x00"}, {"hardened": "9" * 500},
)  # fmt: skip


def _township_of(world: "World", slot: str) -> str:
    return world.slots[slot].village.code[:9] + "000"


def gaps_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The gaps view: as it opens; every place of the home place's probes (the group and the
    site); filtered on a township or a code outside the area (nothing of it)."""
    home = world.sites[scope.home]
    names = _all(_must_show(home.group.name), _must_show(home.site.name))
    township = _township_of(world, scope.home)
    samples = [
        Sample("in", {}),
        Sample("in", {}, {"gap": "all", "q": "探针"}, check=names),
        Sample("in", {}, {"gap": "all", "township": township, "q": "探针"}, check=names),
        Sample("in", {}, {"gap": "road", "kind": "group", "order": "harden"}),
    ]
    for s in scope.out_slots[:1]:
        samples.append(Sample("in", {}, {"gap": "all", "township": _township_of(world, s)}))
        samples.append(Sample("in", {}, {"gap": "all", "q": world.sites[s].group.code}))
    return samples


def gap_export_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The gap table in each format, with the home probes in it; filtered outside: empty."""
    home = world.sites[scope.home]
    names = _all(_must_show(home.group.name), _must_show(home.site.name))
    samples = [
        Sample("in", {"fmt": f}, {"gap": "all", "q": "探针"}, body=f, check=names)
        for f in ("xlsx", "csv", "gpkg")
    ]
    samples.append(Sample("in", {"fmt": "csv"}, body="csv"))
    for s in scope.out_slots[:1]:
        samples.append(
            Sample("in", {"fmt": "csv"}, {"gap": "all", "township": _township_of(world, s)},
                   body="csv")
        )  # fmt: skip
    return samples


def site_export_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The site list in each format, with the home site; filtered outside: empty."""
    code = world.sites[scope.home].site.code
    samples = [
        Sample("in", {"fmt": f}, body=f, check=_must_show(code)) for f in ("xlsx", "csv", "gpkg")
    ]
    for s in scope.out_slots[:1]:
        samples.append(
            Sample("in", {"fmt": "csv"}, {"area": world.slots[s].village.code}, body="csv")
        )
    return samples


def _network_popup_samples(attrs: tuple[str, ...], shows: Callable[["Sited", str], str]):
    """Popups by pk: the home place's (``attrs`` of Sited) must show ``shows``; elsewhere 404."""

    def samples(world: "World", scope: "Scope") -> list[Sample]:
        home = world.sites[scope.home]
        result = [
            Sample("in", {"pk": getattr(home, a)}, check=_must_show(shows(home, a)), label=a)
            for a in attrs
        ]
        result += [
            Sample("out", {"pk": getattr(world.sites[s], a)}, label=a)
            for s in scope.out_slots
            for a in attrs
        ]
        return result

    return samples


def _place_name(home: "Sited", attr: str) -> str:
    return home.group.name if attr == "group_place_id" else home.site.name


def site_import_list_samples(world: "World", scope: "Scope") -> list[Sample]:
    return [Sample("in", {}, post={})]


# --- tiles of the network layers ------------------------------------------------------------


def _visible_ids(layer: str, user: User, query: dict[str, str]) -> set[int]:
    """The features of ``layer`` the account may see (with the layer's filters of ``query``)."""
    if layer == "network":
        qs: Any = asset_scope(user=user).filter(network__isnull=False)
        if "network" in query:
            qs = qs.filter(network__network__in=query["network"].split(","))
    elif layer == "sites":
        qs = site_scope(user=user)
    else:
        qs = place_scope(user=user)
        if "township" in query:
            qs = qs.filter(township_code=query["township"])
        if "kind" in query:
            qs = qs.filter(kind=query["kind"])
    return set(qs.values_list("pk", flat=True))


def _layer_tile_matches(layer: str, kwargs: dict[str, int], query: dict[str, str], own: int | None):
    """Features (from the layer's feature zoom): only those the account may see, and ``own``
    (the home probe's) where it lies. Clusters (places zoomed out): they count exactly the
    places the account may see whose point lies in the tile."""

    def check(answer: Answer) -> list[str]:
        tile = tiles.TileRequest(**kwargs)
        spec = tiles.LAYERS[layer]
        visible = _visible_ids(layer, answer.scope.user, query)
        data = answer.data or {}
        if tile.z >= spec.feature_min_zoom:
            ids = {f["id"] for f in data.get(layer, {}).get("features", [])}
            foreign = sorted(ids - visible)
            problems = [f"holds {layer} {foreign[:8]} outside the area"] if foreign else []
            if own is not None and own not in ids:
                problems.append(f"the tile lacks the account's own {layer} feature {own}")
            return problems
        inside = NetworkPlace.objects.filter(
            pk__in=visible, point_3857__within=tiles.envelope(tile)
        ).count()
        total = sum(f["properties"]["n"] for f in data.get("clusters", {}).get("features", []))
        return [] if total == inside else [f"clusters count {total}, expected {inside}"]

    return check


def _layer_tile(
    layer: str, tile: tuple[int, int, int], query: dict[str, str] | None = None,
    own: int | None = None, **kw: Any,
) -> Sample:  # fmt: skip
    kwargs = dict(zip(("z", "x", "y"), tile, strict=True))
    check = _layer_tile_matches(layer, kwargs, query or {}, own)
    return Sample("in", {"layer": layer, **kwargs}, query or {}, check=check, **kw)


def network_tile_samples(world: "World", scope: "Scope") -> list[Sample]:
    """The network, site and place layers: the county zoomed out, the home probes' tiles close
    in (each must hold the account's own feature), the tiles of probes outside the area, and
    places filtered on a township outside."""
    home = world.sites[scope.home]
    county = (6, 51, 26)
    samples = [
        _layer_tile("network", county, label="network z6"),
        _layer_tile("network", home.road_tile, own=home.road.pk, label="network z15 home"),
        _layer_tile("network", home.road_tile, {"network": "road"}, own=home.road.pk,
                    label="roads z15 home"),
        _layer_tile("sites", county, own=home.site.pk, label="sites z6"),
        _layer_tile("sites", home.site_tile, own=home.site.pk, label="sites z15 home"),
        _layer_tile("places", county, label="places z6"),
        _layer_tile("places", home.group_tile, own=home.group_place_id, label="places z15 home"),
        _layer_tile("places", home.group_tile, {"kind": "group"}, own=home.group_place_id,
                    label="groups z15 home"),
    ]  # fmt: skip
    for s in scope.out_slots[:1]:
        other = world.sites[s]
        samples += [
            _layer_tile("network", other.road_tile, label=f"network z15 {s}"),
            _layer_tile("sites", other.site_tile, label=f"sites z15 {s}"),
            _layer_tile("places", other.group_tile, label=f"places z15 {s}"),
            _layer_tile("places", other.tile10, label=f"places z10 {s}"),
            _layer_tile("places", county, {"township": _township_of(world, s)},
                        label=f"places z6 {s}"),
        ]  # fmt: skip
    return samples


# --- valid POSTs ------------------------------------------------------------------------------


def _need_form(village: AdminArea, need: ConstructionNeed | None = None, **values: Any) -> dict:
    data = {
        "title": f"扫描{village.short_name}需求", "category": "village_road",
        "area": str(village.pk), "description": "扫描", "horizon_from": str(TODAY.year),
        "horizon_to": str(TODAY.year + 2), "estimated_investment": "120000",
        "meeting_kind": "representatives",
        "meeting_on": (TODAY - datetime.timedelta(days=40)).isoformat(),
        "meeting_attendance": "30", "version": str(need.version) if need else "",
    }  # fmt: skip
    data.update(values)
    return data


def _need_edit_post(world: "World", scope: "Scope", lib: "Library") -> dict:
    need = ConstructionNeed.objects.get(pk=lib.posted.pk)
    return _need_form(need.area, need, title=f"{need.title}（改）")


def _need_post_post(world: "World", scope: "Scope", lib: "Library") -> dict:
    return {
        "posted_from": (TODAY - datetime.timedelta(days=25)).isoformat(),
        "posted_to": (TODAY - datetime.timedelta(days=15)).isoformat(),
        "objection": "无异议",
    }


def _need_file_post(world: "World", scope: "Scope", lib: "Library") -> dict:
    return {
        "kind": "photo",
        "file": SimpleUploadedFile("扫描.jpg", JPEG, content_type="image/jpeg"),
    }


def _need_review_post(world: "World", scope: "Scope", lib: "Library") -> dict:
    return {"genuine": "on", "necessary": "on", "feasible": "on", "accept": "1", "note": "扫描"}


def _proposal_form(village: AdminArea, lib: "Library", project: Project | None = None) -> dict:
    data = {
        "name": project.name + "（改）" if project else f"扫描{village.short_name}申报",
        "year": str(TODAY.year), "category": "construction", "nature": "new",
        "in_bridging_library": "on", "content": "扫描", "beneficiary_households": "10",
        "beneficiary_persons": "30", "beneficiary_exited_households": "0",
        "beneficiary_monitored_households": "0", "funding_central_bridging": "200000",
    }  # fmt: skip
    if project is None:
        data.update(area=str(village.pk), need=str(lib.accepted.pk))
    else:
        data["version"] = str(project.version)
    return data


def _proposal_edit_post(world: "World", scope: "Scope", lib: "Library") -> dict:
    project = Project.objects.get(pk=lib.proposal.pk)
    return _proposal_form(project.area, lib, project)


def _township_review_post(world: "World", scope: "Scope", lib: "Library") -> dict:
    checks = {f"check_{name}": "on" for name in TOWNSHIP_CHECKS}
    return {"approve": "1", "reason": "扫描审核", **checks}


def _task_form(**values: Any) -> dict:
    data = {"year": str(TODAY.year), "task": "扫描任务", "department": "扫描农业农村委",
            "progress": "0"}  # fmt: skip
    data.update(values)
    return data


def _asset_form(area: AdminArea, asset: Asset | None = None, **overrides: Any) -> dict[str, Any]:
    values = asset_input(area=area, **overrides).values
    data: dict[str, Any] = {
        k: v for k, v in values.items() if k not in {"geom", "area", "benefit_links", "booked_on"}
    }
    data.update(
        area=area.pk,
        geom=values["geom"].geojson,
        booked="",
        funding_central_bridging="300000",
        version=asset.version if asset else "",
    )
    return {k: v for k, v in data.items() if v is not None}


def _edit_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    asset = Asset.objects.get(pk=probe.a.pk)
    return _asset_form(
        asset.area,
        asset,
        name=asset.name,
        asset_class="operating",
        subtype="pv_station",
        unit="kW",
        quantity=Decimal(300),
    )


def _status_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    return {"status": "idle", "version": Asset.objects.get(pk=probe.a.pk).version}


def _approve_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    return {}


def _return_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    return {"reason": "扫描退回理由"}


def _plan_return_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    from registry.models import DistributionPlan

    plan = DistributionPlan.objects.get(pk=probe.plan_id)
    return {"version": plan.version, "reason": "扫描退回理由"}


def _plan_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    from registry.models import DistributionPlan

    plan = DistributionPlan.objects.get(pk=probe.plan_id)
    return {"version": plan.version, "resolution": "村民代表大会决议"}


def _decide_post(world: "World", scope: "Scope", probe: "Probe") -> dict:
    return {"approved": "1", "comment": ""}


# --- checks of a 200 --------------------------------------------------------------------------


@dataclasses.dataclass
class Answer:
    url: str
    status: int
    text: str
    data: Any
    scope: "Scope"
    world: "World"


def _must_show(code: str) -> Callable[[Answer], list[str]]:
    def check(answer: Answer) -> list[str]:
        return [] if code in answer.text else [f"does not show {code} of the account's area"]

    return check


def _lists_own_assets(answer: Answer) -> list[str]:
    if not answer.scope.asset_codes:
        return []
    found = set(CODE_RE.findall(answer.text)) & answer.scope.asset_codes
    return [] if found else ["lists none of the account's own assets"]


def _tile_matches(kwargs: dict[str, int], query: dict[str, str]):
    """Single assets (zoom 14 on): only the account's, its home probe where it lies. Clusters:
    they count exactly the account's assets (filtered) whose point lies in the tile."""

    def check(answer: Answer) -> list[str]:
        tile = tiles.TileRequest(**kwargs)
        visible = asset_scope(user=answer.scope.user).filter(geom__isnull=False)
        if "subtype" in query:
            visible = visible.filter(subtype=query["subtype"])
        if "area" in query:
            visible = visible.filter(area_code__startswith=query["area"])
        data = answer.data or {}
        if tile.z >= tiles.RAW_MIN_ZOOM:
            ids = {f["id"] for f in data.get("assets", {}).get("features", [])}
            foreign = sorted(ids - answer.scope.asset_ids)
            problems = [f"holds assets {foreign} outside the area"] if foreign else []
            home = answer.world.slots[answer.scope.home]
            if home.tile15 == (tile.z, tile.x, tile.y) and home.a.pk not in ids:
                problems.append(f"the tile lacks the account's own asset {home.a.pk}")
            return problems
        box = tiles.envelope(tile)
        inside = [
            a for a in visible if a.geom.point_on_surface.transform(3857, clone=True).within(box)
        ]
        total = sum(f["properties"]["n"] for f in data.get("clusters", {}).get("features", []))
        return [] if total == len(inside) else [f"clusters count {total}, expected {len(inside)}"]

    return check


def _project_tile_matches(kwargs: dict[str, int]):
    """Single projects (zoom 14 on): only those the account may see, its home probe's where it
    lies. Clusters: they count exactly the account's projects whose point lies in the tile."""

    def check(answer: Answer) -> list[str]:
        tile = tiles.TileRequest(**kwargs)
        visible = project_scope(user=answer.scope.user).filter(geom__isnull=False)
        data = answer.data or {}
        if tile.z >= tiles.PROJECTS.feature_min_zoom:
            ids = {f["id"] for f in data.get("projects", {}).get("features", [])}
            foreign = sorted(ids - set(visible.values_list("pk", flat=True)))
            problems = [f"holds projects {foreign} outside the area"] if foreign else []
            home = answer.world.projects[answer.scope.home][0]
            if answer.world.slots[answer.scope.home].tile15 == (tile.z, tile.x, tile.y) and (
                home not in ids
            ):
                problems.append(f"the tile lacks the account's own project {home}")
            return problems
        box = tiles.envelope(tile)
        inside = [
            p for p in visible if p.geom.point_on_surface.transform(3857, clone=True).within(box)
        ]
        total = sum(f["properties"]["n"] for f in data.get("clusters", {}).get("features", []))
        return [] if total == len(inside) else [f"clusters count {total}, expected {len(inside)}"]

    return check


def _search_finds(code: str | None):
    def check(answer: Answer) -> list[str]:
        codes = {r["code"] for r in answer.data.get("results", [])}
        if code is None:
            return [f"search finds {codes} outside the area"] if codes else []
        return [] if code in codes else [f"search does not find {code}"]

    return check


def _no_features(answer: Answer) -> list[str]:
    features = (answer.data or {}).get("features", [])
    return [f"{len(features)} features for an area outside"] if features else []


# --- the rules --------------------------------------------------------------------------------

RECORD_KINDS = ["ownership", "maintenance", "income", "distributions", "disposals"]
FILTER_JUNK = ({"q": "\x00"}, {"area": "\x00"}, {"area": "9" * 500}, {"page": "\x00"})

ACTION = dict(
    read=EDITORS,
    write=Writers(EDITORS),
    scope="area",
    valid_post_writes=False,
    note="asset action form (AssetActionView): editors of the asset's area; empty POST",
)

RULES: dict[str, Rule] = {
    # --- project URLs
    "home": Rule(read=LOGIN, get_ok=frozenset({302}), note="redirects to the map"),
    "login": Rule(
        read=PUBLIC, write=PUBLIC, anon="public", samples=login_samples, valid_post_writes=False
    ),
    "logout": Rule(
        read=POST_ONLY,
        write=Writers(ALL_ROLES),
        post_ok=frozenset({302}),
        valid_post_writes=False,
        note="POST signs out (only the session changes)",
    ),
    "set_language": Rule(
        read=PUBLIC,
        write=PUBLIC,
        anon="public",
        samples=language_samples,
        get_ok=frozenset({200, 204, 302}),
        post_ok=frozenset({302}),
        valid_post_writes=False,
        note="language cookie only",
    ),
    # The Django admin has its own staff checks; beyond its index its URLs are Django's own
    # model pages (not this project's scoping) and are not swept.
    "admin:index": Rule(
        read=_roles(Role.ADMIN),
        anon="admin",
        get_denied=frozenset({302}),
        note="staff only; others go to the admin's own login",
    ),
    # --- registry
    "registry:area_list": Rule(
        read=LOGIN, samples=area_list_samples, junk_query=({"q": "\x00"}, {"page": "\x00"})
    ),
    "registry:area_detail": Rule(read=LOGIN, scope="area", samples=area_samples),
    "registry:notice_sheet": Rule(read=LOGIN, scope="area", samples=area_samples),
    "registry:asset_list": Rule(read=LOGIN, samples=list_samples, junk_query=FILTER_JUNK),
    "registry:record_list": Rule(read=LOGIN, samples=record_list_samples, junk_query=FILTER_JUNK),
    "registry:asset_create": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        samples=create_samples,
        post_out=frozenset({400, 403}),
        note="register: editors; a location outside the account's area is a form error",
    ),
    "registry:asset_detail": Rule(read=LOGIN, scope="area", samples=asset_detail_samples),
    "registry:asset_edit": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=asset_edit_samples,
    ),
    "registry:asset_status": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="area",
        samples=_asset_samples("a", _status_post),
    ),
    "registry:asset_approve_registration": Rule(
        read=POST_ONLY,
        write=Writers(APPROVERS, levels=frozenset({"township", "county"})),
        scope="area",
        samples=_asset_samples("r", _approve_post),
        note="a village's draft: approvers at township or county level",
    ),
    "registry:asset_return_registration": Rule(
        read=POST_ONLY,
        write=Writers(APPROVERS, levels=frozenset({"township", "county"})),
        scope="area",
        samples=_asset_samples("r", _return_post),
        note="a village's draft, returned with a reason: approvers at township or county level",
    ),
    "registry:todo": Rule(read=LOGIN, note="the user's own to-do list, inside their area"),
    "registry:ownership": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:handover": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:operation": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:maintenance_assign": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:maintenance_log": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:income": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:distribution_plan": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:disposal": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:notice": Rule(**ACTION, samples=_asset_samples("a")),
    "registry:plan_advance": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS, levels=frozenset({"village"}), superuser=True),
        scope="area",
        samples=_record_samples("plan", "plan_id", _plan_post),
        note="a draft plan: the village records its resolution (or a superuser)",
    ),
    "registry:plan_return": Rule(
        read=POST_ONLY,
        write=Writers(frozenset()),
        scope="area",
        samples=_record_samples("plan", "plan_id", _plan_return_post),
        note="the probe's plan is a draft: no level reviews it yet, so nobody sends it back",
    ),
    "registry:plan_revise": Rule(
        **{**ACTION, "samples": _record_samples("plan", "plan_id")},
    ),
    "registry:disposal_decide": Rule(
        read=POST_ONLY,
        write=Writers(APPROVERS, levels=frozenset({"township"})),
        scope="area",
        samples=_record_samples("disposal", "request_id", _decide_post),
        note="a request of 20,000 yuan waits for its township's approver",
    ),
    "registry:disposal_complete": Rule(
        **{**ACTION, "samples": _record_samples("disposal", "request_id")}
    ),
    "registry:attachment": Rule(
        read=LOGIN, scope="area", samples=_pk_samples("attachment_id"), body="binary"
    ),
    # --- the project libraries (issue 19): villages' needs, the library, the year's plan
    "registry:need_list": Rule(
        read=LOGIN,
        samples=need_list_samples,
        junk_query=(*FILTER_JUNK, {"status": "\x00"}, {"year": "9" * 500}),
    ),
    "registry:need_create": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        samples=need_create_samples,
        post_out=frozenset({400, 403}),
        note="a village's need: editors whose area holds villages (a village's, a township's,"
        " the county's); a village outside the account's area is a form error",
    ),
    "registry:need_sheet": Rule(read=LOGIN, scope="area", samples=need_sheet_samples),
    "registry:need_detail": Rule(read=LOGIN, scope="area", samples=_need_samples("submitted")),
    "registry:need_edit": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=_need_samples("posted", _need_edit_post),
        note="a need not yet sent up: editors of its village's area",
    ),
    "registry:need_post": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=_need_samples("posted", _need_post_post),
        note="its posting (公示): editors of its village's area",
    ),
    "registry:need_file": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=_need_samples("posted", _need_file_post),
        note="a file of a need not yet decided: editors of its village's area",
    ),
    "registry:need_submit": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="area",
        samples=_need_samples("posted", lambda world, scope, lib: {}),
        note="a need whose posting has ended goes to the township: editors of its area",
    ),
    "registry:need_review": Rule(
        read=Writers(APPROVERS, levels=frozenset({"township"})),
        write=Writers(APPROVERS, levels=frozenset({"township"})),
        scope="area",
        samples=_need_samples("submitted", _need_review_post),
        note="a need sent up: its township's approver only",
    ),
    "registry:project_list": Rule(
        read=LOGIN,
        samples=project_list_samples,
        junk_query=(
            *FILTER_JUNK,
            {"status": "\x00"},
            {"status": "nosuch,,"},
            {"year": "9" * 500},
            {"plan_year": "x"},
            {"construction": "\x00"},
        ),
    ),
    "registry:project_queue": Rule(read=LOGIN, samples=queue_samples),
    "registry:project_create": Rule(
        read=Writers(EDITORS, levels=frozenset({"township", "county"})),
        write=Writers(EDITORS, levels=frozenset({"township", "county"})),
        samples=project_create_samples,
        post_out=frozenset({400, 403}),
        junk_query=({"need": "\x00"}, {"need": "9" * 500}, {"need": "²"}),
        note="a proposal: editors of a township or the county (a village sends needs up); led"
        " from an area outside the account's, a form error",
    ),
    "registry:project_file": Rule(
        read=LOGIN, scope="area", samples=project_file_samples, body="binary"
    ),
    "registry:township_sheet": Rule(read=LOGIN, scope="area", samples=township_sheet_samples),
    "registry:library_sheet": Rule(read=LOGIN, samples=library_sheet_samples),
    "registry:plan_current": Rule(read=LOGIN, get_ok=frozenset({302}), note="this year's plan"),
    "registry:plan_year": Rule(read=LOGIN, samples=plan_year_samples),
    "registry:task_create": Rule(
        read=Writers(EDITORS, levels=frozenset({"county"})),
        write=Writers(EDITORS, levels=frozenset({"county"})),
        samples=task_create_samples,
        junk_query=({"year": "\x00"}, {"year": "²⁰²⁶"}, {"year": "9" * 500}),
        note="the county's editors keep its task list",
    ),
    "registry:task_edit": Rule(
        read=Writers(EDITORS, levels=frozenset({"county"})),
        write=Writers(EDITORS, levels=frozenset({"county"})),
        scope="area",
        samples=task_edit_samples,
        note="a task of the account's county: its editors; another county's: 404",
    ),
    "registry:project_detail": Rule(read=LOGIN, scope="area", samples=_project_samples("project")),
    "registry:project_edit": Rule(
        read=Writers(EDITORS, levels=frozenset({"township", "county"})),
        write=Writers(EDITORS, levels=frozenset({"township", "county"})),
        scope="area",
        samples=_project_samples("proposal", _proposal_edit_post),
        note="a proposal not yet appraised: editors of the township or county it is led from"
        " (a village sends needs up)",
    ),
    "registry:project_review": Rule(
        read=Writers(APPROVERS, levels=frozenset({"township"})),
        write=Writers(APPROVERS, levels=frozenset({"township"})),
        scope="area",
        samples=_project_samples("proposal", _township_review_post),
        note="a proposal led from a village: its township's approver",
    ),
    "registry:project_step": Rule(
        read=Writers(APPROVERS, levels=frozenset({"county"})),
        write=Writers(APPROVERS, levels=frozenset({"county"})),
        scope="area",
        samples=project_step_samples,
        junk_query=({"year": "\x00"}, {"year": "²⁰²⁶"}, {"year": "9" * 500}),
        note="the steps of a project in the library (plan, carry over, withdraw, adjust): the"
        " county's approvers",
    ),
    # --- gis
    "gis:map": Rule(read=LOGIN, samples=map_samples),
    "gis:areas_geojson": Rule(
        read=LOGIN,
        samples=areas_geojson_samples,
        body="json",
        junk_query=({"q": "\x00"}, {"level": "\x00"}),
    ),
    "gis:waterways_geojson": Rule(read=LOGIN, body="json"),
    "gis:tile": Rule(
        read=LOGIN,
        samples=tile_samples,
        body="tile",
        junk_query=FILTER_JUNK,
        # The filters of the network layers (issue 20), on clusters and on features.
        junk_more=(
            ({"layer": "places", "z": 6, "x": 51, "y": 26}, GAP_JUNK),
            ({"layer": "places", "z": 12, "x": 3284, "y": 1680}, GAP_JUNK),
            ({"layer": "network", "z": 6, "x": 51, "y": 26}, NETWORK_JUNK),
            ({"layer": "network", "z": 12, "x": 3284, "y": 1680}, NETWORK_JUNK),
        ),
    ),
    "gis:asset_popup": Rule(read=LOGIN, scope="area", samples=popup_samples, body="json"),
    "gis:asset_search": Rule(
        read=LOGIN, samples=search_samples, body="json", junk_query=({"q": "\x00"},)
    ),
    "gis:project_popup": Rule(read=LOGIN, scope="area", samples=project_popup_samples, body="json"),
    "gis:needs_geojson": Rule(
        read=LOGIN,
        samples=needs_samples,
        body="json",
        junk_query=({"status": "\x00"}, {"area": "\x00"}, {"year": "\x00"}),
    ),
    "gis:township_indicators": Rule(
        read=LOGIN,
        samples=township_samples,
        body="json",
        junk_query=({"indicator": "\x00"},),
    ),
    "transfer:asset_export": Rule(read=LOGIN, samples=asset_export_samples, junk_query=FILTER_JUNK),
    "transfer:record_export": Rule(
        read=LOGIN, samples=record_export_samples, junk_query=FILTER_JUNK
    ),
    "transfer:export_detail": Rule(read=LOGIN, scope="owner", samples=_owned_samples("exports")),
    "transfer:export_status": Rule(
        read=LOGIN, scope="owner", samples=_owned_samples("exports"), body="json"
    ),
    "transfer:export_download": Rule(
        read=LOGIN, scope="owner", samples=_owned_samples("exports"), body="xlsx"
    ),
    "transfer:import_list": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        samples=import_list_samples,
        valid_post_writes=False,
        note="upload: editors; an empty POST shows the form's errors",
    ),
    "transfer:import_template": Rule(read=EDITORS, body="xlsx"),
    "transfer:import_detail": Rule(
        read=EDITORS, scope="owner", role_first=True, samples=_owned_samples("imports")
    ),
    "transfer:import_status": Rule(
        read=EDITORS,
        scope="owner",
        role_first=True,
        samples=_owned_samples("imports"),
        body="json",
    ),
    "transfer:import_mapping": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="owner",
        role_first=True,
        samples=_owned_samples("imports", post=True),
        get_ok=frozenset({200, 302}),
        valid_post_writes=False,
        note="the mapping step of its owner's import; 302 to the import when it has no columns"
        " to map (not read yet, busy, imported)",
    ),
    "transfer:import_commit": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="owner",
        role_first=True,
        samples=_owned_samples("imports", post=True),
        valid_post_writes=False,
        note="its owner (or a superuser); 409 when the file has problems",
    ),
    "transfer:import_problems": Rule(
        read=EDITORS,
        scope="owner",
        role_first=True,
        samples=_owned_samples("imports"),
        body="xlsx",
        get_ok=frozenset({200, 404}),
        note="the workbook the worker wrote as it checked the file; 404 when it found none",
    ),
    # --- the project libraries' files (issue 19)
    "transfer:project_export": Rule(
        read=LOGIN, samples=project_export_samples, junk_query=FILTER_JUNK
    ),
    "transfer:plan_export": Rule(
        read=LOGIN, samples=plan_task_export_samples, junk_query=FILTER_JUNK
    ),
    "transfer:task_export": Rule(
        read=LOGIN,
        samples=plan_task_export_samples,
        junk_query=({"q": "\x00"}, {"year": "\x00"}, {"year": "9" * 500}),
    ),
    "transfer:project_import_list": Rule(
        read=EDITORS,
        write=Writers(EDITORS, levels=frozenset({"township", "county"})),
        samples=import_list_samples,
        valid_post_writes=False,
        note="upload: editors at township or county level (a village sends its needs up, so a"
        " village editor sees why and may not upload); an empty POST shows the form's errors",
    ),
    "transfer:project_import_detail": Rule(
        read=EDITORS, scope="owner", role_first=True, samples=_project_import_samples()
    ),
    "transfer:project_import_status": Rule(
        read=EDITORS,
        scope="owner",
        role_first=True,
        samples=_project_import_samples(),
        body="json",
    ),
    "transfer:project_import_commit": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="owner",
        role_first=True,
        samples=_project_import_samples(post=True),
        valid_post_writes=False,
        note="its owner (or a superuser); 409 when there is nothing it may write",
    ),
    "transfer:project_import_problems": Rule(
        read=EDITORS,
        scope="owner",
        role_first=True,
        samples=_project_import_samples(),
        body="xlsx",
        get_ok=frozenset({200, 404}),
        note="the rows with problems as the worker wrote them; 404 when it found none",
    ),
    # --- relocation sites, the infrastructure networks and their gaps (issue 20)
    "registry:site_list": Rule(
        read=LOGIN,
        samples=site_list_samples,
        junk_query=(
            *FILTER_JUNK,
            {"site_type": "\x00"},
            {"scale": "nosuch"},
            {"mode": "9" * 500},
            {"reclamation": "非"},
            {"open_problems": "\x00"},
            {"open_problems": "maybe"},
        ),
    ),
    "registry:site_create": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        samples=site_create_samples,
        post_out=frozenset({400, 403}),
        note="register a site: editors (a village's clerk in their village); a village outside"
        " the account's area is a form error",
    ),
    "registry:site_detail": Rule(read=LOGIN, scope="area", samples=_site_samples()),
    "registry:site_edit": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=_site_samples(_site_edit_post, check=False),
        note="correct a site: editors of the area it lies in",
    ),
    "registry:site_facility_link": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=site_facility_link_samples,
        junk_query=({"q": "\x00"}, {"q": "9" * 500}),
        note="link an asset the account sees to a site of its area",
    ),
    "registry:site_facility_end": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="area",
        samples=_site_record_samples("facility_id", _end_post),
        note="end a site's facility link: editors of the site's area",
    ),
    "registry:site_project_link": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=site_project_link_samples,
        junk_query=({"q": "\x00"}, {"q": "9" * 500}),
        note="link a library project the account sees to a site of its area",
    ),
    "registry:site_project_end": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="area",
        samples=_site_record_samples("project_link_id", _end_post),
        note="end a site's project link: editors of the site's area",
    ),
    "registry:site_support": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=site_support_samples,
        junk_query=({"year": "\x00"}, {"year": "9" * 500}, {"year": "２０２５"}, {"year": "1999"}),
        note="a year's follow-up support figures: editors of the site's area",
    ),
    "registry:site_problem_add": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=_site_samples(_problem_post, check=False),
        note="raise a residents' problem: editors of the site's area",
    ),
    "registry:site_problem_resolve": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        scope="area",
        samples=_site_record_samples("problem_id", _resolve_post),
        note="resolve an open problem: editors of the site's area",
    ),
    "registry:asset_harden": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="area",
        samples=harden_samples,
        note="mark a road hardened: editors of its area (the gaps near it are recomputed)",
    ),
    "gis:network_gaps": Rule(read=LOGIN, samples=gaps_samples, junk_query=GAP_JUNK),
    "gis:network_link_popup": Rule(
        read=LOGIN,
        scope="area",
        samples=_network_popup_samples(("road_pk",), lambda home, a: home.road.code),
        body="json",
    ),
    "gis:network_place_popup": Rule(
        read=LOGIN,
        scope="area",
        samples=_network_popup_samples(("group_place_id", "site_place_id"), _place_name),
        body="json",
    ),
    "gis:site_popup": Rule(
        read=LOGIN,
        scope="area",
        samples=_network_popup_samples(("site_pk",), lambda home, a: home.site.code),
        body="json",
    ),
    "transfer:site_export": Rule(
        read=LOGIN,
        samples=site_export_samples,
        junk_query=(*FILTER_JUNK, {"site_type": "\x00"}, {"open_problems": "maybe"}),
    ),
    "transfer:gap_export": Rule(read=LOGIN, samples=gap_export_samples, junk_query=GAP_JUNK),
    "transfer:site_import_list": Rule(
        read=EDITORS,
        write=Writers(EDITORS),
        samples=site_import_list_samples,
        valid_post_writes=False,
        note="upload: editors (into their own area); an empty POST shows the form's errors",
    ),
    "transfer:site_import_detail": Rule(
        read=EDITORS, scope="owner", role_first=True, samples=_owned_samples("site_imports")
    ),
    "transfer:site_import_status": Rule(
        read=EDITORS,
        scope="owner",
        role_first=True,
        samples=_owned_samples("site_imports"),
        body="json",
    ),
    "transfer:site_import_commit": Rule(
        read=POST_ONLY,
        write=Writers(EDITORS),
        scope="owner",
        role_first=True,
        samples=_owned_samples("site_imports", post=True),
        valid_post_writes=False,
        note="its owner (or a superuser); 409 when the file has problems or nothing to write",
    ),
    "transfer:site_import_problems": Rule(
        read=EDITORS,
        scope="owner",
        role_first=True,
        samples=_owned_samples("site_imports"),
        body="xlsx",
        get_ok=frozenset({200, 404}),
        note="the rows with problems as the worker wrote them; 404 when it found none",
    ),
}

# --- walking the URL patterns -----------------------------------------------------------------

CONVERTER_RE = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _url_patterns() -> Iterator[tuple[str, str, URLPattern]]:
    """(namespaced name, route, pattern) of every pattern, through every include."""

    def walk(resolver: URLResolver, route: str, namespace: str | None) -> Iterator[Any]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry, route + str(entry.pattern), ns)
            else:
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                name = name or f"<unnamed {route}{entry.pattern}>"
                yield name, route + str(entry.pattern), entry, namespace

    for name, route, entry, namespace in walk(get_resolver(), "", None):
        # The admin's model pages belong to Django's admin (its own staff and model
        # permissions, not this project's area scoping); only its index is swept. Static and
        # media files (django.views.static, DEBUG only) serve no registry data.
        if namespace == "admin" and name != "admin:index":
            continue
        if getattr(entry.callback, "__wrapped__", entry.callback) is static.serve:
            continue
        yield name, route, entry


PATTERNS = {name: route for name, route, _entry in _url_patterns()}


def test_the_sweep_reaches_outside_every_area_and_would_see_a_leak(world):
    """Guards against a vacuous sweep: every account has places outside its area, leak probes
    to look for, and the detector finds a planted code and name (and not the account's own)."""
    for name, scope in world.scopes.items():
        assert scope.out_slots and scope.leak_names, name
        outside = world.slots[scope.out_slots[0]]
        planted = (
            f"<td>{outside.a.code}</td><td>{outside.a.name}</td><td>{outside.village.code}</td>"
        )
        assert set(_leaks(planted, scope, frozenset())) >= {outside.a.code, outside.a.name}, name
        # Issue 20's: a site's code and name, a village group's 15-digit code and name.
        there = world.sites[scope.out_slots[0]]
        planted = f"<td>{there.site.code}</td><td>{there.site.name}</td><td>{there.group.code}"
        planted += f"</td><td>{there.group.name}</td><td>{there.road.name}</td>"
        expected = {there.site.code, there.site.name, there.group.code, there.group.name}
        expected.add(there.road.name)
        assert set(_leaks(planted, scope, frozenset())) >= expected, name
        if scope.user is not None:
            home = world.slots[scope.home]
            own = f"<td>{home.a.code}</td><td>{home.a.name}</td><td>{scope.area_code}</td>"
            sited = world.sites[scope.home]
            own += f"<td>{sited.site.code}</td><td>{sited.site.name}</td>"
            own += f"<td>{sited.group.code}</td><td>{sited.group.name}</td>"
            assert _leaks(own, scope, frozenset()) == [], name


def test_every_url_pattern_has_a_rule_and_every_rule_a_pattern():
    missing = sorted(set(PATTERNS) - set(RULES))
    stale = sorted(set(RULES) - set(PATTERNS))
    assert not missing, f"URL patterns without an access rule in RULES: {missing}"
    assert not stale, f"RULES names patterns that no longer exist: {stale}"
    # The sweep builds addresses from path() routes; a regular expression needs its own rule.
    regex = sorted(name for name, route in PATTERNS.items() if "(?P<" in route or "^" in route)
    assert not regex, f"re_path patterns the sweep cannot fill in: {regex}"


def test_every_scoped_rule_has_samples_outside_every_area(world):
    for name, rule in RULES.items():
        if rule.scope == "area":
            for account, scope in world.scopes.items():
                samples = rule.samples(world, scope)
                assert any(s.kind == "out" for s in samples), (name, account)
        elif rule.scope == "owner":
            kinds = {s.kind for scope in world.scopes.values() for s in rule.samples(world, scope)}
            assert kinds == {"in", "out"}, name


def _client_of(world: "World", account: str) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[account]
    return client


def test_a_need_sent_up_is_no_longer_changed_from_its_villages_forms(world):
    """The sweep's rules ask a need still in the village's hands. Once sent up, its page offers
    no edit or posting: the forms refuse it too (403, saying why) rather than show a form
    whose saving must fail; files are taken until the township has decided."""
    lib = world.library["XD"]
    client = _client_of(world, "village_clerk")
    expected = [
        ("need_edit", lib.posted.pk, 200),
        ("need_edit", lib.submitted.pk, 403),
        ("need_post", lib.submitted.pk, 403),
        ("need_file", lib.submitted.pk, 200),
        ("need_edit", lib.accepted.pk, 403),
        ("need_post", lib.accepted.pk, 403),
        ("need_file", lib.accepted.pk, 403),
    ]
    with transaction.atomic():
        answers = {
            (name, pk): client.get(reverse(f"registry:{name}", args=[pk]))
            for name, pk, _ in expected
        }
        assert [(n, pk, answers[n, pk].status_code) for n, pk, _ in expected] == expected
        refusal = answers["need_edit", lib.submitted.pk].content.decode()
        assert "已报乡镇的需求不能再修改" in refusal or "can no longer be changed" in refusal
        before = _snapshot()
        need = ConstructionNeed.objects.get(pk=lib.submitted.pk)
        posts = {
            "need_edit": _need_form(need.area, need, title="扫描改送审需求"),
            "need_post": _need_post_post(world, world.scopes["village_clerk"], lib),
        }
        for name, data in posts.items():
            url = reverse(f"registry:{name}", args=[need.pk])
            assert client.post(url, data).status_code == 403, name
        assert _snapshot() == before
        transaction.set_rollback(True)


def test_a_village_site_takes_nothing_from_outside_its_village(world):
    """The village's clerk edits the site of 向东村, but cannot move it to the sibling village,
    draw it in another township, nor link an asset or a project they do not see (each is a form
    error, and nothing is written); what serves the site from outside their village (linked by
    the township) is counted on its page, never named, and has no button to end it."""
    client = _client_of(world, "village_clerk")
    xd, sib, oth = world.sites["XD"], world.sites["SIB"], world.sites["OTH"]
    code = xd.site.code
    with transaction.atomic():
        before = _snapshot()
        site = RelocationSite.objects.get(pk=xd.site.pk)
        oth_village = world.slots["OTH"].village
        posts = {
            "site_edit": _site_form(site.area, site, area=str(world.slots["SIB"].village.pk)),
            "site_facility_link": {"asset": world.slots["SIB"].a.code, "role": "industry"},
            "site_project_link": {"project": world.library["OTH"].project.code},
        }
        for name, data in posts.items():
            response = client.post(reverse(f"registry:{name}", args=[code]), data)
            assert response.status_code == 400, (name, response.status_code)
            typed = frozenset({data.get("asset", ""), data.get("project", "")})
            text = response.content.decode()
            assert _leaks(text, world.scopes["village_clerk"], typed) == [], name
        far = _site_form(site.area, point=oth_village.point.geojson, name="扫描越界位置")
        assert client.post(reverse("registry:site_create"), far).status_code == 400
        assert _snapshot() == before
        page = client.get(reverse("registry:site_detail", args=[code])).content.decode()
        # Its own facility has a button to end it; the one linked from outside none.
        ends = re.findall(r"/sites/[^/]+/facilities/(\d+)/end/", page)
        assert str(xd.facility_id) in ends
        outside = SiteFacility.objects.get(site=xd.site.pk, asset=world.slots["SIB"].a.pk)
        assert str(outside.pk) not in ends
        assert sib.site.code not in page and oth.site.code not in page
        transaction.set_rollback(True)


def test_a_project_across_villages_shows_a_village_only_its_own_needs(world):
    """A project led from a sibling village that touches 向东村 is on the clerk's library, but
    the needs of the other village it merged are not theirs to read (their pages answer 404):
    the project's page lists the clerk's village's needs only; the township sees both."""
    xd, sib = world.slots["XD"].village, world.slots["SIB"].village
    with transaction.atomic():
        project = map_project(sib, other_areas=(xd,), name="扫描跨村项目")
        ours = map_need(xd, title="扫描向东村并入需求", status="merged", project=project)
        theirs = map_need(sib, title="扫描邻村并入需求", status="merged", project=project)
        url = reverse("registry:project_detail", args=[project.code])
        page = _client_of(world, "village_clerk").get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert ours.title in text
        assert theirs.title not in text
        assert reverse("registry:need_detail", args=[theirs.pk]) not in text
        township = _client_of(world, "township_manager").get(url).content.decode()
        assert ours.title in township and theirs.title in township
        transaction.set_rollback(True)


# --- the world --------------------------------------------------------------------------------


@dataclasses.dataclass
class Probe:
    """Objects in one place: an operating asset with every kind of record (a), a public asset
    with a disposal request waiting for its township (d) and a village's draft (r)."""

    village: AdminArea
    a: Asset
    d: Asset
    r: Asset
    plan_id: int
    disposal_id: int
    attachment_id: int
    tile15: tuple[int, int, int]
    tile10: tuple[int, int, int]


@dataclasses.dataclass
class Scope:
    name: str
    user: User | None
    role: str = ""
    level: str | None = None
    area_code: str = ""
    home: str = "XD"
    out_slots: list[str] = dataclasses.field(default_factory=list)
    area_codes: set[str] = dataclasses.field(default_factory=set)  # visible and ancestors
    asset_codes: set[str] = dataclasses.field(default_factory=set)
    asset_ids: set[int] = dataclasses.field(default_factory=set)
    site_codes: set[str] = dataclasses.field(default_factory=set)  # relocation sites it sees
    leak_names: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class World:
    slots: dict[str, Probe]
    scopes: dict[str, Scope]
    imports: dict[str, tuple[int, frozenset[str]]]  # owner -> (pk, codes in their file)
    exports: dict[str, tuple[int, frozenset[str]]]
    sessions: dict[str, str]  # account -> session key
    tmp: Path
    # slot -> (pk, code) of a project at the slot's probe; a need there too (issue 19's map)
    projects: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)
    # slot -> the project libraries' records there (issue 19's pages)
    library: dict[str, "Library"] = dataclasses.field(default_factory=dict)
    tasks: dict[str, int] = dataclasses.field(default_factory=dict)  # county code -> task pk
    # slot -> the relocation site, village group and road there (issue 20's pages and layers)
    sites: dict[str, "Sited"] = dataclasses.field(default_factory=dict)
    site_imports: dict[str, tuple[int, frozenset[str]]] = dataclasses.field(default_factory=dict)


def _tile_of(point: Point, z: int) -> tuple[int, int, int]:
    return tile_of(*point.coords[:2], z)


def _neighbour_county(near: AdminArea) -> AdminArea:
    """A made-up neighbouring county (500102) with one township and one village."""
    x, y = near.point.coords
    box = MultiPolygon(Polygon.from_bbox((x - 0.02, y - 0.02, x + 0.02, y + 0.02)), srid=4490)
    common = dict(county_code="500102", synthetic=True, source="access sweep", division_year=2023)
    county = AdminArea.objects.create(
        code=NB_COUNTY, name="扫描邻区", level=AreaLevel.COUNTY, kind=AreaKind.DISTRICT,
        boundary=box, point=near.point, **common,
    )  # fmt: skip
    township = AdminArea.objects.create(
        code=NB_TOWNSHIP, name="扫描邻镇", level=AreaLevel.TOWNSHIP, kind=AreaKind.TOWN,
        parent=county, boundary=box, point=near.point, **common,
    )  # fmt: skip
    village = AdminArea.objects.create(
        code=NB_VILLAGE, name="扫描邻村村民委员会", level=AreaLevel.VILLAGE,
        kind=AreaKind.VILLAGERS_COMMITTEE, parent=township, point=near.point, **common,
    )  # fmt: skip
    Party.objects.create(
        kind="village_collective", name="扫描邻村股份经济合作联合社", area=village,
        area_code=village.code, county_code="500102",
    )  # fmt: skip
    return village


def _probe(slot: str, village: AdminArea, actor: User) -> Probe:
    owner = Party.objects.get(name=collective_name(village))
    a = asset_register(
        actor=actor,
        data=asset_input(
            area=village, name=f"探针{slot}经营资产", asset_class="operating",
            subtype="pv_station", unit="kW", quantity=Decimal(300),
        ),
    )  # fmt: skip
    ownership_confirm(
        actor=actor, asset=a, effective_on=TODAY, basis="扫描确权", shares=[(owner, Decimal(100))]
    )
    maintenance_assign(
        actor=actor, asset=a, maintainer=owner, responsible_person="扫描责任人",
        responsible_phone="13800001111", duties="每月巡查", funding_source="公益性岗位",
        inspection_interval_days=30, starts_on=TODAY - datetime.timedelta(days=100),
    )  # fmt: skip
    log = maintenance_log_add(
        actor=actor, asset=a, kind="inspection", performed_on=TODAY, result="normal",
        photos=[SimpleUploadedFile("probe.jpg", JPEG, content_type="image/jpeg")],
    )  # fmt: skip
    income_record_add(
        actor=actor, asset=a, period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31), gross=Decimal(50000), costs=Decimal(5000),
    )  # fmt: skip
    plan = distribution_plan_create(
        actor=actor, asset=a, year=2025, total=Decimal(1000),
        lines={"welfare_posts": Decimal(600), "public_works": Decimal(400)},
    )  # fmt: skip
    d = asset_register(actor=actor, data=asset_input(area=village, name=f"探针{slot}处置资产"))
    disposal = disposal_request(
        actor=actor, asset=d, reason="disaster", method="scrap", book_value=Decimal(20000),
        explanation="扫描处置",
    )  # fmt: skip
    r = asset_register(actor=actor, data=asset_input(area=village, name=f"探针{slot}待审资产"))
    Asset.objects.filter(pk=r.pk).update(status="draft")
    point = a.geom.point_on_surface
    return Probe(
        village=village, a=a, d=d, r=r, plan_id=plan.pk, disposal_id=disposal.pk,
        attachment_id=log.attachments.get().pk, tile15=_tile_of(point, 15),
        tile10=_tile_of(point, 10),
    )  # fmt: skip


@dataclasses.dataclass
class Library:
    """The project libraries' records at one probe place, each named after the probe's asset
    so that the leak check finds them outside the area: needs sent to the township
    (``submitted``), posted and ready to be sent (``posted``) and accepted (``accepted``); a
    project in the library (``project``, the map's) and a proposal (``proposal``); a file of
    the submitted need and one of the library project."""

    submitted: ConstructionNeed
    posted: ConstructionNeed
    accepted: ConstructionNeed
    project: Project
    proposal: Project
    need_file_id: int
    project_file_id: int


def _probe_file(**owner: Any) -> int:
    """A photo of a need or a project, stored like an upload."""
    item = ProjectFile(
        county_code=(owner.get("need") or owner.get("project")).county_code,
        kind="photo", original_name="扫描.jpg", content_type="image/jpeg", size=len(JPEG),
        uploaded_by=User.objects.get(username="admin"), **owner,
    )  # fmt: skip
    item.file.save("probe.jpg", ContentFile(JPEG), save=False)
    item.save()
    return item.pk


def _probe_library(probe: Probe) -> Library:
    """Needs, projects and files at the probe's place (see Library)."""
    name, village, geom = probe.a.name, probe.village, probe.a.geom
    project = map_project(village, geom=geom, name=f"{name}所属项目")
    submitted = map_need(village, geom=geom, title=f"{name}配套需求")
    posted = map_need(
        village, title=f"{name}公示需求", status="posted", meeting_kind="representatives",
        meeting_on=TODAY - datetime.timedelta(days=40), meeting_attendance=30,
        posted_from=TODAY - datetime.timedelta(days=30),
        posted_to=TODAY - datetime.timedelta(days=20),
    )  # fmt: skip
    accepted = map_need(
        village, title=f"{name}已审需求", status="accepted", genuine=True, necessary=True,
        feasible=True,
    )  # fmt: skip
    proposal = map_project(village, status="proposed", name=f"{name}申报项目")
    return Library(
        submitted=submitted, posted=posted, accepted=accepted, project=project,
        proposal=proposal, need_file_id=_probe_file(need=submitted),
        project_file_id=_probe_file(project=project),
    )  # fmt: skip


def _probe_task(county_code: str, task: str) -> int:
    return TaskListItem.objects.create(
        county_code=county_code, year=TODAY.year, task=task, department="扫描农业农村委",
        created_by=User.objects.get(username="admin"),
    ).pk  # fmt: skip


@dataclasses.dataclass
class Sited:
    """Issue 20's records at one probe place, each named after its slot so that the leak check
    finds them outside the area: a relocation site with a facility (the probe's operating
    asset), a supporting project (the place's library project), a year's support figures and an
    open problem (``problem``, its description); a village group; a gravel group road (a network
    link) past the group; the gap analysis's rows of the group and the site; and the tiles
    where each lies."""

    site: RelocationSite
    group: AdminArea
    road: Asset
    problem: str
    facility_id: int
    project_link_id: int
    problem_id: int
    road_tile: tuple[int, int, int]
    site_tile: tuple[int, int, int]
    group_tile: tuple[int, int, int]
    tile10: tuple[int, int, int]
    group_place_id: int = 0  # read once every township is computed (a run renumbers its rows)
    site_place_id: int = 0

    @property
    def road_pk(self) -> int:
        return self.road.pk

    @property
    def site_pk(self) -> int:
        return self.site.pk


def _probe_sites(
    slot: str, probe: Probe, lib: Library, origin: AdminArea, serial: int, actor: User
) -> Sited:
    """A site, a group and a road at the probe's place (see Sited). The road is registered in
    ``origin`` (the demo village the neighbouring county's probe was made in: nobody may edit
    the made-up county) and moved with the probe."""
    village = probe.village
    x, y = village.point.coords
    line = LineString((x + 0.0004, y + 0.0016), (x + 0.0022, y + 0.0019), srid=4490)
    road = asset_register(
        actor=actor,
        data=asset_input(
            area=origin, name=f"探针{slot}通组路", subtype="road", unit="km",
            quantity=Decimal("0.2"), geom=line,
        ),
    )  # fmt: skip
    network_link_set(actor=actor, asset=road, network_type="group_road", surface="gravel")
    if origin.pk != village.pk:
        Asset.objects.filter(pk=road.pk).update(
            area=village, area_code=village.code, county_code=village.county_code,
            code=village.county_code + road.code[6:],
        )  # fmt: skip
        road.refresh_from_db()
    group = AdminArea.objects.create(
        code=f"{village.code}901", name=f"探针{slot}组", level=AreaLevel.GROUP,
        kind=AreaKind.VILLAGE_GROUP, parent=village, county_code=village.county_code,
        point=Point(x + 0.0012, y + 0.0018, srid=4490), households=30, persons=90,
        synthetic=True, source="access sweep",
    )  # fmt: skip
    sx, sy = x + 0.0014, y + 0.0005
    outline = Polygon.from_bbox((sx - 0.0002, sy - 0.0002, sx + 0.0002, sy + 0.0002))
    site = RelocationSite.objects.create(
        code=f"{village.county_code}AZ99{serial:02d}", name=f"探针{slot}安置点",
        site_type="central_village", area=village, area_code=village.code,
        county_code=village.county_code, point=Point(sx, sy, srid=4490),
        outline=MultiPolygon(outline, srid=4490), registered_households=20,
        registered_persons=80, alongside_households=5, alongside_persons=15, housing_units=25,
        synthetic=True,
    )  # fmt: skip
    facility = SiteFacility.objects.create(site=site, asset=probe.a, role="industry")
    project = SiteProject.objects.create(site=site, project=lib.project)
    SiteSupport.objects.create(
        site=site, year=TODAY.year - 1, labour_force=50, employed=40,
        per_capita_income=Decimal(12000), welfare_posts=3, workshops=1, monitored_households=2,
    )  # fmt: skip
    problem = SiteProblem.objects.create(
        site=site, category="utilities", description=f"探针{slot}安置点饮水问题",
        raised_on=TODAY - datetime.timedelta(days=10), recorded_by=actor,
    )  # fmt: skip
    refresh_township(AdminArea.objects.get(code=village.code[:9] + "000"))
    return Sited(
        site=site, group=group, road=road, problem=problem.description, facility_id=facility.pk,
        project_link_id=project.pk, problem_id=problem.pk,
        road_tile=_tile_of(line.point_on_surface, 15), site_tile=_tile_of(site.point, 15),
        group_tile=_tile_of(group.point, 15), tile10=_tile_of(group.point, 10),
    )  # fmt: skip


def _places_of(sited: Sited) -> Sited:
    """The gap analysis's rows of the probe's group and site (as the last run left them)."""
    sited.group_place_id = NetworkPlace.objects.get(kind="group", place_id=sited.group.pk).pk
    sited.site_place_id = NetworkPlace.objects.get(kind="site", place_id=sited.site.pk).pk
    return sited


def _make_site_import(owner: User, rows: list[dict[str, Any]]) -> int:
    """A file of sites checked by the worker (in this process), as an upload leaves it."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(keys)
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    item = SiteImport(user=owner, original_name="扫描安置点.csv", size=1)
    content = ContentFile(("\ufeff" + out.getvalue()).encode("utf-8"), name="sweep-sites.csv")
    item.file.save("sweep-sites.csv", content, save=False)
    item.size = item.file.size
    item.save()
    site_jobs.check_site_import.call(item.pk)
    return item.pk


def _site_row(village: AdminArea, **values: Any) -> dict[str, Any]:
    """A row of a county's table of sites (the site ledger's Chinese headers)."""
    row = {
        "安置点编号": "", "安置点名称": "扫描导入安置点", "安置类别": "集中安置：中心村",
        "区划代码": village.code, "建档立卡搬迁户数": 10, "建档立卡搬迁人数": 40,
        "经度": round(village.point.x + 0.0011, 6), "纬度": round(village.point.y + 0.0009, 6),
    }  # fmt: skip
    row.update(values)
    return row


def _move(probe: Probe, village: AdminArea) -> Probe:
    """Move the probe's assets (and so every record about them) into ``village``."""
    for asset in (probe.a, probe.d, probe.r):
        code = village.county_code + asset.code[6:]
        Asset.objects.filter(pk=asset.pk).update(
            area=village, area_code=village.code, county_code=village.county_code, code=code
        )
        asset.refresh_from_db()
    probe.village = village
    return probe


def _import_file(name: str, rows: list[dict[str, Any]]) -> ContentFile:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([HEADERS[k] for k in keys])
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return ContentFile(("\ufeff" + out.getvalue()).encode("utf-8"), name=name)


def _import_row(village: AdminArea, **values: Any) -> dict[str, Any]:
    row = {
        "name": "扫描导入大棚", "asset_class": "经营性", "subtype": "设施农业（大棚）",
        "area_code": village.code, "original_value": 125000.5, "quantity": 2, "unit": "个",
        "formed_on": "2022-04-18", "beneficiary_households": 12,
        "beneficiary_exited_households": 5, "booked": "是",
        "lon": village.point.x, "lat": village.point.y,
    }  # fmt: skip
    row.update(values)
    return row


def _make_import(owner: User, rows: list[dict[str, Any]]) -> int:
    item = AssetImport(user=owner, original_name="扫描.csv", size=1)
    item.file.save("sweep.csv", _import_file("sweep.csv", rows), save=False)
    item.size = item.file.size
    item.save()
    jobs.check_import.call(item.pk)
    return item.pk


def _make_export(owner: User) -> int:
    path = exporters.export(asset_list(user=owner), "xlsx", meta={})
    job = ExportJob(user=owner, fmt="xlsx", state=ExportJob.State.DONE, rows_total=1)
    job.file.save(path.name, ContentFile(path.read_bytes()), save=False)
    job.save()
    shutil.rmtree(path.parent, ignore_errors=True)
    return job.pk


def _sited_names(sited: "Sited") -> list[str]:
    return [sited.site.name, sited.group.name, sited.road.name, sited.problem]


def _make_gap_export(owner: User) -> int:
    """The gap table of the owner's township (every place) as the worker writes a large one."""
    job = ExportJob.objects.create(
        user=owner, fmt="xlsx", rows_total=1, params=[["gap", ["all"]], ["township", [LONGJU]]],
        ledger="network_gaps",
    )  # fmt: skip
    jobs.run_export.call(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.message
    return job.pk


def _scope(name: str, user: User | None, slots: dict[str, Probe], sites: dict[str, Sited]) -> Scope:
    if user is None:  # sees nothing: every code is a leak, and so is every probe's name
        probes = [getattr(slots[s], attr).name for s in SLOTS for attr in "adr"]
        probes += [n for s in SLOTS for n in _sited_names(sites[s])]
        return Scope(
            name=name, user=None, out_slots=list(SLOTS), leak_names=[*probes, "扫描邻村村民委员会"]
        )
    user = User.objects.select_related("area").get(pk=user.pk)
    prefix = scope_prefix(user) or "\x00"
    visible_slots = [s for s in SLOTS if slots[s].village.code.startswith(prefix)]
    home = "XD" if "XD" in visible_slots else visible_slots[0]
    areas = visible_to(user, AdminArea.objects.all())
    area_codes = set(areas.values_list("code", flat=True))
    ancestors: list[AdminArea] = []
    area = user.area
    while area is not None:
        ancestors.append(area)
        area = area.parent
    area_codes |= {a.code for a in ancestors}
    assets = dict(asset_scope(user=user).values_list("code", "id"))
    # Texts the account may legitimately see: a leak probe must not be part of any of them.
    allowed = (
        set(areas.values_list("name", flat=True))
        | {a.name for a in ancestors}
        | set(party_list(user=user).values_list("name", flat=True))
        | set(asset_scope(user=user).values_list("name", flat=True))
    )
    allowed_text = "\n".join(allowed)
    outside = AdminArea.objects.exclude(code__in=area_codes).order_by("code")
    villages = list(outside.filter(level=AreaLevel.VILLAGE).values_list("name", flat=True))
    townships = list(outside.filter(level=AreaLevel.TOWNSHIP).values_list("name", flat=True))
    siblings = list(
        outside.filter(level=AreaLevel.VILLAGE, code__startswith=user.area.code[:9]).values_list(
            "name", flat=True
        )
    )
    parties = list(
        Party.objects.filter(kind__in=["village_collective", "township_government"])
        .exclude(area_code__in=area_codes)
        .order_by("area_code")
        .values_list("name", flat=True)
    )
    probes = [
        getattr(slots[s], attr).name for s in SLOTS if s not in visible_slots for attr in "adr"
    ]
    probes += [n for s in SLOTS if s not in visible_slots for n in _sited_names(sites[s])]
    candidates = [
        *siblings[:6],
        *villages[:: max(1, len(villages) // 12)],
        *townships[:: max(1, len(townships) // 6)],
        *parties[:: max(1, len(parties) // 10)],
        *probes,
        "扫描邻区",
        "扫描邻村村民委员会",
    ]
    leak_names = sorted({c for c in candidates if c and c not in allowed_text})
    return Scope(
        name=name,
        user=user,
        role=user.role,
        level=scope_level(user),
        area_code=user.area.code,
        home=home,
        out_slots=[s for s in SLOTS if s not in visible_slots],
        area_codes=area_codes,
        asset_codes=set(assets),
        asset_ids=set(assets.values()),
        site_codes=set(site_scope(user=user).values_list("code", flat=True)),
        leak_names=leak_names,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("access_sweep")
    override = override_settings(
        MEDIA_ROOT=tmp / "media",
        CACHES={
            **settings.CACHES,
            "tiles": {**settings.CACHES["tiles"], "LOCATION": str(tmp / "tiles")},
        },
    )
    override.enable()
    django_db_blocker.unblock()
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        admin = User.objects.get(username="admin")
        longju_villages = list(
            AdminArea.objects.filter(parent__code=LONGJU, point__isnull=False)
            .exclude(code=XIANGDONG)
            .order_by("code")
        )
        others = list(
            AdminArea.objects.filter(level=AreaLevel.VILLAGE, point__isnull=False)
            .exclude(code__startswith=LONGJU[:9])
            .order_by("code")
        )
        places = {
            "XD": AdminArea.objects.get(code=XIANGDONG),
            "SIB": longju_villages[0],
            "OTH": others[0],
            "NB": others[len(others) // 2],  # its assets move to the neighbouring county
        }
        slots = {slot: _probe(slot, village, admin) for slot, village in places.items()}
        slots["NB"] = _move(slots["NB"], _neighbour_county(places["NB"]))
        library = {slot: _probe_library(probe) for slot, probe in slots.items()}
        projects = {slot: (lib.project.pk, lib.project.code) for slot, lib in library.items()}
        sites = {
            slot: _probe_sites(slot, probe, library[slot], places[slot], serial, admin)
            for serial, (slot, probe) in enumerate(slots.items(), start=1)
        }
        # A township's editor links an asset and a project of the sibling village to the
        # site of 向东村: its village's accounts see the site, and must not see what serves it
        # from outside their area (its page counts them, its history does not name them).
        township_manager = User.objects.get(username="township_manager")
        facility_link(
            actor=township_manager, site=sites["XD"].site, asset=slots["SIB"].a, role="industry"
        )
        site_project_link(
            actor=township_manager, site=sites["XD"].site, project=library["SIB"].project
        )
        sites = {slot: _places_of(sited) for slot, sited in sites.items()}
        tasks = {
            "500101": _probe_task("500101", "扫描任务"),
            "500102": _probe_task("500102", "扫描邻区任务"),
        }
        for username, (role, where) in EXTRA_ACCOUNTS.items():
            area = AdminArea.objects.get(code=LONGJU) if where == "township" else places[where]
            # No password: they only ever sign in with force_login (a hash costs a second).
            User.objects.create_user(username, password=None, role=role, area=area)
        users = {u.username: u for u in User.objects.select_related("area")}
        clerk, manager = users["village_clerk"], users["manager"]
        other_code, other_asset = places["SIB"].code, slots["OTH"].a.code
        imports = {
            # A file with a row in another village and a row that changes another
            # township's asset: its pages must not name what lies there.
            "village_clerk": (
                _make_import(
                    clerk,
                    [
                        _import_row(places["XD"]),
                        _import_row(places["XD"], area_code=other_code),
                        _import_row(places["XD"], code=other_asset, name="扫描越界修改"),
                    ],
                ),
                frozenset({other_code, other_asset}),
            ),
            "manager": (_make_import(manager, [_import_row(places["XD"])]), frozenset()),
        }
        exports = {
            "village_clerk": (_make_export(clerk), frozenset()),
            "planner": (_make_export(users["planner"]), frozenset()),
            # The gap table of 龙驹镇 as the village's clerk asked for it: their places only.
            "village_clerk#gaps": (_make_gap_export(clerk), frozenset()),
        }
        sib_village, sib_site = places["SIB"].code, sites["SIB"].site.code
        site_imports = {
            # A row in another village and a row that changes another village's site: the
            # pages of the import must not name what lies there.
            "village_clerk": (
                _make_site_import(
                    clerk,
                    [
                        _site_row(places["XD"]),
                        _site_row(places["XD"], 区划代码=sib_village, 安置点名称="扫描越界安置点"),
                        _site_row(places["XD"], 安置点编号=sib_site, 安置点名称="扫描越界修改"),
                    ],
                ),
                frozenset({sib_village, sib_site}),
            ),
            "manager": (_make_site_import(manager, [_site_row(places["XD"])]), frozenset()),
        }
        scopes = {name: _scope(name, users.get(name), slots, sites) for name in ACCOUNTS}
        sessions = {}
        for name in ACCOUNTS[1:]:
            client = Client()
            client.force_login(users[name])
            sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield World(
            slots=slots,
            scopes=scopes,
            imports=imports,
            exports=exports,
            sessions=sessions,
            tmp=tmp,
            projects=projects,
            library=library,
            tasks=tasks,
            sites=sites,
            site_imports=site_imports,
        )
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
        django_db_blocker.restore()
        override.disable()


@pytest.fixture(autouse=True)
def _media_in_tmp(world):  # type: ignore[no-untyped-def]
    """Overrides conftest's fixture of this name (a folder per test): here every test reads the
    files the module wrote once (photos, uploads, export files) and shares its tile cache."""
    return None


@pytest.fixture(autouse=True)
def _module_media(world, settings):  # type: ignore[no-untyped-def]
    """The same, whatever per-test folders a conftest fixture sets up before this one."""
    settings.MEDIA_ROOT = world.tmp / "media"
    settings.CACHES = {
        **settings.CACHES,
        "tiles": {**settings.CACHES["tiles"], "LOCATION": str(world.tmp / "tiles")},
    }


# --- reading answers --------------------------------------------------------------------------

# Area codes (12 digits; a village group's 15), asset codes (16) and relocation site codes.
CODE_RE = re.compile(r"(?<![\d.])(5001\d{8}(?:\d{3,4})?)(?!\d)")
SITE_CODE_RE = re.compile(r"(?<![0-9A-Za-z])(5001\d\dAZ\d{4})(?!\d)")
ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(text: str) -> str:
    return ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _vector_text(path: Path) -> tuple[str, list[str]]:
    parts = []
    for layer, _geometry_type in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        parts.append(frame.astype(str).to_csv(index=False))
    return "\n".join(parts), parts


def _decode(kind: str, content: bytes, tmp: Path) -> tuple[str, Any]:
    """The text to search for leaks, and the parsed answer."""
    if kind == "binary" or not content:
        return "", None
    if kind == "html":
        return _unescape(content.decode("utf-8", "replace")), None
    if kind in {"json", "geojson"}:
        data = json.loads(content)
        return json.dumps(data, ensure_ascii=False), data
    if kind == "tile":
        data = mapbox_vector_tile.decode(content)
        return json.dumps(data, ensure_ascii=False, default=str), data
    if kind == "csv":
        text = content.decode("utf-8-sig")
        return text, list(csv.reader(io.StringIO(text)))
    if kind == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        sheets = {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
        text = "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for rows in sheets.values()
            for row in rows
        )
        return text, sheets
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        if kind == "gpkg":
            path = Path(folder) / "export.gpkg"
            path.write_bytes(content)
            return _vector_text(path)
        if kind == "shp":
            texts = []
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                archive.extractall(folder)
                for member in archive.namelist():
                    if member.endswith((".txt", ".cpg", ".prj")):
                        texts.append(archive.read(member).decode("utf-8", "replace"))
            for shp in sorted(Path(folder).rglob("*.shp")):
                texts.append(_vector_text(shp)[0])
            return "\n".join(texts), texts
    raise AssertionError(f"unknown body kind {kind}")


def _leaks(text: str, scope: Scope, allow: frozenset[str]) -> list[str]:
    found = []
    for code in sorted(set(CODE_RE.findall(text)) - allow):
        known = scope.asset_codes if len(code) == 16 else scope.area_codes
        if code not in known:
            found.append(code)
    found += sorted(set(SITE_CODE_RE.findall(text)) - allow - scope.site_codes)
    found += [name for name in scope.leak_names if name in text and name not in allow]
    return found


# --- requests ---------------------------------------------------------------------------------


def _url(route: str, kwargs: dict[str, Any], query: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(str(kwargs[match.group("name")]), safe="")

    url = "/" + CONVERTER_RE.sub(fill, route)
    if query:
        url += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    return url


def _junk(route: str) -> list[Sample]:
    """Junk for every argument of the route: NUL, very long, non-digits, digits too big."""
    names = {m.group("name"): m.group("conv") or "str" for m in CONVERTER_RE.finditer(route)}
    base = {n: ("1" if c == "int" else "x") for n, c in names.items()}
    samples = []
    for name, conv in names.items():
        values = ["abc", "9" * 400] if conv == "int" else ["\x00", "A" * 5000, "非数字-abc"]
        samples += [
            Sample("junk", {**base, name: v}, label=f"{name}={v[:12]!r}" + ("*" if i == 1 else ""))
            for i, v in enumerate(values)
        ]
    return samples


def _snapshot() -> tuple[Any, ...]:
    """What a refused POST must leave as it was: every history event of the register (every
    registry table has one), imports and export jobs."""
    return (
        pghistory.models.Events.objects.count(),
        tuple(AssetImport.objects.order_by("pk").values_list("pk", "state", "commit_requested")),
        tuple(ProjectImport.objects.order_by("pk").values_list("pk", "state", "commit_requested")),
        tuple(SiteImport.objects.order_by("pk").values_list("pk", "state", "commit_requested")),
        ExportJob.objects.count(),
        Attachment.objects.count(),
    )


def _content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        # Reading it to the end closes it (the test client's wrapper); closing it again would
        # send request_finished, whose handler drops the connection holding the transaction.
        return b"".join(response.streaming_content)
    return response.content


PATTERN_NAMES = sorted(name for name in RULES if name in PATTERNS)


@pytest.mark.parametrize("name", PATTERN_NAMES)
def test_access(name: str, world: World) -> None:
    """Every account (and anonymous) asks the pattern; each account's writes are undone before
    the next one asks."""
    rule, route = RULES[name], PATTERNS[name]
    # Accounts with the same area, the same rights and the same samples would get the same
    # answers in their area: one of them (in rotation) asks there; every one asks outside.
    classes: dict[tuple[Any, ...], list[str]] = {}
    for account in ACCOUNTS:
        scope = world.scopes[account]
        may_read, may_write = _rights(rule, scope)
        ins = [s for s in rule.samples(world, scope) if s.kind == "in"]
        superuser_rule = isinstance(rule.write, Writers) and rule.write.superuser
        key = (
            scope.user and scope_prefix(scope.user),
            superuser_rule and scope.user and scope.user.is_superuser,
            may_read,
            may_write,
            tuple(_url(route, s.kwargs, s.query) for s in ins),
        )
        classes.setdefault(key, []).append(account)
    askers = set()
    for members in classes.values():
        full = [a for a in members if a in FULL_ACCOUNTS]
        askers |= set(full) or {members[zlib.crc32(name.encode()) % len(members)]}
    problems: list[str] = []
    for account in ACCOUNTS:
        with transaction.atomic():
            problems += _sweep(name, account, world, in_area=account in askers)
            transaction.set_rollback(True)
    _report(problems)


def _rights(rule: Rule, scope: Scope) -> tuple[bool, bool]:
    anonymous = scope.user is None
    may_read = (
        rule.read in (PUBLIC, LOGIN)
        or (isinstance(rule.read, frozenset) and not anonymous and scope.role in rule.read)
        or (isinstance(rule.read, Writers) and rule.read.allow(scope))
    )
    may_write = rule.write == PUBLIC or (
        isinstance(rule.write, Writers) and rule.write.allow(scope)
    )
    return may_read, may_write


class _Failed(Exception):
    """A 5xx: undo whatever the request did, so that the next request finds a usable
    connection."""

    def __init__(self, response: Any) -> None:
        self.response = response


def _request(client: Client, method: str, url: str, data: dict[str, Any] | None) -> Any:
    try:
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, data or {})
            if response.status_code >= 500:
                raise _Failed(response)
    except _Failed as failed:
        return failed.response
    return response


def _sweep(name: str, account: str, world: World, in_area: bool) -> list[str]:
    rule, route = RULES[name], PATTERNS[name]
    scope = world.scopes[account]
    client = Client(raise_request_exception=False)
    anonymous = scope.user is None
    if not anonymous:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[account]
    may_read, may_write = _rights(rule, scope)
    writer = rule.write == PUBLIC or (may_write and not anonymous)
    problems: list[str] = []
    names = {m.group("name") for m in CONVERTER_RE.finditer(route)}

    every = rule.samples(world, scope)
    for sample in every:
        assert set(sample.kwargs) == names, f"{name}: sample arguments {sample.kwargs} for {route}"
    samples = _pick(every, name, account)
    if not in_area and any(s.kind != "in" for s in samples):
        samples = [s for s in samples if s.kind != "in"]
    junk = _junk(route) if account in JUNK_ACCOUNTS else []
    if account in JUNK_ACCOUNTS and not anonymous and every:
        junk += [  # junk filters on the first sample's address
            Sample("in", every[0].kwargs, q, label="junk filter") for q in rule.junk_query
        ]
        junk += [
            Sample("in", kwargs, q, label="junk filter")
            for kwargs, queries in rule.junk_more
            for q in queries
        ]

    def answer(method: str, sample: Sample, data: dict[str, Any] | None) -> tuple[int, str]:
        url = _url(route, sample.kwargs, sample.query)
        response = _request(client, method, url, data)
        status = response.status_code
        where = f"{method} {url[:90]!r} as {account}" + (
            f" [{sample.label}]" if sample.label else ""
        )
        content = _content(response)
        if status >= 500:
            problems.append(f"{where}: {status}")
            return status, where
        if status == 302 and anonymous and rule.anon != "public":
            login = ADMIN_LOGIN_PATH if rule.anon == "admin" else LOGIN_PATH
            if not response["Location"].startswith(login):
                problems.append(f"{where}: redirects to {response['Location']}, not the login")
        kind = sample.body or rule.body
        if status != 200:  # error pages, form errors, plain-text refusals
            kind = "html"
        if response.get("Content-Type", "").startswith("application/json"):
            kind = "json"
        try:
            text, parsed = _decode(kind, content, world.tmp)
        except Exception as exc:  # a broken file is a defect too
            problems.append(f"{where}: {status} body does not read as {kind}: {exc!r}")
            return status, where
        # A 404 page may repeat the address asked for: what the account typed itself.
        typed = {str(v) for v in (*sample.kwargs.values(), *sample.query.values())}
        leaked = _leaks(text, scope, sample.allow | typed)
        if leaked:
            problems.append(f"{where}: {status} shows what lies outside the area: {leaked[:8]}")
        if status == 200 and sample.check and method == "GET" and sample.kind == "in":
            extra = sample.check(Answer(url, status, text, parsed, scope, world))
            problems.extend(f"{where}: {p}" for p in extra)
        return status, where

    def expect(where: str, status: int, allowed: set[int]) -> None:
        if "%00" in where:  # config.middleware refuses a NUL anywhere in the address with 400
            allowed = allowed | {400}
        if status not in allowed:
            problems.append(f"{where}: {status}, expected {sorted(allowed)}")

    # GET ----------------------------------------------------------------------------------
    for sample in [*samples, *junk]:
        if not sample.get:
            continue
        status, where = answer("GET", sample, None)
        if status >= 500:
            continue
        if sample.label == "junk filter":
            expect(where, status, {200, 400, 404} if may_read else set(rule.get_denied))
            continue
        expect(where, status, _expected_get(rule, scope, sample, may_read))

    # POST ---------------------------------------------------------------------------------
    if rule.write is None:
        return problems
    refused_posts: list[tuple[Sample, dict[str, Any] | None]] = []
    allowed_posts: list[tuple[Sample, dict[str, Any], bool]] = []  # (sample, data, valid)
    for sample in samples:
        if sample.kind == "in" and writer:
            if sample.post is not None:
                allowed_posts.append((sample, sample.post, True))
            if not sample.post and account in FULL_ACCOUNTS:  # an empty form: its errors
                allowed_posts.append((sample, {}, False))
        elif sample.kind == "in":
            # The valid POST goes deepest; the empty one finds rights checked after the form.
            if sample.post:
                refused_posts.append((sample, sample.post))
            if not sample.post or account in EMPTY_POST_ACCOUNTS:
                refused_posts.append((sample, {}))
        elif in_area:  # outside the area: the askers POST too (the others GET it)
            refused_posts.append((sample, sample.post or {}))
    if account == "admin":  # junk arguments, once per argument
        refused_posts += [(j, {}) for j in junk if j.kind == "junk" and j.label.endswith("*")]
    before = _snapshot() if refused_posts else None
    for sample, data in refused_posts:
        status, where = answer("POST", sample, data)
        expect(where, status, _expected_post(rule, scope, sample, may_write))
    after = _snapshot() if refused_posts else None
    if after != before:
        urls = [_url(route, s.kwargs, s.query) for s, _ in refused_posts]
        problems.append(f"refused POSTs as {account} wrote something ({before} -> {after}): {urls}")
    for sample, data, valid in allowed_posts:
        before = _snapshot()
        status, where = answer("POST", sample, data)
        expect(where, status, set(rule.post_ok))
        if valid and rule.valid_post_writes:
            if status != 302:
                problems.append(f"{where}: a valid POST answered {status}, expected 302")
            elif _snapshot() == before:
                problems.append(f"{where}: a valid POST wrote nothing")
    return problems


def _pick(samples: list[Sample], name: str, account: str) -> list[Sample]:
    """The samples this account asks: one in its area and one outside, chosen in rotation
    (FULL_ACCOUNTS: every one in the area and two outside)."""
    full = account in FULL_ACCOUNTS
    ins = [s for s in samples if s.kind == "in"]
    outs = [s for s in samples if s.kind == "out"]
    start = zlib.crc32(f"{name}|{account}".encode())
    outs = [outs[(start + i) % len(outs)] for i in range(min(len(outs), 2 if full else 1))]
    if not full and ins:
        ins = [ins[start % len(ins)]]
    if account == ANONYMOUS:
        return (ins + outs)[:1]
    return ins + outs


def _expected_get(rule: Rule, scope: Scope, sample: Sample, may_read: bool) -> set[int]:
    if scope.user is None and rule.anon != "public":
        # 404 only where no pattern matches (a non-digit int argument).
        return {302, 404} if sample.kind == "junk" else {302}
    if sample.kind == "junk":
        allowed = {404}
        if rule.read == POST_ONLY:
            allowed.add(405)
        if not may_read:
            allowed |= set(rule.get_denied)
        return allowed
    if rule.read == POST_ONLY:
        return {405}
    if sample.kind == "out":
        # The asset of a mismatched sample is the account's own: a reader may be refused first.
        partly_in = rule.role_first or sample.label == "mismatched"
        return {404} | ({403} if partly_in and not may_read else set())
    return set(rule.get_ok) if may_read else set(rule.get_denied)


def _expected_post(rule: Rule, scope: Scope, sample: Sample, may_write: bool) -> set[int]:
    if scope.user is None and rule.write != PUBLIC:
        return {302, 404} if sample.kind == "junk" else {302}
    if sample.kind == "junk":
        return {404} | ({403} if not may_write else set())
    if sample.kind == "out":
        partly_in = rule.role_first or sample.label == "mismatched"
        return set(rule.post_out) | ({403} if partly_in and not may_write else set())
    return {403}


def _report(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)
