"""The statistics API (summary, kpis, series, breakdown) over the rollups, checked against hand-computed values.

The world (on top of tests/api/conftest.py's small Henan; M0 = this month, M1 and M2 the two before it):

郑州 金水区  zz1 ── L1 中原银行郑州分行, credit (04), 1,000,000, disbursed M2-15, first loan attested;
                    the bank reports 800,000 for M1 and a 200,000 repayment today: 1,000,000 / 800,000 / 600,000
                    at the ends of M2 / M1 / now
                └─ L2 中原银行郑州分行, guarantee (03), 500,000, disbursed M1-15, first loan attested again
             zz2 ── L3 郑州银行, mortgage (02), 2,000,000, disbursed M2-15, closed M1-20 (0 from M1's end)
             a skeleton enterprise (feed-created: not registered)
洛阳 老城区  ly1 ── L4 中原银行洛阳分行, credit (04), 3,000,000, disbursed M1-15, first loan attested
             and the conftest's other_enterprise (registered, no loan)
Decisions: L1 approved 1,200,000 (M2), L2 approved 500,000 (M1), L4 approved 3,000,000 (M1); a 郑州银行
rejection for zz2 (today). Demands: one open (zz1), one picked up by 中原银行郑州分行 (zz2), both this month.
Every enterprise registered this month. Products: one per lending institution, listed everywhere.
"""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from lending.models import (
    Application,
    BalanceSnapshot,
    CreditDecision,
    Loan,
    ProductType,
    Repayment,
)
from lending.models.targets import Target
from lending.rollups import stats_rebuild, stats_refresh
from tests.api.utils import assert_error, openapi
from tests.factories import (
    ApplicationFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    LoanFactory,
    OfficerFactory,
    ProductFactory,
    StaffFactory,
)
from xinyidai.models import Institution
from xinyidai.workdays import is_working_day

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SUMMARY, KPIS, SERIES = "/api/v1/stats/summary/", "/api/v1/stats/kpis/", "/api/v1/stats/series/"


def breakdown(dim: str) -> str:
    return f"/api/v1/stats/breakdown/{dim}/"


def months_back(n: int) -> datetime.date:
    first = timezone.localdate().replace(day=1)
    for _ in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


M0, M1, M2 = months_back(0), months_back(1), months_back(2)


