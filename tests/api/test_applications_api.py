"""The SME financing journey over the API, who may see and do what, and bad input that must change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from creditinfo.models import Authorization, Enterprise
from creditinfo.uscc import uscc_build
from lending.models import Application, ApplicationEvent, CreditDecision, DemandClaim, FinancingDemand, Loan, Product
from tests.api.utils import assert_error, token_client
from tests.factories import (
    ApplicationFactory,
    AuthorizationFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    LoanFactory,
    ProductFactory,
    SmeUserFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT_BODY = {
    "name": "中原科创信用贷",
    "product_type": "working_capital",
    "guarantee_mode": "04",
    "description": "面向科技型中小企业的纯信用贷款",
    "amount_min": "100000.00",
    "amount_max": "3000000.00",
    "term_min_months": 3,
    "term_max_months": 36,
    "rate_min": "3.450",
    "rate_max": "5.500",
    "size_classes": ["small", "micro"],
}


def enterprise_body(serial: int = 1, **overrides) -> dict:
    return {
        "uscc": uscc_build(division="410105", serial=serial),
        "name": "郑州星河软件有限公司",
        "legal_representative": "王芳",
        "region": "410105",
        "industry": "65",
        "employees": 30,
        "revenue": "8000000.00",
        "assets": "5000000.00",
        "tags": ["zjtx"],
        **overrides,
    }


def test_the_whole_journey_over_the_api(parties):
    sme, officer = token_client(parties.sme), token_client(parties.officer_a)

    # The SME has no enterprise yet, then registers it.
    assert_error(sme.get("/api/v1/enterprise/"), 404, "not_found")
    response = sme.post("/api/v1/enterprise/", enterprise_body(), format="json")
    assert response.status_code == 201, response.json()
    enterprise = response.json()
    assert enterprise["size_class"] == "small" and enterprise["region"] == {"code": "410105", "name": "金水区"}
    assert enterprise["revenue"] == "8000000.00" and [t["code"] for t in enterprise["tags"]] == ["zjtx"]
    assert sme.get("/api/v1/enterprise/").json()["id"] == enterprise["id"]
    response = sme.patch("/api/v1/enterprise/", {"employees": 45, "contact_phone": "0371-12345678"}, format="json")
    assert response.status_code == 200 and response.json()["employees"] == 45

    # Bank A publishes a product; bank B has one for Luoyang only.
    response = officer.post("/api/v1/products/", PRODUCT_BODY, format="json")
    assert response.status_code == 201, response.json()
    product = response.json()
    assert product["institution"]["code"] == "ZYB-ZZ" and product["status"] == "listed"
    luoyang_only = ProductFactory(institution=parties.bank_b)
    luoyang_only.regions.set([parties.luoyang])

    # The supermarket shows eligible products first, with reasons.
    page = sme.get("/api/v1/products/").json()
    assert page["count"] == 2
    first, second = page["results"]
    assert (first["id"], first["eligible"]) == (product["id"], True)
    assert {r["key"]: r["met"] for r in first["reasons"]} == {
        "region": True,
        "industry": True,
        "size": True,
        "tags": True,
    }
    assert (second["id"], second["eligible"]) == (luoyang_only.pk, False)
    assert {r["key"] for r in second["reasons"] if not r["met"]} == {"region"}
    detail = sme.get(f"/api/v1/products/{product['id']}/").json()
    assert detail["eligible"] is True and len(detail["reasons"]) == 4

    # No consent, no application.
    application_body = {"product": product["id"], "amount": "500000", "term_months": 12, "purpose": "研发投入"}
    body = assert_error(
        sme.post("/api/v1/applications/", {**application_body, "consent": False}, format="json"),
        400,
        "consent_required",
    )
    assert "consent" in body["detail"]
    assert not Application.objects.exists() and not Authorization.objects.exists()

    response = sme.post("/api/v1/applications/", {**application_body, "consent": True}, format="json")
    assert response.status_code == 201, response.json()
    application = response.json()
    assert application["status"] == "submitted" and application["amount"] == "500000.00"
    assert [e["kind"] for e in application["events"]] == ["submitted"]
    assert application["decision"] is None and application["loan"] is None
    url = f"/api/v1/applications/{application['id']}"

    # The SME's own authorization list shows the consent it just gave.
    [authorization] = sme.get("/api/v1/authorizations/").json()["results"]
    assert authorization["institution"]["code"] == "ZYB-ZZ" and authorization["is_live"] is True

    # The officer sees it, accepts, approves, and a second approval is refused.
    assert [a["id"] for a in officer.get("/api/v1/applications/").json()["results"]] == [application["id"]]
    assert officer.get(f"/api/v1/enterprises/{enterprise['id']}/").status_code == 200
    assert officer.post(f"{url}/accept/").json()["status"] == "accepted"
    approval = {"amount": "400000", "annual_rate": "3.65", "term_months": 12, "note": "授信通过"}
    response = officer.post(f"{url}/approve/", approval, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["decision"]["amount"] == "400000.00"
    assert response.json()["decision"]["annual_rate"] == "3.650"
    body = assert_error(officer.post(f"{url}/approve/", approval, format="json"), 409, "invalid_transition")
    assert body["detail"]["status"] == "approved"
    assert CreditDecision.objects.count() == 1

    # Disbursement makes the loan.
    disbursement = {
        "contract_number": "ZY-2026-001",
        "disbursed_on": timezone.localdate().isoformat(),
        "first_loan_attested": True,
    }
    response = officer.post(f"{url}/disburse/", disbursement, format="json")
    assert response.status_code == 200, response.json()
    disbursed = response.json()
    assert disbursed["status"] == "disbursed" and disbursed["loan"] is not None
    assert [e["kind"] for e in disbursed["events"]] == ["submitted", "accepted", "approved", "disbursed"]
    assert_error(officer.post(f"{url}/disburse/", disbursement, format="json"), 409, "invalid_transition")

    # The SME sees its loan.
    [loan] = sme.get("/api/v1/loans/").json()["results"]
    assert loan["id"] == disbursed["loan"] and loan["principal"] == "400000.00"
    assert loan["outstanding_balance"] == "400000.00" and loan["guarantee_mode"] == "04"
    assert loan["first_loan_attested"] is True and loan["application"] == application["id"]
    assert sme.get(f"/api/v1/loans/{loan['id']}/").json()["contract_number"] == "ZY-2026-001"
    assert sme.get(f"{url}/").json()["loan"] == loan["id"]


def test_demand_claim_then_application_over_the_api(parties):
    sme, officer = token_client(parties.sme), token_client(parties.officer_a)
    assert sme.post("/api/v1/enterprise/", enterprise_body(), format="json").status_code == 201

    demand_body = {"amount": "300000", "term_months": 6, "purpose": "备货", "guarantee_modes": ["04", "03"]}
    response = sme.post("/api/v1/demands/", demand_body, format="json")
    assert response.status_code == 201, response.json()
    demand = response.json()
    assert demand["status"] == "open" and demand["guarantee_modes"] == ["03", "04"]

    pool = officer.get("/api/v1/demands/pool/", {"guarantee_mode": "04"}).json()
    assert [d["id"] for d in pool["results"]] == [demand["id"]]
    response = officer.post(f"/api/v1/demands/{demand['id']}/claim/")
    assert response.status_code == 201, response.json()
    claim = response.json()
    assert claim["status"] == "active" and claim["demand"]["status"] == "claimed"
    assert officer.get("/api/v1/demands/pool/").json()["results"] == []
    assert_error(token_client(parties.officer_b).post(f"/api/v1/demands/{demand['id']}/claim/"), 404)

    [seen] = sme.get("/api/v1/claims/").json()["results"]
    assert seen["id"] == claim["id"] and seen["institution"]["code"] == "ZYB-ZZ"
    response = sme.post(
        "/api/v1/applications/",
        {"claim": claim["id"], "amount": "300000", "term_months": 6, "purpose": "备货", "consent": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["demand_claim"] == claim["id"] and response.json()["product"] is None
    assert sme.get(f"/api/v1/demands/{demand['id']}/").json()["status"] == "applied"


def test_claim_release_and_demand_close(parties):
    sme_user = SmeUserFactory(enterprise=EnterpriseFactory(region=parties.jinshui))
    demand = DemandFactory(enterprise=sme_user.membership.enterprise)
    officer, sme = token_client(parties.officer_a), token_client(sme_user)
    claim_id = officer.post(f"/api/v1/demands/{demand.pk}/claim/").json()["id"]
    assert [c["id"] for c in officer.get("/api/v1/claims/").json()["results"]] == [claim_id]

    assert_error(sme.post(f"/api/v1/claims/{claim_id}/release/"), 403, "forbidden")
    response = officer.post(f"/api/v1/claims/{claim_id}/release/")
    assert response.status_code == 200 and response.json()["status"] == "released"
    assert_error(officer.post(f"/api/v1/claims/{claim_id}/release/"), 409, "invalid_transition")
    assert len(officer.get("/api/v1/demands/pool/").json()["results"]) == 1

    assert_error(officer.post(f"/api/v1/demands/{demand.pk}/close/"), 403, "forbidden")
    response = sme.post(f"/api/v1/demands/{demand.pk}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert_error(sme.post(f"/api/v1/demands/{demand.pk}/close/"), 409, "invalid_transition")


def test_withdraw_reject_and_decline(parties):
    sme_user = SmeUserFactory(enterprise=EnterpriseFactory(region=parties.jinshui))
    enterprise = sme_user.membership.enterprise
    sme, officer = token_client(sme_user), token_client(parties.officer_a)
    product = ProductFactory(institution=parties.bank_a_zz)
    first, second, third = (
        ApplicationFactory(enterprise=enterprise, product=product, submitted_by=sme_user) for _ in range(3)
    )

    assert (
        sme.post(f"/api/v1/applications/{first.pk}/withdraw/", {"note": "不需要了"}, format="json").json()["status"]
        == "withdrawn"
    )
    assert_error(officer.post(f"/api/v1/applications/{first.pk}/accept/"), 409, "invalid_transition")

    officer.post(f"/api/v1/applications/{second.pk}/accept/")
    body = assert_error(
        officer.post(f"/api/v1/applications/{second.pk}/reject/", {"reason_code": "bogus"}, format="json"), 400
    )
    assert "reason_code" in body["detail"]
    response = officer.post(f"/api/v1/applications/{second.pk}/reject/", {"reason_code": "policy"}, format="json")
    assert response.json()["status"] == "rejected" and response.json()["decision"]["reason_code"] == "policy"

    officer.post(f"/api/v1/applications/{third.pk}/accept/")
    officer.post(
        f"/api/v1/applications/{third.pk}/approve/",
        {"amount": "500000", "annual_rate": "4.2", "term_months": 12, "guarantee_mode": "03"},
        format="json",
    )
    assert_error(officer.post(f"/api/v1/applications/{third.pk}/decline/"), 403, "forbidden")
    assert sme.post(f"/api/v1/applications/{third.pk}/decline/").json()["status"] == "declined"


def test_authorization_revoke(parties):
    sme_user = SmeUserFactory(enterprise=EnterpriseFactory(region=parties.jinshui))
    authorization = AuthorizationFactory(enterprise=sme_user.membership.enterprise, institution=parties.bank_a_zz)
    url = f"/api/v1/authorizations/{authorization.pk}/revoke/"
    assert_error(token_client(parties.officer_a).post(url), 403, "forbidden")
    assert_error(token_client(parties.officer_b).post(url), 404)
    assert_error(token_client(parties.other_sme).post(url), 404)
    response = token_client(sme_user).post(url)
    assert response.status_code == 200
    assert response.json()["is_live"] is False and response.json()["revoked_at"] is not None


def test_officer_manages_products(parties):
    officer = token_client(parties.officer_a)
    product = officer.post("/api/v1/products/", PRODUCT_BODY, format="json").json()
    url = f"/api/v1/products/{product['id']}"

    response = officer.patch(f"{url}/", {"rate_max": "6.000", "regions": ["410100"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["rate_max"] == "6.000" and response.json()["regions"] == [
        {"code": "410100", "name": "郑州市"}
    ]
    body = assert_error(officer.patch(f"{url}/", {"amount_max": "1.00"}, format="json"), 400, "invalid")
    assert "amount_max" in body["detail"]

    assert officer.post(f"{url}/unlist/").json()["status"] == "unlisted"
    assert token_client(parties.other_sme).get("/api/v1/products/").json()["count"] == 0
    assert_error(token_client(parties.other_sme).get(f"{url}/"), 404)
    assert_error(token_client(parties.officer_b).post(f"{url}/relist/"), 404)
    mine = officer.get("/api/v1/institution-products/", {"status": "unlisted"}).json()
    assert [p["id"] for p in mine["results"]] == [product["id"]]
    assert officer.post(f"{url}/relist/").json()["status"] == "listed"

    # Listed products are public: others see them but may not change them.
    assert_error(token_client(parties.officer_b).post(f"{url}/unlist/"), 403, "forbidden")
    assert_error(token_client(parties.other_sme).patch(f"{url}/", {"name": "x"}, format="json"), 403, "forbidden")
    assert_error(token_client(parties.other_sme).post("/api/v1/products/", PRODUCT_BODY, format="json"), 403)
    assert_error(token_client(parties.other_sme).get("/api/v1/institution-products/"), 403, "forbidden")
    assert Product.objects.get(pk=product["id"]).name == PRODUCT_BODY["name"]


# --- who sees what ----------------------------------------------------------------------------------------


@pytest.fixture
def owned(parties):
    """An enterprise in 金水区 with a demand claimed by bank A, an application to bank A and a loan from it."""
    owner = SmeUserFactory(enterprise=EnterpriseFactory(region=parties.jinshui))
    enterprise = owner.membership.enterprise
    product = ProductFactory(institution=parties.bank_a_zz)
    claim = DemandClaimFactory(demand__enterprise=enterprise, institution=parties.bank_a_zz, officer=parties.officer_a)
    application = ApplicationFactory(enterprise=enterprise, product=product, submitted_by=owner)
    loan = LoanFactory(application__enterprise=enterprise, application__product=product)
    return {
        "owner": owner,
        "enterprise": f"/api/v1/enterprises/{enterprise.pk}/",
        "demand": f"/api/v1/demands/{claim.demand_id}/",
        "application": f"/api/v1/applications/{application.pk}/",
        "loan": f"/api/v1/loans/{loan.pk}/",
    }


OBJECTS = ["enterprise", "demand", "application", "loan"]


@pytest.mark.parametrize("kind", OBJECTS)
@pytest.mark.parametrize("viewer", ["other_sme", "officer_b", "staff_ly"])
def test_other_parties_get_404(parties, owned, viewer, kind):
    """GIVEN an enterprise's objects with bank A; WHEN an SME of another enterprise, an officer of another bank
    in the same city, or staff of another city asks for one; THEN 404, the same as for a missing id."""
    assert_error(token_client(getattr(parties, viewer)).get(owned[kind]), 404, "not_found")


@pytest.mark.parametrize("kind", OBJECTS)
@pytest.mark.parametrize("viewer", ["owner", "officer_a", "staff_zz"])
def test_the_parties_concerned_see_it(parties, owned, viewer, kind):
    user = owned["owner"] if viewer == "owner" else getattr(parties, viewer)
    assert token_client(user).get(owned[kind]).status_code == 200


@pytest.mark.parametrize("viewer", ["other_sme", "officer_b", "staff_ly"])
def test_other_parties_lists_do_not_show_it(parties, owned, viewer):
    client = token_client(getattr(parties, viewer))
    for url in ("/api/v1/demands/", "/api/v1/applications/", "/api/v1/loans/", "/api/v1/claims/"):
        assert client.get(url).json()["results"] == [], url


@pytest.mark.parametrize(
    "viewer, action, status",
    [
        ("officer_b", "accept", 404),
        ("staff_ly", "accept", 404),
        ("other_sme", "withdraw", 404),
        ("staff_zz", "accept", 403),  # staff of the region can see it, but only officers act on it
        ("owner", "accept", 403),
        ("officer_a", "withdraw", 403),
    ],
)
def test_actions_answer_404_outside_scope_and_403_for_the_wrong_role(parties, owned, viewer, action, status):
    user = owned["owner"] if viewer == "owner" else getattr(parties, viewer)
    assert_error(token_client(user).post(f"{owned['application']}{action}/"), status)
    assert not ApplicationEvent.objects.exclude(kind="submitted").exists()


def test_only_smes_apply_and_publish_demands(parties):
    officer = token_client(parties.officer_a)
    body = {"product": 1, "amount": "1000", "term_months": 6, "purpose": "x", "consent": True}
    assert_error(officer.post("/api/v1/applications/", body, format="json"), 403, "forbidden")
    demand = {"amount": "1000", "term_months": 6, "purpose": "x", "guarantee_modes": ["04"]}
    assert_error(officer.post("/api/v1/demands/", demand, format="json"), 403, "forbidden")
    assert_error(token_client(parties.other_sme).get("/api/v1/demands/pool/"), 403, "forbidden")
    assert not FinancingDemand.objects.exists()


@pytest.mark.parametrize("url", ["/api/v1/applications/abc/", "/api/v1/loans/-1/", "/api/v1/demands/0/"])
def test_ids_that_cannot_exist_answer_404(parties, url):
    assert_error(token_client(parties.other_sme).get(url), 404, "not_found")


def test_huge_ids_answer_404(parties):
    client = token_client(parties.officer_a)
    assert_error(client.get(f"/api/v1/applications/{10**30}/"), 404)
    assert_error(client.get(f"/api/v1/applications/{2**63 - 1}/"), 404)
    assert_error(client.post(f"/api/v1/applications/{10**30}/accept/"), 404)


def test_bad_page_answers_404(parties):
    assert_error(token_client(parties.other_sme).get("/api/v1/products/", {"page": 99}), 404, "not_found")
    assert_error(token_client(parties.other_sme).get("/api/v1/applications/", {"cursor": "junk"}), 404, "not_found")


def test_bad_filter_values_answer_400(parties):
    client = token_client(parties.other_sme)
    body = assert_error(client.get("/api/v1/applications/", {"status": "nope"}), 400, "invalid")
    assert "status" in body["detail"]
    assert_error(client.get("/api/v1/products/", {"amount": "lots"}), 400)
    assert_error(client.get("/api/v1/products/", {"institution": 10**30}), 400)
    assert_error(client.get("/api/v1/loans/", {"disbursed_from": "2026-13-45"}), 400)


# --- bad input changes nothing ----------------------------------------------------------------------------


@pytest.fixture
def applicant(parties):
    user = SmeUserFactory(enterprise=EnterpriseFactory(region=parties.jinshui))
    product = ProductFactory(institution=parties.bank_a_zz)
    return token_client(user), product


def _snapshot():
    return tuple(
        model.objects.count()
        for model in (Application, ApplicationEvent, Authorization, FinancingDemand, DemandClaim, Loan, Enterprise)
    )


GOOD_APPLICATION = {"amount": "500000", "term_months": 12, "purpose": "采购", "consent": True}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"amount": "lots"}, "amount"),
        ({"amount": 12.345}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 10**30}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": ["1"]}, "amount"),
        ({"term_months": "twelve"}, "term_months"),
        ({"term_months": 10**30}, "term_months"),
        ({"term_months": 0}, "term_months"),
        ({"purpose": "x" * 201}, "purpose"),
        ({"consent": "maybe"}, "consent"),
        ({"product": 10**30}, "product"),
        ({"product": "first"}, "product"),
    ],
)
def test_bad_application_input_answers_400_and_changes_nothing(applicant, changes, field):
    client, product = applicant
    before = _snapshot()
    body = assert_error(
        client.post("/api/v1/applications/", {**GOOD_APPLICATION, "product": product.pk, **changes}, format="json"),
        400,
        "invalid",
    )
    assert field in body["detail"]
    assert _snapshot() == before


def test_malformed_json_answers_400(applicant):
    client, _product = applicant
    before = _snapshot()
    response = client.post("/api/v1/applications/", '{"amount": ', content_type="application/json")
    assert_error(response, 400, "malformed_request")
    response = client.post("/api/v1/applications/", '{"amount": NaN}', content_type="application/json")
    assert_error(response, 400, "malformed_request")
    assert_error(client.post("/api/v1/applications/", "[1, 2]", content_type="application/json"), 400, "invalid")
    assert _snapshot() == before


def test_form_encoded_bodies_are_refused(applicant):
    client, product = applicant
    response = client.post("/api/v1/applications/", {**GOOD_APPLICATION, "product": product.pk})
    assert_error(response, 415, "unsupported_media_type")


def test_apply_to_product_or_claim_not_both(applicant):
    client, product = applicant
    before = _snapshot()
    for origin in ({}, {"product": product.pk, "claim": 1}):
        response = client.post("/api/v1/applications/", {**GOOD_APPLICATION, **origin}, format="json")
        assert_error(response, 400, "invalid")
    assert_error(client.post("/api/v1/applications/", {**GOOD_APPLICATION, "product": 987654}, format="json"), 404)
    assert _snapshot() == before


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/v1/demands/", {"guarantee_modes": ["99"]}, "guarantee_modes"),
        ("/api/v1/demands/", {"guarantee_modes": []}, "guarantee_modes"),
        ("/api/v1/demands/", {"guarantee_modes": "04"}, "guarantee_modes"),
        ("/api/v1/demands/", {"amount": "-1"}, "amount"),
        ("/api/v1/demands/", {"amount": str(10**30)}, "amount"),
        ("/api/v1/demands/", {"term_months": 361}, "term_months"),
    ],
)
def test_bad_demand_input_answers_400_and_changes_nothing(applicant, url, body, field):
    client, _product = applicant
    good = {"amount": "300000", "term_months": 6, "purpose": "备货", "guarantee_modes": ["04"]}
    before = _snapshot()
    assert field in assert_error(client.post(url, {**good, **body}, format="json"), 400, "invalid")["detail"]
    assert _snapshot() == before


@pytest.mark.parametrize(
    "action, body, field",
    [
        ("approve", {"amount": "abc"}, "amount"),
        ("approve", {"amount": "-100"}, "amount"),
        ("approve", {"amount": 10**30}, "amount"),
        ("approve", {"annual_rate": "0"}, "annual_rate"),
        ("approve", {"annual_rate": "99"}, "annual_rate"),
        ("approve", {"annual_rate": "3.12345"}, "annual_rate"),
        ("approve", {"guarantee_mode": "99"}, "guarantee_mode"),
        ("reject", {"reason_code": "bogus"}, "reason_code"),
        ("disburse", {"contract_number": ""}, "contract_number"),
        ("disburse", {"disbursed_on": "9999-12-31"}, "disbursed_on"),
        ("disburse", {"disbursed_on": "yesterday"}, "disbursed_on"),
        ("disburse", {"principal": "-1"}, "principal"),
    ],
)
def test_bad_officer_input_answers_400_and_changes_nothing(parties, applicant, action, body, field):
    _client, product = applicant
    application = ApplicationFactory(product=product, status=Application.Status.ACCEPTED)
    if action == "disburse":
        application.status = Application.Status.APPROVED
        application.save()
        CreditDecision.objects.create(
            application=application,
            outcome="approved",
            amount=Decimal("500000"),
            annual_rate=Decimal("4"),
            term_months=12,
            guarantee_mode="04",
            decided_by=parties.officer_a,
        )
    good = {
        "approve": {"amount": "500000", "annual_rate": "4.2", "term_months": 12},
        "reject": {"reason_code": "policy"},
        "disburse": {"contract_number": "HT-1", "disbursed_on": str(datetime.date.today())},
    }[action]
    before, decisions = _snapshot(), CreditDecision.objects.count()
    response = token_client(parties.officer_a).post(
        f"/api/v1/applications/{application.pk}/{action}/", {**good, **body}, format="json"
    )
    assert field in assert_error(response, 400)["detail"]
    assert (_snapshot(), CreditDecision.objects.count()) == (before, decisions)
    application.refresh_from_db()
    assert application.status in {Application.Status.ACCEPTED, Application.Status.APPROVED}


def test_bad_enterprise_input_answers_400(parties):
    client = token_client(parties.sme)
    cases = [
        ({"uscc": "91410105MA00000000"}, "uscc"),
        ({"uscc": "123"}, "uscc"),
        ({"region": "999999"}, "region"),
        ({"industry": "C"}, "industry"),
        ({"tags": ["nope"]}, "tags"),
        ({"revenue": "-1"}, "revenue"),
        ({"assets": 10**30}, "assets"),
        ({"employees": -3}, "employees"),
    ]
    for changes, field in cases:
        body = assert_error(client.post("/api/v1/enterprise/", enterprise_body(**changes), format="json"), 400)
        assert field in body["detail"], changes
    assert not Enterprise.objects.filter(members__user=parties.sme).exists()


def test_enterprise_registration_conflicts(parties):
    taken = parties.other_sme.membership.enterprise.uscc
    client = token_client(parties.sme)
    assert_error(client.post("/api/v1/enterprise/", enterprise_body(uscc=taken), format="json"), 409, "uscc_taken")
    assert client.post("/api/v1/enterprise/", enterprise_body(), format="json").status_code == 201
    again = enterprise_body(serial=2)
    assert_error(client.post("/api/v1/enterprise/", again, format="json"), 409, "already_member")
    assert_error(token_client(parties.officer_a).post("/api/v1/enterprise/", again, format="json"), 403)
