"""Issue 6's "done when" in a real browser: province staff create a matchmaking event for a city, invite the city's
first-loan candidates from the outreach list, mark attendance and record intents on the event page; one intent is
followed to a disbursed loan; the funnel and, after the statistics refresh, the dashboard's matchmaking card show
it; an SME sees ranked products with the reasons met and missed. Debian's chromium through Playwright."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lending.models import Intent, MatchmakingEvent
from lending.rollups import stats_refresh
from lending.services.applications import (
    application_accept,
    application_approve,
    application_disburse,
    application_submit,
)
from tests.factories import (
    BranchFactory,
    CityFactory,
    CountyFactory,
    EnterpriseFactory,
    EvaluationFactory,
    InstitutionFactory,
    OfficerFactory,
    ProductFactory,
    ProvinceFactory,
    SmeUserFactory,
    StaffFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "Passw0rd!xyz"  # the factories' password


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _click(page, locator) -> None:
    locator.click()
    page.wait_for_load_state("networkidle")


def _funnel_figure(page, row: int) -> str:
    return page.locator(f"#funnel-table tbody tr:nth-child({row}) td").inner_text().strip()


def test_matchmaking_event_from_invitation_to_a_disbursed_loan(live_server, browser):
    province = ProvinceFactory()
    zhengzhou = CityFactory()  # 郑州市, with 金水区 below it
    jinshui = CountyFactory(parent=zhengzhou)
    luoyang = CityFactory(code="410300", name="洛阳市", parent=province)
    staff = StaffFactory(region=province, username="staff_province")
    branch = BranchFactory(name="中原银行郑州分行", region=zhengzhou)
    officer = OfficerFactory(institution=branch)
    product = ProductFactory(institution=branch, name="郑州首贷通", created_by=officer)
    zz = [EnterpriseFactory(name=f"郑州首贷候选企业{n}", region=jinshui) for n in range(3)]
    outside = EnterpriseFactory(name="洛阳候选企业", region=luoyang)
    zz_owner = SmeUserFactory(enterprise=zz[0])
    base = live_server.url

    page = browser.new_page(locale="zh-CN")
    _login(page, base, staff.username)

    # 1. The event for 郑州, from the create form.
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    page.goto(f"{base}/events/new/")
    page.fill("input[name=title]", "郑州首贷对接会")
    page.fill("input[name=starts_at]", f"{tomorrow:%Y-%m-%d}T09:00")
    page.fill("input[name=ends_at]", f"{tomorrow:%Y-%m-%d}T12:00")
    page.select_option("select[name=region]", str(zhengzhou.pk))
    page.fill("input[name=place]", "郑州市金水区金融会客厅")
    _click(page, page.locator("form[method=post]:has(input[name=title]) button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/events/\d+/$"))
    event = MatchmakingEvent.objects.get(title="郑州首贷对接会")
    assert event.region == zhengzhou and event.organizer == staff

    # The bank takes part (invited by hand on the event's invite page).
    page.goto(f"{base}/events/{event.pk}/invite/")
    page.select_option("select[name=institutions]", [str(branch.pk)])
    _click(page, page.locator("form:has(select[name=institutions]) button[type=submit]"))
    expect(page).to_have_url(re.compile(rf"/events/{event.pk}/$"))
    expect(page.locator("#institution-table")).to_contain_text("中原银行郑州分行")

    # 2. The first-loan candidates of 郑州, all invited to the event.
    page.goto(f"{base}/outreach/")
    expect(page.locator("#candidates")).to_contain_text("洛阳候选企业")
    page.select_option("#filters select[name=region]", "410100")
    _click(page, page.locator("#filters button[type=submit]"))
    expect(page).to_have_url(re.compile(r"region=410100"))
    for enterprise in zz:
        expect(page.locator("#candidates")).to_contain_text(enterprise.name)
    expect(page.locator("#candidates")).not_to_contain_text(outside.name)
    page.select_option("#invite-event", str(event.pk))
    page.check("#all-matching")
    _click(page, page.locator("#outreach-invite"))

    page.goto(f"{base}/events/{event.pk}/")
    participants = page.locator("#participant-table")
    expect(participants.locator(".xyd-status-invited")).to_have_count(3)
    for enterprise in zz:
        expect(participants).to_contain_text(enterprise.name)
    expect(participants).not_to_contain_text(outside.name)

    # 3. The day comes (attendance is recorded once the event has started): two of the three attend.
    now = timezone.now()
    MatchmakingEvent.objects.filter(pk=event.pk).update(
        starts_at=now - datetime.timedelta(hours=1), ends_at=now + datetime.timedelta(hours=2)
    )
    page.reload()
    for enterprise in zz[:2]:
        participants.get_by_role("checkbox", name=enterprise.name).check()
    _click(page, page.locator("#enterprise-attendance button[name=attended][value='1']"))
    expect(participants.locator(".xyd-status-attended")).to_have_count(2)
    expect(participants.locator(".xyd-status-invited")).to_have_count(1)

    # Two intents signed: 郑州首贷候选企业0 x the branch x 50万元, 郑州首贷候选企业1 x the branch x 30万元.
    for enterprise, amount in ((zz[0], "50"), (zz[1], "30")):
        page.goto(f"{base}/events/{event.pk}/")
        _click(page, page.locator("#event-actions a[href$='/intents/new/']"))
        page.fill("input[name=enterprise_uscc]", enterprise.uscc)
        page.select_option("select[name=institution]", str(branch.pk))
        page.fill("input[name=amount]", amount)
        _click(page, page.locator("form[method=post]:has(input[name=enterprise_uscc]) button[type=submit]"))
        expect(page).to_have_url(re.compile(rf"/events/{event.pk}/$"))
    intent = Intent.objects.get(event=event, enterprise=zz[0])
    assert intent.amount == Decimal("500000") and Intent.objects.filter(event=event).count() == 2
    row = page.locator(f"#intent-{intent.pk}")
    expect(row.locator(".xyd-status-recorded")).to_have_count(1)

    # 4. The intent followed up: contacted, its application linked, the loan disbursed.
    _click(page, row.get_by_role("button", name=re.compile("已联系|Contacted")))
    expect(row.locator(".xyd-status-contacted")).to_have_count(1)
    application = application_submit(
        user=zz_owner,
        product_id=product.pk,
        amount=Decimal("500000"),
        term_months=12,
        purpose="对接会意向",
        consent=True,
    )
    row.locator("input[name=application_number]").fill(application.number)
    _click(page, row.locator("form[action$='/applied/'] button[type=submit]"))
    expect(row.locator(".xyd-status-applied")).to_have_count(1)
    expect(row).to_contain_text(application.number)
    application_accept(application_id=application.pk, officer=officer)
    application_approve(
        application_id=application.pk,
        officer=officer,
        amount=Decimal("400000"),
        annual_rate=Decimal("3.65"),
        term_months=12,
    )
    loan = application_disburse(
        application_id=application.pk, officer=officer, contract_number="ZY-DJH-0001", first_loan_attested=True
    )
    assert loan.principal == Decimal("400000")
    page.reload()
    expect(row.locator(".xyd-status-disbursed")).to_have_count(1)  # the disbursement moved the linked intent

    # 5. The funnel: 3 invited, 2 attended, 2 intents (80万元), 1 applied, 1 disbursed (40万元), drawn by ECharts.
    expect(page.locator('[data-chart="funnel"][data-drawn="true"] canvas')).to_have_count(1)
    assert _funnel_figure(page, 1) == "3"  # invited
    assert _funnel_figure(page, 3) == "2"  # attended
    assert re.fullmatch(r"2 \(80(\.00)?\s*万元\)", _funnel_figure(page, 5)), _funnel_figure(page, 5)  # intents
    assert _funnel_figure(page, 7) == "1"  # applied
    assert re.fullmatch(r"1 \(40(\.00)?\s*万元\)", _funnel_figure(page, 8)), _funnel_figure(page, 8)  # disbursed

    # 6. The statistics refresh (Celery beat's job), then the province's dashboard.
    stats_refresh()
    page.goto(f"{base}/dashboard/")
    card = page.locator("#kpi-matchmaking .kpi-value")
    expect(card).to_have_text(re.compile(r"^\s*1\s*·\s*40(\.00)?\s*万元\s*$"))
    page.close()

    # 7. An SME with an evaluation (grade B, in 洛阳) sees the products ranked, with reasons met and missed.
    sme_enterprise = EnterpriseFactory(name="洛阳评估企业", region=luoyang)
    EvaluationFactory(enterprise=sme_enterprise)
    province_bank = InstitutionFactory(name="河南省农信社", region=province)
    ProductFactory(institution=province_bank, name="全省优质贷", min_grade="A")
    ProductFactory(institution=InstitutionFactory(name="洛阳银行", region=luoyang), name="洛阳信用贷")
    sme = SmeUserFactory(enterprise=sme_enterprise)
    page = browser.new_page(locale="zh-CN")
    _login(page, base, sme.username)
    page.goto(f"{base}/recommendations/")
    ranked = page.locator("#recommendations > li")
    expect(ranked).to_have_count(3)
    expect(ranked.first).to_contain_text("洛阳信用贷")  # the one it qualifies for ranks first
    expect(ranked.first.locator(".xyd-eligible")).to_have_count(1)
    expect(ranked.first.locator(".xyd-score")).to_have_text(re.compile(r"\d+"))
    full = page.locator("#recommendations")
    expect(full.locator(".xyd-met").first).to_be_visible()
    expect(full.locator(".xyd-missed")).to_have_count(2)  # 全省优质贷: grade B below A; 郑州首贷通: outside 洛阳
    expect(full.locator("li:has-text('全省优质贷') .xyd-missed")).to_contain_text("B")
    expect(full.locator("li:has-text('郑州首贷通') .xyd-missed")).to_have_count(1)
