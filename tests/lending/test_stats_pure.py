"""lending.stats: progress, the least-squares trend date, growth still needed and missed deadlines."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lending.stats import (
    deadline_status,
    month_end,
    month_index,
    monthly_growth_needed,
    months_left,
    progress_ratio,
    trend_reach_date,
)

D = Decimal


def monthly(start: datetime.date, values) -> list[tuple[datetime.date, Decimal]]:
    first = month_index(start)
    return [(month_end(first + k), D(v)) for k, v in enumerate(values)]


def test_progress_ratio_rounds_to_four_places_and_exceeds_one():
    assert progress_ratio(D("1"), D("3")) == D("0.3333")
    assert progress_ratio(D("2"), D("3")) == D("0.6667")
    assert progress_ratio(D("0"), D("5")) == D("0.0000")
    assert progress_ratio(D("150"), D("100")) == D("1.5000")
    with pytest.raises(ValueError):
        progress_ratio(D("1"), D("0"))


def test_month_helpers():
    assert month_end(month_index(datetime.date(2024, 2, 3))) == datetime.date(2024, 2, 29)
    assert month_end(month_index(datetime.date(2025, 12, 31)) + 1) == datetime.date(2026, 1, 31)
    assert months_left(datetime.date(2025, 1, 15), datetime.date(2025, 12, 31)) == 11
    assert months_left(datetime.date(2025, 12, 1), datetime.date(2025, 12, 31)) == 1
    assert months_left(datetime.date(2026, 1, 1), datetime.date(2025, 12, 31)) == 0


def test_trend_reach_date_on_a_simple_series():
    # 100, 110, 120 at Jan-Mar 2025: +10 a month, so 150 is reached at the end of June.
    series = monthly(datetime.date(2025, 1, 1), [100, 110, 120])
    assert trend_reach_date(series, D("150")) == datetime.date(2025, 6, 30)
    # 151 is crossed during July: the first month-end at or after the crossing.
    assert trend_reach_date(series, D("151")) == datetime.date(2025, 7, 31)
    # Already below the line: never before the first month of the series.
    assert trend_reach_date(series, D("50")) == datetime.date(2025, 1, 31)


def test_trend_reach_date_is_least_squares_not_first_to_last():
    # Endpoints alone say +10/month (100 -> 130, so 200 in Nov 2025); OLS through all four points says less:
    # mean month 1.5, mean value 116.25, slope = 37.5 / 5 = 7.5, intercept 105;
    # 200 = 105 + 7.5 m -> m = 12.67 -> month 13 after Jan 2025 = Feb 2026.
    series = monthly(datetime.date(2025, 1, 1), [100, 125, 110, 130])
    assert trend_reach_date(series, D("200")) == datetime.date(2026, 2, 28)


def test_trend_reach_date_none_when_flat_declining_or_too_short():
    assert trend_reach_date(monthly(datetime.date(2025, 1, 1), [100, 100, 100]), D("50")) is None
    assert trend_reach_date(monthly(datetime.date(2025, 1, 1), [120, 110, 100]), D("200")) is None
    assert trend_reach_date(monthly(datetime.date(2025, 1, 1), [100]), D("200")) is None
    assert trend_reach_date([], D("200")) is None


@given(
    start=st.integers(min_value=0, max_value=5),
    base=st.decimals(min_value=0, max_value=10**12, places=2),
    step=st.decimals(min_value=D("0.01"), max_value=10**10, places=2),
    length=st.integers(min_value=2, max_value=24),
    ahead=st.integers(min_value=0, max_value=60),
)
def test_a_perfectly_linear_series_hits_the_target_exactly_at_the_predicted_month(start, base, step, length, ahead):
    series = monthly(datetime.date(2024 + start, 1, 1), [base + step * k for k in range(length)])
    k = length - 1 + ahead
    target = base + step * k
    assert trend_reach_date(series, target) == month_end(month_index(series[0][0]) + k)
    # A hair above the value of month k is reached only the month after.
    assert trend_reach_date(series, target + D("0.01")) == month_end(month_index(series[0][0]) + k + 1)


@given(
    current=st.decimals(min_value=0, max_value=10**12, places=2),
    gap=st.decimals(min_value=D("0.01"), max_value=10**12, places=2),
    months=st.integers(min_value=1, max_value=120),
)
def test_growth_needed_times_months_left_covers_the_gap(current, gap, months):
    as_of = datetime.date(2025, 1, 10)
    deadline = month_end(month_index(as_of) + months)
    growth = monthly_growth_needed(current=current, target=current + gap, as_of=as_of, deadline=deadline)
    assert abs(growth * months - gap) <= D("0.005") * months


def test_growth_needed_zero_when_reached_and_none_after_deadline():
    as_of, deadline = datetime.date(2025, 6, 15), datetime.date(2025, 12, 31)
    assert monthly_growth_needed(current=D("100"), target=D("130"), as_of=as_of, deadline=deadline) == D("5.00")
    assert monthly_growth_needed(current=D("130"), target=D("130"), as_of=as_of, deadline=deadline) == D("0.00")
    late = datetime.date(2026, 1, 1)
    assert monthly_growth_needed(current=D("100"), target=D("130"), as_of=late, deadline=deadline) is None


def test_deadline_status():
    deadline = datetime.date(2025, 12, 31)
    missed = deadline_status(current=D("70"), target=D("100"), as_of=datetime.date(2026, 1, 1), deadline=deadline)
    assert missed.missed and missed.gap == D("30")
    on_the_day = deadline_status(current=D("70"), target=D("100"), as_of=deadline, deadline=deadline)
    assert not on_the_day.missed and on_the_day.gap == D("0")
    met = deadline_status(current=D("100"), target=D("100"), as_of=datetime.date(2026, 1, 1), deadline=deadline)
    assert not met.missed and met.gap == D("0")
