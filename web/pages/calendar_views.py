"""What the staff calendar's query string asks for: a view, a period and filters. A bad value
never fails the page: it falls back to the default and says so in plain words (and the answer
is a 400, so a bookmark that went stale is noticed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from pydantic import TypeAdapter
from werkzeug.datastructures import MultiDict

from rollout.agenda import MOVED
from rollout.customers import Customer, Region
from rollout.dates import month_and_year, weekday_names
from rollout.errors import DomainError
from rollout.validation import is_whole_number
from rollout.windows import WindowKey, WindowKind, WindowStatus
from web.api.queries import WindowCursor
from web.api.windows import key_of_cursor

VIEWS = {"list": "List", "grid": "Month grid", "timeline": "Timeline"}
DEFAULT_MONTHS = {"list": 6, "grid": 1, "timeline": 3}
MAX_MONTHS = {"list": 24, "grid": 1, "timeline": 6}
KINDS = {
    WindowKind.REGULAR: "Regular",
    WindowKind.AD_HOC: "Extra",
    WindowKind.EMERGENCY: "Emergency",
}
STATUSES = {
    WindowStatus.PLANNED: "Planned",
    WindowStatus.ANNOUNCED: "Announced",
    MOVED: "Moved",
    WindowStatus.IN_PROGRESS: "In progress",
    WindowStatus.COMPLETED: "Completed",
    WindowStatus.CANCELLED: "Cancelled or skipped",
}
_MONTH = re.compile(r"^(?:19|[2-8][0-9])[0-9]{2}-(?:0[1-9]|1[0-2])$")
_DAY = re.compile(r"^(?:19|[2-8][0-9])[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$")
_CURSOR = TypeAdapter(WindowCursor)


@dataclass(frozen=True)
class CalendarQuery:
    """A parsed query string; `problems` says what was refused and what is shown instead."""

    view: str
    first: date  # the first of the first month shown
    months: int
    explicit_months: bool = False
    region: Region | None = None
    customer: Customer | None = None
    kind: str = ""
    status: str = ""
    day: date | None = None  # the list of one day's windows, customers' own included
    cursor: str = ""  # that list's page: after the window this cursor names
    after: WindowKey | None = None
    problems: list[str] = field(default_factory=list)

    def url_args(self, **changes) -> dict[str, str | int]:
        """The query string of this page with `changes`, leaving out what is the default."""
        query = replace(self, **changes)
        args: dict[str, str | int] = {}
        if query.view != "list":
            args["view"] = query.view
        args["from"] = f"{query.first:%Y-%m}"
        if query.explicit_months and query.months != DEFAULT_MONTHS[query.view]:
            args["months"] = query.months
        if query.region is not None and query.customer is None:
            args["region"] = query.region.slug
        if query.customer is not None:
            args["customer"] = query.customer.slug
        if query.kind:
            args["kind"] = query.kind
        if query.status:
            args["status"] = query.status
        if query.day is not None:
            args["day"] = query.day.isoformat()
            if query.cursor:
                args["cursor"] = query.cursor
        return args

    def day_list(self, day: date, cursor: str = "") -> dict[str, str | int]:
        """The query string of the list of `day`'s windows (its page after `cursor`), of the
        kind and status filtered."""
        return self.url_args(
            view="list",
            first=day.replace(day=1),
            months=1,
            explicit_months=False,
            day=day,
            cursor=cursor,
        )

    def shifted(self, direction: int) -> dict[str, str | int]:
        """The query string of the period before (-1) or after (+1) this one."""
        if self.day is not None:
            return self.url_args(day=self.day + timedelta(days=direction), cursor="")
        return self.url_args(first=add_months(self.first, direction * self.months))

    def switched(self, view: str) -> dict[str, str | int]:
        """The same filters in another view."""
        months = min(self.months, MAX_MONTHS[view]) if self.explicit_months else 0
        return self.url_args(
            view=view,
            months=months or DEFAULT_MONTHS[view],
            explicit_months=bool(months),
            day=None,
        )


def read_query(
    args: MultiDict, *, regions: list[Region], customers: list[Customer], today: date
) -> CalendarQuery:
    """The calendar the query string asks for; anything it gets wrong is reported, not fatal."""
    problems = []
    view = args.get("view", "list")
    if view not in VIEWS:
        problems.append(f"There is no “{view}” view; showing the list.")
        view = "list"
    first = today.replace(day=1)
    raw_from = args.get("from", "")
    if raw_from:
        if _MONTH.fullmatch(raw_from):
            first = date(int(raw_from[:4]), int(raw_from[5:]), 1)
        else:
            problems.append(
                f"“{raw_from}” is not a month: write it like {today:%Y-%m}. Showing this month."
            )
    months, explicit = DEFAULT_MONTHS[view], False
    raw_months = args.get("months", "")
    if raw_months:
        if is_whole_number(raw_months) and len(raw_months) < 6:
            months, explicit = min(max(int(raw_months), 1), MAX_MONTHS[view]), True
        else:
            problems.append(f"“{raw_months}” is not a number of months; showing {months}.")
    region = _pick(args, "region", {r.slug: r for r in regions}, problems)
    customer = _pick(args, "customer", {c.slug: c for c in customers}, problems)
    kind = _choice(args, "kind", KINDS, problems, "kind of window", "every kind")
    status = _choice(args, "status", STATUSES, problems, "status", "every status")
    day, cursor, after = _day(args, problems)
    if day is not None:
        view, first, months, explicit = "list", day.replace(day=1), 1, False
    if region is not None and customer is not None and customer.region_id != region.id:
        problems.append(
            f"{customer.name} is in region {customer.region.name}, not {region.name}; "
            f"showing {customer.name}'s windows."
        )
    return CalendarQuery(
        view=view,
        first=first,
        months=months,
        explicit_months=explicit,
        region=customer.region if customer is not None else region,
        customer=customer,
        kind=kind,
        status=status,
        day=day,
        cursor=cursor,
        after=after,
        problems=problems,
    )


def _day(args, problems: list[str]) -> tuple[date | None, str, WindowKey | None]:
    """The day whose windows are listed, and the page of them the cursor names."""
    raw = args.get("day", "")
    if not raw:
        return None, "", None
    try:
        day = date.fromisoformat(raw) if _DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        problems.append(f"“{raw}” is not a day: write it like 2026-12-10. Showing the months.")
        return None, "", None
    cursor = args.get("cursor", "")
    try:
        return day, cursor, key_of_cursor(_CURSOR.validate_python(cursor))
    except DomainError:
        problems.append("That page of the day's windows is out of date; showing the first.")
        return day, "", None


def add_months(first: date, months: int) -> date:
    """The first of the month `months` after (or before) `first`'s."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _pick(args, name: str, known: dict, problems: list[str]):
    slug = args.get(name, "")
    if not slug:
        return None
    if slug not in known:
        problems.append(f"There is no {name} “{slug}”; showing every {name}'s windows.")
        return None
    return known[slug]


