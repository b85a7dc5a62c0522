"""Response deadlines: an application not answered by its `respond_by` (working days, official holidays
respected) is overdue; its institution is told once. Demand-claim deadlines live in lending.services.demands."""

from django.db import transaction
from django.utils import timezone

from lending.models import Application
from lending.services import notices
from xinyidai.notifications import notify, officers_of

SWEEP_LIMIT = 1000  # per run, the most recently overdue first: a backlog never delays the fresh ones


def applications_flag_overdue(*, now=None) -> int:
    """Tell the institution's officers (and the handling officer) about each application that passed its response
    deadline while still submitted or accepted: once per application, stamped in `overdue_notified_at` under the
    row lock, so that a re-run, or two workers at once, never tell twice. Returns how many were flagged."""
    now = now or timezone.now()
    due = Application.objects.overdue(now).filter(overdue_notified_at__isnull=True).order_by("-respond_by")
    flagged = 0
    for pk in list(due.values_list("pk", flat=True)[:SWEEP_LIMIT]):
        with transaction.atomic():
            application = (
                Application.objects.overdue(now)
                .select_for_update(of=("self",))
                .select_related("enterprise", "institution")
                .filter(pk=pk, overdue_notified_at__isnull=True)
                .first()
            )
            if application is None:  # answered meanwhile, or flagged by another run
                continue
            application.overdue_notified_at = now
            application.save(update_fields=["overdue_notified_at"])
            officers = [*officers_of(application.institution), application.handled_by_id]
            notify(
                users=[uid for uid in officers if uid],
                kind="application_overdue",
                url=notices.application_url(application),
                params=notices.application_params(application, respond_by_at=application.respond_by.isoformat()),
            )
            flagged += 1
    return flagged
