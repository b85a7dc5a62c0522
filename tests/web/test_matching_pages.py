"""Recommendation pages: an SME's ranked products, an officer's matches per product, the pool's "recommended to
you" flag, and the minimum grade on the product form."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from lending.models import DemandPush, FinancingDemand, OutreachLead, Product
from tests.factories import (
    BranchFactory,
    CityFactory,
    CountyFactory,
    DemandFactory,
    EnterpriseFactory,
    EvaluationFactory,
    ProductFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)
from tests.web.test_products import PRODUCT_FORM
from tests.web.utils import english_client, logged_in

pytestmark = pytest.mark.django_db

WAN = Decimal(10_000)


@pytest.fixture
def luoyang_branch(db):
    return BranchFactory(region=CityFactory(code="410300", name="洛阳市"))


def queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


# --- the SME's recommendations ---------------------------------------------------------------------------------


def test_sme_sees_products_ranked_with_the_reasons(sme_client, branch, luoyang_branch):
    cheap = ProductFactory(institution=branch, name="低息信用贷", rate_min=Decimal("3.100"))
    dear = ProductFactory(institution=branch, name="普通信用贷", rate_min=Decimal("5.000"), rate_max=Decimal("6"))
    elsewhere = ProductFactory(institution=luoyang_branch, name="洛阳贷", rate_min=Decimal("3.000"))
    ProductFactory(institution=branch, name="草稿贷", status=Product.Status.DRAFT)

    response = sme_client.get(reverse("lending:recommendations"))

    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert [r.product for r in rows] == [cheap, dear, elsewhere]
    assert [r.eligible for r in rows] == [True, True, False]
    html = response.content.decode()
    assert "Recommended products" in html and "You qualify" in html and "Not eligible" in html
    assert escape("Located in 金水区, which the product serves") in html
    assert escape("Located in 金水区, outside the product's regions (洛阳市)") in html
    assert reverse("lending:product_apply", args=[cheap.pk]) in html
    assert reverse("lending:product_apply", args=[elsewhere.pk]) not in html
    assert "How the score is made" in html and "Minimum annual rate 3.10%" in html


def test_recommendations_use_the_latest_open_demand(sme_client, enterprise, branch):
    ProductFactory(institution=branch, name="小额贷", amount_min=10 * WAN, amount_max=100 * WAN)
    DemandFactory(enterprise=enterprise, amount=300 * WAN, term_months=12)
    html = sme_client.get(reverse("lending:recommendations")).content.decode()
    assert "your latest open demand" in html
    assert escape("Amount 300 10k yuan is outside the product's 10–100 10k yuan") in html


def test_recommendations_need_an_enterprise_and_the_sme_role(officer_client):
    no_enterprise = logged_in(UserFactory())
    response = no_enterprise.get(reverse("lending:recommendations"))
    assert response.status_code == 302 and response.url == reverse("creditinfo:enterprise_register")
    assert officer_client.get(reverse("lending:recommendations")).status_code == 403
    assert english_client().get(reverse("lending:recommendations")).status_code == 302  # to the login page


def test_sme_navigation_links_to_the_recommendations(sme_client):
    html = sme_client.get(reverse("lending:demand_list")).content.decode()
    assert f'href="{reverse("lending:recommendations")}"' in html and "Recommended for you" in html


def test_recommendations_page_query_count_is_constant(sme_client, branch, luoyang_branch):
    def add(n):
        for i in range(n):
            product = ProductFactory(institution=[branch, luoyang_branch][i % 2])
            if i % 3 == 0:
                product.tags.set([TagFactory()])
            if i % 3 == 1:
                product.regions.set([CountyFactory()])

    url = reverse("lending:recommendations")
    add(3)
    sme_client.get(url)
    few, _response = queries(sme_client, url)
    add(27)
    many, response = queries(sme_client, url)
    assert len(response.context["page_obj"]) == 20 and few == many


# --- the officer's matches ------------------------------------------------------------------------------------


@pytest.fixture
def product(branch):
    return ProductFactory(institution=branch, name="科创信用贷", amount_min=10 * WAN, amount_max=500 * WAN,
                          min_grade="C")  # fmt: skip


def test_officer_sees_the_open_demands_ranked_for_a_product(officer_client, product, enterprise):
    EvaluationFactory(enterprise=enterprise, grade="A", score=900)
    best = DemandFactory(enterprise=enterprise, amount=255 * WAN, term_months=20)
    other_firm = EnterpriseFactory(name="郑州二号公司")
    EvaluationFactory(enterprise=other_firm, grade="B", score=700)
    second = DemandFactory(enterprise=other_firm, amount=255 * WAN, term_months=20)
    DemandFactory(enterprise=other_firm, amount=900 * WAN)  # too large for the product
    DemandPush.objects.create(demand=second, institution=product.institution, reason="published", rank=1, score=70)

    response = officer_client.get(reverse("lending:product_matches", args=[product.pk]))

    assert response.status_code == 200
    assert [r.demand for r in response.context["rows"]] == [best, second]
    html = response.content.decode()
    assert enterprise.name in html and "郑州二号公司" in html
    assert "Credit grade A meets the product&#x27;s minimum C" in html
    assert "Recommended to you" in html  # the push of the second demand
    assert reverse("lending:demand_claim", args=[best.pk]) in html
    assert ">900<" in html  # the advisory evaluation score beside the grade


def test_officer_sees_the_enterprises_ranked_for_a_product(officer_client, product, enterprise):
    EvaluationFactory(enterprise=enterprise, grade="B", score=700)
    DemandFactory(enterprise=enterprise)
    lead = EnterpriseFactory(name="首贷培育企业")
    EvaluationFactory(enterprise=lead, grade="A", score=880)
    OutreachLead.objects.create(enterprise=lead, region=lead.region, pushed_by=StaffFactory())

    response = officer_client.get(reverse("lending:product_matches", args=[product.pk]), {"tab": "enterprises"})

    assert [r.enterprise for r in response.context["rows"]] == [lead, enterprise]
    html = response.content.decode()
    assert "First-loan outreach lead" in html and "Open demand in your pool" in html


def test_matches_page_pages_through_the_results(officer_client, product):
    Product.objects.filter(pk=product.pk).update(min_grade="")  # the demands' enterprises are not evaluated
    for i in range(27):
        DemandFactory(amount=(100 + i) * WAN)
    url = reverse("lending:product_matches", args=[product.pk])
    first = officer_client.get(url)
    assert len(first.context["rows"]) == 25 and first.context["has_next"]
    second = officer_client.get(url, {"page": 2})
    assert len(second.context["rows"]) == 2 and not second.context["has_next"] and second.context["first_rank"] == 26
    assert officer_client.get(url, {"page": "junk"}).context["number"] == 1


def test_matches_of_another_institutions_product_are_404_and_smes_are_refused(officer_client, sme_client,
                                                                               luoyang_branch):  # fmt: skip
    other = ProductFactory(institution=luoyang_branch)
    assert officer_client.get(reverse("lending:product_matches", args=[other.pk])).status_code == 404
    assert sme_client.get(reverse("lending:product_matches", args=[other.pk])).status_code == 403


def test_officer_products_link_to_the_matches(officer_client, product):
    html = officer_client.get(reverse("lending:officer_products")).content.decode()
    assert reverse("lending:product_matches", args=[product.pk]) in html


@pytest.mark.parametrize("tab", ["demands", "enterprises"])
def test_matches_page_query_count_is_constant(officer_client, product, tab):
    """The demands are spread over three terms (three walks of lending.selectors_matching.rank_demands, each
    shorter than a page at 30 rows too): a walk holding more than a page is read a second time, one more query
    whatever the number of rows, and that is not what this test compares."""

    def add(n):
        for i in range(n):
            firm = EnterpriseFactory()
            firm.tags.set([TagFactory()])
            EvaluationFactory(enterprise=firm, grade="ABC"[i % 3])
            DemandFactory(enterprise=firm, amount=(50 + i) * WAN, term_months=[6, 12, 24][i % 3])

    url = reverse("lending:product_matches", args=[product.pk]) + f"?tab={tab}"
    add(3)
    officer_client.get(url)
    few, _response = queries(officer_client, url)
    add(27)
    many, response = queries(officer_client, url)
    assert len(response.context["rows"]) == 25 and few == many


# --- the pool's flag, and the product form ------------------------------------------------------------------------


def test_pool_flags_demands_recommended_to_the_officers_institution(officer_client, branch, luoyang_branch):
    pushed = DemandFactory()
    DemandFactory()
    DemandPush.objects.create(demand=pushed, institution=branch, reason="published", rank=1, score=80)
    other = DemandFactory()
    DemandPush.objects.create(demand=other, institution=luoyang_branch, reason="published", rank=1, score=80)
    response = officer_client.get(reverse("lending:demand_pool"))
    flags = {d.pk: d.pushed for d in response.context["page_obj"]}
    assert flags[pushed.pk] is True and flags[other.pk] is False
    assert response.content.decode().count("Recommended to you") == 1


def test_pool_query_count_stays_constant_with_pushes(officer_client, branch):
    def add(n):
        for _ in range(n):
            demand = DemandFactory()
            DemandPush.objects.create(demand=demand, institution=branch, reason="published", rank=1, score=60)

    url = reverse("lending:demand_pool")
    add(3)
    officer_client.get(url)
    few, _response = queries(officer_client, url)
    add(27)
    many, _response = queries(officer_client, url)
    assert few == many


def test_product_form_sets_the_minimum_grade(officer_client, branch):
    response = officer_client.post(
        reverse("lending:product_create"), {**PRODUCT_FORM, "institution": branch.pk, "min_grade": "B"}
    )
    assert response.status_code == 302
    product = Product.objects.get(name=PRODUCT_FORM["name"])
    assert product.min_grade == "B"
    edit_url = reverse("lending:product_edit", args=[product.pk])
    assert officer_client.get(edit_url).context["form"]["min_grade"].value() == "B"
    officer_client.post(edit_url, {**PRODUCT_FORM, "min_grade": ""})
    product.refresh_from_db()
    assert product.min_grade == ""


def test_an_enterprise_below_the_minimum_grade_is_told_why_in_the_supermarket(sme_client, enterprise, branch):
    EvaluationFactory(enterprise=enterprise, grade="C", score=560)
    ProductFactory(institution=branch, name="优质企业贷", min_grade="B")
    html = sme_client.get(reverse("lending:product_list")).content.decode()
    assert "Credit grade C is below the minimum B" in html


def test_a_demand_published_on_the_page_is_pushed_and_flagged(
    sme_client, branch, officer, django_capture_on_commit_callbacks
):
    """Publishing (lending.services.demands) pushes the demand once it commits (a task, inline without a broker);
    the officer of the pushed branch sees the flag."""
    ProductFactory(institution=branch)
    with django_capture_on_commit_callbacks(execute=True):
        data = {"amount": "300", "term_months": "12", "purpose": "备货", "guarantee_modes": ["04"]}
        sme_client.post(reverse("lending:demand_create"), data)
    demand = FinancingDemand.objects.get()
    assert DemandPush.objects.filter(demand=demand, institution=branch).exists()
    assert "Recommended to you" in logged_in(officer).get(reverse("lending:demand_pool")).content.decode()
