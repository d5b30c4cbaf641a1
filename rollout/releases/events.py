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
# runs in the use case's transaction; raising refuses the change.
_listeners: dict[ReleaseEvent, list[Listener]] = {event: [] for event in ReleaseEvent}


def on(event: ReleaseEvent) -> Callable[[Listener], Listener]:
    """Register `listener(session, subject, now)` for `event`."""

    def register(listener: Listener) -> Listener:
        _listeners[event].append(listener)
        return listener

    return register


def emit(session: Session, event: ReleaseEvent, subject: object, now: datetime) -> None:
    for listener in _listeners[event]:
        listener(session, subject, now)
