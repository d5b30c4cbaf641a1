"""iCalendar (RFC 5545) feeds: plain event values in, bytes out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDuration

from calendars.timezones import vtimezone

PRODID = "-//Rollout//Maintenance windows//EN"


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
    """The calendar's own name, main zone and how often clients should poll."""

    name: str
    timezone: str
    description: str = ""
    refresh: timedelta = timedelta(hours=1)


def render_feed(
    info: FeedInfo, events: Iterable[FeedEvent], *, alarm_minutes: int | None = None
) -> bytes:
    """The VCALENDAR for `events`, with a VTIMEZONE for every zone an event uses."""
    events = list(events)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", info.name)
    calendar.add("x-wr-timezone", info.timezone)
    if info.description:
        calendar.add("x-wr-caldesc", info.description)
    # REFRESH-INTERVAL is RFC 7986's; X-PUBLISHED-TTL is what Outlook and Apple read.
    calendar.add("refresh-interval", info.refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(info.refresh))
    if events:
        first = min(e.starts_at for e in events).date()
        last = max(e.ends_at for e in events).date()
        for zone in sorted({e.timezone for e in events}):
            calendar.add_component(vtimezone(zone, first.year, last.year))
    for event in events:
        calendar.add_component(_vevent(event, alarm_minutes))
    return calendar.to_ical()


def _vevent(event: FeedEvent, alarm_minutes: int | None) -> Event:
    zone = ZoneInfo(event.timezone)
    # A wall time in the hour a fall-back repeats names two instants: RFC 5545 (icalendar,
    # vobject) reads the first, ical.js (Thunderbird) the second. Every client reads UTC.
    if _repeated(event.starts_at, zone) or _repeated(event.ends_at, zone):
        zone = UTC
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    # DTSTAMP from the data, not the clock, so an unchanged feed renders the same bytes.
    vevent.add("dtstamp", event.last_modified)
    vevent.add("created", event.created)
    vevent.add("last-modified", event.last_modified)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", f"Cancelled: {event.title}" if event.cancelled else event.title)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.cancelled else "OPAQUE")
    if event.description:
        vevent.add("description", event.description)
    if event.url:
        vevent.add("url", event.url)
    if alarm_minutes and not event.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", timedelta(minutes=-alarm_minutes))
        vevent.add_component(alarm)
    return vevent


def _repeated(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether `instant`'s wall time in `zone` also names another instant (a fall-back)."""
    local = instant.astimezone(zone)
    return local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()
