"""The government dashboard page: scope, drill-down, figures against hand-computed values, targets, head offices,
and a query count that does not depend on the data volume.

The world (build_world, also used by the export and browser tests):

Dates are relative to today: M0 is this month, M1 last month, M2 the month before, M14 fourteen months ago
(outside the default range of the last 12 months).

河南省 410000 ── 郑州市 410100 ── 金水区 410105: e1 (C, small), e4 (C, small, no loan)
             │                └─ 二七区 410103: e2 (F, micro)
             └─ 洛阳市 410300 ── 老城区 410302: e3 (C, medium)

Bank A: head office (province) ── A郑州 branch, A洛阳 branch.   Bank B: 郑州银行, a head office in 郑州.

L1 e1 A郑州 credit (04)     working capital 1,000,000 disbursed M2, first-loan attested; repaid 400,000 in M1
L2 e2 B     mortgage (02)   fixed asset     2,000,000 disbursed M1, first-loan attested
L3 e3 A洛阳 credit (04)     working capital 3,000,000 disbursed M0
L4 e1 B     guarantee (03)  working capital   500,000 disbursed M14, first-loan attested (e1's first loan)
L5 e2 A郑州 credit (04)     working capital   800,000 disbursed M2, repaid in full and closed in M1
Decisions this month: L1's application approved 1,200,000, L2's approved 2,000,000, one rejection (e3).
Demands this month: one open (e1), one claimed by A洛阳 (e3).

Hand-computed, default range (M11..M0), balances now:
  province: balance 6,100,000 (L1 600,000 + L2 + L3 + L4); credit-loan 3,600,000 (59.02%); 4 loans, 3 firms;
            disbursed 6,800,000 in 4 loans (L1, L2, L3, L5); granted 3,200,000 in 2 approvals; 3 decisions;
            new first-loan customers 1 (e2: e1's first attested loan is L4, before the range);
            registered enterprises 4; institutions 4; products 4; open demands 1; pick-up rate 50.00%.
  郑州: balance 3,100,000; credit-loan 600,000 (19.35%); disbursed 3,800,000 in 3 loans.
  金水区 1,100,000; 二七区 2,000,000. 洛阳 3,000,000.
  by bank: A 3,600,000 (credit 3,600,000, 100.00%); B 2,500,000. Bank A head office: 郑州 600,000, 洛阳 3,000,000.
"""

import datetime
import math
import re
import statistics
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lending.models import CreditDecision, GuaranteeMode, ProductType
from lending.models.targets import Target
from lending.rollups import stats_rebuild
from lending.services.feedback import loan_close, repayment_record
from tests.factories import (
    ApplicationFactory,
    CityFactory,
    CountyFactory,
    DemandClaimFactory,
    DemandFactory,
    DivisionFactory,
    EnterpriseFactory,
    LoanFactory,
    OfficerFactory,
    ProductFactory,
    SectionFactory,
    SmeUserFactory,
    StaffFactory,
)
from tests.web.utils import english_client, logged_in
from xinyidai.models import Institution, Region, User

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URL = "/dashboard/"


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass
class World:
    province: Region
    zhengzhou: Region
    jinshui: Region
    erqi: Region
    luoyang: Region
    laocheng: Region
    bank_a: Institution
    a_zz: Institution
    a_ly: Institution
    bank_b: Institution
    officer_a_zz: User
    officer_a_ly: User
    officer_b: User
    head_a: User
    staff_province: User
    staff_zz: User
    loans: dict


def _loan(*, enterprise, product, principal, mode, disbursed_on, first=False):
    application = ApplicationFactory(enterprise=enterprise, product=product, status="disbursed")
    return LoanFactory(
        application=application,
        principal=Decimal(principal),
        outstanding_balance=Decimal(principal),
        guarantee_mode=mode,
        disbursed_on=disbursed_on,
        maturity_on=disbursed_on + datetime.timedelta(days=730),
        first_loan_attested=first,
    )


def _approve(loan, amount):
    CreditDecision.objects.create(
        application=loan.application,
        outcome=CreditDecision.Outcome.APPROVED,
        amount=Decimal(amount),
        annual_rate=Decimal("3.850"),
        term_months=12,
        guarantee_mode=loan.guarantee_mode,
        decided_by=loan.disbursed_by,
    )


