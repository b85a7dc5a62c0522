"""Credit information events tell whoever must act or would want to know: staff of new objections and repair
requests, the enterprise of the answers and of a ready report, the institution of authorizations."""

import datetime

import pytest
from django.utils import timezone, translation

from creditinfo.models import Authorization, Severity
from creditinfo.publication import add_months
from creditinfo.services import reports
from creditinfo.services.authorizations import authorization_grant, authorization_revoke
from creditinfo.services.objections import objection_raise, objection_resolve
from creditinfo.services.repairs import repair_request_approve, repair_request_reject, repair_request_submit
from tests.factories import (
    AuthorizationFactory,
    BranchFactory,
    CreditRecordFactory,
    OfficerFactory,
    ProvinceFactory,
    SmeUserFactory,
    StaffFactory,
)
from xinyidai.models import Notification, Region
from xinyidai.notifications import render

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sme():
    return SmeUserFactory()


@pytest.fixture
def partner(sme):
    """A second user of the same enterprise."""
    return SmeUserFactory(enterprise=sme.membership.enterprise)


@pytest.fixture
def staff():
    return StaffFactory()  # 郑州市: the factories' enterprises are in 金水区 below it


def told(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("user_id"))


def users(kind: str) -> set[int]:
    return {n.user_id for n in told(kind)}


def test_an_objection_tells_the_staff_of_the_region_and_above_and_its_answer_tells_the_enterprise(sme, partner, staff):
    province_staff = StaffFactory(region=ProvinceFactory())
    luoyang = Region.objects.create(code="410300", name="洛阳市", level="city", parent=ProvinceFactory())
    StaffFactory(region=luoyang)  # not theirs
    record = CreditRecordFactory(enterprise=sme.membership.enterprise, title="行政处罚决定书")
    objection = objection_raise(user=sme, record_id=record.pk, reason="已撤销")
    assert users("objection_raised") == {staff.pk, province_staff.pk}
    [raised] = told("objection_raised")[:1]
    assert raised.url == f"/objections/{objection.pk}/" and raised.params["record"] == "行政处罚决定书"

    objection_resolve(objection_id=objection.pk, user=staff, outcome="removed", response="核实撤销")
    assert users("objection_resolved") == {sme.pk, partner.pk}
    [answer] = told("objection_resolved")[:1]
    assert answer.url == f"/objections/{objection.pk}/"
    with translation.override("en"):
        assert render(answer.kind, answer.params)[1].endswith("Mark removed.")


def _negative_record(sme):
    decided = add_months(TODAY(), -6)
    return CreditRecordFactory(
        enterprise=sme.membership.enterprise,
        decision_date=decided,
        severity=Severity.GENERAL,
        publish_until=add_months(decided, 36),
    )


@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_a_repair_request_tells_staff_and_its_decision_tells_the_enterprise(sme, partner, staff, decision):
    record = _negative_record(sme)
    repair = repair_request_submit(
        user=sme, record_id=record.pk, obligation_fulfilled_on=TODAY() - datetime.timedelta(days=1), statement="已缴清"
    )
    assert users("repair_requested") == {staff.pk}
    assert told("repair_requested")[0].url == f"/repairs/{repair.pk}/"
    if decision == "approved":
        repair_request_approve(repair_id=repair.pk, user=staff)
    else:
        repair_request_reject(repair_id=repair.pk, user=staff, note="证据不足")
    assert users(f"repair_{decision}") == {sme.pk, partner.pk}
    if decision == "rejected":
        assert told("repair_rejected")[0].params["note"] == "证据不足"


def test_a_ready_report_tells_the_enterprise_when_it_asked(
    sme, partner, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reports, "report_render", lambda **kwargs: b"%PDF-1.4 test")
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.report_request(enterprise_id=sme.membership.enterprise.pk, user=sme)
    assert users("credit_report_ready") == {sme.pk, partner.pk}
    report.refresh_from_db()
    note = told("credit_report_ready")[0]
    assert note.url == f"/reports/{report.pk}/" and note.params["number"] == report.number
    # Generating again (a redelivered task) tells nobody twice.
    reports.report_generate(report_id=report.pk)
    assert len(told("credit_report_ready")) == 2


def test_a_ready_report_tells_only_the_officer_who_asked(sme, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(reports, "report_render", lambda **kwargs: b"%PDF-1.4 test")
    officer = OfficerFactory()
    AuthorizationFactory(enterprise=sme.membership.enterprise, institution=officer.institution)
    with django_capture_on_commit_callbacks(execute=True):
        reports.report_request(enterprise_id=sme.membership.enterprise.pk, user=officer)
    assert users("credit_report_ready") == {officer.pk}


def test_authorizations_granted_and_revoked_tell_the_institutions_officers(sme):
    branch = BranchFactory()
    officers = {OfficerFactory(institution=branch).pk, OfficerFactory(institution=branch).pk}
    OfficerFactory()  # another institution
    authorization = authorization_grant(
        enterprise=sme.membership.enterprise,
        institution=branch,
        purpose=Authorization.Purpose.LOAN_REVIEW,
        days=30,
        user=sme,
    )
    assert users("authorization_granted") == officers
    granted = told("authorization_granted")[0]
    assert granted.url == f"/enterprises/{sme.membership.enterprise.pk}/"
    with translation.override("en"):
        assert "for loan review until" in render(granted.kind, granted.params)[1].lower()

    authorization_revoke(authorization_id=authorization.pk, user=sme)
    authorization_revoke(authorization_id=authorization.pk, user=sme)  # again: nothing new
    assert users("authorization_revoked") == officers and len(told("authorization_revoked")) == 2
