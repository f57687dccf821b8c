"""The county's project library (一库一单): the list, one project's page, the township's and the
county's review queue, proposals and the steps of a project's life, and the printable 公示
sheets of the township and of the library. Each write is one service of
registry.services.projects, run once per form submission."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from registry import selectors
from registry.choices import (
    AreaLevel,
    BenefitLink,
    NeedCategory,
    NeedStatus,
    ProjectCategory,
    ProjectStatus,
    ProjectStepKind,
)
from registry.errors import ConflictError, bilingual
from registry.filtersets import ProjectFilterSet
from registry.forms.projects import (
    CHECK_LABELS,
    AcceptForm,
    AdjustForm,
    CompleteForm,
    EvaluateForm,
    HandoverForm,
    NoteForm,
    PlanForm,
    ProjectForm,
    ReasonForm,
    ReviewForm,
    StartForm,
    StepFileForm,
)
from registry.models import (
    AdminArea,
    ConstructionNeed,
    FundSource,
    FundUse,
    IncomeRecord,
    Project,
    ProjectFile,
    ProjectStep,
    User,
)
from registry.scoping import APPROVER_ROLES, EDITOR_ROLES, can_edit, scope_level, scope_prefix
from registry.services import projects as services
from registry.views.base import (
    ALREADY_SAVED,
    acting_user,
    apply_service_errors,
    draw_data,
    first_submission,
    geojson,
    submission_token,
)

NO_RIGHT = gettext_noop("You may not take this step on this project.")


def _label(choices: Any, value: str) -> str:
    """A stored code as its reader's words (an unknown code stays as stored)."""
    return str(choices(value).label) if value in choices.values else value


# --- the base of every form page ---------------------------------------------------------------


class RecordActionView(FormView):
    """A form page that performs one service on one need or project, once per submission
    (its token), then goes back to the record's page saying what happened."""

    template_name = "registry/projects/action.html"
    title: Any = ""
    intro: Any = ""
    success_message: Any = _("Saved.")
    multipart = False
    record: Any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # the login middleware's
        self.record = self.get_record()
        if not self.allowed():
            raise PermissionDenied(bilingual(self.refusal()))
        return super().dispatch(request, *args, **kwargs)

    @property
    def actor(self) -> User:
        return acting_user(self.request)

    def get_record(self) -> Any:
        raise NotImplementedError

    def allowed(self) -> bool:
        raise NotImplementedError

    def refusal(self) -> str:
        return NO_RIGHT

    def record_url(self) -> str:
        raise NotImplementedError

    def perform(self, form: Any) -> Any:
        raise NotImplementedError

    def success(self, result: Any) -> str:
        return str(self.success_message)

    def redirect_to(self, result: Any) -> str:
        return self.record_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            record=self.record,
            title=self.title,
            intro=self.intro,
            multipart=self.multipart,
            back_url=self.record_url(),
            submission_token=submission_token(self.request),
        )
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400  # the page is the same; the status tells scripts
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            with first_submission(self.request, self.actor) as first:
                if not first:
                    messages.info(self.request, ALREADY_SAVED)
                    return redirect(self.record_url())
                result = self.perform(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success(result))
        return redirect(self.redirect_to(result))


def project_or_404(request: HttpRequest, code: str) -> Project:
    project = selectors.project_get(user=request.user, code=code)
    if project is None:
        raise Http404
    return project


# --- the library -------------------------------------------------------------------------------


def stage_choices() -> list[tuple[str, str]]:
    return [(s.value, str(s.label)) for s in ProjectStatus]


