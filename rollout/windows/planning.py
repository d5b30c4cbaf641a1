"""Maintenance policies and the windows they plan, materialised up to a horizon."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    select,
)
from sqlalchemy.orm import Session

from rollout.bulk import insert_created, insert_rows
from rollout.customers import Region, get_region
from rollout.db import lock_row
from rollout.errors import Conflict, Invalid, NotFound
from rollout.events import Context, WindowChanged, publish
from rollout.freezes import Freeze, list_freezes
from rollout.scheduling import Occurrence, Span, occurrences, overlaps, parse_zone, validate_cron
from rollout.validation import check_text, check_year
from rollout.windows.models import (
    MaintenancePolicy,
    Window,
    WindowAction,
    WindowKind,
    WindowRevision,
    WindowStatus,
)
from rollout.windows.revisions import record

PLANNER = "planner"
# A planned window's first revision says which policy planned it: this, then the policy's id.
PLANNED_FROM = "planned from policy #"
HORIZON_MONTHS = 18
MAX_DURATION_MINUTES = 7 * 24 * 60


def default_horizon(now: datetime) -> datetime:
    """`now` plus the default planning horizon of 18 months."""
    return now + relativedelta(months=HORIZON_MONTHS)


def create_policy(
    session: Session,
    *,
    region: str,
    title: str,
    cron: str,
    duration_minutes: int,
    timezone: str | None = None,
    active_from: date | None = None,
    active_until: date | None = None,
    actor: str,
    now: datetime,
) -> MaintenancePolicy:
    """A recurring rule for `region`, with its windows planned up to the default horizon."""
    home = get_region(session, region)
    timezone = timezone or home.timezone
    zone = parse_zone(timezone)
    policy = MaintenancePolicy(
        region=home,
        title=check_text(title, field="title"),
        cron=validate_cron(cron),
        timezone=timezone,
        duration_minutes=_duration(duration_minutes),
        active_from=active_from or now.astimezone(zone).date(),
        active_until=active_until,
        created_at=now,
        updated_at=now,
    )
    _check_active_period(policy)
    session.add(policy)
    session.flush()
    plan_policy(session, policy, until=default_horizon(now), actor=actor, now=now)
    return policy


def get_policy(session: Session, policy_id: int) -> MaintenancePolicy:
    """The policy with `policy_id`, or NotFound."""
    policy = session.get(MaintenancePolicy, policy_id)
    if policy is None:
        raise NotFound(f"no maintenance policy #{policy_id}", field="id")
    return policy


def list_policies(session: Session, *, region: str | None = None) -> list[MaintenancePolicy]:
    """Policies by region and id."""
    query = select(MaintenancePolicy).join(Region).order_by(Region.slug, MaintenancePolicy.id)
    if region is not None:
        query = query.where(Region.slug == region)
    return list(session.scalars(query))


def update_policy(
    session: Session,
    policy_id: int,
    *,
    expected_version: int | None = None,
    title: str | None = None,
    cron: str | None = None,
    duration_minutes: int | None = None,
    timezone: str | None = None,
    active_from: date | None = None,
    active_until: date | None = None,
    clear_active_until: bool = False,
    actor: str,
    now: datetime,
    context: Context,
) -> MaintenancePolicy:
    """Edit a policy and re-plan its future planned windows as new revisions of themselves."""
    policy = get_policy(session, policy_id)
    if expected_version is not None and expected_version != policy.version:
        raise Conflict(
            f"policy #{policy_id} changed since version {expected_version} "
            f"(now {policy.version}); reload and try again",
            field="version",
        )
    if title is not None:
        policy.title = check_text(title, field="title")
    if cron is not None:
        policy.cron = validate_cron(cron)
    if duration_minutes is not None:
        policy.duration_minutes = _duration(duration_minutes)
    if timezone is not None:
        parse_zone(timezone)
        policy.timezone = timezone
    if active_from is not None:
        policy.active_from = active_from
    if active_until is not None or clear_active_until:
        policy.active_until = active_until
    _check_active_period(policy)
    policy.updated_at = now
    session.flush()
    _replan_future(session, policy, actor=actor, now=now, context=context)
    return policy


def plan_windows(session: Session, *, until: datetime, now: datetime, actor: str = PLANNER) -> int:
    """Materialise every policy's windows up to `until`; returns how many were added."""
    # By region first: each policy locks its region, and lockers take regions in id order.
    policies = session.scalars(
        select(MaintenancePolicy).order_by(MaintenancePolicy.region_id, MaintenancePolicy.id)
    )
    return _plan(session, list(policies), until=until, actor=actor, now=now)