def build_world() -> World:
    today = timezone.localdate()
    m0 = today.replace(day=1)
    m1, m2, m14 = add_months(m0, -1), add_months(m0, -2), add_months(m0, -14)
    province = CityFactory().parent  # 410000, seeded by the targets migration or made here
    zhengzhou = CityFactory()
    jinshui = CountyFactory()
    erqi = CountyFactory(code="410103", name="二七区", parent=zhengzhou)
    luoyang = CityFactory(code="410300", name="洛阳市")
    laocheng = CountyFactory(code="410302", name="老城区", parent=luoyang)
    manufacturing = DivisionFactory()
    trade = DivisionFactory(code="51", name="批发业", parent=SectionFactory(code="F", name="批发和零售业"))

    bank_a = Institution.objects.create(code="ZYB", name="中原银行", region=province)
    a_zz = Institution.objects.create(code="ZYB-ZZ", name="中原银行郑州分行", parent=bank_a, region=zhengzhou)
    a_ly = Institution.objects.create(code="ZYB-LY", name="中原银行洛阳分行", parent=bank_a, region=luoyang)
    bank_b = Institution.objects.create(code="ZZB", name="郑州银行", region=zhengzhou)
    officers = {inst.code: OfficerFactory(institution=inst) for inst in (a_zz, a_ly, bank_b, bank_a)}

    e1 = EnterpriseFactory(region=jinshui, industry=manufacturing, size_class="small", name="金水星河科技有限公司")
    e2 = EnterpriseFactory(region=erqi, industry=trade, size_class="micro", name="二七商贸有限公司")
    e3 = EnterpriseFactory(region=laocheng, industry=manufacturing, size_class="medium", name="老城机械有限公司")
    EnterpriseFactory(region=jinshui, industry=manufacturing, size_class="small")  # e4: registered, no loan

    def product(institution, product_type, mode):
        return ProductFactory(
            institution=institution, product_type=product_type, guarantee_mode=mode,
            created_by=officers[institution.code],
        )  # fmt: skip

    wc_a_zz = product(a_zz, ProductType.WORKING_CAPITAL, GuaranteeMode.CREDIT)
    wc_a_ly = product(a_ly, ProductType.WORKING_CAPITAL, GuaranteeMode.CREDIT)
    fa_b = product(bank_b, ProductType.FIXED_ASSET, GuaranteeMode.MORTGAGE)
    wc_b = product(bank_b, ProductType.WORKING_CAPITAL, GuaranteeMode.GUARANTEE)

    loans = {
        "L1": _loan(enterprise=e1, product=wc_a_zz, principal="1000000", mode=GuaranteeMode.CREDIT,
                    disbursed_on=m2, first=True),
        "L2": _loan(enterprise=e2, product=fa_b, principal="2000000", mode=GuaranteeMode.MORTGAGE,
                    disbursed_on=m1, first=True),
        "L3": _loan(enterprise=e3, product=wc_a_ly, principal="3000000", mode=GuaranteeMode.CREDIT, disbursed_on=m0),
        "L4": _loan(enterprise=e1, product=wc_b, principal="500000", mode=GuaranteeMode.GUARANTEE,
                    disbursed_on=m14, first=True),
        "L5": _loan(enterprise=e2, product=wc_a_zz, principal="800000", mode=GuaranteeMode.CREDIT, disbursed_on=m2),
    }  # fmt: skip
    officer_a_zz = officers["ZYB-ZZ"]
    repayment_record(loan_id=loans["L1"].pk, officer=officer_a_zz, paid_on=m1, principal_amount=Decimal("400000"),
                     reference="R-L1-1")  # fmt: skip
    repayment_record(loan_id=loans["L5"].pk, officer=officer_a_zz, paid_on=m1, principal_amount=Decimal("800000"),
                     reference="R-L5-1")  # fmt: skip
    loan_close(loan_id=loans["L5"].pk, officer=officer_a_zz, on_date=m1)

    _approve(loans["L1"], "1200000")
    _approve(loans["L2"], "2000000")
    rejected = ApplicationFactory(enterprise=e3, product=wc_a_ly, status="rejected")
    CreditDecision.objects.create(
        application=rejected, outcome=CreditDecision.Outcome.REJECTED, reason_code="policy",
        decided_by=officers["ZYB-LY"],
    )  # fmt: skip

    DemandFactory(enterprise=e1)
    DemandClaimFactory(demand__enterprise=e3, institution=a_ly, officer=officers["ZYB-LY"])

    return World(
        province=province, zhengzhou=zhengzhou, jinshui=jinshui, erqi=erqi, luoyang=luoyang, laocheng=laocheng,
        bank_a=bank_a, a_zz=a_zz, a_ly=a_ly, bank_b=bank_b, officer_a_zz=officer_a_zz,
        officer_a_ly=officers["ZYB-LY"], officer_b=officers["ZZB"], head_a=officers["ZYB"],
        staff_province=StaffFactory(region=province), staff_zz=StaffFactory(region=zhengzhou), loans=loans,
    )  # fmt: skip


