"""Credit reports over the API: request (202, generated in the background), poll, download the PDF; consent-gated
and logged for officers; every JSON answer checked against the OpenAPI schema (tests.api.utils)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creditinfo.models import CreditReport, QueryLog
from creditinfo.services import reports as services
from tests.api.utils import assert_error, openapi, token_client
from tests.factories import (
    AuthorizationFactory,
    CreditReportFactory,
    EnterpriseFactory,
    OfficerFactory,
    SmeUserFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/credit-reports/"


@pytest.fixture(autouse=True)
def fake_pdf(monkeypatch, settings, tmp_path):
    """The PDF's content is test_reports.py's business; here a few bytes stand in for it."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(services, "render_pdf", lambda name, context: f"%PDF-1.7 {context['report'].number}".encode())


@pytest.fixture
def enterprise():
    return EnterpriseFactory(name="郑州云图智能科技有限公司")


@pytest.fixture
def sme(enterprise):
    return SmeUserFactory(enterprise=enterprise)


@pytest.fixture
def officer(enterprise):
    officer = OfficerFactory()
    AuthorizationFactory(enterprise=enterprise, institution=officer.institution)
    return officer


def _request(client, capture, enterprise_id):
    with capture(execute=True):
        return client.post(URL, {"enterprise": enterprise_id}, format="json")


def test_sme_requests_polls_and_downloads(sme, enterprise, django_capture_on_commit_callbacks):
    client = token_client(sme)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(URL, {"enterprise": enterprise.pk}, format="json")
    assert response.status_code == 202
    body = response.json()
    report = CreditReport.objects.get()
    assert body["id"] == report.pk and body["number"] == report.number
    assert (body["status"], body["download_url"], body["issued_at"]) == ("pending", None, None)
    assert body["enterprise"] == {"id": enterprise.pk, "uscc": enterprise.uscc, "name": enterprise.name}
    assert body["verify_url"] == f"http://testserver/verify/{report.verification_code}/"

    callbacks[0]()  # the Celery task runs
    body = client.get(f"{URL}{report.pk}/").json()
    report.refresh_from_db()
    assert body["status"] == "ready" and body["content_hash"] == report.content_hash
    assert body["download_url"] == f"http://testserver{URL}{report.pk}/download/"

    download = client.get(f"{URL}{report.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{report.number}.pdf"'
    assert b"".join(download.streaming_content) == f"%PDF-1.7 {report.number}".encode()
    assert client.get(f"{URL}{report.pk}/download/", HTTP_ACCEPT="application/pdf").status_code == 200
    assert not QueryLog.objects.exists()  # the enterprise looking at itself is not a credit query


def test_a_pending_report_has_no_download_yet(sme, enterprise, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = token_client(sme).post(URL, {"enterprise": enterprise.pk}, format="json")
    assert_error(token_client(sme).get(f"{URL}{response.json()['id']}/download/"), 404, "not_found")


def test_officer_needs_a_live_authorization_and_each_access_is_logged(
    officer, enterprise, django_capture_on_commit_callbacks
):
    client = token_client(officer)
    response = _request(client, django_capture_on_commit_callbacks, enterprise.pk)
    assert response.status_code == 202
    report_id = response.json()["id"]
    logs = QueryLog.objects.filter(enterprise=enterprise, user=officer, what=QueryLog.What.REPORT)
    assert logs.count() == 1
    assert client.get(f"{URL}{report_id}/download/").status_code == 200
    assert logs.count() == 2

    enterprise.authorizations.update(revoked_at=timezone.now())
    assert_error(client.get(f"{URL}{report_id}/download/"), 404, "not_found")
    assert_error(_request(client, django_capture_on_commit_callbacks, enterprise.pk), 404, "not_found")
    assert logs.count() == 2 and CreditReport.objects.count() == 1
    assert client.get(f"{URL}{report_id}/").status_code == 200  # its own request stays listed, without content


@pytest.mark.parametrize("who", ["officer_of_another_bank", "other_sme", "staff"])
def test_others_get_404_and_nothing_is_created_or_logged(sme, enterprise, django_capture_on_commit_callbacks, who):
    mine = _request(token_client(sme), django_capture_on_commit_callbacks, enterprise.pk).json()
    user = {"officer_of_another_bank": OfficerFactory, "other_sme": SmeUserFactory, "staff": StaffFactory}[who]()
    client = token_client(user)
    assert_error(_request(client, django_capture_on_commit_callbacks, enterprise.pk), 404, "not_found")
    assert_error(client.get(f"{URL}{mine['id']}/"), 404, "not_found")
    assert_error(client.get(f"{URL}{mine['id']}/download/"), 404, "not_found")
    assert client.get(URL).json()["results"] == []
    assert CreditReport.objects.count() == 1 and not QueryLog.objects.exists()


@pytest.mark.parametrize("body", [{}, {"enterprise": "abc"}, {"enterprise": 0}, {"enterprise": 2**70}])
def test_bad_input_is_a_400_that_changes_nothing(sme, body):
    response = token_client(sme).post(URL, body, format="json")
    assert assert_error(response, 400, "invalid")["detail"]["enterprise"]
    assert not CreditReport.objects.exists()


def test_anonymous_callers_are_told_to_authenticate(db):
    assert_error(token_client(None).get(URL), 401)


def test_unparseable_ids_are_404(sme):
    assert_error(token_client(sme).get(f"{URL}abc/"), 404, "not_found")
    assert_error(token_client(sme).get(f"{URL}{2**70}/download/"), 404, "not_found")


def test_list_is_scoped_and_its_query_count_does_not_grow_with_rows(sme, enterprise, officer):
    others = CreditReportFactory.create_batch(2)  # other enterprises' reports
    CreditReportFactory.create_batch(3, enterprise=enterprise, requested_by=sme)
    client = token_client(sme)
    with CaptureQueriesContext(connection) as few:
        body = client.get(URL).json()
    assert body["count"] == 3 and {r["id"] for r in body["results"]}.isdisjoint({r.pk for r in others})
    CreditReportFactory.create_batch(27, enterprise=enterprise, requested_by=officer)
    with CaptureQueriesContext(connection) as many:
        body = client.get(URL, {"page_size": 100}).json()
    assert body["count"] == 30
    assert len(many) == len(few), "a new query per row: select_related what the serializer reads"
    assert len(many) == 3, "token, count, page: explain a new query here"
    officer_client = token_client(officer)
    with CaptureQueriesContext(connection) as officers:
        officer_body = officer_client.get(URL, {"page_size": 100}).json()
    assert officer_body["count"] == 27  # the reports its institution requested
    assert len(officers) == 4, "token, the officer's institution, count, page: explain a new query here"


def test_the_endpoints_are_in_the_schema():
    paths = openapi()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/credit-reports/"])
    assert "get" in paths["/api/v1/credit-reports/{id}/"]
    download = paths["/api/v1/credit-reports/{id}/download/"]["get"]
    assert "application/pdf" in download["responses"]["200"]["content"]
    assert "202" in paths["/api/v1/credit-reports/"]["post"]["responses"]
