"""The whole journey through the services: register, publish, claim, apply with consent, decide, disburse."""

from decimal import Decimal

import pytest

from creditinfo.services.enterprises import enterprise_register
from creditinfo.uscc import uscc_build
from lending.models import Application, FinancingDemand
from lending.services.applications import (
    application_accept,
    application_approve,
    application_disburse,
    application_submit,
)
from lending.services.demands import demand_claim, demand_publish
from tests.factories import OfficerFactory, ProductFactory, UserFactory
from xinyidai.models import Industry, Institution, Region

pytestmark = pytest.mark.django_db


def test_product_journey_ends_in_a_credit_loan(reference_data):
    county = Region.objects.get(code="410105")
    head = Institution.objects.create(code="H1", name="中原银行", region=Region.objects.get(code="410000"))
    branch = Institution.objects.create(code="H1-01", name="中原银行郑州分行", parent=head, region=county.parent)
    officer = OfficerFactory(institution=branch)
    sme = UserFactory()
    enterprise = enterprise_register(
        user=sme,
        uscc=uscc_build(division="410105", serial=1),
        name="郑州星河软件有限公司",
        region=county,
        industry=Industry.objects.get(code="65"),
        employees=30,
        revenue=Decimal("8000000"),
        assets=Decimal("5000000"),
    )
    assert enterprise.size_class == "small"
    product = ProductFactory(institution=branch)

    application = application_submit(
        user=sme, product_id=product.pk, amount=Decimal("500000"), term_months=12, purpose="研发投入", consent=True
    )
    application_accept(application_id=application.pk, officer=officer)
    application_approve(
        application_id=application.pk,
        officer=officer,
        amount=Decimal("400000"),
        annual_rate=Decimal("3.65"),
        term_months=12,
    )
    loan = application_disburse(
        application_id=application.pk, officer=officer, contract_number="ZY-2026-001", first_loan_attested=True
    )

    application.refresh_from_db()
    assert application.status == Application.Status.DISBURSED
    assert [e.kind for e in application.events.all()] == ["submitted", "accepted", "approved", "disbursed"]
    assert loan.principal == Decimal("400000") and loan.outstanding_balance == Decimal("400000")
    assert loan.is_credit_loan and loan.first_loan_attested
    assert application.authorization.institution == branch and application.authorization.is_live()


def test_demand_claim_then_application(reference_data):
    county = Region.objects.get(code="410105")
    branch = Institution.objects.create(code="B1", name="郑州银行", region=county.parent)
    officer = OfficerFactory(institution=branch)
    sme = UserFactory()
    enterprise_register(
        user=sme,
        uscc=uscc_build(division="410105", serial=2),
        name="郑州鼎丰商贸有限公司",
        region=county,
        industry=Industry.objects.get(code="52"),
        employees=12,
        revenue=Decimal("3000000"),
        assets=Decimal("1000000"),
    )
    demand = demand_publish(user=sme, amount=Decimal("300000"), term_months=6, purpose="备货", guarantee_modes=["04"])
    claim = demand_claim(demand_id=demand.pk, officer=officer)
    demand.refresh_from_db()
    assert demand.status == FinancingDemand.Status.CLAIMED
    application = application_submit(
        user=sme, claim_id=claim.pk, amount=Decimal("300000"), term_months=6, purpose="备货", consent=True
    )
    assert application.institution == branch and application.product is None
    demand.refresh_from_db()
    assert demand.status == FinancingDemand.Status.APPLIED
