"""Business hours: when a region's customers work, so unplanned downtime falls outside them.

Pure rules over values. Every candidate start is a UTC instant read in the region's zone, so
DST gaps and folds need no special case: an instant simply is, or is not, inside the hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rollout.errors import Invalid

QUARTER = timedelta(minutes=15)
# ISO weekdays as one string: "12345" is Monday to Friday.
WEEKDAYS = "1234567"
DAY_NAMES = dict(zip(WEEKDAYS, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], strict=True))


@dataclass(frozen=True)
class BusinessHours:
    """Local opening and closing times on the given ISO weekdays (`days="12345"`)."""

    opens: time = time(9)
    closes: time = time(17)
    days: str = "12345"

    def is_open(self, at: datetime, zone: ZoneInfo) -> bool:
        """Whether the UTC instant `at` falls within these hours in `zone`."""
        local = at.astimezone(zone)
        return str(local.isoweekday()) in self.days and self.opens <= local.time() < self.closes

    def describe(self) -> str:
        """`Mon–Fri 09:00–17:00` for pages and messages."""
        days = ", ".join(DAY_NAMES[d] for d in self.days) if self.days != "12345" else "Mon–Fri"
        return f"{days} {self.opens:%H:%M}–{self.closes:%H:%M}" if self.days else "never"


def quiet_start(
    now: datetime,
    zone: ZoneInfo,
    hours: BusinessHours,
    lead: timedelta,
    length: timedelta = timedelta(0),
) -> datetime:
    """The earliest quarter hour at least `lead` after `now` from which a window of `length`
    runs wholly outside `hours` in `zone`: Friday 16:50 with a 30-minute lead gives 17:30,
    and a two-hour window asked for at 07:00 on a weekday waits for 17:00, not 07:30."""
    start = quarter_hour(now + lead)
    while (busy := _first_open(start, length, zone, hours)) is not None:
        start = quarter_hour(busy + timedelta(minutes=1))
    return start


def _first_open(
    start: datetime, length: timedelta, zone: ZoneInfo, hours: BusinessHours
) -> datetime | None:
    # Hours are whole minutes: each quarter and the window's last minute tell whether it
    # touches them.
    last = start + max(length - timedelta(minutes=1), timedelta(0))
    at = start
    while at < last:
        if hours.is_open(at, zone):
            return at
        at += QUARTER
    return last if hours.is_open(last, zone) else None


def quarter_hour(at: datetime) -> datetime:
    """`at` rounded up to the next quarter hour (:00, :15, :30, :45); every zone in use is a
    whole number of quarters from UTC, so this is a quarter hour locally too."""
    rounded = at.replace(second=0, microsecond=0)
    if rounded < at:
        rounded += timedelta(minutes=1)
    return rounded + timedelta(minutes=-rounded.minute % 15)


def parse_hours(opens: str, closes: str, days: str) -> BusinessHours:
    """Hours as typed (`"09:00"`, `"17:00"`, `"12345"`), or Invalid naming the field."""
    hours = BusinessHours(
        _clock(opens, field="business_opens"),
        _clock(closes, field="business_closes"),
        _days(days),
    )
    if hours.closes <= hours.opens:
        raise Invalid(
            "business hours must end after they start (e.g. 09:00 to 17:00)",
            field="business_closes",
        )
    return hours


def _clock(value: str, *, field: str) -> time:
    try:
        parsed = time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid(f"{value!r} is not a time of day; write it as 09:00", field=field)
    return parsed


def _days(value: str) -> str:
    if not isinstance(value, str) or any(d not in WEEKDAYS for d in value):
        raise Invalid(
            "business days are ISO weekday digits, 1 (Monday) to 7 (Sunday): 12345 is "
            "Monday to Friday",
            field="business_days",
        )
    return "".join(sorted(set(value)))
