"""Credit repair (信用修复): the severity's minimum period, the obligation date, one pending request; approval
takes the record out of publication and triggers re-evaluation."""

import datetime
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from creditinfo import tasks
from creditinfo.models import CreditRecord, RecordCategory, RepairRequest, Severity
from creditinfo.publication import add_months
from creditinfo.services.objections import objection_raise
from creditinfo.services.repairs import repair_request_approve, repair_request_reject, repair_request_submit
from tests.factories import CreditRecordFactory, OfficerFactory, RepairRequestFactory, SmeUserFactory, StaffFactory
from xinyidai.errors import DomainError

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sme():
    return SmeUserFactory()


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def recompute(monkeypatch):
    task = mock.Mock()
    monkeypatch.setattr(tasks, "evaluations_recompute", task, raising=False)
    return task


def negative(sme, *, months_ago: int, severity=Severity.GENERAL, **kwargs):
    decided = add_months(TODAY(), -months_ago)
    return CreditRecordFactory(
        enterprise=sme.membership.enterprise,
        decision_date=decided,
        severity=severity,
        publish_until=add_months(decided, 12 * 3),
        **kwargs,
    )


def submit(sme, record, fulfilled=None, statement="罚款已缴清"):
    return repair_request_submit(
        user=sme,
        record_id=record.pk,
        obligation_fulfilled_on=fulfilled or TODAY() - datetime.timedelta(days=1),
        statement=statement,
    )


@pytest.mark.parametrize(
    ("severity", "minimum_months"), [(Severity.MINOR, 0), (Severity.GENERAL, 3), (Severity.SERIOUS, 12)]
)
def test_minimum_period_boundary(sme, severity, minimum_months):
    """On the earliest day the request is accepted; one day before, it is refused with that date."""
    earliest_today = negative(sme, months_ago=minimum_months, severity=severity)
    assert submit(sme, earliest_today, fulfilled=earliest_today.decision_date).status == RepairRequest.Status.PENDING
    if minimum_months:
        day_short = CreditRecordFactory(
            enterprise=sme.membership.enterprise,
            severity=severity,
            decision_date=add_months(TODAY(), -minimum_months) + datetime.timedelta(days=1),
        )
        with pytest.raises(DomainError) as error:
            submit(sme, day_short, fulfilled=day_short.decision_date)
        assert error.value.code == "too_early"
        assert TODAY().isoformat() != error.value.detail["earliest"]
        assert error.value.detail["earliest"] in str(error.value.message)


def test_too_early_names_the_earliest_date(sme):
    record = negative(sme, months_ago=1, severity=Severity.SERIOUS)
    with pytest.raises(DomainError) as error:
        submit(sme, record)
    earliest = add_months(record.decision_date, 12)
    assert earliest.strftime("%Y-%m-%d") in str(error.value.message)
    assert not RepairRequest.objects.exists()


def test_obligation_date_not_in_the_future_nor_before_the_decision(sme):
    record = negative(sme, months_ago=6)
    for day in (TODAY() + datetime.timedelta(days=1), record.decision_date - datetime.timedelta(days=1)):
        with pytest.raises(DomainError) as error:
            submit(sme, record, fulfilled=day)
        assert error.value.status == 400 and "obligation_fulfilled_on" in error.value.detail
    assert submit(sme, record, fulfilled=TODAY()).obligation_fulfilled_on == TODAY()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"category": RecordCategory.HONOUR, "severity": ""},
        {"category": RecordCategory.PENALTY, "severity": ""},
    ],
)
def test_only_negative_records_with_a_severity(sme, kwargs):
    record = CreditRecordFactory(enterprise=sme.membership.enterprise, **kwargs)
    with pytest.raises(DomainError) as error:
        submit(sme, record)
    assert error.value.code == "not_repairable"


def test_record_must_still_be_published(sme):
    record = negative(sme, months_ago=6, status=CreditRecord.Status.EXPIRED)
    with pytest.raises(DomainError) as error:
        submit(sme, record)
    assert error.value.code == "not_published"


def test_one_pending_request_per_record(sme):
    record = negative(sme, months_ago=6)
    submit(sme, record)
    with pytest.raises(DomainError) as error:
        submit(sme, record)
    assert error.value.code == "repair_pending"
    with pytest.raises(IntegrityError), transaction.atomic():
        RepairRequestFactory(record=record)


def test_not_while_an_objection_is_open(sme):
    record = negative(sme, months_ago=6)
    objection_raise(user=sme, record_id=record.pk, reason="x")
    with pytest.raises(DomainError) as error:
        submit(sme, record)
    assert error.value.code == "objection_open"


def test_another_enterprises_record_is_404(sme):
    record = negative(SmeUserFactory(), months_ago=6)
    with pytest.raises(DomainError) as error:
        submit(sme, record)
    assert error.value.status == 404


def test_approve_takes_the_record_out_and_recomputes(sme, staff, recompute, django_capture_on_commit_callbacks):
    record = negative(sme, months_ago=6)
    repair = submit(sme, record)
    with django_capture_on_commit_callbacks(execute=True):
        repair_request_approve(repair_id=repair.pk, user=staff, note="材料齐全")
    repair.refresh_from_db()
    record.refresh_from_db()
    assert (repair.status, repair.decided_by, repair.decision_note) == ("approved", staff, "材料齐全")
    assert record.status == CreditRecord.Status.REPAIRED
    assert not CreditRecord.objects.published().filter(pk=record.pk).exists()
    recompute.delay.assert_called_once_with(enterprise_ids=[record.enterprise_id])


def test_reject_needs_a_note_and_keeps_the_record(sme, staff, recompute, django_capture_on_commit_callbacks):
    record = negative(sme, months_ago=6)
    repair = submit(sme, record)
    with pytest.raises(DomainError) as error:
        repair_request_reject(repair_id=repair.pk, user=staff, note=" ")
    assert error.value.status == 400 and "note" in error.value.detail
    with django_capture_on_commit_callbacks(execute=True):
        repair_request_reject(repair_id=repair.pk, user=staff, note="未提供缴款凭证")
    record.refresh_from_db()
    assert RepairRequest.objects.get().status == RepairRequest.Status.REJECTED
    assert record.status == CreditRecord.Status.ACTIVE
    recompute.delay.assert_not_called()
    submit(sme, record)  # a new request may follow a rejected one


def test_deciding_twice_is_409(sme, staff):
    repair = submit(sme, negative(sme, months_ago=6))
    repair_request_approve(repair_id=repair.pk, user=staff)
    for decide in (repair_request_approve, repair_request_reject):
        with pytest.raises(DomainError) as error:
            decide(repair_id=repair.pk, user=staff, note="again")
        assert (error.value.status, error.value.code) == (409, "invalid_transition")


def test_only_handlers_decide(sme):
    repair = submit(sme, negative(sme, months_ago=6))
    for outsider, status in ((sme, 403), (OfficerFactory(), 403)):
        with pytest.raises(DomainError) as error:
            repair_request_approve(repair_id=repair.pk, user=outsider)
        assert error.value.status == status
    assert RepairRequest.objects.get().status == RepairRequest.Status.PENDING
