"""Asset pages: the list, one asset, and the forms that change it."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from registry import selectors
from registry.choices import (
    SUBTYPES_BY_CLASS,
    AreaLevel,
    AssetStatus,
    BenefitLink,
    DisposalStatus,
    Network,
    PlanStatus,
)
from registry.errors import ConflictError, bilingual
from registry.forms import (
    AssetForm,
    AssetStatusForm,
    DisposalDecisionForm,
    PlanAdvanceForm,
    ReviewReturnForm,
)
from registry.forms.assets import NETWORK_SUBTYPES, AssetNetworkForm, RoadHardenForm
from registry.ledgers import LISTS
from registry.models import (
    Asset,
    Attachment,
    DisposalRequest,
    DistributionPlan,
    NetworkLink,
    PlanReturn,
    User,
)
from registry.models.parties import mask_phone
from registry.scoping import can_edit, can_see_personal_data
from registry.services import assets as asset_services
from registry.services.attachments import attachment_download_name
from registry.services.disposal import disposal_can_decide, disposal_pending_level
from registry.services.income import (
    household_cash_limit,
    household_cash_share,
    plan_can_advance,
    plan_can_return,
    plan_can_revise,
)
from registry.services.network import network_link_set
from registry.views.base import (
    ALREADY_SAVED,
    acting_user,
    apply_service_errors,
    draw_data,
    first_submission,
    geojson,
    submission_token,
)

# The formats transfer.exporters writes (registry does not import transfer; the URLs live there).
EXPORT_FORMATS = [("xlsx", "Excel"), ("csv", "CSV"), ("geojson", "GeoJSON"),
                  ("gpkg", "GeoPackage"), ("shp", "Shapefile")]  # fmt: skip


class AssetListView(TemplateView):
    """All assets in the user's area, filtered and paged, in a fixed number of queries."""

    template_name = "registry/asset_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = selectors.asset_filterset(user=user, filters=self.request.GET)
        paginator = Paginator(Asset.objects.none(), self.paginate_by)
        if filterset.is_valid():
            qs = filterset.qs
            filters = {k: v for k, v in filterset.form.cleaned_data.items() if v not in (None, "")}
            paginator = Paginator(qs.order_by("code"), self.paginate_by)
            # Counting a county's million assets takes 0.2-1 s: once per filter and change to
            # the assets, not on every page (the cached count is exact, see asset_list_count).
            paginator.count = selectors.asset_list_count(qs, user=user, filters=filters)
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        top = selectors.area_top(user=user)
        context.update(
            filterset=filterset,
            page_obj=page,
            query=query.urlencode(),
            can_register=top is not None and can_edit(user, top.code),
            active_filters=sum(1 for k, v in query.lists() if k in filterset.filters and any(v)),
            export_formats=EXPORT_FORMATS,
            lists=LISTS.values(),
        )
        return context


