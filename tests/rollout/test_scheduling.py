"""Recurrence rules as pure functions: DST gaps and folds, nth weekdays, validation."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rollout.errors import Invalid
from rollout.scheduling import (
    Occurrence,
    Span,
    _day_rule,
    contains,
    localize,
    occurrences,
    overlaps,
    parse_zone,
    suggest_zones,
    validate_cron,
    wall_times,
)

NEW_YORK = ZoneInfo("America/New_York")
DUBLIN = ZoneInfo("Europe/Dublin")
SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = {"America/New_York": NEW_YORK, "Europe/Dublin": DUBLIN, "Australia/Sydney": SYDNEY}
SATURDAY, SUNDAY = 5, 6  # date.weekday()
TWO_HOURS = timedelta(hours=2)


def in_year(
    cron: str, zone: ZoneInfo, year: int, duration: timedelta = TWO_HOURS
) -> list[Occurrence]:
    """The occurrences of `cron` in local calendar year `year`."""
    return list(
        occurrences(
            cron,
            zone,
            duration,
            after=local_midnight(date(year, 1, 1), zone),
            until=local_midnight(date(year + 1, 1, 1), zone),
        )
    )


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of UTC `instant` in `zone`."""
    return instant.astimezone(zone).replace(tzinfo=None)


def offsets_around(local: datetime, zone: ZoneInfo) -> set[timedelta]:
    """The UTC offsets `zone` uses in the two days either side of `local`."""
    return {(local + timedelta(days=d)).replace(tzinfo=zone).utcoffset() for d in (-2, 2)}


