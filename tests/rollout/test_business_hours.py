"""The business-hours rule for emergency starts, without a database: the first quiet quarter
hour after the lead time, in the region's own zone, across weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollout.business_hours import BusinessHours, parse_hours, quarter_hour, quiet_start
from rollout.errors import Invalid

NEW_YORK = ZoneInfo("America/New_York")
DUBLIN = ZoneInfo("Europe/Dublin")
SYDNEY = ZoneInfo("Australia/Sydney")
OFFICE = BusinessHours()
LEAD = timedelta(minutes=30)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_monday_in_the_issue_waits_for_five_pm_in_sydney():
    # 01:50 UTC is 12:50 on Monday 7 December in Sydney (AEDT, UTC+11).
    assert quiet_start(utc(2026, 12, 7, 1, 50), SYDNEY, OFFICE, LEAD) == utc(2026, 12, 7, 6, 0)


def test_friday_evening_starts_after_five_pm():
    # Friday 16:50 EST with 30 minutes' lead: 17:20, rounded to 17:30.
    assert quiet_start(utc(2026, 12, 4, 21, 50), NEW_YORK, OFFICE, LEAD) == utc(2026, 12, 4, 22, 30)


def test_friday_afternoon_waits_until_five_pm():
    assert quiet_start(utc(2026, 12, 4, 19, 0), NEW_YORK, OFFICE, LEAD) == utc(2026, 12, 4, 22, 0)


@pytest.mark.parametrize("hour", [0, 9, 12, 16, 23])
def test_saturday_any_time_starts_after_the_lead(hour):
    now = datetime(2026, 12, 5, hour, 5, tzinfo=NEW_YORK)
    assert quiet_start(now, NEW_YORK, OFFICE, LEAD) == (now + timedelta(minutes=40)).astimezone(UTC)


def test_early_morning_on_a_weekday_starts_before_nine():
    # 07:00 EST: 07:30 is outside business hours.
    assert quiet_start(utc(2026, 12, 8, 12, 0), NEW_YORK, OFFICE, LEAD) == utc(2026, 12, 8, 12, 30)


def test_a_start_in_the_last_quarter_before_nine_is_allowed():
    # 08:30 + 15 minutes' lead = 08:45 local, still outside.
    now = utc(2026, 12, 8, 13, 30)
    assert quiet_start(now, NEW_YORK, OFFICE, timedelta(minutes=15)) == utc(2026, 12, 8, 13, 45)


def test_a_window_that_would_run_into_the_morning_waits_for_the_evening():
    # 07:00 EST: a one-hour window from 07:30 ends at 08:30, outside; a two-hour one would end
    # at 09:30, inside the working day, so it waits for 17:00 EST (22:00 UTC).
    now = utc(2026, 12, 8, 12, 0)
    assert quiet_start(now, NEW_YORK, OFFICE, LEAD, timedelta(hours=1)) == utc(2026, 12, 8, 12, 30)
    assert quiet_start(now, NEW_YORK, OFFICE, LEAD, timedelta(hours=2)) == utc(2026, 12, 8, 22, 0)


def test_a_window_may_end_exactly_when_business_opens():
    # 06:30 EST + 30 minutes: 07:00-09:00 ends as the office opens.
    now = utc(2026, 12, 8, 11, 30)
    assert quiet_start(now, NEW_YORK, OFFICE, LEAD, timedelta(hours=2)) == utc(2026, 12, 8, 12, 0)


def test_a_friday_evening_window_runs_on_into_the_weekend():
    # Friday 23:30 EST with two hours: Saturday is closed all day.
    now = utc(2026, 12, 5, 4, 0)
    assert quiet_start(now, NEW_YORK, OFFICE, LEAD, timedelta(hours=2)) == utc(2026, 12, 5, 4, 30)


def test_us_hours_follow_daylight_time_the_monday_after_spring_forward():
    # Monday 9 March 2026 12:45 UTC + 30 minutes is 09:15 EDT (it would be 08:15 EST):
    # business hours, so 17:00 EDT, which is 21:00 UTC.
    assert quiet_start(utc(2026, 3, 9, 12, 45), NEW_YORK, OFFICE, LEAD) == utc(2026, 3, 9, 21, 0)


def test_us_hours_follow_standard_time_the_monday_after_fall_back():
    # Monday 2 November 2026 13:45 UTC + 30 minutes is 09:15 EST: 17:00 EST is 22:00 UTC.
    assert quiet_start(utc(2026, 11, 2, 13, 45), NEW_YORK, OFFICE, LEAD) == utc(2026, 11, 2, 22, 0)


def test_ireland_closes_at_five_gmt_after_the_clocks_go_back():
    # Monday 26 October 2026 08:20 UTC + 30 minutes: 09:00 GMT (it would be 10:00 IST).
    assert quiet_start(utc(2026, 10, 26, 8, 20), DUBLIN, OFFICE, LEAD) == utc(2026, 10, 26, 17, 0)


def test_ireland_closes_at_five_ist_after_the_clocks_go_forward():
    # Monday 30 March 2026 15:40 UTC + 30 minutes is 17:10 IST: outside, 17:15 IST.
    assert quiet_start(utc(2026, 3, 30, 15, 40), DUBLIN, OFFICE, LEAD) == utc(2026, 3, 30, 16, 15)


def test_sydney_closes_at_five_aest_after_daylight_time_ends():
    # Monday 6 April 2026 06:20 UTC + 30 minutes is 16:50 AEST (17:50 in AEDT): 17:00 AEST.
    assert quiet_start(utc(2026, 4, 6, 6, 20), SYDNEY, OFFICE, LEAD) == utc(2026, 4, 6, 7, 0)


def test_sydney_opens_at_nine_aedt_after_daylight_time_starts():
    # Monday 5 October 2026 21:40 UTC (Tuesday 08:40 AEDT) + 30 minutes is 09:10: 17:00 AEDT.
    assert quiet_start(utc(2026, 10, 5, 21, 40), SYDNEY, OFFICE, LEAD) == utc(2026, 10, 6, 6, 0)


def test_hours_that_span_a_dst_gap_are_stepped_over_by_real_instants():
    # Open 01:00-04:00 every day: on the US spring-forward night 02:00-03:00 does not exist,
    # and the first quiet instant is 04:00 EDT, three UTC hours after 01:00 EST.
    night = BusinessHours(time(1), time(4), "1234567")
    assert quiet_start(utc(2026, 3, 8, 6, 0), NEW_YORK, night, timedelta(0)) == utc(
        2026, 3, 8, 8, 0
    )


def test_a_region_open_every_day_waits_for_the_evening_on_a_sunday():
    all_week = BusinessHours(days="1234567")
    assert quiet_start(utc(2026, 12, 6, 15, 0), NEW_YORK, all_week, LEAD) == utc(2026, 12, 6, 22, 0)


@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from([NEW_YORK, DUBLIN, SYDNEY, ZoneInfo("Asia/Kolkata")]),
    lead=st.integers(min_value=0, max_value=180).map(lambda m: timedelta(minutes=m)),
)
def test_the_start_is_the_earliest_quiet_quarter_hour_after_the_lead(now, zone, lead):
    start = quiet_start(now, zone, OFFICE, lead)
    assert start >= now + lead and start.minute % 15 == 0 and start.second == 0
    assert not OFFICE.is_open(start, zone)
    earlier = quarter_hour(now + lead)
    while earlier < start:
        assert OFFICE.is_open(earlier, zone)
        earlier += timedelta(minutes=15)


def minutes_open(start: datetime, length: timedelta, zone: ZoneInfo) -> list[datetime]:
    """Every minute of [start, start + length) inside OFFICE hours, counted one by one."""
    minutes = int(length.total_seconds() // 60)
    every = (start + timedelta(minutes=m) for m in range(minutes))
    return [at for at in every if OFFICE.is_open(at, zone)]


@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from([NEW_YORK, DUBLIN, SYDNEY, ZoneInfo("Asia/Kolkata")]),
    length=st.integers(min_value=1, max_value=16).map(lambda q: timedelta(minutes=15 * q)),
)
def test_a_whole_window_stays_outside_business_hours_and_starts_as_early_as_it_can(
    now, zone, length
):
    start = quiet_start(now, zone, OFFICE, LEAD, length)
    assert start >= now + LEAD and start.minute % 15 == 0
    assert minutes_open(start, length, zone) == []
    earlier = quarter_hour(now + LEAD)
    while earlier < start:
        assert minutes_open(earlier, length, zone), f"{earlier} was free for {length}"
        earlier += timedelta(minutes=15)


@pytest.mark.parametrize(
    ("opens", "closes", "days", "field"),
    [
        ("9", "17:00", "12345", "business_opens"),
        ("09:00", "25:00", "12345", "business_closes"),
        ("17:00", "09:00", "12345", "business_closes"),
        ("09:00", "17:00", "mon-fri", "business_days"),
        ("09:00", "17:00", "8", "business_days"),
    ],
)
def test_hours_as_typed_are_checked_in_plain_words(opens, closes, days, field):
    with pytest.raises(Invalid) as caught:
        parse_hours(opens, closes, days)
    assert caught.value.field == field


def test_hours_are_read_as_typed():
    assert parse_hours("08:30", "18:00", "54321") == BusinessHours(time(8, 30), time(18), "12345")