def _choice(args, name, known: dict, problems: list[str], noun: str, fallback: str) -> str:
    value = args.get(name, "")
    if value and value not in known:
        problems.append(f"“{value}” is not a {noun} we know; showing {fallback}.")
        return ""
    return value


def week_start(day: date) -> date:
    """The Monday on or before `day`."""
    return day - timedelta(days=day.weekday())


# Staff pages are in English.
WEEKDAYS = weekday_names("en")


def month_name(first: date) -> str:
    """`December 2026`, in English whatever the server's locale."""
    return month_and_year(first, "en")


def period_name(query: CalendarQuery) -> str:
    """`December 2026`, or `December 2026 – May 2027` for several months; `10 December
    2026` for a day's list."""
    if query.day is not None:
        return f"{query.day.day} {month_name(query.day)}"
    last = add_months(query.first, query.months - 1)
    if last == query.first:
        return month_name(query.first)
    return f"{month_name(query.first)} – {month_name(last)}"


def page_words() -> dict:
    """What the calendar's templates print besides the agenda: views, choices, names."""
    return {
        "views": VIEWS,
        "kinds": KINDS,
        "statuses": STATUSES,
        "weekdays": WEEKDAYS,
        "month_name": month_name,
        "period_name": period_name,
        "max_list_months": MAX_MONTHS["list"],
    }
