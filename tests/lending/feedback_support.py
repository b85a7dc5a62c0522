"""Helpers shared by the bank feedback tests (services, import, pages, API): a loan with a history to report on."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from tests.factories import BranchFactory, LoanFactory, OfficerFactory, ProductFactory, SmeUserFactory

PRINCIPAL = Decimal("1000000.00")


def today() -> datetime.date:
    return timezone.localdate()


def months_ago(n: int) -> datetime.date:
    """The first day of the month n months before this one."""
    first = today().replace(day=1)
    for _ in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


@dataclass
class Bank:
    head: object
    branch: object
    sibling: object
    officer: object  # at the branch that lent
    head_officer: object
    sibling_officer: object
    other_officer: object  # another bank altogether
    sme: object


def make_bank() -> Bank:
    branch = BranchFactory()
    sibling = BranchFactory(parent=branch.parent)
    other = BranchFactory()
    return Bank(
        head=branch.parent,
        branch=branch,
        sibling=sibling,
        officer=OfficerFactory(institution=branch),
        head_officer=OfficerFactory(institution=branch.parent),
        sibling_officer=OfficerFactory(institution=sibling),
        other_officer=OfficerFactory(institution=other),
        sme=SmeUserFactory(),
    )


def make_loan(bank: Bank, *, principal: Decimal = PRINCIPAL, contract_number: str | None = None, **fields):
    """A live loan of the bank's branch to the SME's enterprise, disbursed over a year ago."""
    extra = {"contract_number": contract_number} if contract_number else {}
    return LoanFactory(
        application__product=ProductFactory(institution=bank.branch),
        application__enterprise=bank.sme.membership.enterprise,
        principal=principal,
        outstanding_balance=principal,
        disbursed_on=today() - datetime.timedelta(days=400),
        maturity_on=today() + datetime.timedelta(days=400),
        **extra,
        **fields,
    )


def next_month() -> datetime.date:
    return (today().replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
