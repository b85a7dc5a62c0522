"""Property: whatever feedback banks send, and whenever the rollups are refreshed, StatsCell and StatsRollup equal the
same figures computed independently from the raw tables (lending/rollups_python.py), and an incremental refresh
leaves exactly the rows a full rebuild would.

Each example builds a small history (enterprises in two counties of two cities or at city level, in several industry
sections, one without any, and size classes; loans at two banks' head offices, branches and sub-branches disbursed
over the last ~14 months, some bank-attested first loans; credit decisions; demands, some claimed), all with
historical timestamps, rebuilds the rollups, then applies a random sequence of repayments, monthly balance reports,
write-offs, closures (through lending/services/feedback.py, by the lending officer, its head office or another
bank's officer), loans entered late, decisions made now, claims on old demands, new registrations and claimed
skeletons, matchmaking intents recorded (now, or entered late with a past recording time) and intents followed
through to a loan of their firm, interleaved with refreshes. Invalid feedback (future dates, dates before disbursal,
balances above the principal, repayments above the balance, duplicate references, feedback on an ended loan, another
bank's loan) must raise DomainError and change nothing. Half the examples shrink the refresh's rescan overlap to
zero, so each refresh sees only what came after the previous one.
"""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from creditinfo.services.enterprises import enterprise_register
from lending import rollups
from lending.models import (
    Application,
    BalanceSnapshot,
    CreditDecision,
    GuaranteeMode,
    Intent,
    Loan,
    LoanEvent,
    MatchmakingEvent,
    ProductType,
    Repayment,
)
from lending.rollups import calendar_fill, stats_rebuild, stats_refresh
from lending.rollups_python import month_after, month_of
from lending.services.feedback import balance_report, loan_close, loan_write_off, repayment_record
from tests.factories import (
    ApplicationFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    LoanFactory,
    OfficerFactory,
    ProductFactory,
    UserFactory,
)
from tests.lending.rollup_oracle import actual_rows, differences, expected_rows
from xinyidai.errors import DomainError
from xinyidai.models import Industry, Institution, Region

pytestmark = pytest.mark.postgres

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEN_THOUSAND = D("10000.00")
MODES = [m.value for m in GuaranteeMode]


# --- the fixed part of the world: regions, industries, banks, officers, products ------------------------------


def _region(code, name, level, parent=None):
    return Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


def _industry(code, name, level, parent=None):
    return Industry.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


def _place():
    P, C, K = Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY  # noqa: N806
    henan = _region("410000", "河南省", P)
    zhengzhou = _region("410100", "郑州市", C, henan)
    luoyang = _region("410300", "洛阳市", C, henan)
    regions = [_region("410105", "金水区", K, zhengzhou), _region("410302", "老城区", K, luoyang), zhengzhou]
    SEC, DIV = Industry.Level.SECTION, Industry.Level.DIVISION  # noqa: N806
    industries = [
        _industry("39", "计算机、通信和其他电子设备制造业", DIV, _industry("C", "制造业", SEC)),
        _industry("65", "软件和信息技术服务业", DIV, _industry("I", "信息传输、软件和信息技术服务业", SEC)),
        _industry("01", "农业", DIV, _industry("A", "农、林、牧、渔业", SEC)),
        None,
    ]
    bank_a = Institution.objects.create(code="PA", name="中原银行", region=henan)
    a_zz = Institution.objects.create(code="PA-ZZ", name="中原银行郑州分行", region=zhengzhou, parent=bank_a)
    a_zz_js = Institution.objects.create(code="PA-ZZ-JS", name="中原银行金水支行", region=regions[0], parent=a_zz)
    a_ly = Institution.objects.create(code="PA-LY", name="中原银行洛阳分行", region=luoyang, parent=bank_a)
    bank_b = Institution.objects.create(code="PB", name="郑州银行", region=henan)
    b_zz = Institution.objects.create(code="PB-ZZ", name="郑州银行郑州分行", region=zhengzhou, parent=bank_b)
    lenders = [a_zz, a_zz_js, a_ly, bank_b, b_zz]
    officers = {i.pk: OfficerFactory(institution=i) for i in [bank_a, *lenders]}
    kinds = [
        (a_zz_js, ProductType.WORKING_CAPITAL, GuaranteeMode.CREDIT),
        (a_ly, ProductType.SUPPLY_CHAIN, GuaranteeMode.GUARANTEE),
        (b_zz, ProductType.FIXED_ASSET, GuaranteeMode.MORTGAGE),
    ]
    products = [
        ProductFactory(institution=i, product_type=t, guarantee_mode=g, created_by=officers[i.pk]) for i, t, g in kinds
    ]
    return {
        "henan": henan, "regions": regions, "industries": industries, "lenders": lenders, "officers": officers,
        "heads": {a_zz.pk: bank_a, a_zz_js.pk: bank_a, a_ly.pk: bank_a, bank_b.pk: bank_b, b_zz.pk: bank_b},
        "other_bank": {bank_a.pk: bank_b, bank_b.pk: bank_a}, "products": products, "user": UserFactory(),
        "event": MatchmakingEvent.objects.create(
            title="政银企对接会", kind=MatchmakingEvent.Kind.ROADSHOW, starts_at=timezone.now(), ends_at=timezone.now(),
            region=henan, organizer=UserFactory(),
        ),
    }  # fmt: skip


