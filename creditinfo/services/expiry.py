"""The nightly end of publication: records past their publication maximum, and negative information 5 years
after the event (DOMAIN.md §3), become `expired`; they stay in the table as audit history."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from creditinfo.models import NEGATIVE_CATEGORIES, CreditRecord
from creditinfo.publication import NEGATIVE_RETENTION_YEARS, add_months
from creditinfo.services.objections import evaluations_recompute_later

CHUNK = 20_000  # rows per transaction: short locks and bounded memory on a 10M-row table


def expirable(today: datetime.date):
    """Published-status records whose window has ended by `today`."""
    # decision_date + 60 months < today  <=>  decision_date < today - 60 months (add_months clamps both ways alike)
    cutoff = add_months(today, -12 * NEGATIVE_RETENTION_YEARS)
    ended = Q(publish_until__lt=today) | Q(category__in=sorted(NEGATIVE_CATEGORIES), decision_date__lt=cutoff)
    return CreditRecord.objects.filter(ended, status__in=(CreditRecord.Status.ACTIVE, CreditRecord.Status.DISPUTED))


def credit_records_expire(*, today: datetime.date | None = None, chunk: int = CHUNK) -> int:
    """Expire every record out of its window, in id-ordered chunks of their own transactions; returns the count.

    Keyset walk over the primary key (id > last seen), so each chunk is an index range and one run never holds
    a giant transaction; each chunk enqueues the re-evaluation of its enterprises once it commits.
    """
    today = today or timezone.localdate()
    candidates = expirable(today).order_by("id")
    expired, last_id = 0, 0
    while True:
        with transaction.atomic():
            rows = list(candidates.filter(id__gt=last_id).values_list("id", "enterprise_id")[:chunk])
            if not rows:
                return expired
            ids = [pk for pk, _enterprise in rows]
            # The status filter again: a row answered or repaired since the read keeps its new status.
            expired += CreditRecord.objects.filter(
                id__in=ids, status__in=(CreditRecord.Status.ACTIVE, CreditRecord.Status.DISPUTED)
            ).update(status=CreditRecord.Status.EXPIRED, updated_at=timezone.now())
            evaluations_recompute_later(enterprise_ids={enterprise for _pk, enterprise in rows})
            last_id = ids[-1]
