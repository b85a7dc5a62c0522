"""Checks of the seeded matchmaking events, intents and outreach leads, shared by the demo and the bulk seed tests."""

import datetime

from django.utils import timezone

from lending.models import EventParticipant, Intent, Loan, MatchmakingEvent, OutreachLead

STAGES = {"recorded", "contacted", "applied", "disbursed", "dropped"}


def _head(institution):
    while institution.parent_id is not None:
        institution = institution.parent
    return institution.pk


def assert_events_consistent() -> None:
    """Past events held and upcoming ones scheduled; intents at every stage, each consistent with its event's
    participants and with the application and loan it links; every timestamp in the past twelve months."""
    now = timezone.now()
    year_ago = now - datetime.timedelta(days=365)
    events = list(MatchmakingEvent.objects.all())
    assert {e.status for e in events} >= {"held", "scheduled"}
    for event in events:
        assert event.created_at <= now and event.starts_at <= event.ends_at
        if event.status == "held":
            assert year_ago < event.starts_at < now, event
        if event.status == "scheduled":
            assert event.starts_at > now, event
    participants = list(EventParticipant.objects.select_related("event"))
    for p in participants:
        assert (p.enterprise_id is None) != (p.institution_id is None)
        assert p.created_at <= now and (p.invited_at is None or p.invited_at <= now)
        assert p.invited == (p.invited_at is not None)
        if p.status in ("attended", "absent"):
            assert p.event.status == "held" and p.attended_at is not None and p.attended_at >= p.event.starts_at
        if p.event.status == "held":
            assert p.status in ("attended", "absent", "declined"), p
        if p.status == "registered" or (p.status == "attended" and p.registered_at):
            assert p.registered_at is not None and p.registered_at <= min(now, p.event.starts_at)
    attended = {(p.event_id, p.enterprise_id or p.institution_id, p.enterprise_id is not None)
                for p in participants if p.status == "attended"}  # fmt: skip

    intents = list(
        Intent.objects.select_related(
            "event", "institution__parent__parent", "application__institution__parent__parent", "loan"
        )
    )
    assert {i.status for i in intents} == STAGES
    for i in intents:
        assert i.event.status == "held" and year_ago < i.recorded_at <= i.updated_at <= now, i
        assert i.recorded_at >= i.event.starts_at
        assert (i.event_id, i.enterprise_id, True) in attended, i
        chain = {i.institution_id, i.institution.parent_id, getattr(i.institution.parent, "parent_id", None)}
        assert any((i.event_id, pk, False) in attended for pk in chain if pk), i
        stamps = [i.recorded_at, i.contacted_at, i.applied_at, i.disbursed_at]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present) and max([*present, i.dropped_at or i.recorded_at]) <= i.updated_at
        if i.status in ("applied", "disbursed"):
            application = i.application
            assert application.enterprise_id == i.enterprise_id, i
            assert _head(application.institution) == _head(i.institution), i
            assert timezone.localdate(application.submitted_at) >= timezone.localdate(i.recorded_at)
            assert i.contacted_at and i.applied_at
        else:
            assert i.application_id is None and i.loan_id is None
        if i.status == "disbursed":
            assert i.loan is not None and i.loan.application_id == i.application_id and i.disbursed_at
        if i.status == "applied":
            assert i.loan_id is None and not Loan.objects.filter(application_id=i.application_id).exists()
        if i.status == "dropped":
            assert i.drop_reason and i.dropped_at and i.dropped_at >= i.recorded_at
        else:
            assert not i.drop_reason and i.dropped_at is None
        if i.status == "recorded":
            assert i.contacted_at is None and i.updated_at == i.recorded_at

    leads = OutreachLead.objects.select_related("enterprise")
    assert leads.filter(status="open").exists()
    for lead in leads:
        assert not lead.enterprise.is_skeleton and not Loan.objects.filter(enterprise=lead.enterprise).exists()
        assert lead.region_id == lead.enterprise.region_id and lead.pushed_at <= now
        assert (lead.status == "contacted") == (lead.contacted_by_id is not None)
