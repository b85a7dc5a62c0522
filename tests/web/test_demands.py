"""Financing demands through the pages: publish, the officer's pool and claim, apply via the claim, release, close."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from creditinfo.models import Authorization
from lending.models import Application, DemandClaim, FinancingDemand
from tests.factories import BranchFactory, CityFactory, DemandClaimFactory, DemandFactory, OfficerFactory
from tests.web.utils import logged_in, messages_of

pytestmark = pytest.mark.django_db

DEMAND = {"amount": "80", "term_months": "12", "purpose": "采购原材料", "guarantee_modes": ["03", "04"]}


def test_sme_publishes_a_demand(sme_client, enterprise):
    assert sme_client.get(reverse("lending:demand_create")).status_code == 200
    response = sme_client.post(reverse("lending:demand_create"), DEMAND)

    demand = FinancingDemand.objects.get()
    assert response.status_code == 302 and response.url == reverse("lending:demand_detail", args=[demand.pk])
    assert demand.amount == Decimal("800000.00") and demand.guarantee_modes == ["03", "04"]
    assert demand.enterprise == enterprise and demand.region == enterprise.region
    listing = sme_client.get(reverse("lending:demand_list"))
    assert [d.pk for d in listing.context["page_obj"]] == [demand.pk]


def test_demand_needs_a_guarantee_mode(sme_client):
    response = sme_client.post(reverse("lending:demand_create"), {**DEMAND, "guarantee_modes": []})
    assert response.status_code == 400 and response.context["form"].errors["guarantee_modes"]
    assert not FinancingDemand.objects.exists()


def test_officer_claims_from_the_pool_and_the_sme_applies_through_the_claim(sme_client, officer, enterprise):
    demand = DemandFactory(enterprise=enterprise)
    officer_client = logged_in(officer)

    pool = officer_client.get(reverse("lending:demand_pool"))
    assert [d.pk for d in pool.context["page_obj"]] == [demand.pk]
    response = officer_client.post(reverse("lending:demand_claim", args=[demand.pk]), follow=True)
    claim = DemandClaim.objects.get()
    assert claim.institution == officer.institution and claim.status == DemandClaim.Status.ACTIVE
    assert any("Claimed" in m for m in messages_of(response))
    assert list(response.context["page_obj"]) == []  # no longer in the pool...
    assert [c.pk for c in response.context["claims"]] == [claim.pk]  # ...but among our active claims

    detail = sme_client.get(reverse("lending:demand_detail", args=[demand.pk]))
    assert reverse("lending:claim_apply", args=[claim.pk]) in detail.content.decode()
    apply_url = reverse("lending:claim_apply", args=[claim.pk])
    page = sme_client.get(apply_url)
    assert officer.institution.name in page.context["consent_text"]
    refused = sme_client.post(apply_url, {"amount": "80", "term_months": "12", "purpose": "备货"})
    assert refused.status_code == 400 and not Application.objects.exists()

    response = sme_client.post(apply_url, {"amount": "80", "term_months": "12", "purpose": "备货", "consent": "on"})
    application = Application.objects.get()
    assert response.url == reverse("lending:application_detail", args=[application.pk])
    assert application.demand_claim == claim and application.institution == officer.institution
    assert Authorization.objects.get().institution == officer.institution
    demand.refresh_from_db()
    assert demand.status == FinancingDemand.Status.APPLIED


def test_officer_releases_a_claim(officer, officer_client, enterprise):
    claim = DemandClaimFactory(demand__enterprise=enterprise, institution=officer.institution, officer=officer)
    officer_client.post(reverse("lending:claim_release", args=[claim.pk]))
    claim.refresh_from_db()
    claim.demand.refresh_from_db()
    assert claim.status == DemandClaim.Status.RELEASED and claim.demand.status == FinancingDemand.Status.OPEN


def test_another_banks_claimed_demand_is_out_of_scope(officer_client, enterprise):
    DemandClaimFactory(demand__enterprise=enterprise)  # another bank's live claim: out of the pool
    demand = FinancingDemand.objects.get()
    assert officer_client.post(reverse("lending:demand_claim", args=[demand.pk])).status_code == 404
    assert DemandClaim.objects.count() == 1


def test_claiming_twice_is_refused_with_a_message(officer, officer_client, enterprise):
    claim = DemandClaimFactory(demand__enterprise=enterprise, institution=officer.institution, officer=officer)
    colleague = logged_in(OfficerFactory(institution=officer.institution))
    response = colleague.post(reverse("lending:demand_claim", args=[claim.demand_id]), follow=True)
    assert any("no longer open for claiming" in m for m in messages_of(response))
    assert DemandClaim.objects.count() == 1


def test_expired_claim_cannot_be_applied_to(sme_client, enterprise):
    claim = DemandClaimFactory(demand__enterprise=enterprise, deadline=timezone.now() - datetime.timedelta(minutes=1))
    response = sme_client.get(reverse("lending:claim_apply", args=[claim.pk]), follow=True)
    assert any("no longer active" in m for m in messages_of(response))
    assert not Application.objects.exists()


def test_sme_closes_its_demand(sme_client, enterprise):
    claim = DemandClaimFactory(demand__enterprise=enterprise)
    demand = claim.demand
    sme_client.post(reverse("lending:demand_close", args=[demand.pk]))
    demand.refresh_from_db()
    claim.refresh_from_db()
    assert demand.status == FinancingDemand.Status.CLOSED and claim.status == DemandClaim.Status.RELEASED
    response = sme_client.post(reverse("lending:demand_close", args=[demand.pk]), follow=True)
    assert any("can no longer be closed" in m for m in messages_of(response))


def test_pool_is_limited_to_the_officers_regions(officer_client, enterprise):
    mine = DemandFactory(enterprise=enterprise)
    luoyang_officer = OfficerFactory(institution=BranchFactory(region=CityFactory(code="410300", name="洛阳市")))
    assert [d.pk for d in officer_client.get(reverse("lending:demand_pool")).context["page_obj"]] == [mine.pk]
    assert list(logged_in(luoyang_officer).get(reverse("lending:demand_pool")).context["page_obj"]) == []
    url = reverse("lending:demand_detail", args=[mine.pk])
    assert logged_in(luoyang_officer).get(url).status_code == 404


def test_pool_filters(officer_client, enterprise):
    small = DemandFactory(enterprise=enterprise, amount=Decimal("100000"))
    big = DemandFactory(enterprise=enterprise, amount=Decimal("5000000"), guarantee_modes=["02"])
    pool = reverse("lending:demand_pool")
    assert [d.pk for d in officer_client.get(pool, {"amount_min": "1000000"}).context["page_obj"]] == [big.pk]
    assert [d.pk for d in officer_client.get(pool, {"guarantee_mode": "04"}).context["page_obj"]] == [small.pk]


def test_pool_and_claims_are_officer_pages(sme_client, staff_client):
    for client in (sme_client, staff_client):
        assert client.get(reverse("lending:demand_pool")).status_code == 403
    assert staff_client.get(reverse("lending:demand_create")).status_code == 403


def test_the_pool_shows_the_ten_soonest_claims_and_links_to_all(officer_client, officer):
    now = timezone.now()
    claims = [
        DemandClaimFactory(institution=officer.institution, officer=officer, deadline=now + datetime.timedelta(hours=h))
        for h in range(1, 13)
    ]
    page = officer_client.get(reverse("lending:demand_pool")).content.decode()
    shown = [c for c in claims if reverse("lending:claim_release", args=[c.pk]) in page]
    assert shown == claims[:10]  # the ten soonest deadlines
    assert reverse("lending:claim_list") in page

    listing = officer_client.get(reverse("lending:claim_list")).content.decode()
    assert all(reverse("lending:claim_release", args=[c.pk]) in listing for c in claims)
    assert 'form="row-action"' in listing and 'id="row-action"' in listing


def test_a_row_button_releases_its_claim_through_the_shared_form(officer_client, officer):
    claim = DemandClaimFactory(institution=officer.institution, officer=officer)
    response = officer_client.post(reverse("lending:claim_release", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status != "active"