def instants_of(local: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every UTC instant showing wall time `local` in `zone`: none in a gap, two in a fold."""
    candidates = {(local - offset).replace(tzinfo=UTC) for offset in offsets_around(local, zone)}
    return sorted(c for c in candidates if wall(c, zone) == local)


def gap_length(local: datetime, zone: ZoneInfo) -> timedelta:
    offsets = offsets_around(local, zone)
    return max(offsets) - min(offsets)


def expected_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The documented rule, worked out independently: first instant, or shifted past a gap."""
    found = instants_of(local, zone)
    if found:
        return found[0]
    # In a gap the clock still shows the old offset, so the wall time moves forward.
    return (local - min(offsets_around(local, zone))).replace(tzinfo=UTC)


def nth_weekday(day: date) -> int:
    return (day.day - 1) // 7 + 1


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- explicit DST switch weekends -------------------------------------------------------------

SWITCH_WEEKENDS = [
    # zone, day, UTC offset at 09:00 local
    ("America/New_York", date(2026, 3, 7), -5),
    ("America/New_York", date(2026, 3, 8), -4),  # spring forward at 02:00
    ("America/New_York", date(2026, 10, 31), -4),
    ("America/New_York", date(2026, 11, 1), -5),  # fall back at 02:00
    ("Europe/Dublin", date(2026, 3, 28), 0),
    ("Europe/Dublin", date(2026, 3, 29), 1),  # forward at 01:00 GMT
    ("Europe/Dublin", date(2026, 10, 24), 1),
    ("Europe/Dublin", date(2026, 10, 25), 0),  # back at 02:00 IST
    ("Australia/Sydney", date(2026, 4, 4), 11),
    ("Australia/Sydney", date(2026, 4, 5), 10),  # back at 03:00 AEDT
    ("Australia/Sydney", date(2026, 10, 3), 10),
    ("Australia/Sydney", date(2026, 10, 4), 11),  # forward at 02:00 AEST
]


@pytest.mark.parametrize(("zone_name", "day", "offset_hours"), SWITCH_WEEKENDS)
def test_nine_oclock_window_on_a_switch_weekend_stays_at_nine_local(zone_name, day, offset_hours):
    zone = ZONES[zone_name]
    [occurrence] = in_year(f"0 9 {day.day} {day.month} *", zone, day.year)
    start, end = occurrence.span.start.astimezone(zone), occurrence.span.end.astimezone(zone)
    assert occurrence.local_start == datetime(day.year, day.month, day.day, 9)
    assert (start.date(), start.hour, start.minute) == (day, 9, 0)
    assert (end.date(), end.hour, end.minute) == (day, 11, 0)
    assert start.utcoffset() == end.utcoffset() == timedelta(hours=offset_hours)
    assert occurrence.span.end - occurrence.span.start == TWO_HOURS


SECOND_SATURDAYS_AROUND_SWITCHES = {
    "America/New_York": [
        (date(2026, 2, 14), -5),
        (date(2026, 3, 14), -4),
        (date(2026, 10, 10), -4),
        (date(2026, 11, 14), -5),
    ],
    "Europe/Dublin": [
        (date(2026, 3, 14), 0),
        (date(2026, 4, 11), 1),
        (date(2026, 10, 10), 1),
        (date(2026, 11, 14), 0),
    ],
    "Australia/Sydney": [
        (date(2026, 3, 14), 11),
        (date(2026, 4, 11), 10),
        (date(2026, 9, 12), 10),
        (date(2026, 10, 10), 11),
    ],
}


@pytest.mark.parametrize("zone_name", sorted(SECOND_SATURDAYS_AROUND_SWITCHES))
def test_second_saturday_stays_at_nine_across_dst(zone_name):
    zone = ZONES[zone_name]
    by_day = {o.local_start.date(): o for o in in_year("0 9 * * 6#2", zone, 2026)}
    for day, offset_hours in SECOND_SATURDAYS_AROUND_SWITCHES[zone_name]:
        start = by_day[day].span.start.astimezone(zone)
        end = by_day[day].span.end.astimezone(zone)
        assert (start.date(), start.hour, start.minute) == (day, 9, 0)
        assert (end.hour, end.minute) == (11, 0)
        assert start.utcoffset() == timedelta(hours=offset_hours)


GAPS = [
    # zone, nonexistent wall start, the start it moves to (local, with offset), UTC start
    (
        "America/New_York",
        datetime(2026, 3, 8, 2, 30),
        "2026-03-08T03:30:00-04:00",
        utc(2026, 3, 8, 7, 30),
    ),
    (
        "Europe/Dublin",
        datetime(2026, 3, 29, 1, 30),
        "2026-03-29T02:30:00+01:00",
        utc(2026, 3, 29, 1, 30),
    ),
    (
        "Australia/Sydney",
        datetime(2026, 10, 4, 2, 30),
        "2026-10-04T03:30:00+11:00",
        utc(2026, 10, 3, 16, 30),
    ),
]


@pytest.mark.parametrize(("zone_name", "local", "moved_to", "utc_start"), GAPS)
def test_start_in_the_spring_gap_moves_forward_by_the_gap_and_keeps_its_duration(
    zone_name, local, moved_to, utc_start
):
    zone = ZONES[zone_name]
    occurrences_that_year = in_year(
        f"{local.minute} {local.hour} {local.day} {local.month} *", zone, local.year
    )
    [occurrence] = occurrences_that_year
    assert occurrence.local_start == local
    assert occurrence.span.start == utc_start
    assert occurrence.span.start.astimezone(zone).isoformat() == moved_to
    assert occurrence.span.end - occurrence.span.start == TWO_HOURS
    assert wall(occurrence.span.end, zone) == wall(utc_start, zone) + TWO_HOURS


def test_us_half_past_two_on_spring_forward_night_becomes_half_past_three_daylight_time():
    [occurrence] = in_year("30 2 8 3 *", NEW_YORK, 2026, duration=timedelta(minutes=45))
    start = occurrence.span.start.astimezone(NEW_YORK)
    assert start.isoformat() == "2026-03-08T03:30:00-04:00"
    assert start.tzname() == "EDT"
    assert occurrence.span.end.astimezone(NEW_YORK).isoformat() == "2026-03-08T04:15:00-04:00"


FOLDS = [
    # zone, wall start that happens twice, the first of the two instants
    ("America/New_York", datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
    ("Europe/Dublin", datetime(2026, 10, 25, 1, 30), utc(2026, 10, 25, 0, 30)),
    ("Australia/Sydney", datetime(2026, 4, 5, 2, 30), utc(2026, 4, 4, 15, 30)),
]


@pytest.mark.parametrize(("zone_name", "local", "first_instant"), FOLDS)
def test_start_in_the_autumn_fold_takes_the_first_instant_and_gives_one_window(
    zone_name, local, first_instant
):
    zone = ZONES[zone_name]
    # A daily rule over the three days around the switch: the doubled hour fires once.
    daily = list(
        occurrences(
            f"{local.minute} {local.hour} * * *",
            zone,
            TWO_HOURS,
            after=local_midnight(local.date() - timedelta(days=1), zone),
            until=local_midnight(local.date() + timedelta(days=2), zone),
        )
    )
    assert [o.local_start.date() for o in daily] == [
        local.date() - timedelta(days=1),
        local.date(),
        local.date() + timedelta(days=1),
    ]
    occurrence = daily[1]
    assert occurrence.local_start == local
    assert occurrence.span.start == first_instant
    assert wall(occurrence.span.start, zone) == local
    # Two wall hours from the first 01:30 (or 02:30) live through the doubled hour: three hours.
    assert occurrence.span.end - occurrence.span.start == TWO_HOURS + timedelta(hours=1)
    assert wall(occurrence.span.end, zone) == local + TWO_HOURS


@pytest.mark.parametrize(("zone_name", "local", "first_instant"), FOLDS)
def test_a_wall_time_marked_as_the_second_pass_of_a_fold_still_means_the_first_instant(
    zone_name, local, first_instant
):
    assert localize(local.replace(fold=1), ZONES[zone_name]) == first_instant


def test_us_half_past_one_on_fall_back_night_is_daylight_time():
    [occurrence] = in_year("30 1 1 11 *", NEW_YORK, 2026, duration=timedelta(minutes=20))
    assert occurrence.span.start.astimezone(NEW_YORK).tzname() == "EDT"
    assert occurrence.span.end.astimezone(NEW_YORK).isoformat() == "2026-11-01T01:50:00-04:00"


@pytest.mark.parametrize(("day", "real_hours"), [(date(2026, 3, 8), 3), (date(2026, 11, 1), 5)])
def test_window_across_a_us_switch_ends_at_its_wall_clock_end(day, real_hours):
    [occurrence] = in_year(
        f"0 0 {day.day} {day.month} *", NEW_YORK, day.year, duration=timedelta(hours=4)
    )
    assert wall(occurrence.span.end, NEW_YORK) == datetime(day.year, day.month, day.day, 4)
    assert occurrence.span.end - occurrence.span.start == timedelta(hours=real_hours)


# --- nth weekday and day-of-month AND day-of-week ------------------------------------------


def test_second_saturday_rule_is_always_the_second_saturday():
    found = list(
        occurrences(
            "0 9 * * 6#2", NEW_YORK, TWO_HOURS, after=utc(2020, 1, 1), until=utc(2040, 1, 1)
        )
    )
    assert len(found) == 20 * 12
    assert all(o.local_start.weekday() == SATURDAY for o in found)
    assert all(8 <= o.local_start.day <= 14 for o in found)


def test_days_one_to_seven_on_saturday_is_the_first_saturday_not_every_day():
    found = list(
        occurrences("0 9 1-7 * 6", DUBLIN, TWO_HOURS, after=utc(2020, 1, 1), until=utc(2040, 1, 1))
    )
    assert len(found) == 20 * 12
    assert all(o.local_start.weekday() == SATURDAY for o in found)
    assert all(1 <= o.local_start.day <= 7 for o in found)
    assert len({(o.local_start.year, o.local_start.month) for o in found}) == len(found)


# --- validation -------------------------------------------------------------------------------


# croniter reads a sixth field as seconds: "0 9 * * 6 */15" would fire four times at 09:00.
WRONG_FIELD_COUNT = ["0 9 * *", "0 9 * * 6 2026", "0 9 * * 6 */15", "", "   ", "@monthly"]
OUT_OF_RANGE = [
    "60 9 * * 6",
    "0 24 * * 6",
    "0 9 0 * *",
    "0 9 32 * *",
    "0 9 * 0 *",
    "0 9 * 13 *",
    "0 9 * * 8",
    "0 9 * * 6#6",
    "-1 9 * * 6",
]
GARBAGE = ["every saturday", "a b c d e", "0 9 * * sat#x", "0 9 ? * 6;", "0 9 * * 6#2 #"]
# Day and weekday must both hold: 31 April is never a Saturday, read as OR it is every one.
NEVER_HAPPENS = ["0 9 30 2 *", "0 9 31 4 *", "0 9 31 11 *", "0 9 31 4 6"]
# Several firings a day would let a start pushed out of a DST gap land on the next one.
SEVERAL_A_DAY = ["*/30 * * * *", "0 * * * 6", "0,30 9 * * 6#2", "0 9-11 * * 6"]


@pytest.mark.parametrize(
    "expression", WRONG_FIELD_COUNT + OUT_OF_RANGE + GARBAGE + NEVER_HAPPENS + SEVERAL_A_DAY
)
def test_validate_cron_refuses_bad_expressions_naming_the_cron_field(expression):
    with pytest.raises(Invalid) as caught:
        validate_cron(expression)
    assert caught.value.field == "cron"


@pytest.mark.parametrize("expression", WRONG_FIELD_COUNT)
def test_a_rule_without_exactly_five_fields_is_refused_for_its_field_count(expression):
    with pytest.raises(Invalid) as caught:
        validate_cron(expression)
    assert caught.value.message == (
        "cron expression needs five fields: minute hour day month weekday"
    )


@pytest.mark.parametrize("expression", SEVERAL_A_DAY + ["a b c d e", "-1 9 * * 6"])
def test_a_rule_firing_more_than_once_a_day_is_refused_saying_so(expression):
    with pytest.raises(Invalid) as caught:
        validate_cron(expression)
    assert caught.value.message == (
        "a maintenance rule fires at most once a day: give one minute and one hour, "
        "e.g. '0 9 * * 6#2'"
    )


@pytest.mark.parametrize("expression", NEVER_HAPPENS + OUT_OF_RANGE[:-1] + ["0 9 * * sat#x"])
def test_a_rule_croniter_cannot_read_or_that_never_happens_is_refused_quoting_it(expression):
    with pytest.raises(Invalid) as caught:
        validate_cron(expression)
    assert caught.value.message.startswith(f"invalid cron expression {expression!r}")


@pytest.mark.parametrize("expression", [None, 9, ["0", "9", "*", "*", "6"]])
def test_validate_cron_refuses_non_strings_naming_the_cron_field(expression):
    with pytest.raises(Invalid) as caught:
        validate_cron(expression)
    assert caught.value.field == "cron"
    assert caught.value.message == "cron expression must be a string"


def test_validate_cron_normalises_whitespace():
    assert validate_cron("  0  9 *\t* 6#2 ") == "0 9 * * 6#2"
    assert validate_cron("0 9 29 2 *") == "0 9 29 2 *"  # a leap day does happen
    assert validate_cron("0 9 1-7 * 6") == "0 9 1-7 * 6"  # the first Saturday


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "europe/dublin", "GMT+25", None, "../etc/passwd"]
)
def test_parse_zone_refuses_unknown_zones_naming_the_timezone_field(name):
    with pytest.raises(Invalid) as caught:
        parse_zone(name)
    assert caught.value.field == "timezone"


