"""The calendar clients the feeds are checked with, each reading a feed's bytes into the
instants it would show. Customers use every one of these, so each must read every window at
the database's UTC instants; none of them is wrong in the same way as another:

- Mozilla's ical.js 2 (Thunderbird), in a process at Pacific/Chatham;
- vobject (dateutil's VTIMEZONE reader), through the feed's own VTIMEZONEs;
- recurring-ical-events (Python), which applies X-WR-TIMEZONE to UTC times;
- node-ical 0.26, ical-expander 3.2 (ical.js 1.5, whose zones end in 2035) and ts-ics 2.4,
  each in a process at UTC+14 and at UTC-12: ts-ics places a zone's switches by the reading
  computer's own midnight, so the two ends of the world show its widest errors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from pathlib import Path

import recurring_ical_events
import vobject
from icalendar import Calendar
from vobject.icalendar import TimezoneComponent, getTzid, registerTzid

from tests.conftest import missing

JS = Path(__file__).resolve().parents[1] / "js"
NPM_CLIENTS = ("node-ical", "ical-expander", "ts-ics")
# Etc/GMT-14 is UTC+14 (POSIX signs are inverted).
READING_ZONES = {"UTC+14": "Etc/GMT-14", "UTC-12": "Etc/GMT+12"}


@dataclass(frozen=True)
class Read:
    """One VEVENT as a client understood it."""

    uid: str
    sequence: int
    status: str
    summary: str
    start: datetime
    end: datetime


def _read(event: dict) -> Read:
    return Read(
        uid=event["uid"],
        sequence=int(event["sequence"]),
        status=event["status"],
        summary=event["summary"],
        start=datetime.fromisoformat(event["start"]),
        end=datetime.fromisoformat(event["end"]),
    )


def _node(args: list[str], body: bytes, process_zone: str, packages: tuple[str, ...]) -> dict:
    if shutil.which("node") is None:
        missing("Node.js for the JavaScript calendar clients (apt-get install nodejs npm)")
    for package in packages:
        if not (JS / "node_modules" / package).is_dir():
            missing(f"{package} (npm ci --prefix tests/js, or make test)")
    result = subprocess.run(
        ["node", *args],
        input=body,
        capture_output=True,
        env=os.environ | {"TZ": process_zone},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def ical_js(body: bytes) -> list[Read]:
    """Mozilla's ical.js, with the feed's VTIMEZONEs registered (tests/js/expand.mjs)."""
    # An unresolved TZID would fall back to the process's zone: make that one visibly odd.
    output = _node([str(JS / "expand.mjs")], body, "Pacific/Chatham", ("ical.js",))
    return [_read(e) for e in output["events"]]


@lru_cache(maxsize=8)
def _npm_reads(body: bytes, process_zone: str) -> dict[str, list[Read]]:
    # One process reads the feed with every library: each test asks for them one by one.
    output = _node([str(JS / "clients.mjs"), *NPM_CLIENTS], body, process_zone, NPM_CLIENTS)
    return {client: [_read(e) for e in output[client]["events"]] for client in NPM_CLIENTS}


def npm_client(client: str, process_zone: str, body: bytes) -> list[Read]:
    return _npm_reads(body, process_zone)[client]


@contextmanager
def registered(zones: dict) -> Iterator[None]:
    """vobject keeps one global TZID map, first come first served, and falls back to pytz by
    name: put this feed's own VTIMEZONE definitions there for the length of one parse."""
    before = {tzid: getTzid(tzid, False) for tzid in zones}
    for tzid, tzinfo in zones.items():
        registerTzid(tzid, tzinfo)
    try:
        yield
    finally:
        for tzid, tzinfo in before.items():
            registerTzid(tzid, tzinfo)


def vobject_read(body: bytes) -> list[Read]:
    """vobject, converting TZID'd times through the feed's VTIMEZONEs (dateutil's tzical)."""
    calendar = vobject.readOne(body.decode(), transform=False)
    zones = {
        vtimezone.tzid.value: TimezoneComponent.gettzinfo(vtimezone)
        for vtimezone in calendar.contents.get("vtimezone", [])
    }
    vevents = calendar.contents.get("vevent", [])
    tzids = [
        [getattr(v.contents[n][0], "tzid_param", None) for n in ("dtstart", "dtend")]
        for v in vevents
    ]
    with registered(zones):
        calendar.transformChildrenToNative()
    found = []
    for vevent, names in zip(vevents, tzids, strict=True):
        for line, tzid in zip((vevent.dtstart, vevent.dtend), names, strict=True):
            # Read through the feed's own VTIMEZONE, not pytz's zone of the same name.
            assert line.value.tzinfo is (zones[tzid] if tzid else getTzid("UTC")), tzid
        found.append(
            Read(
                uid=vevent.uid.value,
                sequence=int(vevent.sequence.value),
                status=vevent.status.value,
                summary=vevent.summary.value,
                start=vevent.dtstart.value.astimezone(UTC),
                end=vevent.dtend.value.astimezone(UTC),
            )
        )
    return found


def recurring_read(body: bytes) -> list[Read]:
    """recurring-ical-events, as Python tools expand a feed (X-WR-TIMEZONE applied)."""
    query = recurring_ical_events.of(Calendar.from_ical(body))
    return [
        Read(
            uid=str(event["UID"]),
            sequence=int(event.get("SEQUENCE", 0)),
            status=str(event["STATUS"]),
            summary=str(event["SUMMARY"]),
            start=event["DTSTART"].dt.astimezone(UTC),
            end=event["DTEND"].dt.astimezone(UTC),
        )
        for event in query.between(datetime(1970, 1, 1), datetime(2100, 1, 1))
    ]


PARSERS: dict[str, Callable[[bytes], list[Read]]] = {
    "ical.js": ical_js,
    "vobject": vobject_read,
    "recurring-ical-events": recurring_read,
    **{
        f"{client} at {label}": partial(npm_client, client, zone)
        for client in NPM_CLIENTS
        for label, zone in READING_ZONES.items()
    },
}
