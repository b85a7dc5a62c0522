"""Loans: created by disbursement from the approved credit decision."""

import calendar
import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.models import Loan
from lending.services.terms import money_error
from xinyidai.errors import DomainError


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def loan_create(
    *,
    application,
    decision,
    officer,
    contract_number: str,
    principal: Decimal | None,
    disbursed_on: datetime.date | None,
    maturity_on: datetime.date | None,
    first_loan_attested: bool,
) -> Loan:
    """Create the loan of an approved application; principal defaults to the approved amount."""
    principal = decision.amount if principal is None else principal
    disbursed_on = disbursed_on or timezone.localdate()
    errors = {}
    if not contract_number or not contract_number.strip():
        errors["contract_number"] = [str(_("Enter the loan contract number."))]
    if money_error(principal) or principal > decision.amount:
        errors["principal"] = [str(_("The principal must be above zero and at most the approved amount."))]
    if disbursed_on > timezone.localdate():
        # Checked before the default maturity is computed: a far-future date would overflow the calendar.
        errors["disbursed_on"] = [str(_("The disbursement date cannot be in the future."))]
    else:
        maturity_on = maturity_on or add_months(disbursed_on, decision.term_months)
        if maturity_on <= disbursed_on:
            errors["maturity_on"] = [str(_("The maturity date must be after the disbursement date."))]
    if errors:
        raise DomainError(
            code="invalid", message=_("Please correct the highlighted fields."), detail=errors, status=400
        )
    try:
        with transaction.atomic():
            return Loan.objects.create(
                contract_number=contract_number.strip(),
                application=application,
                enterprise=application.enterprise,
                institution=application.institution,
                product=application.product,
                principal=principal,
                annual_rate=decision.annual_rate,
                term_months=decision.term_months,
                disbursed_on=disbursed_on,
                maturity_on=maturity_on,
                guarantee_mode=decision.guarantee_mode,
                first_loan_attested=first_loan_attested,
                outstanding_balance=principal,
                disbursed_by=officer,
            )
    except IntegrityError:
        raise DomainError(
            code="duplicate_contract",
            status=400,
            message=_("This contract number is already used by your institution."),
            detail={"contract_number": [str(_("This contract number is already used by your institution."))]},
        ) from None
