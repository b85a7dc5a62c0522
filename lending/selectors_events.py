"""Reads for matchmaking events: lists and details through visibility, and the event funnel.

The funnel of one event, or of every event of a region in a month range (the dashboard), is two aggregate
queries whatever the number of participants and intents: one over the events joined to their participants, one
over their intents joined to the loans.
"""

import datetime
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import EnterpriseMembership
from lending.models import EventParticipant, Intent, MatchmakingEvent
from xinyidai.models import Industry, Region

P = EventParticipant.Status
S = Intent.Status
E = MatchmakingEvent.Status
ZERO = Decimal("0.00")

FUNNEL_STAGES = (
    ("invited", _("Invited")),
    ("registered", _("Registered")),
    ("attended", _("Attended")),
    ("intents", _("Intents")),
    ("contacted", _("Contacted")),
    ("applied", _("Applied")),
    ("disbursed", _("Disbursed")),
)


@dataclass(frozen=True)
class Funnel:
    """Enterprises invited, registered and attending; intents and how far they went; amounts in yuan.

    Cumulative: an intent that reached "applied" counts as contacted and applied. `registered` counts enterprises
    holding (or having held and used) a seat: registered, attended, or registered then absent.
    """

    events: int
    invited: int
    registered: int
    attended: int
    declined: int
    institutions: int
    institutions_attended: int
    intents: int
    intent_amount: Decimal
    contacted: int
    applied: int
    disbursed: int
    disbursed_principal: Decimal
    dropped: int

    @property
    def open_intents(self) -> int:
        return self.intents - self.disbursed - self.dropped

    def stages(self) -> list[dict]:
        """The stages in order, for the chart and the table: [{"key", "label", "value"}]."""
        return [{"key": key, "label": str(label), "value": getattr(self, key)} for key, label in FUNNEL_STAGES]

    def as_dict(self) -> dict:
        return asdict(self)


def funnel_for(events) -> Funnel:
    """The funnel of a queryset of events, in two queries."""
    enterprise = Q(participants__enterprise__isnull=False)
    seated = Q(participants__status__in=[P.REGISTERED, P.ATTENDED]) | Q(
        participants__status=P.ABSENT, participants__registered_at__isnull=False
    )
    parties = events.order_by().aggregate(
        events=Count("pk", distinct=True),
        invited=Count("participants", filter=enterprise & Q(participants__invited=True)),
        registered=Count("participants", filter=enterprise & seated),
        attended=Count("participants", filter=enterprise & Q(participants__status=P.ATTENDED)),
        declined=Count("participants", filter=enterprise & Q(participants__status=P.DECLINED)),
        institutions=Count("participants", filter=Q(participants__institution__isnull=False)),
        institutions_attended=Count(
            "participants", filter=Q(participants__institution__isnull=False, participants__status=P.ATTENDED)
        ),
    )
    disbursed = Q(status=S.DISBURSED)
    intents = Intent.objects.filter(event__in=events.order_by().values("pk")).aggregate(
        intents=Count("pk"),
        intent_amount=Coalesce(Sum("amount"), ZERO),
        contacted=Count("pk", filter=Q(contacted_at__isnull=False)),
        applied=Count("pk", filter=Q(applied_at__isnull=False)),
        disbursed=Count("pk", filter=disbursed),
        disbursed_principal=Coalesce(Sum("loan__principal", filter=disbursed), ZERO),
        dropped=Count("pk", filter=Q(status=S.DROPPED)),
    )
    return Funnel(**parties, **intents)


def event_funnel(event: MatchmakingEvent) -> Funnel:
    return funnel_for(MatchmakingEvent.objects.filter(pk=event.pk))


def region_event_funnel(*, region: Region, start: datetime.date, end: datetime.date) -> Funnel:
    """Every event (not cancelled) of `region` and below that started in the months `start`..`end` (the first
    days of the first and last months, local time), for the dashboard's KPIs by region and month."""
    tz = timezone.get_current_timezone()
    until = (end.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    events = MatchmakingEvent.objects.filter(region.subtree_q("region")).exclude(
        status=MatchmakingEvent.Status.CANCELLED
    )
    events = events.filter(
        starts_at__gte=datetime.datetime.combine(start.replace(day=1), datetime.time(), tzinfo=tz),
        starts_at__lt=datetime.datetime.combine(until, datetime.time(), tzinfo=tz),
    )
    return funnel_for(events)


# --- lists and details ------------------------------------------------------------------------------------------


def _count(queryset):
    """A correlated COUNT subquery for an annotation (one query for the whole page, not one per row)."""
    counted = queryset.order_by().values("event_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _status_of(queryset):
    return Subquery(queryset.order_by("-id").values("status")[:1])


def event_list(*, user):
    """Events the user may see, newest first, with their figures; SMEs and officers see their own status."""
    mine = EventParticipant.objects.filter(event_id=OuterRef("pk"))
    events = (
        MatchmakingEvent.objects.visible_to(user)
        .select_related("region")
        .annotate(
            enterprises_invited=_count(mine.filter(enterprise__isnull=False, invited=True)),
            enterprises_seated=_count(mine.filter(enterprise__isnull=False, status__in=[P.REGISTERED, P.ATTENDED])),
            intents_count=_count(Intent.objects.filter(event_id=OuterRef("pk"))),
        )
    )
    if user.is_authenticated and user.is_sme:
        enterprise = EnterpriseMembership.objects.filter(user=user).values("enterprise_id")
        events = events.annotate(my_status=_status_of(mine.filter(enterprise_id__in=enterprise)))
    elif user.is_authenticated and user.is_officer:
        events = events.annotate(my_status=_status_of(mine.filter(user.institution.subtree_q("institution"))))
    return events.order_by("-starts_at", "-id")


def event_detail(*, user, pk: int) -> MatchmakingEvent:
    qs = (
        MatchmakingEvent.objects.visible_to(user)
        .select_related("region", "organizer")
        .prefetch_related(Prefetch("theme_industries", queryset=Industry.objects.order_by("code")))
    )
    return get_object_or_404(qs, pk=pk)


def event_participants(*, user, event: MatchmakingEvent):
    """The event's participants the user may see, in invitation order (filter by party as needed)."""
    return (
        EventParticipant.objects.visible_to(user)
        .filter(event=event)
        .select_related("enterprise", "enterprise__region", "institution")
        .order_by("id")
    )


def participant_for(*, event: MatchmakingEvent, user) -> EventParticipant | None:
    """The SME's own participation in the event (or None)."""
    if not (user.is_authenticated and user.is_sme):
        return None
    enterprise = EnterpriseMembership.objects.filter(user=user).values("enterprise_id")
    return EventParticipant.objects.filter(event=event, enterprise_id__in=enterprise).first()


INTENT_RELATED = ("event", "event__region", "enterprise", "institution", "product", "application", "loan")


def intent_list(*, user):
    return Intent.objects.visible_to(user).select_related(*INTENT_RELATED).order_by("-recorded_at", "-id")


def intent_detail(*, user, pk: int) -> Intent:
    return get_object_or_404(Intent.objects.visible_to(user).select_related(*INTENT_RELATED), pk=pk)