# --- helpers ---------------------------------------------------------------------------------------------------


class _TextOf(HTMLParser):
    """The text inside the element with a given id (whitespace squeezed)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}

    def __init__(self, element_id):
        super().__init__()
        self.element_id, self.depth, self.parts, self.found = element_id, 0, [], False

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(response, element_id: str) -> str:
    parser = _TextOf(element_id)
    parser.feed(response.content.decode())
    assert parser.found, f"no element #{element_id}"
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


def table_rows(response, name: str) -> dict[str, list[str]]:
    """A breakdown table's rows: first cell -> the other cells' text."""
    html = response.content.decode()
    table = re.search(rf'<table[^>]*id="table-{name}".*?</table>', html, re.S).group(0)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in
                 re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]  # fmt: skip
        rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture
def world():
    built = build_world()
    stats_rebuild()
    return built


def get(user, url=URL, **params):
    return logged_in(user).get(url, params)


# --- scope ---------------------------------------------------------------------------------------------------


def test_city_staff_cannot_see_another_city_or_the_province(world):
    for code in ("410300", "410302", "410000", "999999"):
        assert get(world.staff_zz, region=code).status_code == 404, code


def test_branch_officers_and_smes_are_refused_and_anonymous_users_sent_to_log_in(world):
    assert get(world.officer_a_zz).status_code == 403
    assert get(SmeUserFactory()).status_code == 403
    response = english_client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_province_staff_drill_down_province_city_county(world):
    province = get(world.staff_province)
    assert province.status_code == 200
    period = "from={}&amp;to={}".format(*province.context["period"].query.values())
    html = province.content.decode()
    assert f'href="/dashboard/?region=410100&amp;{period}"' in html  # the city rows link down
    assert f'href="/dashboard/?region=410300&amp;{period}"' in html
    assert text_of(province, "dashboard-breadcrumbs") == "河南省"

    city = get(world.staff_province, region="410100")
    assert city.status_code == 200
    assert list(table_rows(city, "region")) == ["二七区", "金水区"]  # by code
    assert f'href="/dashboard/?region=410000&amp;{period}"' in city.content.decode()  # back up the trail
    assert text_of(city, "dashboard-breadcrumbs") == "河南省 郑州市"

    county = get(world.staff_province, region="410105")
    assert county.status_code == 200
    assert text_of(county, "dashboard-breadcrumbs") == "河南省 郑州市 金水区"
    assert "region" not in [t.name for t in county.context["tables"]]  # nothing below a county
    assert county.context["kpis"]["balance"] == Decimal("1100000.00")  # L1 600,000 + L4 500,000


def test_city_staff_breadcrumbs_do_not_link_above_their_region(world):
    county = get(world.staff_zz, region="410105")
    html = county.content.decode()
    assert 'href="/dashboard/?region=410100' in html
    assert 'href="/dashboard/?region=410000' not in html
    assert text_of(county, "dashboard-breadcrumbs") == "河南省 郑州市 金水区"


# --- figures -------------------------------------------------------------------------------------------------


def test_province_kpis_equal_the_hand_computed_figures(world):
    response = get(world.staff_province)
    kpis = response.context["kpis"]
    assert kpis["balance"] == Decimal("6100000.00")
    assert kpis["credit_loan_balance"] == Decimal("3600000.00")
    assert kpis["credit_loan_share"] == Decimal("59.02")  # 3.6 / 6.1
    assert (kpis["live_loans"], kpis["borrowers"]) == (4, 3)  # L5 closed; e1 holds two loans
    assert (kpis["disbursed_amount"], kpis["disbursed_count"]) == (Decimal("6800000.00"), 4)  # flows: L5 counts
    assert (kpis["granted_amount"], kpis["granted_count"]) == (Decimal("3200000.00"), 2)
    assert kpis["first_loan_customers"] == 1  # e2 only: e1's first attested loan (L4) is before the range
    assert kpis["registered_enterprises"] == 4
    assert (kpis["institutions"], kpis["products"], kpis["open_demands"]) == (4, 4, 1)
    assert kpis["pick_up_rate"] == Decimal("50.00")
    assert kpis["average_approval_days"] == Decimal("0.0") and kpis["decided_count"] == 3  # decided the same day
    # The cards show them, money in 万元.
    assert "610.00 10k yuan" in text_of(response, "kpi-balance")
    assert "4 loans outstanding to 3 enterprises" in text_of(response, "kpi-balance")
    assert "360.00 10k yuan" in text_of(response, "kpi-credit-loans") and "59.02%" in text_of(
        response, "kpi-credit-loans"
    )
    assert "680.00 10k yuan" in text_of(response, "kpi-disbursed") and "4 loans" in text_of(response, "kpi-disbursed")
    assert "320.00 10k yuan" in text_of(response, "kpi-granted") and "2 approvals" in text_of(response, "kpi-granted")
    assert text_of(response, "kpi-first-loans").startswith("New first-loan customers 1 ")
    assert "50.00%" in text_of(response, "kpi-demands")
    assert (kpis["intents_converted"], kpis["intents_recorded"], kpis["events_held"]) == (0, 0, 0)  # none recorded
    assert "Figures as of" in text_of(response, "dashboard-refreshed")


def test_city_figures_and_breakdowns(world):
    response = get(world.staff_zz)
    kpis = response.context["kpis"]
    assert kpis["balance"] == Decimal("3100000.00")
    assert kpis["credit_loan_share"] == Decimal("19.35")  # 0.6 / 3.1
    assert (kpis["disbursed_amount"], kpis["disbursed_count"]) == (Decimal("3800000.00"), 3)
    assert kpis["institutions"] == 3  # A郑州 and 郑州银行 in the city, Bank A's head office above it
    counties = table_rows(response, "region")
    # balance, credit-loan balance, share, loans, borrowers, disbursed amount, count, granted amount, count, first
    assert counties["金水区"] == ["110.00 10k yuan", "60.00 10k yuan", "54.55%", "2", "1",
                                  "100.00 10k yuan", "1", "120.00 10k yuan", "1", "0"]  # fmt: skip
    assert counties["二七区"] == ["200.00 10k yuan", "0.00 10k yuan", "0.00%", "1", "1",
                                  "280.00 10k yuan", "2", "200.00 10k yuan", "1", "1"]  # fmt: skip


def test_province_breakdowns_by_bank_mode_product_industry_and_size(world):
    response = get(world.staff_province)
    tables = {table.name: {row.label: row.values for row in table.rows} for table in response.context["tables"]}
    assert {name: values["balance"] for name, values in tables["region"].items()} == {
        "郑州市": Decimal("3100000.00"), "洛阳市": Decimal("3000000.00")}  # fmt: skip
    bank_a, bank_b = tables["bank"]["中原银行"], tables["bank"]["郑州银行"]
    assert (bank_a["balance"], bank_a["credit_loan_share"]) == (Decimal("3600000.00"), Decimal("1.0000"))
    assert (bank_b["balance"], bank_b["credit_loan_balance"]) == (Decimal("2500000.00"), Decimal("0.00"))
    assert (bank_a["disbursed_amount"], bank_a["disbursed_count"]) == (Decimal("4800000.00"), 3)  # L1, L3, L5
    modes = {name: values["balance"] for name, values in tables["guarantee_mode"].items()}
    assert modes == {"Credit": Decimal("3600000.00"), "Mortgage": Decimal("2000000.00"),
                     "Guarantee": Decimal("500000.00")}  # fmt: skip
    types = {name: values["balance"] for name, values in tables["product_type"].items()}
    assert types == {"Working capital loan": Decimal("4100000.00"), "Fixed asset loan": Decimal("2000000.00")}
    sections = {name: values["balance"] for name, values in tables["industry"].items()}
    assert sections == {"制造业": Decimal("4100000.00"), "批发和零售业": Decimal("2000000.00")}
    sizes = {name: (values["balance"], values["borrowers"]) for name, values in tables["size_class"].items()}
    assert sizes == {"Medium": (Decimal("3000000.00"), 1), "Micro": (Decimal("2000000.00"), 1),
                     "Small": (Decimal("1100000.00"), 1)}  # fmt: skip
    # Largest balance first; the rendered row matches.
    assert list(table_rows(response, "bank")) == ["中原银行", "郑州银行"]
    assert table_rows(response, "bank")["中原银行"][:3] == ["360.00 10k yuan", "360.00 10k yuan", "100.00%"]


def test_month_range_filter_moves_stocks_and_flows(world):
    m0 = timezone.localdate().replace(day=1)
    m1, m2 = add_months(m0, -1), add_months(m0, -2)
    response = get(world.staff_province, **{"from": f"{m2:%Y-%m}", "to": f"{m1:%Y-%m}"})
    kpis = response.context["kpis"]
    assert kpis["balance"] == Decimal("3100000.00")  # at the end of M1: L1 600,000 + L2 + L4; L3 not yet lent
    assert (kpis["disbursed_amount"], kpis["disbursed_count"]) == (Decimal("3800000.00"), 3)  # L1, L2, L5
    assert kpis["first_loan_customers"] == 1 and kpis["granted_count"] == 0  # the decisions are this month's
    assert [f"{row['month']:%Y-%m}" for row in response.context["trend_rows"]] == [f"{m2:%Y-%m}", f"{m1:%Y-%m}"]
    assert "310.00 10k yuan" in text_of(response, "kpi-balance")


def test_average_approval_time_counts_working_days_of_the_official_calendar(world):
    """GIVEN two decisions in 2025: submitted Mon 29 Sep, decided Fri 10 Oct (1-8 Oct are the National Day
    holidays: 30 Sep, 9 and 10 Oct are working days: 3); submitted Mon 2 Jun (Dragon Boat holiday), decided
    Fri 6 Jun (3-6 Jun: 4). THEN the average over Jun-Oct 2025 is 3.5 working days."""
    tz = timezone.get_current_timezone()
    for submitted, decided, amount in (
        (datetime.datetime(2025, 9, 29, 10, tzinfo=tz), datetime.datetime(2025, 10, 10, 15, tzinfo=tz), "700000"),
        (datetime.datetime(2025, 6, 2, 9, tzinfo=tz), datetime.datetime(2025, 6, 6, 17, tzinfo=tz), "300000"),
    ):
        application = ApplicationFactory(
            enterprise=world.loans["L1"].enterprise, product=world.loans["L1"].product, submitted_at=submitted
        )
        CreditDecision.objects.create(
            application=application, outcome=CreditDecision.Outcome.APPROVED, amount=Decimal(amount),
            annual_rate=Decimal("3.850"), term_months=12, decided_by=world.officer_a_zz, decided_at=decided,
        )  # fmt: skip
    stats_rebuild()
    response = get(world.staff_province, **{"from": "2025-06", "to": "2025-10"})
    kpis = response.context["kpis"]
    assert kpis["average_approval_days"] == Decimal("3.5") and kpis["decided_count"] == 2
    assert (kpis["granted_amount"], kpis["granted_count"]) == (Decimal("1000000.00"), 2)
    assert text_of(response, "kpi-approval").startswith("Average approval time 3.5 working days")


@pytest.mark.parametrize(
    "params,field,message",
    [
        ({"from": "2026-13"}, "from", "Enter a month as YYYY-MM."),
        ({"to": "soon"}, "to", "Enter a month as YYYY-MM."),
        ({"from": "2025-06", "to": "2025-01"}, "from", "The first month cannot be after the last."),
        ({"to": "2999-01"}, "to", "The month cannot be in the future."),
        ({"from": "2000-01", "to": "2025-01"}, "from", "Choose at most 120 months."),
        ({"region": "41010"}, "region", "A region is a 6-digit GB/T 2260 code."),
    ],
)
def test_bad_input_shows_the_form_error_with_400(world, params, field, message):
    response = get(world.staff_province, **params)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert "dashboard-data" not in response.content.decode()


def test_bad_input_errors_are_in_the_users_language(world):
    client = logged_in(world.staff_province)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.get(URL, {"from": "2025-06", "to": "2025-01"})
    assert response.status_code == 400
    assert response.context["LANGUAGE_CODE"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


# --- targets -------------------------------------------------------------------------------------------------


def test_the_seeded_province_target_shows_missed_with_the_gap(world):
    # The migration seeds it; a transactional (browser) test run before this one may have flushed it.
    Target.objects.get_or_create(
        region=world.province, metric="balance", deadline=datetime.date(2025, 12, 31),
        defaults={"value": Decimal("2000000000000.00")},
    )  # fmt: skip
    response = get(world.staff_province)
    [card] = [c for c in response.context["targets"] if c["metric"] == "balance" and c["region"] == "410000"]
    assert card["value"] == Decimal("2000000000000.00") and card["deadline"] == datetime.date(2025, 12, 31)
    # Today is after 2025-12-31 (the world's dates are relative to it): missed by the target less 6,100,000.
    assert card["missed"] is True and card["gap"] == Decimal("1999993900000.00")
    text = text_of(response, f"target-{card['id']}")
    assert "Missed" in text and "19,999.94 100m yuan" in text  # the gap in 亿元
    assert "Method: the date the target is reached is projected with a linear least-squares trend over the last " \
           "12 month-end figures." in text_of(response, "dashboard-targets")  # fmt: skip


def test_a_city_target_progress_trend_date_and_growth_needed(world):
    deadline = timezone.localdate() + datetime.timedelta(days=400)
    target = Target.objects.create(metric="balance", value=Decimal("10000000"), deadline=deadline,
                                   region=world.zhengzhou)  # fmt: skip
    response = get(world.staff_zz)
    [card] = response.context["targets"]
    assert card["progress_percent"] == Decimal("31.00") and card["missed"] is False  # 3.1 of 10 million
    today = timezone.localdate()
    months_left = (deadline.year - today.year) * 12 + deadline.month - today.month
    assert card["monthly_growth_needed"] == (Decimal("6900000") / months_left).quantize(Decimal("0.01"))
    # The trend, fitted independently: 郑州's month-end balances over the last 12 months (M11..M0):
    # 500,000 (L4 alone) for M11..M3, then 2,300,000 (M2: + L1, L5), 3,100,000 (M1, M0).
    balances = [500_000] * 9 + [2_300_000, 3_100_000, 3_100_000]
    slope, intercept = statistics.linear_regression(range(12), balances)
    reach = add_months(add_months(today.replace(day=1), -11), math.ceil((10_000_000 - intercept) / slope))
    assert card["trend_reaches_on"].replace(day=1) == reach
    text = text_of(response, f"target-{target.pk}")
    assert "31.00%" in text and f"{reach:%Y-%m}" in text
    chart = response.context["charts"]["targets"][f"target-{target.pk}"]
    assert chart["values"][-3:] == ["230.00", "310.00", "310.00"] and chart["target"] == "1000.00"


# --- head offices --------------------------------------------------------------------------------------------


def test_a_head_office_sees_its_own_institution_by_branch_and_region(world):
    response = get(world.head_a)
    assert response.status_code == 200
    assert response.context["dscope"].bank == world.bank_a
    kpis = response.context["kpis"]
    assert kpis["balance"] == Decimal("3600000.00") and kpis["credit_loan_share"] == Decimal("100.00")
    assert (kpis["disbursed_amount"], kpis["disbursed_count"]) == (Decimal("4800000.00"), 3)
    tables = {table.name: {row.label: row.values["balance"] for row in table.rows} for table in
              response.context["tables"]}  # fmt: skip
    assert set(tables) == {"branch", "region"}
    assert tables["branch"] == {"中原银行洛阳分行": Decimal("3000000.00"), "中原银行郑州分行": Decimal("600000.00")}
    assert tables["region"] == {"郑州市": Decimal("600000.00"), "洛阳市": Decimal("3000000.00")}
    assert response.context["targets"] == []  # targets are the region's, not one bank's
    assert 'id="kpi-registered"' not in response.content.decode()

    city = get(world.head_a, region="410100")  # drill-down keeps the bank scope
    assert city.context["kpis"]["balance"] == Decimal("600000.00")
    assert get(world.officer_b).context["kpis"]["balance"] == Decimal("2500000.00")  # another head office


def test_the_navigation_links_to_the_dashboard_for_staff_and_head_offices_only(world):
    link = 'href="/dashboard/"'
    assert link in get(world.staff_zz, "/").content.decode()
    assert link in get(world.head_a, "/").content.decode()
    assert link not in get(world.officer_a_zz, "/").content.decode()


# --- query counts --------------------------------------------------------------------------------------------


def _more_data(world, n: int) -> None:
    """n more enterprises with a loan each, across regions, banks, sizes and modes."""
    counties = [world.jinshui, world.erqi, world.laocheng]
    products = [ProductFactory(institution=inst, created_by=OfficerFactory(institution=inst))
                for inst in (world.a_zz, world.a_ly, world.bank_b)]  # fmt: skip
    modes = [GuaranteeMode.CREDIT, GuaranteeMode.PLEDGE, GuaranteeMode.GUARANTEE]
    for i in range(n):
        enterprise = EnterpriseFactory(region=counties[i % 3], size_class=["small", "micro", "medium"][i % 3])
        _loan(enterprise=enterprise, product=products[i % 3], principal=str(100_000 + i), mode=modes[i % 3],
              disbursed_on=add_months(timezone.localdate().replace(day=1), -(i % 10)), first=i % 2 == 0)  # fmt: skip
    stats_rebuild()


def _queries(user, **params) -> int:
    client = logged_in(user)
    client.get(URL, params)  # warm-up: per-process caches (content types) out of the count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Queries of one page: session, user, the region (with its parents), figures, monthly series, the region subtree,
# institutions, products, open demands, the breakdowns' figures, bank names, industry section names, child
# regions and their figures, targets, the last refresh, the user's region in the menu (base.html), and the
# matchmaking events held in the range and the navbar's unread notification count (issue 6). Explain any new one
# here before raising the number.
STAFF_QUERIES = 19
# A head office: session, user, its institution, the province, figures, series, the region subtree, institutions,
# products, its branches, the branch figures and names, child regions and their figures, the last refresh, the
# events its institutions took part in, the navbar's unread notification count.
HEAD_OFFICE_QUERIES = 17


@pytest.mark.parametrize("who,params,expected", [
    ("staff_province", {}, STAFF_QUERIES),
    ("staff_province", {"region": "410100"}, STAFF_QUERIES),
    ("head_a", {}, HEAD_OFFICE_QUERIES),
])  # fmt: skip
def test_the_query_count_does_not_depend_on_the_data_volume(world, who, params, expected):
    user = getattr(world, who)
    small = _queries(user, **params)
    _more_data(world, 30)
    large = _queries(user, **params)
    assert small == large == expected, f"{small} queries with the small world, {large} with 30 more loans"


def test_before_the_first_refresh_the_page_says_so_and_shows_zeros(db):
    staff = StaffFactory(region=CityFactory())
    response = get(staff, **{"region": "410100"})
    assert response.status_code == 200
    assert "have not been computed yet" in text_of(response, "dashboard-refreshed")
    assert response.context["kpis"]["balance"] == Decimal("0.00") and response.context["trend_rows"] == []
    assert "No figures for this period yet." in text_of(response, "dashboard-trend")