# --- what hypothesis draws ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirmSpec:
    region: int
    industry: int
    size_class: str
    minutes_ago: int
    skeleton: bool


@dataclass(frozen=True)
class LoanSpec:
    firm: int
    lender: int
    product: int | None
    mode: str
    principal: int  # in 10,000 yuan
    days_ago: int
    attested: bool


@dataclass(frozen=True)
class DecisionSpec:
    firm: int
    product: int
    minutes_ago: int
    lag_days: int
    approved: bool


@dataclass(frozen=True)
class DemandSpec:
    firm: int
    minutes_ago: int
    claimed: bool


@dataclass(frozen=True)
class Repay:
    loan: int
    day: int  # picks the date: negative is before disbursal, past the span is in the future
    amount: int  # in 10,000 yuan
    reference: int
    who: str


@dataclass(frozen=True)
class ReportBalance:
    loan: int
    month: int
    tenths: int  # of the principal; 11 is above it
    who: str


@dataclass(frozen=True)
class WriteOff:
    loan: int
    day: int
    who: str


@dataclass(frozen=True)
class Close:
    loan: int
    day: int
    who: str


@dataclass(frozen=True)
class Settle:
    """Repay the whole outstanding balance, then close, on the same day."""

    loan: int
    day: int


@dataclass(frozen=True)
class LateLoan:
    """A loan entered now with a past disbursal date (may move a firm's first-loan month)."""

    spec: LoanSpec


@dataclass(frozen=True)
class Decide:
    """A credit decision made now on an application submitted `lag_days` ago."""

    spec: DecisionSpec


@dataclass(frozen=True)
class Claim:
    """A bank claims one of the unclaimed demands now (it counts in the demand's month)."""

    demand: int


@dataclass(frozen=True)
class Register:
    """An enterprise registers now."""

    firm: FirmSpec


@dataclass(frozen=True)
class ClaimSkeleton:
    """An SME user registers an enterprise a data feed created (a registration of the skeleton's month)."""

    firm: int
    region: int
    industry: int


@dataclass(frozen=True)
class RecordIntent:
    """An intent recorded at an event for a firm and a lender (with or without a product), `minutes_ago`."""

    firm: int
    lender: int
    product: int | None
    amount: int
    minutes_ago: int


@dataclass(frozen=True)
class FollowIntent:
    """An open intent followed through, now, to a loan of its firm (converted in the loan's month)."""

    intent: int
    loan: int


@dataclass(frozen=True)
class Refresh:
    pass


