"""What Rollout owes Jira when its own records change: each hook queues a JiraPush in the
caller's transaction (so the change and the debt commit together), and the worker makes it.

The release hooks listen to rollout.releases.events (registered when this module is
imported, which `rollout.support` does); the ticket hooks are called by the ticket use cases.

Whether a push is wanted (JIRA_PUSH_VERSIONS, JIRA_PUSH_LINKS) and which Jira projects a
version goes to (JIRA_PROJECTS) is decided when the push is made, not here: the domain does
not read configuration.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from rollout.releases.events import ReleaseEvent, on
from rollout.support.jira_push import queue_push
from rollout.support.models import JiraPush

if TYPE_CHECKING:  # rollout.releases calls these hooks: no import cycle at run time
    from rollout.releases.models import Release


def on_release_created(session: Session, release: Release, *, now: datetime) -> JiraPush:
    """Owe Jira the fix version named like the release, in every synced project."""
    return queue_push(
        session,
        action="create_version",
        payload={"name": release.version, "description": release.title},
        now=now,
    )


def on_release_completed(session: Session, release: Release, *, now: datetime) -> JiraPush:
    """Owe Jira the release of that fix version, dated the day the release completed (UTC)."""
    completed = release.completed_at or now
    return queue_push(
        session,
        action="release_version",
        payload={"name": release.version, "release_date": completed.date().isoformat()},
        now=now,
    )


@on(ReleaseEvent.RELEASE_CREATED)
def _release_created(session: Session, release: object, now: datetime) -> None:
    on_release_created(session, release, now=now)


@on(ReleaseEvent.RELEASE_COMPLETED)
def _release_completed(session: Session, release: object, now: datetime) -> None:
    on_release_completed(session, release, now=now)


def on_ticket_linked(
    session: Session, *, bug_key: str, ticket_url: str, title: str, now: datetime
) -> JiraPush:
    """Owe Jira a remote link from the issue to the help-desk ticket (seed 004)."""
    return queue_push(
        session,
        action="remote_link",
        payload={"issue": bug_key, "url": ticket_url, "title": title[:255]},
        now=now,
    )


def on_ticket_unlinked(
    session: Session, *, bug_key: str, ticket_url: str, now: datetime
) -> JiraPush:
    """Owe Jira the removal of that remote link."""
    return queue_push(
        session,
        action="remove_remote_link",
        payload={"issue": bug_key, "url": ticket_url},
        now=now,
    )
