"""Who reacts to each domain event, in which order: the one place that says what a use case
touches besides its own rows. `rollout.events.publish` runs these in the use case's
transaction.

A handler that may refuse the change (raise a domain error, which the use case's savepoint
turns into "nothing happened") is listed in MAY_REFUSE and runs first, so nothing is written
for a change that is then refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rollout.events import (
    Context,
    DeploymentsRolledBack,
    DeploymentsSucceeded,
    FixLive,
    Handler,
    HotfixApplied,
    HotfixScheduled,
    ReleaseCancelled,
    ReleaseCompleted,
    ReleaseCreated,
    ReleaseScheduled,
    WindowChanged,
)
from rollout.jira import push as jira
from rollout.notifications import triggers
from rollout.releases import waves
from rollout.support import fix_live


def follow_window(
    session: Session, event: WindowChanged, *, now: datetime, context: Context | None
) -> None:
    """Waiting deployments move with their window; refuses a move or cancel they cannot
    follow."""
    waves.follow_window(session, event.window, event.action, now)


def notify_window_changed(
    session: Session, event: WindowChanged, *, now: datetime, context: Context | None
) -> None:
    if context is None:
        raise TypeError("a window change needs the caller's Context (the notification policy)")
    triggers.window_changed(
        session, event.window, event.action, now, policy=context.notification_policy
    )


def owe_jira_version(
    session: Session, event: ReleaseCreated, *, now: datetime, context: Context | None
) -> None:
    jira.on_release_created(session, event.release, now=now)


def notify_release_published(
    session: Session, event: ReleaseScheduled, *, now: datetime, context: Context | None
) -> None:
    # Planned again later: the key de-duplicates, so customers hear of a release once.
    triggers.release_published(session, event.release, now=now)


def notify_release_completed(
    session: Session, event: ReleaseCompleted, *, now: datetime, context: Context | None
) -> None:
    triggers.release_completed(session, event.release, now=now)


def notify_release_cancelled(
    session: Session, event: ReleaseCancelled, *, now: datetime, context: Context | None
) -> None:
    triggers.release_cancelled(session, event.release, now=now)


def owe_jira_release(
    session: Session, event: ReleaseCompleted, *, now: datetime, context: Context | None
) -> None:
    jira.on_release_completed(session, event.release, now=now)


def notify_hotfix_scheduled(
    session: Session, event: HotfixScheduled, *, now: datetime, context: Context | None
) -> None:
    triggers.hotfix_scheduled(session, event.hotfix, now=now)


def notify_hotfix_applied(
    session: Session, event: DeploymentsSucceeded, *, now: datetime, context: Context | None
) -> None:
    """Per customer, not per hotfix: a customer hears once all of its own environments run
    the hotfix, before the others' are done (so not on HotfixApplied)."""
    for deployment in event.deployments:
        # Only this environment's customer can have just become fully patched.
        if deployment.hotfix_id is not None:
            triggers.hotfix_applied(
                session,
                deployment.hotfix,
                now=now,
                customer_id=deployment.environment.customer_id,
            )


def record_fix_live(
    session: Session, event: DeploymentsSucceeded, *, now: datetime, context: Context | None
) -> None:
    fix_live.record_fix_live(session, list(event.deployments), now=now)


def record_fix_rolled_back(
    session: Session, event: DeploymentsRolledBack, *, now: datetime, context: Context | None
) -> None:
    fix_live.record_fix_rolled_back(session, list(event.deployments), now=now)


def notify_fix_live(
    session: Session, event: FixLive, *, now: datetime, context: Context | None
) -> None:
    triggers.tickets_fix_live(
        session, [(link.ticket, link.bug, link.fix_live_at) for link in event.links], now=now
    )


HANDLERS: dict[type, tuple[Handler, ...]] = {
    WindowChanged: (follow_window, notify_window_changed),
    ReleaseCreated: (owe_jira_version,),
    ReleaseScheduled: (notify_release_published,),
    ReleaseCompleted: (notify_release_completed, owe_jira_release),
    ReleaseCancelled: (notify_release_cancelled,),
    HotfixScheduled: (notify_hotfix_scheduled,),
    HotfixApplied: (),
    DeploymentsSucceeded: (notify_hotfix_applied, record_fix_live),
    DeploymentsRolledBack: (record_fix_rolled_back,),
    FixLive: (notify_fix_live,),
}

MAY_REFUSE = frozenset({follow_window})

# Published with nobody to react yet, and why.
WITHOUT_HANDLERS = {
    HotfixApplied: "customers hear per customer as their own environments finish "
    "(notify_hotfix_applied on DeploymentsSucceeded), before the whole hotfix is applied",
}
