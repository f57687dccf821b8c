"""What every registry form page shares: find the record in the user's scope, check the right,
call one service, and turn its errors into form errors."""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from registry import selectors
from registry.errors import ConflictError, bilingual, form_errors
from registry.models import Asset, User
from registry.scoping import can_edit
from registry.services._common import submission_claim


def draw_data(user: Any, *, has_geometry: bool) -> dict[str, Any]:
    """What a drawing map needs beside its form (assets, needs, projects): the outlines and
    village points of the user's areas, to draw among them and to centre on the chosen area."""
    features = []
    points: dict[str, Any] = {}
    for area in selectors.area_reference(user=user):
        if area["lon"] is not None:
            points[str(area["pk"])] = (area["lon"], area["lat"])
        if area["shape"]:
            properties = {"name": area["short_name"], "level": area["level"]}
            geometry = json.loads(area["shape"])
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {
        "reference": {"type": "FeatureCollection", "features": features},
        "points": points,
        "hasGeometry": has_geometry,
    }


def geojson(geom: Any) -> dict[str, Any] | None:
    """A geometry as GeoJSON for a page's small map: CGCS2000 numbers are WGS84 numbers to
    well under a metre, so no transformation (GDAL's costs ~30 ms a call)."""
    if geom is None:
        return None
    result: dict[str, Any] = json.loads(geom.json)
    return result


def bad_filters(filterset: Any) -> JsonResponse:
    """400 for a list, layer or export URL whose filters do not parse, naming each one in
    Chinese and English (the pages' own forms only offer valid values: this is a typed or
    stale URL)."""
    return JsonResponse({"errors": form_errors(filterset.form)}, status=400)


def acting_user(request: HttpRequest) -> User:
    """The signed-in user (LoginRequiredMiddleware keeps anonymous users out of these views)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


ALREADY_SAVED = _("This form had already been saved; nothing was written twice.")


def submission_token(request: HttpRequest) -> str:
    """The token a write form carries: a new one per page, the same one when the page comes
    back with errors (nothing was written under it, so it may be used again)."""
    token = request.POST.get("submission", "") if request.method == "POST" else ""
    try:
        return str(uuid.UUID(token))
    except ValueError:
        return str(uuid.uuid4())


@contextmanager
def first_submission(request: HttpRequest, actor: User) -> Iterator[bool]:
    """The transaction of one form submission's write. It yields False when the same
    submission (its token) was written already: the caller then writes nothing and says so."""
    with transaction.atomic():
        yield submission_claim(actor=actor, token=request.POST.get("submission"), path=request.path)


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class AssetActionView(FormView):
    """A form page that performs one service on one asset, then returns to the asset."""

    template_name = "registry/asset_action.html"
    title: Any = ""
    intro: Any = ""
    success_message: Any = _("Saved.")
    needs_user = False
    multipart = False
    asset: Asset

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        asset = selectors.asset_get(user=request.user, code=kwargs["code"])
        if asset is None:
            raise Http404
        self.asset = asset
        if not self.allowed():
            raise PermissionDenied(bilingual("You may not change records in this area."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def actor(self) -> User:
        return acting_user(self.request)

    def allowed(self) -> bool:
        return can_edit(self.request.user, self.asset.area_code)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.needs_user:
            kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            asset=self.asset,
            title=self.title,
            intro=self.intro,
            multipart=self.multipart,
            submission_token=submission_token(self.request),
        )
        return context

    def perform(self, form: Any) -> None:
        raise NotImplementedError

    def form_invalid(self, form: Any) -> HttpResponse:
        # 400, as the asset form answers: the page is the same, the status tells scripts.
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            with first_submission(self.request, self.actor) as first:
                if not first:
                    messages.info(self.request, ALREADY_SAVED)
                    return redirect("registry:asset_detail", code=self.asset.code)
                self.perform(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect("registry:asset_detail", code=self.asset.code)
