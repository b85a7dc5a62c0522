"""The event page in a real browser: staff see the funnel drawn by the local ECharts next to its figures, and an
SME registers with one click. Debian's chromium through Playwright."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    BranchFactory,
    EnterpriseFactory,
    EventParticipantFactory,
    IntentFactory,
    MatchmakingEventFactory,
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


def test_staff_see_the_funnel_and_an_sme_registers(live_server, browser):
    staff = StaffFactory()
    event = MatchmakingEventFactory(region=staff.region, organizer=staff, title="金融会客厅第12期")
    bank = BranchFactory()
    EventParticipantFactory(event=event, enterprise=None, institution=bank)
    for _ in range(3):
        row = EventParticipantFactory(event=event, enterprise=EnterpriseFactory())
        IntentFactory(event=event, enterprise=row.enterprise, institution=bank)
    sme = SmeUserFactory(enterprise=EnterpriseFactory())
    base = live_server.url

    page = browser.new_page(locale="zh-CN")
    _login(page, base, staff.username)
    page.goto(f"{base}/events/{event.pk}/")
    expect(page.locator('[data-chart="funnel"][data-drawn="true"] canvas')).to_have_count(1)
    expect(page.locator("#funnel-table")).to_contain_text("600.00")  # 3 intents of 200万元
    page.close()

    page = browser.new_page(locale="zh-CN")
    _login(page, base, sme.username)
    page.goto(f"{base}/events/")
    page.get_by_role("link", name="金融会客厅第12期").click()
    page.wait_for_load_state("networkidle")
    page.locator(f"form[action='/events/{event.pk}/register/'] button").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#my-participation .xyd-status-registered")).to_have_count(1)
    assert event.starts_at > timezone.now() + datetime.timedelta(days=1)
