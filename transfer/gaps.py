"""The network gap table (gis.gaps) as a file, for the gaps view's export buttons and for the
background worker (transfer.jobs) when the table is long."""

from pathlib import Path
from typing import Any

from gis import gaps
from transfer import exporters


def gap_file(user: Any, query: Any, fmt: str) -> Path:
    """Write the gap table that ``user`` sees with the filters and order of ``query`` (a
    QueryDict: the gaps view's, or a job's) as Excel, CSV or a GeoPackage (one layer named
    gis.gaps.GAPS_LAYER, the places' points in EPSG:4490)."""
    filterset = gaps.gap_filterset(user=user, filters=query)
    if not filterset.is_valid():
        raise ValueError(filterset.errors)
    meta = exporters.meta_for(user, query, filterset)
    spec = gaps.gaps_ledger(query.get("order", "code"))
    places = gaps.gaps_for_export(filterset.qs)
    return exporters.export_ledger(spec, places, fmt, meta=meta, layer=gaps.GAPS_LAYER)
