"""What happens to releases, hotfixes and deployments, for the capabilities built on them
(Jira pushes, tickets' fix status, notifications) to react to in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session


class ReleaseEvent(StrEnum):
    RELEASE_CREATED = "release_created"  # subject: the Release
    RELEASE_SCHEDULED = "release_scheduled"  # planned (again): its waves and dates are known
    RELEASE_COMPLETED = "release_completed"  # reached every environment for the first time
    HOTFIX_SCHEDULED = "hotfix_scheduled"  # subject: the Hotfix, with its deployments
    HOTFIX_APPLIED = "hotfix_applied"
    DEPLOYMENT_SUCCEEDED = "deployment_succeeded"  # subject: the Deployment
    DEPLOYMENT_ROLLED_BACK = "deployment_rolled_back"


Listener = Callable[[Session, object, datetime], None]

# Releases must not import what depends on them, so dependents register here. A listener
# runs in the use case's transaction; raising refuses the change. The flag marks a batch
# listener: it hears every subject of one use case in one call (a wave's deployments), so
# it can query once for all of them instead of once per subject.
_listeners: dict[ReleaseEvent, list[tuple[Listener, bool]]] = {event: [] for event in ReleaseEvent}


def on(event: ReleaseEvent, *, batch: bool = False) -> Callable[[Listener], Listener]:
    """Register `listener(session, subject, now)` for `event`; with `batch`,
    `listener(session, subjects, now)` with the list of a use case's subjects."""

    def register(listener: Listener) -> Listener:
        _listeners[event].append((listener, batch))
        return listener

    return register


def emit(session: Session, event: ReleaseEvent, subject: object, now: datetime) -> None:
    emit_all(session, event, [subject], now)


def emit_all(session: Session, event: ReleaseEvent, subjects: list, now: datetime) -> None:
    """`event` happened to each of `subjects` in one use case: listeners run in the order
    they registered, each hearing every subject (a batch listener, all in one call)."""
    if not subjects:
        return
    for listener, batch in _listeners[event]:
        if batch:
            listener(session, subjects, now)
        else:
            for subject in subjects:
                listener(session, subject, now)
