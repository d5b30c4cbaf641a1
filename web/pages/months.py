"""The staff calendar's shape: consecutive months, each with its windows and freezes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from rollout.freezes import Freeze, list_freezes
from rollout.scheduling import Span, overlaps
from rollout.windows import STAFF, Window, list_windows, window_conflicts

# A window belongs to the month of its local start, which is up to 14 hours off UTC.
_ZONE_SLACK = timedelta(days=1)


@dataclass
class Entry:
    """A window on the calendar and what is wrong with it."""

    window: Window
    conflicts: list[str]


@dataclass
class Month:
    start: datetime
    end: datetime
    windows: list[Entry] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int]:
        return self.start.year, self.start.month


def month_start(value: datetime, months_later: int = 0) -> datetime:
    """Midnight UTC on the first of `value`'s month, moved `months_later` months on."""
    index = value.year * 12 + value.month - 1 + months_later
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def calendar(session: Session, *, now: datetime, count: int) -> list[Month]:
    """`count` months from the current one: every window (by its local start) and freeze."""
    months = [Month(month_start(now, i), month_start(now, i + 1)) for i in range(count)]
    start, end = months[0].start, months[-1].end
    by_key = {m.key: m for m in months}
    for window in list_windows(
        session, start=start - _ZONE_SLACK, end=end + _ZONE_SLACK, audience=STAFF
    ):
        local = window.starts_at.astimezone(ZoneInfo(window.timezone))
        month = by_key.get((local.year, local.month))
        if month is not None:
            month.windows.append(Entry(window, window_conflicts(session, window)))
    for freeze in list_freezes(session, start=start, end=end):
        for month in months:
            if overlaps(freeze.span, Span(month.start, month.end)):
                month.freezes.append(freeze)
    return months
