"""Errors the services raise, worded in Chinese and English at once.

Service errors reach people through forms, imports and APIs that may not share the page's
language, so every message carries both: "中文 / English". Messages are marked with
``gettext_noop`` so that makemessages collects them for the Chinese catalogue.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

__all__ = ["ConflictError", "PermissionDenied", "ValidationError", "bilingual", "field_error"]


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


def clean_bilingual(obj: Any, **kwargs: Any) -> None:
    """``obj.full_clean()``, with Django's own messages (too long, too many decimals, a
    constraint) worded in Chinese and English like every other service error; text holding a
    NUL byte (which PostgreSQL cannot store) is refused on its field."""
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname, None)
        if isinstance(value, str) and "\x00" in value:
            raise field_error(field.name, gettext_noop("The text holds a NUL character."))
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {
                    field: [_both_languages(e) for e in errors]
                    for field, errors in exc.error_dict.items()
                }
            ) from exc
        raise ValidationError([_both_languages(e) for e in exc.error_list]) from exc
