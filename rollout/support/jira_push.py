"""Changes owed to Jira, queued in the same transaction as the Rollout change that causes
them, so a Jira outage delays them but never loses them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rollout.support.models import JiraPush, JiraPushStatus


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
