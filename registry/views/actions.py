"""One form page per business action on an asset; each calls exactly one service."""

from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
from registry.models import DisposalRequest
from registry.services import disposal, income, maintenance, notices, ownership
from registry.views.base import AssetActionView


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
    """The field form: made for a phone, with the GPS position and photos."""

    form_class = MaintenanceLogForm
    title = _("Log an inspection or repair")
    success_message = _("Logged.")
    template_name = "registry/maintenance_log_form.html"
    multipart = True

    def get_initial(self) -> dict[str, Any]:
        return {"performed_on": timezone.localdate(), "kind": "inspection", "result": "normal"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["gps_messages"] = {
            "unsupported": gettext("This browser cannot tell its position."),
            "locating": gettext("Finding your position…"),
            "found": gettext("Position found, accurate to about %(m)s m."),
            "failed": gettext("The position could not be found; type it in or try again."),
        }
        return context

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        location = None
        if data.get("latitude") is not None:
            location = Point(data["longitude"], data["latitude"], srid=4490)
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
            photos=data["photos"],
        )


class IncomeRecordView(AssetActionView):
    form_class = IncomeRecordForm
    title = _("Record income")
    success_message = _("Income recorded.")

    def perform(self, form: Any) -> None:
        income.income_record_add(actor=self.actor, asset=self.asset, **form.cleaned_data)


class DistributionPlanView(AssetActionView):
    form_class = DistributionPlanForm
    title = _("Plan the income distribution")
    intro = _(
        "The lines must add up to the amount to distribute. Income must go to public-welfare "
        "posts, public works, rewards and upkeep, not simply be handed out per head."
    )
    success_message = _("Distribution plan drafted.")

    def perform(self, form: Any) -> None:
        data = form.cleaned_data
        income.distribution_plan_create(
            actor=self.actor,
            asset=self.asset,
            year=data["year"],
            total=data["total"],
            lines=form.lines(),
            resolution=data["resolution"],
        )


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
