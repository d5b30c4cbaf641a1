"""Reading the calendar: stored windows plus windows projected beyond the horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Region
from rollout.freezes import list_freezes
from rollout.windows.models import (
    MaintenancePolicy,
    Window,
    WindowAction,
    WindowKind,
    WindowRevision,
    WindowStatus,
)
from rollout.windows.planning import obstacle_reason, policy_occurrences


@dataclass(frozen=True)
class Audience:
    """Who is reading: staff see every window; others the public ones and their own."""

    staff: bool = False
    customer_id: int | None = None

    def may_see(self, window: Window) -> bool:
        return self.staff or window.customer_id is None or window.customer_id == self.customer_id


PUBLIC = Audience()
STAFF = Audience(staff=True)

# Not a status of its own: a window someone moved, whatever its status now.
MOVED = "moved"

# Where a window stands in a list: by start, then id, then policy (two windows projected from
# different policies at the same start have no id yet).
WindowKey = tuple[datetime, int, int]


def window_key(window: Window) -> WindowKey:
    """A stored window's id is never 0, so the projected ones of a start come first."""
    return (window.starts_at, window.id or 0, window.policy_id or 0)


def list_windows(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    audience: Audience = PUBLIC,
    region: Region | None = None,
    customer: Customer | None = None,
    kinds: set[str] | None = None,
    statuses: set[str] | None = None,
    after: WindowKey | None = None,
    limit: int | None = None,
    customers_own: bool = True,
) -> list[Window]:
    """Windows overlapping [start, end) in `window_key` order, projected ones included;
    with `after`, only those after that key, and at most `limit`.

    With `customer`, the windows that touch that customer: its region's and its own. Without
    `customers_own`, everyone's windows alone (none made for one customer). Of `kinds` and
    `statuses` alone if given (`MOVED` among them: a window moved at least once).
    """
    if customer is not None:
        region = customer.region
    query = select(Window).where(Window.ends_at > start, Window.starts_at < end)
    if region is not None:
        query = query.where(Window.region_id == region.id)
    if customer is not None:
        query = query.where(Window.customer_id.is_(None) | (Window.customer_id == customer.id))
    elif not customers_own:
        query = query.where(Window.customer_id.is_(None))
    if not audience.staff:
        visible = Window.customer_id.is_(None)
        if audience.customer_id is not None:
            visible = visible | (Window.customer_id == audience.customer_id)
        query = query.where(visible)
    if kinds:
        query = query.where(Window.kind.in_(kinds))
    if statuses:
        query = query.where(of_statuses(statuses))
    if after is not None:
        after_start, after_id, _ = after
        query = query.where(
            (Window.starts_at > after_start)
            | ((Window.starts_at == after_start) & (Window.id > after_id))
        )
    windows = list(session.scalars(query.order_by(Window.starts_at, Window.id).limit(limit)))
    projectable = (
        not statuses or WindowStatus.PLANNED in statuses or WindowStatus.CANCELLED in statuses
    )
    if projectable and (not kinds or WindowKind.REGULAR in kinds):
        projected = [
            w
            for w in _projected(session, start, end, region)
            if (not statuses or w.status in statuses) and (after is None or window_key(w) > after)
        ]
        if projected:
            windows = sorted(windows + projected, key=window_key)[:limit]
    return windows


def of_statuses(statuses: set[str]) -> ColumnElement[bool]:
    """Stored windows with one of `statuses`; `MOVED` among them: moved at least once,
    whatever the status now."""
    wanted = Window.status.in_(statuses - {MOVED})
    if MOVED in statuses:
        moved = select(WindowRevision.id).where(
            WindowRevision.window_id == Window.id, WindowRevision.action == WindowAction.MOVED
        )
        wanted = wanted | moved.exists()
    return wanted


def _projected(
    session: Session, start: datetime, end: datetime, region: Region | None
) -> list[Window]:
    """Windows that policies will plan past their horizon, built but never stored."""
    query = select(MaintenancePolicy).where(MaintenancePolicy.planned_until < end)
    if region is not None:
        query = query.where(MaintenancePolicy.region_id == region.id)
    projected = []
    for policy in session.scalars(query):
        # An occurrence that began before `start` may still be running at it; the wall
        # duration can stretch by a DST change, hence the extra day of look-back.
        after = max(start - policy.duration - timedelta(days=1), policy.planned_until)
        occurrences = [
            o for o in policy_occurrences(policy, after=after, until=end) if o.span.end > start
        ]
        if not occurrences:
            continue
        freezes = list_freezes(
            session, start=after, end=end, region_id=policy.region_id, include_customer_plans=False
        )
        for occurrence in occurrences:
            blocked = obstacle_reason(occurrence.span, freezes, [])
            window = Window(
                region_id=policy.region_id,
                region=policy.region,
                policy_id=policy.id,
                occurrence=occurrence.local_start,
                kind=WindowKind.REGULAR,
                status=WindowStatus.CANCELLED if blocked else WindowStatus.PLANNED,
                title=policy.title,
                starts_at=occurrence.span.start,
                ends_at=occurrence.span.end,
                timezone=policy.timezone,
                sequence=0,
            )
            window.projected = True
            projected.append(window)
    return projected
