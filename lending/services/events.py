"""Matchmaking events (政银企对接会, 金融会客厅, online sessions): staff organise them for a region, invite
institutions and enterprises, enterprises register or decline, staff mark attendance.

Every write locks the event row first: invitations, registrations and attendance of one event are serialised on
it, so the capacity check and the "not yet a participant" checks cannot race. Invitations are in
lending.services.event_invites, intents and their follow-up in lending.services.intents; both are re-exported here,
the one entry point of the feature.

Who may invite whom: enterprises registered in the event's region or below; institutions whose region is in
the event's region subtree OR above it (a province branch may attend a city's event, a city bank may attend a
county's), never a sibling region's.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Enterprise
from creditinfo.services.enterprises import enterprise_for_user
from lending.models import EventParticipant, MatchmakingEvent
from lending.services.event_support import (
    SEATED,
    E,
    P,
    event_params,
    event_url,
    ids_text,
    in_region,
    invalid,
    lock_event,
    missing_ids,
    require_manager,
    require_staff,
    require_status,
    users_of_participants,
)
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.models import Industry, Region
from xinyidai.notifications import notify_set_based

EDITABLE_FIELDS = (
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "place",
    "region",
    "theme",
    "description",
    "theme_industries",
    "open_registration",
    "capacity",
)


def seats_taken(event: MatchmakingEvent) -> int:
    """Enterprises registered or attended (the seats the capacity limits)."""
    return EventParticipant.objects.filter(event=event, enterprise__isnull=False, status__in=SEATED).count()


# --- creating and changing events ---------------------------------------------------------------------------


def _field_errors(*, user, fields: dict, event: MatchmakingEvent | None = None) -> dict:
    errors: dict[str, list] = {}
    starts_at = fields.get("starts_at", event.starts_at if event else None)
    ends_at = fields.get("ends_at", event.ends_at if event else None)
    if "title" in fields and not str(fields["title"] or "").strip():
        errors["title"] = [_("Give the event a title.")]
    if "kind" in fields and fields["kind"] not in MatchmakingEvent.Kind.values:
        errors["kind"] = [_("Choose the kind of event.")]
    if starts_at is None:
        errors["starts_at"] = [_("Give the start time.")]
    if ends_at is None:
        errors["ends_at"] = [_("Give the end time.")]
    elif starts_at is not None and ends_at < starts_at:
        errors["ends_at"] = [_("The event cannot end before it starts.")]
    region = fields.get("region")
    if "region" in fields and (region is None or not in_region(region.pk, user.region)):
        errors["region"] = [_("Choose your own region or one below it.")]
    sections = list(fields.get("theme_industries") or ())
    if any(industry.level != Industry.Level.SECTION for industry in sections):
        errors["theme_industries"] = [_("Theme industries are GB/T 4754 sections (A to T).")]
    capacity = fields.get("capacity")
    if capacity is not None and capacity < 1:
        errors["capacity"] = [_("The capacity is at least one enterprise (leave it empty for no limit).")]
    elif capacity is not None and event is not None and capacity < seats_taken(event):
        errors["capacity"] = [_("More enterprises have already registered than this capacity.")]
    return errors


@transaction.atomic
def event_create(
    *,
    user,
    title: str,
    kind: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    region: Region,
    place: str = "",
    theme: str = "",
    description: str = "",
    theme_industries=(),
    open_registration: bool = True,
    capacity: int | None = None,
) -> MatchmakingEvent:
    """Staff create a matchmaking event for their region or one below it."""
    require_staff(user)
    fields = {
        "title": title,
        "kind": kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "region": region,
        "theme_industries": theme_industries,
        "capacity": capacity,
    }
    invalid(_field_errors(user=user, fields=fields))
    event = MatchmakingEvent.objects.create(
        title=title.strip(),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        region=region,
        place=place,
        theme=theme,
        description=description,
        open_registration=open_registration,
        capacity=capacity,
        organizer=user,
    )
    event.theme_industries.set(list(theme_industries or ()))
    return event


@transaction.atomic
def event_update(*, event_id: int, user, **fields) -> MatchmakingEvent:
    """Staff change a scheduled (or held) event; its region is fixed once anyone is invited or registered."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"event_update() got unexpected fields {sorted(unknown)}")
    event = lock_event(event_id)
    require_manager(user, event)
    require_status(event, E.SCHEDULED, E.HELD, message=_("A cancelled event cannot be changed."))
    errors = _field_errors(user=user, fields=fields, event=event)
    region = fields.get("region")
    if region is not None and region.pk != event.region_id and event.participants.exists():
        errors.setdefault("region", []).append(_("The region cannot change once participants are invited."))
    invalid(errors)
    industries = fields.pop("theme_industries", None)
    for name, value in fields.items():
        setattr(event, name, value.strip() if name == "title" else value)
    event.save()
    if industries is not None:
        event.theme_industries.set(list(industries))
    return event


@transaction.atomic
def event_cancel(*, event_id: int, user) -> MatchmakingEvent:
    """Staff cancel a scheduled event; every invited or registered participant is told."""
    event = lock_event(event_id)
    require_manager(user, event)
    require_status(event, E.SCHEDULED, message=_("Only a scheduled event can be cancelled."))
    event.status = E.CANCELLED
    event.save(update_fields=["status"])
    told = EventParticipant.objects.filter(event=event).exclude(status=P.DECLINED)
    notify_set_based(
        users=users_of_participants(told), kind="event_cancelled", params=event_params(event), url=event_url(event)
    )
    return event


