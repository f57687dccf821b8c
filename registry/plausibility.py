"""Values a person is asked to confirm before they are kept: not against any rule, but unusual
enough that a slip (a value in 万元 read as yuan, a key held down) is likelier than the truth.
The asset form and the ledger import ask the same question with the same bounds."""

from decimal import Decimal

from django.conf import settings

# A single project asset worth under 100 yuan or over 100 million yuan (1 亿元).
VALUE_CONFIRM_BELOW = Decimal(100)
VALUE_CONFIRM_ABOVE = Decimal(100_000_000)


def value_bounds() -> tuple[Decimal, Decimal]:
    """The bounds, from settings.ATLAS_VALUE_CONFIRM (a pair of yuan) when a province sets
    them, else the defaults above."""
    bounds = getattr(settings, "ATLAS_VALUE_CONFIRM", None)
    if bounds:
        return Decimal(str(bounds[0])), Decimal(str(bounds[1]))
    return VALUE_CONFIRM_BELOW, VALUE_CONFIRM_ABOVE


def value_needs_confirmation(value: Decimal | None) -> bool:
    """Is an asset's original value (yuan) unusual enough to be confirmed?"""
    if value is None:
        return False
    low, high = value_bounds()
    return value < low or value > high
