"""The product supermarket, product pages, applying with explicit consent, and officers' product management."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from creditinfo.models import Authorization
from lending.models import Application, Product, ProductType
from tests.factories import BranchFactory, CityFactory, OfficerFactory, ProductFactory, TagFactory, UserFactory
from tests.web.utils import english_client, logged_in, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def luoyang_branch(db):
    return BranchFactory(region=CityFactory(code="410300", name="洛阳市"))


def names(response) -> list[str]:
    return [p.name for p in response.context["page_obj"]]


def test_anonymous_supermarket_lists_listed_products_only(branch):
    listed = ProductFactory(institution=branch, name="科创贷")
    ProductFactory(institution=branch, name="草稿贷", status=Product.Status.DRAFT)
    ProductFactory(institution=branch, name="下架贷", status=Product.Status.UNLISTED)

    response = english_client().get(reverse("lending:product_list"))

    assert response.status_code == 200
    assert names(response) == [listed.name]
    assert "You qualify" not in response.content.decode()


def test_sme_sees_eligible_products_first_with_reasons_for_the_others(sme_client, branch, luoyang_branch):
    eligible = ProductFactory(institution=branch, name="郑州科创贷")
    elsewhere = ProductFactory(institution=luoyang_branch, name="洛阳贷")  # newer, yet listed after
    tagged = ProductFactory(institution=branch, name="专精特新贷")
    tagged.tags.set([TagFactory()])

    response = sme_client.get(reverse("lending:product_list"))

    products = list(response.context["page_obj"])
    assert products[0].name == eligible.name and products[0].eligible is True and products[0].missed == []
    assert {p.name: p.eligible for p in products[1:]} == {elsewhere.name: False, tagged.name: False}
    assert {p.name: [c.key for c in p.missed] for p in products[1:]} == {
        elsewhere.name: ["region"],
        tagged.name: ["tags"],
    }
    html = response.content.decode()
    assert "You qualify" in html
    assert escape("Outside the product's regions") in html
    assert "Requires a qualification tag the enterprise does not have" in html


def test_supermarket_filters_and_sorts(branch):
    cheap = ProductFactory(institution=branch, name="低息贷", rate_min=Decimal("3.100"))
    dear = ProductFactory(institution=branch, name="高息贷", rate_min=Decimal("4.200"))
    bill = ProductFactory(institution=branch, name="票据贴现", product_type=ProductType.BILL_DISCOUNT)
    client = english_client()

    assert names(client.get(reverse("lending:product_list"), {"product_type": "bill_discount"})) == [bill.name]
    by_rate = names(client.get(reverse("lending:product_list"), {"ordering": "rate"}))
    assert by_rate.index(cheap.name) < by_rate.index(bill.name) < by_rate.index(dear.name)
    assert names(client.get(reverse("lending:product_list"), {"max_rate": "3.2"})) == [cheap.name]
    assert names(client.get(reverse("lending:product_list"), {"q": "高息"})) == [dear.name]
    # A value the filter form rejects shows the error and ignores that filter, not a server error.
    response = client.get(reverse("lending:product_list"), {"amount": "lots"})
    assert response.status_code == 200 and response.context["filter"].form.errors


def test_supermarket_pages_keep_filters(branch):
    for _i in range(25):
        ProductFactory(institution=branch)
    client = english_client()
    first = client.get(reverse("lending:product_list"), {"guarantee_mode": "04"})
    second = client.get(reverse("lending:product_list"), {"guarantee_mode": "04", "page": 2})
    assert len(first.context["page_obj"]) == 20 and len(second.context["page_obj"]) == 5
    assert "guarantee_mode=04&amp;page=2" in first.content.decode()


def test_product_detail_shows_criteria_met_and_missed(sme_client, luoyang_branch):
    product = ProductFactory(institution=luoyang_branch, size_classes="small,micro")
    response = sme_client.get(reverse("lending:product_detail", args=[product.pk]))

    assert response.status_code == 200
    criteria = {c.key: c.met for c in response.context["criteria"]}
    assert criteria == {"region": False, "industry": True, "size": True, "tags": True}
    html = response.content.decode()
    assert "xyd-missed" in html and "xyd-met" in html


def test_draft_product_is_404_for_the_public_but_visible_to_its_officer(officer, branch):
    draft = ProductFactory(institution=branch, status=Product.Status.DRAFT)
    url = reverse("lending:product_detail", args=[draft.pk])
    assert english_client().get(url).status_code == 404
    assert logged_in(officer).get(url).status_code == 200
    assert logged_in(OfficerFactory()).get(url).status_code == 404


def apply_data(**changes) -> dict:
    return {"amount": "50", "term_months": "12", "purpose": "购买原材料", **changes}


def test_apply_page_shows_the_consent_text_with_an_unchecked_box(sme_client, branch):
    product = ProductFactory(institution=branch)
    response = sme_client.get(reverse("lending:product_apply", args=[product.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert branch.name in response.context["consent_text"]
    assert "Loan review" in response.context["consent_text"]
    assert escape(response.context["consent_text"]) in html
    checkbox = html[html.index('name="consent"') - 200 : html.index('name="consent"') + 200]
    assert "checked" not in checkbox


def test_apply_without_consent_is_refused_and_creates_nothing(sme_client, branch):
    product = ProductFactory(institution=branch)
    response = sme_client.post(reverse("lending:product_apply", args=[product.pk]), apply_data())

    assert response.status_code == 400
    assert "authorize the institution" in response.context["form"].errors["consent"][0]
    assert not Application.objects.exists() and not Authorization.objects.exists()


def test_apply_with_consent_creates_the_application_and_the_authorization(sme, sme_client, branch):
    product = ProductFactory(institution=branch)
    response = sme_client.post(reverse("lending:product_apply", args=[product.pk]), apply_data(consent="on"))

    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("lending:application_detail", args=[application.pk])
    assert application.amount == Decimal("500000.00") and application.product == product
    authorization = application.authorization
    assert authorization.institution == branch and authorization.purpose == "loan_review"
    assert authorization.is_live() and authorization.granted_by == sme
    assert (authorization.valid_until - authorization.valid_from).days == 90


def test_apply_outside_the_product_range_is_a_field_error(sme_client, branch):
    product = ProductFactory(institution=branch)  # 10万 to 500万
    response = sme_client.post(
        reverse("lending:product_apply", args=[product.pk]), apply_data(amount="900", consent="on")
    )
    assert response.status_code == 400
    assert "product's range" in response.context["form"].errors["amount"][0]
    assert not Application.objects.exists() and not Authorization.objects.exists()


def test_apply_to_a_product_the_enterprise_is_not_eligible_for_is_refused(sme_client, luoyang_branch):
    product = ProductFactory(institution=luoyang_branch)
    response = sme_client.post(
        reverse("lending:product_apply", args=[product.pk]), apply_data(consent="on"), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("lending:product_detail", args=[product.pk])
    assert any("not eligible" in m for m in messages_of(response))
    assert not Application.objects.exists() and not Authorization.objects.exists()


def test_apply_needs_an_sme_with_an_enterprise(officer_client, branch, db):
    product = ProductFactory(institution=branch)
    url = reverse("lending:product_apply", args=[product.pk])
    assert officer_client.get(url).status_code == 403
    assert english_client().get(url).status_code == 302  # to the login page
    response = logged_in(UserFactory()).get(url)
    assert response.status_code == 302 and response.url == reverse("creditinfo:enterprise_register")


PRODUCT_FORM = {
    "name": "中原科创贷",
    "product_type": "working_capital",
    "guarantee_mode": "04",
    "description": "",
    "amount_min": "10",
    "amount_max": "300",
    "term_min_months": "3",
    "term_max_months": "36",
    "rate_min": "3.45",
    "rate_max": "4.80",
    "size_classes": ["small", "micro"],
    "status": "listed",
}


def test_officer_creates_edits_unlists_and_relists_a_product(officer, officer_client, branch):
    assert officer_client.get(reverse("lending:product_create")).status_code == 200
    response = officer_client.post(reverse("lending:product_create"), {**PRODUCT_FORM, "institution": branch.pk})
    product = Product.objects.get(name="中原科创贷")
    assert response.status_code == 302
    assert product.amount_max == Decimal("3000000.00") and product.size_classes == "small,micro"
    assert product.created_by == officer and product.status == Product.Status.LISTED

    edit_url = reverse("lending:product_edit", args=[product.pk])
    assert officer_client.get(edit_url).context["form"]["amount_max"].value() == Decimal("300")
    data = {**PRODUCT_FORM, "name": "中原科创贷二期", "rate_max": "5.20", "size_classes": []}
    assert officer_client.post(edit_url, data).status_code == 302
    product.refresh_from_db()
    assert product.name == "中原科创贷二期" and product.rate_max == Decimal("5.200") and product.size_classes == ""

    officer_client.post(reverse("lending:product_unlist", args=[product.pk]))
    product.refresh_from_db()
    assert product.status == Product.Status.UNLISTED
    officer_client.post(reverse("lending:product_relist", args=[product.pk]))
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED
    assert product.name in officer_client.get(reverse("lending:officer_products")).content.decode()


def test_product_ranges_are_checked_by_the_service(officer_client, branch):
    response = officer_client.post(
        reverse("lending:product_create"), {**PRODUCT_FORM, "institution": branch.pk, "rate_max": "2.0"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["rate_max"]
    assert not Product.objects.exists()


def test_officer_cannot_touch_another_institutions_product(officer_client, luoyang_branch, sme_client):
    other = ProductFactory(institution=luoyang_branch)
    assert officer_client.get(reverse("lending:product_edit", args=[other.pk])).status_code == 404
    assert officer_client.post(reverse("lending:product_unlist", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.status == Product.Status.LISTED
    assert sme_client.get(reverse("lending:officer_products")).status_code == 403
    assert sme_client.get(reverse("lending:product_create")).status_code == 403
    assert officer_client.get(reverse("lending:product_unlist", args=[other.pk])).status_code in (403, 404, 405)
