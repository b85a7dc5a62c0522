"""Credit information API: records and evaluation behind consent (logged), the query log, granting authorizations."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creditinfo.models import Authorization, CreditRecord, QueryLog, RecordCategory
from creditinfo.services.authorizations import authorization_revoke
from tests.api.utils import assert_error, openapi, token_client
from tests.factories import (
    AdminFactory,
    AuthorizationFactory,
    BranchFactory,
    CreditRecordFactory,
    DataSourceFactory,
    EnterpriseFactory,
    EvaluationFactory,
    OfficerFactory,
    QueryLogFactory,
    SmeUserFactory,
)
from xinyidai.services.audit import audit_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def sme(parties):
    return parties.other_sme


@pytest.fixture
def enterprise(sme):
    return sme.membership.enterprise


@pytest.fixture
def authorization(parties, enterprise, sme):
    return AuthorizationFactory(enterprise=enterprise, institution=parties.bank_a_zz, granted_by=sme)


def records_url(enterprise_id) -> str:
    return f"/api/v1/enterprises/{enterprise_id}/credit-records/"


def evaluation_url(enterprise_id) -> str:
    return f"/api/v1/enterprises/{enterprise_id}/evaluation/"


def test_the_endpoints_are_in_the_schema():
    paths = openapi()["paths"]
    assert "get" in paths["/api/v1/enterprises/{id}/credit-records/"]
    assert "get" in paths["/api/v1/enterprises/{id}/evaluation/"]
    assert "get" in paths["/api/v1/query-log/"]
    assert "post" in paths["/api/v1/authorizations/"]


# --- records -------------------------------------------------------------------------------------------------


def test_an_authorized_officer_reads_published_records_and_the_read_is_logged(parties, enterprise, authorization):
    shown = CreditRecordFactory(enterprise=enterprise, detail="联系人电话13812345678")
    CreditRecordFactory(enterprise=enterprise, publish_until=timezone.localdate() - datetime.timedelta(days=1))
    CreditRecordFactory(enterprise=enterprise, status=CreditRecord.Status.REPAIRED)

    response = token_client(parties.officer_a).get(records_url(enterprise.pk))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == shown.pk and row["detail"] == "联系人电话138****5678"
    assert row["source"]["department"] == shown.source.department and row["is_disputed"] is False
    [entry] = QueryLog.objects.all()
    assert (entry.user, entry.institution, entry.authorization, entry.what) == (
        parties.officer_a,
        parties.bank_a_zz,
        authorization,
        QueryLog.What.RECORDS,
    )


def test_the_category_filter(parties, enterprise, authorization):
    CreditRecordFactory(enterprise=enterprise)
    honour = CreditRecordFactory(enterprise=enterprise, category=RecordCategory.HONOUR, severity="")
    client = token_client(parties.officer_a)
    body = client.get(records_url(enterprise.pk), {"category": "honour"}).json()
    assert [r["id"] for r in body["results"]] == [honour.pk]
    assert_error(client.get(records_url(enterprise.pk), {"category": "gossip"}), 400, "invalid")


def test_records_without_consent_are_404_and_not_logged(parties, enterprise):
    assert_error(token_client(parties.officer_a).get(records_url(enterprise.pk)), 404, "not_found")
    assert not QueryLog.objects.exists()


def test_expiry_and_revocation_take_effect_at_once(parties, enterprise, authorization, sme):
    client = token_client(parties.officer_a)
    assert client.get(records_url(enterprise.pk)).status_code == 200
    authorization_revoke(authorization_id=authorization.pk, user=sme)
    assert_error(client.get(records_url(enterprise.pk)), 404)

    other = EnterpriseFactory()
    now = timezone.now()
    AuthorizationFactory(
        enterprise=other,
        institution=parties.bank_a_zz,
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now - datetime.timedelta(seconds=1),
    )
    assert_error(client.get(records_url(other.pk)), 404)
    assert QueryLog.objects.count() == 1


def test_the_head_office_reads_under_a_branchs_authorization_and_another_bank_does_not(
    parties, enterprise, authorization
):
    head_officer = OfficerFactory(institution=parties.bank_a)
    assert token_client(head_officer).get(records_url(enterprise.pk)).status_code == 200
    assert_error(token_client(parties.officer_b).get(records_url(enterprise.pk)), 404)


def test_the_sme_reads_its_own_records_unlogged_but_not_anothers(parties, sme, enterprise):
    CreditRecordFactory(enterprise=enterprise)
    client = token_client(sme)
    assert client.get(records_url(enterprise.pk)).json()["count"] == 1
    assert_error(client.get(records_url(EnterpriseFactory().pk)), 404)
    assert not QueryLog.objects.exists()


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_and_admins_get_404(parties, enterprise, authorization, who):
    user = parties.staff_ly if who == "staff" else AdminFactory()
    assert_error(token_client(user).get(records_url(enterprise.pk)), 404)
    assert_error(token_client(user).get(evaluation_url(enterprise.pk)), 404)


def test_junk_ids_are_404(parties):
    assert_error(token_client(parties.officer_a).get(records_url("abc")), 404)
    assert_error(token_client(parties.officer_a).get(records_url(2**70)), 404)


def test_anonymous_callers_are_401(enterprise):
    assert_error(token_client(None).get(records_url(enterprise.pk)), 401)


# --- evaluation ----------------------------------------------------------------------------------------------


def test_the_evaluation_is_explained_and_logged(parties, enterprise, authorization):
    EvaluationFactory(
        enterprise=enterprise,
        score=680,
        grade="B",
        factors=[{"code": "penalties", "points": -40, "params": {"minor": 0, "general": 1, "serious": 0}}],
        improvements=[{"code": "next_grade", "params": {"grade": "A", "points": 70}}],
    )
    response = token_client(parties.officer_a).get(evaluation_url(enterprise.pk), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["score"], body["grade"], body["model_version"]) == (680, "B", "test")
    [factor] = body["factors"]
    assert (factor["code"], factor["points"]) == ("penalties", -40)
    assert factor["text"].startswith("Administrative penalties published: 0 minor, 1 general, 0 serious")
    assert body["improvements"] == [{"code": "next_grade", "text": "70 more points reach grade A"}]
    assert "advisory" in body["advisory"]
    assert QueryLog.objects.get().what == QueryLog.What.EVALUATION


def test_no_evaluation_yet_is_404(parties, enterprise, authorization):
    assert_error(token_client(parties.officer_a).get(evaluation_url(enterprise.pk)), 404)


def test_the_evaluation_without_consent_is_404(parties, enterprise):
    EvaluationFactory(enterprise=enterprise)
    assert_error(token_client(parties.officer_b).get(evaluation_url(enterprise.pk)), 404)
    assert token_client(parties.other_sme).get(evaluation_url(enterprise.pk)).status_code == 200
    assert not QueryLog.objects.exists()


# --- query log -----------------------------------------------------------------------------------------------


def test_the_sme_sees_the_officers_query(parties, sme, enterprise, authorization):
    token_client(parties.officer_a).get(records_url(enterprise.pk))
    QueryLogFactory()  # someone else's

    body = token_client(sme).get("/api/v1/query-log/").json()

    [row] = body["results"]
    assert row["user"]["full_name"] == parties.officer_a.full_name
    assert row["institution"]["id"] == parties.bank_a_zz.pk
    assert (row["purpose"], row["what"], row["authorization"]) == ("loan_review", "records", authorization.pk)


def test_officers_see_their_institution_trees_queries_only(parties, enterprise, authorization):
    mine = QueryLogFactory(authorization=authorization, user=parties.officer_a)
    QueryLogFactory(authorization__institution=parties.bank_b)
    head_officer = OfficerFactory(institution=parties.bank_a)

    assert [r["id"] for r in token_client(parties.officer_a).get("/api/v1/query-log/").json()["results"]] == [mine.pk]
    assert [r["id"] for r in token_client(head_officer).get("/api/v1/query-log/").json()["results"]] == [mine.pk]
    assert token_client(parties.officer_b).get("/api/v1/query-log/").json()["results"] != []
    assert token_client(parties.staff_zz).get("/api/v1/query-log/").json()["results"] == []


# --- granting ------------------------------------------------------------------------------------------------


def test_an_sme_grants_an_authorization(parties, sme, enterprise):
    response = token_client(sme).post(
        "/api/v1/authorizations/",
        {"institution": parties.bank_b.pk, "purpose": "post_loan", "days": 30},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["institution"]["id"] == parties.bank_b.pk and body["is_live"] is True
    assert body["enterprise"]["id"] == enterprise.pk and "郑州银行" in body["consent_text"]
    authorization = Authorization.objects.get()
    assert authorization.granted_by == sme
    assert token_client(parties.officer_b).get(records_url(enterprise.pk)).status_code == 200


def test_days_default_to_90(parties, sme):
    response = token_client(sme).post(
        "/api/v1/authorizations/", {"institution": parties.bank_b.pk, "purpose": "loan_review"}, format="json"
    )
    assert response.status_code == 201
    authorization = Authorization.objects.get()
    assert (authorization.valid_until - authorization.valid_from).days == 90


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 366}, "days"),
        ({"days": "many"}, "days"),
        ({"purpose": "marketing"}, "purpose"),
        ({"institution": 999_999}, "institution"),
        ({"institution": None}, "institution"),
    ],
)
def test_bad_input_is_400_in_the_error_shape_and_creates_nothing(parties, sme, change, field):
    data = {"institution": parties.bank_b.pk, "purpose": "loan_review", "days": 90, **change}
    body = assert_error(token_client(sme).post("/api/v1/authorizations/", data, format="json"), 400, "invalid")
    assert field in body["detail"]
    assert not Authorization.objects.exists()


@pytest.mark.parametrize("who", ["officer_a", "staff_zz"])
def test_only_smes_grant(parties, who):
    response = token_client(getattr(parties, who)).post(
        "/api/v1/authorizations/", {"institution": parties.bank_b.pk, "purpose": "loan_review"}, format="json"
    )
    assert_error(response, 403, "forbidden")
    assert not Authorization.objects.exists()


def test_an_sme_without_an_enterprise_gets_404(parties):
    response = token_client(parties.sme).post(
        "/api/v1/authorizations/", {"institution": parties.bank_b.pk, "purpose": "loan_review"}, format="json"
    )
    assert_error(response, 404)
    assert not Authorization.objects.exists()


# --- query counts --------------------------------------------------------------------------------------------

# Queries per request; a new one is a decision to explain here.
EXPECTED_QUERIES = {
    # token, officer's institution, live authorization, enterprise, insert query-log row, count, page;
    # +3 (2 on SQLite): the audit event of the credit query (advisory lock, head read, insert)
    "records (officer)": 7 + audit_queries(),
    # token, membership check, count, page
    "records (sme)": 4,
    # token, page (keyset: no count)
    "query log (sme)": 2,
    # token, officer's institution, page (keyset: no count)
    "query log (officer)": 3,
}


def _measure(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries), len(response.json()["results"])


def _records(enterprise, n: int) -> None:
    for i in range(n):
        category = RecordCategory.values[i % len(RecordCategory.values)]
        CreditRecordFactory(
            enterprise=enterprise, category=category, source=DataSourceFactory(code=f"s{category}", category=category)
        )


@pytest.mark.parametrize("name", list(EXPECTED_QUERIES))
def test_list_query_counts_are_constant(name):
    branch = BranchFactory()
    officer = OfficerFactory(institution=branch)
    sme = SmeUserFactory()
    enterprise = sme.membership.enterprise
    AuthorizationFactory(enterprise=enterprise, institution=branch)
    if name.startswith("records"):
        url, make = records_url(enterprise.pk), lambda n: _records(enterprise, n)
    else:
        url = "/api/v1/query-log/"

        def make(n):
            for _i in range(n):
                QueryLogFactory(authorization__enterprise=enterprise, authorization__institution=branch)

    client = token_client(officer if "officer" in name else sme)
    make(3)
    few, rows = _measure(client, url)
    assert rows == 3
    make(27)
    many, rows = _measure(client, url)
    assert rows == 30
    assert few == many, f"{name}: {few} queries for 3 rows, {many} for 30"
    assert many == EXPECTED_QUERIES[name], f"{name}: now {many} queries; explain a new one in EXPECTED_QUERIES"
