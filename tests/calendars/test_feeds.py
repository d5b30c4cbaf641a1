"""Feeds as pure rendering: instants survive a round trip, VTIMEZONEs in RRULE form, headers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from calendars.feeds import FeedEvent, FeedInfo, render_feed
from calendars.timezones import _ordinals, vtimezone

REGIONS = {"us": "America/New_York", "eu": "Europe/Dublin", "apac": "Australia/Sydney"}
ZONES = [
    *REGIONS.values(),
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Lord_Howe",  # half-hour DST
    "Asia/Tokyo",  # no DST
    "Africa/Cairo",  # switches on Fridays
]
INFO = FeedInfo(name="Maintenance windows")
T0 = datetime(2027, 3, 13, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def zones_built_afresh():
    """Each test builds the VTIMEZONEs it reads: ones an earlier test left in the cache would
    hide a wrong rule from it (and from `make mutation`, which runs every test in one process)."""
    vtimezone.cache_clear()


def feed_event(uid: str = "window-1@rollout.test", **overrides) -> FeedEvent:
    fields = {
        "uid": uid,
        "sequence": 0,
        "title": "Monthly maintenance",
        "cancelled": False,
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=2),
        "timezone": "America/New_York",
        "created": T0 - timedelta(days=30),
        "last_modified": T0 - timedelta(days=30),
    }
    return FeedEvent(**(fields | overrides))


def parsed(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def instants(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    """Each event's (start, end) in UTC, read through the feed's own VTIMEZONEs.

    icalendar resolves a known TZID by name (zoneinfo), so the file's VTIMEZONE is checked
    separately: both readings must agree.
    """
    calendar = parsed(body)
    zones = {str(vtz["TZID"]): vtz.to_tz(lookup_tzid=False) for vtz in calendar.walk("VTIMEZONE")}
    found = {}
    for vevent in calendar.walk("VEVENT"):
        by_name = [vevent.decoded(p).astimezone(UTC) for p in ("DTSTART", "DTEND")]
        by_file = []
        for name in ("DTSTART", "DTEND"):
            value = vevent.decoded(name)
            tzid = vevent[name].params.get("TZID")
            if tzid is not None:
                value = value.replace(tzinfo=zones[tzid])
            by_file.append(value.astimezone(UTC))
        assert by_file == by_name, f"{vevent['UID']}: VTIMEZONE {by_file} vs zoneinfo {by_name}"
        found[str(vevent["UID"])] = tuple(by_name)
    return found


@cache
def switches(zone_name: str, year: int) -> tuple[datetime, ...]:
    """The UTC instants in `year` at which `zone_name` changes its offset."""
    zone = ZoneInfo(zone_name)
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        after = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = 0, 24 * 60  # minutes after `day`: offset changed in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                at = day + timedelta(minutes=middle)
                same = at.astimezone(zone).utcoffset() == day.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            found.append(day + timedelta(minutes=high))
        day = after
    return tuple(found)


def in_repeated_hour(instant: datetime, zone_name: str) -> bool:
    """Whether `instant`'s wall time in the zone also names another instant (a fall-back)."""
    local = instant.astimezone(ZoneInfo(zone_name))
    return local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()


@st.composite
def windows(draw, zone_names: list[str], years: range) -> FeedEvent:
    zone_name = draw(st.sampled_from(zone_names))
    year = draw(st.sampled_from(years))
    near = switches(zone_name, year)
    anywhere = st.datetimes(datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)).map(
        lambda t: t.replace(tzinfo=UTC)
    )
    if near:
        # Weight towards the switch nights, where a wrong VTIMEZONE shows.
        around_switch = st.tuples(st.sampled_from(near), st.integers(-6 * 3600, 6 * 3600)).map(
            lambda pair: pair[0] + timedelta(seconds=pair[1])
        )
        start = draw(anywhere | around_switch)
    else:
        start = draw(anywhere)
    start = start.replace(microsecond=0)  # iCalendar's resolution is the second
    length = timedelta(seconds=draw(st.integers(1, 3 * 24 * 3600)))
    return feed_event(
        uid="",
        sequence=draw(st.integers(0, 50)),
        cancelled=draw(st.booleans()),
        starts_at=start,
        ends_at=start + length,
        timezone=zone_name,
    )


