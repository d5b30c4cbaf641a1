"""Push: make the changes Rollout owes Jira (queued JiraPush rows), one row at a time.

A failure never loses the row: Jira down, 5xx, 429 or bad credentials (401) leave it pending
with an exponential back-off (at least what Retry-After asked); any other 4xx means Jira
refuses this very request, so the row is kept as FAILED with Jira's message, and
`rollout jira push --retry-failed` puts such rows back once the cause is fixed.
Each action is idempotent on Jira's side, so a row made twice (a crash between Jira's answer
and the commit) changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jira_sync.client import JiraClient, JiraError
from jira_sync.config import JiraSettings
from rollout.jira.models import JiraPush, JiraPushStatus

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
VERSION_ACTIONS = {"create_version", "release_version"}
LINK_ACTIONS = {"remote_link", "remove_remote_link"}


class BadPayload(ValueError):
    """The queued row cannot be made as written; it fails for good."""


@dataclass(frozen=True)
class PushDone:
    push_id: int
    action: str
    status: JiraPushStatus
    note: str | None  # what happened, or the error
    unauthorised: bool = False  # Jira refused the credentials: the pass stops
    unreachable: bool = False  # Jira did not answer at all: the pass stops too


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most 6 hours, never less than asked."""
    wait = min(BACKOFF_FIRST * 2 ** max(0, attempts - 1), BACKOFF_MAX)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


def ticket_global_id(url: str) -> str:
    """The stable globalId of the remote link to a help-desk ticket (Jira allows 255)."""
    global_id = f"rollout-ticket={url}"
    if len(global_id) <= 255:
        return global_id
    return "rollout-ticket-sha256=" + hashlib.sha256(url.encode()).hexdigest()


def claim_due(session: Session, *, now: datetime) -> JiraPush | None:
    """The next due pending row, locked so a second worker skips it (PostgreSQL)."""
    return session.scalar(
        select(JiraPush)
        .where(JiraPush.status == JiraPushStatus.PENDING, JiraPush.next_attempt_at <= now)
        .order_by(JiraPush.next_attempt_at, JiraPush.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def push_due(
    session: Session,
    client: JiraClient,
    settings: JiraSettings,
    *,
    now: datetime,
    limit: int = 100,
) -> Iterator[PushDone]:
    """Make due rows one by one, yielding after each so the caller commits it; stops early
    when Jira refuses the credentials or does not answer (every row would fail the same)."""
    for _ in range(limit):
        push = claim_due(session, now=now)
        if push is None:
            return
        done = make_push(push, client, settings, now=now)
        session.flush()
        yield done
        if done.unauthorised or done.unreachable:
            return


def make_push(
    push: JiraPush, client: JiraClient, settings: JiraSettings, *, now: datetime
) -> PushDone:
    """Attempt one row and record the outcome on it."""
    push.attempts += 1
    unauthorised = unreachable = False
    try:
        note = _perform(push.action, dict(push.payload or {}), client, settings)
    except BadPayload as exc:
        push.status = JiraPushStatus.FAILED
        push.last_error = f"cannot make {push.action}: {exc}"
    except JiraError as exc:
        push.last_error = exc.message
        unauthorised, unreachable = exc.unauthorised, exc.status is None
        if exc.permanent:
            push.status = JiraPushStatus.FAILED
        else:
            push.next_attempt_at = now + backoff(push.attempts, exc.retry_after)
    else:
        push.status = JiraPushStatus.DONE
        push.done_at = now
        push.last_error = note
    return PushDone(push.id, push.action, push.status, push.last_error, unauthorised, unreachable)


def _perform(action: str, payload: dict, client: JiraClient, settings: JiraSettings) -> str | None:
    if action in VERSION_ACTIONS and not settings.push_versions:
        return "skipped: JIRA_PUSH_VERSIONS is off"
    if action in LINK_ACTIONS and not settings.push_links:
        return "skipped: JIRA_PUSH_LINKS is off"
    if action == "create_version":
        name = _text(payload, "name")
        created = [
            project
            for project in _projects(payload, settings)
            if client.ensure_version(project, name, payload.get("description") or None)
        ]
        return None if created else "already in Jira"
    if action == "release_version":
        name = _text(payload, "name")
        try:
            when = date.fromisoformat(_text(payload, "release_date"))
        except ValueError:
            raise BadPayload("release_date is not an ISO date") from None
        for project in _projects(payload, settings):
            client.release_version(project, name, when)
        return None
    if action == "remote_link":
        url = _text(payload, "url")
        client.add_remote_link(
            _text(payload, "issue"),
            url=url,
            title=_text(payload, "title"),
            global_id=payload.get("global_id") or ticket_global_id(url),
        )
        return None
    if action == "remove_remote_link":
        url = _text(payload, "url")
        gone = client.remove_remote_link(
            _text(payload, "issue"), global_id=payload.get("global_id") or ticket_global_id(url)
        )
        return None if gone else "no such link in Jira"
    raise BadPayload(f"unknown action {action!r}")


def _text(payload: dict, key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadPayload(f"payload needs {key!r}")
    return value.strip()


def _projects(payload: dict, settings: JiraSettings) -> list[str]:
    # No project named: the version belongs to every configured project.
    if payload.get("project"):
        return [str(payload["project"])]
    if not settings.projects:
        raise BadPayload("no project in the payload and JIRA_PROJECTS is empty")
    return list(settings.projects)


def retry_failed(session: Session, *, now: datetime) -> int:
    """Put every FAILED row back in the queue, due now; returns how many."""
    result = session.execute(
        update(JiraPush)
        .where(JiraPush.status == JiraPushStatus.FAILED)
        .values(status=JiraPushStatus.PENDING, next_attempt_at=now)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class PushOutcome:
    done: int
    retrying: int
    failed: int
    unauthorised: bool
    errors: tuple[str, ...]


def run_push(
    sessions, client: JiraClient, settings: JiraSettings, *, now: datetime, limit: int = 100
) -> PushOutcome:
    """One pass over the due rows, committing after each."""
    done = retrying = failed = 0
    errors: list[str] = []
    unauthorised = False
    with sessions() as session:
        for outcome in push_due(session, client, settings, now=now, limit=limit):
            session.commit()
            if outcome.status == JiraPushStatus.DONE:
                done += 1
                continue
            errors.append(f"#{outcome.push_id} {outcome.action}: {outcome.note}")
            if outcome.status == JiraPushStatus.FAILED:
                failed += 1
            else:
                retrying += 1
                unauthorised = unauthorised or outcome.unauthorised
    return PushOutcome(done, retrying, failed, unauthorised, tuple(errors))
