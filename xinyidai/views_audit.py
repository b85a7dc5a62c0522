"""The audit trail for platform admins and province staff: a filterable, keyset-paginated list and its CSV."""

import datetime

import django_filters as filters
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from xinyidai.exports import ExportColumn, csv_stream_response
from xinyidai.forms import filter_form
from xinyidai.models_audit import AuditEvent, audit_viewer, canonical_json
from xinyidai.views import paginate_keyset

EXPORT_CHUNK = 2000


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilter(filters.FilterSet):
    """Filters of the audit list and its export: what, who, when (local dates, both inclusive), on what."""

    action = filters.ChoiceFilter(label=_("Action"), choices=AuditEvent.Action.choices)
    actor = filters.CharFilter(label=_("Username"), field_name="actor_username", max_length=150)
    date_from = filters.DateFilter(label=_("From"), method="filter_date_from")
    date_to = filters.DateFilter(label=_("To"), method="filter_date_to")
    object_type = filters.CharFilter(label=_("Object type"), max_length=64, help_text=_("e.g. lending.application"))
    object_id = filters.CharFilter(label=_("Object id"), max_length=64)

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "date_from", "date_to", "object_type", "object_id"]

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_day_start(value + datetime.timedelta(days=1)))


def _filtered(request) -> AuditEventFilter:
    if not audit_viewer(request.user):
        raise Http404("The audit trail is for platform admins and province staff.")
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.visible_to(request.user))
    filter_form(filterset)
    return filterset


@require_safe
@login_required
def audit_list(request):
    """Newest events first, 20 a page (keyset on seq), with the filters."""
    filterset = _filtered(request)
    page_obj = paginate_keyset(request, filterset.qs, key="seq")
    return render(request, "xinyidai/audit_list.html", {"filter": filterset, "page_obj": page_obj})


EXPORT_COLUMNS = (
    ("seq", _("Sequence"), "int"),
    ("occurred_at", _("Time"), "text"),
    ("actor_username", _("Username"), "text"),
    ("actor_role", _("Role"), "text"),
    ("ip", _("IP address"), "text"),
    ("action", _("Action"), "text"),
    ("object_type", _("Object type"), "text"),
    ("object_id", _("Object id"), "text"),
    ("data", _("Details"), "text"),
    ("prev_hash", _("Previous hash"), "text"),
    ("hash", _("Hash"), "text"),
)


@require_safe
@login_required
def audit_export(request):
    """The filtered events as CSV, newest first, streamed (constant memory), hashes included so that an auditor
    can re-check the chain offline."""
    filterset = _filtered(request)
    fields = [name for name, _label, _kind in EXPORT_COLUMNS]
    rows = filterset.qs.order_by("-seq").values_list(*fields).iterator(chunk_size=EXPORT_CHUNK)

    def lines():
        data_at, time_at = fields.index("data"), fields.index("occurred_at")
        for row in rows:
            row = list(row)
            row[time_at] = timezone.localtime(row[time_at]).isoformat(timespec="seconds")
            row[data_at] = canonical_json(row[data_at])
            yield row

    columns = [ExportColumn(label, kind) for _name, label, kind in EXPORT_COLUMNS]
    return csv_stream_response(filename="audit-events.csv", columns=columns, rows=lines())