class ProjectListView(TemplateView):
    """The county library: the projects in the user's area, filtered (stage, years, category,
    libraries, area, text), counted by stage, paged; a fixed number of queries."""

    template_name = "registry/projects/project_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = selectors.project_filterset(user=user, filters=self.request.GET)
        paginator = Paginator(Project.objects.none(), self.paginate_by)
        stages: list[dict[str, Any]] = []
        total_planned = Decimal(0)
        chosen: list[str] = []
        if filterset.is_valid():
            rows_qs = filterset.qs.defer("geom", "geom_3857").order_by("-year", "code")
            paginator = Paginator(rows_qs, self.paginate_by)
            chosen = list(filterset.form.cleaned_data.get("status") or [])
            # Counted over the same filters but every stage, so that each count is a way in.
            others = self.request.GET.copy()
            others.pop("status", None)
            unstaged = ProjectFilterSet(others, queryset=selectors.project_scope(user=user))
            rows = (
                unstaged.qs.order_by()
                .values("status")
                .annotate(n=Count("id", distinct=True), planned=Sum("funding__planned"))
                if unstaged.is_valid()
                else []
            )
            by_status = {row["status"]: row for row in rows}
            query = others.copy()
            query.pop("page", None)
            for status in ProjectStatus:
                row = by_status.get(status.value)
                if row is None:
                    continue
                query["status"] = status.value
                stages.append(
                    {
                        "status": status.value,
                        "label": status.label,
                        "n": row["n"],
                        "url": "?" + query.urlencode(),
                        "current": chosen == [status.value],
                    }
                )
                if not chosen or status.value in chosen:
                    total_planned += row["planned"] or Decimal(0)
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        unstaged_query = query.copy()
        unstaged_query.pop("status", None)
        context.update(
            filterset=filterset,
            page_obj=page,
            query=query.urlencode(),
            all_stages_url="?" + unstaged_query.urlencode(),
            stages=stages,
            stage_choices=stage_choices(),
            chosen_stage=chosen[0] if len(chosen) == 1 else "",
            total_planned=total_planned,
            active_filters=sum(1 for k, v in query.lists() if k in filterset.filters and any(v)),
            map_url=reverse("gis:map") + "?" + _map_query(query),
            can_propose=_may_propose(user),
            this_year=timezone.localdate().year,
        )
        return context


def _map_query(query: Any) -> str:
    """The library's filters for the map's project layer (the map reads ``layer``)."""
    params = query.copy()
    params["layer"] = "projects"
    return str(params.urlencode())


def _may_propose(user: Any) -> bool:
    """Townships and the county propose projects; a village sends its needs up."""
    top = selectors.area_top(user=user)
    return (
        top is not None
        and can_edit(user, top.code)
        and scope_level(user) in (AreaLevel.TOWNSHIP, AreaLevel.COUNTY)
    )


# --- one project -------------------------------------------------------------------------------


@dataclass
class StepRecord:
    """One step of a project's timeline as its page words it."""

    step: ProjectStep
    label: str
    actor: str
    from_label: str
    to_label: str
    refused: bool
    lines: list[str] = field(default_factory=list)
    asset_codes: list[str] = field(default_factory=list)


def _yes_no(value: Any) -> str:
    return gettext("yes") if value else gettext("no")


def _checks_words(checks: dict[str, Any]) -> str:
    # In the order the review forms ask them (a stored JSON object keeps no order).
    known = [name for name in CHECK_LABELS if name in checks]
    return "；".join(
        [f"{CHECK_LABELS[name]}：{_yes_no(checks[name])}" for name in known]
        + [f"{name}：{_yes_no(v)}" for name, v in checks.items() if name not in CHECK_LABELS]
    )


def _change_label(key: str, sources: dict[str, str]) -> str:
    if key.startswith("funding:"):
        code = key.split(":", 1)[1]
        return gettext("planned from %(source)s") % {"source": sources.get(code, code)}
    if key.startswith("target:"):
        return gettext("target %(indicator)s") % {"indicator": key.split(":", 1)[1]}
    try:
        return str(Project._meta.get_field(key).verbose_name)  # type: ignore[union-attr]
    except Exception:  # a field since removed: its stored name
        return key


def _plain_value(key: str, value: Any, uses: dict[str, str]) -> str:
    if value in (None, "", []):
        return "—"
    if key == "fund_uses" and isinstance(value, list):
        return "、".join(uses.get(v) or v for v in value)
    return str(value)


