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
    # Text that looks like a formula (=…, +…, @…) is kept as the text it is, as the form keeps
    # it: nothing here evaluates it, and every export neutralises it again.
    return text


def _decimal(row: Row, key: str, value: Any, factor: Decimal = Decimal(1)) -> Decimal | None:
    """A number within the column's digits and places; ``factor`` converts the file's unit
    (万元 -> yuan) before the places are counted, so 19.2345 万元 is 192,345.00 yuan."""
    if isinstance(value, bool):
        row.problem(key, gettext_noop("Not a number."))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", "")) * factor
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
        # The places in the file's own unit: factors are powers of ten (1, 10,000).
        stated = places + len(str(int(factor))) - 1
        row.problem(key, gettext_noop("At most %(places)s decimal places."), places=stated)
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
# A ledger that keeps only the year (建成年份 2019, "2019年") or the month ("2019-06",
# "2019年6月"): the first day of it, which is what the asset code and the funding era need.
YEAR_MONTH = re.compile(r"^(\d{4})(?:年|\.0)?(?:[-/.年](\d{1,2})月?)?$")


def _date(row: Row, key: str, value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    numeric = not isinstance(value, str) or re.fullmatch(r"\d{5}(\.0+)?", text)
    serial = _float(value) if numeric else None
    if serial is not None and 40179 <= serial < 73051:
        # An Excel date kept as its serial number (a cell formatted as a number, or a CSV of
        # such a sheet): days since 1899-12-30, from 2010 to 2099.
        return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(serial))
    short = YEAR_MONTH.match(text)
    if short and 1900 <= int(short.group(1)) <= 2100:
        try:
            return datetime.date(int(short.group(1)), int(short.group(2) or 1), 1)
        except ValueError:
            pass
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


def choice_lookup(choices: Any) -> dict[str, str]:
    """Every spelling of a choice we accept (its code, Chinese and English label) -> its code,
    for ``choices`` as (code, label) pairs."""
    lookup: dict[str, str] = {}
    for code, label in choices:
        with translation.override("zh-hans"):
            zh = str(label)
        with translation.override("en"):
            en = str(label)
        for spelling in (code, zh, en):
            lookup[spelling.strip().lower()] = str(code)
    return lookup


def _choice_lookup(key: str) -> dict[str, str]:
    """choice_lookup of an asset ledger column's choices (registry.ledgers.LABELS), kept."""
    if key not in _choices:
        _choices[key] = choice_lookup(LABELS[key].items())
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
