"""A window's history: every change is a new revision with who, when and why."""

from __future__ import annotations

from datetime import datetime

from rollout.windows.models import Window, WindowAction, WindowRevision


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
    return revision
