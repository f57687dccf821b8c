"""Cell parsers: a cell's text, number, count, date or choice, or a problem on its column."""

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_noop

from transfer.exporters import FORMULA_START, LABELS
from transfer.importers.columns import NUMBER_LIMITS
from transfer.importers.rows import Row

# --- checking -----------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


def _text(row: Row, key: str, value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if "\x00" in text:  # PostgreSQL text cannot hold it
        row.problem(key, gettext_noop("The text holds a NUL character."))
        return text.replace("\x00", "").strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        text = text[1:]  # our own exports neutralise formulas with a leading apostrophe
    if text.startswith(FORMULA_START) and not re.match(r"^-\d", text):
        row.problem(key, gettext_noop("Text that starts like a spreadsheet formula is refused."))
    return text


def _decimal(row: Row, key: str, value: Any) -> Decimal | None:
    if isinstance(value, bool):
        row.problem(key, gettext_noop("Not a number."))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        row.problem(key, gettext_noop("Not a number."))
        return None
    digits, places = NUMBER_LIMITS[key]
    if not number.is_finite():
        row.problem(key, gettext_noop("Not a number."))
        return None
    if number < 0:
        row.problem(key, gettext_noop("Must be zero or more."))
        return None
    if number and number.adjusted() >= digits - places:  # before quantize: 1E30 has no cents
        row.problem(key, gettext_noop("The number is too large."))
        return None
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if quantized != number:
        row.problem(key, gettext_noop("At most %(places)s decimal places."), places=places)
        return None
    if len(quantized.as_tuple().digits) > digits:
        row.problem(key, gettext_noop("The number is too large."))
        return None
    return quantized


def _integer(row: Row, key: str, value: Any) -> int | None:
    number = _float(value)
    if number is None or not float(number).is_integer() or number < 0 or number > 2**31 - 1:
        row.problem(key, gettext_noop("Must be a whole number, zero or more."))
        return None
    return int(number)


DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def _date(row: Row, key: str, value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    row.problem(key, gettext_noop("Not a date (write 2021-05-03)."))
    return None


_choices: dict[str, dict[str, str]] = {}


def _choice_lookup(key: str) -> dict[str, str]:
    """Every spelling of a choice we accept (its code, Chinese and English label) -> its code."""
    if key not in _choices:
        lookup = {}
        for code, label in LABELS[key].items():
            with translation.override("zh-hans"):
                zh = str(label)
            with translation.override("en"):
                en = str(label)
            for spelling in (code, zh, en):
                lookup[spelling.strip().lower()] = str(code)
        _choices[key] = lookup
    return _choices[key]


def _choice(row: Row, key: str, value: Any) -> str | None:
    text = str(value).strip()
    code = _choice_lookup(key).get(text.lower())
    if code is not None:
        return code
    row.problem(
        key,
        gettext_noop("Unknown value %(value)s; allowed: %(allowed)s"),
        value=text[:40],
        allowed="、".join(str(v) for v in LABELS[key].values())[:300],
    )
    return None