@st.composite
def feeds(draw) -> list[FeedEvent]:
    first = draw(st.integers(2000, 2060))
    # Up to a decade per feed: zones whose rules change within it are written in UTC.
    years = range(first, draw(st.integers(first, min(first + 10, 2060))) + 1)
    zone_names = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=4, unique=True))
    events = draw(st.lists(windows(zone_names, years), min_size=1, max_size=8))
    return [replace(e, uid=f"window-{i}@rollout.test") for i, e in enumerate(events)]


@settings(max_examples=100, deadline=None)
@given(events=feeds())
def test_any_windows_round_trip_through_the_feed_with_the_same_utc_instants(events):
    body = render_feed(INFO, events, alarm_minutes=30)
    assert instants(body) == {e.uid: (e.starts_at, e.ends_at) for e in events}


FALL_BACK = {
    # zone: the UTC instant of its 2027 fall-back switch
    "America/New_York": datetime(2027, 11, 7, 6, 0, tzinfo=UTC),
    "Europe/Dublin": datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
    "Australia/Sydney": datetime(2027, 4, 3, 16, 0, tzinfo=UTC),
}


@pytest.mark.parametrize("zone_name", sorted(FALL_BACK))
@pytest.mark.parametrize(
    "start, length",
    [
        # From the first 01:30 (New York's wall clock) to the second one.
        (timedelta(minutes=-30), timedelta(hours=1)),
        # From the second 01:30.
        (timedelta(minutes=30), timedelta(hours=1)),
        # Up to the first 01:30: what RFC 5545 says the wall time means, so this one holds.
        (timedelta(hours=-2), timedelta(minutes=90)),
    ],
    ids=["spans-the-hour", "starts-in-second", "ends-in-first"],
)
def test_wall_time_in_the_repeated_hour_keeps_its_instant(zone_name, start, length):
    starts_at = FALL_BACK[zone_name] + start
    event = feed_event(starts_at=starts_at, ends_at=starts_at + length, timezone=zone_name)
    assert in_repeated_hour(event.starts_at, zone_name) or in_repeated_hour(
        event.ends_at, zone_name
    )
    body = render_feed(INFO, [event])
    assert instants(body) == {event.uid: (event.starts_at, event.ends_at)}


