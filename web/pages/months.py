"""The staff calendar's three shapes of one agenda: months listed one after another, a month
grid (weeks as rows, Monday first) and a timeline (regions as rows, weeks as columns).
A window belongs to the day of its start in its own zone, as its region's people see it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from rollout.agenda import Agenda, AgendaWindow, load_agenda
from rollout.customers import Region
from rollout.freezes import Freeze
from rollout.scheduling import Span, overlaps
from web.pages.calendar_views import CalendarQuery, add_months, week_start

# A window's local start is up to 14 hours off UTC: load a day more on each side.
_ZONE_SLACK = timedelta(days=1)


@dataclass
class Month:
    first: date
    windows: list[AgendaWindow] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)


@dataclass
class Day:
    day: date
    in_month: bool
    windows: list[AgendaWindow] = field(default_factory=list)


@dataclass
class TimelineRow:
    region: Region
    weeks: list[list[AgendaWindow]]


@dataclass
class CalendarPage:
    """One view of the agenda: the list's months, the grid's weeks or the timeline's rows."""

    agenda: Agenda
    today: date
    months: list[Month] = field(default_factory=list)
    weeks: list[list[Day]] = field(default_factory=list)
    mondays: list[date] = field(default_factory=list)
    rows: list[TimelineRow] = field(default_factory=list)

    @property
    def conflicted(self) -> int:
        """How many windows shown have a conflict."""
        return sum(1 for entry in self.agenda.windows if entry.conflicts)


def calendar_page(
    session: Session, query: CalendarQuery, *, regions: list[Region], now: datetime
) -> CalendarPage:
    """The agenda the query asks for, in the shape of its view."""
    start, end = load_span(query)
    agenda = load_agenda(
        session,
        start=start,
        end=end,
        now=now,
        region=query.region,
        customer=query.customer,
        kinds={query.kind} if query.kind else None,
        statuses={query.status} if query.status else None,
    )
    first, after = shown_days(query)
    # Drop what the slack loaded beyond the days shown, so counts match what is seen.
    agenda.windows = [e for e in agenda.windows if first <= local_day(e) < after]
    page = CalendarPage(agenda, now.date())
    if query.view == "list":
        page.months = list_months(agenda, query)
    elif query.view == "grid":
        page.weeks = grid_weeks(agenda, query)
    else:
        shown = [r for r in regions if query.region is None or r.id == query.region.id]
        page.mondays, page.rows = timeline(agenda, query, shown)
    return page


def shown_days(query: CalendarQuery) -> tuple[date, date]:
    """The first and the day after the last local day the view shows: whole weeks for the
    grid and the timeline."""
    first, after = query.first, add_months(query.first, query.months)
    if query.view == "list":
        return first, after
    return week_start(first), week_start(after - timedelta(days=1)) + timedelta(days=7)


def load_span(query: CalendarQuery) -> tuple[datetime, datetime]:
    """The UTC span to load for the view's days."""
    first, after = shown_days(query)
    return _midnight(first) - _ZONE_SLACK, _midnight(after) + _ZONE_SLACK


def by_day(agenda: Agenda, query: CalendarQuery) -> dict[date, list[AgendaWindow]]:
    """The agenda's windows by local start day, only the days the view shows."""
    first, after = shown_days(query)
    days: dict[date, list[AgendaWindow]] = defaultdict(list)
    for entry in agenda.windows:
        day = local_day(entry)
        if first <= day < after:
            days[day].append(entry)
    return days


def local_day(entry: AgendaWindow) -> date:
    window = entry.window
    return window.starts_at.astimezone(ZoneInfo(window.timezone)).date()


def list_months(agenda: Agenda, query: CalendarQuery) -> list[Month]:
    """Each month of the period with its windows and the freezes over it (UTC months)."""
    months = [Month(add_months(query.first, n)) for n in range(query.months)]
    by_key = {(m.first.year, m.first.month): m for m in months}
    for day, entries in sorted(by_day(agenda, query).items()):
        by_key[(day.year, day.month)].windows.extend(entries)
    for month in months:
        span = Span(_midnight(month.first), _midnight(add_months(month.first, 1)))
        month.freezes = [f for f in agenda.freezes if overlaps(f.span, span)]
    return months


def grid_weeks(agenda: Agenda, query: CalendarQuery) -> list[list[Day]]:
    """Weeks of seven days, Monday first, covering the month."""
    first, after = shown_days(query)
    days = by_day(agenda, query)
    cells = [
        Day(d, d.month == query.first.month, days.get(d, []))
        for d in (first + timedelta(days=n) for n in range((after - first).days))
    ]
    return [cells[n : n + 7] for n in range(0, len(cells), 7)]


def timeline(
    agenda: Agenda, query: CalendarQuery, regions: list[Region]
) -> tuple[list[date], list[TimelineRow]]:
    """The Mondays of the period and, for each region, its windows in each of those weeks."""
    first, after = shown_days(query)
    mondays = [first + timedelta(days=7 * n) for n in range((after - first).days // 7)]
    rows = {r.id: TimelineRow(r, [[] for _ in mondays]) for r in regions}
    for day, entries in by_day(agenda, query).items():
        column = (day - first).days // 7
        for entry in entries:
            row = rows.get(entry.window.region_id)
            if row is not None:
                row.weeks[column].append(entry)
    return mondays, list(rows.values())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