def ym(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def local(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def working_days(submitted: datetime.datetime, decided: datetime.datetime) -> int:
    """Working days after the submission day up to the decision day, counted here day by day."""
    day, end, count = timezone.localdate(submitted), timezone.localdate(decided), 0
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)
    return count


@dataclass
class World:
    parties: object
    bank_a_ly: Institution
    loans: dict
    decisions: dict  # name -> (submitted_at, decided_at)
    head_officer: object

    def __getattr__(self, name):
        return getattr(self.parties, name)

    def days(self, *names) -> int:
        return sum(working_days(*self.decisions[n]) for n in names)


def _decide(application, *, outcome, submitted, decided, amount=None, mode=""):
    Application.objects.filter(pk=application.pk).update(submitted_at=submitted)
    fields = {"amount": Decimal(amount), "annual_rate": Decimal("3.850"), "term_months": 12} if amount else {}
    CreditDecision.objects.create(
        application=application, outcome=outcome, decided_at=decided, guarantee_mode=mode,
        reason_code="" if amount else "policy", decided_by=application.submitted_by, **fields,
    )  # fmt: skip
    return submitted, decided


def _loan(enterprise, product, *, principal, mode, disbursed, first=False, **fields):
    return LoanFactory(
        application__enterprise=enterprise, application__product=product, principal=Decimal(principal),
        guarantee_mode=mode, first_loan_attested=first, disbursed_on=disbursed,
        maturity_on=disbursed + datetime.timedelta(days=365), **{"outstanding_balance": Decimal(principal), **fields},
    )  # fmt: skip


@pytest.fixture
def world(parties) -> World:
    p = parties
    bank_a_ly = Institution.objects.create(code="ZYB-LY", name="中原银行洛阳分行", parent=p.bank_a, region=p.luoyang)
    product_zz = ProductFactory(institution=p.bank_a_zz, product_type=ProductType.WORKING_CAPITAL)
    product_ly = ProductFactory(institution=bank_a_ly, product_type=ProductType.WORKING_CAPITAL)
    product_b = ProductFactory(institution=p.bank_b, product_type=ProductType.FIXED_ASSET)
    zz1, zz2 = EnterpriseFactory(region=p.jinshui), EnterpriseFactory(region=p.jinshui)
    EnterpriseFactory(region=p.jinshui, is_skeleton=True)
    ly1 = EnterpriseFactory(region=p.laocheng)
    loans = {
        "L1": _loan(zz1, product_zz, principal="1000000", mode="04", disbursed=M2.replace(day=15), first=True,
                    outstanding_balance=Decimal("600000")),
        "L2": _loan(zz1, product_zz, principal="500000", mode="03", disbursed=M1.replace(day=15), first=True),
        "L3": _loan(zz2, product_b, principal="2000000", mode="02", disbursed=M2.replace(day=15),
                    status=Loan.Status.CLOSED, closed_on=M1.replace(day=20), outstanding_balance=Decimal(0)),
        "L4": _loan(ly1, product_ly, principal="3000000", mode="04", disbursed=M1.replace(day=15), first=True),
    }  # fmt: skip
    l1 = loans["L1"]
    BalanceSnapshot.objects.create(loan=l1, month=M1, balance=Decimal("800000"), reported_by=l1.disbursed_by)
    Repayment.objects.create(
        loan=l1, paid_on=timezone.localdate(), principal_amount=Decimal("200000"), reference="R-1",
        reported_by=l1.disbursed_by,
    )  # fmt: skip
    approved = CreditDecision.Outcome.APPROVED
    decisions = {
        "L1": _decide(l1.application, outcome=approved, amount="1200000", mode="04",
                      submitted=local(M2.replace(day=3)), decided=local(M2.replace(day=10))),
        "L2": _decide(loans["L2"].application, outcome=approved, amount="500000", mode="03",
                      submitted=local(M1.replace(day=2)), decided=local(M1.replace(day=10))),
        "L4": _decide(loans["L4"].application, outcome=approved, amount="3000000", mode="04",
                      submitted=local(M1.replace(day=5)), decided=local(M1.replace(day=12))),
    }  # fmt: skip
    rejected = ApplicationFactory(enterprise=zz2, product=product_b, status=Application.Status.REJECTED)
    now = timezone.now()
    decisions["rejected"] = _decide(
        rejected, outcome=CreditDecision.Outcome.REJECTED, submitted=now - datetime.timedelta(days=3), decided=now
    )
    DemandFactory(enterprise=zz1)
    DemandClaimFactory(demand__enterprise=zz2, institution=p.bank_a_zz, officer=OfficerFactory(institution=p.bank_a_zz))
    stats_rebuild()
    return World(p, bank_a_ly, loans, decisions, OfficerFactory(institution=p.bank_a))


@pytest.fixture
def province_staff(world):
    return StaffFactory(region=world.province)


# --- summary ------------------------------------------------------------------------------------------------


def test_city_summary_matches_the_hand_computed_values(world, client_for):
    body = client_for(world.staff_zz).get(SUMMARY).json()
    assert body["region"] == {"code": "410100", "name": "郑州市"}
    assert body["as_of"] == body["period_end"] == timezone.localdate().isoformat()
    assert body["refreshed_at"] is not None
    assert body["registered_enterprises"] == 2  # zz1, zz2; not the skeleton, not 洛阳's
    assert body["balance"] == "1100000.00"  # L1 600,000 after today's repayment + L2; the closed L3 is out
    assert body["credit_loan_balance"] == "600000.00"
    assert body["credit_loan_share"] == "0.5455"
    assert (body["live_loans"], body["borrowers"]) == (2, 1)  # loans vs firms: both of zz1's
    assert body["granted_amount"] == "1700000.00" and body["granted_count"] == 2  # the rejection is not credit
    assert body["disbursed_amount"] == "3500000.00" and body["disbursed_count"] == 3  # a flow: closed L3 counts
    assert body["new_first_loan_customers"] == 1  # zz1 attested twice, counted once
    assert body["targets"] == []


def test_summary_as_of_a_past_month_stands_at_that_month_end(world, client_for):
    client = client_for(world.staff_zz)
    last = client.get(SUMMARY, {"as_of": M1.replace(day=3).isoformat()}).json()
    assert last["period_end"] == month_end(M1).isoformat()
    assert last["balance"] == "1300000.00"  # L1 as reported for M1 (800,000) + L2; L3 closed on M1-20
    assert last["credit_loan_balance"] == "800000.00" and last["credit_loan_share"] == "0.6154"
    assert last["disbursed_amount"] == "3500000.00" and last["granted_amount"] == "1700000.00"
    assert last["registered_enterprises"] == 0  # they registered this month

    before = client.get(SUMMARY, {"as_of": month_end(M2).isoformat()}).json()
    assert before["balance"] == "3000000.00"  # L1's full principal (no report yet) + L3, still open
    assert before["credit_loan_balance"] == "1000000.00"
    assert (before["disbursed_amount"], before["disbursed_count"]) == ("3000000.00", 2)  # L2 came in M1
    assert (before["granted_amount"], before["granted_count"]) == ("1200000.00", 1)
    assert before["new_first_loan_customers"] == 1


def test_province_summary_and_the_seeded_target(world, province_staff, client_for):
    body = client_for(province_staff).get(SUMMARY).json()
    assert body["registered_enterprises"] == 4
    assert body["balance"] == "4100000.00"
    assert body["credit_loan_balance"] == "3600000.00" and body["credit_loan_share"] == "0.8780"
    assert body["granted_amount"] == "4700000.00"
    assert body["disbursed_amount"] == "6500000.00"
    assert body["new_first_loan_customers"] == 2
    [target] = body["targets"]
    assert target["metric"] == "balance" and target["value"] == "2000000000000.00"
    assert target["deadline"] == "2025-12-31" and target["region"] == "410000"
    assert target["current"] == "4100000.00" and target["progress"] == "0.0000"
    past = timezone.localdate() > datetime.date(2025, 12, 31)  # dates are relative to today: check the rule
    assert target["missed"] is past
    assert target["gap"] == ("1999995900000.00" if past else "0.00")
    assert (target["monthly_growth_needed"] is None) is past
    # Month-end balances 3,000,000 (M2), 4,300,000 (M1), 4,100,000 (now) rise 550,000 a month: 2 trillion
    # lies past the year 9999.
    assert target["trend_reaches_on"] is None and target["trend_reaches_in_time"] is False


def test_target_progress_and_the_month_the_trend_reaches_it(world, client_for):
    deadline = timezone.localdate() + datetime.timedelta(days=400)
    Target.objects.create(
        metric="new_first_loan_customers", value=Decimal(4), deadline=deadline, region=world.zhengzhou
    )
    Target.objects.create(
        metric="disbursed_amount", value=Decimal("5000000"), deadline=deadline, region=world.zhengzhou
    )
    Target.objects.create(metric="balance", value=Decimal(1), deadline=deadline, region=world.luoyang)  # not 郑州's
    targets = {t["metric"]: t for t in client_for(world.staff_zz).get(SUMMARY).json()["targets"]}
    assert set(targets) == {"new_first_loan_customers", "disbursed_amount"}
    first = targets["new_first_loan_customers"]
    assert first["current"] == "1.00" and first["progress"] == "0.2500" and first["missed"] is False
    assert Decimal(first["monthly_growth_needed"]) > 0
    assert first["trend_reaches_on"] is None  # 1, 1, 1 customers to date: flat
    # Disbursed to date by month end: 3,000,000, 3,500,000, 3,500,000. OLS slope 250,000 a month through
    # the mean (month 1, 3,333,333.33): 5,000,000 is crossed 6.67 months after M1, i.e. within the 8th month.
    disbursed = targets["disbursed_amount"]
    assert disbursed["progress"] == "0.7000"
    expected = M1
    for _ in range(7):
        expected = month_end(expected) + datetime.timedelta(days=1)
    assert disbursed["trend_reaches_on"] == month_end(expected).isoformat()
    assert disbursed["trend_reaches_in_time"] is (month_end(expected) <= deadline)


def test_a_repayment_posted_through_the_api_lowers_the_balance_after_the_refresh(world, client_for):
    officer = world.officer_a  # 中原银行郑州分行, which lent L2
    response = client_for(officer).post(
        f"/api/v1/loans/{world.loans['L2'].pk}/repayments/",
        {"paid_on": timezone.localdate().isoformat(), "principal_amount": "150000.00", "reference": "API-1"},
        format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    client = client_for(world.staff_zz)
    assert client.get(SUMMARY).json()["balance"] == "1100000.00"  # read from the rollups: not refreshed yet
    assert stats_refresh().kind == "incremental"
    assert client.get(SUMMARY).json()["balance"] == "950000.00"


# --- kpis ---------------------------------------------------------------------------------------------------


def test_province_kpis_over_three_months(world, province_staff, client_for):
    body = client_for(province_staff).get(KPIS, {"from": ym(M2), "to": ym(M0)}).json()
    assert body["region"]["code"] == "410000" and body["bank"] is None
    assert (body["from"], body["to"], body["period_end"]) == (ym(M2), ym(M0), timezone.localdate().isoformat())
    assert body["balance"] == "4100000.00" and body["credit_loan_balance"] == "3600000.00"
    assert body["credit_loan_share"] == "0.8780"
    assert (body["live_loans"], body["borrowers"]) == (3, 2)
    assert (body["disbursed_amount"], body["disbursed_count"]) == ("6500000.00", 4)
    assert body["disbursed_firms"] == 4  # zz1 + zz2 in M2, zz1 + ly1 in M1: distinct within each month
    assert body["new_first_loan_customers"] == 2
    assert (body["granted_amount"], body["granted_count"], body["decided_count"]) == ("4700000.00", 3, 4)
    days = world.days("L1", "L2", "L4", "rejected")
    assert body["approval_working_days"] == days
    assert body["average_approval_days"] == str((Decimal(days) / 4).quantize(Decimal("0.1")))
    assert body["registered_enterprises"] == body["enterprises_registered"] == 4
    assert (body["demands_published"], body["demands_picked_up"], body["pick_up_rate"]) == (2, 1, "0.5000")
    # Now: 中原银行, its two branches, 郑州银行; one listed product each lender; one open demand.
    assert (body["institutions"], body["products"], body["open_demands"]) == (4, 3, 1)


def test_kpis_of_one_month_count_that_months_flows_only(world, client_for):
    body = client_for(world.staff_zz).get(KPIS, {"from": ym(M1), "to": ym(M1)}).json()
    assert body["period_end"] == month_end(M1).isoformat()
    assert body["balance"] == "1300000.00"
    assert (body["disbursed_amount"], body["disbursed_count"], body["new_first_loan_customers"]) == ("500000.00", 1, 0)
    assert (body["granted_amount"], body["decided_count"]) == ("500000.00", 1)
    assert body["average_approval_days"] == f"{world.days('L2')}.0"
    assert body["demands_published"] == 0 and body["pick_up_rate"] is None
    assert body["registered_enterprises"] == 0 and body["enterprises_registered"] == 0  # all registered in M0
    assert (body["institutions"], body["open_demands"]) == (3, 1)  # not 洛阳's branch


def test_kpis_default_to_the_year_to_date(world, client_for):
    body = client_for(world.staff_zz).get(KPIS).json()
    assert (body["from"], body["to"]) == (ym(M0.replace(month=1)), ym(M0))
    disbursed = {M2: Decimal("3000000"), M1: Decimal("500000")}  # 郑州's disbursements by month
    expected = sum((amount for month, amount in disbursed.items() if month.year == M0.year), Decimal(0))
    assert Decimal(body["disbursed_amount"]) == expected


def test_head_office_sees_its_own_bank_only(world, client_for):
    body = client_for(world.head_officer).get(KPIS, {"from": ym(M2), "to": ym(M0)}).json()
    assert body["region"]["code"] == "410000" and body["bank"]["name"] == "中原银行"
    assert body["balance"] == "4100000.00"  # L1 + L2 + L4; 郑州银行's L3 is not theirs
    assert (body["disbursed_amount"], body["disbursed_count"]) == ("4500000.00", 3)
    assert (body["granted_count"], body["decided_count"]) == (3, 3)  # 郑州银行's rejection is not theirs
    assert body["approval_working_days"] == world.days("L1", "L2", "L4")
    assert (body["institutions"], body["products"], body["open_demands"]) == (3, 2, None)
    assert body["registered_enterprises"] is None
    city = client_for(world.head_officer).get(KPIS, {"region": "410300", "from": ym(M2)}).json()
    assert city["region"]["code"] == "410300" and city["balance"] == "3000000.00"  # L4 only

    other = client_for(world.officer_b).get(KPIS, {"from": ym(M2), "to": ym(M0)}).json()  # 郑州银行's head office
    assert other["bank"]["name"] == "郑州银行"
    assert (other["balance"], other["disbursed_amount"], other["decided_count"]) == ("0.00", "2000000.00", 1)


# --- series -------------------------------------------------------------------------------------------------


def test_monthly_series(world, client_for):
    body = client_for(world.staff_zz).get(SERIES, {"months": 3}).json()
    assert body["region"]["code"] == "410100" and body["bank"] is None
    rows = body["months"]
    assert [r["month"] for r in rows] == [ym(M2), ym(M1), ym(M0)]
    assert [r["balance"] for r in rows] == ["3000000.00", "1300000.00", "1100000.00"]
    assert [r["disbursed_amount"] for r in rows] == ["3000000.00", "500000.00", "0.00"]
    assert [r["live_loans"] for r in rows] == [2, 2, 2]
    assert [r["new_first_loan_customers"] for r in rows] == [1, 0, 0]
    assert [r["credit_loan_share"] for r in rows] == ["0.3333", "0.6154", "0.5455"]
    one = client_for(world.staff_zz).get(SERIES, {"months": 1, "to": ym(M1)}).json()["months"]
    assert [(r["month"], r["balance"]) for r in one] == [(ym(M1), "1300000.00")]


def test_series_of_a_head_office(world, client_for):
    rows = client_for(world.head_officer).get(SERIES, {"months": 3}).json()["months"]
    assert [r["balance"] for r in rows] == ["1000000.00", "4300000.00", "4100000.00"]


# --- breakdowns ---------------------------------------------------------------------------------------------


def _rows(response) -> dict:
    body = response.json()
    assert response.status_code == 200, body
    return {row["key"]: row for row in body["rows"]}


def test_breakdown_by_city_then_county(world, province_staff, client_for):
    client = client_for(province_staff)
    cities = _rows(client.get(breakdown("region"), {"from": ym(M2)}))
    assert cities["410100"]["label"] == "郑州市" and cities["410100"]["balance"] == "1100000.00"
    assert cities["410300"]["balance"] == "3000000.00" and cities["410300"]["enterprises_registered"] == 2
    assert sum(Decimal(r["balance"]) for r in cities.values()) == Decimal("4100000")  # every city, empty or not
    assert all(key.startswith("41") and len(key) == 6 for key in cities)
    counties = _rows(client.get(breakdown("region"), {"region": "410100", "from": ym(M2)}))
    assert counties["410105"]["balance"] == "1100000.00" and counties["410105"]["disbursed_count"] == 3
    assert _rows(client.get(breakdown("region"), {"region": "410105"})) == {}  # a county has no children


def test_breakdown_by_bank_guarantee_mode_product_industry_and_size(world, province_staff, client_for):
    client = client_for(province_staff)
    params = {"from": ym(M2)}
    response = client.get(breakdown("bank"), params)
    assert [row["label"] for row in response.json()["rows"]] == ["中原银行", "郑州银行"]  # largest balance first
    banks = _rows(response)
    zyb, zzb = banks[str(world.bank_a.pk)], banks[str(world.bank_b.pk)]
    assert (zyb["balance"], zyb["disbursed_amount"], zyb["granted_count"]) == ("4100000.00", "4500000.00", 3)
    assert (zzb["balance"], zzb["disbursed_amount"], zzb["decided_count"]) == ("0.00", "2000000.00", 1)

    modes = _rows(client.get(breakdown("guarantee_mode"), params))
    assert modes["04"]["balance"] == "3600000.00" and modes["04"]["disbursed_count"] == 2
    assert modes["03"]["balance"] == "500000.00" and modes["02"]["disbursed_amount"] == "2000000.00"

    products = _rows(client.get(breakdown("product_type"), params))
    assert products["working_capital"]["balance"] == "4100000.00"
    assert products["fixed_asset"]["disbursed_amount"] == "2000000.00"

    [section] = _rows(client.get(breakdown("industry"), params)).values()  # every firm makes electronics (C 39)
    assert (section["key"], section["balance"], section["enterprises_registered"]) == ("C", "4100000.00", 4)
    sizes = _rows(client.get(breakdown("size_class"), params))
    assert list(sizes) == ["small"] and sizes["small"]["disbursed_count"] == 4


def test_head_office_breaks_down_by_branch_and_region_only(world, client_for):
    client = client_for(world.head_officer)
    branches = _rows(client.get(breakdown("branch"), {"from": ym(M2)}))
    assert set(branches) == {str(world.bank_a_zz.pk), str(world.bank_a_ly.pk)}
    assert branches[str(world.bank_a_ly.pk)]["balance"] == "3000000.00"
    assert branches[str(world.bank_a_zz.pk)]["balance"] == "1100000.00"
    cities = _rows(client.get(breakdown("region"), {"from": ym(M2)}))
    assert (cities["410100"]["balance"], cities["410300"]["balance"]) == ("1100000.00", "3000000.00")
    for dim in ("bank", "product_type", "guarantee_mode", "industry", "size_class"):
        body = assert_error(client.get(breakdown(dim)), 400, "invalid")
        assert set(body["detail"]) == {"dim"}


# --- scope, roles and bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SUMMARY, KPIS, SERIES, breakdown("bank")])
def test_staff_of_one_city_cannot_see_the_other(world, client_for, url):
    client = client_for(world.staff_zz)
    for code in ("410300", "410302", "410000"):  # the other city, its county, and upward
        assert_error(client.get(url, {"region": code}), 404, "not_found")


@pytest.mark.parametrize("url", [KPIS, SERIES, breakdown("region")])
def test_branch_officers_and_enterprises_are_refused(world, client_for, url):
    assert_error(client_for(world.officer_a).get(url), 403, "forbidden")  # a branch, not a head office
    assert_error(client_for(world.other_sme).get(url), 403, "forbidden")
    assert_error(client_for(None).get(url), 401)


def test_the_summary_is_for_government_staff_only(world, client_for):
    assert_error(client_for(world.head_officer).get(SUMMARY), 403, "forbidden")
    assert_error(client_for(world.other_sme).get(SUMMARY), 403, "forbidden")
    assert_error(client_for(None).get(SUMMARY), 401)


def _future_month() -> str:
    return ym(month_end(M0) + datetime.timedelta(days=1))


@pytest.mark.parametrize(
    "url,params,field",
    [
        (SUMMARY, {"region": "41010"}, "region"),
        (SUMMARY, {"region": "999999"}, "region"),
        (SUMMARY, {"as_of": "2026-13-01"}, "as_of"),
        (SUMMARY, {"as_of": "yesterday"}, "as_of"),
        (KPIS, {"from": "2026-13"}, "from"),
        (KPIS, {"from": "2026-1"}, "from"),
        (KPIS, {"to": "2026-03-01"}, "to"),
        (KPIS, {"from": "0000-01"}, "from"),
        (KPIS, {"region": "999999"}, "region"),
        (SERIES, {"months": "0"}, "months"),
        (SERIES, {"months": "121"}, "months"),
        (SERIES, {"months": "many"}, "months"),
        (SERIES, {"to": "March"}, "to"),
        (breakdown("county"), {}, "dim"),
        (breakdown("bank"), {"from": "2026/01"}, "from"),
    ],
)
def test_bad_input_is_400_in_the_error_shape(world, client_for, url, params, field):
    body = assert_error(client_for(world.staff_zz).get(url, params), 400, "invalid")
    assert set(body["detail"]) == {field}


def test_months_out_of_order_or_in_the_future_are_refused(world, client_for):
    client = client_for(world.staff_zz)
    assert set(assert_error(client.get(KPIS, {"from": ym(M0), "to": ym(M1)}), 400)["detail"]) == {"from"}
    assert set(assert_error(client.get(KPIS, {"to": _future_month()}), 400)["detail"]) == {"to"}
    assert set(assert_error(client.get(SERIES, {"to": _future_month()}), 400)["detail"]) == {"to"}
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert set(assert_error(client.get(SUMMARY, {"as_of": tomorrow}), 400)["detail"]) == {"as_of"}
    assert client.get(SUMMARY, {"as_of": timezone.localdate().isoformat()}).status_code == 200


def test_an_empty_county_has_no_share_and_no_series(world, client_for):
    client = client_for(world.staff_ly)
    empty = client.get(SUMMARY, {"region": "410303"}).json()  # 西工区: no loans
    assert empty["balance"] == "0.00" and empty["credit_loan_share"] is None and empty["registered_enterprises"] == 0
    assert client.get(SERIES, {"region": "410303"}).json()["months"] == []
    assert client.get(KPIS, {"region": "410303"}).json()["average_approval_days"] is None


def test_schema_documents_every_stats_endpoint():
    paths = openapi()["paths"]
    for url in (SUMMARY, KPIS, SERIES, "/api/v1/stats/breakdown/{dim}/"):
        operation = paths[url]["get"]
        assert {"200", "400", "401", "403", "404"} <= set(operation["responses"]), url
        assert "region" in {p["name"] for p in operation["parameters"]}, url
    dim = next(p for p in paths["/api/v1/stats/breakdown/{dim}/"]["get"]["parameters"] if p["name"] == "dim")
    assert set(dim["schema"]["enum"]) == {
        "region", "bank", "branch", "product_type", "guarantee_mode", "industry", "size_class"
    }  # fmt: skip
    schemas = openapi()["components"]["schemas"]
    assert "USCC" in schemas["StatsSummary"]["properties"]["new_first_loan_customers"]["description"]
    for name in ("StatsSummary", "StatsKpis", "StatsSeriesMonth", "StatsBreakdownRow"):
        balance = schemas[name]["properties"]["balance"]
        assert (balance["type"], balance["format"]) == ("string", "decimal"), name
