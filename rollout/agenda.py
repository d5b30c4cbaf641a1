"""The planner's agenda: the windows of a period, what each carries (release waves, hotfixes,
patches, the freezes over it) and what is wrong with it (`rollout/windows/conflicts.py`).

A fixed number of queries for any period: deployments are counted in SQL, never loaded, since
a production wave reaches thousands of environments. Customers' own windows (one each, for
thousands of customers) may be folded into counts by start, so a period's answer grows with
the regions' windows, not with the customers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Environment, Region
from rollout.freezes import Freeze, FreezeKind, FreezeScope, list_freezes
from rollout.releases.models import (
    Deployment,
    Hotfix,
    HotfixStatus,
    Release,
    ReleaseStatus,
    Wave,
    hotfix_customer,
)
from rollout.windows import STAFF, Window, WindowAction, WindowRevision, WindowStatus, list_windows
from rollout.windows.conflicts import (
    Conflict,
    FreezeFacts,
    WaveFacts,
    WindowFacts,
    find_conflicts,
    lies_over,
    version_key,
)
from rollout.windows.queries import MOVED, of_statuses

# The releases whose order still matters: those with environments yet to reach.
_LIVE_RELEASES = (ReleaseStatus.SCHEDULED, ReleaseStatus.ROLLING_OUT)


@dataclass(frozen=True)
class CarriedWave:
    release_id: int
    version: str
    tier: str  # preview or production
    environments: int


@dataclass(frozen=True)
class CarriedHotfix:
    hotfix_id: int
    title: str
    urgency: str
    patch_for: tuple[str, ...]  # customer names of a per-customer patch; empty for everyone
    environments: int


@dataclass
class AgendaWindow:
    """A window with what it carries and what is wrong with it."""

    window: Window
    moved: bool = False
    waves: list[CarriedWave] = field(default_factory=list)
    hotfixes: list[CarriedHotfix] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class OwnWindows:
    """Customers' own windows folded into a count: those of a region starting at one instant."""

    region_id: int
    starts_at: datetime
    timezone: str
    count: int


@dataclass
class Agenda:
    windows: list[AgendaWindow]
    freezes: list[Freeze]  # every freeze over the period that binds what is shown
    own: list[OwnWindows] = field(default_factory=list)  # folded, when asked to fold


def load_agenda(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    region: Region | None = None,
    customer: Customer | None = None,
    kinds: set[str] | None = None,
    statuses: set[str] | None = None,
    fold_customers: bool = False,
) -> Agenda:
    """Windows overlapping [start, end) in `region`, or touching `customer` (its region's and
    its own, carrying what reaches its environments), of the given kinds and statuses
    (`MOVED` among them for moved windows). Conflicts are decided over every window of the
    period, filtered or not, so a hidden window still shows up in its neighbours' overlaps.

    With `fold_customers` and no `customer`, customers' own windows are counted by start
    (`Agenda.own`), not listed; those overlapping a window listed still count in its
    conflicts (the only ones an overlap can tie to it)."""
    if customer is not None:
        region = customer.region
    fold = fold_customers and customer is None
    found = list_windows(
        session,
        start=start,
        end=end,
        audience=STAFF,
        region=region,
        customer=customer,
        customers_own=not fold,
    )
    scope = _scope(start, end, region, customer)
    carried = _waves(session, scope, customer)
    hotfixes = _hotfixes(session, scope, customer)
    moved = _moved(session, scope)
    freezes = list_freezes(
        session,
        start=start,
        end=end,
        region_id=region.id if region else None,
        customer_id=customer.id if customer else None,
    )
    window_facts = {_key(w): _window_facts(w) for w in found}
    neighbours = [_window_facts(w) for w in _own_neighbours(session, found)] if fold else []
    freeze_facts = [(f, _freeze_facts(f)) for f in freezes]
    conflicts = find_conflicts(
        [*window_facts.values(), *neighbours],
        _order_facts(session, scope, region, customer),
        [facts for _, facts in freeze_facts],
        now=now,
    )
    entries = []
    for window in found:
        key = _key(window)
        entry = AgendaWindow(
            window,
            moved=window.id in moved,
            waves=sorted(
                carried.get(window.id, []), key=lambda w: (version_key(w.version), w.tier)
            ),
            hotfixes=hotfixes.get(window.id, []),
            freezes=[f for f, facts in freeze_facts if lies_over(facts, window_facts[key])],
            conflicts=conflicts.get(key, []),
        )
        if _wanted(entry, kinds, statuses):
            entries.append(entry)
    own = _own_counts(session, scope, kinds, statuses) if fold else []
    return Agenda(entries, freezes, own)


