"""Pure helpers for progress toward targets: no ORM, Decimal in, Decimal out.

A monthly series is a list of (month-end date, value) pairs, e.g. the month-end loan balances of a region.
"""

import calendar
import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

RATIO_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")


def month_index(day: datetime.date) -> int:
    """Months since year 0: consecutive months differ by 1, whatever the day within the month."""
    return day.year * 12 + day.month - 1


def month_end(index: int) -> datetime.date:
    """The last day of the month `month_index` numbers."""
    year, month0 = divmod(index, 12)
    return datetime.date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])


def _decimal(value: Fraction, places: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, rounding=ROUND_HALF_UP)


def progress_ratio(current: Decimal, target: Decimal) -> Decimal:
    """current / target, to 4 places (1.0000 = reached; above 1 when exceeded)."""
    if target <= 0:
        raise ValueError("a target value must be positive")
    return _decimal(Fraction(current) / Fraction(target), RATIO_PLACES)


def trend_reach_date(series: list[tuple[datetime.date, Decimal]], target: Decimal) -> datetime.date | None:
    """The month-end at which the trend of `series` first reaches `target`, or None if it never does.

    Method: ordinary least squares on month-end values, value = a + b * month, fitted over every point of the
    series (months may be missing). The answer is the end of the first month at or after the crossing, never
    before the series' first month. None when there are fewer than two distinct months or the trend is flat
    or declining (b <= 0), whatever the level: whether a target is already met is progress_ratio()'s answer;
    None too when the crossing lies past year 9999.
    """
    points = [(month_index(day), Fraction(value)) for day, value in series]
    if len({m for m, _v in points}) < 2:
        return None
    n = len(points)
    mean_m = Fraction(sum(m for m, _v in points), n)
    mean_v = sum((v for _m, v in points), Fraction(0)) / n
    sxx = sum((m - mean_m) ** 2 for m, _v in points)
    sxy = sum((m - mean_m) * (v - mean_v) for m, v in points)
    slope = sxy / sxx
    intercept = mean_v - slope * mean_m
    if slope <= 0:
        return None
    first = min(m for m, _v in points)
    crossing = (Fraction(target) - intercept) / slope
    reach = max(first, math.ceil(crossing))
    if reach > month_index(datetime.date.max):
        return None  # the trend reaches it, but not before the calendar ends
    return month_end(reach)


def months_left(as_of: datetime.date, deadline: datetime.date) -> int:
    """Month-ends from `as_of` to `deadline`: 0 once the deadline has passed, at least 1 before it."""
    if deadline < as_of:
        return 0
    return max(1, month_index(deadline) - month_index(as_of))


def monthly_growth_needed(
    *, current: Decimal, target: Decimal, as_of: datetime.date, deadline: datetime.date
) -> Decimal | None:
    """Growth per month (in the target's unit) still needed: the remaining gap spread evenly over the months
    left until the deadline (linear, not compound). 0 when reached; None once the deadline has passed."""
    if current >= target:
        return Decimal("0.00")
    months = months_left(as_of, deadline)
    if months == 0:
        return None
    return _decimal((Fraction(target) - Fraction(current)) / months, MONEY_PLACES)


@dataclass(frozen=True)
class DeadlineStatus:
    """Whether a target's deadline passed unmet, and by how much it fell short (0 when not missed)."""

    missed: bool
    gap: Decimal


def deadline_status(
    *, current: Decimal, target: Decimal, as_of: datetime.date, deadline: datetime.date
) -> DeadlineStatus:
    """Missed = the deadline is before `as_of` and `current` is below `target`; gap = target - current then."""
    missed = deadline < as_of and current < target
    return DeadlineStatus(missed=missed, gap=(target - current) if missed else Decimal("0.00"))
