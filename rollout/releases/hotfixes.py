"""Hotfixes outside a release: to everyone or to named customers (a per-customer patch).

A zero-day needs a justification and a second release manager's approval; it then gets an
emergency window as soon as one is allowed. Anything else goes in the next regular window.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Region, get_customer
from rollout.errors import Conflict, Forbidden, Invalid, NotFound
from rollout.releases.models import (
    Deployment,
    DeploymentStatus,
    Hotfix,
    HotfixStatus,
    HotfixUrgency,
)
from rollout.releases.notes import render_note
from rollout.releases.releases import check_jira_key
from rollout.validation import check_text
from rollout.windows import Window, WindowKind, WindowStatus, create_window

# An emergency window starts this long after approval: time to page the on-call engineer.
EMERGENCY_LEAD = timedelta(minutes=30)
EMERGENCY_LENGTH = timedelta(hours=1)
_SEARCH_STEPS = 7 * 24 * 4


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
    actor: str,
    now: datetime,
) -> Hotfix:
    """A hotfix; a normal one is scheduled at once, a zero-day waits for approval."""
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
    hotfix = Hotfix(
        title=check_text(title, field="title"),
        urgency=urgency,
        jira_key=check_jira_key(jira_key),
        summary=check_text(summary or "", field="summary", max_length=2000, required=False),
        public_note=check_text(
            public_note or "", field="public_note", max_length=20000, required=False
        ),
        justification=(justification or "").strip() or None,
        requested_by=actor,
        status=HotfixStatus.AWAITING_APPROVAL,
        created_at=now,
        updated_at=now,
        customers=[get_customer(session, slug, field="customers") for slug in customers or []],
    )
    hotfix.public_html = render_note(hotfix.public_note)
    session.add(hotfix)
    session.flush()
    if urgency == HotfixUrgency.NORMAL:
        _schedule(session, hotfix, _next_regular_windows(session, hotfix, now), now=now)
    return hotfix


def approve_hotfix(session: Session, hotfix_id: int, *, actor: str, now: datetime) -> Hotfix:
    """A second release manager approves a zero-day; it gets its emergency window(s)."""
    hotfix = get_hotfix(session, hotfix_id)
    if hotfix.status != HotfixStatus.AWAITING_APPROVAL:
        raise Conflict(f"hotfix #{hotfix.id} is {hotfix.status}", field="status")
    if actor == hotfix.requested_by:
        raise Forbidden(
            "the requester cannot approve their own hotfix; ask another release manager",
            field="approved_by",
        )
    hotfix.approved_by, hotfix.approved_at = actor, now
    windows = {}
    for region_id, customer in _audiences(session, hotfix):
        windows[(region_id, customer.id if customer else None)] = _emergency_window(
            session, hotfix, region_id, customer, actor=actor, now=now
        )
    _schedule(session, hotfix, windows, now=now)
    return hotfix


def get_hotfix(session: Session, hotfix_id: int) -> Hotfix:
    """The hotfix with `hotfix_id`, or NotFound."""
    hotfix = session.get(Hotfix, hotfix_id)
    if hotfix is None:
        raise NotFound(f"no hotfix #{hotfix_id}", field="id")
    return hotfix


def list_hotfixes(session: Session, *, customer: Customer | None = None) -> list[Hotfix]:
    """Hotfixes newest first; for a customer, those for everyone and its own patches only."""
    hotfixes = list(session.scalars(select(Hotfix).order_by(Hotfix.id.desc())))
    if customer is None:
        return hotfixes
    return [h for h in hotfixes if not h.customers or customer in h.customers]


def _audiences(session: Session, hotfix: Hotfix) -> list[tuple[int, Customer | None]]:
    # A patch gets a window of its own per customer, visible to that customer alone.
    if hotfix.customers:
        return [(c.region_id, c) for c in hotfix.customers]
    region_ids = sorted({c.region_id for c in session.scalars(select(Customer))})
    return [(region_id, None) for region_id in region_ids]


def _emergency_window(
    session: Session,
    hotfix: Hotfix,
    region_id: int,
    customer: Customer | None,
    *,
    actor: str,
    now: datetime,
) -> Window:
    """The first free slot from now + lead, stepping past clashes 15 minutes at a time."""
    region = session.get(Region, region_id)
    start = (now + EMERGENCY_LEAD).replace(second=0, microsecond=0)
    start += timedelta(minutes=-start.minute % 15)
    last_error = None
    for _ in range(_SEARCH_STEPS):
        try:
            with session.begin_nested():
                return create_window(
                    session,
                    title=f"Emergency: {hotfix.title}",
                    region=None if customer else region.slug,
                    customer=customer.slug if customer else None,
                    kind=WindowKind.EMERGENCY,
                    starts_at=start,
                    ends_at=start + EMERGENCY_LENGTH,
                    justification=hotfix.justification,
                    actor=actor,
                    now=now,
                )
        except Conflict as exc:
            last_error = exc
            start += timedelta(minutes=15)
    raise Conflict(f"no free emergency slot within a week: {last_error.message}", field="windows")


def _next_regular_windows(
    session: Session, hotfix: Hotfix, now: datetime
) -> dict[tuple[int, int | None], Window]:
    windows = {}
    for region_id, customer in _audiences(session, hotfix):
        window = session.scalar(
            select(Window)
            .where(
                Window.region_id == region_id,
                Window.customer_id.is_(None),
                Window.kind == WindowKind.REGULAR,
                Window.starts_at > now,
                Window.status.in_((WindowStatus.PLANNED, WindowStatus.ANNOUNCED)),
            )
            .order_by(Window.starts_at)
        )
        if window is None:
            raise Conflict("no regular window ahead for this hotfix", field="windows")
        windows[(region_id, customer.id if customer else None)] = window
    return windows


def _schedule(
    session: Session,
    hotfix: Hotfix,
    windows: dict[tuple[int, int | None], Window],
    *,
    now: datetime,
) -> None:
    targets = defaultdict(list)
    for customer in hotfix.customers or session.scalars(select(Customer)):
        key = (customer.region_id, customer.id if hotfix.customers else None)
        targets[key].extend(customer.environments)
    for key, environments in targets.items():
        window = windows[key]
        for environment in environments:
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
