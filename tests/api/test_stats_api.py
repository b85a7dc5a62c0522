"""GET /api/v1/stats/summary/: figures from the raw tables, checked against hand-computed values.

The fixture (on top of tests/api/conftest.py's small Henan):

郑州 (金水区): zz1 ── L1 credit (04), principal 1,000,000, balance 600,000, first loan attested
                 └─ L2 guarantee (03), principal 500,000, balance 500,000, first loan attested again
               zz2 ── L3 mortgage (02), principal 2,000,000, CLOSED (200,000 left on the row: status decides)
               a skeleton enterprise (feed-created: not registered)
洛阳 (老城区): ly1 ── L4 credit (04), principal 3,000,000, balance 3,000,000, first loan attested
               plus the conftest's other_enterprise (registered, no loan)
Decisions: L1 approved 1,200,000; L2 approved 500,000; L4 approved 3,000,000; one rejection in 郑州.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.models import Application, CreditDecision, GuaranteeMode, Loan
from lending.models.targets import Target
from tests.api.utils import assert_error, openapi
from tests.factories import ApplicationFactory, EnterpriseFactory, LoanFactory, StaffFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/summary/"


def _loan(enterprise, *, principal, balance, mode, first=False, status=Loan.Status.LIVE, approved=None):
    loan = LoanFactory(
        application__enterprise=enterprise,
        principal=Decimal(principal),
        outstanding_balance=Decimal(balance),
        guarantee_mode=mode,
        first_loan_attested=first,
        status=status,
        disbursed_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    if approved:
        CreditDecision.objects.create(
            application=loan.application,
            outcome=CreditDecision.Outcome.APPROVED,
            amount=Decimal(approved),
            annual_rate=Decimal("3.850"),
            term_months=12,
            guarantee_mode=mode,
            decided_by=loan.disbursed_by,
        )
    return loan


@pytest.fixture
def world(parties):
    zz1 = EnterpriseFactory(region=parties.jinshui)
    zz2 = EnterpriseFactory(region=parties.jinshui)
    EnterpriseFactory(region=parties.jinshui, is_skeleton=True)
    ly1 = EnterpriseFactory(region=parties.laocheng)
    _loan(zz1, principal="1000000", balance="600000", mode=GuaranteeMode.CREDIT, first=True, approved="1200000")
    _loan(zz1, principal="500000", balance="500000", mode=GuaranteeMode.GUARANTEE, first=True, approved="500000")
    _loan(zz2, principal="2000000", balance="200000", mode=GuaranteeMode.MORTGAGE, status=Loan.Status.CLOSED)
    _loan(ly1, principal="3000000", balance="3000000", mode=GuaranteeMode.CREDIT, first=True, approved="3000000")
    rejected = ApplicationFactory(enterprise=zz2, status=Application.Status.REJECTED)
    CreditDecision.objects.create(
        application=rejected,
        outcome=CreditDecision.Outcome.REJECTED,
        reason_code="policy",
        decided_by=rejected.submitted_by,
    )
    return parties


def test_city_figures_match_the_hand_computed_values(world, client_for):
    body = client_for(world.staff_zz).get(URL).json()
    assert body["region"] == {"code": "410100", "name": "郑州市"}
    assert body["as_of"] == timezone.localdate().isoformat()
    assert body["registered_enterprises"] == 2  # zz1, zz2; not the skeleton, not 洛阳's
    assert body["balance"] == "1100000.00"  # L1 + L2; the closed L3 is out whatever its row says
    assert body["credit_loan_balance"] == "600000.00"
    assert body["credit_loan_share"] == "0.5455"
    assert body["granted_amount"] == "1700000.00" and body["granted_count"] == 2  # the rejection is not credit
    assert body["disbursed_amount"] == "3500000.00" and body["disbursed_count"] == 3  # a flow: closed L3 counts
    assert body["new_first_loan_customers"] == 1  # zz1 attested twice, counted once
    assert body["targets"] == []


def test_province_figures_and_the_seeded_target(world, client_for):
    staff = StaffFactory(region=world.province)
    body = client_for(staff).get(URL).json()
    assert body["registered_enterprises"] == 4
    assert body["balance"] == "4100000.00"
    assert body["credit_loan_balance"] == "3600000.00"
    assert body["credit_loan_share"] == "0.8780"
    assert body["granted_amount"] == "4700000.00"
    assert body["disbursed_amount"] == "6500000.00"
    assert body["new_first_loan_customers"] == 2
    [target] = body["targets"]
    assert target["metric"] == "balance" and target["value"] == "2000000000000.00"
    assert target["deadline"] == "2025-12-31" and target["region"] == "410000"
    assert target["current"] == "4100000.00" and target["progress"] == "0.0000"
    # The clock is past 2025-12-31 (the fixture's dates are relative to today, so check the rule, not a date).
    past = timezone.localdate() > datetime.date(2025, 12, 31)
    assert target["missed"] is past
    assert target["gap"] == ("1999995900000.00" if past else "0.00")
    assert (target["monthly_growth_needed"] is None) is past


def test_target_progress_and_open_deadline(world, client_for):
    deadline = timezone.localdate() + datetime.timedelta(days=400)
    Target.objects.create(
        metric="new_first_loan_customers", value=Decimal("4"), deadline=deadline, region=world.zhengzhou
    )
    Target.objects.create(
        metric="credit_loan_balance", value=Decimal("300000"), deadline=deadline, region=world.zhengzhou
    )
    Target.objects.create(metric="balance", value=Decimal("1"), deadline=deadline, region=world.luoyang)  # not 郑州's
    targets = {t["metric"]: t for t in client_for(world.staff_zz).get(URL).json()["targets"]}
    assert set(targets) == {"new_first_loan_customers", "credit_loan_balance"}
    first = targets["new_first_loan_customers"]
    assert first["current"] == "1.00" and first["progress"] == "0.2500" and first["missed"] is False
    assert Decimal(first["monthly_growth_needed"]) > 0
    credit = targets["credit_loan_balance"]
    assert credit["progress"] == "2.0000" and credit["monthly_growth_needed"] == "0.00" and credit["gap"] == "0.00"


def test_county_below_the_staff_region_and_no_balance_share_is_null(world, client_for):
    client = client_for(world.staff_ly)
    body = client.get(URL, {"region": "410302"}).json()
    assert body["region"]["code"] == "410302" and body["balance"] == "3000000.00"
    empty = client.get(URL, {"region": "410303"}).json()  # 西工区: no loans
    assert empty["balance"] == "0.00" and empty["credit_loan_share"] is None and empty["registered_enterprises"] == 0


def test_staff_of_one_city_cannot_see_the_other(world, client_for):
    client = client_for(world.staff_zz)
    assert_error(client.get(URL, {"region": "410300"}), 404, "not_found")
    assert_error(client.get(URL, {"region": "410302"}), 404, "not_found")
    assert_error(client.get(URL, {"region": "410000"}), 404, "not_found")  # upward is out of scope too


@pytest.mark.parametrize(
    "params,code",
    [
        ({"region": "41010"}, "invalid"),
        ({"region": "999999"}, "invalid"),
        ({"as_of": "2026-13-01"}, "invalid"),
        ({"as_of": "yesterday"}, "invalid"),
    ],
)
def test_bad_input_is_400_in_the_error_shape(world, client_for, params, code):
    body = assert_error(client_for(world.staff_zz).get(URL, params), 400, code)
    assert set(body["detail"]) == set(params)


def test_as_of_today_is_accepted_and_other_days_are_refused(world, client_for):
    client = client_for(world.staff_zz)
    today = timezone.localdate()
    assert client.get(URL, {"as_of": today.isoformat()}).status_code == 200
    body = assert_error(client.get(URL, {"as_of": (today - datetime.timedelta(days=1)).isoformat()}), 400)
    assert body["code"] == "balance_history_unavailable" and "as_of" in body["detail"]
    assert_error(client.get(URL, {"as_of": (today + datetime.timedelta(days=1)).isoformat()}), 400, "invalid")


def test_only_government_staff(world, client_for):
    assert_error(client_for(world.officer_a).get(URL), 403, "forbidden")
    assert_error(client_for(world.other_sme).get(URL), 403, "forbidden")
    assert_error(client_for(None).get(URL), 401)


def test_schema_documents_the_summary():
    operation = openapi()["paths"][URL]["get"]
    assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"region", "as_of"}
    fields = openapi()["components"]["schemas"]["StatsSummary"]["properties"]
    assert "USCC" in fields["new_first_loan_customers"]["description"]
    assert fields["balance"]["type"] == "string" and fields["balance"]["format"] == "decimal"


@pytest.mark.parametrize("loans", [3, 30])
def test_query_count_does_not_depend_on_data_volume(parties, client_for, loans):
    enterprise = EnterpriseFactory(region=parties.jinshui)
    for _ in range(loans):
        _loan(
            enterprise, principal="100000", balance="100000", mode=GuaranteeMode.CREDIT, first=True, approved="100000"
        )
    Target.objects.create(
        metric="balance", value=Decimal("1"), deadline=datetime.date(2030, 1, 1), region=parties.zhengzhou
    )
    client = client_for(parties.staff_zz)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL).json()
    assert body["disbursed_count"] == loans
    # token, region (with parents), enterprises, loans, decisions, targets
    assert len(queries) == 6, [q["sql"] for q in queries]


def test_flows_stop_at_as_of(world):
    """The selector's flows count disbursements up to as_of only (the API refuses past days for the balance)."""
    from lending.selectors_stats import loan_figures

    recent = EnterpriseFactory(region=world.jinshui)
    loan = _loan(recent, principal="700000", balance="700000", mode=GuaranteeMode.CREDIT, first=True)
    Loan.objects.filter(pk=loan.pk).update(disbursed_on=timezone.localdate() - datetime.timedelta(days=5))
    before = loan_figures(region=world.zhengzhou, as_of=timezone.localdate() - datetime.timedelta(days=10))
    after = loan_figures(region=world.zhengzhou, as_of=timezone.localdate())
    assert (before["disbursed_amount"], before["disbursed_count"], before["new_first_loan_customers"]) == (
        Decimal("3500000.00"),
        3,
        1,
    )
    assert (after["disbursed_amount"], after["disbursed_count"], after["new_first_loan_customers"]) == (
        Decimal("4200000.00"),
        4,
        2,
    )