WHO = st.sampled_from(["own", "own", "head", "other"])
DAY = st.integers(-3, 600)
MINUTES_AGO = st.integers(0, 420 * 24 * 60)
firm_specs = st.builds(
    FirmSpec,
    region=st.integers(0, 2),
    industry=st.integers(0, 3),
    size_class=st.sampled_from(["small", "micro", "medium", ""]),
    minutes_ago=MINUTES_AGO,
    skeleton=st.sampled_from([False, False, False, True]),
)
loan_specs = st.builds(
    LoanSpec,
    firm=st.integers(0, 9),
    lender=st.integers(0, 4),
    product=st.none() | st.integers(0, 2),
    mode=st.sampled_from(MODES),
    principal=st.integers(1, 100),
    days_ago=st.integers(0, 420),
    attested=st.booleans(),
)
decision_specs = st.builds(
    DecisionSpec,
    firm=st.integers(0, 9),
    product=st.integers(0, 2),
    minutes_ago=MINUTES_AGO,
    lag_days=st.integers(0, 20),
    approved=st.booleans(),
)
demand_specs = st.builds(DemandSpec, firm=st.integers(0, 9), minutes_ago=MINUTES_AGO, claimed=st.booleans())
operations = st.one_of(
    st.builds(Repay, loan=st.integers(0, 9), day=DAY, amount=st.integers(1, 60), reference=st.integers(0, 4), who=WHO),
    st.builds(ReportBalance, loan=st.integers(0, 9), month=st.integers(0, 16), tenths=st.integers(0, 11), who=WHO),
    st.builds(WriteOff, loan=st.integers(0, 9), day=DAY, who=WHO),
    st.builds(Close, loan=st.integers(0, 9), day=DAY, who=WHO),
    st.builds(Settle, loan=st.integers(0, 9), day=DAY),
    st.builds(LateLoan, spec=loan_specs),
    st.builds(Decide, spec=decision_specs),
    st.builds(Claim, demand=st.integers(0, 9)),
    st.builds(Register, firm=firm_specs),
    st.builds(ClaimSkeleton, firm=st.integers(0, 9), region=st.integers(0, 2), industry=st.integers(0, 2)),
    st.builds(
        RecordIntent,
        firm=st.integers(0, 9),
        lender=st.integers(0, 4),
        product=st.none() | st.integers(0, 2),
        amount=st.integers(1, 100),
        minutes_ago=st.sampled_from([0, 0, 60 * 24 * 40, 60 * 24 * 200]),
    ),
    st.builds(FollowIntent, intent=st.integers(0, 9), loan=st.integers(0, 9)),
    st.just(Refresh()),
)


# --- building the history and applying the operations ---------------------------------------------------------


