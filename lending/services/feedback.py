"""Bank feedback on a loan: repayments, monthly balances, write-off and closure.

The loan's outstanding balance is derived, under the loan's row lock, as the balance of the latest reported
month less the principal repaid after that month (the principal itself before any report). So a repayment
the bank already counted in a month's balance never lowers the balance twice, and a late report of an older
month leaves the current balance alone. The database keeps the balance within [0, principal] (CHECK).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.models import BalanceSnapshot, FeedbackBatch, Loan, LoanEvent, Repayment
from lending.services.terms import money_error
from xinyidai.errors import DomainError
from xinyidai.services.audit import Action, audit_record

ZERO = Decimal("0.00")


def feedback_stats_enqueue() -> None:
    """Ask for one incremental statistics refresh (lending.tasks.stats_refresh) once the current transaction
    commits: after a feedback post, or after a whole CSV batch.

    `requested_at` is taken at commit, not before: a refresh that starts after it sees the feedback, so the
    task can skip when such a refresh has already finished. The task runs `XINYIDAI_STATS_REFRESH_DELAY_SECONDS`
    after the commit, so that a steady stream of posts (a bank's system sending one every second) is covered by
    one refresh per window instead of one each. A failure to enqueue (broker down) is logged and does not undo
    or fail the feedback, which the beat's next refresh picks up anyway."""
    from lending import tasks  # late: tasks imports services

    def send():
        tasks.stats_refresh.apply_async(
            kwargs={"requested_at": timezone.now().isoformat()}, countdown=settings.XINYIDAI_STATS_REFRESH_DELAY_SECONDS
        )

    transaction.on_commit(send, robust=True)


def _invalid(field: str, message) -> DomainError:
    return DomainError(code="invalid", status=400, message=message, detail={field: [str(message)]})


def _locked_loan(*, loan_id: int, officer) -> Loan:
    """The loan, row-locked, if the officer's institution tree holds it; 403 for other roles, 404 outside."""
    if not getattr(officer, "is_officer", False):
        raise DomainError(code="forbidden", status=403, message=_("Only bank officers can report loan feedback."))
    loan = Loan.objects.visible_to(officer).select_for_update(of=("self",)).filter(pk=loan_id).first()
    if loan is None:
        raise DomainError(code="not_found", status=404, message=_("No such loan."))
    return loan


def _require_live(loan: Loan) -> None:
    if loan.status != Loan.Status.LIVE:
        raise DomainError(
            code="loan_not_live",
            message=_("This loan is %(status)s; it takes no more feedback.") % {"status": loan.get_status_display()},
            detail={"status": loan.status},
        )


def _check_date(loan: Loan, day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise _invalid(field, _("The date cannot be in the future."))
    if day < loan.disbursed_on:
        raise _invalid(field, _("The date cannot be before the loan's disbursement date."))


def _month_end(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _derived_balance(loan: Loan) -> Decimal:
    """Latest reported month's balance less principal repaid after that month (principal and all if none)."""
    latest = loan.balance_snapshots.order_by("-month").first()
    repayments = loan.repayments.all()
    start = loan.principal
    if latest is not None:
        start = latest.balance
        repayments = repayments.filter(paid_on__gt=_month_end(latest.month))
    return start - (repayments.aggregate(total=Sum("principal_amount"))["total"] or ZERO)


def _event(loan, *, kind, on_date, amount, actor, batch) -> None:
    LoanEvent.objects.create(
        loan=loan, kind=kind, on_date=on_date, amount=amount, balance_after=loan.outstanding_balance,
        actor=actor, batch=batch,
    )  # fmt: skip
    if batch is None:  # a file's rows are audited once, as the batch (feedback_batch_import)
        audit_record(
            action=Action.FEEDBACK,
            actor=actor,
            obj=loan,
            data={"kind": kind, "on_date": on_date, "amount": amount, "balance_after": loan.outstanding_balance},
        )


def _after(batch) -> None:
    # A batch asks for one refresh when it is done, not one per row.
    if batch is None:
        feedback_stats_enqueue()


@transaction.atomic
def repayment_record(
    *,
    loan_id: int,
    officer,
    paid_on: datetime.date,
    principal_amount: Decimal,
    interest: Decimal = ZERO,
    reference: str,
    batch: FeedbackBatch | None = None,
) -> Repayment:
    """Record a principal repayment (yuan); it lowers the balance unless a reported month already covers it."""
    loan = _locked_loan(loan_id=loan_id, officer=officer)
    _require_live(loan)
    reference = (reference or "").strip()
    if not reference:
        raise _invalid("reference", _("Enter the bank's reference for the repayment."))
    if message := money_error(principal_amount):  # not a positive amount of whole cents that fits the column
        raise _invalid("principal_amount", message)
    if message := money_error(interest, zero_allowed=True):
        raise _invalid("interest", message)
    _check_date(loan, paid_on, "paid_on")
    if loan.repayments.filter(reference=reference).exists():
        raise DomainError(
            code="duplicate_reference",
            message=_("A repayment with this bank reference is already recorded for this loan."),
            detail={"reference": reference},
        )
    try:
        with transaction.atomic():
            repayment = Repayment.objects.create(
                loan=loan, paid_on=paid_on, principal_amount=principal_amount, interest=interest,
                reference=reference, reported_by=officer, batch=batch,
            )  # fmt: skip
    except IntegrityError:  # the lock makes this unreachable short of a direct write; the constraint decides
        raise DomainError(
            code="duplicate_reference",
            message=_("A repayment with this bank reference is already recorded for this loan."),
        ) from None
    balance = _derived_balance(loan)
    if balance < 0:
        raise DomainError(
            code="exceeds_balance",
            message=_("The principal repaid (%(amount)s yuan) is more than the outstanding balance (%(balance)s yuan).")
            % {"amount": principal_amount, "balance": loan.outstanding_balance},
            detail={"principal_amount": str(principal_amount), "outstanding_balance": str(loan.outstanding_balance)},
        )
    loan.outstanding_balance = balance
    loan.save(update_fields=["outstanding_balance"])
    _event(loan, kind=LoanEvent.Kind.REPAYMENT, on_date=paid_on, amount=principal_amount, actor=officer, batch=batch)
    _after(batch)
    return repayment


@transaction.atomic
def balance_report(
    *, loan_id: int, officer, month: datetime.date, balance: Decimal, batch: FeedbackBatch | None = None
) -> tuple[BalanceSnapshot, bool]:
    """Set the loan's balance (yuan) at the end of `month` (any day in it); returns (snapshot, created)."""
    loan = _locked_loan(loan_id=loan_id, officer=officer)
    _require_live(loan)
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise _invalid("month", _("The month cannot be in the future."))
    if month < loan.disbursed_on.replace(day=1):
        raise _invalid("month", _("The month cannot be before the loan's disbursement month."))
    if message := money_error(balance, zero_allowed=True):
        raise _invalid("balance", message)
    if balance > loan.principal:
        raise _invalid(
            "balance",
            _("The balance must be between 0 and the loan's principal (%(principal)s yuan).")
            % {"principal": loan.principal},
        )
    # The months after this one until the next reported month stand on this balance: the principal repaid in
    # them cannot exceed it (a late report of an older month must not leave a later month-end negative).
    following = loan.balance_snapshots.filter(month__gt=month).order_by("month").values_list("month", flat=True)
    next_month = following.first()
    repaid_after = loan.repayments.filter(paid_on__gt=_month_end(month))
    if next_month is not None:
        repaid_after = repaid_after.filter(paid_on__lt=next_month)
    repaid = repaid_after.aggregate(total=Sum("principal_amount"))["total"] or ZERO
    if repaid > balance:
        raise DomainError(
            code="balance_inconsistent",
            message=_(
                "The repayments recorded after %(month)s exceed this balance; check the balance or the repayments."
            )
            % {"month": f"{month:%Y-%m}"},
            detail={"balance": str(balance), "repaid_after": str(repaid)},
        )
    snapshot, created = BalanceSnapshot.objects.update_or_create(
        loan=loan,
        month=month,
        defaults={"balance": balance, "reported_by": officer, "batch": batch, "updated_at": timezone.now()},
    )
    loan.outstanding_balance = _derived_balance(loan)
    loan.save(update_fields=["outstanding_balance"])
    _event(loan, kind=LoanEvent.Kind.BALANCE, on_date=month, amount=balance, actor=officer, batch=batch)
    _after(batch)
    return snapshot, created


@transaction.atomic
def loan_write_off(
    *, loan_id: int, officer, on_date: datetime.date | None = None, batch: FeedbackBatch | None = None
) -> Loan:
    """Write the loan off: status written off, the remaining balance (recorded on the event) goes to zero."""
    loan = _locked_loan(loan_id=loan_id, officer=officer)
    _require_live(loan)
    on_date = on_date or timezone.localdate()
    _check_date(loan, on_date, "on_date")
    written_off = loan.outstanding_balance
    loan.outstanding_balance = ZERO
    loan.status, loan.closed_on = Loan.Status.WRITTEN_OFF, on_date
    loan.save(update_fields=["outstanding_balance", "status", "closed_on"])
    _event(loan, kind=LoanEvent.Kind.WRITE_OFF, on_date=on_date, amount=written_off, actor=officer, batch=batch)
    _after(batch)
    return loan


@transaction.atomic
def loan_close(
    *, loan_id: int, officer, on_date: datetime.date | None = None, batch: FeedbackBatch | None = None
) -> Loan:
    """Close a fully repaid loan (its balance must be zero)."""
    loan = _locked_loan(loan_id=loan_id, officer=officer)
    _require_live(loan)
    on_date = on_date or timezone.localdate()
    _check_date(loan, on_date, "on_date")
    if loan.outstanding_balance != 0:
        raise DomainError(
            code="balance_not_zero",
            message=_("The loan still has %(balance)s yuan outstanding; only a fully repaid loan can be closed.")
            % {"balance": loan.outstanding_balance},
            detail={"outstanding_balance": str(loan.outstanding_balance)},
        )
    loan.status, loan.closed_on = Loan.Status.CLOSED, on_date
    loan.save(update_fields=["status", "closed_on"])
    _event(loan, kind=LoanEvent.Kind.CLOSURE, on_date=on_date, amount=None, actor=officer, batch=batch)
    _after(batch)
    return loan
