"""Financing intents recorded at matchmaking events (enterprise x institution x amount) and their follow-up.

    recorded --contacted--> contacted --applied(application)--> applied --disbursed(loan)--> disbursed
    recorded / contacted / applied --drop(reason)--> dropped

Each step locks the intent, checks the actor and the state, stamps its time and `updated_at` (the statistics
rollups scan intents changed since their last refresh by updated_at). When the linked application is disbursed,
lending.services.applications calls intent_follow_loan in the same transaction and the intent follows.
"""

from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.models import Application, EventParticipant, Intent, IntentDropReason, Loan, MatchmakingEvent, Product
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.models import Institution
from xinyidai.notifications import notify, officers_of

S = Intent.Status
P = EventParticipant.Status
MAX_AMOUNT = Decimal("10") ** 16  # the column holds 16 digits before the point
PRESENT = (P.INVITED, P.REGISTERED, P.ATTENDED)  # a party that may sign an intent (not declined, not absent)
ALLOWED_FROM = {
    S.CONTACTED: (S.RECORDED,),
    S.APPLIED: (S.CONTACTED,),
    S.DISBURSED: (S.APPLIED,),
    S.DROPPED: (S.RECORDED, S.CONTACTED, S.APPLIED),
}


def _invalid(field: str, message) -> None:
    raise DomainError(code="invalid", message=message, detail={field: [str(message)]}, status=400)


def _chain_ids(institution: Institution) -> list[int]:
    """The institution's id and its parents' up to the head office (the last id is the head office's)."""
    ids, node = [], institution
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


def _institution(pk) -> Institution | None:
    return Institution.objects.select_related("parent__parent").filter(pk=pk).first()


def _is_manager(user, event: MatchmakingEvent) -> bool:
    return user.is_gov_staff and MatchmakingEvent.objects.managed_by(user).filter(pk=event.pk).exists()


def _in_officer_tree(user, institution_id: int) -> bool:
    return user.is_officer and Institution.objects.filter(user.institution.subtree_q(""), pk=institution_id).exists()


# --- recording ------------------------------------------------------------------------------------------------


def _check_parties(event, *, enterprise_id, institution: Institution | None) -> None:
    present = EventParticipant.objects.filter(event=event, status__in=PRESENT)
    if not present.filter(enterprise_id=enterprise_id).exists():
        _invalid("enterprise", _("The enterprise must be invited to, registered for or present at the event."))
    if institution is None or not present.filter(institution_id__in=_chain_ids(institution)).exists():
        _invalid("institution", _("The institution (or its head office) must take part in the event."))


def _check_note(note: str) -> None:
    if len(note or "") > 500:
        _invalid("note", _("The note is at most 500 characters."))


def _check_amount(amount) -> None:
    if amount is None or not Decimal("0") < amount < MAX_AMOUNT:
        _invalid("amount", _("The intended amount must be greater than zero."))


@transaction.atomic
def intent_record(
    *,
    event_id: int,
    user,
    enterprise_id: int,
    institution_id: int,
    amount: Decimal,
    product_id: int | None = None,
    note: str = "",
) -> Intent:
    """Record a financing intent signed at an event: by the event's staff, or by an officer of the institution.

    The enterprise must be invited, registered or present; the institution (or its head office) must take part;
    a product, when named, must be the same bank's. Staff recording it tell the institution's officers.
    """
    event = MatchmakingEvent.objects.select_for_update(of=("self",)).filter(pk=event_id).first()
    if event is None:
        raise DomainError(code="not_found", message=_("No such matchmaking event."), status=404)
    staff = _is_manager(user, event)
    if not (staff or _in_officer_tree(user, institution_id)):
        raise DomainError(
            code="forbidden",
            message=_("Only the event's staff or the institution's officers record intents."),
            status=403,
        )
    if event.status == MatchmakingEvent.Status.CANCELLED:
        raise InvalidTransition(
            code="invalid_transition",
            message=_("No intents are recorded for a cancelled event."),
            detail={"status": event.status, "allowed_from": ["scheduled", "held"]},
        )
    _check_amount(amount)
    _check_note(note)
    institution = _institution(institution_id)
    _check_parties(event, enterprise_id=enterprise_id, institution=institution)
    if product_id is not None:
        bank = Institution.objects.get(pk=_chain_ids(institution)[-1])
        if not Product.objects.filter(bank.subtree_q("institution"), pk=product_id).exists():
            _invalid("product", _("The product must be one of the institution's bank."))
    now = timezone.now()
    intent = Intent.objects.create(
        event=event,
        enterprise_id=enterprise_id,
        institution=institution,
        product_id=product_id,
        amount=amount,
        note=note,
        recorded_by=user,
        recorded_at=now,
        updated_at=now,
    )
    if staff:
        params = {
            "title": event.title,
            "enterprise": intent.enterprise.name,
            "institution": institution.name,
            "amount_yuan": str(amount),
        }
        notify(
            users=officers_of(institution), kind="intent_recorded", params=params, url=reverse("lending:intent_list")
        )
    return intent


