"""Credit repair (信用修复, DOMAIN.md §3): once the obligation is met and the severity's minimum publication period
has passed, the enterprise asks for a negative record to leave publication early; platform staff decide."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import NEGATIVE_CATEGORIES, CreditRecord, Objection, RepairRequest, Severity
from creditinfo.publication import repair_earliest
from creditinfo.services.objections import (
    evaluations_recompute_later,
    evidence_validate,
    invalid,
    own_record_locked,
    require_handler,
    require_published,
    tell_enterprise,
    tell_handlers,
)
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.services.audit import Action, audit_record


def is_repairable(record: CreditRecord) -> bool:
    """Negative records with a severity can be repaired (the severity fixes the minimum period)."""
    return record.category in NEGATIVE_CATEGORIES and record.severity in Severity.values


def _check_request(record: CreditRecord, obligation_fulfilled_on: datetime.date) -> None:
    if not is_repairable(record):
        raise DomainError(code="not_repairable", message=_("Only dishonesty records with a severity can be repaired."))
    require_published(record)
    today = timezone.localdate()
    if obligation_fulfilled_on > today:
        raise invalid("obligation_fulfilled_on", _("The obligation cannot be fulfilled on a future date."))
    if obligation_fulfilled_on < record.decision_date:
        raise invalid("obligation_fulfilled_on", _("The obligation cannot be fulfilled before the decision date."))
    earliest = repair_earliest(severity=record.severity, decision_date=record.decision_date)
    if today < earliest:
        raise DomainError(
            code="too_early",
            message=_("This record can be repaired from %(date)s, after its minimum publication period.")
            % {"date": formats.date_format(earliest, "Y-m-d")},
            detail={"earliest": earliest.isoformat()},
        )
    if record.repair_requests.filter(status=RepairRequest.Status.PENDING).exists():
        raise DomainError(code="repair_pending", message=_("A repair request for this record is under review."))
    if record.objections.filter(status=Objection.Status.OPEN).exists():
        raise DomainError(code="objection_open", message=_("Wait for the answer to your objection first."))


@transaction.atomic
def repair_request_submit(
    *, user, record_id: int, obligation_fulfilled_on: datetime.date, statement: str, evidence=None
) -> RepairRequest:
    """The SME asks for early repair of one of its published negative records."""
    statement = (statement or "").strip()
    if not statement:
        raise invalid("statement", _("Describe how the obligation was fulfilled."))
    if obligation_fulfilled_on is None:
        raise invalid("obligation_fulfilled_on", _("Give the date the obligation was fulfilled."))
    evidence_validate(evidence)
    record = own_record_locked(user=user, record_id=record_id)
    _check_request(record, obligation_fulfilled_on)
    repair = RepairRequest.objects.create(
        record=record,
        enterprise_id=record.enterprise_id,
        requested_by=user,
        obligation_fulfilled_on=obligation_fulfilled_on,
        statement=statement,
        evidence=evidence or "",
    )
    tell_handlers(repair, "repair_requested", url=_url(repair), repair_id=repair.pk)
    return repair


def _url(repair: RepairRequest) -> str:
    return reverse("creditinfo:repair_detail", args=[repair.pk])


def _lock_pending(repair_id: int, user) -> RepairRequest:
    repair = RepairRequest.objects.select_for_update().get(pk=repair_id)
    require_handler(user, repair)
    if repair.status != RepairRequest.Status.PENDING:
        raise InvalidTransition(
            code="invalid_transition",
            message=_("This repair request has already been decided."),
            detail={"status": repair.status, "allowed_from": [RepairRequest.Status.PENDING]},
        )
    return repair


def _decide(repair: RepairRequest, *, user, status: str, note: str) -> RepairRequest:
    repair.status, repair.decision_note = status, note
    repair.decided_by, repair.decided_at = user, timezone.now()
    repair.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    kind = "repair_approved" if status == RepairRequest.Status.APPROVED else "repair_rejected"
    tell_enterprise(repair, kind, url=_url(repair), repair_id=repair.pk, note=note)
    audit_record(
        action=Action.REPAIR_DECIDED, actor=user, obj=repair, data={"status": status, "record_id": repair.record_id}
    )
    return repair


@transaction.atomic
def repair_request_approve(*, repair_id: int, user, note: str = "") -> RepairRequest:
    """Staff approve: the record leaves publication (status repaired) and the evaluation is recomputed."""
    repair = _lock_pending(repair_id, user)
    record = CreditRecord.objects.select_for_update().get(pk=repair.record_id)
    require_published(record)
    record.status, record.updated_at = CreditRecord.Status.REPAIRED, timezone.now()
    record.save(update_fields=["status", "updated_at"])
    evaluations_recompute_later(enterprise_ids=[record.enterprise_id])
    return _decide(repair, user=user, status=RepairRequest.Status.APPROVED, note=(note or "").strip())


@transaction.atomic
def repair_request_reject(*, repair_id: int, user, note: str) -> RepairRequest:
    """Staff reject with the reason; the record stays published."""
    note = (note or "").strip()
    if not note:
        raise invalid("note", _("Say why the repair is rejected."))
    repair = _lock_pending(repair_id, user)
    return _decide(repair, user=user, status=RepairRequest.Status.REJECTED, note=note)
