"""GeoJSON (RFC 7946) feature collections built in PostGIS.

PostGIS writes each geometry (``ST_AsGeoJSON``, transformed from CGCS2000 to the WGS84 numbers
RFC 7946 requires) and Python only joins the strings: no geometry is parsed in Python, so a
layer costs one query. Large layers are vector tiles (gis.tiles), not GeoJSON.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import QuerySet
from django.http import HttpResponse

# Six decimals of a degree are about 0.1 m: finer than any boundary we hold.
PRECISION = 6


def with_geojson(qs: QuerySet[Any], geom_field: str) -> QuerySet[Any]:
    return qs.annotate(geojson=AsGeoJSON(Transform(geom_field, 4326), precision=PRECISION))


def feature_collection(
    rows: Iterable[Any], properties: Callable[[Any], dict[str, Any]]
) -> Iterator[str]:
    """Yield a FeatureCollection's text; ``rows`` carry a ``geojson`` annotation."""
    yield '{"type":"FeatureCollection","features":['
    first = True
    for row in rows:
        if row.geojson is None:
            continue
        props = json.dumps(properties(row), ensure_ascii=False)
        yield ("" if first else ",") + (
            f'{{"type":"Feature","id":{json.dumps(str(row.pk))},'
            f'"geometry":{row.geojson},"properties":{props}}}'
        )
        first = False
    yield "]}"


def geojson_response(chunks: Iterator[str]) -> HttpResponse:
    # Built whole before sending: these layers are small (hundreds of features), and an error
    # must come out as an error, not as a truncated 200.
    response = HttpResponse("".join(chunks), content_type="application/geo+json")
    response["Cache-Control"] = "private, no-cache"
    return response