class AssetDetailView(TemplateView):
    """One asset: particulars, map, owners, keeper, logs, income, disposals and its timeline."""

    template_name = "registry/asset_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        asset = selectors.asset_get(user=user, code=self.kwargs["code"])
        if asset is None:
            raise Http404
        personal = can_see_personal_data(user)
        duties = list(asset.maintenance_duties.select_related("maintainer", "assigned_by")[:10])
        if not personal:
            for duty in duties:
                duty.responsible_phone = mask_phone(duty.responsible_phone)
        logs = list(
            asset.maintenance_logs.select_related("logged_by").prefetch_related(
                Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
            )[:20]
        )
        plans = list(
            asset.distribution_plans.prefetch_related(
                "lines",
                Prefetch("returns", queryset=PlanReturn.objects.select_related("returned_by")),
            )
        )
        disposals = list(
            asset.disposal_requests.select_related("requested_by").prefetch_related(
                "approvals__decided_by"
            )
        )
        actor = user if isinstance(user, User) else None
        for plan in plans:
            _annotate_plan(plan, actor)
        plan_rows = [
            (plan, actor is not None and plan_can_advance(actor=actor, plan=plan)) for plan in plans
        ]
        disposal_rows = [
            (
                request,
                disposal_pending_level(request),
                actor is not None and disposal_can_decide(actor=actor, request=request),
            )
            for request in disposals
        ]
        editable = can_edit(user, asset.area_code) and asset.status != AssetStatus.DISPOSED
        network = NetworkLink.objects.filter(asset=asset).first()
        # A village group has no outline of its own: its village frames the small map.
        place = asset.area.parent if asset.area.level == AreaLevel.GROUP else asset.area
        context.update(
            asset=asset,
            editable=editable,
            can_approve_registration=actor is not None
            and asset_services.registration_can_review(actor=actor, asset=asset),
            registration_return=(
                asset.registration_returns.select_related("returned_by", "corrected_by").first()
                if asset.status == AssetStatus.DRAFT
                else None
            ),
            return_form=ReviewReturnForm(),
            cash_limit=household_cash_limit(),
            ownership=selectors.asset_ownership(asset=asset),
            duties=duties,
            logs=logs,
            income=list(asset.income_records.all()[:10]),
            plan_rows=plan_rows,
            contracts=list(asset.operation_contracts.select_related("operator")),
            handovers=list(asset.handovers.select_related("from_party", "to_party", "supervisor")),
            disposal_rows=disposal_rows,
            notices=list(asset.notices.all()[:10]),
            documents=list(asset.attachments.filter(maintenance_log__isnull=True)),
            funding=list(asset.funding.select_related("source").filter(amount__gt=0)),
            timeline=selectors.asset_timeline(asset=asset, mask_personal=not personal, user=user),
            trace=selectors.asset_trace(asset=asset),
            geometry=geojson(asset.geom),
            outline=selectors.area_surroundings(user=user, area=place or asset.area),
            benefit_links=[BenefitLink(v).label for v in asset.benefit_links if v in BenefitLink],
            status_form=AssetStatusForm(initial={"status": asset.status, "version": asset.version}),
            decision_form=DisposalDecisionForm(),
            network=network,
            network_km=network.length_m / 1000 if network is not None else None,
            network_label=Network(network.network).label if network is not None else "",
            gaps_url=_gaps_url(asset.area_code) if network is not None else None,
            harden_form=(
                RoadHardenForm(initial={"version": asset.version})
                if editable
                and network is not None
                and network.network == Network.ROAD
                and not network.hardened
                else None
            ),
        )
        return context


def _gaps_url(area_code: str) -> str | None:
    """The gaps view (gis) of the asset's township; None where gis serves no such view (the
    registry links to it by name, never by importing gis)."""
    try:
        url = reverse("gis:network_gaps")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'township': area_code[:9] + '000'})}"


def _annotate_plan(plan: DistributionPlan, actor: User | None) -> None:
    """What the asset page shows of a plan beside its row: who may send it back or revise it,
    the reason it was last sent back, and the share of its money paid to households as cash."""
    returns = list(plan.returns.all())  # prefetched, newest first
    plan.latest_return = returns[0] if returns else None  # type: ignore[attr-defined]
    plan.can_return = actor is not None and plan_can_return(actor=actor, plan=plan)  # type: ignore[attr-defined]
    plan.can_revise = actor is not None and plan_can_revise(actor=actor, plan=plan)  # type: ignore[attr-defined]
    share = household_cash_share({line.use: line.amount for line in plan.lines.all()})
    plan.cash_share = share  # type: ignore[attr-defined]
    plan.cash_warns = share > household_cash_limit()  # type: ignore[attr-defined]


