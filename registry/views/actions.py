"""One form page per business action on an asset; each calls exactly one service."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.gis.geos import Point
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from registry import selectors
from registry.choices import AllocationUse
from registry.errors import bilingual
from registry.forms import (
    DisposalCompleteForm,
    DisposalRequestForm,
    DistributionPlanForm,
    HandoverForm,
    IncomeRecordForm,
    MaintenanceDutyForm,
    MaintenanceLogForm,
    OperationContractForm,
    OwnershipForm,
    PublicNoticeForm,
)
from registry.models import DisposalRequest, DistributionPlan
from registry.services import disposal, income, maintenance, notices, ownership
from registry.views.base import AssetActionView, geojson
from registry.views.pending import MAX_FILES, describe, forget, keep_uploads, kept_uploads


class OwnershipConfirmView(AssetActionView):
    form_class = OwnershipForm
    needs_user = True
    title = _("Confirm ownership")
    intro = _("Name the owners and their shares; the shares must add up to 100 %.")
    success_message = _("Ownership confirmed.")
    template_name = "registry/ownership_form.html"

    def perform(self, form: Any) -> None:
        ownership.ownership_confirm(
            actor=self.actor,
            asset=self.asset,
            shares=form.shares(),
            effective_on=form.cleaned_data["effective_on"],
            basis=form.cleaned_data["basis"],
            certificate_no=form.cleaned_data["certificate_no"],
        )


class HandoverView(AssetActionView):
    form_class = HandoverForm
    needs_user = True
    title = _("Hand over")
    intro = _("The receiving party becomes the sole owner from the handover date.")
    success_message = _("Handover recorded.")

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        ownership.asset_hand_over(
            actor=self.actor,
            asset=self.asset,
            from_party=data["from_party"],
            to_party=data["to_party"],
            supervisor=data["supervisor"],
            handed_on=data["handed_on"],
            items=data["items"],
        )


class OperationContractView(AssetActionView):
    form_class = OperationContractForm
    needs_user = True
    title = _("Record the operator")
    success_message = _("Operation contract recorded.")

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        ownership.operation_contract_add(
            actor=self.actor, asset=self.asset, **{k: data[k] for k in form.Meta.fields}
        )


class MaintenanceAssignView(AssetActionView):
    form_class = MaintenanceDutyForm
    needs_user = True
    title = _("Assign maintenance")
    intro = _(
        "Who keeps the asset, who answers for it, what they must do and how often to inspect."
    )
    success_message = _("Maintenance duty assigned.")

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        maintenance.maintenance_assign(
            actor=self.actor, asset=self.asset, **{k: data[k] for k in form.Meta.fields}
        )


class MaintenanceLogView(AssetActionView):
    """The field form: made for a phone, with the GPS position (or a tap on a small map when
    the phone cannot tell it) and photos that survive a form sent back with an error."""

    form_class = MaintenanceLogForm
    title = _("Log an inspection or repair")
    success_message = _("Logged.")
    template_name = "registry/maintenance_log_form.html"
    multipart = True
    kept: list[dict[str, str]] | None = None

    def get_initial(self) -> dict[str, Any]:
        return {"performed_on": timezone.localdate(), "kind": "inspection", "result": "normal"}

    def kept_ids(self) -> list[str]:
        return self.request.POST.getlist("kept_photo") if self.request.method == "POST" else []

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The browser's own reason (in the browser's language) is not shown: each case in words.
        context["gps_messages"] = {
            "unsupported": gettext("This browser cannot tell its position."),
            "locating": gettext("Finding your position…"),
            "found": gettext("Position found, accurate to about %(m)s m."),
            "denied": gettext(
                "The phone did not allow this page to know its position. Tap the place on the"
                " map below, or allow location for this site in the browser's settings."
            ),
            "unavailable": gettext(
                "The phone cannot find its position here. Tap the place on the map below."
            ),
            "timeout": gettext(
                "Finding the position took too long. Tap the place on the map below, or try again."
            ),
            "picked": gettext("Position taken from the map: %(lat)s, %(lon)s."),
        }
        context["kept_photos"] = self.kept or []
        place = self.asset.area
        context["pick_geometry"] = geojson(self.asset.geom)
        context["pick_surroundings"] = selectors.area_surroundings(
            user=self.request.user, area=place
        )
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        # Photos already kept stay kept; those chosen this time are kept if they would pass.
        actor, still = self.actor, self.kept_ids()
        kept, dropped = keep_uploads(
            actor, self.asset, self.request.FILES.getlist("photos"), still=still
        )
        self.kept = describe(actor, self.asset, still) + kept
        if dropped:
            messages.warning(
                self.request,
                bilingual(
                    gettext_noop(
                        "At most %(n)s photos are kept for a form: %(dropped)s were not kept."
                    ),
                    n=MAX_FILES,
                    dropped=dropped,
                ),
            )
        return super().form_invalid(form)

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        location = None
        if data.get("latitude") is not None:
            location = Point(data["longitude"], data["latitude"], srid=4490)
        kept = kept_uploads(self.actor, self.asset, self.kept_ids())
        maintenance.maintenance_log_add(
            actor=self.actor,
            asset=self.asset,
            kind=data["kind"],
            performed_on=data["performed_on"],
            result=data["result"],
            findings=data["findings"],
            cost=data["cost"] or Decimal(0),
            location=location,
            location_accuracy_m=data.get("accuracy"),
            photos=[upload for _id, upload in kept] + data["photos"],
        )
        actor, asset = self.actor, self.asset
        transaction.on_commit(lambda: forget(actor, asset))


class IncomeRecordView(AssetActionView):
    form_class = IncomeRecordForm
    title = _("Record income")
    success_message = _("Income recorded.")

    def perform(self, form: Any) -> None:
        income.income_record_add(actor=self.actor, asset=self.asset, **form.cleaned_data)


class DistributionPlanView(AssetActionView):
    """Draft a year's plan, or revise a draft or sent-back one (``plan_id``); the page warns,
    as the amounts are typed, when more than the county's share goes to households as cash."""

    form_class = DistributionPlanForm
    title = _("Plan the income distribution")
    intro = _(
        "The lines must add up to the amount to distribute. Income must go to public-welfare "
        "posts, public works, rewards and upkeep, not simply be handed out per head."
    )
    success_message = _(
        "Distribution plan drafted. Next: the village records its resolution, then the "
        "township reviews the plan and the county files it."
    )
    template_name = "registry/distribution_plan_form.html"
    plan: DistributionPlan | None = None

    def allowed(self) -> bool:
        if "plan_id" in self.kwargs:
            # A plan of another asset (or none) is not here at all: 404 before any right.
            self.plan = (
                DistributionPlan.objects.filter(asset=self.asset, pk=self.kwargs["plan_id"])
                .prefetch_related("lines", "returns__returned_by")
                .first()
            )
            if self.plan is None:
                raise Http404
        return super().allowed()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.plan is not None and not income.plan_can_revise(actor=self.actor, plan=self.plan):
            messages.error(request, _("Only a draft plan or one sent back can be revised."))
            return redirect("registry:asset_detail", code=self.asset.code)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["revising"] = self.plan is not None
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        if self.plan is None:
            return {"year": timezone.localdate().year - 1}  # last year's income is shared
        initial: dict[str, Any] = {
            "year": self.plan.year,
            "total": self.plan.total,
            "resolution": self.plan.resolution,
            "version": self.plan.version,
        }
        for line in self.plan.lines.all():
            initial[f"line_{line.use}"] = line.amount
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        limit = income.household_cash_limit()
        if self.plan is not None:
            context["title"] = _("Revise the plan for %(year)s") % {"year": self.plan.year}
            context["intro"] = _(
                "Correct the plan and save it: it becomes a draft again, and the village "
                "records its resolution to send it to the township once more."
            )
        returns = list(self.plan.returns.all()) if self.plan is not None else []
        context.update(
            plan=self.plan,
            latest_return=returns[0] if returns else None,
            cash_check={
                "limit": float(limit),
                "households": AllocationUse.HOUSEHOLDS.value,
                "warning": gettext(
                    "%(share)s %% of the money goes straight to households as cash, more than "
                    "the %(limit)s %% above which the county warns: income is not to be simply "
                    "handed out (发钱发物、一分了之). Put it into public-welfare posts, public "
                    "works, rewards or upkeep."
                ),
                "sum": gettext("The lines add up to %(allocated)s of %(total)s yuan."),
                "balanced": gettext("The lines add up to the amount to distribute."),
            },
            cash_limit=limit,
        )
        return context

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        lines = form.lines()
        if self.plan is None:
            income.distribution_plan_create(
                actor=self.actor,
                asset=self.asset,
                year=data["year"],
                total=data["total"],
                lines=lines,
                resolution=data["resolution"],
            )
        else:
            income.distribution_plan_revise(
                actor=self.actor,
                plan=self.plan,
                expected_version=data.get("version") or 0,
                total=data["total"],
                lines=lines,
                resolution=data["resolution"],
            )
            self.success_message = _(
                "Plan revised. Next: the village records its resolution to send it to the "
                "township again."
            )
        if income.household_cash_warns(lines):
            messages.warning(
                self.request,
                _(
                    "%(share)s %% of this plan goes straight to households as cash, more than "
                    "the %(limit)s %% above which the county warns."
                )
                % {
                    "share": _percent(income.household_cash_share(lines)),
                    "limit": _percent(income.household_cash_limit()),
                },
            )


