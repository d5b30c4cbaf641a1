"""iCalendar (RFC 5545) feeds: plain event values in, bytes out.

Written for every client customers read them with, not only for RFC 5545: where a client
would misread an event's wall times, the event is written in UTC (see `_misread`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vDuration, vText, vUri

from calendars.timezones import vtimezone
from rollout.validation import strip_controls

PRODID = "-//Rollout//Maintenance windows//EN"
# ical.js up to 1.5 (ical-expander) expands VTIMEZONE rules only up to 2035 (its MAX_YEAR), and
# node-ical's Temporal polyfill reads zones about as far: later wall times come out an hour off.
ZONED_UNTIL = datetime(2036, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedEvent:
    """One maintenance window as a calendar shows it; instants are aware UTC datetimes."""

    uid: str
    sequence: int
    title: str
    cancelled: bool
    starts_at: datetime
    ends_at: datetime
    timezone: str
    created: datetime
    last_modified: datetime
    description: str = ""
    url: str | None = None


@dataclass(frozen=True)
class FeedInfo:
    """The calendar's own name and how often clients should poll.

    `organizer` (an address such as "Rollout <ops@example.com>") makes the file an iTIP
    PUBLISH message, as an emailed invitation is; RFC 5546 requires it to name its organizer.
    Subscribed feeds and downloads have none: they are plain calendars, not scheduling messages,
    and an ORGANIZER would make clients show every window as a meeting to answer.
    """

    name: str
    description: str = ""
    refresh: timedelta = timedelta(hours=1)
    organizer: str | None = None


def render_feed(
    info: FeedInfo, events: Iterable[FeedEvent], *, alarm_minutes: int | None = None
) -> bytes:
    """The VCALENDAR for `events`, with a VTIMEZONE for every zone an event is written in.

    No X-WR-TIMEZONE: a feed may hold several zones, and readers that apply it (Python's
    recurring-ical-events) turn UTC times into wall times of that zone, an hour off in a
    fall-back's repeated hour.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if info.organizer:
        calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _text(info.name))
    if info.description:
        calendar.add("x-wr-caldesc", _text(info.description))
    # REFRESH-INTERVAL is RFC 7986's; X-PUBLISHED-TTL is what Outlook and Apple read.
    calendar.add("refresh-interval", info.refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(info.refresh))
    events = list(events)
    timezones = _timezones(events)
    for zone_name in sorted(timezones):
        calendar.add_component(timezones[zone_name])
    for event in events:
        wall_time = event.timezone in timezones and _readable(event)
        zone = ZoneInfo(event.timezone) if wall_time else UTC
        calendar.add_component(_vevent(event, zone, info.organizer, alarm_minutes))
    return calendar.to_ical()


def _vevent(
    event: FeedEvent, zone: tzinfo, organizer: str | None, alarm_minutes: int | None
) -> Event:
    vevent = Event()
    vevent.add("uid", _text(event.uid))
    vevent.add("sequence", event.sequence)
    # DTSTAMP from the data, not the clock, so an unchanged feed renders the same bytes.
    vevent.add("dtstamp", event.last_modified)
    vevent.add("created", event.created)
    vevent.add("last-modified", event.last_modified)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    title = f"Cancelled: {event.title}" if event.cancelled else event.title
    vevent.add("summary", _text(title))
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.cancelled else "OPAQUE")
    if organizer:
        vevent.add("organizer", _address(organizer))
    if event.description:
        vevent.add("description", _text(event.description))
    if event.url:
        vevent.add("url", vUri("".join(_clean(event.url).split())))
    if alarm_minutes and not event.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _text(event.title))
        alarm.add("trigger", timedelta(minutes=-alarm_minutes))
        vevent.add_component(alarm)
    return vevent


def _timezones(events: list[FeedEvent]) -> dict[str, Timezone]:
    """A VTIMEZONE for each zone whose events are written in it, by TZID.

    Events are written in UTC where a client would misread their wall times, and so are all
    of a zone's events if no yearly rule describes it over their years (calendars.timezones).
    """
    zoned: dict[str, list[FeedEvent]] = {}
    for event in events:
        if _readable(event):
            zoned.setdefault(event.timezone, []).append(event)
    found = {}
    for zone_name, its_events in zoned.items():
        first = min(e.starts_at for e in its_events).year
        last = max(e.ends_at for e in its_events).year
        if (timezone := vtimezone(zone_name, first, last)) is not None:
            found[zone_name] = timezone
    return found


def _readable(event: FeedEvent) -> bool:
    """Whether every client reads the event's wall times in its own zone right."""
    zone = ZoneInfo(event.timezone)
    return not (_misread(event.starts_at, zone) or _misread(event.ends_at, zone))


def _misread(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether some calendar client customers use reads `instant`'s wall time in `zone` as
    another instant. Each case was found by reading our feeds with that client
    (tests/calendars/test_clients.py); every client reads UTC right."""
    if instant >= ZONED_UNTIL:
        return True
    local = instant.astimezone(zone)
    # The hour a fall-back repeats names two instants: RFC 5545 readers (icalendar, vobject)
    # take the first, ical.js (Thunderbird) and node-ical the second.
    if local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset():
        return True
    # Near a switch: ts-ics moves every switch to the midnight starting its day in the zone
    # of the computer reading the feed (UTC-12 to UTC+14), so from 10:00 the day before to
    # the end of the switch day, wall times may be read in the offset on the other side.
    day = datetime.combine(local.date(), time(), tzinfo=zone)
    return day.utcoffset() != (day + timedelta(days=2)).utcoffset()


def _clean(value: str) -> str:
    """`value` as RFC 5545 TEXT holds it: no control character but tabs and line breaks, each
    line break one "\n" (a carriage return is dropped, alone or before a "\n")."""
    return strip_controls(value).replace("\r", "")


def _text(value: str) -> vText:
    """A TEXT value: icalendar escapes backslash, ";", "," and line breaks."""
    return vText(_clean(value))


def _address(organizer: str) -> vCalAddress:
    name, address = parseaddr(organizer)
    calendar_address = vCalAddress(f"mailto:{''.join(_clean(address).split())}")
    if name:
        calendar_address.params["CN"] = " ".join(_clean(name).split())
    return calendar_address
