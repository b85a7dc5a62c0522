"""Synthetic bank feedback for seeded loans (issue 5): repayments and twelve month-end balances, as pure generators.

`loan_history(seed=, loan=, as_of=)` returns what the lending bank would have reported about one loan by the
`as_of` day: every principal repayment since disbursal (with its interest and a bank reference unique per loan),
the month-end balances of the last twelve complete months (only the months since disbursal for younger loans),
and the loan's resulting status and outstanding balance. Shared by the demo's ORM loader and the bulk COPY loader.

How a loan repays follows the bank's approval note (vocab.APPROVE_NOTES): `到期还本` loans repay the principal at
maturity (interest is paid monthly, which is no principal repayment), `随借随还` (revolving) loans repay irregular
parts and the rest at maturity, the others amortize in equal monthly instalments. A few are repaid early (closed),
a few are written off: their repayments stop some months before the write-off and their month-end balances are
0 from the write-off month on (the bank's books hold nothing after it).

Consistency with lending.services.feedback (which derives the balance as the latest reported month's balance less
the principal repaid after that month's end): for every loan, balance(month) = principal - repayments up to the
month's end (written-off loans: 0 once written off), within [0, principal]; and `outstanding` = the latest
snapshot's balance - the repayments after it (the principal less all repayments when no month is reported).
A write-off always falls in a reported month, so that rule holds for written-off loans too (0 - nothing).

Pure: a function of the seed, the day and the loan's own facts (its own random stream keyed by the contract
number), in integer cents; no database. References and dates never hold a tab, newline or backslash.
"""

import calendar
import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

MONTHS = 12  # months of month-end balance history
WRITE_OFF_SHARE = 0.015
EARLY_REPAYMENT_SHARE = 0.05
REVOLVING_REPAY_CHANCE = 0.45
LIVE, CLOSED, WRITTEN_OFF = "live", "closed", "written_off"
AMORTIZING, BULLET, REVOLVING = "amortizing", "bullet", "revolving"
D = datetime.timedelta(days=1)


def style_of(approve_note: str) -> str:
    """How a loan repays, from the approval note the bank wrote (vocab.APPROVE_NOTES)."""
    if "到期还本" in approve_note:
        return BULLET
    if "随借随还" in approve_note:
        return REVOLVING
    return AMORTIZING


@dataclass(frozen=True)
class LoanFacts:
    """What the generator needs of a loan; `key` is its contract number (unique, stable across loaders)."""

    key: str
    principal_cents: int
    annual_rate: Decimal  # percent
    term_months: int
    disbursed_on: datetime.date
    maturity_on: datetime.date
    style: str


class Repay(NamedTuple):
    paid_on: datetime.date
    principal_cents: int
    interest_cents: int
    reference: str


class History(NamedTuple):
    status: str
    outstanding_cents: int
    snapshots: list[tuple[datetime.date, int]]  # (first day of month, balance in cents), oldest first
    repayments: list[Repay]  # oldest first
    closed_on: datetime.date | None  # repaid in full, or written off


def cents(value: Decimal) -> int:
    return int(value * 100)


def money(value: int) -> Decimal:
    """Cents as a Decimal in yuan with two places."""
    return Decimal(value).scaleb(-2)


def money_text(value: int) -> str:
    """Cents as COPY text in yuan."""
    return f"{value // 100}.{value % 100:02d}"


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def shift_month(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window(as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(first, last) month of the reported history: the twelve complete months before `as_of`'s month."""
    current = as_of.replace(day=1)
    return shift_month(current, -MONTHS), shift_month(current, -1)


def loan_history(*, seed: int, loan: LoanFacts, as_of: datetime.date) -> History:
    """The loan's repayments, month-end balances, status and outstanding balance as of `as_of` (history up to the
    day before, like the rest of the seeded history)."""
    rng = random.Random(f"{seed}:feedback:{loan.key}")  # noqa: S311 - synthetic data  # nosec B311
    last_day = as_of - D
    principal = loan.principal_cents
    disbursed, maturity, term = loan.disbursed_on, loan.maturity_on, max(loan.term_months, 1)
    first_month, last_month = window(as_of)
    last_reported = month_end(last_month)
    roll = rng.random()
    written_off_on = early_on = None
    if roll < WRITE_OFF_SHARE and (last_reported - disbursed).days >= 120:
        # Written off in a reported month, after at least ~3 months of repayments falling due.
        latest = min(maturity, last_reported)
        written_off_on = disbursed + rng.randint(90, max(90, (latest - disbursed).days)) * D
    elif roll < WRITE_OFF_SHARE + EARLY_REPAYMENT_SHARE and maturity > last_day and (last_day - disbursed).days > 45:
        early_on = disbursed + rng.randint(30, (last_day - disbursed).days) * D
    stop = last_day
    if written_off_on is not None:
        stop = written_off_on - rng.randint(60, 120) * D  # arrears before the write-off
    elif early_on is not None:
        stop = early_on
    rate = loan.annual_rate / 1200  # per month, Decimal: interest is money
    balance, repayments, n = principal, [], 0

    def pay(day: datetime.date, amount: int) -> None:
        nonlocal balance, n
        # The month's interest on the balance before the repayment, in cents (half up, as banks round).
        interest = int((balance * rate).to_integral_value(rounding=ROUND_HALF_UP))
        n += 1
        balance -= amount
        repayments.append(Repay(day, amount, interest, f"{loan.key}-R{n:03d}"))

    instalment = max(10_000, -(-principal // term) // 10_000 * 10_000)  # to the hundred yuan
    for k in range(1, term + 1):
        day = add_months(disbursed, k)
        if day > stop or balance <= 0:
            break
        if k == term:
            pay(day, balance)
        elif loan.style == AMORTIZING:
            pay(day, min(instalment, balance))
        elif loan.style == REVOLVING and rng.random() < REVOLVING_REPAY_CHANCE:
            part = round(balance * rng.uniform(0.1, 0.4) / 10_000) * 10_000
            if 0 < part < balance:
                pay(day, part)
    if early_on is not None and balance > 0:
        pay(early_on, balance)
    closed_on = None
    if written_off_on is not None:
        status, closed_on = WRITTEN_OFF, written_off_on
    elif balance == 0:
        status, closed_on = CLOSED, repayments[-1].paid_on
    else:
        status = LIVE
    snapshots = []
    month = max(first_month, disbursed.replace(day=1))
    i, paid = 0, 0
    while month <= last_month:
        end = month_end(month)
        while i < len(repayments) and repayments[i].paid_on <= end:
            paid += repayments[i].principal_cents
            i += 1
        gone = written_off_on is not None and written_off_on <= end
        snapshots.append((month, 0 if gone else principal - paid))
        month = shift_month(month, 1)
    outstanding = 0 if status != LIVE else balance
    return History(status, outstanding, snapshots, repayments, closed_on)


def reported_at(day: datetime.date) -> datetime.date:
    """The day a month's balance (given its first day) reaches the platform: the 5th of the following month."""
    return shift_month(day, 1).replace(day=5)
