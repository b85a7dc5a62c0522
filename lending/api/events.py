"""Matchmaking events and intents under /api/v1/events/ and /api/v1/intents/.

Objects are fetched through their visibility rule first (outside it: 404); the services then check the role and
the state (403 `forbidden`, 409 `invalid_transition`, 400 `invalid` with field messages).
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from lending.api.events_serializers import (
    AttendanceInputSerializer,
    AttendanceOutputSerializer,
    CriteriaInviteInputSerializer,
    EventInputSerializer,
    EventOutputSerializer,
    FunnelOutputSerializer,
    IntentAppliedInputSerializer,
    IntentDisbursedInputSerializer,
    IntentDropInputSerializer,
    IntentInputSerializer,
    IntentNoteInputSerializer,
    IntentOutputSerializer,
    InvitedOutputSerializer,
    InviteInputSerializer,
    ParticipantOutputSerializer,
)
from lending.filters_events import EventFilter, IntentFilter, ParticipantFilter
from lending.models import EventParticipant, Intent, MatchmakingEvent
from lending.selectors_events import event_funnel, event_participants, intent_list
from lending.services import events as services
from xinyidai.api.views import ApiViewSet
from xinyidai.errors import DomainError
from xinyidai.models import Industry


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _events(user):
    industries = Prefetch("theme_industries", queryset=Industry.objects.order_by("code"))
    return MatchmakingEvent.objects.visible_to(user).select_related("region").prefetch_related(industries)


@extend_schema(tags=["events"])
class EventViewSet(ApiViewSet):
    """Matchmaking events (政银企对接会, 金融会客厅, online sessions): staff see and organise their region's; SMEs see
    those open to them or they take part in, and register or decline; officers see those their institution tree
    takes part in."""

    queryset = MatchmakingEvent.objects.none()
    filterset_class = EventFilter
    serializer_class = EventOutputSerializer

    def list(self, request):
        events = self.filter_queryset(_events(request.user).order_by("-starts_at", "-id"))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventOutputSerializer(page, many=True).data)

    @extend_schema(responses=EventOutputSerializer)
    def retrieve(self, request, pk=None):
        return Response(EventOutputSerializer(self._event()).data)

    @extend_schema(request=EventInputSerializer, responses={201: EventOutputSerializer})
    def create(self, request):
        """Government staff create an event for their region or one below it."""
        data = _valid(EventInputSerializer, request.data)
        event = services.event_create(user=request.user, **data)
        return Response(EventOutputSerializer(self._event(event.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InviteInputSerializer, responses=InvitedOutputSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Staff invite enterprises and institutions by id (idempotent); answers how many are newly invited."""
        event = self._event()
        data = _valid(InviteInputSerializer, request.data)
        count = services.event_invite(event_id=event.pk, user=request.user, **data)
        return Response({"invited": count})

    @extend_schema(request=CriteriaInviteInputSerializer, responses=InvitedOutputSerializer)
    @action(detail=True, methods=["post"], url_path="invite-by-criteria")
    def invite_by_criteria(self, request, pk=None):
        """Staff invite every enterprise of the region matching the criteria (industry sections, size classes,
        tags, minimum grade, no loan on the platform), up to `limit`."""
        event = self._event()
        serializer = CriteriaInviteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.event_invite_by_criteria(event_id=event.pk, user=request.user, **serializer.service_kwargs())
        return Response({"invited": count})

    @extend_schema(request=None, responses=ParticipantOutputSerializer)
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        """An SME registers its enterprise (an event it is invited to, or open to it; within capacity)."""
        participant = services.event_register(event_id=self._event().pk, user=request.user)
        return Response(ParticipantOutputSerializer(self._participant(participant.pk)).data)

    @extend_schema(request=None, responses=ParticipantOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """An SME declines the invitation or withdraws its registration."""
        participant = services.event_decline(event_id=self._event().pk, user=request.user)
        return Response(ParticipantOutputSerializer(self._participant(participant.pk)).data)

    @extend_schema(request=AttendanceInputSerializer, responses=AttendanceOutputSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """Staff record which participants attended (or did not), once the event has started."""
        event = self._event()
        data = _valid(AttendanceInputSerializer, request.data)
        updated = services.event_attendance_mark(event_id=event.pk, user=request.user, **data)
        return Response({"updated": updated})

    @extend_schema(request=None, responses=EventOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Staff cancel a scheduled event; the participants are notified."""
        event = services.event_cancel(event_id=self._event().pk, user=request.user)
        return Response(EventOutputSerializer(self._event(event.pk)).data)

    @extend_schema(request=None, responses=EventOutputSerializer)
    @action(detail=True, methods=["post"])
    def held(self, request, pk=None):
        """Staff record that the event took place."""
        event = services.event_mark_held(event_id=self._event().pk, user=request.user)
        return Response(EventOutputSerializer(self._event(event.pk)).data)

    @extend_schema(responses=FunnelOutputSerializer, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def funnel(self, request, pk=None):
        """Staff: invited, registered, attended; intents (count, amount), contacted, applied, disbursed (count,
        loan principal), dropped. Two aggregate queries."""
        event = self._event()
        if not (request.user.is_gov_staff or request.user.is_platform_admin):
            raise DomainError(code="forbidden", message=_("Only government staff see an event's funnel."), status=403)
        return Response(FunnelOutputSerializer(event_funnel(event).as_dict()).data)

    @extend_schema(responses=ParticipantOutputSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=ParticipantFilter, queryset=EventParticipant.objects.none())
    def participants(self, request, pk=None):
        """The event's participants the caller may see (SMEs: their own row and the institutions)."""
        event = self._event()
        rows = self.filter_queryset(event_participants(user=request.user, event=event))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ParticipantOutputSerializer(page, many=True).data)

    def _event(self, pk: int | None = None) -> MatchmakingEvent:
        event = _events(self.request.user).filter(pk=pk or self.pk).first()
        if event is None:
            raise NotFound()
        return event

    def _participant(self, pk: int) -> EventParticipant:
        return EventParticipant.objects.select_related("enterprise", "institution").get(pk=pk)


@extend_schema(tags=["events"])
class IntentViewSet(ApiViewSet):
    """Financing intents signed at events and their follow-up: recorded -> contacted -> applied (the application)
    -> disbursed (the loan), or dropped with a reason. Staff see their region's events' intents, officers their
    institution tree's, SMEs their own."""

    queryset = Intent.objects.none()
    filterset_class = IntentFilter
    serializer_class = IntentOutputSerializer

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(intent_list(user=request.user)))
        return self.get_paginated_response(IntentOutputSerializer(page, many=True).data)

    @extend_schema(responses=IntentOutputSerializer)
    def retrieve(self, request, pk=None):
        return Response(IntentOutputSerializer(self._intent()).data)

    @extend_schema(request=IntentInputSerializer, responses={201: IntentOutputSerializer})
    def create(self, request):
        """The event's staff, or an officer for its own institution tree, record an intent."""
        data = _valid(IntentInputSerializer, request.data)
        if not MatchmakingEvent.objects.visible_to(request.user).filter(pk=data["event"]).exists():
            raise NotFound()
        intent = services.intent_record(
            event_id=data["event"],
            user=request.user,
            enterprise_id=data["enterprise"],
            institution_id=data["institution"],
            amount=data["amount"],
            product_id=data.get("product"),
            note=data["note"],
        )
        return Response(IntentOutputSerializer(self._intent(intent.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IntentNoteInputSerializer, responses=IntentOutputSerializer)
    @action(detail=True, methods=["post"])
    def contacted(self, request, pk=None):
        """The institution contacted the enterprise."""
        intent = self._intent()
        data = _valid(IntentNoteInputSerializer, request.data)
        services.intent_contacted(intent_id=intent.pk, user=request.user, **data)
        return Response(IntentOutputSerializer(self._intent()).data)

    @extend_schema(request=IntentAppliedInputSerializer, responses=IntentOutputSerializer)
    @action(detail=True, methods=["post"])
    def applied(self, request, pk=None):
        """Link the enterprise's application (same bank, submitted on or after the intent)."""
        intent = self._intent()
        data = _valid(IntentAppliedInputSerializer, request.data)
        services.intent_applied(intent_id=intent.pk, user=request.user, application_id=data["application"])
        return Response(IntentOutputSerializer(self._intent()).data)

    @extend_schema(request=IntentDisbursedInputSerializer, responses=IntentOutputSerializer)
    @action(detail=True, methods=["post"])
    def disbursed(self, request, pk=None):
        """Link the loan disbursed on the linked application."""
        intent = self._intent()
        data = _valid(IntentDisbursedInputSerializer, request.data)
        services.intent_disbursed(intent_id=intent.pk, user=request.user, loan_id=data["loan"])
        return Response(IntentOutputSerializer(self._intent()).data)

    @extend_schema(request=IntentDropInputSerializer, responses=IntentOutputSerializer)
    @action(detail=True, methods=["post"])
    def drop(self, request, pk=None):
        """The intent goes no further, with a reason."""
        intent = self._intent()
        data = _valid(IntentDropInputSerializer, request.data)
        services.intent_drop(intent_id=intent.pk, user=request.user, **data)
        return Response(IntentOutputSerializer(self._intent()).data)

    def _intent(self, pk: int | None = None) -> Intent:
        intent = intent_list(user=self.request.user).filter(pk=pk or self.pk).first()
        if intent is None:
            raise NotFound()
        return intent
