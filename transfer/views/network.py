"""The network gap table (gis.gaps) as a file: Excel (the ledger sheet with a total of the km to
harden, and the statement sheet), CSV or a GeoPackage (one layer, 网络缺口, the places' points),
filtered and ordered exactly as the gaps view lists it and limited to the user's area; more rows
than a request should wait for are written by the background worker."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from gis import gaps
from registry.views.base import acting_user, bad_filters
from transfer import services
from transfer.gaps import gap_file
from transfer.views.exports import _download

GAP_FORMATS = {"xlsx", "csv", "gpkg"}


@require_GET
def gap_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The gap table as a file, with the gaps view's filters and order (its query string)."""
    if fmt not in GAP_FORMATS:
        raise Http404
    user = acting_user(request)
    query = gaps.with_default_gap(request.GET)
    filterset = gaps.gap_filterset(user=user, filters=query)
    if not filterset.is_valid():
        return bad_filters(filterset)
    rows = filterset.qs.count()
    if rows > settings.EXPORT_INLINE_MAX_ROWS:
        job = services.export_start(
            actor=user,
            fmt=fmt,
            history=False,
            rows_total=rows,
            params=[[k, v] for k, v in query.lists()],
            ledger=gaps.GAPS.key,
        )
        return redirect("transfer:export_detail", pk=job.pk)
    return _download(gap_file(user, query, fmt), fmt)
