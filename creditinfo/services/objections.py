"""Objections (异议, DOMAIN.md §3): the enterprise disputes one of its published records; platform staff answer
within 20 days: corrected, mark removed, or unresolved with both statements kept.

Also the evidence-file check and the re-evaluation trigger that repairs and the nightly expiry share, and two
reads the profile page needs (statements and action flags per record, one query each).
"""

import datetime
import os

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import CreditRecord, EnterpriseMembership, Objection, RepairRequest, Severity
from creditinfo.publication import is_published, publication_end
from creditinfo.services.enterprises import enterprise_for_user
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.notifications import notify, staff_of
from xinyidai.services.audit import Action, audit_record

ANSWER_DAYS = 20  # calendar days: "verified and answered within 20 days"
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Extension -> accepted leading bytes: the name alone proves nothing about the content.
EVIDENCE_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
CORRECTABLE_FIELDS = ("title", "detail", "decision_date", "severity", "publish_until")


def invalid(field: str, message) -> DomainError:
    """A 400 naming one input field (the form shows it there; the API puts it in `detail`)."""
    return DomainError(code="invalid", message=message, status=400, detail={field: [str(message)]})


def evidence_validate(evidence) -> None:
    """Refuse an evidence file that is not a PDF, JPG or PNG of at most 10 MB (checked by content, not name)."""
    if not evidence:
        return
    extension = os.path.splitext(evidence.name or "")[1].lower()
    if evidence.size > EVIDENCE_MAX_BYTES:
        raise invalid("evidence", _("The evidence file must be at most 10 MB."))
    evidence.seek(0)
    head = evidence.read(8)
    evidence.seek(0)
    if not any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES.get(extension, ())):
        raise invalid("evidence", _("The evidence must be a PDF, JPG or PNG file."))


def evaluations_recompute_later(*, enterprise_ids) -> None:
    """After the transaction commits, ask for the enterprises' evaluations to be recomputed (Celery)."""
    from creditinfo import tasks

    task = getattr(tasks, "evaluations_recompute", None)
    ids = sorted(set(enterprise_ids))
    if task is None or not ids:  # the evaluation task ships separately; until then nothing to trigger
        return
    transaction.on_commit(lambda: task.delay(enterprise_ids=ids))


def own_record_locked(*, user, record_id: int) -> CreditRecord:
    """The record, locked, if it belongs to the user's enterprise; otherwise a 404."""
    enterprise = enterprise_for_user(user) if user.is_sme else None
    record = None
    if enterprise is not None:
        record = CreditRecord.objects.select_for_update().filter(pk=record_id, enterprise=enterprise).first()
    if record is None:
        raise DomainError(code="not_found", message=_("No such record of your enterprise."), status=404)
    return record


def require_published(record: CreditRecord) -> None:
    today = timezone.localdate()
    if not is_published(
        status=record.status, decision_date=record.decision_date, publish_until=record.publish_until, today=today
    ):
        raise DomainError(code="not_published", message=_("This record is no longer published."))


def tell_enterprise(obj, kind: str, *, url: str, **params) -> None:
    """Tell the members of the objection's or repair request's enterprise (kind from xinyidai.notifications)."""
    members = EnterpriseMembership.objects.filter(enterprise_id=obj.enterprise_id).values_list("user_id", flat=True)
    notify(users=members, kind=kind, url=url, params={"record": obj.record.title, **params})


def tell_handlers(obj, kind: str, *, url: str, **params) -> None:
    """Tell the government staff of the enterprise's region and above: they answer objections and repairs."""
    enterprise = obj.enterprise
    params = {"record": obj.record.title, "enterprise": enterprise.name, **params}
    notify(users=staff_of(enterprise.region), kind=kind, url=url, params=params)


def require_handler(user, obj) -> None:
    """Only platform staff in whose region the enterprise sits (or platform admins) answer objections and repairs."""
    if not (user.is_gov_staff or user.is_platform_admin):
        raise DomainError(code="forbidden", message=_("Only platform staff can do this."), status=403)
    if not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
        raise DomainError(code="not_found", message=_("Not found."), status=404)


