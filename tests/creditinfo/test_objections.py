"""Objections (异议): raising one marks the record disputed; staff in the enterprise's region answer it once."""

import datetime
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from creditinfo import tasks
from creditinfo.models import CreditRecord, Objection, RecordCategory, Severity
from creditinfo.publication import publication_end
from creditinfo.services import objections as svc
from tests.factories import (
    AdminFactory,
    CityFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    ObjectionFactory,
    OfficerFactory,
    ProvinceFactory,
    RepairRequestFactory,
    SmeUserFactory,
    StaffFactory,
)
from xinyidai.errors import DomainError
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
    return CreditRecordFactory(enterprise=sme.membership.enterprise)


@pytest.fixture
def staff():
    return StaffFactory()  # Zhengzhou 410100: the factories' enterprises sit in 金水区 410105 below it


@pytest.fixture
def luoyang_staff():
    luoyang = Region.objects.create(code="410300", name="洛阳市", level="city", parent=ProvinceFactory())
    return StaffFactory(region=luoyang)


@pytest.fixture
def recompute(monkeypatch):
    """Stands in for H2's evaluations_recompute task (absent or present) and records the calls."""
    task = mock.Mock()
    monkeypatch.setattr(tasks, "evaluations_recompute", task, raising=False)
    return task


def pdf(name="evidence.pdf", body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def test_raise_marks_the_record_disputed_and_sets_the_20_day_deadline(sme, record):
    objection = svc.objection_raise(user=sme, record_id=record.pk, reason="已撤销", evidence=pdf())
    record.refresh_from_db()
    assert record.status == CreditRecord.Status.DISPUTED
    assert objection.status == Objection.Status.OPEN
    assert objection.due_on == TODAY() + datetime.timedelta(days=20)
    assert objection.enterprise_id == record.enterprise_id and objection.raised_by == sme
    assert objection.evidence.name.endswith(".pdf")
    assert CreditRecord.objects.published().filter(pk=record.pk).exists()  # disputed stays published


def test_one_open_objection_per_record(sme, record):
    svc.objection_raise(user=sme, record_id=record.pk, reason="已撤销")
    with pytest.raises(DomainError) as error:
        svc.objection_raise(user=sme, record_id=record.pk, reason="again")
    assert error.value.code == "objection_open" and error.value.status == 409
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        ObjectionFactory(record=record)


def test_cannot_dispute_another_enterprises_record(record):
    stranger = SmeUserFactory()
    with pytest.raises(DomainError) as error:
        svc.objection_raise(user=stranger, record_id=record.pk, reason="x")
    assert error.value.status == 404
    record.refresh_from_db()
    assert record.status == CreditRecord.Status.ACTIVE


@pytest.mark.parametrize(
    "change",
    [
        {"status": CreditRecord.Status.EXPIRED},
        {"status": CreditRecord.Status.REPAIRED},
        {"publish_until": datetime.date(2020, 1, 1), "decision_date": datetime.date(2019, 6, 1)},
    ],
)
def test_only_published_records_can_be_disputed(sme, record, change):
    CreditRecord.objects.filter(pk=record.pk).update(**change)
    with pytest.raises(DomainError) as error:
        svc.objection_raise(user=sme, record_id=record.pk, reason="x")
    assert error.value.code == "not_published"
    assert not Objection.objects.exists()


def test_no_objection_while_a_repair_is_pending(sme, record):
    RepairRequestFactory(record=record, requested_by=sme)
    with pytest.raises(DomainError) as error:
        svc.objection_raise(user=sme, record_id=record.pk, reason="x")
    assert error.value.code == "repair_pending"


@pytest.mark.parametrize(
    ("name", "body", "size"),
    [
        ("evidence.exe", b"MZ\x90\x00", None),
        ("evidence.pdf", b"MZ\x90\x00 not a pdf", None),  # the name lies: the content decides
        ("photo.png", b"\xff\xd8\xff\xe0 jpeg named png", None),
        ("big.pdf", b"%PDF-1.4", 10 * 1024 * 1024 + 1),
    ],
)
def test_bad_evidence_is_a_400_and_changes_nothing(sme, record, name, body, size):
    upload = SimpleUploadedFile(name, body if size is None else body + b"0" * (size - len(body)))
    with pytest.raises(DomainError) as error:
        svc.objection_raise(user=sme, record_id=record.pk, reason="x", evidence=upload)
    assert error.value.status == 400 and "evidence" in error.value.detail
    record.refresh_from_db()
    assert record.status == CreditRecord.Status.ACTIVE and not Objection.objects.exists()


@pytest.mark.parametrize(
    ("name", "body"),
    [("a.PNG", b"\x89PNG\r\n\x1a\nrest"), ("b.jpeg", b"\xff\xd8\xff\xe0rest"), ("c.jpg", b"\xff\xd8\xffx")],
)
def test_images_are_accepted_as_evidence(sme, record, name, body):
    svc.objection_raise(user=sme, record_id=record.pk, reason="x", evidence=SimpleUploadedFile(name, body))
    assert Objection.objects.get().evidence


def test_blank_reason_is_a_400(sme, record):
    with pytest.raises(DomainError) as error:
        svc.objection_raise(user=sme, record_id=record.pk, reason="   ")
    assert error.value.status == 400 and "reason" in error.value.detail


# --- resolving ---------------------------------------------------------------------------------------------


@pytest.fixture
def objection(sme, record):
    return svc.objection_raise(user=sme, record_id=record.pk, reason="处罚已被复议撤销")


def test_removed_takes_the_record_out_and_triggers_reevaluation(
    objection, staff, recompute, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        svc.objection_resolve(objection_id=objection.pk, user=staff, outcome="removed", response="核实撤销")
    objection.refresh_from_db()
    record = objection.record
    record.refresh_from_db()
    assert (objection.status, record.status) == (Objection.Status.REMOVED, CreditRecord.Status.REMOVED)
    assert objection.resolved_by == staff and objection.resolved_at and objection.response == "核实撤销"
    assert not CreditRecord.objects.published().filter(pk=record.pk).exists()
    recompute.delay.assert_called_once_with(enterprise_ids=[record.enterprise_id])


def test_unresolved_keeps_both_statements_and_the_record(objection, staff, recompute):
    svc.objection_resolve(objection_id=objection.pk, user=staff, outcome="unresolved", response="原处罚有效")
    objection.record.refresh_from_db()
    assert objection.record.status == CreditRecord.Status.ACTIVE
    statements = svc.record_statements([objection.record_id, 999_999])
    assert statements == {
        objection.record_id: [
            {
                "objection_id": objection.pk,
                "enterprise": "处罚已被复议撤销",
                "platform": "原处罚有效",
                "answered_on": TODAY(),
            }
        ]
    }
    recompute.delay.assert_not_called()


def test_corrected_edits_the_record_and_recomputes_its_window(
    objection, staff, recompute, django_capture_on_commit_callbacks
):
    new_date = TODAY() - datetime.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        svc.objection_resolve(
            objection_id=objection.pk,
            user=staff,
            outcome="corrected",
            response="已更正",
            corrections={"title": "更正后的标题", "decision_date": new_date, "severity": Severity.MINOR},
        )
    record = CreditRecord.objects.get(pk=objection.record_id)
    assert (record.title, record.decision_date, record.severity) == ("更正后的标题", new_date, Severity.MINOR)
    assert record.status == CreditRecord.Status.ACTIVE
    assert record.publish_until == publication_end(
        category=RecordCategory.PENALTY, severity=Severity.MINOR, decision_date=new_date, publish_until=None
    )
    assert record.detail == "罚款人民币五千元"  # not named, not changed
    recompute.delay.assert_called_once()


def test_correction_keeps_a_binding_source_end(sme, staff):
    """GIVEN a record whose source ended publication earlier than its severity rule would
    WHEN the severity is corrected to a longer one THEN the source's end still binds."""
    decided = TODAY() - datetime.timedelta(days=30)
    record = CreditRecordFactory(
        enterprise=sme.membership.enterprise, decision_date=decided, publish_until=TODAY() + datetime.timedelta(days=5)
    )
    objection = svc.objection_raise(user=sme, record_id=record.pk, reason="x")
    svc.objection_resolve(
        objection_id=objection.pk,
        user=staff,
        outcome="corrected",
        response="ok",
        corrections={"severity": Severity.SERIOUS},
    )
    record.refresh_from_db()
    assert record.publish_until == TODAY() + datetime.timedelta(days=5)


def test_correction_to_a_future_date_is_a_400_and_changes_nothing(objection, staff):
    with pytest.raises(DomainError) as error:
        svc.objection_resolve(
            objection_id=objection.pk,
            user=staff,
            outcome="corrected",
            response="x",
            corrections={"decision_date": TODAY() + datetime.timedelta(days=1)},
        )
    assert error.value.status == 400 and "decision_date" in error.value.detail
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN


def test_resolving_twice_is_409(objection, staff):
    svc.objection_resolve(objection_id=objection.pk, user=staff, outcome="unresolved", response="x")
    with pytest.raises(DomainError) as error:
        svc.objection_resolve(objection_id=objection.pk, user=staff, outcome="removed", response="y")
    assert (error.value.status, error.value.code) == (409, "invalid_transition")
    assert CreditRecord.objects.get(pk=objection.record_id).status == CreditRecord.Status.ACTIVE


def test_only_staff_of_the_region_or_admins_resolve(objection, luoyang_staff, sme):
    for outsider, status in ((luoyang_staff, 404), (sme, 403), (OfficerFactory(), 403)):
        with pytest.raises(DomainError) as error:
            svc.objection_resolve(objection_id=objection.pk, user=outsider, outcome="removed", response="x")
        assert error.value.status == status
    svc.objection_resolve(objection_id=objection.pk, user=AdminFactory(), outcome="removed", response="x")


def test_province_staff_resolve_objections_of_any_city():
    province_staff = StaffFactory(region=ProvinceFactory())
    objection = ObjectionFactory()
    svc.objection_resolve(objection_id=objection.pk, user=province_staff, outcome="unresolved", response="x")


def test_resolving_an_objection_on_an_expired_record_leaves_it_expired(objection, staff):
    CreditRecord.objects.filter(pk=objection.record_id).update(status=CreditRecord.Status.EXPIRED)
    svc.objection_resolve(objection_id=objection.pk, user=staff, outcome="unresolved", response="x")
    assert CreditRecord.objects.get(pk=objection.record_id).status == CreditRecord.Status.EXPIRED


# --- visibility and the profile helpers --------------------------------------------------------------------


def test_visible_to(objection, sme, staff, luoyang_staff):
    assert list(Objection.objects.visible_to(sme)) == [objection]
    assert list(Objection.objects.visible_to(staff)) == [objection]
    assert list(Objection.objects.visible_to(AdminFactory())) == [objection]
    for outsider in (luoyang_staff, SmeUserFactory(), OfficerFactory()):
        assert not Objection.objects.visible_to(outsider).exists()


def test_overdue_is_open_and_past_its_due_date():
    late = ObjectionFactory(due_on=TODAY() - datetime.timedelta(days=1))
    ObjectionFactory(due_on=TODAY())  # due today: not yet late
    ObjectionFactory(due_on=TODAY() - datetime.timedelta(days=3), status=Objection.Status.UNRESOLVED)
    assert list(Objection.objects.overdue()) == [late]


def test_record_action_flags_in_two_queries(django_assert_num_queries):
    enterprise = EnterpriseFactory()
    disputed, repairing, plain = (CreditRecordFactory(enterprise=enterprise) for _ in range(3))
    ObjectionFactory(record=disputed)
    ObjectionFactory(record=plain, status=Objection.Status.UNRESOLVED)
    RepairRequestFactory(record=repairing)
    with django_assert_num_queries(2):
        flags = svc.record_action_flags([disputed.pk, repairing.pk, plain.pk])
    assert flags == {"open_objection_ids": {disputed.pk}, "pending_repair_ids": {repairing.pk}}


def test_recompute_is_skipped_while_the_evaluation_task_does_not_exist(monkeypatch, objection, staff):
    monkeypatch.delattr(tasks, "evaluations_recompute", raising=False)
    svc.objection_resolve(objection_id=objection.pk, user=staff, outcome="removed", response="x")  # no error


def test_city_factory_region_is_the_staff_region(staff):
    assert staff.region == CityFactory()  # the scope the tests above rely on
