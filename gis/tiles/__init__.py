"""Vector tiles: the engine (``gis.tiles.engine``) and one module per declared layer. A new
layer is a ``TileLayer`` declaration in its own module, added to ``LAYERS``; the tile URL, the
cache and the map page's layer list come from there."""

from gis.tiles.assets import ASSETS, data_version, rebuild_cells
from gis.tiles.engine import (
    EXTENT,
    CellTable,
    TileLayer,
    TileRequest,
    aggregate_tile,
    cells_tile,
    envelope,
    features_tile,
    render,
    summed_cells_tile,
)
from gis.tiles.network import NETWORK
from gis.tiles.places import PLACES
from gis.tiles.projects import PROJECTS, rebuild_project_cells
from gis.tiles.sites import SITES

LAYERS: dict[str, TileLayer] = {
    layer.name: layer for layer in (ASSETS, PROJECTS, NETWORK, SITES, PLACES)
}

# The asset layer's zoom from which features replace clusters (the map page and tests read it).
RAW_MIN_ZOOM = ASSETS.feature_min_zoom

__all__ = [
    "ASSETS",
    "EXTENT",
    "LAYERS",
    "NETWORK",
    "PLACES",
    "PROJECTS",
    "RAW_MIN_ZOOM",
    "SITES",
    "CellTable",
    "TileLayer",
    "TileRequest",
    "aggregate_tile",
    "cells_tile",
    "data_version",
    "envelope",
    "features_tile",
    "rebuild_cells",
    "rebuild_project_cells",
    "render",
    "summed_cells_tile",
]
