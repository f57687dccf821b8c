"""The record lists (ownership, maintenance, income, distributions, disposals): filtered,
paged, scoped to the user's area, with the same exports as the asset list."""

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404
from django.views.generic import TemplateView

from registry.ledgers import LISTS, label
from registry.views.base import acting_user

RECORD_EXPORT_FORMATS = [("xlsx", "Excel"), ("csv", "CSV")]


class RecordListView(TemplateView):
    template_name = "registry/record_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        spec = LISTS.get(kwargs["kind"])
        if spec is None:
            raise Http404
        user = acting_user(self.request)
        filterset = spec.filterset(self.request.GET, user)
        qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        page = Paginator(spec.rows(qs), self.paginate_by).get_page(self.request.GET.get("page"))
        rows = [
            [
                (column, label(column, value))
                for column, value in zip(spec.columns, row, strict=True)
            ]
            for row in page
        ]
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            spec=spec,
            lists=LISTS.values(),
            filterset=filterset,
            page_obj=page,
            rows=rows,
            query=query.urlencode(),
            export_formats=RECORD_EXPORT_FORMATS,
        )
        return context
