"""The project layer: every project of the libraries (一库一单) with a place, drawn from its
stored Web Mercator geometry with its stage, stage group, library year and dimension; clusters
below zoom 14 counted by stage group. Scoped like the library (a project is seen by everyone
whose area holds one of the areas it touches) and filtered by the library's FilterSet.

Below zoom 14 a county-wide view (a county user's) sums precomputed cells (gis.models
.ProjectCell, keyed by county, stage, library year and category and kept in step by statement
triggers, migration atlas_gis 0010): aggregating 50,000 projects on the fly took 220 ms for the
county's tile. A township or village user's projects (those touching their area, a few
thousand at most) are aggregated on the fly, as are filters the cells are not keyed by.
Cached tiles are keyed by the same z12 region versions as the assets' (gis.tiles.assets
.data_version): statement triggers on the project table raise the regions every changed
project covers (migration atlas_gis 0009), so a changed project shows on the next request.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gis.functions import Dimension
from gis.models import ProjectCell
from gis.tiles.assets import data_version
from gis.tiles.engine import TileLayer
from registry import selectors
from registry.choices import ProjectStatus
from registry.filtersets import ProjectFilterSet

# The stages a map reader tells apart, each a colour in the legend (map.js STAGE_COLOURS), in
# the order of a project's life; every ProjectStatus is in exactly one group.
STAGE_GROUPS: dict[str, tuple[Promise, tuple[str, ...]]] = {
    "proposed": (
        _("Proposed, under review"),
        (ProjectStatus.PROPOSED, ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.APPRAISED),
    ),
    "library": (
        _("In the library or the year's plan"),
        (ProjectStatus.IN_LIBRARY, ProjectStatus.PLANNED),
    ),
    "building": (_("Under construction"), (ProjectStatus.IN_PROGRESS,)),
    "completed": (_("Completed or accepted"), (ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED)),
    "handed_over": (
        _("Handed over, evaluated or archived"),
        (ProjectStatus.HANDED_OVER, ProjectStatus.EVALUATED, ProjectStatus.ARCHIVED),
    ),
    "closed": (_("Withdrawn or not approved"), (ProjectStatus.WITHDRAWN, ProjectStatus.REJECTED)),
}


def stage_group(status: str) -> str:
    """The stage group of a project status."""
    return next(key for key, (_label, statuses) in STAGE_GROUPS.items() if status in statuses)


def projects_for(user: Any, filters: Any) -> QuerySet[Any]:
    """The projects the user may see, without the library list's funding sums (a GROUP BY
    that a tile does not need)."""
    return selectors.project_scope(user=user).filter(geom__isnull=False)


# The filters the cells are keyed by (ProjectFilterSet's names and the cells' columns).
CELL_FILTERS = frozenset({"status", "year", "category"})


def project_cells(prefix: str, filters: Mapping[str, Any]) -> QuerySet[Any] | None:
    """The cells of a county-wide view (scope prefix '' or a county's six digits) narrowed by
    the stage (a list of them), the library year and the category; None for a narrower scope
    or other filters, which the engine then aggregates from the projects themselves."""
    if len(prefix) not in (0, 6) or not set(filters) <= CELL_FILTERS:
        return None
    year = filters.get("year")
    if year is not None and Decimal(year) != int(year):
        return None  # a year like 2024.5 matches no project, and no cell either way
    cells = ProjectCell.objects.all()
    if prefix:
        cells = cells.filter(county_code=prefix)
    if filters.get("status"):
        cells = cells.filter(status__in=list(filters["status"]))
    if year is not None:
        cells = cells.filter(year=int(year))
    if filters.get("category"):
        cells = cells.filter(category=filters["category"])
    return cells


def rebuild_project_cells() -> None:
    """Recount every project cell from the project table, after loads that bypass the
    triggers (COPY with triggers off); the caller raises the tile version as after such a
    load of assets."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT atlas_project_cells_rebuild()")


PROJECTS = TileLayer(
    name="projects",
    queryset=projects_for,
    geometry="geom_3857",
    attributes={
        "s": "status",
        "g": Case(
            *(
                When(status__in=statuses, then=Value(key))
                for key, (_label, statuses) in STAGE_GROUPS.items()
            ),
            output_field=CharField(),
        ),
        "y": "year",
        "d": Dimension("geom_3857"),
    },
    filterset=ProjectFilterSet,
    feature_min_zoom=14,
    cluster_counts={
        f"n_{key}": Q(status__in=statuses) for key, (_label, statuses) in STAGE_GROUPS.items()
    },
    version=data_version,
    scoped_cells=project_cells,
)
