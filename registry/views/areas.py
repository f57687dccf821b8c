"""Pages of the registry. Views talk HTTP; reads go through registry.selectors."""

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404
from django.views.generic import TemplateView

from registry import selectors
from registry.choices import AssetClass
from registry.demo import SOURCE_LABELS
from registry.filtersets import AdminAreaFilterSet


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
    """One area: its codes and kind, its parent, the areas below it with their assets counted
    and valued, and a small map of the area among its neighbours.

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
        # Ordered here: a grouped query drops the model's default ordering.
        children = list(selectors.area_children(user=user, area=area).order_by("code"))
        summary = selectors.area_asset_summary(user=user, area=area)
        context["children"] = [
            (child, _asset_row(summary["by_code"].get(child.scope_prefix))) for child in children
        ]
        context["grandchildren"] = any(child.n_children for child in children)  # type: ignore[attr-defined]
        context["own_assets"] = _asset_row(summary["own"]) if summary["own"] else None
        context["asset_total"] = _asset_row(summary["total"])
        context["asset_classes"] = [label for _, label in AssetClass.choices]
        context["sources"] = source_labels(area.source)
        context["surroundings"] = selectors.area_surroundings(user=user, area=area)
        return context


def _asset_row(row: dict[str, Any] | None) -> dict[str, Any]:
    """One line of the asset table: count, original value and the count of each class."""
    row = row or {}
    return {
        "n": row.get("n", 0),
        "value": row.get("value") or 0,
        "classes": [(label, row.get(f"n_{value}", 0)) for value, label in AssetClass.choices],
    }


def source_labels(source: str) -> list[str]:
    """An area's stored source as its reader's language says it: the demo loader's known texts
    are translated, anything else (a county's own data) is shown as stored."""
    if not source:
        return []
    text = source
    parts: list[tuple[int, str]] = []
    for stored, label in SOURCE_LABELS.items():
        at = text.find(stored)
        if at >= 0:
            parts.append((at, str(label)))
            text = text.replace(stored, "\0" * len(stored))
    rest = [p.strip(" ;") for p in text.split("\0") if p.strip(" ;")]
    return [label for _, label in sorted(parts)] + rest
