"""Publication windows of credit records (DOMAIN.md §3), as pure functions of dates: no ORM here.

A record is published from its decision date until the earliest of: the end the source sent
(`publish_until`), the maximum for its severity (dishonesty records: minor 3 months, general 1 year,
serious 3 years), and, for negative information, 5 years after the event. Early repair is possible
only after the severity's minimum period (minor: at once, general: 3 months, serious: 1 year) and once
the obligation is fulfilled.
"""

import datetime

from creditinfo.models import NEGATIVE_CATEGORIES, Severity

NEGATIVE_RETENTION_YEARS = 5

# (minimum before early repair, maximum publication), in months.
SEVERITY_MONTHS = {
    Severity.MINOR: (0, 3),
    Severity.GENERAL: (3, 12),
    Severity.SERIOUS: (12, 36),
}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def publication_end(
    *, category: str, severity: str, decision_date: datetime.date, publish_until: datetime.date | None
) -> datetime.date | None:
    """The last day the record is published; None means no end (positive records without a window)."""
    ends = [publish_until] if publish_until else []
    if severity in SEVERITY_MONTHS:
        ends.append(add_months(decision_date, SEVERITY_MONTHS[severity][1]))
    if category in NEGATIVE_CATEGORIES:
        ends.append(add_months(decision_date, 12 * NEGATIVE_RETENTION_YEARS))
    return min(ends) if ends else None


def repair_earliest(*, severity: str, decision_date: datetime.date) -> datetime.date:
    """The first day an early repair may be approved: after the severity's minimum publication period."""
    minimum = SEVERITY_MONTHS.get(severity, (0, 0))[0]
    return add_months(decision_date, minimum)


def is_published(
    *, status: str, decision_date: datetime.date, publish_until: datetime.date | None, today: datetime.date
) -> bool:
    """The Python twin of CreditRecordQuerySet.published(); `publish_until` is the stored effective end."""
    from creditinfo.models import CreditRecord

    if status not in (CreditRecord.Status.ACTIVE, CreditRecord.Status.DISPUTED):
        return False
    return decision_date <= today and (publish_until is None or publish_until >= today)