def plan_policy(
    session: Session, policy: MaintenancePolicy, *, until: datetime, actor: str, now: datetime
) -> int:
    """Materialise `policy`'s windows from now (or its horizon) up to `until`; idempotent."""
    return _plan(session, [policy], until=until, actor=actor, now=now)


def _plan(
    session: Session,
    policies: list[MaintenancePolicy],
    *,
    until: datetime,
    actor: str,
    now: datetime,
) -> int:
    """Each policy's windows from now (or its horizon) up to `until`, as one batch: the
    calendar read once per region, one INSERT for all the windows. Policies come in region
    order; a policy's new windows stand in the way of those of the next one in its region,
    as if it had been planned and stored first."""
    plans = []
    for region_id, group in groupby(policies, key=lambda policy: policy.region_id):
        due = {}
        for policy in group:
            after = max(now, policy.planned_until) if policy.planned_until else now
            if after < until:
                due[policy] = (after, list(policy_occurrences(policy, after=after, until=until)))
        if not due:
            continue
        start = min(after for after, _ in due.values())
        freezes, windows, taken = _calendar(session, region_id, start, until, due)
        for policy, (_, fresh) in due.items():
            new = [o for o in fresh if (policy.id, o.local_start) not in taken]
            plans.append((policy, new, freezes, windows))
    added = _materialise(session, plans, actor=actor, now=now)
    for policy, *_ in plans:
        policy.planned_until = until
    session.flush()
    return added


def policy_occurrences(
    policy: MaintenancePolicy, *, after: datetime, until: datetime
) -> Iterable[Occurrence]:
    """The policy's rule firings whose UTC start lies in [after, until)."""
    return occurrences(
        policy.cron,
        parse_zone(policy.timezone),
        policy.duration,
        after=after,
        until=until,
        active_from=policy.active_from,
        active_until=policy.active_until,
    )


def obstacle_reason(span: Span, freezes: list[Freeze], windows: list[Window]) -> str | None:
    """Why a regional window in `span` cannot happen (a freeze or an overlap), or None."""
    for freeze in freezes:
        if overlaps(freeze.span, span):
            return _inside(freeze)
    for window in windows:
        if window.status != WindowStatus.CANCELLED and overlaps(window.span, span):
            return _overlapping(window.id, window.title)
    return None


def _replan_future(
    session: Session, policy: MaintenancePolicy, *, actor: str, now: datetime, context: Context
) -> None:
    # The n-th future window of the policy stands for the n-th occurrence of the new rule,
    # so identities survive. Announced, skipped or hand-moved windows are promises or
    # decisions: they keep their times but still take their place in that pairing.
    future = list(
        session.scalars(
            select(Window)
            .where(Window.policy_id == policy.id, Window.starts_at > now)
            .order_by(Window.occurrence)
        )
    )
    movable = {w.id for w in future if w.status == WindowStatus.PLANNED and not _hand_moved(w)}
    until = max(policy.planned_until or now, default_horizon(now))
    fresh = list(policy_occurrences(policy, after=now, until=until))
    freezes, others = _obstacles(session, policy.region_id, now, until, excluding=policy.id)
    reason = f"policy #{policy.id} changed"
    # Free the old keys first: the unique (policy, occurrence) check is immediate per row.
    for window in future:
        if window.id in movable:
            window.occurrence = None
    session.flush()
    for window, occurrence in zip(future, fresh, strict=False):
        if window.id not in movable:
            continue
        window.occurrence = occurrence.local_start
        window.starts_at, window.ends_at = occurrence.span.start, occurrence.span.end
        window.title, window.timezone = policy.title, policy.timezone
        blocked = obstacle_reason(occurrence.span, freezes, others)
        if blocked:
            window.status = WindowStatus.CANCELLED
        action = WindowAction.SKIPPED if blocked else WindowAction.REPLANNED
        record(
            window,
            action,
            actor=actor,
            reason=f"{reason}; {blocked}" if blocked else reason,
            now=now,
        )
        publish(session, WindowChanged(window, action), now=now, context=context)
    for window in future[len(fresh) :]:
        if window.id in movable:
            window.status = WindowStatus.CANCELLED
            record(
                window,
                WindowAction.CANCELLED,
                actor=actor,
                reason=f"{reason}; the rule no longer has this occurrence",
                now=now,
            )
            publish(
                session, WindowChanged(window, WindowAction.CANCELLED), now=now, context=context
            )
    session.flush()
    taken = {w.occurrence for w in future}
    extra = [o for o in fresh[len(future) :] if o.local_start not in taken]
    kept = [w for w in future if w.status != WindowStatus.CANCELLED]
    _materialise(session, [(policy, extra, freezes, others + kept)], actor=actor, now=now)
    policy.planned_until = until
    session.flush()