class AssetFormView(TemplateView):
    """Register a new asset, or edit one, drawing its geometry on the map."""

    template_name = "registry/asset_form.html"

    def get_asset(self) -> Asset | None:
        code = self.kwargs.get("code")
        if code is None:
            return None
        asset = selectors.asset_get(user=self.request.user, code=code)
        if asset is None:
            raise Http404
        if not can_edit(self.request.user, asset.area_code):
            raise PermissionDenied(bilingual("You may not change records in this area."))
        return asset

    def may_register(self) -> None:
        """Readers are refused before any form is read (403), on GET and POST alike."""
        top = selectors.area_top(user=self.request.user)
        if top is None or not can_edit(self.request.user, top.code):
            raise PermissionDenied(bilingual("You may not change records in this area."))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        asset = self.get_asset()
        top = selectors.area_top(user=request.user)
        if asset is None:
            self.may_register()
        initial = {"area": top} if asset is None and top and top.level == "village" else {}
        form = AssetForm(instance=asset, initial=initial, user=request.user)
        network_form = AssetNetworkForm(link=_link(asset))
        return self.render_to_response(
            self.get_context_data(form=form, network_form=network_form, asset=asset)
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        asset = kwargs.get("asset")
        form = kwargs.get("form")
        if form is not None:  # django-leaflet's inline map set-up runs under our CSP nonce
            form.fields["geom"].widget.csp_nonce = getattr(self.request, "csp_nonce", None)
        context["submission_token"] = submission_token(self.request)
        context["form_data"] = {
            "subtypes": SUBTYPES_BY_CLASS,
            "networkSubtypes": NETWORK_SUBTYPES,
            **draw_data(user, has_geometry=bool(asset and asset.geom)),
        }
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        asset = self.get_asset()
        if asset is None:
            self.may_register()
        form = AssetForm(request.POST, instance=asset, user=request.user)
        network_form = AssetNetworkForm(request.POST, link=_link(asset))
        if form.is_valid() and network_form.is_valid():
            data = asset_services.AssetInput(
                values={name: form.cleaned_data[name] for name in form.Meta.fields},
                funding=form.funding(),
            )
            try:
                # The asset and its network attributes are one record: both are written, or
                # neither (a refused surface undoes the registration it came with).
                if asset is None:
                    actor = acting_user(request)
                    with first_submission(request, actor) as first:
                        if not first:
                            messages.info(request, ALREADY_SAVED)
                            return redirect("registry:asset_list")
                        saved = asset_services.asset_register(actor=actor, data=data)
                        _save_network(actor, saved, network_form)
                    if saved.status == AssetStatus.DRAFT:  # a village's: the township reviews it
                        messages.success(
                            request, _("Registered; waiting for the township's review.")
                        )
                    else:
                        messages.success(
                            request, _("Asset registered as %(code)s.") % {"code": saved.code}
                        )
                else:
                    with transaction.atomic():
                        saved = asset_services.asset_update(
                            actor=acting_user(request),
                            asset=asset,
                            expected_version=form.cleaned_data.get("version") or 0,
                            data=data,
                        )
                        _save_network(acting_user(request), saved, network_form)
                    if saved.status == AssetStatus.DRAFT:
                        messages.success(
                            request, _("Saved; the registration waits for the township's review.")
                        )
                    else:
                        messages.success(request, _("Saved."))
                return redirect("registry:asset_detail", code=saved.code)
            except NetworkRefused as exc:
                apply_service_errors(network_form, exc.error)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(
            self.get_context_data(form=form, network_form=network_form, asset=asset), status=400
        )


class NetworkRefused(Exception):
    """network_link_set refused the network attributes of the asset form: its errors belong on
    the form's network section (the transaction that held the asset is undone)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error)
        self.error = error


def _link(asset: Asset | None) -> NetworkLink | None:
    return NetworkLink.objects.filter(asset=asset).first() if asset is not None else None


def _save_network(actor: User, asset: Asset, network_form: AssetNetworkForm) -> None:
    """Write the network section of the asset form through network_link_set, after the asset
    itself and in its transaction (nothing when the section is empty and the asset has no
    link)."""
    if not network_form.stated():
        return
    try:
        network_link_set(
            actor=actor,
            asset=asset,
            expected_version=asset.version,
            **network_form.attributes(),
        )
    except ValidationError as exc:
        raise NetworkRefused(exc) from exc


def _asset_or_404(request: HttpRequest, code: str) -> Asset:
    asset = selectors.asset_get(user=request.user, code=code)
    if asset is None:
        raise Http404
    return asset


def _run(request: HttpRequest, asset: Asset, action: Any, success: Any) -> HttpResponse:
    """Run ``action`` and go back to the asset, saying what happened: ``success`` (or what it
    makes of the action's result, if callable) or the errors."""
    try:
        result = action()
        messages.success(request, success(result) if callable(success) else success)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, str(exc))
    return redirect("registry:asset_detail", code=asset.code)


@require_POST
def asset_approve_registration(request: HttpRequest, code: str) -> HttpResponse:
    asset = _asset_or_404(request, code)
    return _run(
        request,
        asset,
        lambda: asset_services.asset_approve_registration(actor=acting_user(request), asset=asset),
        _("Registration approved; the asset is in the register."),
    )


@require_POST
def asset_return_registration(request: HttpRequest, code: str) -> HttpResponse:
    """An approver returns a village's registration with a reason (退回)."""
    asset = _asset_or_404(request, code)
    form = ReviewReturnForm(request.POST)
    form.is_valid()  # the reason is free text: the service checks it
    return _run(
        request,
        asset,
        lambda: asset_services.asset_return_registration(
            actor=acting_user(request), asset=asset, reason=form.cleaned_data.get("reason", "")
        ),
        _("Returned to its author with your reason; it waits for their correction."),
    )


@require_POST
def asset_set_status(request: HttpRequest, code: str) -> HttpResponse:
    asset = _asset_or_404(request, code)
    if not can_edit(request.user, asset.area_code):
        raise PermissionDenied(bilingual("You may not change records in this area."))
    form = AssetStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("registry:asset_detail", code=asset.code)
    return _run(
        request,
        asset,
        lambda: asset_services.asset_set_status(
            actor=acting_user(request),
            asset=asset,
            status=form.cleaned_data["status"],
            expected_version=form.cleaned_data["version"],
        ),
        _("Status changed."),
    )


@require_POST
def asset_harden(request: HttpRequest, code: str) -> HttpResponse:
    """标记为已硬化: a road's surface becomes concrete, asphalt or stone (its year built
    stays), through network_link_set; the gaps near it are recomputed in the same
    transaction. The page's version of the asset guards against a change made since."""
    asset = _asset_or_404(request, code)
    if not can_edit(request.user, asset.area_code):
        raise PermissionDenied(bilingual("You may not change records in this area."))
    link = NetworkLink.objects.filter(asset=asset).first()
    if link is None or link.network != Network.ROAD:
        messages.error(
            request,
            bilingual(
                gettext_noop(
                    "Only a road with its network attributes can be marked hardened: set its"
                    " network type on the edit page first."
                )
            ),
        )
        return redirect("registry:asset_detail", code=asset.code)
    form = RoadHardenForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("registry:asset_detail", code=asset.code)
    return _run(
        request,
        asset,
        lambda: network_link_set(
            actor=acting_user(request),
            asset=asset,
            network_type=link.network_type,
            grade=link.grade,
            surface=form.cleaned_data["surface"],
            width_m=link.width_m,
            # Hardening does not change when the road was built.
            built_year=link.built_year,
            expected_version=form.cleaned_data["version"],
        ),
        _("The road is marked hardened; the network gaps near it were recomputed."),
    )


@require_POST
def plan_advance(request: HttpRequest, code: str, plan_id: int) -> HttpResponse:
    from registry.services.income import distribution_plan_advance

    asset = _asset_or_404(request, code)
    plan = DistributionPlan.objects.filter(asset=asset, pk=plan_id).first()
    if plan is None:
        raise Http404
    actor = acting_user(request)
    if not plan_can_advance(actor=actor, plan=plan):
        raise PermissionDenied(
            bilingual(gettext_noop("You may not take the next step of this plan."))
        )
    form = PlanAdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("registry:asset_detail", code=asset.code)
    return _run(
        request,
        asset,
        lambda: distribution_plan_advance(
            actor=acting_user(request),
            plan=plan,
            expected_version=form.cleaned_data["version"],
            resolution=form.cleaned_data["resolution"],
        ),
        lambda moved: PLAN_STEP_DONE.get(moved.status, _("The plan moved on to its next step.")),
    )


# What a plan's step did and who acts next.
PLAN_STEP_DONE = {
    PlanStatus.VILLAGE_RESOLVED: _(
        "The village's resolution is recorded; the plan waits for the township's review."
    ),
    PlanStatus.TOWNSHIP_REVIEWED: _("Reviewed; the plan waits for the county's filing."),
    PlanStatus.COUNTY_FILED: _("Filed with the county; the plan is complete."),
}


@require_POST
def plan_return(request: HttpRequest, code: str, plan_id: int) -> HttpResponse:
    """The level that reviews a plan sends it back to the village with a reason."""
    from registry.services.income import distribution_plan_return

    asset = _asset_or_404(request, code)
    plan = DistributionPlan.objects.filter(asset=asset, pk=plan_id).select_related("asset").first()
    if plan is None:
        raise Http404
    actor = acting_user(request)
    if not plan_can_return(actor=actor, plan=plan):
        raise PermissionDenied(bilingual(gettext_noop("You may not send this plan back.")))
    form = ReviewReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("registry:asset_detail", code=asset.code)
    return _run(
        request,
        asset,
        lambda: distribution_plan_return(
            actor=actor,
            plan=plan,
            expected_version=form.cleaned_data["version"] or 0,
            reason=form.cleaned_data["reason"],
        ),
        _("The plan was sent back to the village with your reason."),
    )


@require_POST
def disposal_decide(request: HttpRequest, code: str, request_id: int) -> HttpResponse:
    from registry.services.disposal import disposal_decide as decide

    asset = _asset_or_404(request, code)
    disposal = DisposalRequest.objects.filter(asset=asset, pk=request_id).first()
    form = DisposalDecisionForm(request.POST)
    if disposal is None:
        raise Http404
    if not disposal_can_decide(actor=acting_user(request), request=disposal):
        raise PermissionDenied(bilingual(gettext_noop("You may not decide this disposal.")))
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("registry:asset_detail", code=asset.code)
    return _run(
        request,
        asset,
        lambda: decide(
            actor=acting_user(request),
            request=disposal,
            approved=form.cleaned_data["approved"],
            comment=form.cleaned_data["comment"],
        ),
        _disposal_decided,
    )


def _disposal_decided(decided: DisposalRequest) -> str:
    """What a disposal decision did and what comes next."""
    if decided.status == DisposalStatus.REJECTED:
        return str(_("Rejected with your comment; the asset stays in use."))
    if decided.status == DisposalStatus.APPROVED:
        return str(_("Approved; record the disposal's outcome once it is done."))
    level = disposal_pending_level(decided)
    return str(
        _("Approved at your level; the request now waits for: %(level)s.")
        % {"level": level.label if level else ""}
    )


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files are served only to users who may see the asset they belong to."""
    attachment = Attachment.objects.select_related("asset").filter(pk=pk).first()
    if (
        attachment is None
        or selectors.asset_get(user=request.user, code=attachment.asset.code) is None
    ):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        filename=attachment_download_name(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline"
    )
    return response


class VillageNoticeSheetView(TemplateView):
    """A printable A4 公示 sheet for one village: who maintains each public asset, and how the
    income of its operating assets is to be shared."""

    template_name = "registry/notice_sheet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        area = selectors.area_get(user=self.request.user, code=self.kwargs["code"])
        if area is None:
            raise Http404
        assets = (
            selectors.asset_list(user=self.request.user)
            .filter(area_code__startswith=area.scope_prefix)
            .exclude(status__in=[AssetStatus.DISPOSED, AssetStatus.DRAFT])
        )
        public = assets.filter(asset_class="public").order_by("code")
        personal = can_see_personal_data(self.request.user)
        duties = {
            d.asset_id: d
            for d in selectors.duties_in_force(asset_ids=[a.pk for a in public]).select_related(
                "maintainer"
            )
        }
        rows = []
        for a in public:
            duty = duties.get(a.pk)
            if duty and not personal:
                duty.responsible_phone = mask_phone(duty.responsible_phone)
            rows.append((a, duty))
        plans = (
            DistributionPlan.objects.filter(asset__in=assets.filter(asset_class="operating"))
            .select_related("asset")
            .prefetch_related("lines")
            .order_by("-year", "asset__code")
        )
        context.update(area=area, rows=rows, plans=plans, today=timezone.localdate())
        return context
