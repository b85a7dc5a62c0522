"""Random sequences of lifecycle and feedback actions against the real services keep the invariants.

A hypothesis state machine submits applications, moves them through the lifecycle (DESIGN.md §3) and reports
loan feedback, each step by a random actor (the right one or a wrong one) with random amounts (valid, zero,
negative, huge, too many decimals, NaN/Infinity, float, int). A model of the lifecycle predicts which steps must
succeed; after every step the invariants are checked:

- one credit decision per application, consistent with its status, and a loan exactly when disbursed;
- every status change is an edge of the lifecycle, and the event history is a path from "submitted";
- a loan's balance is within [0, principal]; an ended loan has a closing date; a closed one owes nothing;
- money (amounts, rates, balances) is a Decimal, never a float, as returned by the services and as stored;
- a refused step (DomainError) changes nothing at all, and nothing but a DomainError is ever raised.

Each example runs in a savepoint rolled back at its end; the world (regions, banks, enterprises) is built once.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from creditinfo.models import Authorization
from lending.models import (
    Application,
    ApplicationEvent,
    BalanceSnapshot,
    CreditDecision,
    Loan,
    LoanEvent,
    RejectReason,
    Repayment,
)
from lending.services import feedback
from lending.services.applications import (
    application_accept,
    application_approve,
    application_decline,
    application_disburse,
    application_reject,
    application_submit,
    application_withdraw,
)
from tests.factories import StaffFactory
from tests.lending.conftest import World
from xinyidai.errors import DomainError
from xinyidai.models import Notification

S = Application.Status

# (action, from status) -> to status: the lifecycle's only edges.
LIFECYCLE = {
    ("accept", S.SUBMITTED): S.ACCEPTED,
    ("approve", S.ACCEPTED): S.APPROVED,
    ("reject", S.ACCEPTED): S.REJECTED,
    ("disburse", S.APPROVED): S.DISBURSED,
    ("withdraw", S.SUBMITTED): S.WITHDRAWN,
    ("decline", S.APPROVED): S.DECLINED,
}
EDGES = {(before, after) for (_action, before), after in LIFECYCLE.items()}
OFFICERS_OF_THE_BRANCH = {"branch_officer", "head_office_officer"}
# The lifecycle's paths from "submitted" to each later status.
PATHS = {
    S.ACCEPTED: ["accept"],
    S.APPROVED: ["accept", "approve"],
    S.DISBURSED: ["accept", "approve", "disburse"],
    S.REJECTED: ["accept", "reject"],
    S.WITHDRAWN: ["withdraw"],
    S.DECLINED: ["accept", "approve", "decline"],
}
MAY_ACT = {
    "accept": OFFICERS_OF_THE_BRANCH,
    "approve": OFFICERS_OF_THE_BRANCH,
    "reject": OFFICERS_OF_THE_BRANCH,
    "disburse": OFFICERS_OF_THE_BRANCH,
    "withdraw": {"member"},
    "decline": {"member"},
}
ACTORS = [
    "member",  # sme1, of the applying enterprise e1
    "other_sme",  # sme2, another enterprise
    "branch_officer",  # A-ZZ, the product's institution
    "head_office_officer",  # bank A's head office
    "sub_branch_officer",  # A-ZZ-JS, below the product's institution: may not act for it
    "sibling_officer",  # A-LY
    "other_bank_officer",  # B-ZZ
    "staff",  # province staff: read-only
]

# The product (factory defaults): 100,000 - 5,000,000 yuan, 3 - 36 months.
PRODUCT_MIN, PRODUCT_MAX = Decimal("100000.00"), Decimal("5000000.00")
valid_request = st.decimals(min_value=PRODUCT_MIN, max_value=PRODUCT_MAX, places=2)
valid_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9000000.00"), places=2)
bad_money = st.sampled_from(
    [
        Decimal("0"),
        Decimal("-0.01"),
        Decimal("-500000.00"),
        Decimal("0.001"),  # a tenth of a cent: not money
        Decimal("123456.789"),
        Decimal("1E+20"),  # beyond the NUMERIC(18, 2) columns
        Decimal("99999999999999999999.99"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        500000.5,  # float
        1e300,
        -1.0,
        500000,  # int
        10**30,
        None,
    ]
)
request_amounts = st.one_of(valid_request, valid_request, valid_request, bad_money)
money = st.one_of(valid_money, valid_money, valid_money, bad_money)
# Repayments and balances mostly within a loan's principal (at least 100,000 yuan), so that many go through.
small_money = st.one_of(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("60000"), places=2), money)
valid_rate = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("36"), places=3)
rates = st.one_of(
    valid_rate,
    valid_rate,
    valid_rate,
    st.sampled_from(
        [Decimal("0"), Decimal("-1"), Decimal("36.001"), Decimal("4.3501"), Decimal("1E+9"), Decimal("NaN"), 4.35, None]
    ),
)
terms = st.one_of(
    st.integers(min_value=3, max_value=36),
    st.integers(min_value=3, max_value=36),
    st.sampled_from([0, -1, 2, 37, 361, 2**40, 12.0, None]),
)


def actor_for(action: str):
    """The right actor half of the time, anyone (often a wrong one) the other half."""
    return st.one_of(st.sampled_from(sorted(MAY_ACT[action])), st.sampled_from(ACTORS))


feedback_actor = st.one_of(st.sampled_from(sorted(OFFICERS_OF_THE_BRANCH)), st.sampled_from(ACTORS))


def is_money(value, *, positive: bool = True) -> bool:
    """A Decimal of whole cents that fits NUMERIC(18, 2): what any service may accept as money."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    in_range = (value > 0 if positive else value >= 0) and value < Decimal("1E+16")
    return in_range and value == value.quantize(Decimal("0.01"))


