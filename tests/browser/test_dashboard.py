"""Issue 5's "done when" in a real browser: province staff open the dashboard and see real figures, drill into a
city and a county, download a table as CSV; an officer posts a repayment through the API, the statistics refresh,
and the reloaded dashboard shows the lower balance. Debian's chromium through Playwright; the world and its
hand-computed figures are tests/web/test_dashboard.py's."""

import csv
import io
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from lending.rollups import stats_rebuild, stats_refresh
from tests.web.test_dashboard import build_world

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "Passw0rd!xyz"  # the factories' password


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_staff_drill_down_export_and_a_repayment_lowers_the_balance(live_server, browser):
    world = build_world()
    stats_rebuild()
    base = live_server.url
    page = browser.new_page(locale="zh-CN", accept_downloads=True)
    _login(page, base, world.staff_province.username)

    # The province: a real figure (6,100,000 yuan = 610.00万元), and the charts drawn by the local ECharts.
    page.goto(f"{base}/dashboard/")
    expect(page.locator("#kpi-balance")).to_contain_text("610.00")
    expect(page.locator("#dashboard-breadcrumbs")).to_have_text(re.compile(r"^\s*河南省\s*$"))
    expect(page.locator('[data-chart="trend"][data-drawn="true"] canvas')).to_have_count(1)
    expect(page.locator('[data-chart="bar"][data-key="region"] canvas')).to_have_count(1)

    # Drill into 郑州 (3,100,000), then 金水区 (1,100,000).
    page.locator("#table-region").get_by_role("link", name="郑州市").click()
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(re.compile(r"/dashboard/\?region=410100&from=\d{4}-\d{2}&to=\d{4}-\d{2}$"))
    expect(page.locator("#kpi-balance")).to_contain_text("310.00")
    page.locator("#table-region").get_by_role("link", name="金水区").click()
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(re.compile(r"region=410105"))
    expect(page.locator("#dashboard-breadcrumbs")).to_contain_text("郑州市")
    expect(page.locator("#kpi-balance")).to_contain_text("110.00")

    # Download the county's bank table: 中原银行 600,000 (L1), 郑州银行 500,000 (L4), in yuan.
    with page.expect_download() as download_info:
        page.locator("#breakdown-bank a[href*='/dashboard/export/bank.csv']").click()
    download = download_info.value
    assert re.fullmatch(r"dashboard-410105-bank-\d{6}-\d{6}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert {row[0]: row[1] for row in rows[1:]} == {"中原银行": "600000.00", "郑州银行": "500000.00"}

    # The lending branch reports a repayment of 100,000 on L1 through the API, with an Idempotency-Key.
    token = Token.objects.create(user=world.officer_a_zz).key
    api = browser.new_context(base_url=base, extra_http_headers={"Authorization": f"Token {token}"})
    loan = world.loans["L1"]
    response = api.request.post(
        f"/api/v1/loans/{loan.pk}/repayments/",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        data={"paid_on": f"{timezone.localdate():%Y-%m-%d}", "principal_amount": "100000.00", "reference": "R-L1-2"},
    )
    assert response.status == 201, response.text()
    assert response.json()["loan"]["outstanding_balance"] == "500000.00"
    api.close()

    # The figures move with the statistics refresh (the Celery task after feedback, or beat), not on page load.
    result = stats_refresh()
    assert result.kind == "incremental"
    page.reload()
    expect(page.locator("#kpi-balance")).to_contain_text("100.00")  # 1,000,000 yuan
