"""Working-day arithmetic with China's official holidays and make-up working days (chinesecalendar).

The calendar package only knows the years the State Council has announced. Past its last year we
fall back to Monday-Friday and log it once, rather than refuse to compute a deadline.
"""

import datetime
import logging
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_fallback(day.year)
        return day.weekday() < 5


@lru_cache(maxsize=64)
def _warn_fallback(year: int) -> None:
    logger.warning("No official holiday data for %s; counting Monday-Friday as working days.", year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def deadline_after_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """End of the working day that is `days` working days after `start` (aware datetime in, aware out)."""
    local = start.astimezone(_tz())
    day = add_working_days(local.date(), days)
    end = datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=local.tzinfo)
    return end


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end`."""
    count, current = 0, start
    while current < end:
        current += datetime.timedelta(days=1)
        count += is_working_day(current)
    return count


def _tz():
    from django.utils import timezone

    return timezone.get_current_timezone()
