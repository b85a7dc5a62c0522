"""Credit report pages: request, the status part that polls until the PDF is ready, the download (consent-gated
and logged for officers), and the public /verify/<code>/ page, which shows the report's identity and nothing of
its content. The PDF itself is faked here (test_reports.py renders real ones)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from creditinfo.models import CreditReport, QueryLog
from creditinfo.services import reports as services
from tests.creditinfo.test_reports import _media, enterprise, officer, sme  # noqa: F401  (shared fixtures)
from tests.factories import OfficerFactory, SmeUserFactory, StaffFactory
from tests.web.utils import english_client, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_pdf(monkeypatch):
    def render(template_name, context):
        return f"%PDF-1.7 fake {context['report'].number}".encode()

    monkeypatch.setattr(services, "render_pdf", render)


def _post_request(client, capture, **data):
    with capture(execute=True):
        return client.post(reverse("creditinfo:report_request"), data)


def _ready_report(capture, *, user, enterprise) -> CreditReport:  # noqa: F811
    with capture(execute=True):
        report = services.report_request(enterprise_id=enterprise.pk, user=user)
    report.refresh_from_db()
    assert report.status == CreditReport.Status.READY
    return report


def test_sme_requests_a_report_and_lands_on_its_status_page(sme, enterprise, django_capture_on_commit_callbacks):  # noqa: F811
    client = logged_in(sme)
    response = _post_request(client, django_capture_on_commit_callbacks)
    report = CreditReport.objects.get()
    assert (report.enterprise, report.requested_by, report.status) == (enterprise, sme, CreditReport.Status.READY)
    assert response.status_code == 302 and response.url == reverse("creditinfo:report_detail", args=[report.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    content = page.content.decode()
    assert report.number in content and reverse("creditinfo:report_download", args=[report.pk]) in content
    assert 'hx-trigger="every 2s"' not in content


def test_a_pending_report_polls_every_two_seconds_until_ready(sme, enterprise, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.report_request(enterprise_id=enterprise.pk, user=sme)
    client = logged_in(sme)
    status_url = reverse("creditinfo:report_status", args=[report.pk])
    content = client.get(reverse("creditinfo:report_detail", args=[report.pk])).content.decode()
    assert f'hx-get="{status_url}"' in content and 'hx-trigger="every 2s"' in content
    assert reverse("creditinfo:report_download", args=[report.pk]) not in content
    callbacks[0]()  # the worker finishes
    part = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in part and reverse("creditinfo:report_download", args=[report.pk]) in part
    assert "<html" not in part  # the fragment alone


def test_download_is_a_pdf_named_after_the_report_number(sme, enterprise, django_capture_on_commit_callbacks):  # noqa: F811
    report = _ready_report(django_capture_on_commit_callbacks, user=sme, enterprise=enterprise)
    response = logged_in(sme).get(reverse("creditinfo:report_download", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{report.number}.pdf"'
    assert b"".join(response.streaming_content) == f"%PDF-1.7 fake {report.number}".encode()


def test_sme_list_shows_only_its_own_reports(sme, enterprise, django_capture_on_commit_callbacks):  # noqa: F811
    mine = _ready_report(django_capture_on_commit_callbacks, user=sme, enterprise=enterprise)
    other = SmeUserFactory()
    theirs = _ready_report(django_capture_on_commit_callbacks, user=other, enterprise=other.membership.enterprise)
    content = logged_in(sme).get(reverse("creditinfo:report_list")).content.decode()
    assert mine.number in content and theirs.number not in content
    for name in ("report_detail", "report_status", "report_download"):
        assert logged_in(sme).get(reverse(f"creditinfo:{name}", args=[theirs.pk])).status_code == 404


def test_officer_requests_only_under_a_live_authorization_and_downloads_are_logged(
    officer,  # noqa: F811
    enterprise,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client = logged_in(officer)
    listing = client.get(reverse("creditinfo:report_list")).content.decode()
    assert f'<option value="{enterprise.pk}">' in listing  # the enterprises that authorized the institution
    response = _post_request(client, django_capture_on_commit_callbacks, enterprise=enterprise.pk)
    report = CreditReport.objects.get()
    assert response.url == reverse("creditinfo:report_detail", args=[report.pk])
    logs = QueryLog.objects.filter(enterprise=enterprise, user=officer, what=QueryLog.What.REPORT)
    assert logs.count() == 1
    assert client.get(reverse("creditinfo:report_download", args=[report.pk])).status_code == 200
    assert logs.count() == 2
    enterprise.authorizations.update(revoked_at=timezone.now())
    assert client.get(reverse("creditinfo:report_download", args=[report.pk])).status_code == 404
    assert logs.count() == 2


def test_officer_without_authorization_gets_404_and_nothing_happens(enterprise, django_capture_on_commit_callbacks):  # noqa: F811
    response = _post_request(logged_in(OfficerFactory()), django_capture_on_commit_callbacks, enterprise=enterprise.pk)
    assert response.status_code == 404
    assert not CreditReport.objects.exists() and not QueryLog.objects.exists()


def test_officer_request_without_an_enterprise_is_refused_with_a_message(officer, django_capture_on_commit_callbacks):  # noqa: F811
    response = _post_request(logged_in(officer), django_capture_on_commit_callbacks, enterprise="abc")
    assert response.status_code == 302 and response.url == reverse("creditinfo:report_list")
    assert not CreditReport.objects.exists()


def test_staff_and_anonymous_users_have_no_report_pages(db):
    assert logged_in(StaffFactory()).get(reverse("creditinfo:report_list")).status_code == 403
    response = english_client().get(reverse("creditinfo:report_list"))
    assert response.status_code == 302 and "login" in response.url


# --- public verification -------------------------------------------------------------------------------------


def test_verify_shows_number_enterprise_issue_date_and_hash_to_anyone(
    sme,  # noqa: F811
    enterprise,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    report = _ready_report(django_capture_on_commit_callbacks, user=sme, enterprise=enterprise)
    response = english_client().get(reverse("creditinfo:verify", args=[report.verification_code]))
    assert response.status_code == 200
    content = response.content.decode()
    issued = timezone.localtime(report.issued_at).date().isoformat()
    for shown in (report.number, enterprise.name, issued, report.content_hash):
        assert shown in content
    # Nothing of the report's content: no record, no evaluation, no identifier beyond the name.
    for record in enterprise.credit_records.all():
        assert record.title not in content and (not record.detail or record.detail not in content)
    assert enterprise.uscc not in content
    assert str(enterprise.evaluation.score) not in content


@pytest.mark.parametrize("typed", ["lower", "grouped"])
def test_verify_accepts_the_code_as_people_type_it(sme, enterprise, django_capture_on_commit_callbacks, typed):  # noqa: F811
    report = _ready_report(django_capture_on_commit_callbacks, user=sme, enterprise=enterprise)
    code = report.verification_code
    code = code.lower() if typed == "lower" else services.verification_code_display(code)
    assert english_client().get(reverse("creditinfo:verify", args=[code])).status_code == 200
    lookup = english_client().get(reverse("creditinfo:verify_lookup"), {"code": f" {code} "})
    assert lookup.status_code == 302
    assert lookup.url == reverse("creditinfo:verify", args=[report.verification_code])


def test_unknown_or_unfinished_codes_answer_404_no_such_report(sme, enterprise, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=False):
        pending = services.report_request(enterprise_id=enterprise.pk, user=sme)
    for code in ("AAAABBBBCCCCDDDD", pending.verification_code):
        response = english_client().get(reverse("creditinfo:verify", args=[code]))
        assert response.status_code == 404
        content = response.content.decode()
        assert "No such report" in content
        assert pending.number not in content and enterprise.name not in content


def test_verify_lookup_form_renders(db):
    response = english_client().get(reverse("creditinfo:verify_lookup"))
    assert response.status_code == 200 and 'name="code"' in response.content.decode()


def test_the_printed_verify_url_comes_from_the_request_host(
    sme,  # noqa: F811
    enterprise,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    seen = {}

    def render(template_name, context):
        seen["url"] = context["verify_url"]
        return b"%PDF-1.7"

    monkeypatch.setattr(services, "render_pdf", render)
    _post_request(logged_in(sme), django_capture_on_commit_callbacks)
    report = CreditReport.objects.get()
    assert seen["url"] == f"http://testserver/verify/{report.verification_code}/"


def test_list_page_query_count_does_not_grow_with_rows(sme, enterprise, officer):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CreditReportFactory

    counts = {}
    for viewer, batch in ((sme, {"requested_by": sme}), (officer, {"requested_by": officer})):
        client = logged_in(viewer)
        client.get(reverse("creditinfo:report_list"))  # session and language settle
        for total in (3, 30):
            CreditReportFactory.create_batch(total - (3 if total == 30 else 0), enterprise=enterprise, **batch)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("creditinfo:report_list")).status_code == 200
            counts[(viewer.role, total)] = len(queries)
    assert counts[("sme", 3)] == counts[("sme", 30)], counts
    assert counts[("officer", 3)] == counts[("officer", 30)], counts