# --- follow-up ------------------------------------------------------------------------------------------------


def _lock(intent_id: int) -> Intent:
    intent = (
        Intent.objects.select_for_update(of=("self",))
        .select_related("event", "institution__parent__parent")
        .filter(pk=intent_id)
        .first()
    )
    if intent is None:
        raise DomainError(code="not_found", message=_("No such intent."), status=404)
    return intent


def _require_follower(user, intent: Intent) -> None:
    """The event's staff, or an officer of the intent's institution tree."""
    if not (_is_manager(user, intent.event) or _in_officer_tree(user, intent.institution_id)):
        raise DomainError(
            code="forbidden",
            message=_("Only the event's staff or the institution's officers follow up intents."),
            status=403,
        )


def _require_from(intent: Intent, to: str, message) -> None:
    allowed = ALLOWED_FROM[to]
    if intent.status not in allowed:
        raise InvalidTransition(
            code="invalid_transition",
            message=message,
            detail={"status": intent.status, "allowed_from": [str(s) for s in allowed]},
        )


def _move(intent: Intent, to: str, *, note: str = "", **fields) -> Intent:
    _check_note(note)
    now = timezone.now()
    intent.status = to
    stamp = {S.CONTACTED: "contacted_at", S.APPLIED: "applied_at", S.DISBURSED: "disbursed_at", S.DROPPED: "dropped_at"}
    setattr(intent, stamp[to], now)
    intent.updated_at = now
    if note:
        intent.note = note
    for name, value in fields.items():
        setattr(intent, name, value)
    intent.save()
    return intent


@transaction.atomic
def intent_contacted(*, intent_id: int, user, note: str = "") -> Intent:
    """The institution has contacted the enterprise about its intent."""
    intent = _lock(intent_id)
    _require_follower(user, intent)
    _require_from(intent, S.CONTACTED, _("Only a recorded intent can be marked as contacted."))
    return _move(intent, S.CONTACTED, note=note)


@transaction.atomic
def intent_applied(*, intent_id: int, user, application_id: int) -> Intent:
    """Link the application the enterprise made after the event; an already disbursed one links its loan too.

    The application must be the intent's enterprise's, to the same bank (the institution's head-office tree),
    submitted on or after the day the intent was recorded, and not linked to another intent.
    """
    intent = _lock(intent_id)
    _require_follower(user, intent)
    _require_from(intent, S.APPLIED, _("Only a contacted intent can be linked to an application."))
    application = (
        Application.objects.select_related("institution__parent__parent")
        .filter(pk=application_id, enterprise_id=intent.enterprise_id)
        .first()
    )
    same_bank = application is not None and (
        _chain_ids(application.institution)[-1] == _chain_ids(intent.institution)[-1]
    )
    if not same_bank:
        _invalid("application", _("No application of this enterprise to this bank has that id."))
    if timezone.localdate(application.submitted_at) < timezone.localdate(intent.recorded_at):
        _invalid("application", _("The application was submitted before the intent was recorded."))
    if Intent.objects.filter(application=application).exclude(pk=intent.pk).exists():
        raise DomainError(code="already_linked", message=_("This application is already linked to another intent."))
    _move(intent, S.APPLIED, application=application)
    loan = Loan.objects.filter(application=application).first()
    if loan is not None and not Intent.objects.filter(loan=loan).exists():
        _move(intent, S.DISBURSED, loan=loan)
    return intent


@transaction.atomic
def intent_disbursed(*, intent_id: int, user, loan_id: int) -> Intent:
    """Link the loan disbursed on the intent's application."""
    intent = _lock(intent_id)
    _require_follower(user, intent)
    _require_from(intent, S.DISBURSED, _("Only an intent linked to an application can be linked to a loan."))
    loan = Loan.objects.filter(pk=loan_id, application_id=intent.application_id).first()
    if loan is None:
        _invalid("loan", _("The loan must be the one disbursed on the intent's application."))
    return _move(intent, S.DISBURSED, loan=loan)


@transaction.atomic
def intent_drop(*, intent_id: int, user, reason: str, note: str = "") -> Intent:
    """The intent goes no further, for a reason."""
    intent = _lock(intent_id)
    _require_follower(user, intent)
    if reason not in IntentDropReason.values:
        _invalid("reason", _("Choose why the intent went no further."))
    _require_from(intent, S.DROPPED, _("Only an open intent can be dropped."))
    return _move(intent, S.DROPPED, note=note, drop_reason=reason)


@transaction.atomic
def intent_follow_loan(*, application_id: int) -> Intent | None:
    """The application linked to an intent was disbursed: the intent follows to its loan (no actor check: the
    caller is application_disburse, inside its transaction). Returns the intent, or None when none follows."""
    intent = (
        Intent.objects.select_for_update()
        .filter(application_id=application_id, status=S.APPLIED, loan__isnull=True)
        .first()
    )
    loan = Loan.objects.filter(application_id=application_id).first() if intent else None
    if intent is None or loan is None:
        return None
    return _move(intent, S.DISBURSED, loan=loan)