def window_agenda(session: Session, window: Window, *, now: datetime) -> AgendaWindow:
    """One stored window as the calendar shows it: what it carries and its conflicts."""
    agenda = load_agenda(
        session, start=window.starts_at, end=window.ends_at, now=now, region=window.region
    )
    (entry,) = [e for e in agenda.windows if e.window.id == window.id]
    return entry


def _scope(
    start: datetime, end: datetime, region: Region | None, customer: Customer | None
) -> ColumnElement[bool]:
    """The stored windows of the period that the reader looks at, as a WHERE clause."""
    clauses = [Window.starts_at < end, Window.ends_at > start]
    if region is not None:
        clauses.append(Window.region_id == region.id)
    if customer is not None:
        clauses.append(Window.customer_id.is_(None) | (Window.customer_id == customer.id))
    return and_(*clauses)


def _waves(
    session: Session, scope: ColumnElement[bool], customer: Customer | None
) -> dict[int, list[CarriedWave]]:
    """Each window's release waves with how many environments each reaches (one query): as
    each wave stored it, or the customer's counted."""
    reached = func.sum(Wave.environments) if customer is None else func.count(Deployment.id)
    query = (
        select(Wave.window_id, Release.id, Release.version, Wave.environment_kind, reached)
        .join(Release, Release.id == Wave.release_id)
        .join(Window, Window.id == Wave.window_id)
        .where(scope, Release.status != ReleaseStatus.CANCELLED)
        .group_by(Wave.window_id, Release.id, Release.version, Wave.environment_kind)
    )
    if customer is not None:
        query = _for_customer(query.join(Deployment, Deployment.wave_id == Wave.id), customer)
    found: dict[int, list[CarriedWave]] = defaultdict(list)
    for window_id, release_id, version, tier, count in session.execute(query):
        found[window_id].append(CarriedWave(release_id, version, str(tier), count))
    return found


def _hotfixes(
    session: Session, scope: ColumnElement[bool], customer: Customer | None
) -> dict[int, list[CarriedHotfix]]:
    """Each window's hotfixes and patches with their environment counts (two queries)."""
    query = (
        select(
            Deployment.window_id,
            Hotfix.id,
            Hotfix.title,
            Hotfix.urgency,
            func.count(Deployment.id),
        )
        .join(Hotfix, Hotfix.id == Deployment.hotfix_id)
        .join(Window, Window.id == Deployment.window_id)
        .where(scope, Hotfix.status != HotfixStatus.CANCELLED)
        .group_by(Deployment.window_id, Hotfix.id, Hotfix.title, Hotfix.urgency)
        .order_by(Hotfix.id)
    )
    if customer is not None:
        query = _for_customer(query, customer)
    rows = session.execute(query).all()
    patched: dict[int, list[str]] = defaultdict(list)
    if rows:
        for hotfix_id, name in session.execute(
            select(hotfix_customer.c.hotfix_id, Customer.name)
            .join(Customer, Customer.id == hotfix_customer.c.customer_id)
            .where(hotfix_customer.c.hotfix_id.in_({row[1] for row in rows}))
            .order_by(Customer.name)
        ):
            patched[hotfix_id].append(name)
    found: dict[int, list[CarriedHotfix]] = defaultdict(list)
    for window_id, hotfix_id, title, urgency, count in rows:
        found[window_id].append(
            CarriedHotfix(hotfix_id, title, str(urgency), tuple(patched[hotfix_id]), count)
        )
    return found


def _own_neighbours(session: Session, shown: list[Window]) -> list[Window]:
    """Customers' own windows overlapping a shown window of their region (one query)."""
    spans = [
        and_(
            Window.region_id == w.region_id,
            Window.starts_at < w.ends_at,
            Window.ends_at > w.starts_at,
        )
        for w in shown
        if w.status != WindowStatus.CANCELLED
    ]
    if not spans:
        return []
    return list(session.scalars(select(Window).where(Window.customer_id.is_not(None), or_(*spans))))


