"""The SME's query log page and its authorization grant page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from creditinfo.models import Authorization, QueryLog
from tests.factories import (
    AuthorizationFactory,
    BranchFactory,
    EnterpriseFactory,
    InstitutionFactory,
    OfficerFactory,
    QueryLogFactory,
    SmeUserFactory,
    StaffFactory,
    UserFactory,
)
from tests.web.utils import logged_in

pytestmark = pytest.mark.django_db

LOG_URL = "/enterprise/query-log/"
GRANT_URL = "/authorizations/grant/"


@pytest.fixture
def sme():
    return SmeUserFactory()


@pytest.fixture
def enterprise(sme):
    return sme.membership.enterprise


def test_urls():
    assert reverse("creditinfo:query_log") == LOG_URL
    assert reverse("creditinfo:authorization_grant") == GRANT_URL


def test_an_officers_view_appears_in_the_smes_query_log(sme, enterprise):
    branch = BranchFactory(name="中原银行郑州分行")
    officer = OfficerFactory(institution=branch, full_name="王信贷")
    AuthorizationFactory(enterprise=enterprise, institution=branch, purpose=Authorization.Purpose.POST_LOAN)
    assert logged_in(officer).get(reverse("creditinfo:profile", args=[enterprise.pk])).status_code == 200

    response = logged_in(sme).get(LOG_URL)

    assert response.status_code == 200
    [entry] = response.context["page_obj"]
    assert entry.user == officer
    page = response.content.decode()
    for shown in ("王信贷", "中原银行郑州分行", "Post-loan management", "Credit profile"):
        assert shown in page


def test_the_log_shows_only_the_smes_own_enterprise(sme, enterprise):
    QueryLogFactory(authorization__enterprise=enterprise)
    QueryLogFactory()  # another enterprise's
    response = logged_in(sme).get(LOG_URL)
    assert [e.enterprise_id for e in response.context["page_obj"]] == [enterprise.pk]


def test_the_log_is_newest_first_and_pages_by_cursor(sme, enterprise):
    authorization = AuthorizationFactory(enterprise=enterprise)
    now = timezone.now()
    for minutes in range(25):
        QueryLogFactory(authorization=authorization, created_at=now - datetime.timedelta(minutes=minutes))
    client = logged_in(sme)
    first = client.get(LOG_URL).context["page_obj"]
    times = [e.created_at for e in first]
    assert times == sorted(times, reverse=True) and len(times) == 20 and first.next_cursor
    second = client.get(LOG_URL, {"cursor": first.next_cursor}).context["page_obj"]
    assert len(second) == 5 and max(e.created_at for e in second) < min(times)


@pytest.mark.parametrize("make_user", [OfficerFactory, StaffFactory], ids=["officer", "staff"])
def test_only_smes_have_a_query_log_page(make_user):
    assert logged_in(make_user()).get(LOG_URL).status_code == 403


def test_the_log_runs_as_many_queries_for_3_rows_as_for_30(sme, enterprise):
    def add(n):
        for _i in range(n):
            # a different institution, officer and authorization per row, so that per-row lookups would show
            QueryLogFactory(authorization__enterprise=enterprise)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LOG_URL)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["page_obj"])

    client = logged_in(sme)
    add(3)
    client.get(LOG_URL)
    few, rows = measure()
    assert rows == 3
    add(27)
    many, rows = measure()
    assert rows == 20  # one page
    assert few == many, f"{few} queries for 3 rows, {many} for 30"


# --- granting ----------------------------------------------------------------------------------------------


def test_the_list_has_a_grant_button_for_smes(sme):
    page = logged_in(sme).get(reverse("creditinfo:authorization_list")).content.decode()
    assert GRANT_URL in page


def test_the_grant_page_shows_institutions_and_the_consent_before_submitting(sme):
    head = InstitutionFactory(name="中原银行")
    BranchFactory(parent=head, name="中原银行洛阳分行")
    response = logged_in(sme).get(GRANT_URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "中原银行洛阳分行" in page and '<optgroup label="中原银行">' in page
    assert 'id="consent-text"' in page and "I can revoke this authorization at any time" in page
    assert response.context["form"]["days"].value() == 90


def test_granting_records_the_authorization_with_its_consent_text(sme, enterprise):
    branch = BranchFactory(name="郑州银行金水支行")
    before = timezone.now()
    response = logged_in(sme).post(
        GRANT_URL, {"institution": branch.pk, "purpose": "loan_review", "days": "30", "consent": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("creditinfo:authorization_list")
    authorization = Authorization.objects.get()
    assert (authorization.enterprise, authorization.institution, authorization.granted_by) == (enterprise, branch, sme)
    assert authorization.is_live()
    assert before + datetime.timedelta(days=30) <= authorization.valid_until
    assert authorization.valid_until <= timezone.now() + datetime.timedelta(days=30)
    assert "郑州银行金水支行" in authorization.consent_text

    # the officer of that branch may now open the profile
    officer = OfficerFactory(institution=branch)
    assert logged_in(officer).get(reverse("creditinfo:profile", args=[enterprise.pk])).status_code == 200
    assert QueryLog.objects.get().authorization == authorization


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days": "0"}, "days"),
        ({"days": "366"}, "days"),
        ({"days": "abc"}, "days"),
        ({"purpose": "marketing"}, "purpose"),
        ({"institution": "999999"}, "institution"),
        ({"consent": ""}, "consent"),
    ],
)
def test_bad_input_is_a_400_and_creates_nothing(sme, change, field):
    data = {"institution": BranchFactory().pk, "purpose": "loan_review", "days": "90", "consent": "on", **change}
    data = {key: value for key, value in data.items() if value != ""}
    response = logged_in(sme).post(GRANT_URL, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Authorization.objects.exists()


def test_an_inactive_institution_cannot_be_chosen(sme):
    closed = BranchFactory(is_active=False)
    data = {"institution": closed.pk, "purpose": "loan_review", "days": "90", "consent": "on"}
    assert logged_in(sme).post(GRANT_URL, data).status_code == 400
    assert not Authorization.objects.exists()


def test_the_institution_search_narrows_the_select(sme):
    BranchFactory(name="中原银行洛阳分行")
    BranchFactory(name="郑州银行金水支行")
    response = logged_in(sme).get(GRANT_URL, {"q": "洛阳"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "中原银行洛阳分行" in page and "郑州银行金水支行" not in page
    assert "<html" not in page


@pytest.mark.parametrize("make_user", [OfficerFactory, StaffFactory], ids=["officer", "staff"])
def test_only_smes_grant(make_user):
    response = logged_in(make_user()).post(
        GRANT_URL, {"institution": BranchFactory().pk, "purpose": "loan_review", "days": "90", "consent": "on"}
    )
    assert response.status_code == 403
    assert not Authorization.objects.exists()


def test_an_sme_without_an_enterprise_registers_first():
    response = logged_in(UserFactory()).get(GRANT_URL)
    assert response.status_code == 302 and response["Location"] == reverse("creditinfo:enterprise_register")


def test_another_smes_enterprise_cannot_be_the_subject(sme, enterprise):
    """The form has no enterprise field: the authorization is always for the user's own enterprise."""
    other = EnterpriseFactory()
    logged_in(sme).post(
        GRANT_URL,
        {
            "institution": BranchFactory().pk,
            "purpose": "loan_review",
            "days": "9",
            "consent": "on",
            "enterprise": other.pk,
        },
    )
    assert Authorization.objects.get().enterprise == enterprise
