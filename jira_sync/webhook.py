"""Jira's webhook in: signature check, replay protection, and applying issue events.

Jira signs a webhook that has a secret with `X-Hub-Signature: sha256=<hex HMAC of the raw
body>` and names each delivery in `X-Atlassian-Webhook-Identifier` (the same value on every
retry of that delivery).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from jira_sync.config import JiraSettings
from jira_sync.mapping import MappingError, issue_key, issue_project, parse_jira_time
from jira_sync.sync import to_record
from rollout.jira.bugs import delete_bug, upsert_bug
from rollout.support.fix_live import recheck_bugs

ISSUE_EVENTS = {"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"}


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is `sha256=<hex>` of `body` under `secret` (constant time)."""
    if not header or not secret:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # As bytes: compare_digest refuses a str with non-ASCII characters, which anyone may send.
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature value Jira would send for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def apply_event(session: Session, event: Mapping, settings: JiraSettings, *, now: datetime) -> str:
    """Apply one webhook body; returns what was done, for the sender's log and ours.

    MappingError when an issue event carries no readable issue.
    """
    kind = event.get("webhookEvent")
    if not isinstance(kind, str):
        raise MappingError("name the event, e.g. jira:issue_updated", field="webhookEvent")
    if kind not in ISSUE_EVENTS:
        return f"ignored: event {kind[:100]!r} is not an issue event"
    issue = event.get("issue")
    key = issue_key(issue)
    project = issue_project(issue, key)
    fields = issue.get("fields") if isinstance(issue.get("fields"), Mapping) else {}
    if settings.projects and project not in settings.projects:
        return f"ignored: project {project} is not synced (JIRA_PROJECTS)"
    if kind == "jira:issue_deleted":
        when = _event_time(event, fields)
        bug = delete_bug(session, key, updated_at=when, now=now)
        if bug.jira_updated_at > when:
            return f"ignored: {key} already holds a newer update"
        return f"deleted {key}"
    record = to_record(issue, settings)
    bug = upsert_bug(session, record, now=now)
    if bug.jira_updated_at > record.updated_at:
        return f"ignored: {key} already holds a newer update"
    recheck_bugs(session, [bug], now=now)
    return f"applied {key}"


def _event_time(event: Mapping, fields: Mapping) -> datetime:
    # A deletion's time is the event's `timestamp` (ms since the epoch); never earlier than
    # the issue's own last update.
    times = []
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        try:
            times.append(datetime.fromtimestamp(stamp / 1000, UTC))
        except (ValueError, OverflowError, OSError):  # NaN, or past year 9999
            raise MappingError(f"timestamp {stamp!r} is not a time", field="timestamp") from None
    if fields.get("updated"):
        times.append(parse_jira_time(fields["updated"]))
    if not times:
        raise MappingError("the deletion has neither a timestamp nor an updated time")
    return max(times)