def _percent(value: Decimal) -> str:
    """A percentage without trailing zeros: 40, 33.3."""
    return format(value.normalize(), "f")


class DisposalRequestView(AssetActionView):
    form_class = DisposalRequestForm
    title = _("Request disposal")
    intro = _("The book value decides which levels must approve.")
    success_message = _("Disposal requested.")

    def perform(self, form: Any) -> None:
        disposal.disposal_request(actor=self.actor, asset=self.asset, **form.cleaned_data)


class DisposalCompleteView(AssetActionView):
    form_class = DisposalCompleteForm
    title = _("Record the disposal's outcome")
    success_message = _("Disposal completed; the asset stays in the register as disposed.")

    def allowed(self) -> bool:
        # A request of another asset (or none) is not here at all: 404 before any right or form.
        if not DisposalRequest.objects.filter(
            asset=self.asset, pk=self.kwargs["request_id"]
        ).exists():
            raise Http404
        return super().allowed()

    def perform(self, form: Any) -> None:
        # The service refuses a request that is not approved (a field error, not a 404).
        request = DisposalRequest.objects.get(asset=self.asset, pk=self.kwargs["request_id"])
        disposal.disposal_complete(actor=self.actor, request=request, **form.cleaned_data)


class NoticePostView(AssetActionView):
    form_class = PublicNoticeForm
    title = _("Record a public notice")
    success_message = _("Notice recorded.")

    def perform(self, form: Any) -> None:
        notices.notice_post(actor=self.actor, asset=self.asset, **form.cleaned_data)
