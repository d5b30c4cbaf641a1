"""Hotfixes outside a release: to everyone or to named customers (a per-customer patch).

A zero-day needs a justification and a second release manager's approval; it then gets an
emergency window as soon as one is allowed. Anything else goes in the next regular window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rollout.business_hours import QUARTER, quiet_start
from rollout.customers import Customer, Region, get_customer
from rollout.db import lock_row
from rollout.errors import Conflict, Forbidden, Invalid, NotFound
from rollout.events import Context, HotfixScheduled, publish
from rollout.freezes import blocking, list_freezes
from rollout.releases.models import (
    Deployment,
    DeploymentStatus,
    Hotfix,
    HotfixStatus,
    HotfixUrgency,
)
from rollout.releases.notes import render_note
from rollout.releases.releases import check_jira_key
from rollout.scheduling import parse_zone
from rollout.validation import check_aware, check_text, optional_text
from rollout.windows import Window, WindowKind, WindowStatus, clear_of, create_window

# An emergency window starts at least this long after approval: time to page the on-call
# engineer. By default it then waits for the end of the region's business hours.
EMERGENCY_LEAD = timedelta(minutes=30)
EMERGENCY_LENGTH = timedelta(hours=1)
EMERGENCY_SEARCH = timedelta(days=7)


def request_hotfix(
    session: Session,
    *,
    title: str,
    urgency: str,
    summary: str = "",
    public_note: str = "",
    jira_key: str | None = None,
    customers: list[str] | None = None,
    justification: str | None = None,
    emergency_start: datetime | None = None,
    emergency_starts: Mapping[str, datetime] | None = None,
    actor: str,
    now: datetime,
) -> Hotfix:
    """A hotfix; a normal one is scheduled at once, a zero-day waits for approval. A
    zero-day's requester may choose its emergency start, for every region or per region."""
    try:
        urgency = HotfixUrgency(urgency)
    except ValueError:
        raise Invalid(
            f"urgency must be one of {', '.join(HotfixUrgency)}", field="urgency"
        ) from None
    if urgency == HotfixUrgency.ZERO_DAY and not (justification or "").strip():
        raise Invalid(
            "a hotfix outside a regular window needs a justification", field="justification"
        )
    if urgency == HotfixUrgency.NORMAL and (emergency_start or emergency_starts):
        raise Invalid(
            "only a zero-day gets an emergency window; a normal hotfix goes in the next "
            "regular one",
            field="emergency_start",
        )
    hotfix = Hotfix(
        title=check_text(title, field="title"),
        urgency=urgency,
        jira_key=check_jira_key(jira_key),
        summary=check_text(
            summary or "", field="summary", max_length=2000, required=False, multiline=True
        ),
        public_note=check_text(
            public_note or "", field="public_note", max_length=20000, required=False, multiline=True
        ),
        justification=optional_text(justification, field="justification"),
        requested_by=actor,
        status=HotfixStatus.AWAITING_APPROVAL,
        created_at=now,
        updated_at=now,
        # A slug named twice is one customer (and one row of hotfix_customer).
        customers=[
            get_customer(session, slug, field="customers")
            for slug in dict.fromkeys(customers or [])
        ],
    )
    hotfix.public_html = render_note(hotfix.public_note)
    _check_starts(session, hotfix, emergency_start, emergency_starts or {}, now=now)
    hotfix.emergency_start = emergency_start
    hotfix.emergency_starts = {
        slug: at.astimezone(UTC).isoformat() for slug, at in (emergency_starts or {}).items()
    }
    # Find the windows before storing anything, so a refusal leaves nothing behind.
    windows = (
        _next_regular_windows(session, hotfix, now) if urgency == HotfixUrgency.NORMAL else None
    )
    session.add(hotfix)
    session.flush()
    if windows is not None:
        _schedule(session, hotfix, windows, now=now)
    return hotfix


def approve_hotfix(
    session: Session,
    hotfix_id: int,
    *,
    start: datetime | None = None,
    starts: Mapping[str, datetime] | None = None,
    actor: str,
    now: datetime,
    context: Context,
) -> Hotfix:
    """A second release manager approves a zero-day; it gets its emergency window(s), each
    at the start chosen for its region (`starts` by region slug, else `start` for all, else
    what the requester chose) or, by default, at the region's first quiet quarter hour.
    Approvals at the same moment queue on the hotfix: the first wins, the rest conflict."""
    hotfix = get_hotfix(session, hotfix_id, lock=True)
    if hotfix.status != HotfixStatus.AWAITING_APPROVAL:
        raise Conflict(f"hotfix #{hotfix.id} is {hotfix.status}", field="status")
    if not may_approve(hotfix, actor):
        raise Forbidden(
            "the requester cannot approve their own hotfix; ask another release manager",
            field="approved_by",
        )
    starts = starts or {}
    _check_starts(session, hotfix, start, starts, now=now)
    # All or nothing: if one region finds no slot, the windows made for the others go too.
    with session.begin_nested():
        hotfix.approved_by, hotfix.approved_at = actor, now
        windows = {}
        audiences = _audiences(session, hotfix)
        # Every region up front and in one order: locked one by one as each window is
        # made, two approvals could each hold a region the other waits for.
        for region_id in sorted({region_id for region_id, _ in audiences}):
            lock_row(session, session.get(Region, region_id))
        for region_id, customer in audiences:
            slug = session.get(Region, region_id).slug
            chosen = starts.get(slug) or start or _requested_start(hotfix, slug)
            window = _emergency_window(
                session,
                hotfix,
                region_id,
                customer,
                chosen=chosen,
                actor=actor,
                now=now,
                context=context,
            )
            for target in [customer] if customer else _region_customers(session, region_id):
                windows[target.id] = window
        _schedule(session, hotfix, windows, now=now)
    return hotfix


