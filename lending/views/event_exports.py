"""CSV exports of a matchmaking event's participants and intents (staff of the event's region; officers get what
their visibility allows), streamed in UTF-8 with a BOM so that Excel reads the Chinese."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from lending import selectors_events as selectors
from lending.models import EventParticipant, Intent, IntentDropReason
from xinyidai.exports import ExportColumn, csv_stream_response
from xinyidai.views import role_required

P = EventParticipant.Status
I = Intent.Status  # noqa: E741


def _stream_csv(filename: str, header: list, rows, *, money: frozenset = frozenset()):
    """Streamed (constant memory for 100,000 participants); the columns at the `money` positions are yuan."""
    columns = [ExportColumn(title, "money" if i in money else "text") for i, title in enumerate(header)]
    return csv_stream_response(filename=filename, columns=columns, rows=rows)


@role_required("staff", "officer")
@require_safe
def event_participants_csv(request, pk: int):
    event = selectors.event_detail(user=request.user, pk=pk)
    rows = (
        selectors.event_participants(user=request.user, event=event)
        .values_list(
            "enterprise__uscc",
            "enterprise__name",
            "enterprise__region__name",
            "institution__code",
            "institution__name",
            "status",
            "invited",
            "invited_at",
            "registered_at",
            "attended_at",
        )
        .iterator(chunk_size=2000)
    )
    labels = dict(P.choices)
    header = [
        _("USCC"),
        _("Enterprise"),
        _("Region"),
        _("Institution code"),
        _("Institution"),
        _("Status"),
        _("Invited"),
        _("Invited at"),
        _("Registered at"),
        _("Attendance recorded at"),
    ]
    shaped = (
        (*row[:5], labels.get(row[5], row[5]), _("Yes") if row[6] else _("No"), *(_time(v) for v in row[7:]))
        for row in rows
    )
    return _stream_csv(f"event-{event.pk}-participants.csv", header, shaped)


def _time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@role_required("staff", "officer")
@require_safe
def event_intents_csv(request, pk: int):
    event = selectors.event_detail(user=request.user, pk=pk)
    rows = (
        selectors.intent_list(user=request.user)
        .filter(event=event)
        .values_list(
            "enterprise__uscc",
            "enterprise__name",
            "institution__name",
            "amount",
            "status",
            "application__number",
            "loan__contract_number",
            "loan__principal",
            "drop_reason",
            "note",
            "recorded_at",
            "updated_at",
        )
        .iterator(chunk_size=2000)
    )
    labels = {**dict(I.choices), **dict(IntentDropReason.choices)}
    header = [
        _("USCC"),
        _("Enterprise"),
        _("Institution"),
        _("Intended amount (yuan)"),
        _("Status"),
        _("Application number"),
        _("Loan contract number"),
        _("Loan principal (yuan)"),
        _("Reason dropped"),
        _("Note"),
        _("Recorded at"),
        _("Updated at"),
    ]
    shaped = (
        (
            *row[:4],
            labels.get(row[4], row[4]),
            *row[5:8],
            labels.get(row[8], row[8]),
            row[9],
            _time(row[10]),
            _time(row[11]),
        )
        for row in rows
    )
    return _stream_csv(f"event-{event.pk}-intents.csv", header, shaped, money=frozenset({3, 7}))
