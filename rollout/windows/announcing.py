"""Keeping the calendar ahead of time without anyone having to remember: the planning
horizon moves forward day by day, and a window is announced as soon as it comes within the
longest notice period, so every customer hears of it at its tier's lead time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.errors import Conflict
from rollout.events import Context
from rollout.windows.changes import Change, change_window
from rollout.windows.models import Window, WindowKind, WindowStatus
from rollout.windows.planning import default_horizon, plan_windows

ANNOUNCER = "auto-announce"


def keep_ahead(
    session: Session, *, notice: timedelta | None, now: datetime, context: Context
) -> tuple[int, int]:
    """Plan every policy to the default horizon and, unless `notice` is None, announce the
    windows starting within it; returns (windows planned, windows announced)."""
    planned = plan_windows(session, until=default_horizon(now), now=now)
    announced = (
        len(announce_upcoming(session, within=notice, now=now, context=context)) if notice else 0
    )
    return planned, announced


def announce_upcoming(
    session: Session, *, within: timedelta, now: datetime, context: Context
) -> list[Window]:
    """Announce each planned window that starts in (now, now + within]. Emergency windows
    are told at creation and need no announcement. A window someone else changed meanwhile
    (another worker, a release manager) is left to them."""
    due = session.scalars(
        select(Window)
        .where(
            Window.status == WindowStatus.PLANNED,
            Window.kind != WindowKind.EMERGENCY,
            Window.starts_at > now,
            Window.starts_at <= now + within,
        )
        .order_by(Window.starts_at, Window.id)
    ).all()
    announced = []
    for window in due:
        try:
            change_window(
                session,
                window.id,
                change=Change.ANNOUNCE,
                expected_sequence=window.sequence,
                actor=ANNOUNCER,
                now=now,
                context=context,
            )
        except Conflict:
            continue
        announced.append(window)
    return announced
