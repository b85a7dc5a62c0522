"""What the matchmaking event services share: actor and state checks, the event's row lock, its notification
parameters, and notifications for a set of users in one statement. Internal to lending.services.events and
lending.services.event_invites."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lending.models import EventParticipant, MatchmakingEvent
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.models import Region, User

P = EventParticipant.Status
E = MatchmakingEvent.Status
SEATED = (P.REGISTERED, P.ATTENDED)  # enterprises holding a seat (the capacity counts them)


def invalid(errors: dict, message=None) -> None:
    if errors:
        raise DomainError(
            code="invalid",
            message=message or next(iter(errors.values()))[0],
            detail={key: [str(m) for m in messages] for key, messages in errors.items()},
            status=400,
        )


def in_region(region_id: int, root: Region) -> bool:
    return Region.objects.filter(root.subtree_q(""), pk=region_id).exists()


def require_staff(user) -> None:
    if not (user.is_authenticated and user.is_gov_staff):
        raise DomainError(code="forbidden", message=_("Only government staff organise matchmaking events."), status=403)


def require_manager(user, event: MatchmakingEvent) -> None:
    """Staff of the event's region or above."""
    require_staff(user)
    if not in_region(event.region_id, user.region):
        raise DomainError(code="forbidden", message=_("This event is outside your region."), status=403)


def lock_event(event_id: int) -> MatchmakingEvent:
    event = MatchmakingEvent.objects.select_for_update(of=("self",)).select_related("region").filter(pk=event_id)
    event = event.first()
    if event is None:
        raise DomainError(code="not_found", message=_("No such matchmaking event."), status=404)
    return event


def require_status(event: MatchmakingEvent, *allowed: str, message) -> None:
    if event.status not in allowed:
        raise InvalidTransition(
            code="invalid_transition", message=message, detail={"status": event.status, "allowed_from": list(allowed)}
        )


def event_params(event: MatchmakingEvent) -> dict:
    return {"title": event.title, "starts_at": event.starts_at.isoformat(), "place": event.place or event.region.name}


def event_url(event: MatchmakingEvent) -> str:
    return reverse("lending:event_detail", args=[event.pk])


def missing_ids(requested: list[int], found) -> list[int]:
    found = set(found)
    return [pk for pk in requested if pk not in found]


def ids_text(ids: list[int], shown: int = 10) -> str:
    text = ", ".join(str(pk) for pk in ids[:shown])
    return text + (" …" if len(ids) > shown else "")


def users_of_participants(participants):
    """Active users behind participant rows: the enterprises' members and the institutions' officers."""
    return User.objects.filter(is_active=True).filter(
        Q(membership__enterprise_id__in=participants.filter(enterprise__isnull=False).values("enterprise_id"))
        | Q(
            role=User.Role.OFFICER,
            institution_id__in=participants.filter(institution__isnull=False).values("institution_id"),
        )
    )
