"""A window's history: every change is a new revision with who, when and why; and the
capabilities built on windows (releases, notifications) hear of each one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, object_session

from rollout.windows.models import Window, WindowAction, WindowRevision

WindowListener = Callable[[Session, Window, WindowAction, datetime], None]

# Windows must not import what depends on them, so dependents register here instead. A
# listener runs in the change's transaction and may refuse it by raising a domain error.
_listeners: list[WindowListener] = []


def on_window_change(listener: WindowListener) -> WindowListener:
    """Call `listener(session, window, action, now)` after every revision of a stored window."""
    _listeners.append(listener)
    return listener


def record(
    window: Window, action: WindowAction, *, actor: str, reason: str, now: datetime
) -> WindowRevision:
    """Append a revision snapshotting `window`; any change after creation bumps its sequence."""
    if window.revisions:
        window.sequence += 1
        window.updated_at = now
    revision = WindowRevision(
        sequence=window.sequence,
        action=action,
        status=window.status,
        title=window.title,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        actor=actor,
        reason=reason,
        at=now,
    )
    window.revisions.append(revision)
    session = object_session(window)
    if session is not None and window.id is not None:
        for listener in _listeners:
            listener(session, window, action, now)
    return revision
