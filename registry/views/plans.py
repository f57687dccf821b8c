"""The year's implementation plan (年度实施计划) and the county's task list (任务清单): the
projects the year funds with their totals, the share of central bridging funds going to
industry against the 60 % aim, the library projects still waiting for a year, and the tasks."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.views.generic import TemplateView

from registry import selectors
from registry.choices import AreaLevel, ProjectStatus
from registry.errors import bilingual
from registry.forms.projects import TaskForm
from registry.models import AdminArea, TaskListItem
from registry.scoping import can_edit
from registry.services import projects as services
from registry.views.base import (
    ALREADY_SAVED,
    acting_user,
    apply_service_errors,
    first_submission,
    submission_token,
)

FIRST_YEAR, LAST_YEAR = 2013, 2100  # the years a plan page answers (others: 404)
COUNTY_KEEPS_TASKS = gettext_noop("The county keeps its task list.")


def county_of(user: Any) -> AdminArea | None:
    """The county the user works in (a superuser without an area: the first county)."""
    top = selectors.area_top(user=user)
    if top is None:
        return None
    if top.level == AreaLevel.COUNTY:
        return top
    return AdminArea.objects.filter(level=AreaLevel.COUNTY, county_code=top.county_code).first()


def may_keep_tasks(user: Any, county: AdminArea | None) -> bool:
    return county is not None and can_edit(user, county.code)


class PlanYearView(TemplateView):
    """One year's plan: its projects (in the user's area) with planned and actual totals, the
    county's industry share of central bridging funds, the library projects not yet in a plan,
    and the year's task list."""

    template_name = "registry/projects/plan_year.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        year = self.kwargs["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Http404
        user = self.request.user
        projects = list(
            selectors.project_list(user=user)
            .select_related("task")  # each row names its task-list item
            .filter(plan_year=year, status__in=selectors.PLANNED_OR_LATER)
            .defer("geom", "geom_3857")
            .order_by("category", "code")
        )
        waiting = list(
            selectors.project_list(user=user)
            .filter(status=ProjectStatus.IN_LIBRARY, year__lte=year)
            .order_by("year", "code")[:50]
        )
        county = county_of(user)
        tasks: list[TaskListItem] = []
        share = None
        if county is not None:
            tasks = list(
                TaskListItem.objects.filter(county_code=county.county_code, year=year)
                .annotate(n_projects=Count("projects"))
                .order_by("id")
            )
            share = selectors.industry_share(county_code=county.county_code, year=year)
        planned = sum((p.planned_total for p in projects), Decimal(0))
        actual = sum((p.actual_total or Decimal(0) for p in projects), Decimal(0))
        context.update(
            year=year,
            years=[y for y in (year - 1, year + 1) if FIRST_YEAR <= y <= LAST_YEAR],
            projects=projects,
            planned=planned,
            actual=actual,
            waiting=waiting,
            share=share,
            share_met=share is not None
            and share["share"] is not None
            and share["share"] >= share["aim"],
            county=county,
            tasks=tasks,
            may_keep_tasks=may_keep_tasks(user, county),
            waiting_rows=[(p, bool(services.project_can(user, p).get("plan"))) for p in waiting],
        )
        return context


class TaskFormView(TemplateView):
    """Add a task to the county's task list, or correct one (its progress too)."""

    template_name = "registry/projects/task_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.task: TaskListItem | None = None
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.county = county_of(request.user)
        if "pk" in kwargs:
            county_code = self.county.county_code if self.county else None
            self.task = TaskListItem.objects.filter(
                pk=kwargs["pk"], county_code=county_code
            ).first()
            if self.task is None:
                raise Http404
        if not may_keep_tasks(request.user, self.county):
            raise PermissionDenied(bilingual(COUNTY_KEEPS_TASKS))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year = request.GET.get("year", "")
        plain = year.isascii() and year.isdigit() and len(year) == 4  # not "²⁰²⁶"
        initial = {"year": int(year) if plain else None}
        if initial["year"] is None:
            initial["year"] = timezone.localdate().year
        form = TaskForm(instance=self.task, initial=initial if self.task is None else {})
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(task=self.task, submission_token=submission_token(self.request))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = TaskForm(request.POST, instance=self.task)
        if form.is_valid():
            actor = acting_user(request)
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            assert self.county is not None  # may_keep_tasks
            try:
                with first_submission(request, actor) as first:
                    if not first:
                        messages.info(request, ALREADY_SAVED)
                        return redirect("registry:plan_year", year=values["year"])
                    if self.task is None:
                        saved = services.task_create(
                            actor=actor, county_code=self.county.county_code, values=values
                        )
                    else:
                        saved = services.task_update(actor=actor, task=self.task, values=values)
                messages.success(request, gettext("Task saved."))
                return redirect("registry:plan_year", year=saved.year)
            except ValidationError as exc:
                apply_service_errors(form, exc)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def current_plan(request: HttpRequest) -> HttpResponse:
    """The plan of the current year."""
    return redirect("registry:plan_year", year=timezone.localdate().year)
