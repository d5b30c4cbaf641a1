"""Pure recurrence rules: cron occurrences as wall-clock times in a zone, turned into UTC spans.

The rule for local times that do not exist or happen twice (DST gaps and folds):
- a start in a gap (clocks jump forward) moves forward by the gap's length, so 02:30 on
  the US spring-forward night becomes 03:30 daylight time, same day;
- a start in a fold (clocks go back) takes the first of the two instants;
- the duration is wall-clock, counted from the actual local start: a 09:00-11:00 window
  ends at 11:00 local even when the clocks change in between, and a one-hour window moved
  out of a gap still lasts one hour.
Each cron occurrence gives exactly one window, never two, never on another day.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from croniter import croniter
from croniter.croniter import CroniterError

from rollout.errors import Invalid

_MAX_OCCURRENCES = 100_000


@dataclass(frozen=True, order=True)
class Span:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Occurrence:
    """One cron firing: its local wall-clock start (the identity) and its UTC span."""

    local_start: datetime  # naive, in the rule's zone
    span: Span


def overlaps(a: Span, b: Span) -> bool:
    """Half-open spans: one ending at 11:00 does not clash with one starting at 11:00."""
    return a.start < b.end and b.start < a.end


def contains(span: Span, at: datetime) -> bool:
    """Whether instant `at` lies inside the half-open span."""
    return span.start <= at < span.end


def parse_zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called `name`, or Invalid naming `field` and the closest zone names."""
    if not isinstance(name, str) or not name or name not in _zone_names():
        close = suggest_zones(name) if isinstance(name, str) else []
        hint = f"try {' or '.join(close)}" if close else "use a name such as Europe/Dublin"
        raise Invalid(f"unknown time zone: {hint}", field=field)
    return ZoneInfo(name)


def suggest_zones(name: str, *, limit: int = 3) -> list[str]:
    """The zone names closest to `name`, read as a whole name or as a city ("paris", "new york")."""
    wanted = name.strip().lower().replace(" ", "_")
    if not wanted or len(wanted) > _LONGEST_ZONE:
        return []
    keys = _zone_keys()
    if wanted in keys:  # the city itself, or the name in another case: nothing else to offer
        return [keys[wanted]]
    found = difflib.get_close_matches(wanted, keys, n=limit, cutoff=0.75)
    return list(dict.fromkeys(keys[key] for key in found))


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


@functools.cache
def _zone_keys() -> dict[str, str]:
    """Each zone under its lowercased name and its city, the first zone taking a shared city."""
    keys: dict[str, str] = {}
    for zone in sorted(_zone_names()):
        keys.setdefault(zone.lower(), zone)
        keys.setdefault(zone.rsplit("/", 1)[-1].lower(), zone)
    return keys


_LONGEST_ZONE = 64  # beyond any zone's name: no use comparing, and difflib's cost grows


def validate_cron(expression: str, *, field: str = "cron") -> str:
    """A normalised five-field cron expression, or Invalid naming `field`."""
    if not isinstance(expression, str):
        raise Invalid("cron expression must be a string", field=field)
    normalised = " ".join(expression.split())
    fields = normalised.split(" ")
    if len(fields) != 5:
        raise Invalid(
            "cron expression needs five fields: minute hour day month weekday", field=field
        )
    # One firing a day at most: then a start pushed out of a DST gap can never land on,
    # or before, the next firing.
    if not (fields[0].isdigit() and fields[1].isdigit()):
        raise Invalid(
            "a maintenance rule fires at most once a day: give one minute and one hour, "
            "e.g. '0 9 * * 6#2'",
            field=field,
        )
    try:
        if not croniter.is_valid(normalised):
            raise Invalid(f"invalid cron expression {expression!r}", field=field)
        croniter(normalised, datetime(2000, 1, 1), day_or=False).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        raise Invalid(f"invalid cron expression {expression!r}: {exc}", field=field) from exc
    return normalised


def localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of naive wall time `wall` in `zone`, by the module's gap/fold rule."""
    # fold=0 means: in a fold, the first instant; in a gap, the offset before the jump.
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def span_for(local_start: datetime, duration: timedelta, zone: ZoneInfo) -> Span:
    """The UTC span of a window starting at wall time `local_start` lasting wall `duration`."""
    start = localize(local_start, zone)
    actual_wall_start = start.astimezone(zone).replace(tzinfo=None)
    return Span(start, localize(actual_wall_start + duration, zone))


def occurrences(
    cron: str,
    zone: ZoneInfo,
    duration: timedelta,
    *,
    after: datetime,
    until: datetime,
    active_from: date | None = None,
    active_until: date | None = None,
) -> Iterator[Occurrence]:
    """Occurrences of `cron` in `zone` whose UTC start is in [after, until), in order.

    `active_from`/`active_until` bound the local start date (inclusive) in the rule's zone.
    Day-of-month and day-of-week are ANDed ("1-7 * 6" is the first Saturday), not ORed as
    classic cron does; that OR is the usual way a "first Saturday" rule fires every day.
    """
    first_wall = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    if active_from is not None:
        first_wall = max(first_wall, datetime.combine(active_from, time.min) - timedelta(minutes=1))
    iterator = croniter(cron, first_wall, day_or=False)
    for _ in range(_MAX_OCCURRENCES):
        wall = iterator.get_next(datetime)
        if active_until is not None and wall.date() > active_until:
            return
        span = span_for(wall, duration, zone)
        if span.start >= until:
            return
        if span.start >= after and (active_from is None or wall.date() >= active_from):
            yield Occurrence(wall, span)