def observances(zone_name: str) -> list[tuple]:
    timezone = vtimezone(zone_name, 2026, 2036)
    assert "RDATE" not in timezone.to_ical().decode()
    return sorted(
        (
            o.name,
            o.decoded("DTSTART").time().isoformat(),
            o["RRULE"].to_ical().decode(),
            o.decoded("TZOFFSETFROM"),
            o.decoded("TZOFFSETTO"),
            str(o["TZNAME"]),
        )
        for o in timezone.subcomponents
    )


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_new_york_gets_one_yearly_rule_per_switch():
    assert observances("America/New_York") == [
        ("DAYLIGHT", "02:00:00", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", hours(-5), hours(-4), "EDT"),
        ("STANDARD", "02:00:00", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", hours(-4), hours(-5), "EST"),
    ]


def test_dublin_gets_one_yearly_rule_per_switch_with_summer_as_daylight():
    assert observances("Europe/Dublin") == [
        ("DAYLIGHT", "01:00:00", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", hours(0), hours(1), "IST"),
        ("STANDARD", "02:00:00", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", hours(1), hours(0), "GMT"),
    ]


def test_sydney_gets_one_yearly_rule_per_switch():
    assert observances("Australia/Sydney") == [
        ("DAYLIGHT", "02:00:00", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", hours(10), hours(11), "AEDT"),
        ("STANDARD", "03:00:00", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4", hours(11), hours(10), "AEST"),
    ]


def test_cairo_gets_one_yearly_rule_per_switch_on_its_last_friday():
    # Cairo's summer ends on the last Thursday of October at 24:00: the last Friday at 00:00,
    # while that Friday is still in October (from 2025 to 2029).
    timezone = vtimezone("Africa/Cairo", 2027, 2028)
    assert [o["RRULE"].to_ical().decode() for o in timezone.subcomponents] == [
        "FREQ=YEARLY;BYDAY=-1FR;BYMONTH=4",
        "FREQ=YEARLY;BYDAY=-1FR;BYMONTH=10",
    ]
    assert vtimezone("Africa/Cairo", 2027, 2029) is None  # 2030's switch is on 1 November


def test_feed_has_one_vtimezone_per_zone_its_events_use():
    events = [
        feed_event("a@x", timezone="Europe/Dublin"),
        feed_event("b@x", timezone="Australia/Sydney", starts_at=T0 + timedelta(days=400)),
        feed_event("c@x", timezone="Europe/Dublin", starts_at=T0 + timedelta(days=3)),
    ]
    calendar = parsed(render_feed(INFO, events))
    assert [str(v["TZID"]) for v in calendar.walk("VTIMEZONE")] == [
        "Australia/Sydney",
        "Europe/Dublin",
    ]
    assert {v["DTSTART"].params["TZID"] for v in calendar.walk("VEVENT")} == {
        "Australia/Sydney",
        "Europe/Dublin",
    }


def test_feed_tells_clients_to_poll_hourly():
    lines = render_feed(INFO, [feed_event()]).decode().splitlines()
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines


def test_feed_carries_its_name_and_no_calendar_zone():
    info = FeedInfo(name="Maintenance: Europe (Ireland)")
    calendar = parsed(render_feed(info, [feed_event(timezone="Europe/Dublin")]))
    assert str(calendar["X-WR-CALNAME"]) == "Maintenance: Europe (Ireland)"
    # recurring-ical-events would move UTC times into it (tests/calendars/test_clients.py).
    assert "X-WR-TIMEZONE" not in calendar
    assert parsed(render_feed(info, [])).walk("VTIMEZONE") == []


def test_cancelled_window_stays_as_cancelled_free_time_without_an_alarm():
    body = render_feed(INFO, [feed_event(cancelled=True, sequence=3)], alarm_minutes=60)
    [vevent] = parsed(body).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["TRANSP"]) == "TRANSPARENT"
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["SUMMARY"]) == "Cancelled: Monthly maintenance"
    assert vevent.walk("VALARM") == []


def test_alarm_adds_a_display_reminder_that_many_minutes_before():
    body = render_feed(INFO, [feed_event()], alarm_minutes=60)
    [vevent] = parsed(body).walk("VEVENT")
    [alarm] = vevent.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-60)
    assert "TRIGGER:-PT1H" in body.decode().splitlines()


def test_feed_without_alarm_has_no_valarm():
    assert b"VALARM" not in render_feed(INFO, [feed_event()])


def test_same_events_render_the_same_bytes():
    events = [feed_event("a@x"), feed_event("b@x", timezone="Europe/Dublin")]
    assert render_feed(INFO, events) == render_feed(INFO, list(events))


def test_a_feed_says_it_is_an_icalendar_2_gregorian_calendar_from_rollout():
    lines = render_feed(INFO, [feed_event()]).decode().splitlines()
    assert {
        "PRODID:-//Rollout//Maintenance windows//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Maintenance windows",
    } <= set(lines[: lines.index("BEGIN:VEVENT")])


def test_a_feed_carries_its_description_only_when_it_has_one():
    described = FeedInfo(name="Maintenance", description="Windows for Acme, in New York")
    lines = render_feed(described, [feed_event()]).decode().splitlines()
    assert "X-WR-CALDESC:Windows for Acme\\, in New York" in lines
    assert "X-WR-CALDESC" not in parsed(render_feed(INFO, [feed_event()]))


def test_a_feed_polled_every_quarter_hour_says_so_to_every_client():
    lines = render_feed(FeedInfo(name="x", refresh=timedelta(minutes=15)), []).decode()
    assert "X-PUBLISHED-TTL:PT15M" in lines.splitlines()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M" in lines.splitlines()


def test_an_invitation_is_a_publish_naming_its_organizer_and_a_feed_is_neither():
    info = FeedInfo(name="x", organizer="Rollout  Ops\n <maint enance@rollout.test>")
    calendar = parsed(render_feed(info, [feed_event()]))
    assert str(calendar["METHOD"]) == "PUBLISH"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["ORGANIZER"]) == "mailto:maintenance@rollout.test"
    assert vevent["ORGANIZER"].params["CN"] == "Rollout Ops"
    plain = parsed(render_feed(INFO, [feed_event()]))
    assert "METHOD" not in plain
    assert "ORGANIZER" not in plain.walk("VEVENT")[0]


def test_an_organizer_without_a_name_is_named_by_address_alone():
    info = FeedInfo(name="x", organizer="maintenance@rollout.test")
    [vevent] = parsed(render_feed(info, [feed_event()])).walk("VEVENT")
    assert str(vevent["ORGANIZER"]) == "mailto:maintenance@rollout.test"
    assert "CN" not in vevent["ORGANIZER"].params


def test_an_event_carries_its_identity_revision_and_dates_from_the_window_not_the_clock():
    event = feed_event(
        uid="window-7@rollout.test",
        sequence=4,
        created=T0 - timedelta(days=9),
        last_modified=T0 - timedelta(days=2),
        description="Database upgrade",
        url="https://rollout.test/windows/7",
    )
    [vevent] = parsed(render_feed(INFO, [event])).walk("VEVENT")
    assert str(vevent["UID"]) == "window-7@rollout.test"
    assert vevent["SEQUENCE"] == 4
    assert vevent.decoded("DTSTAMP") == T0 - timedelta(days=2)
    assert vevent.decoded("LAST-MODIFIED") == T0 - timedelta(days=2)
    assert vevent.decoded("CREATED") == T0 - timedelta(days=9)
    assert str(vevent["SUMMARY"]) == "Monthly maintenance"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["TRANSP"]) == "OPAQUE"
    assert str(vevent["DESCRIPTION"]) == "Database upgrade"
    assert str(vevent["URL"]) == "https://rollout.test/windows/7"


def test_an_event_without_description_or_link_has_neither():
    [vevent] = parsed(render_feed(INFO, [feed_event()])).walk("VEVENT")
    assert "DESCRIPTION" not in vevent
    assert "URL" not in vevent


def test_line_breaks_in_text_become_one_newline_and_a_link_loses_its_whitespace():
    event = feed_event(
        title="Patch\r\nround two",
        description="One\rTwo\r\nThree\x07",
        url=" https://x.test/w\n/1 ",
    )
    [vevent] = parsed(render_feed(INFO, [event])).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Patch\nround two"
    assert str(vevent["DESCRIPTION"]) == "OneTwo\nThree"
    assert str(vevent["URL"]) == "https://x.test/w/1"


def test_the_alarm_reads_the_window_title_and_no_alarm_of_zero_minutes_is_written():
    body = render_feed(INFO, [feed_event(title="Patch night")], alarm_minutes=15)
    [alarm] = parsed(body).walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == "Patch night"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert b"VALARM" not in render_feed(INFO, [feed_event()], alarm_minutes=0)


def written_in(body: bytes) -> dict[str, str]:
    """Each event's zone as written: its TZID, or "UTC"."""
    calendar = parsed(body)
    found = {}
    for vevent in calendar.walk("VEVENT"):
        zones = {vevent[p].params.get("TZID", "UTC") for p in ("DTSTART", "DTEND")}
        [found[str(vevent["UID"])]] = zones
    return found


def at(day: int, hour: int = 15, minute: int = 0) -> datetime:
    """An instant in March 2027: New York springs forward on Sunday the 14th, 07:00 UTC."""
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def test_a_window_away_from_a_switch_is_written_in_its_zone_with_that_zones_times():
    body = render_feed(INFO, [feed_event(starts_at=at(20), ends_at=at(20, 17))])
    assert written_in(body) == {"window-1@rollout.test": "America/New_York"}
    assert "DTSTART;TZID=America/New_York:20270320T110000" in body.decode().splitlines()
    assert [str(v["TZID"]) for v in parsed(body).walk("VTIMEZONE")] == ["America/New_York"]


def test_a_window_on_a_switch_day_or_the_day_before_is_written_in_utc():
    # ts-ics moves a switch to the midnight starting its day in the reader's own zone.
    cases = {
        "friday-night": (at(13, 3), at(13, 4)),  # 22:00-23:00 on Friday the 12th
        "into-saturday": (at(13, 3), at(13, 6)),  # to 01:00 on Saturday
        "saturday-midnight": (at(13, 5), at(13, 6)),
        "sunday": (at(14, 15), at(14, 16)),
        "sunday-night": (at(15, 3), at(15, 3, 30)),  # 23:00 on Sunday, daylight time
        "monday-midnight": (at(15, 4), at(15, 5)),
    }
    events = [feed_event(uid, starts_at=s, ends_at=e) for uid, (s, e) in cases.items()]
    assert written_in(render_feed(INFO, events)) == {
        "friday-night": "America/New_York",
        "into-saturday": "UTC",
        "saturday-midnight": "UTC",
        "sunday": "UTC",
        "sunday-night": "UTC",
        "monday-midnight": "America/New_York",
    }


def test_a_window_starting_on_a_switch_day_is_written_in_utc_however_late_it_ends():
    body = render_feed(INFO, [feed_event(starts_at=at(14, 15), ends_at=at(20, 17))])
    assert written_in(body) == {"window-1@rollout.test": "UTC"}


def test_a_zone_whose_windows_are_all_written_in_utc_gets_no_vtimezone():
    body = render_feed(INFO, [feed_event(starts_at=at(14), ends_at=at(14, 16))])
    assert written_in(body) == {"window-1@rollout.test": "UTC"}
    assert parsed(body).walk("VTIMEZONE") == []


def test_a_window_reaching_2036_is_written_in_utc_as_clients_misread_later_wall_times():
    until = datetime(2036, 1, 1, tzinfo=UTC)
    events = [
        feed_event(
            "before", starts_at=until - timedelta(hours=2), ends_at=until - timedelta(seconds=1)
        ),
        feed_event("reaching", starts_at=until - timedelta(hours=2), ends_at=until),
        feed_event("after", starts_at=until, ends_at=until + timedelta(hours=1)),
    ]
    assert written_in(render_feed(INFO, events)) == {
        "before": "America/New_York",
        "reaching": "UTC",
        "after": "UTC",
    }


def test_a_feed_for_a_zone_with_no_dst_has_one_standard_part_and_no_daylight():
    body = render_feed(INFO, [feed_event(timezone="Asia/Tokyo")])
    [timezone] = parsed(body).walk("VTIMEZONE")
    [standard] = timezone.subcomponents
    assert standard.name == "STANDARD"
    assert standard.decoded("DTSTART") == datetime(1970, 1, 1)
    assert standard.decoded("TZOFFSETFROM") == standard.decoded("TZOFFSETTO") == hours(9)
    assert str(standard["TZNAME"]) == "JST"
    assert "RRULE" not in standard
    assert written_in(body) == {"window-1@rollout.test": "Asia/Tokyo"}


def first_onsets(timezone) -> list[tuple[str, datetime]]:
    return sorted((o.name, o.decoded("DTSTART")) for o in timezone.subcomponents)


def test_a_zone_starts_two_years_before_a_feeds_first_window():
    # ts-ics skips each observance's first onset: a VTIMEZONE starting with the first window
    # would have it read January's windows in the summer offset.
    events = [
        feed_event("later", starts_at=datetime(2029, 6, 1, 14, tzinfo=UTC)),
        feed_event("first", starts_at=datetime(2027, 6, 1, 14, tzinfo=UTC)),
    ]
    events = [replace(e, ends_at=e.starts_at + timedelta(hours=1)) for e in events]
    [timezone] = parsed(render_feed(INFO, events)).walk("VTIMEZONE")
    assert first_onsets(timezone) == [
        ("DAYLIGHT", datetime(2025, 3, 9, 2, 0)),
        ("STANDARD", datetime(2025, 11, 2, 2, 0)),
    ]


def test_a_zone_whose_rules_changed_within_two_years_before_or_one_after_gets_no_rule():
    # The US moved its switches in 2007.
    assert first_onsets(vtimezone("America/New_York", 2004, 2005)) == [
        ("DAYLIGHT", datetime(2002, 4, 7, 2, 0)),
        ("STANDARD", datetime(2002, 10, 27, 2, 0)),
    ]
    assert vtimezone("America/New_York", 2004, 2006) is None
    assert vtimezone("America/New_York", 2008, 2010) is None
    assert first_onsets(vtimezone("America/New_York", 2009, 2010)) == [
        ("DAYLIGHT", datetime(2007, 3, 11, 2, 0)),
        ("STANDARD", datetime(2007, 11, 4, 2, 0)),
    ]


def test_a_zone_whose_offset_changed_on_new_years_day_gets_a_rule_only_years_away_from_it():
    # São Tomé moved from GMT to +01:00 at 01:00 UTC on 1 January 2018, and back a year later.
    assert vtimezone("Africa/Sao_Tome", 2020, 2020) is None
    assert vtimezone("Africa/Sao_Tome", 2021, 2021) is None
    unchanged = vtimezone("Africa/Sao_Tome", 2015, 2016)  # zone read until the end of 2017
    assert [(o.name, o.decoded("TZOFFSETTO")) for o in unchanged.subcomponents] == [
        ("STANDARD", hours(0))
    ]


def test_a_window_ending_in_the_year_the_rules_change_is_written_in_utc():
    new_year = datetime(2006, 1, 1, tzinfo=UTC)  # 2007's new US rules are within a year
    event = feed_event(starts_at=new_year - timedelta(hours=1), ends_at=new_year)
    assert written_in(render_feed(INFO, [event])) == {"window-1@rollout.test": "UTC"}


def test_a_zone_switching_on_fixed_dates_or_on_a_sunday_no_ordinal_names_gets_no_rule():
    # Tehran switched on 21 or 22 March and September, on any weekday; Santiago switches
    # on the first Sunday from the 2nd, which is the first Sunday in some years, the second
    # in others.
    assert vtimezone("Asia/Tehran", 2012, 2015) is None
    assert vtimezone("America/Santiago", 2027, 2030) is None
    events = [
        feed_event(str(year), starts_at=start, ends_at=start + timedelta(hours=1), timezone=zone)
        for zone, year in [
            ("Asia/Tehran", 2012),
            ("Asia/Tehran", 2015),
            ("America/Santiago", 2027),
            ("America/Santiago", 2030),
        ]
        for start in [datetime(year, 6, 1, 14, tzinfo=UTC)]
    ]
    assert set(written_in(render_feed(INFO, events)).values()) == {"UTC"}


def test_a_sunday_a_week_before_a_months_end_is_its_fourth_not_its_last():
    # A rule read as "last Sunday" for a switch on the 24th of October would move it to the
    # 31st in the years when the 31st is a Sunday too.
    assert _ordinals(date(2027, 10, 24)) == {4}
    assert _ordinals(date(2027, 10, 25)) == {4, -1}
    assert _ordinals(date(2027, 9, 23)) == {4}
    assert _ordinals(date(2027, 9, 24)) == {4, -1}