@dataclass(frozen=True)
class EmergencySlot:
    """Where an approval would put one emergency window, for the approver to review."""

    region: str
    customer: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    chosen: bool  # a start someone chose, not the business-hours default


def preview_approval(
    session: Session,
    hotfix_id: int,
    *,
    start: datetime | None = None,
    starts: Mapping[str, datetime] | None = None,
    actor: str,
    now: datetime,
    context: Context,
) -> list[EmergencySlot]:
    """The emergency windows `approve_hotfix` would make with these arguments, made and
    undone in a savepoint: what the approver reviews is what the approval does. Raises what
    the approval would."""
    savepoint = session.begin_nested()
    try:
        hotfix = approve_hotfix(
            session, hotfix_id, start=start, starts=starts, actor=actor, now=now, context=context
        )
        windows = {d.window.id: d.window for d in hotfix.deployments if d.window is not None}
        named = set(starts or {})
        slots = [
            EmergencySlot(
                region=w.region.slug,
                customer=w.customer.slug if w.customer else None,
                starts_at=w.starts_at,
                ends_at=w.ends_at,
                timezone=w.timezone,
                chosen=bool(
                    w.region.slug in named or start or _requested_start(hotfix, w.region.slug)
                ),
            )
            for w in windows.values()
        ]
    finally:
        savepoint.rollback()
    session.expire_all()
    return sorted(slots, key=lambda s: (s.region, s.customer or ""))


def may_approve(hotfix: Hotfix, actor: str) -> bool:
    """Whether `actor` may approve `hotfix`: anyone but its requester (who asked once)."""
    # "Alice " and "alice" are one person asking twice, not two release managers.
    return actor.strip().casefold() != hotfix.requested_by.strip().casefold()


def reached_regions(session: Session, hotfix: Hotfix) -> list[Region]:
    """The regions whose customers the hotfix is for, by slug: one emergency start each."""
    if hotfix.customers:
        return sorted({c.region for c in hotfix.customers}, key=lambda r: r.slug)
    return list(session.scalars(select(Region).join(Customer).distinct().order_by(Region.slug)))


def _requested_start(hotfix: Hotfix, region: str) -> datetime | None:
    chosen = (hotfix.emergency_starts or {}).get(region)
    return datetime.fromisoformat(chosen) if chosen else hotfix.emergency_start


def _check_starts(
    session: Session,
    hotfix: Hotfix,
    start: datetime | None,
    starts: Mapping[str, datetime],
    *,
    now: datetime,
) -> None:
    """Chosen starts are in the future and name regions the hotfix reaches."""
    reached = {r.slug for r in reached_regions(session, hotfix)}
    for slug, at in [("", start), *starts.items()]:
        field = f"starts.{slug}" if slug else "start"
        if at is None:
            continue
        check_aware(at, field=field)
        if slug and slug not in reached:
            raise Invalid(
                f"the hotfix reaches no customer in region {slug!r}; its regions are "
                f"{', '.join(sorted(reached)) or 'none'}",
                field=field,
            )
        if at < now:
            where = f" in {slug}" if slug else ""
            raise Invalid(
                f"the emergency start{where} ({at.astimezone(UTC):%Y-%m-%d %H:%M} UTC) is in "
                "the past",
                field=field,
            )


def get_hotfix(session: Session, hotfix_id: int, *, lock: bool = False) -> Hotfix:
    """The hotfix with `hotfix_id` (locked for this transaction if `lock`), or NotFound."""
    hotfix = session.get(Hotfix, hotfix_id)
    if hotfix is None:
        raise NotFound(f"no hotfix #{hotfix_id}", field="id")
    return lock_row(session, hotfix) if lock else hotfix


def list_hotfixes(session: Session, *, customer: Customer | None = None) -> list[Hotfix]:
    """Hotfixes newest first; a customer sees only those scheduled or applied, for everyone
    or patches of its own (a request still awaiting approval may yet be refused)."""
    hotfixes = list(session.scalars(select(Hotfix).order_by(Hotfix.id.desc())))
    if customer is None:
        return hotfixes
    return [
        h
        for h in hotfixes
        if h.status in (HotfixStatus.SCHEDULED, HotfixStatus.APPLIED)
        and (not h.customers or customer in h.customers)
    ]


