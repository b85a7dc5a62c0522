"""FilterSets for matchmaking events, their participants and intents, shared by the pages and the API."""

import django_filters as filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.models import EventParticipant, Intent, MatchmakingEvent
from xinyidai.models import Region

WHEN_CHOICES = [("upcoming", _("Upcoming")), ("past", _("Past"))]
PARTY_CHOICES = [("enterprise", _("Enterprises")), ("institution", _("Institutions"))]


class EventFilter(filters.FilterSet):
    when = filters.ChoiceFilter(label=_("When"), choices=WHEN_CHOICES, method="filter_when")
    kind = filters.ChoiceFilter(label=_("Kind"), choices=MatchmakingEvent.Kind.choices)
    status = filters.ChoiceFilter(label=_("Status"), choices=MatchmakingEvent.Status.choices)
    region = filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.exclude(level=Region.Level.COUNTY).order_by("code"),
        method="filter_region",
        to_field_name="code",
    )
    q = filters.CharFilter(label=_("Title or theme"), method="filter_search", max_length=100)

    class Meta:
        model = MatchmakingEvent
        fields = ["kind", "status"]

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            return queryset.filter(ends_at__gte=now).order_by("starts_at", "id")
        return queryset.filter(ends_at__lt=now)

    def filter_region(self, queryset, name, value: Region):
        return queryset.filter(value.subtree_q("region"))

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(theme__icontains=value)) if value else queryset


class ParticipantFilter(filters.FilterSet):
    party = filters.ChoiceFilter(label=_("Party"), choices=PARTY_CHOICES, method="filter_party")
    status = filters.ChoiceFilter(label=_("Status"), choices=EventParticipant.Status.choices)

    class Meta:
        model = EventParticipant
        fields = ["status"]

    def filter_party(self, queryset, name, value):
        return queryset.filter(**{f"{value}__isnull": False})


class IntentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(label=_("Status"), choices=Intent.Status.choices)
    event = filters.NumberFilter(label=_("Event"), field_name="event_id", min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Intent
        fields = ["status"]
