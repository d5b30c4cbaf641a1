"""The staff calendar's three shapes of one agenda: months listed one after another, a month
grid (weeks as rows, Monday first) and a timeline (regions as rows, weeks as columns).
A window belongs to the day of its start in its own zone, as its region's people see it.

Without a customer filter, customers' own windows (one per customer, thousands of them) are
folded into a count per day, linking to that day's list, which shows every window of the day
a page at a time: the first screen never holds every customer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from rollout.agenda import Agenda, AgendaWindow, OwnWindows, load_agenda
from rollout.customers import Region
from rollout.freezes import Freeze
from rollout.scheduling import Span, overlaps
from rollout.windows import STAFF, Window, list_windows, window_key
from web.api.windows import cursor_of_window
from web.pages.calendar_views import CalendarQuery, add_months, week_start

# A window's local start is up to 14 hours off UTC: load a day more on each side.
_ZONE_SLACK = timedelta(days=1)
DAY_PAGE = 50  # windows in a screen of one day's list


@dataclass
class Month:
    first: date
    windows: list[AgendaWindow] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)
    own: list[tuple[date, int]] = field(default_factory=list)  # customers' windows by day


@dataclass
class Day:
    day: date
    in_month: bool
    windows: list[AgendaWindow] = field(default_factory=list)
    own: int = 0  # customers' own windows folded


@dataclass
class TimelineRow:
    region: Region
    weeks: list[list[AgendaWindow]]
    own: list[tuple[date, int]] = field(default_factory=list)  # first day and count, by week


@dataclass
class CalendarPage:
    """One view of the agenda: the list's months, the grid's weeks or the timeline's rows."""

    agenda: Agenda
    today: date
    months: list[Month] = field(default_factory=list)
    weeks: list[list[Day]] = field(default_factory=list)
    mondays: list[date] = field(default_factory=list)
    rows: list[TimelineRow] = field(default_factory=list)
    next_cursor: str | None = None  # a day's list: the cursor of its next page

    @property
    def conflicted(self) -> int:
        """How many windows shown have a conflict."""
        return sum(1 for entry in self.agenda.windows if entry.conflicts)

    @property
    def folded(self) -> int:
        """How many customers' own windows are counted rather than shown."""
        return sum(own.count for own in self.agenda.own)


def calendar_page(
    session: Session, query: CalendarQuery, *, regions: list[Region], now: datetime
) -> CalendarPage:
    """The agenda the query asks for, in the shape of its view."""
    if query.day is not None:
        return day_page(session, query, now=now)
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
        fold_customers=True,
    )
    first, after = shown_days(query)
    # Drop what the slack loaded beyond the days shown, so counts match what is seen.
    agenda.windows = [e for e in agenda.windows if first <= local_day(e) < after]
    agenda.own = [own for own in agenda.own if first <= _local(own) < after]
    page = CalendarPage(agenda, now.date())
    if query.view == "list":
        page.months = list_months(agenda, query)
    elif query.view == "grid":
        page.weeks = grid_weeks(agenda, query)
    else:
        shown = [r for r in regions if query.region is None or r.id == query.region.id]
        page.mondays, page.rows = timeline(agenda, query, shown)
    return page


def day_page(session: Session, query: CalendarQuery, *, now: datetime) -> CalendarPage:
    """Every window starting on `query.day` in its own zone (customers' own too) of the kind
    and status filtered, the DAY_PAGE after `query.after`, with what each carries and its
    conflicts: the agenda of the span those windows cover, never the whole day's."""
    day = query.day
    assert day is not None
    start, end = _midnight(day) - _ZONE_SLACK, _midnight(day) + timedelta(days=1) + _ZONE_SLACK
    on_day: list[Window] = []
    after = query.after
    # The slack's windows of the days beside it are read and dropped: at most a day's worth.
    while len(on_day) <= DAY_PAGE:
        batch = list_windows(
            session,
            start=start,
            end=end,
            audience=STAFF,
            region=query.region,
            customer=query.customer,
            kinds={query.kind} if query.kind else None,
            statuses={query.status} if query.status else None,
            after=after,
            limit=DAY_PAGE + 1,
        )
        on_day += [w for w in batch if _local_start(w) == day]
        if len(batch) <= DAY_PAGE:
            break
        after = window_key(batch[-1])
    shown, more = on_day[:DAY_PAGE], len(on_day) > DAY_PAGE
    agenda = Agenda([], [])
    if shown:
        agenda = load_agenda(
            session,
            start=min(w.starts_at for w in shown),
            end=max(w.ends_at for w in shown),
            now=now,
            region=query.region,
            customer=query.customer,
        )
        entries = {window_key(e.window): e for e in agenda.windows}
        agenda.windows = [entries[window_key(w)] for w in shown if window_key(w) in entries]
    page = CalendarPage(agenda, now.date())
    if more:
        page.next_cursor = ".".join(str(n) for n in cursor_of_window(shown[-1]))
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
    return _local_start(entry.window)


def _local_start(window: Window) -> date:
    return window.starts_at.astimezone(ZoneInfo(window.timezone)).date()


def _local(own: OwnWindows) -> date:
    return own.starts_at.astimezone(ZoneInfo(own.timezone)).date()


def own_by_day(agenda: Agenda, regions: set[int] | None = None) -> dict[date, int]:
    """Customers' own windows folded, counted by local start day (of `regions` only)."""
    days: dict[date, int] = defaultdict(int)
    for own in agenda.own:
        if regions is None or own.region_id in regions:
            days[_local(own)] += own.count
    return days


def list_months(agenda: Agenda, query: CalendarQuery) -> list[Month]:
    """Each month of the period with its windows and the freezes over it (UTC months)."""
    months = [Month(add_months(query.first, n)) for n in range(query.months)]
    by_key = {(m.first.year, m.first.month): m for m in months}
    for day, entries in sorted(by_day(agenda, query).items()):
        by_key[(day.year, day.month)].windows.extend(entries)
    for day, count in sorted(own_by_day(agenda).items()):
        by_key[(day.year, day.month)].own.append((day, count))
    for month in months:
        span = Span(_midnight(month.first), _midnight(add_months(month.first, 1)))
        month.freezes = [f for f in agenda.freezes if overlaps(f.span, span)]
    return months


def grid_weeks(agenda: Agenda, query: CalendarQuery) -> list[list[Day]]:
    """Weeks of seven days, Monday first, covering the month."""
    first, after = shown_days(query)
    days, own = by_day(agenda, query), own_by_day(agenda)
    cells = [
        Day(d, d.month == query.first.month, days.get(d, []), own.get(d, 0))
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
    for row in rows.values():
        # Each week's count links to the list of its first day with customers' windows.
        row.own = [(monday, 0) for monday in mondays]
        for day, count in sorted(own_by_day(agenda, {row.region.id}).items()):
            column = (day - first).days // 7
            first_day, total = row.own[column]
            row.own[column] = (first_day if total else day, total + count)
    return mondays, list(rows.values())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
