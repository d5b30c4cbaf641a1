"""The demo's schedule, and the windows each client once misread, read back by every client at
their UTC instants (tests/calendars/clients.py): second Saturdays into 2038, windows on
switch days before and after the switch and the evening before, windows across and into a
fall-back's repeated hour, and single-window files for Dublin in January to March."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendars.feeds import FeedEvent, FeedInfo, render_feed
from rollout.windows import create_window
from tests.calendars.clients import PARSERS
from tests.calendars.test_feeds import REGIONS, in_repeated_hour, switches
from tests.factories import CONTEXT, make_region

SETUP = datetime(2026, 8, 30, 12, 0, tzinfo=UTC)
YEARS = range(2026, 2039)
HOUR = timedelta(hours=1)


def second_saturday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(5 - first.weekday()) % 7 + 7)


def event(uid: str, zone_name: str, starts_at: datetime, ends_at: datetime) -> FeedEvent:
    return FeedEvent(
        uid=f"{uid}@rollout.test",
        sequence=0,
        title="Maintenance",
        cancelled=False,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone_name,
        created=SETUP,
        last_modified=SETUP,
    )


def demo_schedule() -> list[FeedEvent]:
    events = []
    for slug, zone_name in REGIONS.items():
        zone = ZoneInfo(zone_name)
        for year in YEARS:
            for month in range(1, 13):
                day = second_saturday(year, month)
                start = datetime(day.year, day.month, day.day, 9, tzinfo=zone).astimezone(UTC)
                events.append(event(f"{slug}-{day}", zone_name, start, start + 2 * HOUR))
            for switch in switches(zone_name, year):
                at = f"{slug}-{switch:%Y%m%dT%H%M}"
                # 2028-03-12T06:00Z in New York: 01:00 on the switch day, before the switch.
                events.append(event(f"before-{at}", zone_name, switch - HOUR, switch - HOUR / 2))
                events.append(event(f"after-{at}", zone_name, switch + 2 * HOUR, switch + 3 * HOUR))
                events.append(event(f"eve-{at}", zone_name, switch - 14 * HOUR, switch - 13 * HOUR))
                if in_repeated_hour(switch, zone_name):
                    events.append(
                        event(f"across-{at}", zone_name, switch - 2 * HOUR, switch + 2 * HOUR)
                    )
                    events.append(
                        event(f"into-{at}", zone_name, switch - 2 * HOUR, switch + HOUR / 2)
                    )
    return events


def misreadings(body: bytes, events: list[FeedEvent]) -> list[str]:
    want = {e.uid: (e.starts_at, e.ends_at) for e in events}
    problems = []
    for parser, read in PARSERS.items():
        got = {r.uid: (r.start, r.end) for r in read(body)}
        problems += [
            f"{parser}: {uid} read {got[uid][0]:%Y-%m-%d %H:%M}Z-{got[uid][1]:%H:%M}Z, "
            f"stored {span[0]:%Y-%m-%d %H:%M}Z-{span[1]:%H:%M}Z"
            if uid in got
            else f"{parser}: {uid} missing"
            for uid, span in want.items()
            if got.get(uid) != span
        ]
    return problems


@pytest.mark.long
def test_the_demo_schedule_reads_back_at_its_instants_in_every_client():
    events = demo_schedule()
    body = render_feed(FeedInfo(name="Maintenance windows"), events)
    problems = misreadings(body, events)
    assert not problems, f"{len(problems)} misread:\n" + "\n".join(problems)


def test_windows_are_kept_in_their_zone_where_every_client_reads_it():
    # UTC only where needed: an ordinary Saturday window keeps its wall time and zone.
    body = render_feed(FeedInfo(name="Maintenance windows"), demo_schedule()).decode()
    assert "DTSTART;TZID=Europe/Dublin:20270109T090000" in body
    assert "DTSTART;TZID=America/New_York:20350414T090000" in body.replace("\r\n ", "")
    # After 2035, where ical.js 1.5 and node-ical stop following the zone's rules.
    assert "DTSTART:20360412T130000Z" in body
    # The zones' rules start two years before the first window, for ts-ics.
    assert "DTSTART:20240331T010000" in body  # Dublin's summer time of 2024
    assert "X-WR-TIMEZONE" not in body


@pytest.mark.parametrize("month", [1, 2, 3])
def test_single_window_file_for_dublin_early_in_the_year_reads_back_in_every_client(
    client, session, month
):
    make_region(session, "eu", now=SETUP)
    day = second_saturday(2027, month)
    start = datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Europe/Dublin"))
    window = create_window(
        session,
        title="Monthly maintenance",
        region="eu",
        starts_at=start.astimezone(UTC),
        ends_at=(start + 2 * HOUR).astimezone(UTC),
        actor="test",
        now=SETUP,
        context=CONTEXT,
    )
    session.commit()
    response = client.get(f"/calendars/windows/{window.id}.ics")
    assert response.status_code == 200
    for parser, read in PARSERS.items():
        [read_back] = read(response.data)
        assert (read_back.start, read_back.end) == (window.starts_at, window.ends_at), parser