@transaction.atomic
def event_mark_held(*, event_id: int, user) -> MatchmakingEvent:
    """Staff record that a scheduled event took place (once it has started)."""
    event = lock_event(event_id)
    require_manager(user, event)
    require_status(event, E.SCHEDULED, message=_("Only a scheduled event can be marked as held."))
    if event.starts_at > timezone.now():
        raise DomainError(code="not_started", message=_("The event has not started yet."))
    event.status = E.HELD
    event.save(update_fields=["status"])
    return event


# --- registration and attendance -------------------------------------------------------------------------------


def _open_to(event: MatchmakingEvent, enterprise: Enterprise) -> bool:
    return event.open_registration and event.region_id in enterprise.region.ancestors_and_self_ids()


@transaction.atomic
def event_register(*, event_id: int, user) -> EventParticipant:
    """An SME registers its enterprise for an event it is invited to or that is open to it, within capacity.

    The capacity check runs under the event's row lock: two enterprises racing for the last seat cannot both
    get it. Registering again changes nothing.
    """
    enterprise = enterprise_for_user(user) if user.is_sme else None
    if enterprise is None:
        raise DomainError(code="forbidden", message=_("Only an enterprise can register for an event."), status=403)
    event = lock_event(event_id)
    participant = EventParticipant.objects.filter(event=event, enterprise=enterprise).first()
    if participant is None and not _open_to(event, enterprise):
        raise DomainError(code="not_open", message=_("This event is by invitation only."), status=403)
    if participant is not None and participant.status in SEATED:
        return participant
    require_status(event, E.SCHEDULED, message=_("Registration is closed: the event is no longer scheduled."))
    if event.starts_at <= timezone.now():
        raise DomainError(code="registration_closed", message=_("Registration closed when the event started."))
    if event.capacity is not None and seats_taken(event) >= event.capacity:
        raise DomainError(code="event_full", message=_("The event is full."), detail={"capacity": event.capacity})
    now = timezone.now()
    if participant is None:
        return EventParticipant.objects.create(
            event=event, enterprise=enterprise, status=P.REGISTERED, registered_at=now, created_at=now
        )
    participant.status, participant.registered_at = P.REGISTERED, now
    participant.save(update_fields=["status", "registered_at"])
    return participant


@transaction.atomic
def event_decline(*, event_id: int, user) -> EventParticipant:
    """An SME declines an invitation (or withdraws its registration, freeing the seat)."""
    enterprise = enterprise_for_user(user) if user.is_sme else None
    if enterprise is None:
        raise DomainError(code="forbidden", message=_("Only an enterprise can decline an event."), status=403)
    event = lock_event(event_id)
    participant = EventParticipant.objects.filter(event=event, enterprise=enterprise).first()
    if participant is None:
        raise DomainError(code="not_invited", message=_("Your enterprise is neither invited nor registered."))
    if participant.status == P.DECLINED:
        return participant
    if participant.status not in (P.INVITED, P.REGISTERED) or event.status != E.SCHEDULED:
        raise InvalidTransition(
            code="invalid_transition",
            message=_("Only an invitation or a registration for a scheduled event can be declined."),
            detail={"status": participant.status, "allowed_from": [P.INVITED, P.REGISTERED]},
        )
    participant.status = P.DECLINED
    participant.save(update_fields=["status"])
    return participant


@transaction.atomic
def event_attendance_mark(*, event_id: int, user, participant_ids, attended: bool) -> int:
    """Staff record who attended (or did not) once the event has started; returns how many rows changed."""
    event = lock_event(event_id)
    require_manager(user, event)
    require_status(event, E.SCHEDULED, E.HELD, message=_("Attendance is not recorded for a cancelled event."))
    if event.starts_at > timezone.now():
        raise DomainError(code="not_started", message=_("Attendance is recorded once the event has started."))
    ids = list(dict.fromkeys(int(pk) for pk in participant_ids))
    if not ids:
        invalid({"participant_ids": [_("Choose at least one participant.")]})
    rows = EventParticipant.objects.filter(event=event, pk__in=ids)
    bad = missing_ids(ids, rows.values_list("pk", flat=True))
    if bad:
        invalid({"participant_ids": [_("Not participants of this event: %(ids)s") % {"ids": ids_text(bad)}]})
    return rows.update(status=P.ATTENDED if attended else P.ABSENT, attended_at=timezone.now())


# Invitations and intents live in their own modules; importing them here gives the feature one entry point.
from lending.services.event_invites import (  # noqa: E402
    CRITERIA_INVITE_LIMIT,
    criteria_candidates,
    event_invite,
    event_invite_by_criteria,
    invitable_institutions,
)
from lending.services.intents import (  # noqa: E402
    intent_applied,
    intent_contacted,
    intent_disbursed,
    intent_drop,
    intent_follow_loan,
    intent_record,
)

__all__ = [
    "CRITERIA_INVITE_LIMIT",
    "criteria_candidates",
    "event_attendance_mark",
    "event_cancel",
    "event_create",
    "event_decline",
    "event_invite",
    "event_invite_by_criteria",
    "event_mark_held",
    "event_register",
    "event_update",
    "invitable_institutions",
    "intent_applied",
    "intent_contacted",
    "intent_disbursed",
    "intent_drop",
    "intent_follow_loan",
    "intent_record",
    "seats_taken",
]