@pytest.mark.parametrize("name", [["Europe/Dublin"], {"Europe/Dublin": 1}, 5, b"UTC"])
def test_a_zone_name_of_the_wrong_type_is_refused_as_unknown_not_a_crash(name):
    with pytest.raises(Invalid) as caught:
        parse_zone(name)
    assert caught.value.field == "timezone"
    assert caught.value.message == "unknown time zone: use a name such as Europe/Dublin"


def test_parse_zone_knows_the_region_zones_and_utc():
    assert parse_zone("Europe/Dublin") == DUBLIN
    assert parse_zone("UTC") == ZoneInfo("UTC")


@pytest.mark.parametrize(
    "typed, offered",
    [
        ("Paris", "try Europe/Paris"),
        ("europe/dublin", "try Europe/Dublin"),
        ("new york", "try America/New_York"),
        ("Sydny", "try Australia/Sydney"),
        ("hong kong", "try Asia/Hong_Kong"),  # the city itself, not also "Hongkong"
        (
            "America/Indiana",
            "try America/Indianapolis or America/Indiana/Knox or America/Indiana/Vevay",
        ),
        ("Canada", "use a name such as Europe/Dublin"),  # not America/Panama
        ("Mars/Olympus", "use a name such as Europe/Dublin"),
        ("x" * 10_000, "use a name such as Europe/Dublin"),
    ],
)
def test_an_unknown_zone_is_refused_offering_the_closest_names(typed, offered):
    with pytest.raises(Invalid) as caught:
        parse_zone(typed)
    assert caught.value.message == f"unknown time zone: {offered}"


