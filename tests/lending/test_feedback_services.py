"""Bank feedback services: the loan's balance stays the latest reported month's balance less later repayments,
within [0, principal], and only officers of the lending institution tree may report."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from lending import tasks
from lending.models import BalanceSnapshot, Loan, LoanEvent, Repayment
from lending.services.feedback import balance_report, loan_close, loan_write_off, repayment_record
from tests.lending.feedback_support import PRINCIPAL, make_bank, make_loan, months_ago, next_month, today
from xinyidai.errors import DomainError

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def bank():
    return make_bank()


@pytest.fixture
def loan(bank):
    return make_loan(bank)


def repay(loan, officer, amount, *, reference="R1", paid_on=None, **kwargs):
    return repayment_record(
        loan_id=loan.pk, officer=officer, paid_on=paid_on or today(), principal_amount=D(amount),
        reference=reference, **kwargs,
    )  # fmt: skip


def balance_of(loan) -> Decimal:
    loan.refresh_from_db()
    return loan.outstanding_balance


def test_a_repayment_lowers_the_balance_and_is_recorded_with_its_event(bank, loan):
    repayment = repay(loan, bank.officer, "250000.00", interest=D("3200.50"))

    assert balance_of(loan) == D("750000.00")
    assert (repayment.principal_amount, repayment.interest, repayment.reported_by) == (
        D("250000.00"), D("3200.50"), bank.officer,
    )  # fmt: skip
    event = LoanEvent.objects.get(loan=loan)
    assert (event.kind, event.amount, event.balance_after) == ("repayment", D("250000.00"), D("750000.00"))


def test_a_repayment_above_the_balance_is_refused_and_changes_nothing(bank, loan):
    repay(loan, bank.officer, "900000.00")

    with pytest.raises(DomainError) as refused:
        repay(loan, bank.officer, "100000.01", reference="R2")

    assert refused.value.code == "exceeds_balance" and "100000.01" in str(refused.value.message)
    assert balance_of(loan) == D("100000.00")
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert LoanEvent.objects.filter(loan=loan).count() == 1


def test_the_bank_reference_is_unique_per_loan(bank, loan):
    other_loan = make_loan(bank)
    repay(loan, bank.officer, "1000.00", reference="TX-1")
    repay(other_loan, bank.officer, "1000.00", reference="TX-1")  # another loan may reuse it

    with pytest.raises(DomainError) as refused:
        repay(loan, bank.officer, "1000.00", reference="TX-1")

    assert refused.value.code == "duplicate_reference"
    assert balance_of(loan) == D("999000.00")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("principal_amount", {"principal_amount": D("0")}),
        ("interest", {"interest": D("-1")}),
        ("reference", {"reference": "  "}),
        ("paid_on", {"paid_on": today() + datetime.timedelta(days=1)}),
        ("paid_on", {"paid_on": today() - datetime.timedelta(days=401)}),
    ],
)
def test_invalid_repayments_are_400_with_the_field(bank, loan, field, kwargs):
    values = {"paid_on": today(), "principal_amount": D("10.00"), "reference": "R1", **kwargs}
    with pytest.raises(DomainError) as refused:
        repayment_record(loan_id=loan.pk, officer=bank.officer, **values)
    assert refused.value.status == 400 and field in refused.value.detail
    assert balance_of(loan) == PRINCIPAL and not Repayment.objects.exists()


def test_the_latest_month_report_sets_the_balance_and_an_older_month_does_not(bank, loan):
    snapshot, created = balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(1), balance=D("800000"))
    assert created and snapshot.month == months_ago(1)
    assert balance_of(loan) == D("800000.00")

    balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(3), balance=D("900000"))
    assert balance_of(loan) == D("800000.00")

    snapshot, created = balance_report(
        loan_id=loan.pk, officer=bank.officer, month=months_ago(1) + datetime.timedelta(days=9), balance=D("790000")
    )
    assert not created and snapshot.month == months_ago(1)  # any day of the month names the month
    assert balance_of(loan) == D("790000.00")
    assert BalanceSnapshot.objects.filter(loan=loan).count() == 2


def test_repayments_inside_a_reported_month_are_not_counted_twice(bank, loan):
    """GIVEN last month's balance is reported WHEN a repayment dated last month arrives late THEN the balance
    stays (the report includes it); a repayment dated this month lowers it."""
    balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(1), balance=D("800000"))

    repay(loan, bank.officer, "50000", reference="LATE", paid_on=months_ago(1) + datetime.timedelta(days=3))
    assert balance_of(loan) == D("800000.00")

    repay(loan, bank.officer, "50000", reference="NOW", paid_on=today().replace(day=1))
    assert balance_of(loan) == D("750000.00")


def test_a_late_report_keeps_repayments_made_after_its_month(bank, loan):
    repay(loan, bank.officer, "100000", reference="NOW", paid_on=today().replace(day=1))
    assert balance_of(loan) == D("900000.00")

    balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(1), balance=D("950000"))

    assert balance_of(loan) == D("850000.00")


def test_a_report_below_the_later_repayments_is_refused(bank, loan):
    repay(loan, bank.officer, "100000", reference="NOW", paid_on=today().replace(day=1))

    with pytest.raises(DomainError) as refused:
        balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(1), balance=D("50000"))

    assert refused.value.code == "balance_inconsistent"
    assert balance_of(loan) == D("900000.00") and not BalanceSnapshot.objects.exists()


def test_a_late_older_month_below_the_repayments_before_the_next_report_is_refused(bank, loan):
    """GIVEN a repayment two months ago and a report for last month WHEN the month before that is reported
    below what was repaid in between THEN it is refused: that month-end would have been negative."""
    repay(loan, bank.officer, "200000", reference="OLD", paid_on=months_ago(2) + datetime.timedelta(days=4))
    balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(1), balance=D("750000"))

    with pytest.raises(DomainError) as refused:
        balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(3), balance=D("100000"))

    assert refused.value.code == "balance_inconsistent"
    assert refused.value.detail == {"balance": "100000", "repaid_after": "200000.00"}
    assert BalanceSnapshot.objects.filter(loan=loan).count() == 1 and balance_of(loan) == D("750000.00")
    # At or above what was repaid in between, the late report is taken; the current balance stays.
    balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(3), balance=D("200000"))
    assert BalanceSnapshot.objects.filter(loan=loan).count() == 2 and balance_of(loan) == D("750000.00")


@pytest.mark.parametrize(
    ("month", "balance"),
    [
        (months_ago(0), D("1000000.01")),  # above the principal
        (months_ago(0), D("-0.01")),
        (next_month(), D("1")),
        (months_ago(15), D("1")),  # before the disbursement month
    ],
)
def test_invalid_balance_reports_are_400(bank, loan, month, balance):
    with pytest.raises(DomainError) as refused:
        balance_report(loan_id=loan.pk, officer=bank.officer, month=month, balance=balance)
    assert refused.value.status == 400
    assert balance_of(loan) == PRINCIPAL and not BalanceSnapshot.objects.exists()


def test_write_off_zeroes_the_balance_and_ends_feedback(bank, loan):
    repay(loan, bank.officer, "400000")

    loan_write_off(loan_id=loan.pk, officer=bank.officer)

    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_balance) == (Loan.Status.WRITTEN_OFF, D("0.00"))
    event = LoanEvent.objects.get(loan=loan, kind="write_off")
    assert event.amount == D("600000.00")
    with pytest.raises(DomainError) as refused:
        repay(loan, bank.officer, "1", reference="AFTER")
    assert refused.value.code == "loan_not_live"


def test_closure_requires_a_zero_balance(bank, loan):
    with pytest.raises(DomainError) as refused:
        loan_close(loan_id=loan.pk, officer=bank.officer)
    assert refused.value.code == "balance_not_zero"

    repay(loan, bank.officer, str(PRINCIPAL))
    loan_close(loan_id=loan.pk, officer=bank.officer, on_date=today())

    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_balance) == (Loan.Status.CLOSED, D("0.00"))
    with pytest.raises(DomainError) as refused:
        balance_report(loan_id=loan.pk, officer=bank.officer, month=months_ago(0), balance=D("0"))
    assert refused.value.code == "loan_not_live"


def test_only_officers_of_the_lending_tree_may_report(bank, loan):
    repay(loan, bank.head_officer, "1", reference="HEAD")  # the head office's tree includes the branch
    for outsider in (bank.sibling_officer, bank.other_officer):
        with pytest.raises(DomainError) as refused:
            repay(loan, outsider, "1", reference="X")
        assert refused.value.status == 404
    with pytest.raises(DomainError) as refused:
        repay(loan, bank.sme, "1", reference="X")  # the borrower sees the loan but does not report on it
    assert refused.value.status == 403
    assert balance_of(loan) == D("999999.00")


def test_the_database_refuses_impossible_rows(bank, loan):
    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceSnapshot.objects.create(loan=loan, month=months_ago(0), balance=D("-1"), reported_by=bank.officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceSnapshot.objects.create(
            loan=loan, month=months_ago(0) + datetime.timedelta(days=1), balance=D("1"), reported_by=bank.officer
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.create(
            loan=loan, paid_on=today(), principal_amount=D("0"), reference="Z", reported_by=bank.officer
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(outstanding_balance=D("-1"))


class FakeTask:
    def __init__(self):
        self.calls = 0

    def apply_async(self, kwargs, countdown):
        assert set(kwargs) == {"requested_at"} and countdown > 0
        self.calls += 1


def test_feedback_asks_for_a_stats_refresh(bank, loan, monkeypatch, django_capture_on_commit_callbacks):
    fake = FakeTask()
    monkeypatch.setattr(tasks, "stats_refresh", fake)

    with django_capture_on_commit_callbacks(execute=True):
        repay(loan, bank.officer, "1")

    assert fake.calls == 1
