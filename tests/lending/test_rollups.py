"""Statistics rollups (lending/rollups.py) on a small history whose figures are worked out by hand.

GIVEN, from the tests/lending/conftest.py world (e1: 金水区, section C, small; e2: 老城区, section I, micro):
  e1 registered 2026-06-15, e2 on 2026-07-01 at 00:10 Shanghai time (still June 30 in UTC), a skeleton
  enterprise in 中原区 on 2026-06-20 (never counted as registered);
  L1  e1, bank A (A-ZZ-JS), working capital, credit (04), 1,000,000 on 2026-07-15, first loan attested;
      repaid 200,000 on 08-10, Aug balance reported 750,000, repaid 100,000 on 08-20 (already in Aug's
      report) and 150,000 on 09-05: month ends Jul 1,000,000 / Aug 750,000 / Sep on 600,000;
  L2  e1, bank B (B-ZZ), fixed asset, mortgage (02), 500,000 on 2026-08-03, first loan attested too (e1's
      second bank: e1 stays one first-loan customer, in July at bank A); written off 2026-10-12;
  L3  e2, bank A (A-LY), no product, credit, 300,000 on 2026-09-10; repaid in full 10-20, closed 10-25;
  L4  e2, bank B (B-ZZ), supply chain, credit, 200,000 on 2026-10-09, first loan attested;
  D1  e1 at A-ZZ-JS, submitted Wed 2026-09-30, approved 1,200,000 on Fri 10-09: 2 working days (10-08 and
      10-09; 10-01..10-07 are the National Day holiday), where Monday-Friday counting would give 7;
  D2  e2 at B-ZZ (credit product), submitted Fri 10-30, rejected 2026-10-31 16:30 UTC = Sun 11-01 00:30 in
      Shanghai: a November decision, 0 working days;
  demands: e1's of 09-02 claimed by A-ZZ on 09-03; e2's of 09-20 never claimed.
Everything carries its historical timestamp, so a refresh right after a rebuild has nothing to rescan.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from creditinfo.models import Enterprise, EnterpriseMembership
from creditinfo.services.enterprises import enterprise_register
from lending.models import (
    Application,
    CreditDecision,
    GuaranteeMode,
    Intent,
    LoanEvent,
    MatchmakingEvent,
    ProductType,
    StatsCell,
    StatsRefresh,
    StatsRollup,
)
from lending.rollups import stats_rebuild, stats_refresh
from lending.rollups_python import ORACLE_FIGURES, approval_working_days, months_between
from lending.services.feedback import balance_report, loan_close, loan_write_off, repayment_record
from tests.factories import (
    ApplicationFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    LoanFactory,
    UserFactory,
)
from tests.lending.rollup_oracle import actual_rows, assert_rollups_match_raw_tables
from xinyidai.models import Institution

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
CREDIT, MORTGAGE = GuaranteeMode.CREDIT.value, GuaranteeMode.MORTGAGE.value
JUN, JUL, AUG, SEP, OCT, NOV = (datetime.date(2026, m, 1) for m in range(6, 12))


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), SHANGHAI)


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


@dataclass
class Scenario:
    world: object
    l1: object
    l2: object
    l3: object
    l4: object

    def officer(self, loan):
        return self.world.officer(loan.institution)


def _loan(world, enterprise, institution: Institution, principal, disbursed_on, *, product, mode, attested, **extra):
    return LoanFactory(
        application__enterprise=enterprise,
        application__product=product or world.product(institution),
        application__institution=institution,
        institution=institution,
        product=product,
        principal=D(principal),
        outstanding_balance=D(principal),
        disbursed_on=disbursed_on,
        maturity_on=disbursed_on + datetime.timedelta(days=365),
        guarantee_mode=mode,
        first_loan_attested=attested,
        disbursed_by=world.officer(institution),
        created_at=extra.get("created_at") or at(disbursed_on),
    )


def _decision(world, enterprise, product, submitted_at, decided_at, *, amount=None):
    application = ApplicationFactory(
        enterprise=enterprise, product=product, submitted_at=submitted_at,
        status=Application.Status.APPROVED if amount else Application.Status.REJECTED,
    )  # fmt: skip
    if amount:
        terms = {"outcome": "approved", "amount": D(amount), "annual_rate": D("4.350"), "term_months": 12}
        terms["guarantee_mode"] = CREDIT
    else:
        terms = {"outcome": "rejected", "reason_code": "credit_record"}
    return CreditDecision.objects.create(
        application=application, decided_by=world.officer(product.institution), decided_at=decided_at, **terms
    )


@pytest.fixture
def scenario(world):
    w = world
    for enterprise, registered_at in [(w.e1, at(d(6, 15))), (w.e2, at(d(7, 1), 0, 10))]:
        Enterprise.objects.filter(pk=enterprise.pk).update(created_at=registered_at)
        EnterpriseMembership.objects.filter(enterprise=enterprise).update(created_at=registered_at)
    EnterpriseFactory(region=w.zhongyuan, industry=None, size_class="", is_skeleton=True, created_at=at(d(6, 20)))
    p1 = w.product(w.a_zz_js, product_type=ProductType.WORKING_CAPITAL, guarantee_mode=CREDIT)
    p2 = w.product(w.b_zz, product_type=ProductType.FIXED_ASSET, guarantee_mode=MORTGAGE)
    p4 = w.product(w.b_zz, product_type=ProductType.SUPPLY_CHAIN, guarantee_mode=CREDIT)
    s = Scenario(
        world=w,
        l1=_loan(w, w.e1, w.a_zz_js, "1000000.00", d(7, 15), product=p1, mode=CREDIT, attested=True),
        l2=_loan(w, w.e1, w.b_zz, "500000.00", d(8, 3), product=p2, mode=MORTGAGE, attested=True),
        l3=_loan(w, w.e2, w.a_ly, "300000.00", d(9, 10), product=None, mode=CREDIT, attested=False),
        l4=_loan(w, w.e2, w.b_zz, "200000.00", d(10, 9), product=p4, mode=CREDIT, attested=True),
    )
    repay(s, s.l1, "200000.00", d(8, 10), "L1-R1")
    balance_report(loan_id=s.l1.pk, officer=s.officer(s.l1), month=AUG, balance=D("750000.00"))
    repay(s, s.l1, "100000.00", d(8, 20), "L1-R2")
    repay(s, s.l1, "150000.00", d(9, 5), "L1-R3")
    loan_write_off(loan_id=s.l2.pk, officer=s.officer(s.l2), on_date=d(10, 12))
    repay(s, s.l3, "300000.00", d(10, 20), "L3-R1")
    loan_close(loan_id=s.l3.pk, officer=s.officer(s.l3), on_date=d(10, 25))
    _decision(w, w.e1, p1, at(d(9, 30)), at(d(10, 9), 15), amount="1200000.00")
    _decision(w, w.e2, p4, at(d(10, 30), 9), datetime.datetime(2026, 10, 31, 16, 30, tzinfo=datetime.UTC))
    claimed = DemandFactory(enterprise=w.e1, created_by=w.sme1, created_at=at(d(9, 2)))
    DemandClaimFactory(demand=claimed, institution=w.a_zz, officer=w.officer(w.a_zz), claimed_at=at(d(9, 3)))
    DemandFactory(enterprise=w.e2, created_by=w.sme2, created_at=at(d(9, 20)))
    # The feedback above arrived well before the rebuild the tests start from.
    LoanEvent.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    return s


def repay(s: Scenario, loan, amount: str, paid_on, reference: str):
    return repayment_record(
        loan_id=loan.pk, officer=s.officer(loan), paid_on=paid_on, principal_amount=D(amount), reference=reference
    )


def rollup(month, region, dim="", key="") -> dict:
    """The non-zero figures of one StatsRollup row ({} when there is none)."""
    row = StatsRollup.objects.filter(month=month, region=region, dim=dim, key=str(key)).values(*ORACLE_FIGURES)
    return {k: v for k, v in (row.first() or {}).items() if v != 0}


def province_by_month() -> dict:
    return {
        JUN: {"enterprises_registered": 1},
        JUL: {
            "balance": D("1000000"), "credit_loan_balance": D("1000000"), "live_loans": 1, "borrowers": 1,
            "disbursed_amount": D("1000000"), "disbursed_count": 1, "disbursed_firms": 1, "first_loan_customers": 1,
            "enterprises_registered": 1,
        },
        AUG: {
            "balance": D("1250000"), "credit_loan_balance": D("750000"), "live_loans": 2, "borrowers": 1,
            "disbursed_amount": D("500000"), "disbursed_count": 1, "disbursed_firms": 1,
        },
        SEP: {
            "balance": D("1400000"), "credit_loan_balance": D("900000"), "live_loans": 3, "borrowers": 2,
            "disbursed_amount": D("300000"), "disbursed_count": 1, "disbursed_firms": 1,
            "demands_published": 2, "demands_picked_up": 1,
        },
        OCT: {
            "balance": D("800000"), "credit_loan_balance": D("800000"), "live_loans": 2, "borrowers": 2,
            "disbursed_amount": D("200000"), "disbursed_count": 1, "disbursed_firms": 1, "first_loan_customers": 1,
            "granted_amount": D("1200000"), "granted_count": 1, "decided_count": 1, "approval_working_days": 2,
        },
        NOV: {
            "balance": D("800000"), "credit_loan_balance": D("800000"), "live_loans": 2, "borrowers": 2,
            "decided_count": 1,
        },
    }  # fmt: skip


# --- hand-computed figures ----------------------------------------------------------------------------------


def test_the_province_figures_by_month(scenario):
    stats_rebuild()

    henan = scenario.world.henan
    assert {month: rollup(month, henan) for month in [JUN, JUL, AUG, SEP, OCT, NOV]} == province_by_month()
    assert rollup(datetime.date(2026, 5, 1), henan) == {}


def test_the_oracle_agrees_with_the_hand_figures_and_with_the_rollups(scenario):
    stats_rebuild()

    expected = assert_rollups_match_raw_tables()
    henan = scenario.world.henan.pk
    by_hand = province_by_month()
    assert {m: {k: v for k, v in expected.rollups[(m, henan, "", "")].items() if v != 0} for m in by_hand} == by_hand
    assert sorted(ORACLE_FIGURES) == sorted(f.name for f in StatsCell._meta.get_fields() if f.name in ORACLE_FIGURES)
    assert len(ORACLE_FIGURES) == 19


def test_breakdowns_by_bank_branch_product_and_guarantee_mode(scenario):
    w = scenario.world
    stats_rebuild()

    assert rollup(AUG, w.henan, "bank", w.bank_a.pk) == {
        "balance": D("750000"), "credit_loan_balance": D("750000"), "live_loans": 1, "borrowers": 1,
    }  # fmt: skip
    assert rollup(AUG, w.henan, "bank", w.bank_b.pk) == {
        "balance": D("500000"), "live_loans": 1, "borrowers": 1,
        "disbursed_amount": D("500000"), "disbursed_count": 1, "disbursed_firms": 1,
    }  # fmt: skip
    assert rollup(AUG, w.henan, "guarantee_mode", MORTGAGE)["balance"] == D("500000")
    assert rollup(AUG, w.henan, "guarantee_mode", CREDIT)["balance"] == D("750000")
    assert rollup(SEP, w.henan, "product_type", "")["balance"] == D("300000")  # L3 has no product
    assert rollup(SEP, w.henan, "branch", w.a_ly.pk) == {
        "balance": D("300000"), "credit_loan_balance": D("300000"), "live_loans": 1, "borrowers": 1,
        "disbursed_amount": D("300000"), "disbursed_count": 1, "disbursed_firms": 1,
    }  # fmt: skip
    assert rollup(OCT, w.henan, "bank", w.bank_b.pk)["balance"] == D("200000")  # L2 written off on 10-12
    assert rollup(OCT, w.henan, "bank", w.bank_a.pk)["balance"] == D("600000")  # L3 closed on 10-25


def test_breakdowns_by_region_industry_and_size_class(scenario):
    w = scenario.world
    stats_rebuild()

    assert rollup(SEP, w.zhengzhou)["balance"] == rollup(SEP, w.jinshui)["balance"] == D("1100000")
    assert (rollup(SEP, w.zhengzhou)["demands_published"], rollup(SEP, w.zhengzhou)["demands_picked_up"]) == (1, 1)
    assert rollup(SEP, w.luoyang) == rollup(SEP, w.laocheng) == {
        "balance": D("300000"), "credit_loan_balance": D("300000"), "live_loans": 1, "borrowers": 1,
        "disbursed_amount": D("300000"), "disbursed_count": 1, "disbursed_firms": 1, "demands_published": 1,
    }  # fmt: skip
    assert rollup(SEP, w.henan, "industry", "C")["balance"] == rollup(SEP, w.henan, "size_class", "small")["balance"]
    assert rollup(SEP, w.henan, "industry", "C")["balance"] == D("1100000")
    assert rollup(SEP, w.henan, "industry", "I")["balance"] == D("300000")
    assert rollup(JUL, w.henan, "size_class", "micro") == {"enterprises_registered": 1}
    assert rollup(JUN, w.zhongyuan) == {}  # the skeleton is not a registration
    leaf = StatsCell.objects.get(month=SEP, region=w.jinshui, section="C", size_class="small", dim="", key="")
    assert (leaf.balance, leaf.live_loans, leaf.borrowers, leaf.demands_picked_up) == (D("1100000"), 2, 1, 1)


def test_a_firm_is_one_first_loan_customer_at_its_earliest_attested_loan(scenario):
    w = scenario.world
    stats_rebuild()

    assert rollup(JUL, w.henan, "bank", w.bank_a.pk)["first_loan_customers"] == 1
    assert "first_loan_customers" not in rollup(AUG, w.henan, "bank", w.bank_b.pk)  # e1's second attested loan
    assert rollup(OCT, w.henan, "bank", w.bank_b.pk)["first_loan_customers"] == 1  # e2
    assert sum(StatsRollup.objects.filter(region=w.henan, dim="").values_list("first_loan_customers", flat=True)) == 2


def test_approval_time_counts_working_days_across_the_national_day_holiday(scenario):
    w = scenario.world
    stats_rebuild()

    assert approval_working_days(d(9, 30), d(10, 9)) == 2
    assert rollup(OCT, w.henan, "branch", w.a_zz_js.pk) == {  # L1's branch, too
        "balance": D("600000"), "credit_loan_balance": D("600000"), "live_loans": 1, "borrowers": 1,
        "granted_amount": D("1200000"), "granted_count": 1, "decided_count": 1, "approval_working_days": 2,
    }  # fmt: skip
    # Decided at 00:30 on 1 November in Shanghai: November's, by the product's guarantee mode, 0 working days.
    assert rollup(NOV, w.henan, "guarantee_mode", CREDIT)["decided_count"] == 1
    assert "approval_working_days" not in rollup(NOV, w.henan, "bank", w.bank_b.pk)
    assert "decided_count" not in rollup(OCT, w.henan, "bank", w.bank_b.pk)


# --- incremental refresh ------------------------------------------------------------------------------------


def test_a_refresh_with_no_change_recomputes_nothing(scenario):
    stats_rebuild()
    before = actual_rows(normalise=False)

    result = stats_refresh()

    assert (result.kind, result.cells, result.months) == ("incremental", 0, 0)
    assert actual_rows(normalise=False) == before
    assert StatsRefresh.objects.filter(kind="incremental", cells=0).count() == 1


def test_the_first_refresh_is_a_full_rebuild(scenario):
    result = stats_refresh()

    assert result.kind == "full" and result.cells == 3  # e1's, e2's and the skeleton's cells
    assert_rollups_match_raw_tables()


def test_feedback_refreshes_only_the_touched_firm_cell_from_its_month(scenario):
    s = scenario
    stats_rebuild()
    current = timezone.localdate().replace(day=1)

    repay(s, s.l4, "50000.00", d(11, 2), "L4-R1")
    result = stats_refresh()

    assert (result.cells, result.months) == (1, len(list(months_between(NOV, current))))
    assert (StatsRefresh.objects.first().kind, StatsRefresh.objects.first().cells) == ("incremental", 1)
    assert rollup(NOV, s.world.henan)["balance"] == D("750000")
    assert rollup(NOV, s.world.zhengzhou)["balance"] == D("600000")
    assert_rollups_match_raw_tables()

    # A late report of an older month for e1's loan: e1's cell only, from September.
    balance_report(loan_id=s.l1.pk, officer=s.officer(s.l1), month=SEP, balance=D("620000.00"))
    LoanEvent.objects.filter(loan=s.l4).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    result = stats_refresh()

    assert (result.cells, result.months) == (1, len(list(months_between(SEP, current))))
    assert rollup(AUG, s.world.jinshui)["balance"] == D("1250000")
    assert rollup(SEP, s.world.jinshui)["balance"] == D("1120000")
    assert rollup(OCT, s.world.henan)["balance"] == D("820000")
    assert_rollups_match_raw_tables()


def test_an_incremental_refresh_after_changes_equals_a_full_rebuild(scenario):
    s, w = scenario, scenario.world
    stats_rebuild()

    # An earlier attested loan of e1 at bank B, entered late: e1 becomes a first-loan customer in June instead.
    _loan(w, w.e1, w.b_zz, "80000.00", d(6, 30), product=None, mode=MORTGAGE, attested=True, created_at=timezone.now())
    s.l4.refresh_from_db()
    repay(s, s.l4, "200000.00", d(11, 3), "L4-ALL")
    loan_close(loan_id=s.l4.pk, officer=s.officer(s.l4), on_date=d(11, 4))
    refreshed = stats_refresh()
    after_refresh = actual_rows(normalise=False)
    stats_rebuild()

    assert refreshed.kind == "incremental" and refreshed.cells == 2
    assert actual_rows(normalise=False) == after_refresh
    assert rollup(JUN, w.henan, "bank", w.bank_b.pk)["first_loan_customers"] == 1
    assert "first_loan_customers" not in rollup(JUL, w.henan)
    assert rollup(JUN, w.henan)["balance"] == D("80000")
    assert rollup(NOV, w.henan)["balance"] == D("680000")  # L1 600,000 and the new loan; L4 repaid and closed
    assert_rollups_match_raw_tables()


def test_claiming_a_skeleton_is_a_registration_the_next_refresh_sees(scenario):
    """A feed-created skeleton (中原区, 2026-06-20) claimed now is registered in June, in the cell it is given."""
    w = scenario.world
    stats_rebuild()

    skeleton = Enterprise.objects.get(is_skeleton=True)
    enterprise_register(
        user=UserFactory(), uscc=skeleton.uscc, name="郑州认领测试有限公司", region=w.zhongyuan, industry=w.software,
        employees=30, revenue=D("5000000.00"), assets=D("3000000.00"),
    )  # fmt: skip
    result = stats_refresh()

    assert result.cells == 1
    assert rollup(JUN, w.henan)["enterprises_registered"] == 2
    assert rollup(JUN, w.zhongyuan) == {"enterprises_registered": 1}
    assert_rollups_match_raw_tables()


# --- matchmaking intents (issue 6) ----------------------------------------------------------------------------


def _event(world, starts: datetime.datetime):
    return MatchmakingEvent.objects.create(
        title="金融会客厅", kind=MatchmakingEvent.Kind.SALON, starts_at=starts, ends_at=starts,
        region=world.henan, organizer=world.staff(world.henan),
    )  # fmt: skip


def _intent(world, event, enterprise, institution, amount, recorded_at, *, loan=None, product=None):
    status = Intent.Status.DISBURSED if loan else Intent.Status.RECORDED
    return Intent.objects.create(
        event=event, enterprise=enterprise, institution=institution, amount=D(amount), product=product,
        status=status, application=loan.application if loan else None, loan=loan,
        recorded_by=event.organizer, recorded_at=recorded_at, updated_at=recorded_at,
    )  # fmt: skip


def test_intents_count_when_recorded_and_convert_with_their_loans_month(scenario):
    """GIVEN an intent recorded 07-03 that L1 (07-15, 1,000,000 at A-ZZ-JS) followed through, and one recorded
    at 00:30 on Nov 1 in Shanghai (Oct 31 in UTC) with no loan yet
    THEN July holds one intent of 800,000 and one conversion of L1's principal, in bank A's row too; November
    holds the second intent; and the rows equal the oracle's."""
    w, s = scenario.world, scenario
    event = _event(w, at(d(7, 3), 9))
    _intent(w, event, w.e1, w.a_zz_js, "800000.00", at(d(7, 3), 11), loan=s.l1, product=s.l1.product)
    late = datetime.datetime(2026, 10, 31, 16, 30, tzinfo=datetime.UTC)
    _intent(w, event, w.e2, w.b_zz, "100000.00", late)

    stats_rebuild()

    henan, bank_a = w.henan, str(w.bank_a.pk)
    intents = ["intents_recorded", "intent_amount", "intents_converted", "converted_amount"]
    july = rollup(JUL, henan)
    assert [july.get(k, 0) for k in intents] == [1, D("800000"), 1, D("1000000")]
    assert [rollup(JUL, henan, "bank", bank_a).get(k, 0) for k in intents] == [1, D("800000"), 1, D("1000000")]
    assert [rollup(NOV, henan).get(k, 0) for k in intents] == [1, D("100000"), 0, 0]
    assert [rollup(OCT, henan).get(k, 0) for k in intents] == [0, 0, 0, 0]
    assert_rollups_match_raw_tables()


def test_an_intent_followed_to_a_loan_later_is_picked_up_by_the_incremental_refresh(scenario):
    """GIVEN rollups rebuilt with an intent recorded in September and not yet followed up
    WHEN it is linked to L4 (disbursed 10-09) now THEN the next incremental refresh moves October's figures."""
    w, s = scenario.world, scenario
    event = _event(w, at(d(9, 1), 9))
    intent = _intent(w, event, w.e2, w.b_zz, "200000.00", at(d(9, 1), 11))
    stats_rebuild()  # the scenario's feedback is an hour old: outside the next refresh's rescan window
    assert rollup(OCT, w.henan).get("intents_converted", 0) == 0

    Intent.objects.filter(pk=intent.pk).update(
        status=Intent.Status.DISBURSED, application=s.l4.application, loan=s.l4, updated_at=timezone.now()
    )
    stats_refresh()

    assert rollup(OCT, w.henan).get("intents_converted") == 1
    assert rollup(OCT, w.henan).get("converted_amount") == D("200000")
    assert rollup(SEP, w.henan).get("intents_recorded") == 1
    assert_rollups_match_raw_tables()