def test_at_most_the_number_of_names_asked_for_is_offered():
    assert suggest_zones("America/Indiana", limit=1) == ["America/Indianapolis"]
    assert len(suggest_zones("America/Indiana")) == 3


# --- properties across decades ------------------------------------------------------------------


def cron_weekday(python_weekday: int) -> int:
    return (python_weekday + 1) % 7


@settings(max_examples=200, deadline=None)
@given(
    zone_name=st.sampled_from(sorted(ZONES)),
    nth=st.integers(1, 4),
    # Switches happen on Sundays in the small hours: weight the draws towards them.
    weekday=st.just(SUNDAY) | st.integers(0, 6),
    hour=st.sampled_from([0, 1, 2, 3]) | st.integers(0, 23),
    minute=st.integers(0, 59),
    duration=st.integers(1, 600),
    first_year=st.integers(1990, 2059),
    years=st.integers(1, 6),
)
# Start in the spring gap:
@example(
    zone_name="America/New_York",
    nth=2,
    weekday=SUNDAY,
    hour=2,
    minute=30,
    duration=60,
    first_year=2007,
    years=6,
)
# End in the spring gap:
@example(
    zone_name="America/New_York",
    nth=2,
    weekday=SUNDAY,
    hour=1,
    minute=30,
    duration=60,
    first_year=2010,
    years=6,
)
# Start in the fold:
@example(
    zone_name="America/New_York",
    nth=1,
    weekday=SUNDAY,
    hour=1,
    minute=30,
    duration=90,
    first_year=2010,
    years=6,
)
# 2027-03-28 is in the gap, 2026-10-25 in the fold:
@example(
    zone_name="Europe/Dublin",
    nth=4,
    weekday=SUNDAY,
    hour=1,
    minute=15,
    duration=30,
    first_year=2026,
    years=2,
)
# October gap, April fold:
@example(
    zone_name="Australia/Sydney",
    nth=1,
    weekday=SUNDAY,
    hour=2,
    minute=0,
    duration=600,
    first_year=2020,
    years=6,
)
def test_monthly_nth_weekday_rules_keep_their_wall_clock_across_decades(
    zone_name, nth, weekday, hour, minute, duration, first_year, years
):
    zone = ZONES[zone_name]
    last_year = min(first_year + years, 2060)
    cron = f"{minute} {hour} * * {cron_weekday(weekday)}#{nth}"
    length = timedelta(minutes=duration)
    found = list(
        occurrences(
            cron,
            zone,
            length,
            after=local_midnight(date(first_year, 1, 1), zone),
            until=local_midnight(date(last_year, 1, 1), zone),
        )
    )

    months = Counter((o.local_start.year, o.local_start.month) for o in found)
    assert set(months) == {(y, m) for y in range(first_year, last_year) for m in range(1, 13)}
    assert set(months.values()) == {1}
    assert [o.span.start for o in found] == sorted(o.span.start for o in found)
    for occurrence in found:
        rule_start = occurrence.local_start
        assert (rule_start.hour, rule_start.minute) == (hour, minute)
        assert rule_start.weekday() == weekday
        assert nth_weekday(rule_start.date()) == nth

        start, end = occurrence.span.start, occurrence.span.end
        actual = wall(start, zone)
        assert start == expected_instant(rule_start, zone)
        if instants_of(rule_start, zone):
            assert actual == rule_start
        else:
            assert actual == rule_start + gap_length(rule_start, zone)
            assert actual.date() == rule_start.date()

        assert end > start
        wall_end = actual + length
        assert end == expected_instant(wall_end, zone)
        if instants_of(wall_end, zone):
            assert wall(end, zone) == wall_end
        else:
            assert wall(end, zone) == wall_end + gap_length(wall_end, zone)