def _materialise(
    session: Session,
    plans: list[tuple[MaintenancePolicy, list[Occurrence], list[Freeze], list]],
    *,
    actor: str,
    now: datetime,
) -> int:
    """Store one window per occurrence of each (policy, occurrences, freezes, windows in the
    way); one blocked by a freeze or overlap is kept skipped. No WindowChanged: a planned
    regular window is nobody's news until it is announced, and nothing waits in it yet."""
    # Ten years are hundreds of windows: one INSERT for them all, one for their audit entries
    # and one for their first revisions, each below SQLAlchemy's per-row binding (bulk.py).
    new: list[_NewWindow] = []
    blockers: list[Any] = []
    rows = []
    planned_in: dict[int, list[_NewWindow]] = defaultdict(list)  # by region
    for policy, fresh, freezes, windows in plans:
        obstacles = _Obstacles(freezes, windows + planned_in[policy.region_id])
        for occurrence in fresh:
            window = _NewWindow(policy.title, occurrence.span.start, occurrence.span.end)
            blocker = obstacles.take(window)
            if blocker is None:
                planned_in[policy.region_id].append(window)
            new.append(window)
            blockers.append(blocker)
            rows.append(
                {
                    "region_id": policy.region_id,
                    "policy_id": policy.id,
                    "occurrence": occurrence.local_start,
                    "kind": WindowKind.REGULAR,
                    "status": WindowStatus.PLANNED if blocker is None else WindowStatus.CANCELLED,
                    "title": policy.title,
                    "starts_at": window.starts_at,
                    "ends_at": window.ends_at,
                    "timezone": policy.timezone,
                    "sequence": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if not rows:
        return 0
    ids = insert_created(session, Window, rows, ids_by=["policy_id", "occurrence"])
    for window, window_id in zip(new, ids, strict=True):
        window.id = window_id
    # Each window's first revision copies it: "planned from" its policy, or skipped with why.
    revisions = [
        (
            window.id,
            0,
            WindowAction.CREATED if blocker is None else WindowAction.SKIPPED,
            row["status"],
            row["title"],
            row["starts_at"],
            row["ends_at"],
            actor,
            f"{PLANNED_FROM}{row['policy_id']}" if blocker is None else _blocked(blocker),
            now,
        )
        for window, row, blocker in zip(new, rows, blockers, strict=True)
    ]
    revisions.sort(key=itemgetter(0))
    # Revisions are the windows' own history, not audited: no listener to tell.
    insert_rows(session.connection(), WindowRevision.__table__, _REVISION_COLUMNS, revisions)
    return len(rows)


@dataclass
class _NewWindow:
    """A window being planned, in the way of those after it; its id once stored."""

    title: str
    starts_at: datetime
    ends_at: datetime
    status: WindowStatus = WindowStatus.PLANNED
    id: int | None = None


class _Obstacles:
    """What keeps a new regional window from happening, asked for new windows in rising start
    order (a rule fires at most once a day, so its occurrences come that way): the first
    freeze over the window, else the earliest window in the way, else the first new window
    taken before it. Only what still runs at the latest start is looked at, so a batch costs
    its length, not its square."""

    def __init__(self, freezes: list[Freeze], windows: list):
        by_start = sorted(
            [(f.starts_at, 0, n, f) for n, f in enumerate(freezes)]
            + [
                (w.starts_at, 1, n, w)
                for n, w in enumerate(windows)
                if w.status != WindowStatus.CANCELLED
            ],
            key=lambda entry: entry[:3],
        )
        self._waiting = by_start[::-1]  # popped from the end, earliest first
        self._running: list[tuple[int, int, Any, datetime]] = []
        self._taken = 0

    def take(self, window: _NewWindow) -> Any:
        """The blocker of `window` (a freeze, a window in the way, or a new window taken
        before it), or None, in which case `window` is in the way of those after it."""
        while self._waiting and self._waiting[-1][0] < window.ends_at:
            _, rank, n, obstacle = self._waiting.pop()
            self._running.append((rank, n, obstacle, obstacle.ends_at))
        self._running = [entry for entry in self._running if entry[3] > window.starts_at]
        # Everything still running overlaps `window`; freezes are named first, then windows.
        blocker = min(self._running, key=lambda entry: entry[:2], default=None)
        if blocker is None:
            self._running.append((2, self._taken, window, window.ends_at))
        self._taken += 1
        return None if blocker is None else blocker[2]


_REVISION_COLUMNS = (
    *("window_id", "sequence", "action", "status", "title", "starts_at", "ends_at"),
    *("actor", "reason", "at"),
)


def _blocked(blocker: Freeze | Row | _NewWindow) -> str:
    if isinstance(blocker, Freeze):
        return _inside(blocker)
    return _overlapping(blocker.id, blocker.title)


def _inside(freeze: Freeze) -> str:
    return f"inside freeze {freeze.describe()}"


def _overlapping(window_id: int | None, title: str) -> str:
    return f"overlaps window #{window_id} {title!r}"


def _hand_moved(window: Window) -> bool:
    return any(r.action == WindowAction.MOVED for r in window.revisions)


def _calendar(
    session: Session,
    region_id: int,
    start: datetime,
    end: datetime,
    due: dict[MaintenancePolicy, tuple[datetime, list[Occurrence]]],
) -> tuple[list[Freeze], list[Row], set[tuple[int, datetime]]]:
    """What planning the region's `due` occurrences over [start, end) must respect, read as
    `_obstacles` reads it (the region locked first): the freezes and the region's windows in
    the way (plain rows), and which (policy, occurrence) are already stored. Both kinds of
    window in one query."""
    lock_row(session, session.get(Region, region_id))
    freezes = _freezes(session, region_id, start, end)
    in_the_way = _in_the_way(region_id, start, end)
    # One shape however many policies (one statement to compile per engine): the policies'
    # stored occurrences over the batch's whole range, a superset of those it repeats.
    walls = [o.local_start for _, fresh in due.values() for o in fresh] or [datetime.min]
    policy_ids = [policy.id for policy, (_, fresh) in due.items() if fresh]
    taken = Window.policy_id.in_(policy_ids) & Window.occurrence.between(min(walls), max(walls))
    rows = session.execute(
        select(
            Window.id,
            Window.title,
            Window.status,
            Window.starts_at,
            Window.ends_at,
            Window.policy_id,
            Window.occurrence,
            in_the_way.label("in_the_way"),
            taken.label("taken"),
        ).where(in_the_way | taken)
    ).all()
    return (
        freezes,
        [row for row in rows if row.in_the_way],
        {(row.policy_id, row.occurrence) for row in rows if row.taken},
    )


def _obstacles(
    session: Session,
    region_id: int,
    start: datetime,
    end: datetime,
    *,
    excluding: int | None = None,
) -> tuple[list[Freeze], list[Window]]:
    # Locked until commit, as a window made by hand locks it: no window or freeze made at the
    # same moment can slip in between this read and the windows planned from it.
    lock_row(session, session.get(Region, region_id))
    query = select(Window).where(_in_the_way(region_id, start, end))
    if excluding is not None:
        query = query.where((Window.policy_id != excluding) | Window.policy_id.is_(None))
    return _freezes(session, region_id, start, end), list(session.scalars(query))


def _freezes(session: Session, region_id: int, start: datetime, end: datetime) -> list[Freeze]:
    return list_freezes(
        session, start=start, end=end, region_id=region_id, include_customer_plans=False
    )


def _in_the_way(region_id: int, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The region's own windows, not cancelled, over [start, end)."""
    return and_(
        Window.region_id == region_id,
        Window.customer_id.is_(None),
        Window.status != WindowStatus.CANCELLED,
        Window.ends_at > start,
        Window.starts_at < end,
    )


def _duration(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise Invalid(
            "duration_minutes must be a whole number of minutes", field="duration_minutes"
        )
    if not 0 < minutes <= MAX_DURATION_MINUTES:
        raise Invalid(
            f"duration_minutes must be between 1 and {MAX_DURATION_MINUTES}",
            field="duration_minutes",
        )
    return minutes


def _check_active_period(policy: MaintenancePolicy) -> None:
    check_year(policy.active_from, field="active_from")
    if policy.active_until is not None:
        check_year(policy.active_until, field="active_until")
    if policy.active_until is not None and policy.active_until < policy.active_from:
        raise Invalid("active_until must not be before active_from", field="active_until")
