"""What happens in the domain, as typed facts a use case publishes for the capabilities built
on it to react to in the same transaction. Who reacts, in which order, is `rollout/handlers.py`.

This module imports no other project module at run time, so every capability can publish
without importing the ones that react (windows would otherwise import notifications, which
imports windows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from rollout.notifications.triggers import NotificationPolicy
    from rollout.releases.models import Deployment, Hotfix, Release
    from rollout.support.models import TicketBug
    from rollout.windows.models import Window, WindowAction


@dataclass(frozen=True, slots=True)
class Context:
    """What handlers need from the configuration, read by the caller (the app, the CLI, the
    worker, a test) and passed down: the domain reads no settings."""

    notification_policy: NotificationPolicy


@dataclass(frozen=True, slots=True)
class WindowChanged:
    """A stored window got a new revision (`window.revisions[-1]`)."""

    window: Window
    action: WindowAction


@dataclass(frozen=True, slots=True)
class ReleaseCreated:
    release: Release


@dataclass(frozen=True, slots=True)
class ReleaseScheduled:
    """Planned (again): its waves and dates are known."""

    release: Release


@dataclass(frozen=True, slots=True)
class ReleaseCompleted:
    """Reached every environment, the first time."""

    release: Release


@dataclass(frozen=True, slots=True)
class ReleaseCancelled:
    """Cancelled before it completed: its planned deployments are gone."""

    release: Release


@dataclass(frozen=True, slots=True)
class HotfixScheduled:
    """Approved: its emergency windows and deployments exist."""

    hotfix: Hotfix


@dataclass(frozen=True, slots=True)
class HotfixApplied:
    """Every deployment of the hotfix succeeded."""

    hotfix: Hotfix


@dataclass(frozen=True, slots=True)
class DeploymentsSucceeded:
    """One reported outcome, or a whole wave's: together, so a handler can query once for
    all of them instead of once per deployment."""

    deployments: tuple[Deployment, ...]


@dataclass(frozen=True, slots=True)
class DeploymentsRolledBack:
    deployments: tuple[Deployment, ...]


@dataclass(frozen=True, slots=True)
class FixLive:
    """These ticket links' fixes just went live on their customers' production."""

    links: tuple[TicketBug, ...]


Event = (
    WindowChanged
    | ReleaseCreated
    | ReleaseScheduled
    | ReleaseCompleted
    | ReleaseCancelled
    | HotfixScheduled
    | HotfixApplied
    | DeploymentsSucceeded
    | DeploymentsRolledBack
    | FixLive
)


Handler = Callable[..., None]

# Who reacts to each event is the table in rollout/handlers.py. It imports every capability,
# so this module cannot import it; each program hands it over once at start-up (the app
# factory, the test harness, a bench), which keeps imports one way.
_handlers: Mapping[type, tuple[Handler, ...]] | None = None


def use_handlers(table: Mapping[type, tuple[Handler, ...]]) -> None:
    """Run `table`'s handlers for every event published from now on."""
    global _handlers
    _handlers = table


def publish(
    session: Session, event: Event, *, now: datetime, context: Context | None = None
) -> None:
    """Run `event`'s handlers in their table order, in the caller's transaction; a handler
    that refuses raises a domain error, and the caller's savepoint undoes the change.
    `context` is required for the events whose handlers read configuration (WindowChanged)."""
    if _handlers is None:
        raise RuntimeError(
            "no event handlers: call rollout.events.use_handlers(rollout.handlers.HANDLERS) "
            "when the program starts"
        )
    for handler in _handlers[type(event)]:
        handler(session, event, now=now, context=context)
