"""An export as a file: the format's writer, its statement, its name; zipped Shapefiles."""

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.db.models import (
    Func,
    IntegerField,
    Q,
    QuerySet,
)
from django.utils import timezone

from registry.models import Asset
from transfer.exporters.base import COLUMNS, Progress, _Ticker
from transfer.exporters.tables import write_csv, write_xlsx
from transfer.exporters.vectors import write_geojson, write_vector


def meta_for(user: Any, query: Any, filterset: Any) -> dict[str, str]:
    """What the statement sheet says about an export: when, who, with which filters."""
    from urllib.parse import urlencode

    used = {k: v for k, v in query.items() if v and k in filterset.filters}
    return {
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S %Z"),
        "user": f"{user.get_username()} ({getattr(user, 'role', '')})",
        "filters": urlencode(used),
    }


def export(
    assets: QuerySet[Asset],
    fmt: str,
    *,
    meta: dict[str, str],
    history: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write ``assets`` in format ``fmt`` to a temporary file and return its path;
    ``progress`` hears the number of rows written so far, batch by batch."""
    ticker = _Ticker(progress)
    folder = Path(tempfile.mkdtemp(prefix="atlas-export-"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        path = folder / f"assets-{stamp}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            write_csv(assets, fh)
    elif fmt == "xlsx":
        path = folder / f"assets-{stamp}.xlsx"
        write_xlsx(assets, path, meta=meta, history=history, ticker=ticker)
    elif fmt == "geojson":
        path = folder / f"assets-{stamp}.geojson"
        with open(path, "w", encoding="utf-8") as fh:
            write_geojson(assets, fh, ticker)
    elif fmt == "gpkg":
        path = folder / f"assets-{stamp}.gpkg"
        write_vector(assets, path, driver="GPKG", ticker=ticker)
    elif fmt == "shp":
        # A Shapefile holds one geometry type: points (and assets without geometry), lines and
        # polygons go to three files, with the field-name mapping beside them.
        shp_dir = folder / "shp"
        shp_dir.mkdir()
        dimension = Func("geom", function="ST_Dimension", output_field=IntegerField())
        parts = {
            "assets_points": assets.annotate(dim=dimension).filter(Q(dim=0) | Q(geom__isnull=True)),
            "assets_lines": assets.annotate(dim=dimension).filter(dim=1),
            "assets_polygons": assets.annotate(dim=dimension).filter(dim=2),
        }
        for name, part in parts.items():
            if part.exists():
                write_vector(part, shp_dir / f"{name}.shp", driver="ESRI Shapefile", ticker=ticker)
        path = folder / f"assets-{stamp}-shp.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part_file in sorted(shp_dir.iterdir()):
                archive.write(part_file, part_file.name)
            archive.writestr("FIELDS.txt", "\n".join(f"{c.shp}\t{c.header}" for c in COLUMNS))
    else:
        raise ValueError(fmt)
    return path
