"""The relocation sites' pages (易地扶贫搬迁安置点): the list with its filters, totals and
exports; one site's page (outline on a small map, who moved, what was built, the assets that
serve it by role, the support figures by year, the library projects, the residents' problems,
its history); the forms that register and correct a site, link and end its facilities and
projects, enter a year's figures and raise and resolve a problem. Each write is one service of
registry.services.sites, run once per form submission."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from registry import selectors
from registry.choices import AreaLevel
from registry.errors import ConflictError, bilingual
from registry.forms.sites import (
    FacilityLinkForm,
    ProblemForm,
    ProjectLinkForm,
    ResolveForm,
    SiteForm,
    SupportForm,
)
from registry.models import RelocationSite, SiteFacility, SiteProblem, SiteProject
from registry.scoping import can_edit
from registry.services import sites as services
from registry.views.base import (
    ALREADY_SAVED,
    acting_user,
    apply_service_errors,
    draw_data,
    first_submission,
    geojson,
    submission_token,
)
from registry.views.projects import RecordActionView

MAY_NOT = gettext_noop("You may not change records in this area.")
SEARCH_LIMIT = 30


def site_or_404(request: HttpRequest, code: str) -> RelocationSite:
    site = selectors.site_get(user=request.user, code=code)
    if site is None:
        raise Http404
    return site


def _may_register(user: Any) -> bool:
    """Editors register sites in their own area (a village's clerk in their village)."""
    top = selectors.area_top(user=user)
    return top is not None and can_edit(user, top.code)


# --- the list ---------------------------------------------------------------------------------


class SiteListView(TemplateView):
    """The sites in the user's area, filtered (text, area, type, mode, scale, reclamation, open
    problems), with the totals of what is listed (sites, households, persons) and the exports of
    exactly that; paged, in a fixed number of queries."""

    template_name = "registry/sites/site_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = selectors.site_filterset(user=user, filters=self.request.GET)
        paginator = Paginator(RelocationSite.objects.none(), self.paginate_by)
        totals: dict[str, int] = {}
        if filterset.is_valid():
            qs = filterset.qs.defer("outline", "outline_3857", "point_3857", "note")
            paginator = Paginator(qs.order_by("code"), self.paginate_by)
            totals = selectors.site_totals(filterset.qs)
            paginator.count = totals["sites"]
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filterset=filterset,
            page_obj=page,
            totals=totals,
            query=query.urlencode(),
            active_filters=sum(1 for k, v in query.lists() if k in filterset.filters and any(v)),
            can_register=_may_register(user),
        )
        return context


# --- one site ---------------------------------------------------------------------------------


def _site_geometry(site: RelocationSite) -> dict[str, Any]:
    """The site's outline and point as one FeatureCollection for the small map."""
    features = [
        {"type": "Feature", "geometry": geojson(geom), "properties": {"part": part}}
        for part, geom in (("outline", site.outline), ("point", site.point))
        if geom is not None
    ]
    return {"type": "FeatureCollection", "features": features}


class SiteDetailView(TemplateView):
    """One site: its particulars and outline on a small map, households and persons moved
    (建档立卡 and 同步搬迁), housing, years, 拆旧复垦, the assets that serve it by role, the
    follow-up support figures by year, the library projects that support it, the residents'
    problems open and resolved, and its history; a fixed number of queries."""

    template_name = "registry/sites/site_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        site = site_or_404(self.request, self.kwargs["code"])
        detail = selectors.site_detail(user=user, site=site)
        editable = can_edit(user, site.area_code)
        context.update(
            site=site,
            **detail,
            editable=editable,
            latest=detail["support"][-1] if detail["support"] else None,
            geometry=_site_geometry(site),
            outline=selectors.area_surroundings(user=user, area=site.area),
            timeline=selectors.site_timeline(site=site, user=user, limit=100),
            submission_token=submission_token(self.request),
        )
        return context


# --- register and correct -----------------------------------------------------------------


