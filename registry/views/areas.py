"""Pages of the registry. Views talk HTTP; reads go through registry.selectors."""

import json
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404
from django.views.generic import TemplateView

from registry import selectors
from registry.filtersets import AdminAreaFilterSet
from registry.models import AdminArea


class AdminAreaListView(TemplateView):
    """The area tree of the user's scope; with a search, the matching areas as a flat list."""

    template_name = "registry/area_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = AdminAreaFilterSet(
            self.request.GET or None, queryset=selectors.area_list(user=user)
        )
        context["filterset"] = filterset
        searching = filterset.is_bound and any(self.request.GET.get(k) for k in ("q", "level"))
        context["searching"] = searching
        if searching:
            page = Paginator(filterset.qs, self.paginate_by).get_page(self.request.GET.get("page"))
            context["page_obj"] = page
        else:
            context["root"], context["branches"] = selectors.area_tree(user=user)
        return context


class AdminAreaDetailView(TemplateView):
    """One area: its codes and kind, its parent and children, and where it lies on the map.

    An area outside the user's scope answers 404, exactly like one that does not exist, so that
    its name cannot leak.
    """

    template_name = "registry/area_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        area = selectors.area_get(user=user, code=self.kwargs["code"])
        if area is None:
            raise Http404
        context["area"] = area
        context["parent_visible"] = (
            area.parent is not None
            and selectors.area_get(user=user, code=area.parent.code) is not None
        )
        context["children"] = selectors.area_children(user=user, area=area)
        context["geometry"] = _geometry_json(area)
        return context


def _geometry_json(area: AdminArea) -> dict[str, Any] | None:
    """The area's boundary (or point) as an RFC 7946 geometry for the page's small map."""
    geom = area.boundary or area.point
    if geom is None:
        return None
    geometry: dict[str, Any] = json.loads(geom.transform(4326, clone=True).geojson)
    return geometry