def is_term(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def world_state() -> tuple:
    """Everything a refused step must leave as it was."""
    return (
        sorted(Application.objects.values_list("pk", "status", "amount", "handled_by", "updated_at")),
        sorted(CreditDecision.objects.values_list("pk", "application", "outcome", "amount", "annual_rate")),
        sorted(Loan.objects.values_list("pk", "principal", "outstanding_balance", "status", "closed_on")),
        sorted(Repayment.objects.values_list("pk", "principal_amount", "interest")),
        sorted(BalanceSnapshot.objects.values_list("pk", "month", "balance", "updated_at")),
        ApplicationEvent.objects.count(),
        LoanEvent.objects.count(),
        Authorization.objects.count(),
        Notification.objects.count(),
    )


def assert_money_fields(obj, *names) -> None:
    for name in names:
        value = getattr(obj, name)
        assert value is None or isinstance(value, Decimal), f"{type(obj).__name__}.{name} is {type(value)}: {value!r}"


class LendingMachine(RuleBasedStateMachine):
    """One example: a fresh savepoint over the shared world; the model tracks the status it expects."""

    world: World
    actors: dict

    applications = Bundle("applications")
    loans = Bundle("loans")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.expected: dict[int, str] = {}
        self.contracts = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- running a step -----------------------------------------------------------------------------------

    def attempt(self, call, *, must_succeed: bool, may_succeed: bool = True):
        """Run one service call: a refusal must be a DomainError that changed nothing; predictions hold."""
        before = world_state()
        try:
            result = call()
        except DomainError as error:
            assert world_state() == before, f"refused ({error.code}) but something changed"
            assert not must_succeed, f"refused a valid step: {error.code} {error.message} {error.detail}"
            return None
        assert may_succeed, "a step the lifecycle forbids succeeded"
        return result

    def step(self, action: str, application_id: int, actor: str, call, *, valid_input: bool = True):
        status = self.expected[application_id]
        allowed = actor in MAY_ACT[action] and (action, status) in LIFECYCLE
        result = self.attempt(call, must_succeed=allowed and valid_input, may_succeed=allowed and valid_input)
        if result is not None:
            self.expected[application_id] = LIFECYCLE[(action, status)]
        return result

    def today(self) -> datetime.date:
        return timezone.localdate()

    # -- the lifecycle ------------------------------------------------------------------------------------

    @rule(target=applications, actor=st.sampled_from(["member", "member", "member", "branch_officer", "staff"]),
          amount=request_amounts, term=terms, consent=st.booleans() | st.just(True))  # fmt: skip
    def submit(self, actor, amount, term, consent):
        user = self.actors[actor]
        valid = actor == "member" and consent and is_money(amount) and is_term(term, 3, 36)
        valid = valid and PRODUCT_MIN <= amount <= PRODUCT_MAX
        call = lambda: application_submit(  # noqa: E731
            user=user, product_id=self.world.product_id, amount=amount, term_months=term,
            purpose="补充流动资金", consent=consent,
        )  # fmt: skip
        application = self.attempt(call, must_succeed=valid, may_succeed=valid)
        if application is None:
            return multiple()
        assert application.status == S.SUBMITTED
        assert_money_fields(application, "amount")
        self.expected[application.pk] = S.SUBMITTED
        return application.pk

    @rule(application_id=applications, actor=actor_for("accept"))
    def accept(self, application_id, actor):
        self.step("accept", application_id, actor,
                  lambda: application_accept(application_id=application_id, officer=self.actors[actor]))  # fmt: skip

    @rule(application_id=applications, actor=actor_for("approve"), amount=money, rate=rates, term=terms)
    def approve(self, application_id, actor, amount, rate, term):
        rate_ok = isinstance(rate, Decimal) and rate.is_finite() and Decimal("0") < rate <= Decimal("36")
        rate_ok = rate_ok and rate == rate.quantize(Decimal("0.001"))
        valid = is_money(amount) and rate_ok and is_term(term, 1, 360)
        call = lambda: application_approve(  # noqa: E731
            application_id=application_id, officer=self.actors[actor], amount=amount, annual_rate=rate,
            term_months=term,
        )  # fmt: skip
        if self.step("approve", application_id, actor, call, valid_input=valid) is not None:
            decision = CreditDecision.objects.get(application_id=application_id)
            assert_money_fields(decision, "amount", "annual_rate")

    @rule(application_id=applications, actor=actor_for("reject"),
          reason=st.sampled_from([*RejectReason.values, "", "bogus", None]))  # fmt: skip
    def reject(self, application_id, actor, reason):
        call = lambda: application_reject(  # noqa: E731
            application_id=application_id, officer=self.actors[actor], reason_code=reason
        )
        self.step("reject", application_id, actor, call, valid_input=reason in RejectReason.values)

    @rule(target=loans, application_id=applications, actor=actor_for("disburse"),
          principal=st.one_of(st.none(), st.none(), money), days_ago=st.sampled_from([0, 0, 0, 1, -1]))  # fmt: skip
    def disburse(self, application_id, actor, principal, days_ago):
        self.contracts += 1
        contract = f"HT-SM-{self.contracts:05d}"
        approved = CreditDecision.objects.filter(application_id=application_id, outcome="approved").first()
        ceiling = approved.amount if approved else Decimal("0")
        valid = days_ago >= 0 and (principal is None or (is_money(principal) and principal <= ceiling))
        call = lambda: application_disburse(  # noqa: E731
            application_id=application_id, officer=self.actors[actor], contract_number=contract,
            principal=principal, disbursed_on=self.today() - datetime.timedelta(days=days_ago),
        )  # fmt: skip
        loan = self.step("disburse", application_id, actor, call, valid_input=valid)
        if loan is None:
            return multiple()
        assert_money_fields(loan, "principal", "outstanding_balance", "annual_rate")
        assert loan.outstanding_balance == loan.principal
        return loan.pk

    @rule(application_id=applications, actor=actor_for("withdraw"))
    def withdraw(self, application_id, actor):
        self.step("withdraw", application_id, actor,
                  lambda: application_withdraw(application_id=application_id, user=self.actors[actor]))  # fmt: skip

    @rule(application_id=applications, actor=actor_for("decline"))
    def decline(self, application_id, actor):
        self.step("decline", application_id, actor,
                  lambda: application_decline(application_id=application_id, user=self.actors[actor]))  # fmt: skip

    @initialize(target=loans)
    def a_live_loan(self):
        """Every example starts with one disbursed loan, so the feedback rules run from the first step."""
        application_id = self.submit("member", PRODUCT_MIN, 12, True)
        self.accept(application_id, "branch_officer")
        self.approve(application_id, "branch_officer", PRODUCT_MIN, Decimal("4.350"), 12)
        return self.disburse(application_id, "branch_officer", None, 0)

    @rule(target=loans, application_id=applications, goal=st.sampled_from(list(PATHS)), data=st.data())
    def advance(self, application_id, goal, data):
        """Walk the application towards `goal` by the right actors with valid input (the steps still open from
        where it is): random steps alone rarely reach the deep states."""
        loan_id = multiple()
        for action in PATHS[goal]:
            if (action, self.expected[application_id]) not in LIFECYCLE:
                continue
            if action == "accept":
                self.accept(application_id, data.draw(st.sampled_from(sorted(OFFICERS_OF_THE_BRANCH))))
            elif action == "approve":
                self.approve(application_id, "branch_officer", data.draw(valid_request), data.draw(valid_rate), 12)
            elif action == "reject":
                self.reject(application_id, "branch_officer", RejectReason.OUT_OF_POLICY)
            elif action == "disburse":
                loan_id = self.disburse(application_id, "branch_officer", None, 0)
            else:
                getattr(self, action)(application_id, "member")
        return loan_id

    # -- loan feedback ------------------------------------------------------------------------------------

    def feedback_allowed(self, loan_id: int, actor: str) -> bool:
        return actor in OFFICERS_OF_THE_BRANCH and Loan.objects.get(pk=loan_id).status == Loan.Status.LIVE

    @rule(loan_id=loans, actor=feedback_actor, amount=st.just("all") | small_money, interest=small_money,
          days_ago=st.sampled_from([0, 0, 1, -1]))  # fmt: skip
    def repay(self, loan_id, actor, amount, interest, days_ago):
        loan = Loan.objects.get(pk=loan_id)
        amount = loan.outstanding_balance if amount == "all" else amount  # all of it: the loan can then close
        paid_on = self.today() - datetime.timedelta(days=days_ago)
        valid = (
            self.feedback_allowed(loan_id, actor)
            and is_money(amount)
            and is_money(interest, positive=False)
            and loan.disbursed_on <= paid_on <= self.today()
        )
        # A month-end balance reported for the repayment's month (or later) already counts it: the balance
        # stays. Otherwise it lowers the balance, so it must fit in what is outstanding.
        covered = loan.balance_snapshots.filter(month__gte=paid_on.replace(day=1)).exists()
        valid = valid and (covered or amount <= loan.outstanding_balance)
        call = lambda: feedback.repayment_record(  # noqa: E731
            loan_id=loan_id, officer=self.actors[actor], paid_on=paid_on, principal_amount=amount,
            interest=interest, reference=f"R-{Repayment.objects.count() + 1}-{days_ago}",
        )  # fmt: skip
        repayment = self.attempt(call, must_succeed=valid, may_succeed=valid)
        if repayment is not None:
            assert_money_fields(repayment, "principal_amount", "interest")
            loan.refresh_from_db()
            assert_money_fields(loan, "outstanding_balance")

    @rule(loan_id=loans, actor=feedback_actor, balance=small_money, months_ago=st.sampled_from([0, 0, 1, -1]))
    def report_balance(self, loan_id, actor, balance, months_ago):
        loan = Loan.objects.get(pk=loan_id)
        month = (self.today().replace(day=1) - datetime.timedelta(days=months_ago * 28)).replace(day=1)
        if months_ago < 0:
            month = (self.today().replace(day=28) + datetime.timedelta(days=5)).replace(day=1)
        valid = (
            self.feedback_allowed(loan_id, actor)
            and is_money(balance, positive=False)
            and balance <= loan.principal
            and loan.disbursed_on.replace(day=1) <= month <= self.today().replace(day=1)
        )
        call = lambda: feedback.balance_report(  # noqa: E731
            loan_id=loan_id, officer=self.actors[actor], month=month, balance=balance
        )
        result = self.attempt(call, must_succeed=False, may_succeed=valid)  # repayments after it may refuse it
        if result is not None:
            snapshot, _created = result
            assert_money_fields(snapshot, "balance")

    @rule(loan_id=loans, actor=st.sampled_from(ACTORS))  # less often the right actor: loans stay live longer
    def write_off(self, loan_id, actor):
        allowed = self.feedback_allowed(loan_id, actor)
        call = lambda: feedback.loan_write_off(loan_id=loan_id, officer=self.actors[actor])  # noqa: E731
        if self.attempt(call, must_succeed=allowed, may_succeed=allowed) is not None:
            assert Loan.objects.get(pk=loan_id).outstanding_balance == 0

    @rule(loan_id=loans, actor=feedback_actor)
    def close(self, loan_id, actor):
        loan = Loan.objects.get(pk=loan_id)
        allowed = self.feedback_allowed(loan_id, actor) and loan.outstanding_balance == 0
        call = lambda: feedback.loan_close(loan_id=loan_id, officer=self.actors[actor])  # noqa: E731
        self.attempt(call, must_succeed=allowed, may_succeed=allowed)

    # -- invariants ---------------------------------------------------------------------------------------

    @invariant()
    def statuses_follow_the_model(self):
        stored = dict(Application.objects.filter(pk__in=self.expected).values_list("pk", "status"))
        assert stored == self.expected

    @invariant()
    def one_decision_consistent_with_status(self):
        decisions = {}
        for decision in CreditDecision.objects.all():
            assert decision.application_id not in decisions, "two decisions on one application"
            decisions[decision.application_id] = decision.outcome
        loans = set(Loan.objects.values_list("application_id", flat=True))
        for pk, status in Application.objects.values_list("pk", "status"):
            outcome = decisions.get(pk)
            if status in (S.APPROVED, S.DISBURSED, S.DECLINED):
                assert outcome == CreditDecision.Outcome.APPROVED, (pk, status, outcome)
            elif status == S.REJECTED:
                assert outcome == CreditDecision.Outcome.REJECTED, (pk, status, outcome)
            else:
                assert outcome is None, (pk, status, outcome)
            assert (pk in loans) == (status == S.DISBURSED), (pk, status)

    @invariant()
    def histories_are_lifecycle_paths(self):
        status_of: dict[int, str] = {}
        for pk, before, after in ApplicationEvent.objects.order_by("application_id", "pk").values_list(
            "application_id", "from_status", "to_status"
        ):
            if pk not in status_of:
                assert (before, after) == ("", S.SUBMITTED), (pk, before, after)
            else:
                assert before == status_of[pk] and (before, after) in EDGES, (pk, before, after)
            status_of[pk] = after
        assert status_of == dict(Application.objects.values_list("pk", "status"))

    @invariant()
    def balances_within_principal_and_money_is_decimal(self):
        for loan in Loan.objects.all():
            assert_money_fields(loan, "principal", "outstanding_balance", "annual_rate")
            assert Decimal("0") <= loan.outstanding_balance <= loan.principal, loan.pk
            assert (loan.status == Loan.Status.LIVE) == (loan.closed_on is None), loan.pk
            if loan.status != Loan.Status.LIVE:
                assert loan.outstanding_balance == 0, loan.pk
        for application in Application.objects.all():
            assert_money_fields(application, "amount")
        for decision in CreditDecision.objects.all():
            assert_money_fields(decision, "amount", "annual_rate")
        for repayment in Repayment.objects.all():
            assert_money_fields(repayment, "principal_amount", "interest")
            assert repayment.principal_amount > 0 and repayment.interest >= 0
        for snapshot in BalanceSnapshot.objects.select_related("loan"):
            assert_money_fields(snapshot, "balance")
            assert Decimal("0") <= snapshot.balance <= snapshot.loan.principal
        for event in LoanEvent.objects.select_related("loan"):
            assert_money_fields(event, "amount", "balance_after")
            assert Decimal("0") <= event.balance_after <= event.loan.principal


@pytest.mark.django_db
def test_random_action_sequences_keep_the_invariants():
    world = World()
    world.product_id = world.product(world.a_zz).pk
    actors = {
        "member": world.sme1,
        "other_sme": world.sme2,
        "branch_officer": world.officer(world.a_zz),
        "head_office_officer": world.officer(world.bank_a),
        "sub_branch_officer": world.officer(world.a_zz_js),
        "sibling_officer": world.officer(world.a_ly),
        "other_bank_officer": world.officer(world.b_zz),
        "staff": StaffFactory(region=world.henan),
    }
    machine = type("Machine", (LendingMachine,), {"world": world, "actors": actors})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "change"),
    [
        (Application, {"status": "paid"}),
        (Application, {"term_months": 0}),
        (Application, {"term_months": 361}),
        (Application, {"amount": Decimal("0")}),
        (Loan, {"status": "forgiven"}),
        (Loan, {"term_months": 0}),
        (Loan, {"outstanding_balance": Decimal("-0.01")}),
        (Loan, {"outstanding_balance": F("principal") + 1}),
        (CreditDecision, {"term_months": 361}),
    ],
    ids=lambda value: getattr(value, "__name__", None) or "-".join(f"{k}" for k in value),
)
def test_the_database_refuses_what_the_services_refuse(model, change):
    """A write that bypasses the services (a bulk update, an admin action, a bulk load) still cannot store a
    status outside the lifecycle, a term outside 1-360 months or a balance outside [0, principal]."""
    world = World()
    application = world.application(S.DISBURSED)
    row = {Application: application, Loan: application.loan, CreditDecision: application.decision}[model]
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**change)
