"""Delivering the outbox: claiming due rows under a lease, the channel interface the SMTP
and webhook adapters implement, and what each outcome does to a row (retry with backoff
and jitter, fail for good, or give up)."""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from rollout.customers import Customer
from rollout.errors import Conflict, NotFound
from rollout.notifications.content import Email, WebhookEvent, render_email, render_webhook
from rollout.notifications.models import (
    Channel,
    Contact,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    WebhookEndpoint,
)

# Waits after each failed attempt: the Standard Webhooks schedule (immediately, 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 10 h), then 10 h more four times, so retries span about 3 days.
SCHEDULE = tuple(
    timedelta(seconds=s)
    for s in (5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000)
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
JITTER = 0.1
MAX_RETRY_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)


class Result(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # a temporary failure: try again later
    FAILED = "failed"  # refused for good: retrying would not help
    CANCELLED = "cancelled"  # not sent: no longer wanted


@dataclass(frozen=True)
class Outcome:
    """What a channel reports for one message."""

    result: Result
    detail: str = ""
    code: int | None = None
    retry_after: timedelta | None = None
    # The endpoint said it is gone for good (HTTP 410): stop sending it anything.
    disable_endpoint: bool = False


class EmailSender(Protocol):
    def send(self, email: Email) -> Outcome: ...

    def send_each(self, emails: Iterable[Email]) -> Iterator[Outcome]:
        """Each email's outcome in order, taking the next email only as it goes."""
        ...


class WebhookSender(Protocol):
    def send(self, event: WebhookEvent) -> Outcome: ...


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds, with what to send (or why it is not sent)."""

    id: int
    token: str
    attempt: int
    channel: Channel
    content: Email | WebhookEvent | None
    skip: str | None = None


def retry_delay(attempt: int, rng: random.Random, retry_after: timedelta | None = None):
    """How long to wait after failed attempt number `attempt` (1-based), with ±10 % jitter;
    a receiver's Retry-After is honoured up to a day. None once every attempt is used."""
    if attempt >= MAX_ATTEMPTS:
        return None
    delay = SCHEDULE[attempt - 1] * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def due_clause(now: datetime):
    """Rows a worker may take: pending and due, or sending under a lease that ran out (the
    worker holding them died)."""
    return or_(
        (Notification.status == NotificationStatus.PENDING) & (Notification.next_attempt_at <= now),
        (Notification.status == NotificationStatus.SENDING) & (Notification.locked_until <= now),
    )


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease: timedelta = LEASE,
    channels: tuple[Channel, ...] = tuple(Channel),
) -> str | None:
    """Take up to `limit` due rows for this worker until `now + lease`; returns the claim's
    token, or None if nothing was due. On PostgreSQL rows another worker is taking are
    skipped (FOR UPDATE SKIP LOCKED), so no two workers ever hold the same row."""
    pick = (
        select(Notification.id)
        .where(due_clause(now), Notification.channel.in_(channels))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    token = secrets.token_hex(16)
    result = session.execute(
        update(Notification)
        .where(Notification.id.in_(pick.scalar_subquery()))
        .values(
            status=NotificationStatus.SENDING,
            claim_token=token,
            locked_until=now + lease,
            attempts=Notification.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount else None


def prepare_claimed(session: Session, token: str, *, base_url: str, now: datetime) -> list[Claimed]:
    """The rows held under `token` with their rendered content; a row no longer wanted
    (expired, unsubscribed, recipient removed) comes back with `skip` saying why. Emails are
    read as plain rows in one statement (their contact and customer joined), webhooks through
    the ORM: an endpoint's signing secrets are its model's to tell."""
    n, contact, customer = Notification.__table__, Contact.__table__, Customer.__table__
    rows = session.execute(
        select(
            n.c.id,
            n.c.message_id,
            n.c.event,
            n.c.topic,
            n.c.channel,
            n.c.payload,
            n.c.attempts,
            n.c.expires_at,
            customer.c.name.label("customer_name"),
            contact.c.id.label("contact_id"),
            contact.c.name.label("contact_name"),
            contact.c.email,
            contact.c.locale,
            contact.c.timezone,
            contact.c.subscriptions,
            contact.c.unsubscribe_token,
        )
        .join(customer, customer.c.id == n.c.customer_id)
        .outerjoin(contact, contact.c.id == n.c.contact_id)
        .where(n.c.claim_token == token)
        .order_by(n.c.next_attempt_at, n.c.id)
    ).all()
    hooks = [r.id for r in rows if r.channel != Channel.EMAIL]
    endpoints = {}
    if hooks:
        endpoints = {
            row.id: row
            for row in session.scalars(
                select(Notification)
                .where(Notification.id.in_(hooks))
                .options(selectinload(Notification.endpoint))
            )
        }
    claimed = []
    for row in rows:
        channel = Channel(row.channel)
        notice = _EmailRow.of(row) if channel == Channel.EMAIL else endpoints[row.id]
        skip, content = _why_skip(notice, now), None
        if skip is None:
            try:
                if channel == Channel.EMAIL:
                    content = render_email(notice, base_url=base_url)
                else:
                    content = render_webhook(notice, now=now)
            except Exception as exc:  # a bad template or payload fails this message alone
                skip = f"cannot render: {type(exc).__name__}: {exc}"
        claimed.append(Claimed(row.id, token, row.attempts, channel, content, skip))
    return claimed


@dataclass(frozen=True, slots=True)
class _Named:
    name: str


@dataclass(frozen=True, slots=True)
class _ContactRow:
    name: str
    email: str
    locale: str
    timezone: str
    subscriptions: list[str]
    unsubscribe_token: str


@dataclass(frozen=True, slots=True)
class _EmailRow:
    """What render_email and _why_skip read of a notification, its contact and its customer,
    from one plain row (`contact` None once the contact was removed)."""

    message_id: str
    event: str
    topic: str
    channel: Channel
    payload: dict
    expires_at: datetime | None
    customer: _Named
    contact: _ContactRow | None

    @classmethod
    def of(cls, row) -> _EmailRow:
        contact = None
        if row.contact_id is not None:  # the joined contact's own id: it is still there
            contact = _ContactRow(
                row.contact_name,
                row.email,
                row.locale,
                row.timezone,
                row.subscriptions,
                row.unsubscribe_token,
            )
        return cls(
            row.message_id,
            row.event,
            row.topic,
            Channel.EMAIL,
            row.payload,
            row.expires_at,
            _Named(row.customer_name),
            contact,
        )


def renew_lease(session: Session, token: str, *, now: datetime, lease: timedelta = LEASE):
    """Keep holding the rows of a claim still being worked through."""
    session.execute(
        update(Notification)
        .where(
            Notification.claim_token == token,
            Notification.status == NotificationStatus.SENDING,
        )
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )


def release_claim(session: Session, token: str, *, now: datetime) -> int:
    """Hand back the rows of a claim not yet sent (a worker stopping mid-batch), due at once
    for any worker and with the attempt the claim counted undone; returns how many."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.claim_token == token,
            Notification.status == NotificationStatus.SENDING,
        )
        .values(
            status=NotificationStatus.PENDING,
            claim_token=None,
            locked_until=None,
            attempts=Notification.attempts - 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


@dataclass(frozen=True)
class Attempt:
    """One send and what came of it, waiting to be recorded."""

    claimed: Claimed
    outcome: Outcome
    duration_ms: int = 0


def record_outcomes(
    session: Session,
    attempts: list[Attempt],
    *,
    worker: str,
    now: datetime,
    rng: random.Random,
) -> list[NotificationStatus | None]:
    """Apply what happened on each attempt, in a few statements (the delivered rows in one,
    the attempt log in one insert), all at `now`; each one's status, or None where the claim
    was lost meanwhile (another worker took the row after this one's lease ran out), and
    then only the attempt is logged."""
    delivered = [a.claimed for a in attempts if a.outcome.result == Result.DELIVERED]
    kept = set()
    for token in {c.token for c in delivered}:
        ids = [c.id for c in delivered if c.token == token]
        table = Notification.__table__
        kept |= set(
            session.scalars(
                update(table)
                .where(table.c.id.in_(ids), table.c.claim_token == token)
                .values(
                    status=NotificationStatus.DELIVERED,
                    delivered_at=now,
                    last_error=None,
                    updated_at=now,
                    claim_token=None,
                    locked_until=None,
                )
                .returning(table.c.id)
            )
        )
    statuses = [
        (NotificationStatus.DELIVERED if a.claimed.id in kept else None)
        if a.outcome.result == Result.DELIVERED
        else _apply_outcome(session, a.claimed, a.outcome, now=now, rng=rng)
        for a in attempts
    ]
    session.execute(
        insert(DeliveryAttempt.__table__),
        [
            {
                "notification_id": a.claimed.id,
                "number": a.claimed.attempt,
                "worker": worker[:100],
                "outcome": a.outcome.result,
                "code": a.outcome.code,
                "detail": (a.outcome.detail or "")[:2000],
                "at": now,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ],
    )
    return statuses


def _apply_outcome(
    session: Session, claimed: Claimed, outcome: Outcome, *, now: datetime, rng: random.Random
) -> NotificationStatus | None:
    values: dict = {"updated_at": now, "claim_token": None, "locked_until": None}
    if outcome.result == Result.CANCELLED:
        values |= {"status": NotificationStatus.CANCELLED, "last_error": outcome.detail}
    elif outcome.result == Result.FAILED:
        values |= {"status": NotificationStatus.FAILED, "last_error": outcome.detail}
    else:
        delay = retry_delay(claimed.attempt, rng, outcome.retry_after)
        if delay is None:
            values |= {"status": NotificationStatus.DEAD, "last_error": outcome.detail}
        else:
            values |= {
                "status": NotificationStatus.PENDING,
                "next_attempt_at": now + delay,
                "last_error": outcome.detail,
            }
    result = session.execute(
        update(Notification)
        .where(Notification.id == claimed.id, Notification.claim_token == claimed.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if outcome.disable_endpoint:
        _disable_endpoint(session, claimed.id, outcome.detail, now)
    return values["status"] if result.rowcount == 1 else None


def retry_notification(session: Session, notification_id: int, *, now: datetime) -> Notification:
    """Send a failed, dead or cancelled notification again, with the same message id and a
    fresh retry schedule; Conflict saying why when it would be unwanted or outdated (expired,
    superseded, its recipient gone or no longer taking its topic)."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"no notification #{notification_id}", field="id")
    if row.status in (NotificationStatus.PENDING, NotificationStatus.SENDING):
        raise Conflict(f"notification #{row.id} is already {row.status}", field="status")
    if row.status == NotificationStatus.DELIVERED:
        raise Conflict(f"notification #{row.id} was delivered already", field="status")
    if row.expires_at is not None and row.expires_at <= now:
        raise Conflict(
            f"expired at {row.expires_at.isoformat()}: too late to be useful", field="expires_at"
        )
    recipient = row.contact if row.channel == Channel.EMAIL else row.endpoint
    if recipient is None:
        raise Conflict("its recipient was removed; there is no one to send it to", field="status")
    if row.status == NotificationStatus.CANCELLED:
        _check_cause_passed(row)
    _check_recipient_wants(row, recipient)
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.updated_at = now
    session.flush()
    return row


# Whoever asks for the failures wants every row that will not go out unless a person acts:
# refused for good, or out of retries.
_LISTED_AS = {NotificationStatus.FAILED: (NotificationStatus.FAILED, NotificationStatus.DEAD)}


def list_notifications(
    session: Session,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[Notification]:
    """Notifications newest first, with their attempts, older than notification `before`;
    `failed` also lists the dead."""
    query = select(Notification).options(selectinload(Notification.attempt_log))
    if status is not None:
        status = NotificationStatus(status)
        query = query.where(Notification.status.in_(_LISTED_AS.get(status, (status,))))
    if customer_id is not None:
        query = query.where(Notification.customer_id == customer_id)
    if before is not None:
        query = query.where(Notification.id < before)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def status_counts(session: Session) -> dict[str, int]:
    """How many notifications are in each status (every status named, zeros included)."""
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    counts = Counter({status: 0 for status in NotificationStatus})
    counts.update({status: count for status, count in rows})
    return {str(status): counts[status] for status in NotificationStatus}


# How a cancellation's cause begins (last_error, as _why_skip and unsubscribe word it) when
# the cause can pass: the contact subscribes again, the endpoint is turned back on or takes
# the topic again. Every other cause is for good: superseded by a later notice (outbox and
# triggers), expired, recipient removed.
_PASSING_CAUSES = ("unsubscribed", "endpoint disabled", "endpoint no longer takes")


def _check_cause_passed(row: Notification) -> None:
    cause = row.last_error or "no reason recorded"
    if cause.startswith(_PASSING_CAUSES):
        return
    if cause.startswith("superseded by"):
        why = f"{cause}: a newer notice replaced it"
    elif cause.startswith("superseded"):
        why = f"{cause}: a later change made it unnecessary before it went out"
    else:
        why = f"cancelled for good ({cause}); it cannot be sent again"
    raise Conflict(why, field="status")


def _check_recipient_wants(row: Notification, recipient: Contact | WebhookEndpoint) -> None:
    """Conflict if the next pass would only cancel the row again (see _why_skip)."""
    if isinstance(recipient, Contact):
        if row.topic not in recipient.subscriptions:
            raise Conflict(
                f"{recipient.email} is unsubscribed from {row.topic}; "
                "they must subscribe to it again first",
                field="contact",
            )
    elif recipient.disabled_at is not None:
        raise Conflict(
            f"webhook endpoint #{recipient.id} is disabled ({recipient.disabled_reason}); "
            "re-enable it, then send this again",
            field="endpoint",
        )
    elif row.topic not in recipient.topics:
        raise Conflict(
            f"webhook endpoint #{recipient.id} no longer takes {row.topic}; "
            "add the topic back first",
            field="endpoint",
        )


def _why_skip(row: Notification | _EmailRow, now: datetime) -> str | None:
    if row.expires_at is not None and row.expires_at <= now:
        return "expired: too late to be useful"
    if row.channel == Channel.EMAIL:
        if row.contact is None:
            return "contact removed"
        if row.topic not in row.contact.subscriptions:
            return f"unsubscribed from {row.topic}"
    else:
        if row.endpoint is None:
            return "endpoint removed"
        if row.endpoint.disabled_at is not None:
            return "endpoint disabled"
        if row.topic not in row.endpoint.topics:
            return f"endpoint no longer takes {row.topic}"
    return None


def _disable_endpoint(session: Session, notification_id: int, why: str, now: datetime) -> None:
    # Through the ORM, locked and read afresh: its version counter goes up (an edit made from
    # a view read before the endpoint went off is then refused as stale) and the audit sees it.
    endpoint = session.scalar(
        select(WebhookEndpoint)
        .join(Notification, Notification.endpoint_id == WebhookEndpoint.id)
        .where(Notification.id == notification_id, WebhookEndpoint.disabled_at.is_(None))
        .with_for_update(of=WebhookEndpoint)
        .execution_options(populate_existing=True)
    )
    if endpoint is None:
        return
    endpoint.disabled_at = now
    endpoint.disabled_reason = why
    endpoint.updated_at = now
    session.flush()
