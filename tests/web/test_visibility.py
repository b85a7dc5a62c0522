"""Every role gets 404 for another party's enterprise, demands, applications, loans and authorizations."""

import pytest
from django.urls import reverse

from lending.models import Application, DemandClaim, FinancingDemand
from tests.factories import (
    ApplicationFactory,
    AuthorizationFactory,
    BranchFactory,
    CityFactory,
    CountyFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    LoanFactory,
    OfficerFactory,
    ProductFactory,
    SmeUserFactory,
    StaffFactory,
)
from tests.web.utils import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def luoyang(db):
    """Another party altogether: a Luoyang enterprise, its bank, its demand, claim, application and loan."""
    city = CityFactory(code="410300", name="洛阳市")
    enterprise = EnterpriseFactory(region=CountyFactory(code="410305", name="涧西区", parent=city))
    SmeUserFactory(enterprise=enterprise)
    branch = BranchFactory(region=city)
    product = ProductFactory(institution=branch)
    open_demand = DemandFactory(enterprise=enterprise)
    claim = DemandClaimFactory(demand__enterprise=enterprise, institution=branch)
    application = ApplicationFactory(enterprise=enterprise, product=product)
    loan = LoanFactory(application__enterprise=enterprise, application__product=product)
    return {
        "enterprise": enterprise,
        "demand": open_demand,
        "claim": claim,
        "application": application,
        "loan": loan,
        "authorization": application.authorization,
    }


@pytest.fixture(params=["sme", "officer", "staff"])
def outsider(request, db):
    """A user of each role in Zhengzhou, with objects of their own, and no link to the Luoyang party."""
    if request.param == "sme":
        return SmeUserFactory()
    if request.param == "officer":
        return OfficerFactory()
    return StaffFactory()


def test_other_parties_pages_are_404(outsider, luoyang):
    client = logged_in(outsider)
    pages = [
        reverse("creditinfo:enterprise_view", args=[luoyang["enterprise"].pk]),
        reverse("lending:demand_detail", args=[luoyang["demand"].pk]),
        reverse("lending:demand_detail", args=[luoyang["claim"].demand_id]),
        reverse("lending:application_detail", args=[luoyang["application"].pk]),
        reverse("lending:loan_detail", args=[luoyang["loan"].pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 404, url


def test_other_parties_actions_are_404_and_change_nothing(outsider, luoyang):
    client = logged_in(outsider)
    application, claim, demand = luoyang["application"], luoyang["claim"], luoyang["demand"]
    expected = 404
    if outsider.is_officer:
        posts = [
            reverse("lending:application_accept", args=[application.pk]),
            reverse("lending:claim_release", args=[claim.pk]),
            reverse("lending:demand_claim", args=[claim.demand_id]),
        ]
    elif outsider.is_sme:
        posts = [
            reverse("lending:application_withdraw", args=[application.pk]),
            reverse("lending:demand_close", args=[demand.pk]),
            reverse("lending:claim_apply", args=[claim.pk]),
            reverse("creditinfo:authorization_revoke", args=[luoyang["authorization"].pk]),
        ]
    else:
        # Staff hold no action role at all: refused for the role before any object is looked up.
        expected = 403
        posts = [
            reverse("lending:application_accept", args=[application.pk]),
            reverse("lending:demand_close", args=[demand.pk]),
            reverse("creditinfo:authorization_revoke", args=[luoyang["authorization"].pk]),
        ]
    data = {"consent": "on", "amount": "10", "term_months": "6", "purpose": "x"}
    for url in posts:
        assert client.post(url, data).status_code == expected, url
    application.refresh_from_db()
    claim.refresh_from_db()
    demand.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert claim.status == DemandClaim.Status.ACTIVE and demand.status == FinancingDemand.Status.OPEN
    luoyang["authorization"].refresh_from_db()
    assert luoyang["authorization"].revoked_at is None


def test_other_parties_rows_stay_out_of_lists(outsider, luoyang):
    client = logged_in(outsider)
    lists = ["lending:application_list", "lending:loan_list", "lending:demand_list"]
    if not outsider.is_gov_staff:
        lists.append("creditinfo:authorization_list")
    if outsider.is_officer:
        lists += ["lending:officer_inbox", "lending:demand_pool"]
    for name in lists:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert luoyang["enterprise"].name not in response.content.decode(), name


def test_officer_sees_its_institutions_objects(luoyang):
    """The other side of the boundary: the Luoyang bank's officer sees its own application and loan."""
    officer = OfficerFactory(institution=luoyang["application"].institution)
    client = logged_in(officer)
    assert client.get(reverse("lending:application_detail", args=[luoyang["application"].pk])).status_code == 200
    assert client.get(reverse("creditinfo:enterprise_view", args=[luoyang["enterprise"].pk])).status_code == 200
    assert client.get(reverse("lending:demand_detail", args=[luoyang["claim"].demand_id])).status_code == 200
    loan_officer = OfficerFactory(institution=luoyang["loan"].institution)
    assert logged_in(loan_officer).get(reverse("lending:loan_detail", args=[luoyang["loan"].pk])).status_code == 200


def test_anonymous_users_are_sent_to_log_in(luoyang, client):
    for url in (
        reverse("lending:application_detail", args=[luoyang["application"].pk]),
        reverse("lending:loan_list"),
        reverse("creditinfo:authorization_list"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_authorization_list_and_revoke(sme, sme_client, enterprise):
    mine = AuthorizationFactory(enterprise=enterprise, granted_by=sme)
    listing = sme_client.get(reverse("creditinfo:authorization_list"))
    assert [a.pk for a in listing.context["page_obj"]] == [mine.pk]
    sme_client.post(reverse("creditinfo:authorization_revoke", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.revoked_at is not None and not mine.is_live()
