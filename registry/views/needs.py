"""Villages' construction needs (村级建设需求): the list, one need, the village's entry (drawn on
the map, with the meeting that decided it), its files, its posting (公示) and sending up, the
township's review, and the village's printable list. Each write is one service of
registry.services.projects."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from registry import selectors
from registry.choices import AreaLevel, NeedStatus
from registry.errors import ConflictError, bilingual
from registry.forms.projects import NeedFileForm, NeedForm, NeedPostForm, NeedReviewForm
from registry.models import ConstructionNeed, User
from registry.scoping import can_edit
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
from registry.views.projects import RecordActionView

EDITABLE = (NeedStatus.DRAFT, NeedStatus.POSTED)
MAY_NOT = gettext_noop("You may not change records in this area.")
# The services' words when a need has gone past what a form changes (as its page shows).
SENT_UP = gettext_noop("A need sent to the township can no longer be changed.")
POSTED_ALREADY = gettext_noop("This need has been sent up already.")
FILES_KEPT = gettext_noop("The township has decided on this need: its files are kept.")


def need_or_404(request: HttpRequest, pk: int) -> ConstructionNeed:
    need = selectors.need_list(user=request.user).filter(pk=pk).first()
    if need is None:
        raise Http404
    return need


def _may_enter(user: Any) -> bool:
    """Editors whose area holds villages: a village's own, a township's or the county's."""
    top = selectors.area_top(user=user)
    return top is not None and can_edit(user, top.code)


class NeedListView(TemplateView):
    """The needs of the villages in the user's area, filtered and paged; a fixed number of
    queries."""

    template_name = "registry/projects/need_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = selectors.need_filterset(user=user, filters=self.request.GET)
        paginator = Paginator(ConstructionNeed.objects.none(), self.paginate_by)
        if filterset.is_valid():
            paginator = Paginator(filterset.qs.order_by("-horizon_from", "area_code", "id"), 50)
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        top = selectors.area_top(user=user)
        context.update(
            filterset=filterset,
            page_obj=page,
            query=query.urlencode(),
            active_filters=sum(1 for k, v in query.lists() if k in filterset.filters and any(v)),
            can_enter=_may_enter(user),
            sheet_area=top if top is not None and top.level == AreaLevel.VILLAGE else None,
            township=top if top is not None and top.level == AreaLevel.TOWNSHIP else None,
        )
        return context


class NeedDetailView(TemplateView):
    """One need: what, where (a small map), the meeting, its posting, files, the township's
    review and the project it went into; the actions its village or township may take now."""

    template_name = "registry/projects/need_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        need = need_or_404(self.request, self.kwargs["pk"])
        editable = can_edit(user, need.area_code)
        actor = user if isinstance(user, User) else None
        context.update(
            need=need,
            editable=editable and need.status in EDITABLE,
            may_attach=editable and need.status in services.NEED_FILE_STATUSES,
            may_post=editable and need.status in EDITABLE,
            may_submit=editable
            and need.status == NeedStatus.POSTED
            and need.posted_to is not None
            and need.posted_to <= timezone.localdate(),
            may_review=actor is not None and services.need_can_review(actor=actor, need=need),
            files=list(need.files.order_by("-uploaded_at")),
            geometry=geojson(need.geom),
            outline=selectors.area_surroundings(user=user, area=need.area),
            reviewed_by=need.reviewed_by,
            file_form=NeedFileForm(),
            submission_token=submission_token(self.request),
        )
        return context


