"""seed_demo's bank feedback (issue 5): per loan, repayments and twelve month-end balances from one pure generator
(lending.seeding.feedback), consistent with the loan's status and with the platform's balance rule
(lending.services.feedback: latest reported month's balance less the principal repaid after it)."""

import datetime
import io
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from lending.models import BalanceSnapshot, Loan, Repayment
from lending.seeding import feedback as fb
from lending.seeding.demo import DEFAULT_SEED
from lending.seeding.scales import SCALES
from lending.services.feedback import _derived_balance
from xinyidai.models import User

PASSWORD = "Seed#Feedback-2026"
AS_OF = datetime.date(2026, 11, 27)


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", scale="demo", password=PASSWORD, stdout=out)
    return out.getvalue()


def facts_of(loan: Loan) -> fb.LoanFacts:
    decision = getattr(loan.application, "decision", None)
    return fb.LoanFacts(
        key=loan.contract_number, principal_cents=fb.cents(loan.principal), annual_rate=loan.annual_rate,
        term_months=loan.term_months, disbursed_on=loan.disbursed_on, maturity_on=loan.maturity_on,
        style=fb.style_of(decision.note if decision else ""),
    )  # fmt: skip


def stored(loan: Loan) -> tuple[list, list]:
    snapshots = list(loan.balance_snapshots.order_by("month").values_list("month", "balance"))
    fields = ("paid_on", "principal_amount", "interest", "reference")
    repayments = list(loan.repayments.order_by("paid_on", "reference").values_list(*fields))
    return snapshots, repayments


def expected(history: fb.History) -> tuple[list, list]:
    snapshots = [(month, fb.money(balance)) for month, balance in history.snapshots]
    repayments = sorted(
        (r.paid_on, fb.money(r.principal_cents), fb.money(r.interest_cents), r.reference) for r in history.repayments
    )
    return snapshots, repayments


def feedback_rows() -> list[tuple]:
    snapshots = BalanceSnapshot.objects.order_by("loan__contract_number", "month")
    repayments = Repayment.objects.order_by("loan__contract_number", "reference")
    return list(snapshots.values_list("loan__contract_number", "month", "balance", "reported_by__username")) + list(
        repayments.values_list("loan__contract_number", "paid_on", "principal_amount", "interest", "reference")
    )


def random_loans(count: int, seed: int = 1) -> list[fb.LoanFacts]:
    rng = random.Random(seed)
    loans = []
    for i in range(count):
        disbursed = AS_OF - datetime.timedelta(days=rng.randint(1, 1000))
        term = rng.choice((3, 6, 12, 12, 24, 36))
        loans.append(fb.LoanFacts(
            key=f"T-JK{i:06d}", principal_cents=rng.randint(1, 500) * 1_000_000,
            annual_rate=Decimal(rng.choice(("3.450", "4.350", "5.200"))), term_months=term, disbursed_on=disbursed,
            maturity_on=fb.add_months(disbursed, term), style=rng.choice((fb.AMORTIZING, fb.BULLET, fb.REVOLVING)),
        ))  # fmt: skip
    return loans


def check_history(loan: fb.LoanFacts, history: fb.History, as_of: datetime.date) -> None:
    """The invariants every generated history keeps (see lending.seeding.feedback)."""
    first, last = fb.window(as_of)
    months = [month for month, _b in history.snapshots]
    if loan.disbursed_on.replace(day=1) <= last:
        # Twelve months, or the months since disbursal; contiguous; the last complete month last.
        start = max(first, loan.disbursed_on.replace(day=1))
        assert months[0] == start and months[-1] == last, (loan, months)
        assert all(fb.shift_month(a, 1) == b for a, b in zip(months, months[1:], strict=False))
        assert len(months) <= fb.MONTHS
    else:
        assert months == []
    assert all(0 <= balance <= loan.principal_cents for _m, balance in history.snapshots)
    repayments = history.repayments
    assert len({r.reference for r in repayments}) == len(repayments)
    assert all(r.principal_cents > 0 and r.interest_cents >= 0 for r in repayments)
    assert all(loan.disbursed_on < r.paid_on < as_of for r in repayments)
    assert sum(r.principal_cents for r in repayments) <= loan.principal_cents
    for month, balance in history.snapshots:
        end = fb.month_end(month)
        if history.status == fb.WRITTEN_OFF and history.closed_on <= end:
            assert balance == 0
        else:
            assert balance == loan.principal_cents - sum(r.principal_cents for r in repayments if r.paid_on <= end)
    # The platform's rule: latest month's balance less later repayments (the principal when no month).
    if history.snapshots:
        month, balance = history.snapshots[-1]
        derived = balance - sum(r.principal_cents for r in repayments if r.paid_on > fb.month_end(month))
    else:
        derived = loan.principal_cents - sum(r.principal_cents for r in repayments)
    assert derived == history.outstanding_cents, (loan, history)
    if history.status == fb.LIVE:
        assert history.outstanding_cents > 0 and loan.maturity_on >= as_of - datetime.timedelta(days=1)
    else:
        assert history.outstanding_cents == 0 and history.closed_on < as_of
        if history.snapshots and history.closed_on <= fb.month_end(history.snapshots[-1][0]):
            assert history.snapshots[-1][1] == 0  # closed or written off: the balance reaches 0


