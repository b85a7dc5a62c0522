"""Working-day arithmetic against China's official calendar (chinesecalendar), and its Monday-Friday fallback."""

import datetime
import logging
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from xinyidai import workdays
from xinyidai.workdays import add_working_days, deadline_after_working_days, is_working_day, working_days_between

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _first_unsupported_year() -> int:
    year = datetime.date.today().year
    while True:
        try:
            chinese_calendar.is_workday(D(year, 6, 1))
        except NotImplementedError:
            return year
        year += 1


FALLBACK_YEAR = _first_unsupported_year()


@pytest.fixture(autouse=True)
def _fresh_caches():
    workdays.is_working_day.cache_clear()
    workdays._warn_fallback.cache_clear()
    yield
    workdays.is_working_day.cache_clear()
    workdays._warn_fallback.cache_clear()


# -- the 2026 National Day and Mid-Autumn holidays -------------------------------------------------------


@pytest.mark.parametrize("day", [D(2026, 10, d) for d in range(1, 8)])
def test_national_day_week_is_off(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)])
def test_mid_autumn_2026_is_off(day):
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 12)],
)
def test_ordinary_weekdays_around_the_holiday_work(day):
    assert is_working_day(day)


def test_the_holiday_data_is_the_state_councils_2026_schedule():
    """Guards the assumptions below: 2026 National Day is 1-7 October and 10 October (a Saturday) is worked."""
    off = [day for day in (D(2026, 9, 30) + datetime.timedelta(days=n) for n in range(12)) if not is_working_day(day)]
    assert off == [D(2026, 10, d) for d in range(1, 8)] + [D(2026, 10, 11)]
    assert D(2026, 10, 10).weekday() == 5


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, D(2026, 9, 28)),
        (1, D(2026, 9, 29)),
        (2, D(2026, 9, 30)),
        (3, D(2026, 10, 8)),  # not 1 October: the whole National Day week is skipped
        (4, D(2026, 10, 9)),
        (5, D(2026, 10, 10)),  # a make-up working Saturday
        (6, D(2026, 10, 12)),
    ],
)
def test_monday_28_september_plus_working_days(days, expected):
    assert D(2026, 9, 28).weekday() == 0
    assert add_working_days(D(2026, 9, 28), days) == expected


def test_starting_inside_the_holiday_counts_from_the_first_working_day():
    assert add_working_days(D(2026, 10, 1), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 10, 7), 3) == D(2026, 10, 10)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 9, 28), -1)


# -- make-up working weekend days ------------------------------------------------------------------------

MAKE_UP_DAYS_2026 = [
    day
    for day in chinese_calendar.get_workdays(D(2026, 1, 1), D(2026, 12, 31), include_weekends=True)
    if day.weekday() >= 5
]


def test_2026_has_make_up_working_saturdays():
    assert D(2026, 10, 10) in MAKE_UP_DAYS_2026
    assert any(day.weekday() == 5 for day in MAKE_UP_DAYS_2026)


@pytest.mark.parametrize("day", MAKE_UP_DAYS_2026, ids=str)
def test_a_make_up_weekend_day_counts_as_a_working_day(day):
    assert is_working_day(day)
    before = day - datetime.timedelta(days=1)
    # Counting one working day from the eve lands on the weekend day itself, not on the next Monday.
    assert add_working_days(before, 1) == day
    assert working_days_between(before, day) == 1


def test_ordinary_weekends_are_off():
    assert not is_working_day(D(2026, 10, 17))  # Saturday
    assert not is_working_day(D(2026, 10, 18))  # Sunday
    assert add_working_days(D(2026, 10, 16), 1) == D(2026, 10, 19)


# -- beyond the calendar's last year ---------------------------------------------------------------------


def test_fallback_beyond_the_calendar_counts_monday_to_friday(caplog):
    monday = D(FALLBACK_YEAR, 1, 1)
    while monday.weekday() != 0:
        monday += datetime.timedelta(days=1)
    week = [monday + datetime.timedelta(days=n) for n in range(7)]
    with caplog.at_level(logging.WARNING, logger="xinyidai.workdays"):
        assert [is_working_day(day) for day in week] == [True] * 5 + [False] * 2
        assert add_working_days(monday + datetime.timedelta(days=4), 1) == monday + datetime.timedelta(days=7)
        assert add_working_days(monday, 10) == monday + datetime.timedelta(days=14)
    warnings = [r for r in caplog.records if str(FALLBACK_YEAR) in r.getMessage()]
    assert len(warnings) == 1  # logged once per year, not once per day


def test_fallback_kicks_in_across_the_year_boundary():
    """Official data up to 31 December of the last announced year, Monday-Friday from 1 January on."""
    days = [D(FALLBACK_YEAR - 1, 12, 20) + datetime.timedelta(days=n) for n in range(30)]
    expected = [chinese_calendar.is_workday(day) if day.year < FALLBACK_YEAR else day.weekday() < 5 for day in days]
    assert [is_working_day(day) for day in days] == expected
    start = D(FALLBACK_YEAR - 1, 12, 30)
    steps = [add_working_days(start, n) for n in range(1, 6)]
    assert steps == [day for day in days if day > start and expected[days.index(day)]][:5]


# -- working_days_between --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 9, 28), D(2026, 9, 28), 0),
        (D(2026, 9, 28), D(2026, 9, 29), 1),
        (D(2026, 9, 28), D(2026, 10, 7), 2),  # 29, 30 September; the holidays add nothing
        (D(2026, 9, 28), D(2026, 10, 8), 3),
        (D(2026, 9, 28), D(2026, 10, 12), 6),  # 29, 30, 8, 9, 10 (Saturday), 12
        (D(2026, 9, 24), D(2026, 9, 28), 1),  # Mid-Autumn Friday and the weekend are off
        (D(2026, 10, 12), D(2026, 9, 28), 0),  # an end before the start counts nothing
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


@pytest.mark.parametrize("days", range(0, 12))
def test_working_days_between_inverts_add_working_days(days):
    start = D(2026, 9, 24)
    assert working_days_between(start, add_working_days(start, days)) == days


# -- deadlines as aware datetimes ------------------------------------------------------------------------


def test_deadline_is_the_end_of_the_local_working_day():
    start = datetime.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
    deadline = deadline_after_working_days(start, 3)
    assert deadline == datetime.datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)
    assert deadline.utcoffset() == datetime.timedelta(hours=8)


def test_deadline_counts_from_the_local_date_not_the_utc_one():
    # 20:00 UTC on Monday 28 September is 04:00 on Tuesday 29 September in Zhengzhou.
    start = datetime.datetime(2026, 9, 28, 20, 0, tzinfo=datetime.UTC)
    assert deadline_after_working_days(start, 1) == datetime.datetime(2026, 9, 30, 23, 59, 59, tzinfo=SHANGHAI)
    assert deadline_after_working_days(start, 2) == datetime.datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)