def _audiences(session: Session, hotfix: Hotfix) -> list[tuple[int, Customer | None]]:
    # A patch gets a window of its own per customer, visible to that customer alone.
    if hotfix.customers:
        return [(c.region_id, c) for c in hotfix.customers]
    region_ids = sorted({c.region_id for c in session.scalars(select(Customer))})
    return [(region_id, None) for region_id in region_ids]


def _region_customers(session: Session, region_id: int) -> list[Customer]:
    return list(session.scalars(select(Customer).where(Customer.region_id == region_id)))


def _emergency_window(
    session: Session,
    hotfix: Hotfix,
    region_id: int,
    customer: Customer | None,
    *,
    chosen: datetime | None,
    actor: str,
    now: datetime,
    context: Context,
) -> Window:
    """The window at the `chosen` start (refused if anything is in the way), or else the
    first quiet quarter hour from now + lead within a week, outside the region's business
    hours in the customer's or region's zone, jumping past whatever window or freeze is in
    the way."""
    region = session.get(Region, region_id)
    zone = parse_zone(customer.timezone if customer else region.timezone)
    hours = region.business_hours

    def make(start: datetime) -> Window:
        with session.begin_nested():
            return create_window(
                session,
                # Public before the fix is: the title must not describe the hole.
                title="Emergency maintenance",
                region=None if customer else region.slug,
                customer=customer.slug if customer else None,
                kind=WindowKind.EMERGENCY,
                starts_at=start,
                ends_at=start + EMERGENCY_LENGTH,
                justification=hotfix.justification,
                actor=actor,
                now=now,
                context=context,
            )

    if chosen is not None:
        try:
            return make(chosen)
        except Conflict as exc:
            raise Conflict(
                f"the emergency start chosen for {region.slug} cannot be used: {exc.message}",
                field=f"starts.{region.slug}",
                details=exc.details,
            ) from None
    start = quiet_start(now, zone, hours, EMERGENCY_LEAD, EMERGENCY_LENGTH)
    last_error = None
    while start < now + EMERGENCY_SEARCH:
        try:
            return make(start)
        except Conflict as exc:
            last_error = exc
            after = max(start + QUARTER, clear_of(session, exc) or start)
            start = quiet_start(after, zone, hours, timedelta(0), EMERGENCY_LENGTH)
    reason = f": {last_error.message}" if last_error else ""
    raise Conflict(f"no free emergency slot within a week{reason}", field="windows")


def _targets(session: Session, hotfix: Hotfix) -> list[Customer]:
    if hotfix.customers:
        return list(hotfix.customers)
    return list(
        session.scalars(
            select(Customer).options(selectinload(Customer.environments)).order_by(Customer.slug)
        )
    )


def _next_regular_windows(session: Session, hotfix: Hotfix, now: datetime) -> dict[int, Window]:
    """For each customer the hotfix is for, its region's next regular window that no freeze
    binding it overlaps: a customer in its event plan waits for its next allowed one."""
    customers = _targets(session, hotfix)
    regular = list(
        session.scalars(
            select(Window)
            .where(
                Window.region_id.in_({c.region_id for c in customers}),
                Window.customer_id.is_(None),
                Window.kind == WindowKind.REGULAR,
                Window.starts_at > now,
                Window.status.in_((WindowStatus.PLANNED, WindowStatus.ANNOUNCED)),
            )
            .order_by(Window.starts_at, Window.id)
        )
    )
    by_region: dict[int, list[Window]] = defaultdict(list)
    for window in regular:
        by_region[window.region_id].append(window)
    horizon = max((w.ends_at for w in regular), default=now)
    freezes = list_freezes(session, start=now, end=horizon)
    windows = {}
    for customer in customers:
        allowed = (
            w
            for w in by_region[customer.region_id]
            if not blocking(freezes, w.span, region_id=w.region_id, customer_id=customer.id)
        )
        window = next(allowed, None)
        if window is None:
            raise Conflict(
                f"no regular window ahead for {customer.slug} outside its freezes; plan "
                "further ahead with `rollout plan --until`",
                field="windows",
            )
        windows[customer.id] = window
    return windows


def _schedule(
    session: Session, hotfix: Hotfix, windows: dict[int, Window], *, now: datetime
) -> None:
    """A scheduled deployment to each environment of each customer in `windows`."""
    for customer in _targets(session, hotfix):
        window = windows[customer.id]
        for environment in customer.environments:
            session.add(
                Deployment(
                    environment_id=environment.id,
                    hotfix=hotfix,
                    window_id=window.id,
                    status=DeploymentStatus.SCHEDULED,
                    scheduled_for=window.starts_at,
                    created_at=now,
                    updated_at=now,
                )
            )
    hotfix.status = HotfixStatus.SCHEDULED
    hotfix.updated_at = now
    session.flush()
    publish(session, HotfixScheduled(hotfix), now=now)
