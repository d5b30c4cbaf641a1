"""Releases and their items, rollout waves, hotfixes, and deployments to environments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rollout.customers import Customer, Environment, EnvironmentKind
from rollout.db import Base, UTCDateTime
from rollout.windows import Window


class ReleaseStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ROLLING_OUT = "rolling_out"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ItemKind(StrEnum):
    FEATURE = "feature"
    FIX = "fix"
    SECURITY = "security"
    IMPROVEMENT = "improvement"


class DeploymentStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class HotfixUrgency(StrEnum):
    ZERO_DAY = "zero_day"  # an emergency window as soon as allowed
    NORMAL = "normal"  # the next regular window


class HotfixStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    APPLIED = "applied"
    CANCELLED = "cancelled"


class Release(Base):
    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ReleaseStatus] = mapped_column(String(16), index=True)
    soak_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it first reached every environment; a later rollback does not clear it, because
    # security notes once published cannot be unpublished.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(default=1)

    items: Mapped[list[ReleaseItem]] = relationship(
        back_populates="release", order_by="ReleaseItem.id", cascade="all, delete-orphan"
    )
    waves: Mapped[list[Wave]] = relationship(
        back_populates="release", order_by="Wave.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": revision}

    @property
    def embargo_lifted(self) -> bool:
        """Security items are public once the release has been deployed everywhere."""
        return self.completed_at is not None


class ReleaseItem(Base):
    __tablename__ = "release_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"), index=True)
    kind: Mapped[ItemKind] = mapped_column(String(16))
    jira_key: Mapped[str | None] = mapped_column(String(32), index=True)
    summary: Mapped[str] = mapped_column(Text)  # internal: never shown to customers
    public_note: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    public_html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitized
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    release: Mapped[Release] = relationship(back_populates="items")


class Wave(Base):
    __tablename__ = "wave"
    __table_args__ = (UniqueConstraint("release_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    environment_kind: Mapped[EnvironmentKind] = mapped_column(String(16))
    # How the targets were chosen, for people: "preview in us", "production in eu (deferred)".
    selector: Mapped[str] = mapped_column(String(200))
    window_id: Mapped[int] = mapped_column(ForeignKey("maintenance_window.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # Its deployments, counted where they are written (planning, cancelling): the calendar
    # shows it for every window without counting a period's deployments.
    environments: Mapped[int] = mapped_column(default=0)

    release: Mapped[Release] = relationship(back_populates="waves")
    window: Mapped[Window] = relationship(lazy="joined")
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="wave", order_by="Deployment.id"
    )


hotfix_customer = Table(
    "hotfix_customer",
    Base.metadata,
    Column("hotfix_id", Integer, ForeignKey("hotfix.id"), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customer.id"), primary_key=True),
)


class Hotfix(Base):
    __tablename__ = "hotfix"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    jira_key: Mapped[str | None] = mapped_column(String(32), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    public_note: Mapped[str] = mapped_column(Text, default="")
    public_html: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[HotfixUrgency] = mapped_column(String(16))
    status: Mapped[HotfixStatus] = mapped_column(String(24), index=True)
    justification: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A zero-day's emergency start as the requester chose it: one instant for every region,
    # or per region slug (ISO UTC instants); the approver may choose again.
    emergency_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emergency_starts: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Empty means every customer; otherwise a per-customer patch for these alone.
    customers: Mapped[list[Customer]] = relationship(secondary=hotfix_customer, lazy="selectin")
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="hotfix", order_by="Deployment.id"
    )

    @property
    def is_patch(self) -> bool:
        return bool(self.customers)

    @property
    def note_embargoed(self) -> bool:
        """A zero-day's note describes the hole it closes: customers read it once applied."""
        return self.urgency == HotfixUrgency.ZERO_DAY and self.status != HotfixStatus.APPLIED

    @property
    def customer_note(self) -> str:
        """The note's Markdown as customers may read it: empty while embargoed."""
        return "" if self.note_embargoed else self.public_note

    @property
    def customer_html(self) -> str:
        """The note as every customer-facing page, feed, email and API answer shows it."""
        return "" if self.note_embargoed else self.public_html


class Deployment(Base):
    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environment.id"), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("release.id"), index=True)
    hotfix_id: Mapped[int | None] = mapped_column(ForeignKey("hotfix.id"), index=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_window.id"), index=True)
    status: Mapped[DeploymentStatus] = mapped_column(String(16), index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    environment: Mapped[Environment] = relationship(lazy="joined")
    release: Mapped[Release | None] = relationship(lazy="joined")
    hotfix: Mapped[Hotfix | None] = relationship(back_populates="deployments")
    wave: Mapped[Wave | None] = relationship(back_populates="deployments")
    window: Mapped[Window | None] = relationship(lazy="joined")


class DeploymentOutcome(Base):
    """One outcome as it was reported, kept after later ones replace it on the deployment."""

    __tablename__ = "deployment_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    status: Mapped[DeploymentStatus] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # Set only on a success recorded before its window started: why the deploy ran early.
    early_reason: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
