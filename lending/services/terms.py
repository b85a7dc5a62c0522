"""Bounds every requested or granted loan shares: a positive amount in yuan and a term of 1-360 months."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from xinyidai.errors import DomainError

MAX_TERM_MONTHS = 360


def term_errors(*, amount: Decimal | None, term_months: int | None) -> dict[str, list[str]]:
    """Field errors for an amount and a term (empty when both are acceptable)."""
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = [str(_("The amount must be greater than zero."))]
    if term_months is None or not 1 <= term_months <= MAX_TERM_MONTHS:
        errors["term_months"] = [str(_("The term must be between 1 and 360 months."))]
    return errors


def raise_invalid(errors: dict[str, list[str]], message=None) -> None:
    """Refuse the input with a 400 and the field errors, if there are any."""
    if errors:
        raise DomainError(
            code="invalid", message=message or _("Please correct the highlighted fields."), detail=errors, status=400
        )
