"""Overdue lists for government staff: applications past their response deadline and demand claims past theirs,
within the staff's region and below, per bank (head office)."""

import datetime

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from lending.models import Application, DemandClaim

RECENT_CLAIM_DAYS = 30  # lapsed claims stay on the list this long after their deadline

# The head office of a row's institution, id and name: institution trees are at most three deep (head office ->
# branch -> sub-branch), so the topmost existing node of the chain is the bank.
BANK = {
    "bank_id": Coalesce("institution__parent__parent_id", "institution__parent_id", "institution_id"),
    "bank_name": Coalesce("institution__parent__parent__name", "institution__parent__name", "institution__name"),
}


def overdue_applications(*, user, bank_id: int | None = None, now=None) -> QuerySet:
    """Open applications past their response deadline that `user` may see, oldest deadline first, with their
    bank (`bank_id`, `bank_name`); `bank_id` keeps one bank's."""
    rows = Application.objects.visible_to(user).overdue(now).annotate(**BANK)
    if bank_id is not None:
        rows = rows.filter(bank_id=bank_id)
    return rows.select_related("enterprise", "institution").order_by("respond_by", "id")


def overdue_by_bank(*, user, now=None) -> list[dict]:
    """The overdue applications per head office, the bank with the oldest overdue one first (one query):
    [{"bank_id", "bank_name", "count", "amount" (yuan requested), "oldest" (earliest deadline)}]."""
    return list(
        Application.objects.visible_to(user)
        .overdue(now)
        .annotate(**BANK)
        .order_by()
        .values("bank_id", "bank_name")
        .annotate(count=Count("id"), amount=Sum("amount"), oldest=Min("respond_by"))
        .order_by("oldest", "bank_id")
    )


def overdue_claims(*, user, now=None) -> QuerySet:
    """Demand claims that `user` may see and whose deadline passed: still active (the task has not run yet) or
    expired within RECENT_CLAIM_DAYS; oldest deadline first, with their bank."""
    now = now or timezone.now()
    lapsed = Q(status=DemandClaim.Status.ACTIVE, deadline__lte=now)
    recent = Q(status=DemandClaim.Status.EXPIRED, deadline__gte=now - datetime.timedelta(days=RECENT_CLAIM_DAYS))
    return (
        DemandClaim.objects.visible_to(user)
        .filter(lapsed | recent)
        .annotate(**BANK)
        .select_related("demand__enterprise", "institution")
        .order_by("deadline", "id")
    )
