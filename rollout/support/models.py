"""Bugs mirrored from Jira, help-desk tickets linked to them, and the Jira bookkeeping:
the pull-sync cursor, webhook deliveries already applied, and pushes still to make."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rollout.customers import Customer
from rollout.db import Base, UTCDateTime


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Severity(StrEnum):
    """Seed 000's reach of a defect, narrowest first."""

    HYPER_LOCAL = "hyper_local"
    LOCAL = "local"
    MODERATE = "moderate"
    WIDESPREAD = "widespread"
    DEEP_AND_WIDE = "deep_and_wide"


class StatusCategory(StrEnum):
    """Jira's own three buckets every workflow status belongs to."""

    TO_DO = "new"
    IN_PROGRESS = "indeterminate"
    DONE = "done"


class Bug(Base):
    __tablename__ = "bug"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    project: Mapped[str] = mapped_column(String(32), index=True)
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(64))  # Jira's status name, as shown there
    status_category: Mapped[StatusCategory] = mapped_column(String(16))
    priority: Mapped[Priority | None] = mapped_column(String(16))
    severity: Mapped[Severity | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(64))  # e.g. "Won't Fix"
    fix_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    public_note: Mapped[str | None] = mapped_column(Text)  # the customer-facing note field
    # Jira's `updated`: a webhook or page older than this never overwrites the row.
    jira_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Deleted in Jira: kept so links from tickets still explain what happened.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)

    tickets: Mapped[list[Ticket]] = relationship(
        secondary="ticket_bug", back_populates="bugs", order_by="Ticket.id", viewonly=True
    )


class Ticket(Base):
    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    sla_level: Mapped[int]  # seed 002: 1 (blocking) … 4 (minor)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(lazy="joined")
    links: Mapped[list[TicketBug]] = relationship(
        back_populates="ticket", order_by="TicketBug.id", cascade="all, delete-orphan"
    )
    bugs: Mapped[list[Bug]] = relationship(
        secondary="ticket_bug", back_populates="tickets", order_by="Bug.key", viewonly=True
    )


class TicketBug(Base):
    """A ticket held up by a bug; `fix_live_at` closes the loop for that pair."""

    __tablename__ = "ticket_bug"
    __table_args__ = (UniqueConstraint("ticket_id", "bug_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bug.id"), index=True)
    linked_by: Mapped[str] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the fix reached the ticket's customer's production (set once, never typed in).
    fix_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="links")
    bug: Mapped[Bug] = relationship(lazy="joined")


class JiraSyncState(Base):
    """Where the pull sync stands per Jira project, so a failed run resumes."""

    __tablename__ = "jira_sync_state"

    project: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The newest `updated` fully applied; the next run starts a little before it.
    synced_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The run in progress: its lower bound and the page to fetch next.
    run_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_page: Mapped[str | None] = mapped_column(String(2000))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookReceipt(Base):
    """A delivery already applied, by its sender's identifier, so a replay is a no-op."""

    __tablename__ = "webhook_receipt"
    __table_args__ = (UniqueConstraint("source", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "jira" or "helpdesk"
    identifier: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class JiraPushStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # permanent: Jira refused it for a reason a retry will not fix


class JiraPush(Base):
    """A change Rollout owes Jira, written with the change itself and retried until done."""

    __tablename__ = "jira_push"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))  # create_version, release_version, ...
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[JiraPushStatus] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
