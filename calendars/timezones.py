"""VTIMEZONE components in the RRULE form every calendar client reads right.

Zones whose rules are stable over the feed's years (the US since 2007, the EU since 1996,
Australia since 2008) get a yearly RRULE per switch, as tzurl.org and Thunderbird publish
them. Any other zone gets no VTIMEZONE, and its events are written in UTC: a list of onsets
(RDATEs) is misread by Outlook (which applies only the first), ts-ics (only the last) and
ical.js 1.5 (which skips each observance's DTSTART).
"""

from __future__ import annotations

import calendar as monthly
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vWeekday

_STEP = timedelta(minutes=1)
# A VTIMEZONE starts this many years before the first event it serves: ts-ics skips the first
# onset of each observance, so a Dublin window in January read the previous summer's offset.
_LEAD_YEARS = 2
# RRULE's weekday names by Python's weekday number (icalendar counts from Sunday).
_WEEKDAYS = {(number - 1) % 7: name for name, number in vWeekday.week_days.items()}


@dataclass(frozen=True)
class _Switch:
    local: datetime  # wall time before the switch, naive
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def _vtimezone(zone_name: str, first_year: int, last_year: int) -> Timezone | None:
    """A VTIMEZONE for `zone_name` valid for events from `first_year` to `last_year`, or None
    if no yearly rule describes the zone over those years."""
    zone = ZoneInfo(zone_name)
    years = range(first_year - _LEAD_YEARS, last_year + 2)
    switches = {year: _switches(zone, year) for year in years}
    rules = _yearly_rules(switches)
    if rules is None:
        return None
    timezone = Timezone()
    timezone.add("tzid", zone_name)
    if not rules:
        offset = zone.utcoffset(datetime(years[0], 1, 1))
        timezone.add_component(
            _observance(
                TimezoneStandard,
                datetime(1970, 1, 1),
                offset,
                offset,
                zone.tzname(datetime(years[0], 1, 1)) or zone_name,
                None,
            )
        )
        return timezone
    for switch, rrule in rules:
        kind = TimezoneDaylight if switch.daylight else TimezoneStandard
        timezone.add_component(
            _observance(
                kind, switch.local, switch.offset_from, switch.offset_to, switch.name, rrule
            )
        )
    return timezone


# Cached by assignment, not as a decorator: mutmut leaves decorated functions unmutated.
vtimezone = lru_cache(maxsize=256)(_vtimezone)


def _switches(zone: ZoneInfo, year: int) -> list[_Switch]:
    # A day at a time, then bisect to the minute: switches are rare, so this is cheap.
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while day < end:
        following = day + timedelta(days=1)
        before, after = _offset(zone, day), _offset(zone, following)
        if before != after:
            low, high = day, following
            while high - low > _STEP:
                middle = low + (high - low) / 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            switch_at = high.replace(second=0, microsecond=0)
            found.append(
                _Switch(
                    local=(switch_at + before).replace(tzinfo=None),
                    offset_from=before,
                    offset_to=after,
                    name=following.astimezone(zone).tzname(),
                    # Not dst(): tzdata gives Ireland a negative DST in winter, and
                    # clients expect the forward switch to be DAYLIGHT.
                    daylight=after > before,
                )
            )
        day = following
    return found


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()


def _yearly_rules(switches: dict[int, list[_Switch]]) -> list[tuple[_Switch, dict]] | None:
    """One (first switch, RRULE) per kind of switch if every year follows the same rules."""
    years = sorted(switches)
    shapes = {
        tuple(
            (s.offset_from, s.offset_to, s.name, s.local.time(), s.local.month)
            for s in switches[year]
        )
        for year in years
    }
    if len(shapes) != 1:
        return None
    rules = []
    for index, first in enumerate(switches[years[0]]):
        days = [switches[year][index].local.date() for year in years]
        weekday = {d.weekday() for d in days}
        if len(weekday) != 1:
            return None
        ordinals = set.intersection(*(_ordinals(d) for d in days))
        if not ordinals:
            return None
        # "Last" (-1) when it fits: it is how the EU and others state their rule.
        byday = f"{min(ordinals)}{_WEEKDAYS[weekday.pop()]}"
        rules.append((first, {"freq": "yearly", "bymonth": first.local.month, "byday": byday}))
    return rules


def _ordinals(day: date) -> set[int]:
    ordinals = {(day.day - 1) // 7 + 1}
    if day.day + 7 > monthly.monthrange(day.year, day.month)[1]:
        ordinals.add(-1)
    return ordinals


def _observance(
    kind,
    start: datetime,
    offset_from: timedelta,
    offset_to: timedelta,
    name: str,
    rrule: dict | None,
):
    observance = kind()
    observance.add("dtstart", start)
    observance.add("tzoffsetfrom", offset_from)
    observance.add("tzoffsetto", offset_to)
    observance.add("tzname", name)
    if rrule:
        observance.add("rrule", rrule)
    return observance
