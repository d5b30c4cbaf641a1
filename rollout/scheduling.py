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

import calendar
import difflib
import functools
import itertools
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
    # A zone's offset never moves by two days: no wall time past this starts before `until`.
    last_wall = until.astimezone(zone).replace(tzinfo=None) + timedelta(days=2)
    walls = wall_times(cron, after=first_wall, until=last_wall)
    for wall in itertools.islice(walls, _MAX_OCCURRENCES):
        if active_until is not None and wall.date() > active_until:
            return
        span = span_for(wall, duration, zone)
        if span.start >= until:
            return
        if span.start >= after and (active_from is None or wall.date() >= active_from):
            yield Occurrence(wall, span)


def wall_times(cron: str, *, after: datetime, until: datetime) -> Iterator[datetime]:
    """The naive wall times in (after, until] at which `cron` fires, in order: croniter's own
    firings (day-of-month and day-of-week ANDed), read off the calendar a month at a time.

    croniter works out each firing field by field, which costs as much per firing as all of
    planning's own work; a rule that fires at one time of day needs only its days, and the
    days of a month follow from the month's length and first weekday. A rule this reading
    does not cover (the W nearest-weekday syntax, say) is walked by croniter itself."""
    rule = _day_rule(cron)
    if rule is None:
        iterator = croniter(cron, after, day_or=False)
        while (wall := iterator.get_next(datetime)) <= until:
            yield wall
        return
    year, month = after.year, after.month
    while (year, month) <= (until.year, until.month):
        if rule.months is None or month in rule.months:
            for day in rule.days_of(year, month):
                wall = datetime(year, month, day, rule.hour, rule.minute)
                if wall > until:
                    return
                if wall > after:
                    yield wall
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class _DayRule:
    """A once-a-day cron rule as croniter expands it: None means any."""

    minute: int
    hour: int
    months: frozenset[int] | None
    month_days: frozenset[int] | None
    last_month_day: bool  # "L": the month's last day, besides `month_days`
    weekdays: frozenset[int] | None  # cron numbering: 0 is Sunday
    nth_weekdays: dict[int, frozenset[int | str]]  # weekday -> which ones ("l": the last)

    def days_of(self, year: int, month: int) -> list[int]:
        """The days of `month` the rule fires on, in order."""
        monday_first, length = calendar.monthrange(year, month)
        # Day d's cron weekday: calendar numbers Monday 0, cron Sunday 0.
        days = range(1, length + 1)
        if self.month_days is not None:
            days = [
                d for d in days if d in self.month_days or (self.last_month_day and d == length)
            ]
        if self.nth_weekdays:
            chosen = set()
            for weekday, nths in self.nth_weekdays.items():
                those = range(1 + (weekday - monday_first - 1) % 7, length + 1, 7)
                for nth in nths:
                    if nth == "l":
                        chosen.add(those[-1])
                    elif nth <= len(those):
                        chosen.add(those[nth - 1])
            return [d for d in days if d in chosen]
        if self.weekdays is not None:
            return [d for d in days if (monday_first + d) % 7 in self.weekdays]
        return list(days)


@functools.lru_cache(maxsize=1024)
def _day_rule(cron: str) -> _DayRule | None:
    """`cron`'s days as croniter parses them, or None for syntax the calendar reading lacks."""
    parsed = croniter(cron, datetime(2000, 1, 1), day_or=False)
    minutes, hours, month_days, months, weekdays = parsed.expanded
    nth = parsed.nth_weekday_of_month
    if parsed.nearest_weekday or len(parsed.expanded) != 5:
        return None
    if not (len(minutes) == len(hours) == 1 and _ints(minutes + hours)):
        return None
    if not (_any(months) or _ints(months)):
        return None
    if not (_any(month_days) or _ints([d for d in month_days if d != "l"])):
        return None
    if not (_any(weekdays) or _ints(weekdays)):
        return None
    if nth and not (
        _ints(list(nth))
        and all(n == "l" or isinstance(n, int) for ns in nth.values() for n in ns)
        # croniter reads only the nth days then; plain weekdays beside them it refuses.
        and set(weekdays) - {"*"} <= set(nth)
    ):
        return None
    return _DayRule(
        minute=minutes[0],
        hour=hours[0],
        months=None if _any(months) else frozenset(months),
        month_days=None if _any(month_days) else frozenset(d for d in month_days if d != "l"),
        last_month_day="l" in month_days,
        weekdays=None if _any(weekdays) else frozenset(weekdays),
        nth_weekdays={day: frozenset(nths) for day, nths in nth.items()},
    )


def _any(field: list) -> bool:
    return field == ["*"]


def _ints(values: list) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