# --- overlaps ---------------------------------------------------------------------------------

BASE = utc(2026, 1, 1)


def test_touching_spans_do_not_overlap():
    morning = Span(BASE.replace(hour=9), BASE.replace(hour=11))
    noon = Span(BASE.replace(hour=11), BASE.replace(hour=12))
    assert not overlaps(morning, noon)
    assert not overlaps(noon, morning)
    assert overlaps(morning, Span(BASE.replace(hour=10, minute=59), BASE.replace(hour=12)))


def test_a_window_holds_its_first_instant_but_not_its_end():
    window = Span(BASE.replace(hour=9), BASE.replace(hour=11))
    assert contains(window, window.start)
    assert contains(window, window.end - timedelta(microseconds=1))
    assert not contains(window, window.end)
    assert not contains(window, window.start - timedelta(microseconds=1))


spans = st.builds(
    lambda start, length: Span(
        BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length)
    ),
    st.integers(0, 2000),
    st.integers(1, 600),
)


@settings(max_examples=200, deadline=None)
@given(a=spans, b=spans)
def test_overlaps_is_symmetric_and_means_a_shared_instant(a, b):
    assert overlaps(a, b) == overlaps(b, a)
    # Half-open: some minute lies in both exactly when the later start is before the earlier end.
    shared = max(a.start, b.start) < min(a.end, b.end)
    assert overlaps(a, b) == shared