class SiteFormView(TemplateView):
    """Register a site, or correct one, drawing its point and outline on the map."""

    template_name = "registry/sites/site_form.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.site: RelocationSite | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        code = kwargs.get("code")
        if code is not None:
            self.site = site_or_404(request, code)
            if not can_edit(request.user, self.site.area_code):
                raise PermissionDenied(bilingual(MAY_NOT))
        elif not _may_register(request.user):
            raise PermissionDenied(bilingual(MAY_NOT))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        top = selectors.area_top(user=request.user)
        initial: dict[str, Any] = {}
        if self.site is None and top is not None and top.level == AreaLevel.VILLAGE:
            initial["area"] = top
        form = SiteForm(instance=self.site, initial=initial, user=request.user)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        nonce = getattr(self.request, "csp_nonce", None)
        for name in ("point", "outline"):  # django-leaflet's inline set-up runs under the nonce
            form.fields[name].widget.csp_nonce = nonce
        drawn = bool(form["point"].value() or form["outline"].value())
        context.update(
            site=self.site,
            submission_token=submission_token(self.request),
            draw_data=draw_data(self.request.user, has_geometry=drawn),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SiteForm(request.POST, instance=self.site, user=request.user)
        if form.is_valid():
            actor = acting_user(request)
            try:
                if self.site is None:
                    with first_submission(request, actor) as first:
                        if not first:
                            messages.info(request, ALREADY_SAVED)
                            return redirect("registry:site_list")
                        saved = services.site_create(
                            actor=actor, area=form.cleaned_data["area"], values=form.values()
                        )
                    messages.success(
                        request, gettext("Registered as site %(code)s.") % {"code": saved.code}
                    )
                else:
                    saved = services.site_update(
                        actor=actor,
                        site=self.site,
                        expected_version=form.cleaned_data.get("version") or 0,
                        values=form.values(),
                        area=form.cleaned_data["area"],
                    )
                    messages.success(request, gettext("Saved."))
                return redirect("registry:site_detail", code=saved.code)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- the actions on a site --------------------------------------------------------------------


class SiteActionView(RecordActionView):
    """A form page that performs one service on one site, once per submission, then goes back
    to the site's page."""

    template_name = "registry/sites/action.html"
    record: RelocationSite

    def get_record(self) -> RelocationSite:
        return site_or_404(self.request, self.kwargs["code"])

    def allowed(self) -> bool:
        return can_edit(self.request.user, self.record.area_code)

    def refusal(self) -> str:
        return MAY_NOT

    def record_url(self) -> str:
        return reverse("registry:site_detail", args=[self.record.code])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["site"] = self.record
        return context


def _search(request: HttpRequest) -> str:
    text = request.GET.get("q", "")
    return text.strip()[:60] if "\x00" not in text else ""


class FacilityLinkView(SiteActionView):
    """Link an asset of the user's area to the site with its role. The asset is picked from a
    search by code or name among the assets the user sees (by default, those of the site's
    village)."""

    template_name = "registry/sites/facility_form.html"
    form_class = FacilityLinkForm
    title = _("Link an asset to the site")
    intro = _(
        "Resettlement housing (到户类), a supporting facility such as a school, clinic, water or"
        " road (公益性), or an industry or employment asset such as a workshop (经营性)."
    )
    success_message = _("Linked: the asset serves the site.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = _search(self.request)
        filters = {"q": query} if query else {"area": self.record.area_code}
        filterset = selectors.asset_filterset(
            user=self.request.user, filters=filters, annotated=False
        )
        linked = set(
            SiteFacility.objects.filter(site=self.record, active=True).values_list(
                "asset_id", flat=True
            )
        )
        results: QuerySet[Any] | list[Any] = []
        if filterset.is_valid():
            results = list(
                filterset.qs.select_related("area")
                .exclude(pk__in=linked)
                .order_by("code")
                .only("code", "name", "asset_class", "subtype", "status", "area__name")[
                    :SEARCH_LIMIT
                ]
            )
        context.update(query=query, results=results, limit=SEARCH_LIMIT)
        return context

    def perform(self, form: Any) -> Any:
        asset = selectors.asset_get(user=self.actor, code=form.cleaned_data["asset"].strip())
        if asset is None:
            raise ValidationError(
                {"asset": bilingual(gettext_noop("Choose an asset inside your area."))}
            )
        return services.facility_link(
            actor=self.actor, site=self.record, asset=asset, role=form.cleaned_data["role"]
        )


class ProjectLinkView(SiteActionView):
    """Name a project of the library (in the user's scope) that supports the site."""

    template_name = "registry/sites/project_link_form.html"
    form_class = ProjectLinkForm
    title = _("Link a follow-up support project")
    intro = _("A project of the library that supports the site's residents (后扶项目).")
    success_message = _("Linked: the project supports the site.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = _search(self.request)
        filters = {"q": query} if query else {"area": self.record.area_code}
        filterset = selectors.project_filterset(user=self.request.user, filters=filters)
        linked = set(
            SiteProject.objects.filter(site=self.record, active=True).values_list(
                "project_id", flat=True
            )
        )
        results: list[Any] = []
        if filterset.is_valid():
            results = list(
                filterset.qs.exclude(pk__in=linked).order_by("-year", "code")[:SEARCH_LIMIT]
            )
        context.update(query=query, results=results, limit=SEARCH_LIMIT)
        return context

    def perform(self, form: Any) -> Any:
        project = selectors.project_get(user=self.actor, code=form.cleaned_data["project"].strip())
        if project is None:
            raise ValidationError(
                {"project": bilingual(gettext_noop("Choose a project of your area's library."))}
            )
        return services.site_project_link(actor=self.actor, site=self.record, project=project)


class SupportView(SiteActionView):
    """Enter or correct one year's follow-up support figures (``?year=`` opens a year already
    entered)."""

    form_class = SupportForm
    title = _("Follow-up support figures of a year")
    intro = _(
        "Labour force and employed, per-capita net income, public-welfare posts, workshops and"
        " households under monitoring. Entering a year again corrects it."
    )
    success_message = _("Figures saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        asked = self.request.GET.get("year", "")
        if self.request.method == "GET" and asked.isascii() and asked.isdigit() and len(asked) == 4:
            row = self.record.support.filter(year=int(asked)).first()
            if row is not None:
                kwargs["instance"] = row
        if "instance" not in kwargs:
            kwargs["initial"] = {"year": timezone.localdate().year - 1}
        return kwargs

    def perform(self, form: Any) -> Any:
        return services.support_set(
            actor=self.actor, site=self.record, year=form.cleaned_data["year"], values=form.values()
        )


class ProblemView(SiteActionView):
    """Raise a residents' urgent problem (急难愁盼) at the site."""

    form_class = ProblemForm
    title = _("Record a residents' problem")
    intro = _("What the residents need solved urgently, and when it was raised.")
    success_message = _("Recorded: the problem is open until it is resolved.")

    def get_initial(self) -> dict[str, Any]:
        return {"raised_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.problem_add(
            actor=self.actor,
            site=self.record,
            category=data["category"],
            description=data["description"],
            raised_on=data["raised_on"],
        )


class ResolveView(SiteActionView):
    """Record how and when an open problem was resolved."""

    form_class = ResolveForm
    title = _("Resolve a problem")
    success_message = _("Resolved.")
    problem: SiteProblem

    def get_record(self) -> RelocationSite:
        site = super().get_record()
        problem = SiteProblem.objects.filter(site=site, pk=self.kwargs["pk"]).first()
        if problem is None:
            raise Http404
        self.problem = problem
        return site

    def get_initial(self) -> dict[str, Any]:
        return {"resolved_on": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["problem"] = self.problem
        return context

    def perform(self, form: Any) -> Any:
        return services.problem_resolve(
            actor=self.actor,
            problem=self.problem,
            resolved_on=form.cleaned_data["resolved_on"],
            resolution=form.cleaned_data["resolution"],
        )


def _end(request: HttpRequest, code: str, end: Any, message: Any) -> HttpResponse:
    site = site_or_404(request, code)
    if not can_edit(request.user, site.area_code):
        raise PermissionDenied(bilingual(MAY_NOT))
    actor = acting_user(request)
    try:
        with first_submission(request, actor) as first:
            if first:
                end(actor, site)
        if first:
            messages.success(request, message)
        else:
            messages.info(request, ALREADY_SAVED)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("registry:site_detail", code=site.code)


@require_POST
def facility_end(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """End an asset's link to the site (it stays in the site's record)."""

    def end(actor: Any, site: RelocationSite) -> None:
        link = SiteFacility.objects.filter(site=site, pk=pk).select_related("site").first()
        if link is None:
            raise Http404
        services.facility_end(actor=actor, facility=link)

    return _end(request, code, end, gettext("The asset no longer serves the site."))


@require_POST
def project_end(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """End a project's link to the site (it stays in the site's record)."""

    def end(actor: Any, site: RelocationSite) -> None:
        link = SiteProject.objects.filter(site=site, pk=pk).select_related("site").first()
        if link is None:
            raise Http404
        services.site_project_end(actor=actor, link=link)

    return _end(request, code, end, gettext("The project no longer counts as the site's support."))
