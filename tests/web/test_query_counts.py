"""Every list page runs the same number of queries for 3 rows as for 30.

If one of these fails, a template or view started querying per row: pre-join it in the selector
(select_related / prefetch) rather than raising the numbers, and say in the commit why any new
per-page query is needed.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ApplicationFactory,
    AuthorizationFactory,
    BranchFactory,
    CityFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    LoanFactory,
    ProductFactory,
    TagFactory,
    UserFactory,
)
from tests.web.utils import english_client
from xinyidai.models import Industry

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    assert len(response.context["page_obj"]) > 0, f"{url} rendered no rows"
    return len(ctx.captured_queries)


def assert_constant(client, url: str, add_rows) -> None:
    """Render with 3 rows, then with 30, and compare the query counts."""
    add_rows(3)
    client.get(url)  # warm up per-process caches (content types, the size standard) out of the count
    with_3 = queries_for(client, url)
    add_rows(27)
    with_30 = queries_for(client, url)
    assert with_3 == with_30, f"{url}: {with_3} queries for 3 rows but {with_30} for 30 (a query per row?)"


def varied_product(index: int, **kwargs):
    """Products from different institutions with eligibility rules, so per-row lookups would show."""
    product = ProductFactory(**kwargs)
    if index % 3 == 0:
        product.tags.set([TagFactory()])
    if index % 3 == 1:
        product.regions.set([CityFactory(code="410300", name="洛阳市")])
    if index % 2 == 0:
        product.industries.set(
            [Industry.objects.get_or_create(code="C", defaults={"name": "制造业", "level": "section"})[0]]
        )
    return product


def add_products(n: int, **kwargs) -> None:
    for i in range(n):
        varied_product(i, **kwargs)


def test_product_list_anonymous():
    assert_constant(english_client(), reverse("lending:product_list"), add_products)


def test_product_list_for_an_sme_with_eligibility(sme_client):
    assert_constant(sme_client, reverse("lending:product_list"), add_products)


def test_product_list_filtered_and_sorted(sme_client):
    url = reverse("lending:product_list") + "?ordering=rate&guarantee_mode=04&region=410100"
    assert_constant(sme_client, url, add_products)


def test_officer_products(officer, officer_client):
    sub_branches = [BranchFactory(parent=officer.institution) for _i in range(2)]

    def add(n):
        for i in range(n):
            varied_product(i, institution=sub_branches[i % 2] if i % 3 else officer.institution)

    assert_constant(officer_client, reverse("lending:officer_products"), add)


def test_demand_list(sme_client, enterprise):
    assert_constant(
        sme_client, reverse("lending:demand_list"), lambda n: DemandFactory.create_batch(n, enterprise=enterprise)
    )


def test_demand_list_for_staff(staff_client):
    assert_constant(staff_client, reverse("lending:demand_list"), lambda n: DemandFactory.create_batch(n))


def test_demand_pool_with_active_claims(officer, officer_client):
    def add(n):
        DemandFactory.create_batch(n)  # each from its own enterprise
        for i in range(n):
            deadline = timezone.now() + datetime.timedelta(days=-1 if i % 4 == 0 else 3)
            DemandClaimFactory(institution=officer.institution, officer=officer, deadline=deadline)

    assert_constant(officer_client, reverse("lending:demand_pool"), add)


def test_application_list_for_an_sme(sme_client, enterprise):
    def add(n):
        for i in range(n):
            product = ProductFactory() if i % 2 else None
            if product is None:
                ApplicationFactory(enterprise=enterprise)
            else:
                ApplicationFactory(enterprise=enterprise, product=product)

    assert_constant(sme_client, reverse("lending:application_list"), add)


def test_application_list_for_staff(staff_client):
    assert_constant(
        staff_client,
        reverse("lending:application_list") + "?status=submitted",
        lambda n: ApplicationFactory.create_batch(n),
    )


def test_officer_inbox(officer, officer_client):
    def add(n):
        for i in range(n):
            respond_by = timezone.now() + datetime.timedelta(days=-1 if i % 3 == 0 else 5)
            ApplicationFactory(
                product=ProductFactory(institution=officer.institution), respond_by=respond_by, handled_by=officer
            )

    assert_constant(officer_client, reverse("lending:officer_inbox"), add)


def test_loan_list_for_an_officer(officer, officer_client):
    def add(n):
        for _i in range(n):
            LoanFactory(application__product=ProductFactory(institution=officer.institution))

    assert_constant(officer_client, reverse("lending:loan_list"), add)


def test_loan_list_for_an_sme(sme_client, enterprise):
    assert_constant(
        sme_client,
        reverse("lending:loan_list"),
        lambda n: [
            LoanFactory(
                application__enterprise=enterprise, principal=Decimal("500000"), outstanding_balance=Decimal("1")
            )
            for _i in range(n)
        ],
    )


def test_authorization_list(sme, sme_client, enterprise):
    def add(n):
        for i in range(n):
            authorization = AuthorizationFactory(enterprise=enterprise, granted_by=sme)
            if i % 2:
                authorization.revoked_at = timezone.now()
                authorization.save()

    assert_constant(sme_client, reverse("creditinfo:authorization_list"), add)


def test_authorization_list_for_an_officer(officer, officer_client):
    granted_by = UserFactory()
    assert_constant(
        officer_client,
        reverse("creditinfo:authorization_list"),
        lambda n: AuthorizationFactory.create_batch(
            n, institution=officer.institution, enterprise=EnterpriseFactory(), granted_by=granted_by
        ),
    )


def test_claims_page(officer_client, officer):
    def add(n):
        for _ in range(n):
            DemandClaimFactory(institution=officer.institution, officer=officer)

    assert_constant(officer_client, reverse("lending:claim_list"), add)
