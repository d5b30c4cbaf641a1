"""Jira's side of the data: bugs mirrored from Jira issues, where the pull sync stands, and
the pushes Rollout still owes Jira. Table names are those of migration 0004."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rollout.db import Base, UTCDateTime

if TYPE_CHECKING:  # resolved by name when the mappers are configured
    from rollout.support.models import Ticket


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
