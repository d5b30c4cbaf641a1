"""Windows made by hand (ad hoc, emergency, for one customer) and every later change."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rollout.customers import get_customer, get_region
from rollout.db import lock_row
from rollout.errors import Conflict, Invalid, NotFound
from rollout.events import Context, WindowChanged, publish
from rollout.freezes import OVERRIDE_FREEZE, Freeze, blocking, list_freezes
from rollout.scheduling import Span, parse_zone
from rollout.validation import check_aware, check_order, check_text, optional_text
from rollout.windows.models import Window, WindowAction, WindowKind, WindowStatus
from rollout.windows.revisions import record

# A window may start a little in the past: an emergency is entered as it begins.
PAST_GRACE = timedelta(minutes=15)
MAX_LENGTH = timedelta(days=7)


class Change(StrEnum):
    MOVE = "move"
    EXTEND = "extend"
    CANCEL = "cancel"
    SKIP = "skip"
    ANNOUNCE = "announce"
    START = "start"
    COMPLETE = "complete"


# Which statuses each change may start from, and the status it leaves.
_TRANSITIONS: dict[Change, tuple[set[WindowStatus], WindowStatus | None]] = {
    Change.ANNOUNCE: ({WindowStatus.PLANNED}, WindowStatus.ANNOUNCED),
    Change.MOVE: ({WindowStatus.PLANNED, WindowStatus.ANNOUNCED}, None),
    Change.EXTEND: ({WindowStatus.PLANNED, WindowStatus.ANNOUNCED, WindowStatus.IN_PROGRESS}, None),
    Change.START: ({WindowStatus.PLANNED, WindowStatus.ANNOUNCED}, WindowStatus.IN_PROGRESS),
    Change.COMPLETE: ({WindowStatus.IN_PROGRESS}, WindowStatus.COMPLETED),
    Change.CANCEL: ({WindowStatus.PLANNED, WindowStatus.ANNOUNCED}, WindowStatus.CANCELLED),
    Change.SKIP: ({WindowStatus.PLANNED, WindowStatus.ANNOUNCED}, WindowStatus.CANCELLED),
}
_ACTIONS = {
    Change.MOVE: WindowAction.MOVED,
    Change.EXTEND: WindowAction.EXTENDED,
    Change.CANCEL: WindowAction.CANCELLED,
    Change.SKIP: WindowAction.SKIPPED,
    Change.ANNOUNCE: WindowAction.ANNOUNCED,
    Change.START: WindowAction.STARTED,
    Change.COMPLETE: WindowAction.COMPLETED,
}
_NEEDS_REASON = {Change.MOVE, Change.EXTEND, Change.CANCEL, Change.SKIP}


def allowed_changes(window: Window) -> list[Change]:
    """The changes that can apply to `window` in its current status, in menu order."""
    return [
        change
        for change, (starts, _) in _TRANSITIONS.items()
        if window.status in starts and (change != Change.SKIP or window.kind == WindowKind.REGULAR)
    ]


def create_window(
    session: Session,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    region: str | None = None,
    customer: str | None = None,
    kind: str = WindowKind.AD_HOC,
    timezone: str | None = None,
    justification: str | None = None,
    override_freeze_reason: str | None = None,
    actor: str,
    now: datetime,
    context: Context,
) -> Window:
    """An ad hoc or emergency window for a region, or for one customer alone."""
    try:
        kind = WindowKind(kind)
    except ValueError:
        raise Invalid("kind must be ad_hoc or emergency", field="kind") from None
    if kind == WindowKind.REGULAR:
        raise Invalid("regular windows come from a maintenance policy; use ad_hoc", field="kind")
    if kind == WindowKind.EMERGENCY and not (justification or "").strip():
        raise Invalid("an emergency window needs a justification", field="justification")
    if customer:
        owner = get_customer(session, customer)
        if region and region != owner.region.slug:
            raise Invalid(
                f"customer {customer!r} is in region {owner.region.slug!r}", field="region"
            )
        home, customer_id = owner.region, owner.id
    elif region:
        home, customer_id = get_region(session, region), None
    else:
        raise Invalid("name the region (or the customer) the window is for", field="region")
    timezone = timezone or (owner.timezone if customer else home.timezone)
    parse_zone(timezone)
    span = _checked_span(starts_at, ends_at, now=now)
    window = Window(
        region=home,
        region_id=home.id,
        customer_id=customer_id,
        kind=kind,
        status=WindowStatus.PLANNED,
        title=check_text(title, field="title"),
        starts_at=span.start,
        ends_at=span.end,
        timezone=timezone,
        justification=optional_text(justification, field="justification"),
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    override_freeze_reason = optional_text(override_freeze_reason, field="override_reason")
    overridden = _check_conflicts(session, window, span, override_freeze_reason)
    window.freeze_override_reason = _override_note(overridden, override_freeze_reason)
    session.add(window)
    session.flush()  # an id first, so the handlers hear of a stored window
    record(
        window,
        WindowAction.CREATED,
        actor=actor,
        reason=_join(justification, window.freeze_override_reason),
        now=now,
    )
    publish(session, WindowChanged(window, WindowAction.CREATED), now=now, context=context)
    session.flush()
    return window


def get_window(session: Session, window_id: int) -> Window:
    """The window with `window_id`, or NotFound."""
    window = session.get(Window, window_id)
    if window is None:
        raise NotFound(f"no window #{window_id}", field="id")
    return window


def change_window(
    session: Session,
    window_id: int,
    *,
    change: str,
    expected_sequence: int,
    reason: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    override_freeze_reason: str | None = None,
    actor: str,
    now: datetime,
    context: Context,
) -> Window:
    """Apply one change to a window as a new revision; an edit of a stale revision conflicts."""
    try:
        change = Change(change)
    except ValueError:
        raise Invalid(f"action must be one of {', '.join(Change)}", field="action") from None
    window = get_window(session, window_id)
    if expected_sequence != window.sequence:
        raise Conflict(
            f"window #{window_id} is at revision {window.sequence}, not "
            f"{expected_sequence}: someone changed it; reload and try again",
            field="sequence",
            details={"current_sequence": window.sequence},
        )
    allowed_from, next_status = _TRANSITIONS[change]
    if window.status not in allowed_from:
        raise Conflict(f"cannot {change} a window that is {window.status}", field="action")
    reason = optional_text(reason, field="reason") or ""
    override_freeze_reason = optional_text(override_freeze_reason, field="override_reason")
    if change in _NEEDS_REASON and not reason:
        raise Invalid(f"say why you {change} the window", field="reason")
    if change == Change.SKIP and window.kind != WindowKind.REGULAR:
        raise Invalid("only a regular occurrence can be skipped; cancel this one", field="action")
    if change in (Change.MOVE, Change.EXTEND):
        span = _new_span(window, change, starts_at, ends_at, now)
        overridden = _check_conflicts(session, window, span, override_freeze_reason)
    # A handler of WindowChanged may still refuse the change: undo it all if so.
    with session.begin_nested():
        if change in (Change.MOVE, Change.EXTEND):
            window.starts_at, window.ends_at = span.start, span.end
            if overridden:
                window.freeze_override_reason = _override_note(overridden, override_freeze_reason)
                reason = _join(reason, window.freeze_override_reason)
        if next_status is not None:
            window.status = next_status
        record(window, _ACTIONS[change], actor=actor, reason=reason, now=now)
        publish(session, WindowChanged(window, _ACTIONS[change]), now=now, context=context)
        try:
            session.flush()
        except StaleDataError:
            raise Conflict(
                f"window #{window_id} was changed by someone else just now; reload and try again",
                field="sequence",
            ) from None
    return window


def _new_span(
    window: Window,
    change: Change,
    starts_at: datetime | None,
    ends_at: datetime | None,
    now: datetime,
) -> Span:
    if change == Change.EXTEND:
        if starts_at is not None:
            raise Invalid("extending keeps the start; give only ends_at", field="starts_at")
        if ends_at is None:
            raise Invalid("give the new end", field="ends_at")
        check_aware(ends_at, field="ends_at")
        if ends_at <= window.ends_at:
            raise Invalid("an extension must end later than the window does now", field="ends_at")
        return _checked_span(window.starts_at, ends_at, now=now, check_start=False)
    if starts_at is None:
        raise Invalid("give the new start", field="starts_at")
    if ends_at is None:
        # Moving keeps the length unless a new end is given.
        check_aware(starts_at, field="starts_at")
        ends_at = starts_at + (window.ends_at - window.starts_at)
    return _checked_span(starts_at, ends_at, now=now)


def _checked_span(
    starts_at: datetime, ends_at: datetime, *, now: datetime, check_start: bool = True
) -> Span:
    check_aware(starts_at, field="starts_at")
    check_aware(ends_at, field="ends_at")
    check_order(starts_at, ends_at)
    if ends_at - starts_at > MAX_LENGTH:
        raise Invalid("a window may last at most 7 days", field="ends_at")
    if check_start and starts_at < now - PAST_GRACE:
        raise Invalid("the start is in the past", field="starts_at")
    return Span(starts_at, ends_at)


def _neighbours(session: Session, window: Window, span: Span) -> tuple[list[Freeze], list[Window]]:
    freezes = blocking(
        list_freezes(
            session,
            start=span.start,
            end=span.end,
            region_id=window.region_id,
            customer_id=window.customer_id,
        ),
        span,
        region_id=window.region_id,
        customer_id=window.customer_id,
    )
    query = select(Window).where(
        Window.region_id == window.region_id,
        Window.status != WindowStatus.CANCELLED,
        Window.ends_at > span.start,
        Window.starts_at < span.end,
    )
    if window.id is not None:
        query = query.where(Window.id != window.id)
    if window.customer_id is not None:
        # Two customers' own windows may overlap; a customer's and the region's may not.
        query = query.where(
            Window.customer_id.is_(None) | (Window.customer_id == window.customer_id)
        )
    return freezes, list(session.scalars(query.order_by(Window.starts_at)))


def _check_conflicts(
    session: Session, window: Window, span: Span, override_reason: str | None
) -> list[Freeze]:
    """Refuse overlaps always and freezes unless overridden; returns the overridden freezes.
    The region stays locked until the caller commits: windows made or moved at the same
    moment in one region are checked one after the other, each seeing the one before."""
    lock_row(session, window.region)
    freezes, others = _neighbours(session, window, span)
    if others:
        other = others[0]
        raise Conflict(
            f"overlaps window #{other.id} {other.title!r} ({other.starts_at:%Y-%m-%d %H:%M}Z "
            f"to {other.ends_at:%Y-%m-%d %H:%M}Z) in region {window.region.slug}",
            field="starts_at",
            details={"window": other.id},
        )
    if freezes and not (override_reason or "").strip():
        raise Conflict(
            f"inside freeze {freezes[0].describe()}; to go ahead anyway, "
            f"{OVERRIDE_FREEZE.lower()} and say why",
            field="starts_at",
            details={"freezes": [f.id for f in freezes]},
        )
    return freezes


def clear_of(session: Session, refusal: Conflict) -> datetime | None:
    """When the window or freezes that refused a slot end (the earliest a retry can work),
    or None when neither refused it."""
    ends = []
    if (window_id := refusal.details.get("window")) is not None:
        ends.append(session.get(Window, window_id).ends_at)
    ends += [session.get(Freeze, f).ends_at for f in refusal.details.get("freezes", [])]
    return max(ends, default=None)


def _override_note(freezes: list[Freeze], reason: str | None) -> str | None:
    if not freezes:
        return None
    names = ", ".join(f"#{f.id} {f.title!r}" for f in freezes)
    return f"overrides freeze {names}: {(reason or '').strip()}"


def _join(*parts: str | None) -> str:
    return "; ".join(p.strip() for p in parts if p and p.strip())