# --- the pure generator ---------------------------------------------------------------------------------


def test_generated_histories_keep_every_invariant_and_the_mix_is_believable():
    statuses, styles_with_repayments = Counter(), Counter()
    for loan in random_loans(3000):
        history = fb.loan_history(seed=5, loan=loan, as_of=AS_OF)
        check_history(loan, history, AS_OF)
        statuses[history.status] += 1
        if history.repayments:
            styles_with_repayments[loan.style] += 1
        if history.status == fb.LIVE and loan.style == fb.BULLET:
            assert not history.repayments  # principal at maturity only
    assert set(statuses) == {fb.LIVE, fb.CLOSED, fb.WRITTEN_OFF}
    assert 0.005 < statuses[fb.WRITTEN_OFF] / 3000 < 0.03
    assert set(styles_with_repayments) == {fb.AMORTIZING, fb.BULLET, fb.REVOLVING}


def test_matured_loans_are_closed_or_written_off_and_young_loans_get_only_their_months():
    old = fb.LoanFacts("OLD-1", 100_000_00, Decimal("4.350"), 12, datetime.date(2024, 3, 10),
                       datetime.date(2025, 3, 10), fb.AMORTIZING)  # fmt: skip
    history = fb.loan_history(seed=1, loan=old, as_of=AS_OF)
    assert history.status in (fb.CLOSED, fb.WRITTEN_OFF) and history.outstanding_cents == 0
    assert [b for _m, b in history.snapshots] == [0] * 12
    young = fb.LoanFacts("NEW-1", 100_000_00, Decimal("4.350"), 12, datetime.date(2026, 8, 20),
                         datetime.date(2027, 8, 20), fb.AMORTIZING)  # fmt: skip
    history = fb.loan_history(seed=1, loan=young, as_of=AS_OF)
    assert [m for m, _b in history.snapshots] == [datetime.date(2026, 8, 1), datetime.date(2026, 9, 1),
                                                  datetime.date(2026, 10, 1)]  # fmt: skip
    check_history(young, history, AS_OF)


def test_generator_is_deterministic_per_seed_and_loan():
    loans = random_loans(200, seed=3)
    first = [fb.loan_history(seed=9, loan=loan, as_of=AS_OF) for loan in loans]
    assert first == [fb.loan_history(seed=9, loan=loan, as_of=AS_OF) for loan in reversed(loans)][::-1]
    other = [fb.loan_history(seed=10, loan=loan, as_of=AS_OF) for loan in loans]
    assert first != other


# --- the demo scale, through the ORM --------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_seed_balances_repayments_and_loan_balances_agree(reference_data):
    seed_demo()
    today = timezone.localdate()
    loans = list(Loan.objects.select_related("application__decision", "institution").order_by("id"))
    assert len(loans) > 20
    officers = {
        (u.pk, u.institution_id) for u in User.objects.filter(role=User.Role.OFFICER).only("pk", "institution_id")
    }
    statuses, later = Counter(), 0
    for loan in loans:
        snapshots, repayments = stored(loan)
        if loan.disbursed_on >= today.replace(day=1):
            assert not snapshots and not repayments  # disbursed this month: no complete month yet
            assert loan.outstanding_balance == loan.principal == _derived_balance(loan)
            statuses["this month"] += 1
            continue
        months = [m for m, _b in snapshots]
        assert months[-1] == fb.window(today)[1] and len(months) <= 12
        assert months[0] == max(fb.window(today)[0], loan.disbursed_on.replace(day=1))
        assert all(fb.shift_month(a, 1) == b for a, b in zip(months, months[1:], strict=False))
        assert all(0 <= balance <= loan.principal for _m, balance in snapshots)
        assert len({r[3] for r in repayments}) == len(repayments)
        assert all(p > 0 and i >= 0 for _d, p, i, _r in repayments)
        # The platform's own rule gives the loan's stored balance.
        latest_month, latest = snapshots[-1]
        after = sum((p for d, p, _i, _r in repayments if d > fb.month_end(latest_month)), Decimal(0))
        assert latest - after == loan.outstanding_balance == _derived_balance(loan), loan
        later += after > 0
        if loan.status != Loan.Status.LIVE:
            assert loan.outstanding_balance == 0
        if loan.status == Loan.Status.CLOSED:
            assert sum(p for _d, p, _i, _r in repayments) == loan.principal
        if loan.maturity_on < today:
            assert loan.status != Loan.Status.LIVE
        statuses[loan.status] += 1
        # Reported by an officer of the loan's institution (the one who disbursed it).
        reporters = set(loan.balance_snapshots.values_list("reported_by", flat=True)) | set(
            loan.repayments.values_list("reported_by", flat=True)
        )
        assert reporters == {loan.disbursed_by_id} and (loan.disbursed_by_id, loan.institution_id) in officers
        # And exactly the generator's rows.
        history = fb.loan_history(seed=DEFAULT_SEED, loan=facts_of(loan), as_of=today)
        assert (snapshots, repayments) == expected(history)
        assert (loan.status, loan.outstanding_balance) == (history.status, fb.money(history.outstanding_cents))
    assert statuses[Loan.Status.LIVE] and statuses[Loan.Status.CLOSED]
    assert later  # some repayments fall after the last reported month
    assert Repayment.objects.filter(interest__gt=0).exists()


