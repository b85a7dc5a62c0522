"""An SME whose application was rejected, or whose demand came back to the pool, is offered alternatives: the
best-ranked products for its enterprise (lending.selectors_matching), on the application and demand pages."""

import datetime

import pytest
from django.utils import timezone

from lending.models import Application, DemandClaim, FinancingDemand
from tests.factories import ApplicationFactory, DemandClaimFactory, DemandFactory, OfficerFactory, ProductFactory
from tests.web.utils import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def others(branch):
    """Three more listed products that fit the factories' enterprise (Zhengzhou branches, credit loans)."""
    return [ProductFactory(institution=branch) for _ in range(3)]


def test_a_rejected_application_offers_other_products(sme, enterprise, branch, others):
    refused = ProductFactory(institution=branch)
    application = ApplicationFactory(enterprise=enterprise, product=refused, status=Application.Status.REJECTED)
    response = logged_in(sme).get(f"/applications/{application.pk}/")
    alternatives = response.context["alternatives"]
    assert len(alternatives) == 3
    assert refused.pk not in [a.product.pk for a in alternatives]
    assert all(a.eligible for a in alternatives)
    html = response.content.decode()
    assert 'id="alternatives"' in html and all(a.product.name in html for a in alternatives)
    assert refused.name not in html.split('id="alternatives"')[1]


def test_no_alternatives_while_the_application_is_open_or_for_the_bank(sme, officer, enterprise, branch, others):
    open_one = ApplicationFactory(enterprise=enterprise, product=ProductFactory(institution=branch))
    assert "alternatives" not in logged_in(sme).get(f"/applications/{open_one.pk}/").context
    rejected = ApplicationFactory(
        enterprise=enterprise, product=ProductFactory(institution=branch), status=Application.Status.REJECTED
    )
    response = logged_in(officer).get(f"/applications/{rejected.pk}/")
    assert response.status_code == 200 and "alternatives" not in response.context


def test_a_demand_back_in_the_pool_offers_products(sme, enterprise, branch, others):
    demand = DemandFactory(enterprise=enterprise, created_by=sme, status=FinancingDemand.Status.OPEN)
    fresh = logged_in(sme).get(f"/demands/{demand.pk}/")
    assert "alternatives" not in fresh.context  # never claimed: nothing to make up for
    DemandClaimFactory(
        demand=demand,
        institution=branch,
        officer=OfficerFactory(institution=branch),
        status=DemandClaim.Status.EXPIRED,
        deadline=timezone.now() - datetime.timedelta(days=1),
    )
    response = logged_in(sme).get(f"/demands/{demand.pk}/")
    assert len(response.context["alternatives"]) == 3
    assert 'id="alternatives"' in response.content.decode()