def _own_counts(
    session: Session,
    scope: ColumnElement[bool],
    kinds: set[str] | None,
    statuses: set[str] | None,
) -> list[OwnWindows]:
    """Customers' own windows of the period counted by region and start, of the given kinds
    and statuses as `_wanted` reads them (one query)."""
    query = (
        select(Window.region_id, Window.starts_at, Window.timezone, func.count(Window.id))
        .where(scope, Window.customer_id.is_not(None))
        .group_by(Window.region_id, Window.starts_at, Window.timezone)
    )
    if kinds:
        query = query.where(Window.kind.in_(kinds))
    if statuses:
        query = query.where(of_statuses(statuses))
    return [OwnWindows(*row) for row in session.execute(query)]


def _for_customer(query, customer: Customer):
    """Only the deployments to `customer`'s environments."""
    return query.join(Environment, Environment.id == Deployment.environment_id).where(
        Environment.customer_id == customer.id
    )


def _moved(session: Session, scope: ColumnElement[bool]) -> set[int]:
    return set(
        session.scalars(
            select(WindowRevision.window_id)
            .join(Window, Window.id == WindowRevision.window_id)
            .where(scope, WindowRevision.action == WindowAction.MOVED)
            .distinct()
        )
    )


def _order_facts(
    session: Session,
    scope: ColumnElement[bool],
    region: Region | None,
    customer: Customer | None,
) -> list[WaveFacts]:
    """The waves the version order is checked over (one query): those of the releases in the
    period and of every release still rolling out, wherever their windows are."""
    in_period = select(Wave.release_id).join(Window, Window.id == Wave.window_id).where(scope)
    query = (
        select(
            Wave.window_id,
            Window.region_id,
            Window.starts_at,
            Release.id,
            Release.version,
            Wave.environment_kind,
        )
        .join(Release, Release.id == Wave.release_id)
        .join(Window, Window.id == Wave.window_id)
        .where(
            Window.status != WindowStatus.CANCELLED,
            Release.status != ReleaseStatus.CANCELLED,
            or_(Release.status.in_(_LIVE_RELEASES), Release.id.in_(in_period)),
        )
        .distinct()
    )
    if region is not None:
        query = query.where(Window.region_id == region.id)
    if customer is not None:
        reaches = (
            select(Deployment.id)
            .join(Environment, Environment.id == Deployment.environment_id)
            .where(Deployment.wave_id == Wave.id, Environment.customer_id == customer.id)
        )
        query = query.where(reaches.exists())
    return [
        WaveFacts(window_id, region_id, starts_at, release_id, version, str(tier))
        for window_id, region_id, starts_at, release_id, version, tier in session.execute(query)
    ]


def _key(window: Window) -> Hashable:
    # Projected windows are not stored: their rule and occurrence name them.
    return window.id if window.id is not None else (window.policy_id, window.occurrence)


def _window_facts(window: Window) -> WindowFacts:
    return WindowFacts(
        key=_key(window),
        title=window.title,
        region_id=window.region_id,
        customer_id=window.customer_id,
        cancelled=window.status == WindowStatus.CANCELLED,
        span=window.span,
        freeze_overridden=bool(window.freeze_override_reason),
    )


def _freeze_facts(freeze: Freeze) -> FreezeFacts:
    if freeze.scope == FreezeScope.CUSTOMER and freeze.customer is not None:
        return FreezeFacts(
            title=freeze.title,
            span=freeze.span,
            region_id=freeze.customer.region_id,
            customer_id=freeze.customer_id,
            customer_name=freeze.customer.name,
            event_plan=freeze.kind == FreezeKind.EVENT_PLAN,
        )
    return FreezeFacts(title=freeze.title, span=freeze.span, region_id=freeze.region_id)


def _wanted(entry: AgendaWindow, kinds: set[str] | None, statuses: set[str] | None) -> bool:
    window = entry.window
    if kinds and window.kind not in kinds:
        return False
    if not statuses:
        return True
    return window.status in statuses or (MOVED in statuses and entry.moved)
