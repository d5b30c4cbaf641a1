"""The outbox: notifications written in the transaction of the change that causes them, one
row per subscribed recipient, deduplicated by key and merged while still pending."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from rollout.customers import Customer
from rollout.notifications.models import (
    Channel,
    Contact,
    Notification,
    NotificationStatus,
    Topic,
    WebhookEndpoint,
)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Merged:
    """What a pending message becomes when a later change merges into it."""

    event: str
    payload: dict
    due_at: datetime
    expires_at: datetime | None = None


# Given the pending row and the new event, payload, due time and expiry: the merged message,
# or None to drop the pending one (e.g. a window cancelled before its announcement went out).
Merge = Callable[[Notification, str, dict, datetime, datetime | None], Merged | None]


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: a contact's inbox or an endpoint, as plain values (a big
    announcement reads thousands of them)."""

    customer_id: int
    contact_id: int | None
    endpoint_id: int | None
    address: str

    @property
    def key(self) -> str:
        return f"contact:{self.contact_id}" if self.contact_id else f"endpoint:{self.endpoint_id}"


def new_message_id() -> str:
    """`msg_` and 26 base32 characters: time-ordered (48 bits of ms) and 80 random bits."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "msg_" + "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def recipients(
    session: Session,
    customers: Iterable[Customer],
    topic: str,
    *,
    contacts: Iterable[Contact] | None = None,
) -> list[Recipient]:
    """The contacts subscribed to `topic` by email and the live endpoints taking it, of
    `customers` (or only `contacts`, plus those customers' endpoints)."""
    ids = {c.id for c in customers}
    if not ids:
        return []
    if contacts is None:
        rows = session.execute(
            select(Contact.id, Contact.customer_id, Contact.email, Contact.subscriptions)
            .where(Contact.customer_id.in_(ids))
            .order_by(Contact.id)
        )
    else:
        rows = [(c.id, c.customer_id, c.email, c.subscriptions) for c in contacts]
    found = [
        Recipient(customer_id, contact_id, None, email)
        for contact_id, customer_id, email, topics in rows
        if topic in topics and customer_id in ids
    ]
    endpoints = session.execute(
        select(
            WebhookEndpoint.id,
            WebhookEndpoint.customer_id,
            WebhookEndpoint.url,
            WebhookEndpoint.topics,
        )
        .where(WebhookEndpoint.customer_id.in_(ids), WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.id)
    )
    found += [
        Recipient(customer_id, None, endpoint_id, url)
        for endpoint_id, customer_id, url, topics in endpoints
        if topic in topics
    ]
    return found


def notify(
    session: Session,
    *,
    event: str,
    customers: Iterable[Customer],
    topic: str,
    payload: dict,
    key: str,
    due_at: datetime,
    now: datetime,
    coalesce_key: str | None = None,
    merge: Merge | None = None,
    expires_at: datetime | None = None,
    to: list[Recipient] | None = None,
) -> int:
    """Write `event` for every subscribed recipient of `customers` in the caller's
    transaction; returns how many messages were added or merged.

    `key` makes the message once per recipient: a trigger run twice adds nothing. With
    `merge`, a still-pending message of the same `coalesce_key` is updated instead of
    adding a second one; a message a worker has claimed is never changed. `to` gives the
    recipients when the caller already has them (several messages to the same people).
    """
    topic = Topic(topic)
    found = to if to is not None else recipients(session, customers, topic)
    if not found:
        return 0
    done = set(
        session.scalars(select(Notification.recipient).where(Notification.dedupe_key == key))
    )
    pending = {}
    if merge is not None and coalesce_key is not None:
        pending = {
            row.recipient: row
            for row in session.scalars(
                select(Notification).where(
                    Notification.coalesce_key == coalesce_key,
                    Notification.status == NotificationStatus.PENDING,
                )
            )
        }
    fresh, touched = [], 0
    for recipient in found:
        if recipient.key in done:
            continue
        row = pending.get(recipient.key)
        if row is not None and _merge_into(
            session, row, merge, event, payload, due_at, expires_at, key, now
        ):
            touched += 1
            continue
        fresh.append(
            _row(recipient, event, topic, payload, key, due_at, now, coalesce_key, expires_at)
        )
    if fresh:
        # A Core insert: thousands of rows without building ORM objects for them.
        session.connection().execute(insert(Notification.__table__), fresh)
    return touched + len(fresh)


@dataclass(frozen=True)
class Message:
    """One of the messages `notify_each` writes: to whom, what, and its dedupe key."""

    to: list[Recipient]
    payload: dict
    key: str


def notify_each(
    session: Session, *, event: str, topic: str, messages: list[Message], now: datetime
) -> int:
    """Write each of `messages` as `notify` would with `to`, due now and never merged, with
    one query for the keys already sent and one insert; returns how many were added."""
    topic = Topic(topic)
    keys = sorted({m.key for m in messages if m.to})
    if not keys:
        return 0
    done = {
        (key, recipient)
        for key, recipient in session.execute(
            select(Notification.dedupe_key, Notification.recipient).where(
                Notification.dedupe_key.in_(keys)
            )
        )
    }
    fresh = []
    for message in messages:
        for recipient in message.to:
            if (message.key, recipient.key) in done:
                continue
            done.add((message.key, recipient.key))  # the same message twice in one batch
            fresh.append(
                _row(recipient, event, topic, message.payload, message.key, now, now, None, None)
            )
    if fresh:
        session.connection().execute(insert(Notification.__table__), fresh)
    return len(fresh)


def cancel_pending(
    session: Session,
    *,
    reason: str,
    now: datetime,
    coalesce_key: str | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Cancel the not-yet-claimed messages of a group (e.g. a window's old reminders) or of
    one trigger (its `key`)."""
    query = update(Notification).where(Notification.status == NotificationStatus.PENDING)
    if coalesce_key is not None:
        query = query.where(Notification.coalesce_key == coalesce_key)
    if dedupe_key is not None:
        query = query.where(Notification.dedupe_key == dedupe_key)
    result = session.execute(
        query.values(
            status=NotificationStatus.CANCELLED, last_error=reason, updated_at=now
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount


def _merge_into(
    session: Session,
    row: Notification,
    merge: Merge,
    event: str,
    payload: dict,
    due_at: datetime,
    expires_at: datetime | None,
    key: str,
    now: datetime,
) -> bool:
    merged = merge(row, event, payload, due_at, expires_at)
    if merged is None:
        values = {"status": NotificationStatus.CANCELLED, "last_error": "superseded"}
    else:
        values = {
            "event": merged.event,
            "payload": merged.payload,
            "due_at": merged.due_at,
            "next_attempt_at": merged.due_at,
            "expires_at": merged.expires_at,
            "dedupe_key": key,
        }
    # Only while nobody has claimed it: a worker that took it sends what it read, and the
    # change then goes out as a message of its own.
    result = session.execute(
        update(Notification)
        .where(Notification.id == row.id, Notification.status == NotificationStatus.PENDING)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.expire(row)
    return True


def _row(
    recipient: Recipient,
    event: str,
    topic: Topic,
    payload: dict,
    key: str,
    due_at: datetime,
    now: datetime,
    coalesce_key: str | None,
    expires_at: datetime | None,
) -> dict:
    return {
        "message_id": new_message_id(),
        "event": event,
        "topic": topic,
        "channel": Channel.EMAIL if recipient.contact_id else Channel.WEBHOOK,
        "customer_id": recipient.customer_id,
        "contact_id": recipient.contact_id,
        "endpoint_id": recipient.endpoint_id,
        "recipient": recipient.key,
        "address": recipient.address,
        "dedupe_key": key,
        "coalesce_key": coalesce_key,
        "payload": payload,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "expires_at": expires_at,
        "created_at": now,
        "updated_at": now,
    }
