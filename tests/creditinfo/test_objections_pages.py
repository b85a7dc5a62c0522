"""Objection and repair pages: the SME's forms and list, the staff queue (overdue flagged), detail and answers;
scope (404 outside it) and constant query counts for the list pages."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from creditinfo.models import CreditRecord, Objection, RecordCategory, RepairRequest
from creditinfo.publication import add_months
from tests.factories import (
    CreditRecordFactory,
    EnterpriseFactory,
    ObjectionFactory,
    ProvinceFactory,
    RepairRequestFactory,
    SmeUserFactory,
    StaffFactory,
)
from tests.web.utils import logged_in
from xinyidai.models import Region

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sme():
    return SmeUserFactory()


@pytest.fixture
def record(sme):
    return CreditRecordFactory(enterprise=sme.membership.enterprise, decision_date=add_months(TODAY(), -6))


@pytest.fixture
def staff():
    return StaffFactory()


def test_sme_disputes_a_record_with_evidence(sme, record):
    client = logged_in(sme)
    url = reverse("creditinfo:record_dispute", args=[record.pk])
    assert client.get(url).status_code == 200
    evidence = SimpleUploadedFile("e.pdf", b"%PDF-1.7 body", content_type="application/pdf")
    response = client.post(url, {"reason": "已缴清并撤销", "evidence": evidence})
    assert response.status_code == 302 and response["Location"] == reverse("creditinfo:enterprise_objections")
    record.refresh_from_db()
    assert record.status == CreditRecord.Status.DISPUTED
    page = client.get(reverse("creditinfo:enterprise_objections"))
    assert record.title in page.content.decode()


def test_bad_evidence_rerenders_with_400(sme, record):
    evidence = SimpleUploadedFile("e.pdf", b"not a pdf")
    response = logged_in(sme).post(
        reverse("creditinfo:record_dispute", args=[record.pk]), {"reason": "x", "evidence": evidence}
    )
    assert response.status_code == 400
    assert "PDF, JPG or PNG" in response.content.decode()
    assert not Objection.objects.exists()


def test_another_enterprises_record_is_404(record):
    client = logged_in(SmeUserFactory())
    assert client.get(reverse("creditinfo:record_dispute", args=[record.pk])).status_code == 404
    assert client.get(reverse("creditinfo:record_repair", args=[record.pk])).status_code == 404


def test_repair_too_early_shows_the_earliest_date(sme):
    record = CreditRecordFactory(enterprise=sme.membership.enterprise, severity="serious")
    response = logged_in(sme).post(
        reverse("creditinfo:record_repair", args=[record.pk]),
        {"obligation_fulfilled_on": TODAY().isoformat(), "statement": "已履行"},
    )
    assert response.status_code == 409
    assert add_months(record.decision_date, 12).isoformat() in response.content.decode()


def test_repair_request_and_staff_approval(sme, record, staff):
    logged_in(sme).post(
        reverse("creditinfo:record_repair", args=[record.pk]),
        {"obligation_fulfilled_on": TODAY().isoformat(), "statement": "已履行"},
    )
    repair = RepairRequest.objects.get()
    client = logged_in(staff)
    assert client.get(reverse("creditinfo:repair_queue")).status_code == 200
    detail = client.get(reverse("creditinfo:repair_detail", args=[repair.pk]))
    assert detail.status_code == 200 and detail.context["form"] is not None
    bad = client.post(reverse("creditinfo:repair_decide", args=[repair.pk]), {"decision": "reject", "note": ""})
    assert bad.status_code == 400
    client.post(reverse("creditinfo:repair_decide", args=[repair.pk]), {"decision": "approve", "note": "同意"})
    record.refresh_from_db()
    assert record.status == CreditRecord.Status.REPAIRED


def test_staff_queue_orders_by_due_date_and_flags_overdue(staff):
    later = ObjectionFactory(due_on=TODAY() + datetime.timedelta(days=5))
    late = ObjectionFactory(due_on=TODAY() - datetime.timedelta(days=2))
    ObjectionFactory(status=Objection.Status.REMOVED)
    client = logged_in(staff)
    response = client.get(reverse("creditinfo:objection_queue"))
    assert list(response.context["page_obj"]) == [late, later]
    assert response.content.decode().count("xyd-overdue") == 1
    overdue = client.get(reverse("creditinfo:objection_queue"), {"show": "overdue"})
    assert list(overdue.context["page_obj"]) == [late]


def test_queue_is_limited_to_the_staff_region(staff):
    luoyang = Region.objects.create(code="410300", name="洛阳市", level="city", parent=ProvinceFactory())
    ObjectionFactory()
    response = logged_in(StaffFactory(region=luoyang)).get(reverse("creditinfo:objection_queue"))
    assert list(response.context["page_obj"]) == []
    objection = Objection.objects.get()
    assert (
        logged_in(StaffFactory(region=luoyang))
        .get(reverse("creditinfo:objection_detail", args=[objection.pk]))
        .status_code
        == 404
    )


def test_sme_and_officer_cannot_open_the_queue(sme):
    assert logged_in(sme).get(reverse("creditinfo:objection_queue")).status_code == 403


def test_staff_resolves_unresolved_and_the_sme_sees_both_statements(sme, record, staff):
    logged_in(sme).post(reverse("creditinfo:record_dispute", args=[record.pk]), {"reason": "企业陈述"})
    objection = Objection.objects.get()
    client = logged_in(staff)
    url = reverse("creditinfo:objection_resolve", args=[objection.pk])
    assert client.post(url, {"outcome": "unresolved", "response": ""}).status_code == 400
    response = client.post(url, {"outcome": "unresolved", "response": "平台说明", "title": record.title})
    assert response.status_code == 302
    again = client.post(url, {"outcome": "removed", "response": "x"}, follow=True)
    assert "already been answered" in again.content.decode()
    page = logged_in(sme).get(reverse("creditinfo:objection_detail", args=[objection.pk])).content.decode()
    assert "企业陈述" in page and "平台说明" in page
    assert CreditRecord.objects.get(pk=record.pk).status == CreditRecord.Status.ACTIVE


def test_evidence_download_is_scoped(sme, record, staff):
    evidence = SimpleUploadedFile("e.png", b"\x89PNG\r\n\x1a\nimage")
    logged_in(sme).post(reverse("creditinfo:record_dispute", args=[record.pk]), {"reason": "x", "evidence": evidence})
    url = reverse("creditinfo:objection_evidence", args=[Objection.objects.get().pk])
    response = logged_in(staff).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert logged_in(SmeUserFactory()).get(url).status_code == 404


def test_record_actions_partial_runs_no_queries(django_assert_num_queries):
    enterprise = EnterpriseFactory()
    plain = CreditRecordFactory(enterprise=enterprise)
    disputed = CreditRecordFactory(enterprise=enterprise, status=CreditRecord.Status.DISPUTED)
    repairing = CreditRecordFactory(enterprise=enterprise)
    honour = CreditRecordFactory(enterprise=enterprise, category=RecordCategory.HONOUR, severity="")
    flags = {"open_objection_ids": {disputed.pk}, "pending_repair_ids": {repairing.pk}}

    def render(record):
        return render_to_string("creditinfo/_record_actions.html", {"record": record, **flags})

    with django_assert_num_queries(0):
        html = {r: render(r) for r in (plain, disputed, repairing, honour)}
    assert reverse("creditinfo:record_dispute", args=[plain.pk]) in html[plain]
    assert reverse("creditinfo:record_repair", args=[plain.pk]) in html[plain]
    assert "record_dispute" not in html[disputed] and "/dispute/" not in html[disputed]
    assert "/dispute/" not in html[repairing] and "/repair/" not in html[repairing]
    assert "/dispute/" in html[honour] and "/repair/" not in html[honour]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["page_obj"]) > 0
    return len(ctx.captured_queries)


def _constant(client, url, add_rows):
    add_rows(3)
    client.get(url)
    with_3 = _count(client, url)
    add_rows(27)
    assert _count(client, url) == with_3, f"{url}: a query per row?"


def test_list_pages_query_counts_are_constant(sme, staff):
    enterprise = sme.membership.enterprise

    def add_own(n):
        for _ in range(n):
            record = CreditRecordFactory(enterprise=enterprise)
            ObjectionFactory(record=record)
            RepairRequestFactory(record=CreditRecordFactory(enterprise=enterprise))

    _constant(logged_in(sme), reverse("creditinfo:enterprise_objections"), add_own)

    def add_objections(n):
        for _ in range(n):
            ObjectionFactory()

    def add_repairs(n):
        for _ in range(n):
            RepairRequestFactory()

    _constant(logged_in(staff), reverse("creditinfo:objection_queue"), add_objections)
    _constant(logged_in(staff), reverse("creditinfo:repair_queue"), add_repairs)
