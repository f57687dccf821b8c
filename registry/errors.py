"""Errors the services raise, worded in Chinese and English at once.

Service errors reach people through forms, imports and APIs that may not share the page's
language, so every message carries both: "中文 / English". Messages are marked with
``gettext_noop`` so that makemessages collects them for the Chinese catalogue.
"""

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models import Model
from django.forms.utils import ErrorList
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

__all__ = [
    "BilingualErrors",
    "ConflictError",
    "PermissionDenied",
    "ValidationError",
    "bilingual",
    "clean_bilingual",
    "clean_stated",
    "field_error",
    "form_errors",
]


def bilingual(message: str, **params: Any) -> str:
    """The Chinese translation and the English original of ``message``, joined by " / "."""
    with translation.override("zh-hans"):
        zh = gettext(message) % params if params else gettext(message)
    en = message % params if params else message
    return zh if zh == en else f"{zh} / {en}"


# For messages evaluated later (model constraint messages): the same "中文 / English" text.
bilingual_lazy = lazy(bilingual, str)


def field_error(field: str, message: str, **params: Any) -> ValidationError:
    return ValidationError({field: bilingual(message, **params)})


def denied(
    message: str = gettext_noop("You may not change records in this area."),
) -> PermissionDenied:
    return PermissionDenied(bilingual(message))


class ConflictError(Exception):
    """Someone else saved the record after it was loaded: nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            bilingual(
                gettext_noop(
                    "Someone else changed this record after you opened it. Nothing was saved: "
                    "reload it, check their changes and make yours again."
                )
            )
        )


def _both_languages(error: ValidationError) -> str:
    def render(language: str) -> str:
        with translation.override(language):
            # Django's own order: format the lazy message first (a plural picks its form from
            # the params), then turn it into text.
            message = error.message % error.params if error.params else error.message
            return str(message)

    zh, en = render("zh-hans"), render("en")
    return zh if zh == en else f"{zh} / {en}"


def form_errors(form: Any) -> dict[str, list[str]]:
    """A bound form's errors by field, each message in Chinese and English (for JSON answers:
    a FilterSet given a junk filter in an export or layer URL)."""
    return {
        name: [_both_languages(e) for e in errs.as_data()] for name, errs in form.errors.items()
    }


def clean_bilingual(obj: Any, **kwargs: Any) -> None:
    """``obj.full_clean()``, with Django's own messages (too long, too many decimals, a
    constraint) worded in Chinese and English like every other service error; text holding a
    NUL byte (which PostgreSQL cannot store) is refused on its field, beside the others."""
    nul = bilingual(gettext_noop("The text holds a NUL character."))
    errors: dict[str, list[str]] = {
        field.name: [nul]
        for field in obj._meta.concrete_fields
        # A generated column is the database's (reading it on a new row would query for it).
        if not field.generated and "\x00" in str(getattr(obj, field.attname, None) or "")
    }
    kwargs["exclude"] = [*kwargs.get("exclude", []), *errors]
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            if errors:
                raise ValidationError(errors) from exc
            raise ValidationError([_both_languages(e) for e in exc.error_list]) from exc
        for field, field_errors in exc.error_dict.items():
            errors.setdefault(field, []).extend(_both_languages(e) for e in field_errors)
    if errors:
        raise ValidationError(errors)


def _refuse_nul(field: str, value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise field_error(field, gettext_noop("The text holds a NUL character."))


def _exact(value: Decimal, places: int) -> Decimal:
    """``value`` with ``places`` decimals when that changes nothing but trailing zeros (100.0000
    per cent is 100.000), else as it was, for the field to refuse."""
    if not value.is_finite() or value.as_tuple().exponent >= -places:  # type: ignore[operator]
        return value
    try:
        exact = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than decimal arithmetic carries
        return value
    return exact if exact == value else value


def clean_stated(
    model: type[Model], values: dict[str, Any], *, on: str | None = None
) -> dict[str, Any]:
    """What a person stated, checked against the columns of ``model`` that will hold it, before
    any rule compares, adds or looks it up: a number that is not finite or that the column
    cannot hold exactly (too many digits or decimals, an integer out of range), text too long
    or holding a NUL byte, a code that is not one of the field's choices. Every value at fault
    is named on its field (or on ``on``, for the items of a list such as shares), in Chinese
    and English; the values come back as the columns will hold them (an int as a Decimal).
    Names that are not plain columns of ``model`` (relations, geometry) come back untouched."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    for name, value in values.items():
        target = on or name
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.is_relation or getattr(field, "geom_type", None) or not field.concrete:
            continue
        try:
            _refuse_nul(target, value)
            if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
                value = _exact(value, field.decimal_places)
            if isinstance(field, ArrayField) and isinstance(value, (list, tuple)):
                # Item by item: the array's own "item n did not validate" message is worded
                # once, in whichever language is active, and cannot be put in both.
                for item in value:
                    _refuse_nul(target, item)
                items = [field.base_field.clean(item, None) for item in value]
                field.run_validators(items)
                cleaned[name] = items
            else:
                cleaned[name] = field.clean(value, None)  # type: ignore[union-attr]
        except ValidationError as exc:
            messages = exc.message_dict.get(target) if hasattr(exc, "error_dict") else None
            errors.setdefault(target, []).extend(
                messages or [_both_languages(e) for e in exc.error_list]
            )
        except (TypeError, ValueError, ArithmeticError):  # a value of the wrong kind entirely
            errors.setdefault(target, []).append(
                bilingual(gettext_noop("This value cannot be stored here."))
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def visible(text: str) -> bool:
    """Does ``text`` hold something a reader can see? Not only spaces, nor only invisible
    format characters (zero-width spaces and joiners, BOM: Unicode category Cf)."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


class BilingualErrors:
    """Every error a field shows in Chinese and English at once, as the services word theirs
    (a form's own "required" or "enter a number" would otherwise speak only the page's
    language)."""

    _errors: Any

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name, errors in list((self._errors or {}).items()):
            worded = [_both_languages(e) for e in errors.as_data()]
            nonfield = name == NON_FIELD_ERRORS
            self._errors[name] = ErrorList(worded, error_class="nonfield" if nonfield else None)