@transaction.atomic
def objection_raise(*, user, record_id: int, reason: str, evidence=None) -> Objection:
    """The SME disputes one of its published records; the record shows as disputed until the answer."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the record is wrong."))
    evidence_validate(evidence)
    record = own_record_locked(user=user, record_id=record_id)
    require_published(record)
    if record.objections.filter(status=Objection.Status.OPEN).exists():
        raise DomainError(code="objection_open", message=_("This record is already disputed."))
    if record.repair_requests.filter(status=RepairRequest.Status.PENDING).exists():
        # Disputing the facts and asking to repair them contradict each other: one at a time.
        raise DomainError(code="repair_pending", message=_("A repair request for this record is under review."))
    objection = Objection.objects.create(
        record=record,
        enterprise_id=record.enterprise_id,
        raised_by=user,
        reason=reason,
        evidence=evidence or "",
        due_on=timezone.localdate() + datetime.timedelta(days=ANSWER_DAYS),
    )
    record.status, record.updated_at = CreditRecord.Status.DISPUTED, timezone.now()
    record.save(update_fields=["status", "updated_at"])
    url = reverse("creditinfo:objection_detail", args=[objection.pk])
    tell_handlers(
        objection, "objection_raised", url=url, objection_id=objection.pk, due_on=objection.due_on.isoformat()
    )
    return objection


def _source_end(record: CreditRecord) -> datetime.date | None:
    """The end the source sent, as far as the stored effective end still tells it.

    `publish_until` stores min(source end, rule end). When it equals the rule end the source's own end is
    unknown (it was later or absent), so the new rule end alone decides; otherwise the source's end was binding.
    """
    rule_end = publication_end(
        category=record.category, severity=record.severity, decision_date=record.decision_date, publish_until=None
    )
    return None if record.publish_until == rule_end else record.publish_until


def _apply_correction(record: CreditRecord, corrections: dict) -> list[str]:
    unknown = set(corrections) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be corrected."))
    source_end = corrections.get("publish_until", _source_end(record))
    if corrections.get("decision_date") and corrections["decision_date"] > timezone.localdate():
        raise invalid("decision_date", _("The decision date cannot be in the future."))
    if (corrections.get("severity") or "") not in ("", *Severity.values):
        raise invalid("severity", _("Choose a valid severity."))
    if "title" in corrections and not (corrections["title"] or "").strip():
        raise invalid("title", _("The title cannot be empty."))
    for field in ("title", "detail", "decision_date", "severity"):
        if field in corrections and corrections[field] is not None:
            setattr(record, field, corrections[field])
    record.publish_until = publication_end(
        category=record.category, severity=record.severity, decision_date=record.decision_date, publish_until=source_end
    )
    return ["title", "detail", "decision_date", "severity", "publish_until"]


@transaction.atomic
def objection_resolve(*, objection_id: int, user, outcome: str, response: str, corrections=None) -> Objection:
    """Platform staff answer an open objection: corrected (with the corrected fields), removed, or unresolved."""
    objection = Objection.objects.select_for_update().get(pk=objection_id)
    require_handler(user, objection)
    if objection.status != Objection.Status.OPEN:
        raise InvalidTransition(
            code="invalid_transition",
            message=_("This objection has already been answered."),
            detail={"status": objection.status, "allowed_from": [Objection.Status.OPEN]},
        )
    if outcome not in (Objection.Status.CORRECTED, Objection.Status.REMOVED, Objection.Status.UNRESOLVED):
        raise invalid("outcome", _("Choose how the objection is resolved."))
    response = (response or "").strip()
    if not response:
        raise invalid("response", _("Write the platform's answer to the enterprise."))
    record = CreditRecord.objects.select_for_update().get(pk=objection.record_id)
    fields = ["status", "updated_at"]
    if outcome == Objection.Status.CORRECTED:
        fields += _apply_correction(record, dict(corrections or {}))
    if outcome == Objection.Status.REMOVED:
        record.status = CreditRecord.Status.REMOVED
    elif record.status == CreditRecord.Status.DISPUTED:  # it may have expired meanwhile: leave that alone
        record.status = CreditRecord.Status.ACTIVE
    record.updated_at = timezone.now()
    record.save(update_fields=fields)
    objection.status, objection.response = outcome, response
    objection.resolved_by, objection.resolved_at = user, timezone.now()
    objection.save(update_fields=["status", "response", "resolved_by", "resolved_at"])
    if outcome != Objection.Status.UNRESOLVED:
        evaluations_recompute_later(enterprise_ids=[record.enterprise_id])
    url = reverse("creditinfo:objection_detail", args=[objection.pk])
    tell_enterprise(objection, "objection_resolved", url=url, objection_id=objection.pk, outcome=outcome)
    audit_record(
        action=Action.OBJECTION_RESOLVED,
        actor=user,
        obj=objection,
        data={"outcome": outcome, "record_id": record.pk, "enterprise_id": record.enterprise_id},
    )
    return objection


# --- reads for the profile page ------------------------------------------------------------------------------


def record_statements(record_ids) -> dict[int, list[dict]]:
    """Both statements of every objection answered "unresolved", by record id (one query), for display
    beside the record wherever it is shown: [{"objection_id", "enterprise", "platform", "answered_on"}]."""
    statements: dict[int, list[dict]] = {}
    rows = (
        Objection.objects.filter(record_id__in=list(record_ids), status=Objection.Status.UNRESOLVED)
        .order_by("resolved_at", "id")
        .values_list("id", "record_id", "reason", "response", "resolved_at")
    )
    for pk, record_id, reason, response, resolved_at in rows:
        answered_on = timezone.localdate(resolved_at) if resolved_at else None
        statements.setdefault(record_id, []).append(
            {"objection_id": pk, "enterprise": reason, "platform": response, "answered_on": answered_on}
        )
    return statements


def record_action_flags(record_ids) -> dict[str, set[int]]:
    """For templates/creditinfo/_record_actions.html: which of the records have an open objection and which a
    pending repair request (two queries, whatever the number of records)."""
    ids = list(record_ids)
    return {
        "open_objection_ids": set(
            Objection.objects.filter(record_id__in=ids, status=Objection.Status.OPEN).values_list(
                "record_id", flat=True
            )
        ),
        "pending_repair_ids": set(
            RepairRequest.objects.filter(record_id__in=ids, status=RepairRequest.Status.PENDING).values_list(
                "record_id", flat=True
            )
        ),
    }