class NeedFormView(TemplateView):
    """Enter a need (as the village meeting decided it) or correct it before it is sent up,
    drawing its place on the map."""

    template_name = "registry/projects/need_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.need: ConstructionNeed | None = None
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        if "pk" in kwargs:
            self.need = need_or_404(request, kwargs["pk"])
            if not can_edit(request.user, self.need.area_code):
                raise PermissionDenied(bilingual(MAY_NOT))
            if self.need.status not in EDITABLE:  # no form whose saving must fail
                raise PermissionDenied(bilingual(SENT_UP))
        elif not _may_enter(request.user):
            raise PermissionDenied(bilingual(MAY_NOT))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        top = selectors.area_top(user=request.user)
        year = timezone.localdate().year
        initial: dict[str, Any] = {}
        if self.need is None:
            initial = {"horizon_from": year, "horizon_to": year + 2}
            if top is not None and top.level == AreaLevel.VILLAGE:
                initial["area"] = top
        form = NeedForm(instance=self.need, initial=initial, user=request.user)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        form.fields["geom"].widget.csp_nonce = getattr(self.request, "csp_nonce", None)
        context.update(
            need=self.need,
            submission_token=submission_token(self.request),
            draw_data=draw_data(self.request.user, has_geometry=bool(form["geom"].value())),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = NeedForm(request.POST, instance=self.need, user=request.user)
        if form.is_valid():
            actor = acting_user(request)
            try:
                if self.need is None:
                    with first_submission(request, actor) as first:
                        if not first:
                            messages.info(request, ALREADY_SAVED)
                            return redirect("registry:need_list")
                        saved = services.need_create(
                            actor=actor, area=form.cleaned_data["area"], values=form.values()
                        )
                    messages.success(
                        request,
                        gettext("Need entered. Post it in the village, then send it up."),
                    )
                else:
                    saved = services.need_update(
                        actor=actor,
                        need=self.need,
                        expected_version=form.cleaned_data.get("version") or 0,
                        values=form.values(),
                    )
                    messages.success(request, gettext("Saved."))
                return redirect("registry:need_detail", pk=saved.pk)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class NeedActionView(RecordActionView):
    """A form page of one need (its posting, a file, the township's review)."""

    record: ConstructionNeed
    # The statuses the form takes the need in (as its page offers it), and the words if not.
    statuses: Any = EDITABLE
    closed = SENT_UP

    def get_record(self) -> ConstructionNeed:
        return need_or_404(self.request, self.kwargs["pk"])

    def record_url(self) -> str:
        return reverse("registry:need_detail", args=[self.record.pk])

    def refusal(self) -> str:
        return self.closed if self.may_edit() else MAY_NOT

    def may_edit(self) -> bool:
        return can_edit(self.request.user, self.record.area_code)

    def allowed(self) -> bool:
        return self.may_edit() and self.record.status in self.statuses

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["need"] = self.record
        return context


class NeedPostView(NeedActionView):
    form_class = NeedPostForm
    closed = POSTED_ALREADY
    title = _("Post the need in the village")
    intro = _(
        "Record the posting (公示) on the village board: its dates and any objection raised."
        " Once the posting has ended, send the need to the township."
    )
    success_message = _("Posting recorded.")

    def get_initial(self) -> dict[str, Any]:
        need = self.record
        return {
            "posted_from": need.posted_from,
            "posted_to": need.posted_to,
            "objection": need.objection,
        }

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.need_post(
            actor=self.actor,
            need=self.record,
            posted_from=data["posted_from"],
            posted_to=data["posted_to"],
            objection=data["objection"],
        )


class NeedFileView(NeedActionView):
    form_class = NeedFileForm
    title = _("Add a file")
    intro = _("The minutes of the village meeting, a scan of the posting, a photo.")
    success_message = _("File kept.")
    multipart = True
    statuses = services.NEED_FILE_STATUSES
    closed = FILES_KEPT

    def perform(self, form: Any) -> Any:
        return services.need_attach(
            actor=self.actor,
            need=self.record,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
        )


class NeedReviewView(NeedActionView):
    """The township's review of a need (真实性、必要性、可行性)."""

    form_class = NeedReviewForm
    title = _("Township review of the need")
    intro = _(
        "Accept it only when it is genuine, necessary and feasible; if not, say why. Accepted"
        " needs are merged into project proposals from the review queue."
    )
    template_name = "registry/projects/need_review.html"

    def allowed(self) -> bool:
        user = self.request.user
        return isinstance(user, User) and services.need_can_review(actor=user, need=self.record)

    def refusal(self) -> str:
        return gettext_noop("Only the township's approver reviews its villages' needs, once sent.")

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.need_review(
            actor=self.actor,
            need=self.record,
            genuine=data["genuine"],
            necessary=data["necessary"],
            feasible=data["feasible"],
            accept=data["accept"],
            note=data["note"],
        )

    def success(self, result: Any) -> str:
        if result.status == NeedStatus.ACCEPTED:
            return gettext("Accepted; merge it into a project proposal from the review queue.")
        return gettext("Not accepted; the village sees your reason.")


@require_POST
def need_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a posted need to the township (once its posting has ended)."""
    need = need_or_404(request, pk)
    if not can_edit(request.user, need.area_code):
        raise PermissionDenied(bilingual(MAY_NOT))
    actor = acting_user(request)
    try:
        with first_submission(request, actor) as first:
            if first:
                services.need_submit(actor=actor, need=need)
        if first:
            messages.success(request, gettext("Sent to the township; it waits for their review."))
        else:
            messages.info(request, ALREADY_SAVED)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("registry:need_detail", pk=need.pk)


class NeedSheetView(TemplateView):
    """The village's list of needs for posting (村级公示), A4."""

    template_name = "registry/projects/need_sheet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        area = selectors.area_get(user=user, code=self.kwargs["code"])
        if area is None or area.level != AreaLevel.VILLAGE:
            raise Http404
        needs = (
            selectors.need_list(user=user)
            .filter(area_code=area.code)
            .exclude(status=NeedStatus.REJECTED)
            .order_by("horizon_from", "id")
        )
        posted = [n for n in needs if n.posted_from]
        context.update(
            area=area,
            needs=needs,
            posted_from=min((n.posted_from for n in posted if n.posted_from), default=None),
            posted_to=max((n.posted_to for n in posted if n.posted_to), default=None),
            today=timezone.localdate(),
        )
        return context