# --- ten years ------------------------------------------------------------------------------


def test_ten_years_of_us_windows_are_second_saturdays_from_nine_to_eleven_new_york_time():
    found = list(
        occurrences(
            "0 9 * * 6#2",
            NEW_YORK,
            timedelta(minutes=120),
            after=local_midnight(date(2027, 1, 1), NEW_YORK),
            until=local_midnight(date(2037, 1, 1), NEW_YORK),
        )
    )
    assert len(found) == 120
    for occurrence in found:
        start = occurrence.span.start.astimezone(NEW_YORK)
        end = occurrence.span.end.astimezone(NEW_YORK)
        assert start.weekday() == SATURDAY and 8 <= start.day <= 14
        assert (start.hour, start.minute, end.hour, end.minute) == (9, 0, 11, 0)
        assert end.date() == start.date()


# --- the bounds of a search -------------------------------------------------------------------

UTC_ZONE = ZoneInfo("UTC")


def test_an_occurrence_starting_at_after_is_kept_and_one_starting_at_until_is_not():
    first = utc(2026, 6, 1, 9)
    found = occurrences(
        "0 9 * * *", UTC_ZONE, TWO_HOURS, after=first, until=first + timedelta(days=2)
    )
    assert [o.span.start for o in found] == [first, first + timedelta(days=1)]


def test_a_rule_active_between_two_days_fires_on_both_of_them_even_at_midnight():
    found = occurrences(
        "0 0 * * *",
        DUBLIN,
        TWO_HOURS,
        after=utc(2020, 1, 1),
        until=utc(2030, 1, 1),
        active_from=date(2024, 3, 5),
        active_until=date(2024, 3, 8),
    )
    assert [o.local_start for o in found] == [datetime(2024, 3, day) for day in (5, 6, 7, 8)]


