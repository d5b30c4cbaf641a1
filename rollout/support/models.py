"""Help-desk tickets, their links to the bugs mirrored from Jira, and the hook deliveries
already applied."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rollout.customers import Customer
from rollout.db import Base, UTCDateTime

if TYPE_CHECKING:  # resolved by name when the mappers are configured
    from rollout.jira.models import Bug


class Ticket(Base):
    __tablename__ = "ticket"
    # An id typed in any case is found by its index (`tickets.match_ticket`).
    __table_args__ = (Index("ix_ticket_external_id_upper", func.upper(text("external_id"))),)

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


class BugWaiting(Base):
    """A bug's tickets still waiting for its fix, summed for triage's rank and its page: kept
    exact by `rollout/support/waiting.py` in every write that moves them; no row means none
    wait."""

    __tablename__ = "bug_waiting"

    bug_id: Mapped[int] = mapped_column(ForeignKey("bug.id", ondelete="CASCADE"), primary_key=True)
    tickets: Mapped[int]
    # Twice triage's reach: over each customer waiting, tier weight × (its tickets + 1).
    reach_halves: Mapped[int]
    # Triage's score × 40, a whole number (see `triage`): its index hands the page its first
    # screen without sorting every owed bug. It reads the bug's priority and severity too.
    score40: Mapped[int] = mapped_column(index=True)
    # What the page shows of the customers waiting: how many, of each tier, the worst SLA.
    customers: Mapped[int]
    platinum: Mapped[int]
    gold: Mapped[int]
    silver: Mapped[int]
    standard: Mapped[int]
    worst_sla: Mapped[int]


class WebhookReceipt(Base):
    """A delivery already applied, by its sender's identifier, so a replay is a no-op."""

    __tablename__ = "webhook_receipt"
    __table_args__ = (UniqueConstraint("source", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "jira" or "helpdesk"
    identifier: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
