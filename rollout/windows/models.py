"""Maintenance policies, the windows they plan, and each window's revision history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rollout.customers import Customer, Region
from rollout.db import Base, UTCDateTime
from rollout.scheduling import Span


class WindowKind(StrEnum):
    REGULAR = "regular"  # planned from a maintenance policy
    AD_HOC = "ad_hoc"  # created by hand, for a region or one customer
    EMERGENCY = "emergency"  # a zero-day: any time, with a justification


class WindowStatus(StrEnum):
    PLANNED = "planned"
    ANNOUNCED = "announced"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class WindowAction(StrEnum):
    CREATED = "created"
    REPLANNED = "replanned"
    ANNOUNCED = "announced"
    STARTED = "started"
    COMPLETED = "completed"
    MOVED = "moved"
    EXTENDED = "extended"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


# Reasons a release manager writes for customers; a creation's reason may hold an emergency's
# justification or a freeze override, which stay internal.
PUBLIC_REASON_ACTIONS = frozenset(
    {
        WindowAction.MOVED,
        WindowAction.EXTENDED,
        WindowAction.CANCELLED,
        WindowAction.SKIPPED,
        WindowAction.REPLANNED,
    }
)


class MaintenancePolicy(Base):
    __tablename__ = "maintenance_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int]
    active_from: Mapped[date] = mapped_column(Date)
    active_until: Mapped[date | None] = mapped_column(Date)
    # Windows exist in the database up to here; later ones are projected on demand.
    planned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    region: Mapped[Region] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


class Window(Base):
    __tablename__ = "maintenance_window"
    __table_args__ = (UniqueConstraint("policy_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # Set for a window made for one customer alone; None means the whole region.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_policy.id"))
    # The rule firing (local wall time) this window stands for; planning's idempotency key.
    occurrence: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    kind: Mapped[WindowKind] = mapped_column(String(16))
    status: Mapped[WindowStatus] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    justification: Mapped[str | None] = mapped_column(Text)
    freeze_override_reason: Mapped[str | None] = mapped_column(Text)
    # Grows by one with every change; iCal's SEQUENCE and the optimistic-lock token.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship(lazy="joined")
    customer: Mapped[Customer | None] = relationship(lazy="joined")
    revisions: Mapped[list[WindowRevision]] = relationship(
        back_populates="window",
        order_by="WindowRevision.sequence",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": sequence, "version_id_generator": False}

    # Windows beyond the planning horizon are built on the fly and never stored.
    projected = False

    @property
    def span(self) -> Span:
        return Span(self.starts_at, self.ends_at)

    @property
    def is_public(self) -> bool:
        return self.customer_id is None


class WindowRevision(Base):
    __tablename__ = "window_revision"
    __table_args__ = (UniqueConstraint("window_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Found by the unique (window_id, sequence) index's leading column: no index of its own.
    window_id: Mapped[int] = mapped_column(ForeignKey("maintenance_window.id"))
    sequence: Mapped[int]
    action: Mapped[WindowAction] = mapped_column(String(16))
    status: Mapped[WindowStatus] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    window: Mapped[Window] = relationship(back_populates="revisions")

    @property
    def public_reason(self) -> str:
        """The reason as customers may read it."""
        return self.reason if self.action in PUBLIC_REASON_ACTIONS else ""
