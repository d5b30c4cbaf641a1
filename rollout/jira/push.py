"""What Rollout owes Jira when its own records change: each queues a JiraPush in the
caller's transaction (so the change and the debt commit together, and a Jira outage delays a
push but never loses it); the Jira worker (`jira_sync.push`) makes it and retries until done.

The release handlers run on release events (`rollout/handlers.py`); the ticket ones are called
by the ticket use cases.

Whether a push is wanted (JIRA_PUSH_VERSIONS, JIRA_PUSH_LINKS) and which Jira projects a
version goes to (JIRA_PROJECTS) is decided when the push is made, not here: the domain does
not read configuration.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from rollout.jira.models import JiraPush, JiraPushStatus

if TYPE_CHECKING:
    from rollout.releases.models import Release


def queue_push(session: Session, *, action: str, payload: dict, now: datetime) -> JiraPush:
    """Owe Jira `action` with `payload`; the worker makes it and retries until it is done."""
    push = JiraPush(
        action=action,
        payload=payload,
        status=JiraPushStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(push)
    session.flush()
    return push


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
