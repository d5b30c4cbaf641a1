"""A freeze over work already planned: the windows it covers, what they carry, and what the
planner chose to do with them (cancel, move after the freeze, or keep), in one transaction.

Above `freezes`, `windows` and `releases` (which all read freezes): every freeze a person
makes, on a page or through the API, goes through `declare_freeze`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.business_hours import QUARTER, quiet_start
from rollout.customers import get_customer, get_region
from rollout.errors import Conflict, Invalid
from rollout.events import Context
from rollout.freezes import Freeze, FreezeScope, binds, create_freeze
from rollout.releases.models import Deployment, DeploymentStatus
from rollout.scheduling import parse_zone
from rollout.validation import check_aware, optional_text
from rollout.windows import Change, Window, WindowKind, WindowStatus, change_window, clear_of

# How far past the freeze a moved window may land before the planner is asked to choose.
MOVE_SEARCH = timedelta(days=14)


class Covering(StrEnum):
    """What happens to the planned windows a new freeze covers."""

    CANCEL = "cancel"  # cancelled (a regular occurrence is skipped)
    MOVE = "move"  # to the first quiet slot after the freeze, or to a chosen time
    KEEP = "keep"  # left inside the freeze, with a reason


@dataclass(frozen=True)
class CoveredWindow:
    """A planned or announced window inside a freeze, and what waits in it."""

    window: Window
    carries: tuple[str, ...]  # "release 2026.12 · Production · us (2 environments)"

    def describe(self) -> str:
        """`window #4 "Monthly maintenance" (us, 2026-12-12 14:00Z, announced)` for messages."""
        w = self.window
        where = w.customer.slug if w.customer else w.region.slug
        return (
            f"window #{w.id} {w.title!r} ({where}, {w.starts_at:%Y-%m-%d %H:%M}Z, {w.status}"
            + (f"; carries {', '.join(self.carries)}" if self.carries else "")
            + ")"
        )


@dataclass(frozen=True)
class Declared:
    """The freeze made, and each covered window as it now stands."""

    freeze: Freeze
    covered: list[CoveredWindow]
    choice: Covering | None


def covered_windows(session: Session, freeze: Freeze, *, now: datetime) -> list[CoveredWindow]:
    """The planned and announced windows not yet over that `freeze` binds, by start. A
    customer's event plan covers that customer's own windows only: its region's windows
    carry other customers too (the planner defers the customer's waves around it)."""
    found = session.scalars(
        select(Window)
        .where(
            Window.starts_at < freeze.ends_at,
            Window.ends_at > max(freeze.starts_at, now),
            Window.status.in_((WindowStatus.PLANNED, WindowStatus.ANNOUNCED)),
        )
        .order_by(Window.starts_at, Window.id)
    )
    windows = [w for w in found if binds(freeze, w.region_id, w.customer_id)]
    return [CoveredWindow(w, _carries(session, w)) for w in windows]


def would_cover(
    session: Session,
    *,
    starts_at: datetime,
    ends_at: datetime,
    region: str | None = None,
    customer: str | None = None,
    now: datetime,
) -> list[CoveredWindow]:
    """What a freeze with these bounds and scope would cover, for a form to show before the
    freeze exists; nothing is stored."""
    probe = Freeze(starts_at=starts_at, ends_at=ends_at, scope=FreezeScope.GLOBAL)
    if customer:
        found = get_customer(session, customer)
        probe.scope, probe.customer_id, probe.region_id = FreezeScope.CUSTOMER, found.id, None
    elif region:
        probe.scope, probe.region_id = FreezeScope.REGION, get_region(session, region).id
    return covered_windows(session, probe, now=now)


def _carries(session: Session, window: Window) -> tuple[str, ...]:
    waiting = session.scalars(
        select(Deployment).where(
            Deployment.window_id == window.id, Deployment.status == DeploymentStatus.SCHEDULED
        )
    )
    counts = Counter(
        f"release {d.release.version} · {d.wave.name}" if d.wave else f"hotfix #{d.hotfix_id}"
        for d in waiting
    )
    return tuple(
        f"{what} ({n} environment{'s' if n > 1 else ''})" for what, n in sorted(counts.items())
    )


def declare_freeze(
    session: Session,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    region: str | None = None,
    customer: str | None = None,
    kind: str | None = None,
    reason: str = "",
    covered: str | None = None,
    covered_reason: str | None = None,
    move_to: datetime | None = None,
    reviewed: list[int] | None = None,
    actor: str,
    now: datetime,
    context: Context,
) -> Declared:
    """A freeze, refused while it covers planned windows and no choice is made for them;
    with one, the windows are cancelled, moved or kept in the same transaction. `reviewed`
    (the window ids the planner was shown) refuses a choice made over a stale list."""
    choice = _choice(covered)
    # A refusal leaves nothing behind: not the freeze, not a window changed before it.
    with session.begin_nested():
        freeze = create_freeze(
            session,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            region=region,
            customer=customer,
            kind=kind,
            reason=reason,
            actor=actor,
            now=now,
        )
        # Read under the regions' locks create_freeze took: a freeze or a plan at the same
        # moment is either already here or waits for this one.
        found = covered_windows(session, freeze, now=now)
        if reviewed is not None and sorted(reviewed) != sorted(c.window.id for c in found):
            raise Conflict(
                "the planned windows under this freeze changed since you looked; check them "
                "again" + (f": {_listing(found)}" if found else " (none now)"),
                field="covered",
                details={"windows": [c.window.id for c in found]},
            )
        if not found:
            return Declared(freeze, [], None)
        if choice is None:
            raise Invalid(
                f"This freeze covers {len(found)} planned window{'s' if len(found) > 1 else ''}: "
                f"{_listing(found)}. Choose to cancel, move or keep "
                f"{'them' if len(found) > 1 else 'it'}.",
                field="covered",
                details={"windows": [c.window.id for c in found]},
            )
        note = f"freeze {freeze.title!r}"
        if choice == Covering.KEEP:
            why = optional_text(covered_reason, field="covered_reason")
            if not why:
                raise Invalid(
                    "Say why the planned windows may stay inside the freeze", field="covered_reason"
                )
            freeze.reason = "; ".join(filter(None, [freeze.reason, f"kept windows inside: {why}"]))
        elif choice == Covering.CANCEL:
            for item in found:
                _change(
                    session,
                    item,
                    Change.SKIP if item.window.kind == WindowKind.REGULAR else Change.CANCEL,
                    reason=f"inside {note}",
                    actor=actor,
                    now=now,
                    context=context,
                )
        else:
            if move_to is not None:
                check_aware(move_to, field="move_to")
            for item in found:
                _move(
                    session, item, freeze, move_to, note=note, actor=actor, now=now, context=context
                )
        session.flush()
        return Declared(freeze, found, choice)


def _choice(covered: str | None) -> Covering | None:
    if not covered:
        return None
    try:
        return Covering(covered)
    except ValueError:
        raise Invalid(f"covered must be one of {', '.join(Covering)}", field="covered") from None


def _listing(found: list[CoveredWindow]) -> str:
    return "; ".join(c.describe() for c in found)


def _change(session: Session, item: CoveredWindow, change: Change, **kwargs) -> Window:
    """One change to a covered window; a refusal names the window it was refused for."""
    window = item.window
    try:
        return change_window(
            session, window.id, change=change, expected_sequence=window.sequence, **kwargs
        )
    except (Conflict, Invalid) as exc:
        raise type(exc)(
            f"window #{window.id} {window.title!r}: {exc.message}",
            field="move_to" if exc.field == "starts_at" else "covered",
            details=exc.details,
        ) from None


def _move(
    session: Session,
    item: CoveredWindow,
    freeze: Freeze,
    move_to: datetime | None,
    *,
    note: str,
    actor: str,
    now: datetime,
    context: Context,
) -> None:
    """To `move_to`, or to the first quarter hour after the freeze outside the region's
    business hours where nothing else is, keeping the window's length."""
    window = item.window
    length = window.ends_at - window.starts_at
    moving = {"reason": f"moved out of {note}", "actor": actor, "now": now, "context": context}
    if move_to is not None:
        _change(session, item, Change.MOVE, starts_at=move_to, ends_at=move_to + length, **moving)
        return
    zone, hours = parse_zone(window.timezone), window.region.business_hours
    start = quiet_start(freeze.ends_at, zone, hours, timedelta(0), length)
    while start < freeze.ends_at + MOVE_SEARCH:
        try:
            with session.begin_nested():
                change_window(
                    session,
                    window.id,
                    change=Change.MOVE,
                    expected_sequence=window.sequence,
                    starts_at=start,
                    ends_at=start + length,
                    **moving,
                )
            return
        except Conflict as exc:
            blocker = clear_of(session, exc)
            if blocker is None:  # not a slot taken: a wave that no longer fits, say
                raise Conflict(
                    f"window #{window.id} {window.title!r} cannot be moved: {exc.message}",
                    field="covered",
                    details=exc.details,
                ) from None
            start = quiet_start(max(start + QUARTER, blocker), zone, hours, timedelta(0), length)
    raise Conflict(
        f"no free slot for window #{window.id} {window.title!r} within two weeks after the "
        "freeze; choose a time",
        field="move_to",
    )
