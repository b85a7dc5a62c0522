"""The first journey in a real browser: an SME signs up, registers, applies with consent; an officer
accepts, approves and disburses; the SME sees the loan. Debian's chromium through Playwright."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from creditinfo.uscc import uscc_build
from lending.models import Application, Loan
from tests.factories import OfficerFactory, ProductFactory
from xinyidai.models import Industry, Institution, Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Passw0rd!xyz"


@pytest.fixture
def bank():
    call_command("load_reference_data", verbosity=0)
    province = Region.objects.get(code="410000")
    head = Institution.objects.create(code="ZYB", name="中原银行", region=province)
    branch = Institution.objects.create(
        code="ZYB-ZZ", name="中原银行郑州分行", parent=head, region=Region.objects.get(code="410100")
    )
    officer = OfficerFactory(username="officer_li", full_name="李经理", institution=branch)
    product = ProductFactory(institution=branch, name="科创信用贷", created_by=officer)
    return officer, product


def _submit(page, form_selector: str) -> None:
    page.locator(f"{form_selector} button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_sme_applies_and_officer_disburses(live_server, browser, bank):
    officer, product = bank
    base = live_server.url
    uscc = uscc_build(division="410105", serial=424242)
    sme = browser.new_page(locale="zh-CN")

    # Sign up, then register the enterprise; the region is pre-selected from the code by htmx.
    sme.goto(f"{base}/accounts/signup/")
    sme.fill("input[name=username]", "xinghe_owner")
    sme.fill("input[name=full_name]", "王星河")
    sme.fill("input[name=phone]", "13800138000")
    sme.fill("input[name=password1]", PASSWORD)
    sme.fill("input[name=password2]", PASSWORD)
    _submit(sme, "form[method=post]:has(input[name=password2])")
    expect(sme).to_have_url(re.compile(r"/enterprise/register/"))

    sme.fill("input[name=uscc]", uscc)
    sme.press("input[name=uscc]", "Tab")  # the change event asks the server for the region
    county = Region.objects.get(code="410105")
    expect(sme.locator("select[name=region]")).to_have_value(str(county.pk))
    sme.fill("input[name=name]", "郑州星河软件有限公司")
    sme.select_option("select[name=industry]", str(Industry.objects.get(code="65").pk))
    sme.fill("input[name=employees]", "30")
    sme.fill("input[name=revenue]", "800")
    sme.fill("input[name=assets]", "500")
    _submit(sme, "form[method=post]:has(input[name=uscc])")
    expect(sme).to_have_url(re.compile(r"/enterprise/$"))
    expect(sme.locator("body")).to_contain_text(uscc)

    # The supermarket shows the product; apply needs the consent box.
    sme.goto(f"{base}/products/")
    sme.get_by_role("link", name="科创信用贷").first.click()
    sme.locator(f"a[href$='/products/{product.pk}/apply/']").first.click()
    sme.fill("input[name=amount]", "50")
    sme.fill("input[name=term_months]", "12")
    sme.fill("input[name=purpose]", "研发投入")
    _submit(sme, "form[method=post]:has(input[name=consent])")
    assert not Application.objects.exists()  # no consent, no application
    sme.check("input[name=consent]")
    _submit(sme, "form[method=post]:has(input[name=consent])")
    expect(sme).to_have_url(re.compile(r"/applications/\d+/$"))
    application = Application.objects.get()
    assert application.amount == Decimal("500000") and application.authorization.institution == product.institution

    # The officer accepts, approves and disburses from the application page.
    bank_page = browser.new_page(locale="zh-CN")
    _login(bank_page, base, officer.username)
    bank_page.goto(f"{base}/inbox/")
    bank_page.locator(f"a[href$='/applications/{application.pk}/']").first.click()
    _submit(bank_page, "form[action$='/accept/']")
    bank_page.fill("input[name='approve-amount']", "40")
    bank_page.fill("input[name='approve-annual_rate']", "3.65")
    bank_page.fill("input[name='approve-term_months']", "12")
    _submit(bank_page, "form[action$='/approve/']")
    bank_page.fill("input[name='disburse-contract_number']", "ZY-2026-0001")
    bank_page.check("input[name='disburse-first_loan_attested']")
    _submit(bank_page, "form[action$='/disburse/']")

    loan = Loan.objects.get()
    assert loan.principal == Decimal("400000") and loan.first_loan_attested and loan.is_credit_loan
    # The SME sees the result and the timeline.
    sme.goto(f"{base}/applications/{application.pk}/")
    expect(sme.locator("#application-status")).to_contain_text("已放款")
    sme.goto(f"{base}/loans/")
    expect(sme.locator("body")).to_contain_text("ZY-2026-0001")