def step_records(
    steps: list[ProjectStep], *, sources: dict[str, str], uses: dict[str, str]
) -> list[StepRecord]:
    """The project's steps in words: who by name, labels not codes, the review's checks, dates,
    what an adjustment changed, which assets the handover formed."""
    records = []
    for step in steps:
        details = step.details or {}
        lines: list[str] = []
        if "checks" in details:
            lines.append(
                gettext("Checks: %(checks)s") % {"checks": _checks_words(details["checks"])}
            )
        if step.kind == ProjectStepKind.REJECT and details.get("step"):
            lines.append(
                gettext("Refused at: %(step)s") % {"step": _label(ProjectStepKind, details["step"])}
            )
        if details.get("needs"):
            lines.append(gettext("Needs merged: %(n)s") % {"n": len(details["needs"])})
        dated = {
            "year": gettext("Plan year: %(value)s"),
            "started_on": gettext("Started on %(value)s"),
            "completed_on": gettext("Completed on %(value)s"),
            "accepted_on": gettext("Accepted on %(value)s"),
            "handed_on": gettext("Handed over on %(value)s"),
        }
        for key, words in dated.items():
            if key in details:
                lines.append(words % {"value": details[key]})
        if "from_year" in details:
            lines.append(
                gettext("From the %(from)s library to the %(to)s library")
                % {"from": details["from_year"], "to": details.get("to_year", "")}
            )
        for indicator, actual in (details.get("actuals") or {}).items():
            lines.append(
                gettext("%(indicator)s: actual %(actual)s")
                % {"indicator": indicator, "actual": actual}
            )
        before, after = details.get("before") or {}, details.get("after") or {}
        for key, value in after.items():
            old, new = _plain_value(key, before.get(key), uses), _plain_value(key, value, uses)
            lines.append(f"{_change_label(key, sources)}：{old} → {new}")
        actor = step.actor
        records.append(
            StepRecord(
                step=step,
                label=_label(ProjectStepKind, step.kind),
                actor=actor.get_full_name() or actor.username,
                from_label=_label(ProjectStatus, step.from_status) if step.from_status else "",
                to_label=_label(ProjectStatus, step.to_status),
                refused=step.kind == ProjectStepKind.REJECT,
                lines=lines,
                asset_codes=list(details.get("assets") or []),
            )
        )
    return records


# The buttons of a project's page, in the order of its life.
STEP_BUTTONS = [
    ("township_review", _("Township review")),
    ("appraise", _("County appraisal")),
    ("approve", _("Approve into the library")),
    ("plan", _("Put in the year's plan")),
    ("start", _("Record the start of works")),
    ("complete", _("Record completion and actual costs")),
    ("accept", _("Record acceptance")),
    ("hand_over", _("Hand over as assets")),
    ("evaluate", _("Evaluate performance")),
    ("archive", _("Archive")),
    ("adjust", _("Adjust")),
    ("carry_over", _("Carry over to next year")),
    ("withdraw", _("Withdraw from the library")),
]


def step_url(project: Project, step: str) -> str:
    if step == "township_review":
        return reverse("registry:project_review", args=[project.code])
    return reverse("registry:project_step", args=[project.code, step])


