"""Bounds every requested or granted loan shares: a positive amount in yuan and a term of 1-360 months."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from xinyidai.errors import DomainError

MAX_TERM_MONTHS = 360
CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1E+16")  # the money columns are NUMERIC(18, 2): anything from here on cannot be stored


def money_error(value, *, zero_allowed: bool = False) -> str | None:
    """Why `value` is not an amount of money in yuan, or None when it is.

    Money is a finite Decimal of whole cents that fits the NUMERIC(18, 2) columns. Forms and serializers hand
    the services exactly that; anything else (a float, an int, NaN, a tenth of a cent that the column would round
    away, a number too large for it) is refused here with a message instead of failing in the database.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        return str(_("Enter the amount in yuan as a decimal number."))
    if value < 0 or (value == 0 and not zero_allowed):
        return str(_("The amount cannot be negative.") if zero_allowed else _("The amount must be greater than zero."))
    if value >= MONEY_LIMIT:
        return str(_("The amount is too large."))
    if value != value.quantize(CENT):
        return str(_("Enter the amount in yuan with at most 2 decimal places."))
    return None


def term_errors(*, amount: Decimal | None, term_months: int | None) -> dict[str, list[str]]:
    """Field errors for an amount and a term (empty when both are acceptable)."""
    errors = {}
    if message := money_error(amount):
        errors["amount"] = [message]
    if isinstance(term_months, bool) or not isinstance(term_months, int) or not 1 <= term_months <= MAX_TERM_MONTHS:
        errors["term_months"] = [str(_("The term must be between 1 and 360 months."))]
    return errors


def raise_invalid(errors: dict[str, list[str]], message=None) -> None:
    """Refuse the input with a 400 and the field errors, if there are any."""
    if errors:
        raise DomainError(
            code="invalid", message=message or _("Please correct the highlighted fields."), detail=errors, status=400
        )