def _ago(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


class History:
    def __init__(self, place: dict, firms: list[FirmSpec]):
        self.place = place
        self.today = timezone.localdate()
        firms = [replace(firms[0], skeleton=False), *firms[1:]]  # someone to lend to
        self.firms = [self.firm_add(f, created_at=_ago(f.minutes_ago + 7)) for f in firms]
        self.loans: list[Loan] = []
        self.unclaimed = []
        self.intents: list[Intent] = []
        self._references = 0

    def firm_add(self, f: FirmSpec, *, created_at: datetime.datetime):
        return EnterpriseFactory(
            region=self.place["regions"][f.region], industry=self.place["industries"][f.industry],
            size_class=f.size_class, is_skeleton=f.skeleton, created_at=created_at,
        )  # fmt: skip

    def firm(self, pick: int):
        """A registered enterprise: a skeleton has no users, so no applications, loans or demands."""
        registered = [firm for firm in self.firms if not firm.is_skeleton]
        return registered[pick % len(registered)]

    def loan_add(self, spec: LoanSpec, *, late: bool = False) -> Loan:
        lender = self.place["lenders"][spec.lender]
        product = None if spec.product is None else self.place["products"][spec.product]
        disbursed_on = self.today - datetime.timedelta(days=spec.days_ago)
        historical = min(datetime.datetime.combine(disbursed_on, datetime.time(10), SHANGHAI), _ago(60))
        loan = LoanFactory(
            application__enterprise=self.firm(spec.firm),
            application__product=product or self.place["products"][0],
            application__institution=lender,
            institution=lender, product=product, guarantee_mode=spec.mode,
            principal=spec.principal * TEN_THOUSAND, outstanding_balance=spec.principal * TEN_THOUSAND,
            disbursed_on=disbursed_on, maturity_on=disbursed_on + datetime.timedelta(days=365),
            first_loan_attested=spec.attested, disbursed_by=self.place["officers"][lender.pk],
            created_at=timezone.now() if late else historical,
        )  # fmt: skip
        self.loans.append(loan)
        return loan

    def decision_add(self, spec: DecisionSpec, *, now: bool = False) -> None:
        product = self.place["products"][spec.product]
        decided_at = timezone.now() if now else _ago(spec.minutes_ago)
        application = ApplicationFactory(
            enterprise=self.firm(spec.firm), product=product,
            submitted_at=decided_at - datetime.timedelta(days=spec.lag_days, minutes=spec.minutes_ago % 600),
            status=Application.Status.APPROVED if spec.approved else Application.Status.REJECTED,
        )  # fmt: skip
        terms = (
            {"outcome": "approved", "amount": D(spec.lag_days + 1) * TEN_THOUSAND, "annual_rate": D("4.000"),
             "term_months": 12, "guarantee_mode": "" if spec.lag_days % 3 else GuaranteeMode.CREDIT}
            if spec.approved
            else {"outcome": "rejected", "reason_code": "other"}
        )  # fmt: skip
        CreditDecision.objects.create(
            application=application, decided_by=self.place["officers"][product.institution_id], decided_at=decided_at,
            **terms,
        )  # fmt: skip

    def demand_add(self, spec: DemandSpec) -> None:
        created_at = _ago(spec.minutes_ago + 60)
        demand = DemandFactory(enterprise=self.firm(spec.firm), created_by=self.place["user"], created_at=created_at)
        if spec.claimed:
            self.claim(demand, spec.minutes_ago, claimed_at=created_at + datetime.timedelta(minutes=30))
        else:
            self.unclaimed.append(demand)

    def claim(self, demand, pick: int, *, claimed_at: datetime.datetime | None = None) -> None:
        lender = self.place["lenders"][pick % 5]
        DemandClaimFactory(
            demand=demand, institution=lender, officer=self.place["officers"][lender.pk],
            claimed_at=claimed_at or timezone.now(),
        )  # fmt: skip

    def skeleton_claim(self, op: ClaimSkeleton) -> None:
        skeletons = [firm for firm in self.firms if firm.is_skeleton]
        if not skeletons:
            return
        skeleton = skeletons[op.firm % len(skeletons)]
        claimed = enterprise_register(
            user=UserFactory(), uscc=skeleton.uscc, name=skeleton.name, region=self.place["regions"][op.region],
            industry=self.place["industries"][op.industry], employees=20, revenue=D("3000000.00"),
            assets=D("2000000.00"),
        )  # fmt: skip
        self.firms[self.firms.index(skeleton)] = claimed
        event("skeleton claimed")

    def intent_record(self, op: RecordIntent) -> None:
        recorded_at = _ago(op.minutes_ago)
        self.intents.append(Intent.objects.create(
            event=self.place["event"], enterprise=self.firm(op.firm), institution=self.place["lenders"][op.lender],
            product=None if op.product is None else self.place["products"][op.product], amount=op.amount * TEN_THOUSAND,
            recorded_by=self.place["user"], recorded_at=recorded_at, updated_at=timezone.now(),
        ))  # fmt: skip

    def intent_follow(self, op: FollowIntent) -> None:
        taken = set(Intent.objects.filter(loan__isnull=False).values_list("loan_id", flat=True))
        loans = [loan for loan in self.loans if loan.pk not in taken]
        if not loans:
            return
        loan = loans[op.loan % len(loans)]
        open_intents = [i for i in self.intents if i.loan_id is None and i.enterprise_id == loan.enterprise_id]
        if not open_intents:  # one recorded for it first (a month before the follow-up)
            self.intent_record(RecordIntent(0, 0, None, 10, 60 * 24 * 30))
            self.intents[-1].enterprise = loan.enterprise
            self.intents[-1].save()
            open_intents = [self.intents[-1]]
        intent = open_intents[op.intent % len(open_intents)]
        intent.status, intent.application_id, intent.loan = Intent.Status.DISBURSED, loan.application_id, loan
        intent.updated_at = timezone.now()
        intent.save()
        event("intent converted")

    # -- feedback -----------------------------------------------------------------------------------------------

    def officer(self, loan: Loan, who: str):
        head = self.place["heads"][loan.institution_id]
        institution = {"own": loan.institution, "head": head, "other": self.place["other_bank"][head.pk]}[who]
        return self.place["officers"][institution.pk]

    def day(self, loan: Loan, pick: int) -> datetime.date:
        if pick < 0:
            return loan.disbursed_on - datetime.timedelta(days=-pick)
        span = (self.today - loan.disbursed_on).days
        return loan.disbursed_on + datetime.timedelta(days=pick % (span + 4))  # up to 3 days in the future

    def month(self, loan: Loan, pick: int) -> datetime.date:
        months, month = [], month_of(loan.disbursed_on)
        while month <= month_of(self.today) + datetime.timedelta(days=31):
            months.append(month)
            month = month_after(month)
        return months[pick % len(months)]

    def reference(self, pick: int | None = None) -> str:
        if pick is None:
            self._references += 1
            return f"S{self._references}"
        return f"R{pick}"

    def apply(self, op) -> None:
        if isinstance(op, Refresh):
            stats_refresh()
            return
        if isinstance(op, LateLoan):
            self.loan_add(op.spec, late=True)
            return
        if isinstance(op, Decide):
            self.decision_add(op.spec, now=True)
            return
        if isinstance(op, Register):
            self.firms.append(self.firm_add(op.firm, created_at=timezone.now()))
            return
        if isinstance(op, ClaimSkeleton):
            self.skeleton_claim(op)
            return
        if isinstance(op, RecordIntent):
            self.intent_record(op)
            return
        if isinstance(op, FollowIntent):
            self.intent_follow(op)
            return
        if isinstance(op, Claim):
            if self.unclaimed:
                self.claim(self.unclaimed.pop(op.demand % len(self.unclaimed)), op.demand)
            return
        if not self.loans:
            return
        loan = self.loans[op.loan % len(self.loans)]
        if isinstance(op, Repay):
            amount, reference = op.amount * TEN_THOUSAND, self.reference(op.reference)
            self._checked(op, loan, repayment_record, paid_on=self.day(loan, op.day), who=op.who,
                          principal_amount=amount, reference=reference)  # fmt: skip
        elif isinstance(op, ReportBalance):
            self._checked(op, loan, balance_report, month=self.month(loan, op.month), who=op.who,
                          balance=loan.principal * op.tenths / 10)  # fmt: skip
        elif isinstance(op, WriteOff):
            self._checked(op, loan, loan_write_off, on_date=self.day(loan, op.day), who=op.who)
        elif isinstance(op, Close):
            self._checked(op, loan, loan_close, on_date=self.day(loan, op.day), who=op.who)
        elif isinstance(op, Settle):
            day = self.day(loan, op.day)
            loan.refresh_from_db()
            if loan.outstanding_balance > 0:
                self._checked(op, loan, repayment_record, paid_on=day, who="own",
                              principal_amount=loan.outstanding_balance, reference=self.reference())  # fmt: skip
            self._checked(op, loan, loan_close, on_date=day, who="own")

    def _checked(self, op, loan: Loan, service, *, who: str, **arguments) -> None:
        """Call one feedback service; if it refuses, the loan and its feedback rows must be as they were."""
        before = _loan_state(loan)
        try:
            service(loan_id=loan.pk, officer=self.officer(loan, who), **arguments)
        except DomainError as refused:
            event(f"{service.__name__}: refused ({refused.code})")
            assert _loan_state(loan) == before, f"{op}: {service.__name__} was refused but changed the loan"
        else:
            event(f"{service.__name__}: applied")


def _loan_state(loan: Loan):
    fresh = Loan.objects.get(pk=loan.pk)
    return (
        fresh.outstanding_balance, fresh.status, fresh.closed_on,
        sorted(Repayment.objects.filter(loan=loan).values_list("reference", "paid_on", "principal_amount")),
        sorted(BalanceSnapshot.objects.filter(loan=loan).values_list("month", "balance")),
        LoanEvent.objects.filter(loan=loan).count(),
    )  # fmt: skip


# --- the property ---------------------------------------------------------------------------------------------


class RollupsEqualTheRawTables(TestCase):
    @classmethod
    def setUpTestData(cls):
        calendar_fill()  # once for the class: every example's refreshes find the calendar filled
        cls.place = _place()

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        firms=st.lists(firm_specs, min_size=2, max_size=4),
        loans=st.lists(loan_specs, min_size=1, max_size=6),
        decisions=st.lists(decision_specs, max_size=3),
        demands=st.lists(demand_specs, max_size=3),
        ops=st.lists(operations, min_size=2, max_size=12),
        no_overlap=st.booleans(),
    )
    def test_rollups_equal_the_raw_tables_after_random_feedback(
        self, firms, loans, decisions, demands, ops, no_overlap
    ):
        history = History(self.place, firms)
        for spec in loans:
            history.loan_add(spec)
        for spec in decisions:
            history.decision_add(spec)
        for spec in demands:
            history.demand_add(spec)
        stats_rebuild()
        overlap = datetime.timedelta(0) if no_overlap else rollups.OVERLAP
        with mock.patch.object(rollups, "OVERLAP", overlap):
            for op in ops:
                history.apply(op)
            stats_refresh()

        expected = expected_rows()
        problems = differences(expected, actual_rows())
        assert not problems, "rollups differ from the raw tables:\n" + "\n".join(problems)
        # The oracle's current month stands at today: it is the loans' own outstanding balance.
        current = (month_of(history.today), self.place["henan"].pk, "", "")
        total = Loan.objects.aggregate(total=Sum("outstanding_balance"))["total"]
        assert expected.rollups.get(current, {}).get("balance", 0) == total

        refreshed = actual_rows(normalise=False)
        stats_rebuild()
        assert actual_rows(normalise=False) == refreshed