class ProjectDetailView(TemplateView):
    """One project: particulars, a small map, funding planned and actual, targets and actuals,
    the needs it answers, its steps in words, the assets it formed (owner, maintainer, income)
    and the steps the user may take now; a fixed number of queries whatever its size."""

    template_name = "registry/projects/project_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        project = project_or_404(self.request, self.kwargs["code"])
        detail = selectors.project_detail(user=user, project=project)
        assets = detail["assets"]
        income = dict(
            IncomeRecord.objects.filter(asset__in=[a.pk for a in assets])
            .order_by()
            .values("asset")
            .annotate(net_total=Sum(F("gross") - F("costs")))
            .values_list("asset", "net_total")
        )
        for asset in assets:
            asset.income_net = income.get(asset.pk)
        areas = list(
            AdminArea.objects.filter(code__in=project.area_codes or [project.area_code])
            .order_by("code")
            .only("code", "name")
        )
        # Both small tables whole, one query each whatever the project holds: the uses and
        # sources its adjustments name may differ from those it has now.
        uses = {u.code: u for u in FundUse.objects.order_by("active", "year_from")}  # newest wins
        sources = dict(FundSource.objects.values_list("code", "name"))
        # As the assets it formed: only the needs of the user's area (a need of another village
        # it touches is not theirs to read; its link would answer 404).
        prefix = scope_prefix(user)
        detail["needs"] = [
            n for n in detail["needs"] if prefix is not None and n.area_code.startswith(prefix)
        ]
        can = services.project_can(user, project)
        buttons = [
            (step, label, step_url(project, step)) for step, label in STEP_BUTTONS if can.get(step)
        ]
        negative = {
            u.code for u in uses.values() if u.kind == "negative"
        }  # shown flagged: bridging funds may not pay for them
        context.update(
            project=project,
            **detail,
            areas=areas,
            fund_uses=[
                (uses[c].name if c in uses else c, c in negative) for c in project.fund_uses
            ],
            benefit_links=[BenefitLink(v).label for v in project.benefit_links if v in BenefitLink],
            timeline=step_records(
                detail["steps"], sources=sources, uses={c: u.name for c, u in uses.items()}
            ),
            buttons=buttons,
            can_edit=can.get("edit", False),
            geometry=geojson(project.geom),
            outline=selectors.area_surroundings(user=user, area=project.area),
            files=list(project.files.order_by("-uploaded_at")[:20]),
        )
        return context


# --- proposals ---------------------------------------------------------------------------------


NEED_TO_PROJECT = {NeedCategory.INDUSTRY: ProjectCategory.INDUSTRY}


