"""Reads for the statistics summary (the dashboard's KPI cards and GET /api/v1/stats/summary/).

Computed from the raw tables in a fixed number of queries (one per table, whatever the data volume).
Every caller goes through summary(): when the rollup tables arrive, only the functions below change.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Enterprise
from lending.models import CreditDecision, GuaranteeMode, Loan
from lending.models.targets import Target
from lending.stats import deadline_status, monthly_growth_needed, progress_ratio
from xinyidai.errors import DomainError
from xinyidai.models import Region

ZERO = Decimal("0.00")
SHARE_PLACES = Decimal("0.0001")


def _end_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in the platform's time zone (Asia/Shanghai)."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, timezone.get_current_timezone()
    )


def registered_enterprises(*, region: Region, as_of: datetime.date) -> int:
    """Enterprises registered in the region subtree by the end of `as_of` (feed-created skeletons excluded)."""
    queryset = Enterprise.objects.filter(
        region.subtree_q("region"), is_skeleton=False, created_at__lt=_end_of_day(as_of)
    )
    return queryset.count()


def loan_figures(*, region: Region, as_of: datetime.date) -> dict:
    """Loans of enterprises in the region subtree disbursed up to `as_of`, in one query.

    Flows (disbursed amount and count, new first-loan customers) are exact for any `as_of`. The balances
    are the loans' current outstanding balances (live loans only), so they are the balance at `as_of` only
    when `as_of` is today: summary() refuses other days until balance history exists.
    """
    live = Q(status=Loan.Status.LIVE)
    row = Loan.objects.filter(Q(enterprise__region__in=region.subtree_ids()), disbursed_on__lte=as_of).aggregate(
        balance=Sum("outstanding_balance", filter=live),
        credit_loan_balance=Sum("outstanding_balance", filter=live & Q(guarantee_mode=GuaranteeMode.CREDIT)),
        disbursed_amount=Sum("principal"),
        disbursed_count=Count("id"),
        # Firms, not loans: an enterprise attested on two disbursements counts once (DOMAIN.md §4).
        new_first_loan_customers=Count("enterprise_id", distinct=True, filter=Q(first_loan_attested=True)),
    )
    for key in ("balance", "credit_loan_balance", "disbursed_amount"):
        row[key] = row[key] or ZERO
    return row


def granted_figures(*, region: Region, as_of: datetime.date) -> dict:
    """Approved credit decisions on applications of enterprises in the region subtree, decided by `as_of`."""
    row = CreditDecision.objects.filter(
        Q(application__enterprise__region__in=region.subtree_ids()),
        outcome=CreditDecision.Outcome.APPROVED,
        decided_at__lt=_end_of_day(as_of),
    ).aggregate(granted_amount=Sum("amount"), granted_count=Count("id"))
    row["granted_amount"] = row["granted_amount"] or ZERO
    return row


def credit_loan_share(*, credit_loan_balance: Decimal, balance: Decimal) -> Decimal | None:
    """Credit-loan balance / total balance of the same loans, to 4 places; None when there is no balance."""
    if not balance:
        return None
    return (credit_loan_balance / balance).quantize(SHARE_PLACES)


def target_progress(*, target: Target, figures: dict, as_of: datetime.date) -> dict:
    """One target against the figure it names: progress ratio, missed flag, gap and monthly growth needed."""
    current = Decimal(figures[target.metric])
    status = deadline_status(current=current, target=target.value, as_of=as_of, deadline=target.deadline)
    return {
        "id": target.pk,
        "metric": target.metric,
        "value": target.value,
        "deadline": target.deadline,
        "region": target.region.code,
        "note": target.note,
        "current": current,
        "progress": progress_ratio(current, target.value),
        "missed": status.missed,
        "gap": status.gap,
        "monthly_growth_needed": monthly_growth_needed(
            current=current, target=target.value, as_of=as_of, deadline=target.deadline
        ),
    }


def check_as_of(as_of: datetime.date, *, today: datetime.date) -> None:
    """Refuse days the raw tables cannot answer for (400): the future, and the past until balance history exists."""
    if as_of > today:
        raise DomainError(
            code="invalid",
            message=_("The date cannot be in the future."),
            detail={"as_of": [_("Future date.")]},
            status=400,
        )
    if as_of < today:
        # Loans keep only their current balance; a past balance needs the month-end balance history
        # (BalanceSnapshot), which this selector does not read yet. Refusing beats a wrong figure.
        raise DomainError(
            code="balance_history_unavailable",
            message=_("Balance history is not available yet: figures can only be given as of today."),
            detail={"as_of": [_("Only today's date is supported for now.")]},
            status=400,
        )


def summary(*, region: Region, as_of: datetime.date | None = None) -> dict:
    """The KPI figures of `region` and below as of `as_of` (default today), with the region's own targets."""
    today = timezone.localdate()
    as_of = as_of or today
    check_as_of(as_of, today=today)
    figures = {
        "registered_enterprises": registered_enterprises(region=region, as_of=as_of),
        **loan_figures(region=region, as_of=as_of),
        **granted_figures(region=region, as_of=as_of),
    }
    figures["credit_loan_share"] = credit_loan_share(
        credit_loan_balance=figures["credit_loan_balance"], balance=figures["balance"]
    )
    targets = Target.objects.filter(region=region).select_related("region")
    figures["targets"] = [target_progress(target=t, figures=figures, as_of=as_of) for t in targets]
    return {"region": region, "as_of": as_of, **figures}