@pytest.fixture
def server_far_east():
    """The process's own zone 14 hours ahead of UTC, as a server's may be."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "EAST-14"  # POSIX: the zone called EAST is UTC+14
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_the_servers_own_zone_changes_no_window(server_far_east):
    pago_pago = ZoneInfo("Pacific/Pago_Pago")  # UTC-11: 25 hours behind that server
    first = datetime(2026, 6, 1, 9, tzinfo=pago_pago).astimezone(UTC)
    found = list(
        occurrences("0 9 * * *", pago_pago, TWO_HOURS, after=first, until=first + timedelta(days=2))
    )
    assert [o.span.start for o in found] == [first, first + timedelta(days=1)]
    for occurrence in found:
        assert occurrence.span.start.utcoffset() == occurrence.span.end.utcoffset() == timedelta(0)


# The calendar reading of a rule stands in for croniter's own walk: same firings, always.
DAYS_OF_MONTH = ["*", "?", "1", "15", "29", "31", "L", "1-7", "8-14", "*/2", "1,L", "28-31"]
MONTHS = ["*", "1", "2", "2,8", "*/3", "6-9", "jan", "dec"]
WEEKDAYS = [
    "*", "0", "6", "7", "1-5", "sat", "sun,sat", "*/2", "6#1", "6#2", "1#3", "5#5", "L6",
    "l0", "1#1,5#3", "1#2,L5", "6#1,6#3",
]  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    day=st.sampled_from(DAYS_OF_MONTH),
    month=st.sampled_from(MONTHS),
    weekday=st.sampled_from(WEEKDAYS),
    after=st.datetimes(datetime(1999, 1, 1), datetime(2090, 1, 1)),
)
@example(minute=0, hour=9, day="1W", month="*", weekday="*", after=datetime(2026, 1, 1))
def test_wall_times_are_exactly_croniters_firings(minute, hour, day, month, weekday, after):
    cron = f"{minute} {hour} {day} {month} {weekday}"
    try:
        validate_cron(cron)
    except Invalid:
        return
    until = after + timedelta(days=2 * 366)
    walk = croniter(cron, after, day_or=False)
    expected = []
    while (wall := walk.get_next(datetime)) <= until:
        expected.append(wall)
    assert list(wall_times(cron, after=after, until=until)) == expected


@pytest.mark.parametrize(
    "cron",
    [
        "0 9 * * L6",  # the last Saturday
        "0 9 * * l0",
        "0 9 * * 5#5",  # a fifth Friday: some months have none
        "0 9 * * 1#1,5#3",
        "0 9 * * 1#2,L5",
        "0 9 * * 6#1,6#3",
        "30 2 L * *",
        "0 9 1,L * *",
        "0 9 28-31 2 *",
        "0 9 1-7 * 6",  # day and weekday both: the first Saturday
        "0 9 */2 */3 *",
        "0 9 * jan,dec sun,sat",
        "0 9 * * *",
    ],
)
def test_each_day_syntax_is_read_off_the_calendar_with_croniters_firings(cron):
    _day_rule.cache_clear()  # read afresh, not as an earlier test (or process) left it
    after = datetime(2026, 1, 1)
    walk = croniter(cron, after, day_or=False)
    expected = [walk.get_next(datetime) for _ in range(30)]
    assert _day_rule(validate_cron(cron)) is not None  # not walked by croniter
    # Up to and including a firing exactly at the end of the span.
    assert list(wall_times(cron, after=after, until=expected[-1])) == expected


@pytest.mark.parametrize("cron", ["0 9 15W * 1", "0 9 1W * *"])
def test_a_nearest_weekday_rule_is_walked_by_croniter_with_days_and_weekdays_both_binding(cron):
    _day_rule.cache_clear()
    after = datetime(2026, 1, 1)
    walk = croniter(cron, after, day_or=False)
    expected = [walk.get_next(datetime) for _ in range(8)]
    assert _day_rule(validate_cron(cron)) is None
    assert list(wall_times(cron, after=after, until=expected[-1])) == expected