@pytest.mark.django_db
def test_demo_feedback_is_deterministic_idempotent_and_completes_an_older_database(reference_data):
    seed_demo()
    first = feedback_rows()
    loans = dict(Loan.objects.values_list("contract_number", "outstanding_balance"))
    assert first

    assert "nothing changed" in seed_demo() and feedback_rows() == first

    # A demo database seeded before bank feedback existed gets the same feedback on the next run.
    BalanceSnapshot.objects.all().delete()
    Repayment.objects.all().delete()
    Loan.objects.update(outstanding_balance=0, status=Loan.Status.CLOSED, closed_on=F("maturity_on"))
    output = seed_demo()
    assert "nothing changed" not in output and "bank feedback" in output
    assert feedback_rows() == first
    assert dict(Loan.objects.values_list("contract_number", "outstanding_balance")) == loans
    assert "nothing changed" in seed_demo()


# --- the bulk scales, through COPY ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_tiny_bulk_seed_loads_the_generators_feedback(reference_data):
    call_command("seed_demo", scale="tiny", seed=7, password=PASSWORD, as_of=AS_OF, stdout=io.StringIO())
    loans = list(Loan.objects.select_related("application__decision").order_by("id"))
    assert len(loans) == SCALES["tiny"].loans
    first, last = fb.window(AS_OF)
    with connection.cursor() as cursor:
        # Every loan, set-based: the platform's rule gives the stored balance; balances within [0, principal];
        # months from the later of the window start and the disbursal month to the last complete month.
        cursor.execute(
            """
            SELECT count(*) FROM lending_loan l
            LEFT JOIN LATERAL (SELECT s.month, s.balance FROM lending_balancesnapshot s WHERE s.loan_id = l.id
                               ORDER BY s.month DESC LIMIT 1) s ON true
            WHERE l.outstanding_balance <> coalesce(s.balance, l.principal) - coalesce((
                SELECT sum(r.principal_amount) FROM lending_repayment r WHERE r.loan_id = l.id
                  AND (s.month IS NULL OR r.paid_on > (s.month + interval '1 month - 1 day')::date)), 0)
            """
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM lending_balancesnapshot s JOIN lending_loan l ON l.id = s.loan_id "
            "WHERE s.balance > l.principal OR s.balance < 0"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            """
            SELECT count(*) FROM lending_loan l
            LEFT JOIN (SELECT loan_id, min(month) lo, max(month) hi, count(*) n FROM lending_balancesnapshot
                       GROUP BY loan_id) s ON s.loan_id = l.id
            WHERE date_trunc('month', l.disbursed_on) <= %s AND (s.lo IS DISTINCT FROM
                  greatest(%s, date_trunc('month', l.disbursed_on)::date) OR s.hi <> %s
                  OR s.n <> (extract(year FROM age(s.hi, s.lo)) * 12 + extract(month FROM age(s.hi, s.lo)) + 1))
            """,
            [last, first, last],
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'lending_repayment'")
        assert cursor.fetchone()[0] > 0  # analyzed after the load
    assert set(Loan.objects.values_list("status", flat=True)) == {"live", "closed", "written_off"}
    # A sample of loans rebuilt from the database: exactly the generator's rows, status and balance.
    for loan in loans[:60] + loans[-20:]:
        history = fb.loan_history(seed=7, loan=facts_of(loan), as_of=AS_OF)
        assert stored(loan) == expected(history), loan
        assert (loan.status, loan.outstanding_balance) == (history.status, fb.money(history.outstanding_cents))
        assert set(loan.balance_snapshots.values_list("reported_by", flat=True)) <= {loan.disbursed_by_id}
    # The sequences were moved past the loaded ids.
    assert (
        BalanceSnapshot.objects.create(
            loan=loans[0], month=datetime.date(2020, 1, 1), balance=0, reported_by_id=loans[0].disbursed_by_id
        ).pk
        > BalanceSnapshot.objects.exclude(month=datetime.date(2020, 1, 1)).order_by("-id").first().pk
    )