class ProjectFormView(TemplateView):
    """Propose a project (申报), merging the accepted needs it answers; or correct a proposal
    before the county has appraised it."""

    template_name = "registry/projects/project_form.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.project: Project | None = None
        self.needs: list[ConstructionNeed] = []

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        code = kwargs.get("code")
        if code is not None:
            self.project = project_or_404(request, code)
            if not services.project_can(request.user, self.project).get("edit"):
                raise PermissionDenied(
                    bilingual(
                        gettext_noop(
                            "Only a proposal not yet appraised is corrected here; afterwards"
                            " it changes through a recorded adjustment."
                        )
                    )
                )
        elif not _may_propose(request.user):
            raise PermissionDenied(
                bilingual(gettext_noop("Townships and the county propose projects."))
            )
        else:
            self.needs = self._needs(request)
        return super().dispatch(request, *args, **kwargs)

    def _needs(self, request: HttpRequest) -> list[ConstructionNeed]:
        source = request.POST if request.method == "POST" else request.GET
        # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
        wanted = [
            int(v) for v in source.getlist("need") if v.isascii() and v.isdigit() and len(v) < 10
        ]
        if not wanted:
            return []
        return list(
            selectors.need_list(user=request.user)
            .filter(pk__in=wanted, status=NeedStatus.ACCEPTED)
            .order_by("area_code", "id")
        )

    def initial(self) -> dict[str, Any]:
        today = timezone.localdate()
        if not self.needs:
            return {"year": today.year, "in_bridging_library": True}
        first = self.needs[0]
        villages = {n.area_id for n in self.needs}
        geoms = [n.geom for n in self.needs if n.geom is not None]
        geom = geoms[0] if len(geoms) == 1 else None
        if len(geoms) > 1 and len({g.geom_type for g in geoms}) == 1:
            geom = geoms[0].union(geoms[1]) if len(geoms) == 2 else None
            if geom is None:
                geom = geoms[0]
                for other in geoms[1:]:
                    geom = geom.union(other)
        categories = {
            NEED_TO_PROJECT.get(NeedCategory(n.category), ProjectCategory.CONSTRUCTION)
            for n in self.needs
        }
        return {
            "name": first.title
            if len(self.needs) == 1
            else "、".join(n.title for n in self.needs)[:200],
            "year": max(today.year, min(n.horizon_from for n in self.needs)),
            "category": categories.pop() if len(categories) == 1 else ProjectCategory.CONSTRUCTION,
            "in_construction_library": any(n.category != NeedCategory.INDUSTRY for n in self.needs),
            "in_bridging_library": True,
            "area": first.area_id if len(villages) == 1 else first.area.parent_id,
            "geom": geom,
            "content": "\n".join(
                f"{n.title}：{n.description}" if n.description else n.title for n in self.needs
            ),
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ProjectForm(
            instance=self.project, initial=self.initial() if self.project is None else {},
            user=request.user,
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        form.fields["geom"].widget.csp_nonce = getattr(self.request, "csp_nonce", None)
        estimated = sum((n.estimated_investment or Decimal(0) for n in self.needs), Decimal(0))
        context.update(
            project=self.project,
            needs=self.needs,
            estimated=estimated,
            submission_token=submission_token(self.request),
            draw_data=draw_data(self.request.user, has_geometry=bool(form["geom"].value())),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ProjectForm(request.POST, instance=self.project, user=request.user)
        if form.is_valid():
            actor = acting_user(request)
            try:
                if self.project is None:
                    data = services.ProjectInput(
                        values=form.values(),
                        area=form.cleaned_data["area"],
                        other_areas=list(form.cleaned_data.get("other_areas") or []),
                        funding=form.funding(),
                        targets=form.targets(),
                    )
                    with first_submission(request, actor) as first:
                        if not first:
                            messages.info(request, ALREADY_SAVED)
                            return redirect("registry:project_list")
                        saved = services.project_propose(actor=actor, data=data, needs=self.needs)
                    messages.success(
                        request,
                        gettext("Proposed as project %(code)s; it waits for the township's review.")
                        % {"code": saved.code},
                    )
                else:
                    saved = services.project_update(
                        actor=actor,
                        project=self.project,
                        expected_version=form.cleaned_data.get("version") or 0,
                        data=services.ProjectInput(values=form.values(), funding=form.funding()),
                    )
                    messages.success(request, gettext("Saved."))
                return redirect("registry:project_detail", code=saved.code)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- the steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a project's life as a form page: its form, the service it runs, and what the
    page says before and after."""

    form: type
    title: Any
    success: Any
    intro: Any = ""
    template: str = "registry/projects/action.html"


TOWNSHIP_CHECK_NAMES = services.TOWNSHIP_CHECKS
COUNTY_CHECK_NAMES = services.COUNTY_CHECKS

STEPS: dict[str, Step] = {
    "township_review": Step(
        ReviewForm,
        _("Township review"),
        _("Reviewed; the county appraises it next."),
        _(
            "Check that it is genuine, necessary, sound, complete and feasible. A project whose"
            " bridging funds would pay for an item of the negative list cannot pass."
        ),
        "registry/projects/review_form.html",
    ),
    "appraise": Step(
        ReviewForm,
        _("County appraisal"),
        _("Appraised; it waits for approval into the library."),
        _(
            "Compliance, the estimate, funding, land, the benefit links and the performance"
            " targets."
        ),
        "registry/projects/review_form.html",
    ),
    "approve": Step(NoteForm, _("Approve into the library"), _("Approved into the library.")),
    "plan": Step(PlanForm, _("Put in the year's plan"), _("In the year's plan.")),
    "start": Step(StartForm, _("Record the start of works"), _("The works are under way.")),
    "complete": Step(
        CompleteForm,
        _("Record completion and actual costs"),
        _("Completed; it waits for acceptance."),
        _("What each fund source actually paid: the assets' values are split from it."),
        "registry/projects/complete_form.html",
    ),
    "accept": Step(AcceptForm, _("Record acceptance"), _("Accepted; hand the works over.")),
    "hand_over": Step(
        HandoverForm,
        _("Hand over as assets"),
        _("Handed over: the works are registered as assets."),
        _(
            "One action: each part becomes an asset of the register, owned as stated, its value"
            " its share of the actual investment."
        ),
        "registry/projects/handover_form.html",
    ),
    "evaluate": Step(EvaluateForm, _("Evaluate performance"), _("Performance evaluated.")),
    "archive": Step(NoteForm, _("Archive"), _("Archived.")),
    "adjust": Step(
        AdjustForm,
        _("Adjust"),
        _("Adjusted; the change and its reason are in the timeline."),
        _("Approved particulars, funding and targets change only so, with the reason."),
        "registry/projects/adjust_form.html",
    ),
    "withdraw": Step(ReasonForm, _("Withdraw from the library"), _("Withdrawn from the library.")),
    "carry_over": Step(
        NoteForm, _("Carry over to next year"), _("Carried over into next year's library.")
    ),
}


class ProjectStepView(RecordActionView):
    """One step of a project (申报 review to 归档, 调整, 出库, 结转): shown and taken only by whom
    project_can names, through its one service."""

    record: Project
    step: Step
    multipart = True  # a document of the step may go with it (StepFileForm)
    step_file: StepFileForm | None = None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.step_file = StepFileForm(request.POST, request.FILES, prefix="attach")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        if self.step_file is not None and not self.step_file.is_valid():
            return self.form_invalid(form)
        return super().form_valid(form)

    def get_record(self) -> Project:
        step = STEPS.get(self.kwargs["step"])
        if step is None:
            raise Http404
        self.step = step
        return project_or_404(self.request, self.kwargs["code"])

    def allowed(self) -> bool:
        return bool(services.project_can(self.request.user, self.record).get(self.kwargs["step"]))

    def record_url(self) -> str:
        return reverse("registry:project_detail", args=[self.record.code])

    def get_template_names(self) -> list[str]:
        return [self.step.template]

    def get_form_class(self) -> Any:
        return self.step.form

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        name = self.kwargs["step"]
        if name == "township_review":
            kwargs["checks"] = [(n, CHECK_LABELS[n]) for n in TOWNSHIP_CHECK_NAMES]
        elif name == "appraise":
            kwargs["checks"] = [(n, CHECK_LABELS[n]) for n in COUNTY_CHECK_NAMES]
        elif name in ("plan", "complete", "evaluate", "adjust"):
            kwargs["project"] = self.record
        elif name == "hand_over":
            kwargs.update(project=self.record, user=self.request.user)
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        today = timezone.localdate()
        dates = {"start": "started_on", "complete": "completed_on", "accept": "accepted_on",
                 "hand_over": "handed_on"}  # fmt: skip
        name = self.kwargs["step"]
        if name in dates:
            return {dates[name]: today}
        if name == "plan":
            asked = self.request.GET.get("year", "")
            plain = asked.isascii() and asked.isdigit() and len(asked) == 4  # not "²⁰²⁶"
            year = int(asked) if plain else today.year
            return {"year": max(self.record.year, year)}
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.title, self.intro = self.step.title, self.step.intro
        context = super().get_context_data(**kwargs)
        context["project"] = self.record
        context["step_name"] = self.kwargs["step"]
        context["step_file"] = self.step_file or StepFileForm(prefix="attach")
        if self.kwargs["step"] in ("township_review", "appraise"):
            context["negative"] = services.negative_uses(self.record)
            context["funding"] = list(self.record.funding.select_related("source"))
        if self.kwargs["step"] == "hand_over":
            funding = list(self.record.funding.select_related("source"))
            context["actual_total"] = sum((f.actual or Decimal(0) for f in funding), Decimal(0))
            context["funding"] = funding
        return context

    def perform(self, form: Any) -> Any:
        """The step's service, then the file that documents it, in the one transaction of the
        submission (a refused file leaves the step untaken)."""
        result = self.take_step(form)
        upload = self.step_file.cleaned_data.get("file") if self.step_file else None
        if upload:
            services.project_step_attach(actor=self.actor, project=self.record, upload=upload)
        return result

    def take_step(self, form: Any) -> Any:
        name, actor, project, data = self.kwargs["step"], self.actor, self.record, form.cleaned_data
        if name == "township_review":
            return services.project_township_review(
                actor=actor, project=project, approve=data["approve"], checks=form.checks(),
                reason=data["reason"],
            )  # fmt: skip
        if name == "appraise":
            return services.project_appraise(
                actor=actor, project=project, approve=data["approve"], checks=form.checks(),
                reason=data["reason"],
            )  # fmt: skip
        if name == "approve":
            return services.project_approve(actor=actor, project=project, reason=data["reason"])
        if name == "plan":
            return services.project_plan(
                actor=actor, project=project, year=data["year"], task=data["task"],
                reason=data["reason"],
            )  # fmt: skip
        if name == "start":
            return services.project_start(
                actor=actor, project=project, started_on=data["started_on"], tender=data["tender"]
            )
        if name == "complete":
            return services.project_complete(
                actor=actor, project=project, completed_on=data["completed_on"],
                actual=form.actual(), reason=data["reason"], confirm_cost=data["confirm_cost"],
            )  # fmt: skip
        if name == "accept":
            return services.project_accept(
                actor=actor, project=project, accepted_on=data["accepted_on"], report=data["report"]
            )
        if name == "hand_over":
            return services.project_hand_over(
                actor=actor, project=project, handed_on=data["handed_on"], parts=form.parts()
            )
        if name == "evaluate":
            return services.project_evaluate(
                actor=actor, project=project, actuals=form.actuals(), reason=data["reason"]
            )
        if name == "archive":
            return services.project_archive(actor=actor, project=project, reason=data["reason"])
        if name == "adjust":
            return services.project_adjust(
                actor=actor, project=project, expected_version=data["version"],
                reason=data["reason"], values=form.values(), planned=form.planned(),
                targets=form.target_values(),
            )  # fmt: skip
        if name == "withdraw":
            return services.project_withdraw(actor=actor, project=project, reason=data["reason"])
        return services.project_carry_over(actor=actor, project=project, reason=data["reason"])

    def success(self, result: Any) -> str:
        if isinstance(result, Project) and result.status == ProjectStatus.REJECTED:
            return gettext("Recorded: the project does not pass, with your reason.")
        if isinstance(result, list) and result:  # the handover's assets
            return gettext("Handed over: %(n)s asset(s) registered: %(codes)s.") % {
                "n": len(result),
                "codes": "、".join(a.code for a in result),
            }
        return str(self.step.success)


# --- the review queue --------------------------------------------------------------------------

QUEUE_LIMIT = 100


class ReviewQueueView(TemplateView):
    """What waits for the user's review: the villages' needs sent to the township, the
    accepted needs to merge into proposals, the projects waiting for the township's review, and
    for the county its appraisal and approval. A fixed number of queries."""

    template_name = "registry/projects/review_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        level = scope_level(user)
        approver = isinstance(user, User) and (user.is_superuser or user.role in APPROVER_ROLES)
        editor = isinstance(user, User) and (user.is_superuser or user.role in EDITOR_ROLES)
        prefix = scope_prefix(user) or ""
        needs = selectors.need_list(user=user)
        projects = selectors.project_list(user=user)
        none_needs = ConstructionNeed.objects.none()
        to_review: QuerySet[Any] = none_needs
        to_merge: QuerySet[Any] = none_needs
        proposed: QuerySet[Any] = Project.objects.none()
        to_appraise: QuerySet[Any] = Project.objects.none()
        to_approve: QuerySet[Any] = Project.objects.none()
        if approver and level == AreaLevel.TOWNSHIP:
            to_review = needs.filter(status=NeedStatus.SUBMITTED)
            proposed = projects.filter(
                status=ProjectStatus.PROPOSED, area_code__startswith=prefix
            ).exclude(area__level=AreaLevel.COUNTY)
        if editor and level in (AreaLevel.TOWNSHIP, AreaLevel.COUNTY):
            to_merge = needs.filter(status=NeedStatus.ACCEPTED)
        if approver and level == AreaLevel.COUNTY:
            proposed = projects.filter(status=ProjectStatus.PROPOSED, area__level=AreaLevel.COUNTY)
            to_appraise = projects.filter(status=ProjectStatus.TOWNSHIP_REVIEWED)
            to_approve = projects.filter(status=ProjectStatus.APPRAISED)

        def first(qs: QuerySet[Any], *order: str) -> list[Any]:
            return [] if qs.query.is_empty() else list(qs.order_by(*order)[:QUEUE_LIMIT])

        context.update(
            to_review=first(to_review, "area_code", "id"),
            to_merge=first(to_merge, "area_code", "id"),
            proposed=first(proposed, "code"),
            to_appraise=first(to_appraise, "code"),
            to_approve=first(to_approve, "code"),
            may_merge=editor and level in (AreaLevel.TOWNSHIP, AreaLevel.COUNTY),
            reviewer=approver and level in (AreaLevel.TOWNSHIP, AreaLevel.COUNTY),
            level=level,
            township_code=prefix + "000" if level == AreaLevel.TOWNSHIP else "",
        )
        context["empty"] = not any(
            context[k] for k in ("to_review", "to_merge", "proposed", "to_appraise", "to_approve")
        )
        return context


# --- files ---------------------------------------------------------------------------------------


def project_file_download(request: HttpRequest, pk: int) -> FileResponse:
    """A need's or project's file, only to users who may see its need or project; served under
    our own name with its sniffed type."""
    from registry.services.attachments import EXTENSIONS

    item = ProjectFile.objects.select_related("need", "project").filter(pk=pk).first()
    if item is None:
        raise Http404
    visible = (
        item.need_id is not None
        and selectors.need_list(user=request.user).filter(pk=item.need_id).exists()
    ) or (
        item.project_id is not None
        and selectors.project_scope(user=request.user).filter(pk=item.project_id).exists()
    )
    if not visible:
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    owner = f"need{item.need_id}" if item.need_id else (item.project.code if item.project else "")
    name = f"{owner}-{item.kind}-{item.pk}.{EXTENSIONS.get(item.content_type, 'bin')}"
    response = FileResponse(handle, content_type=item.content_type, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline"
    )
    return response


# --- printable 公示 sheets ---------------------------------------------------------------------

LISTED = [
    ProjectStatus.TOWNSHIP_REVIEWED,
    ProjectStatus.APPRAISED,
    ProjectStatus.IN_LIBRARY,
    *selectors.PLANNED_OR_LATER,
]


class TownshipSheetView(TemplateView):
    """The township's list for posting (乡级公示): the needs it accepted and the projects led in
    it that passed its review."""

    template_name = "registry/projects/township_sheet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        area = selectors.area_get(user=user, code=self.kwargs["code"])
        if area is None or area.level != AreaLevel.TOWNSHIP:
            raise Http404
        prefix = area.scope_prefix
        needs = (
            selectors.need_list(user=user)
            .filter(
                area_code__startswith=prefix,
                status__in=[NeedStatus.ACCEPTED, NeedStatus.MERGED],
            )
            .order_by("area_code", "id")
        )
        projects = (
            selectors.project_list(user=user)
            .filter(area_code__startswith=prefix, status__in=LISTED)
            .order_by("-year", "code")
        )
        context.update(area=area, needs=needs, projects=projects, today=timezone.localdate())
        return context


class LibrarySheetView(TemplateView):
    """The county library's entries of a year for posting (县级公示): the projects approved into
    that year's library, with their place, content, investment and beneficiaries."""

    template_name = "registry/projects/library_sheet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        year = self.kwargs["year"]
        if not 2000 <= year <= 2100:
            raise Http404
        user = self.request.user
        projects = list(
            selectors.project_list(user=user)
            .filter(year=year, status__in=[ProjectStatus.IN_LIBRARY, *selectors.PLANNED_OR_LATER])
            .order_by("code")
        )
        for project in projects:
            project.link_labels = [
                BenefitLink(v).label for v in project.benefit_links if v in BenefitLink
            ]
        top = selectors.area_top(user=user)
        context.update(
            year=year,
            projects=projects,
            total=sum((p.planned_total for p in projects), Decimal(0)),
            area=top,
            today=timezone.localdate(),
        )
        return context
