"""Customer contacts, webhook endpoints, the notification outbox and its delivery history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rollout.customers import Customer, Locale
from rollout.db import Base, UTCDateTime


class Topic(StrEnum):
    """What a contact or an endpoint may subscribe to."""

    MAINTENANCE = "maintenance"
    EMERGENCY_MAINTENANCE = "emergency_maintenance"
    HOTFIXES = "hotfixes"
    RELEASE_NOTES = "release_notes"
    TICKET_UPDATES = "ticket_updates"


class Channel(StrEnum):
    EMAIL = "email"  # to a contact's inbox
    WEBHOOK = "webhook"  # to one of the customer's endpoints


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time or its next attempt
    SENDING = "sending"  # claimed by a worker until `locked_until`
    DELIVERED = "delivered"
    FAILED = "failed"  # refused for good (SMTP 5xx, HTTP 410 or another 4xx)
    DEAD = "dead"  # every retry used up
    CANCELLED = "cancelled"  # no longer wanted: superseded, expired or unsubscribed


OPEN_STATUSES = (NotificationStatus.PENDING, NotificationStatus.SENDING)


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("customer_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(100), default="")
    locale: Mapped[Locale] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    # The topics this contact receives by email; empty once unsubscribed from everything.
    subscriptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Goes in every email's one-click unsubscribe link, so it is kept as is; it can do
    # nothing but unsubscribe this contact.
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Signing keys must be usable, so they are stored; they are shown only when made.
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too until this time, so receivers can switch.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    customer: Mapped[Customer] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery at `now`: the current one, and the previous one
        during its grace period."""
        secrets = [self.secret]
        if self.previous_secret and (self.previous_secret_expires_at or now) > now:
            secrets.append(self.previous_secret)
        return secrets


class Notification(Base):
    """One message to one recipient: a row of the outbox, written with the change."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("dedupe_key", "recipient"),
        Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
        # The outbox counted by status and channel (/metrics, the outbox list) from the index
        # alone, never the rows and their payloads.
        Index("ix_notification_status_channel", "status", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same on every attempt: the email's Message-ID, the webhook's webhook-id.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event: Mapped[str] = mapped_column(String(40))  # e.g. window.moved
    topic: Mapped[Topic] = mapped_column(String(32))
    channel: Mapped[Channel] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(40))  # "contact:12" or "endpoint:3"
    address: Mapped[str] = mapped_column(String(2000))  # email or URL when written
    # One message per recipient and key: a trigger that runs twice writes nothing new.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    # Pending messages with the same key merge instead of sending one per change.
    coalesce_key: Mapped[str | None] = mapped_column(String(200), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[NotificationStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Not worth sending after this (a reminder once the window has begun).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship()
    endpoint: Mapped[WebhookEndpoint | None] = relationship()
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="notification",
        order_by="DeliveryAttempt.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class DeliveryAttempt(Base):
    """What happened on one try to deliver a notification."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    number: Mapped[int]
    worker: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))  # delivered, retry, failed, cancelled
    code: Mapped[int | None]  # the SMTP or HTTP status, when there was one
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(default=0)

    notification: Mapped[Notification] = relationship(back_populates="attempt_log")
