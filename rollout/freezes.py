"""Freezes: periods in which nothing may be deployed, for everyone, a region or one customer."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rollout.customers import Customer, Region, get_customer, get_region
from rollout.db import Base, UTCDateTime, lock_row
from rollout.errors import Invalid, NotFound
from rollout.scheduling import Span, overlaps
from rollout.validation import check_aware, check_order, check_text, optional_text

# One wording for going ahead inside a freeze: the pages' checkbox and reason and the refusals
# that point at them, so what a refusal asks for is what the page offers.
OVERRIDE_FREEZE = "Override the freeze"
OVERRIDE_REASON = "Why override the freeze"
OVERRIDE_NEEDS_REASON = "say why the freeze may be overridden"


class FreezeScope(StrEnum):
    GLOBAL = "global"
    REGION = "region"
    CUSTOMER = "customer"


class FreezeKind(StrEnum):
    FREEZE = "freeze"  # a holiday or company-wide blackout
    EVENT_PLAN = "event_plan"  # a customer's launch, migration or go-live


class Freeze(Base):
    __tablename__ = "freeze"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[FreezeScope] = mapped_column(String(16))
    kind: Mapped[FreezeKind] = mapped_column(String(16))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    region: Mapped[Region | None] = relationship(lazy="joined")
    customer: Mapped[Customer | None] = relationship(lazy="joined")

    @property
    def span(self) -> Span:
        return Span(self.starts_at, self.ends_at)

    def describe(self) -> str:
        """`"Holiday freeze" (freeze #3, global, 2026-12-20T00:00Z to ...)` for error messages."""
        where = {
            FreezeScope.GLOBAL: "everyone",
            FreezeScope.REGION: f"region {self.region.slug if self.region else '?'}",
            FreezeScope.CUSTOMER: f"customer {self.customer.slug if self.customer else '?'}",
        }
        return (
            f"{self.title!r} (freeze #{self.id} for {where[self.scope]}, "
            f"{self.starts_at:%Y-%m-%d %H:%M}Z to {self.ends_at:%Y-%m-%d %H:%M}Z)"
        )


def create_freeze(
    session: Session,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    region: str | None = None,
    customer: str | None = None,
    kind: str | None = None,
    reason: str = "",
    actor: str,
    now: datetime,
) -> Freeze:
    """A freeze for everyone, for `region`, or for `customer` (an event plan by default).
    One already over is refused: it would bind nothing and never be shown again."""
    check_aware(starts_at, field="starts_at")
    check_aware(ends_at, field="ends_at")
    check_order(starts_at, ends_at)
    if ends_at <= now:
        raise Invalid(
            f"This freeze would already be over: it ends {ends_at.astimezone(UTC):%Y-%m-%d %H:%M}"
            " UTC, in the past. A freeze must end after now.",
            field="ends_at",
        )
    if region and customer:
        raise Invalid("give a region or a customer, not both", field="customer")
    freeze = Freeze(
        title=check_text(title, field="title"),
        reason=optional_text(reason, field="reason") or "",
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        created_at=now,
    )
    if customer:
        freeze.scope, freeze.customer = FreezeScope.CUSTOMER, get_customer(session, customer)
    elif region:
        freeze.scope, freeze.region = FreezeScope.REGION, get_region(session, region)
    else:
        freeze.scope = FreezeScope.GLOBAL
    default_kind = FreezeKind.EVENT_PLAN if customer else FreezeKind.FREEZE
    try:
        freeze.kind = FreezeKind(kind) if kind else default_kind
    except ValueError:
        raise Invalid(f"kind must be one of {', '.join(FreezeKind)}", field="kind") from None
    _lock_bound_regions(session, freeze)
    session.add(freeze)
    session.flush()
    return freeze


def _lock_bound_regions(session: Session, freeze: Freeze) -> None:
    # Windows are checked against freezes under their region's lock (windows/changes.py,
    # windows/planning.py): taking the same locks, in region id order, means a window made
    # at the same moment either sees this freeze or was there before it.
    if freeze.customer is not None:
        regions = [freeze.customer.region]
    elif freeze.region is not None:
        regions = [freeze.region]
    else:
        regions = list(session.scalars(select(Region).order_by(Region.id)))
    for region in regions:
        lock_row(session, region)


def get_freeze(session: Session, freeze_id: int) -> Freeze:
    """The freeze with `freeze_id`, or NotFound."""
    freeze = session.get(Freeze, freeze_id)
    if freeze is None:
        raise NotFound(f"no freeze #{freeze_id}", field="id")
    return freeze


def delete_freeze(session: Session, freeze_id: int) -> None:
    """Lift a freeze."""
    session.delete(get_freeze(session, freeze_id))
    session.flush()


def list_freezes(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    region_id: int | None = None,
    customer_id: int | None = None,
    include_customer_plans: bool = True,
) -> list[Freeze]:
    """Freezes overlapping [start, end) that bind `region_id`/`customer_id`, by start.

    With neither given, every freeze; with a region, the global ones, the region's and
    (if `include_customer_plans`) those of the region's customers; with a customer, the
    global ones, its region's and its own.
    """
    query = select(Freeze).order_by(Freeze.starts_at, Freeze.id)
    if start is not None:
        query = query.where(Freeze.ends_at > start)
    if end is not None:
        query = query.where(Freeze.starts_at < end)
    if customer_id is not None:
        query = query.where(
            or_(
                Freeze.scope == FreezeScope.GLOBAL,
                Freeze.region_id == region_id,
                Freeze.customer_id == customer_id,
            )
        )
    elif region_id is not None:
        clauses = [Freeze.scope == FreezeScope.GLOBAL, Freeze.region_id == region_id]
        if include_customer_plans:
            clauses.append(
                Freeze.customer_id.in_(select(Customer.id).where(Customer.region_id == region_id))
            )
        query = query.where(or_(*clauses))
    return list(session.scalars(query))


def blocking(
    freezes: list[Freeze], span: Span, *, region_id: int, customer_id: int | None
) -> list[Freeze]:
    """The freezes that forbid work in `span` for a region (or one of its customers)."""
    return [f for f in freezes if overlaps(f.span, span) and binds(f, region_id, customer_id)]


def binds(freeze: Freeze, region_id: int, customer_id: int | None) -> bool:
    """Whether `freeze` forbids work for the region, or for the customer when one is named."""
    if freeze.scope == FreezeScope.GLOBAL:
        return True
    if freeze.scope == FreezeScope.REGION:
        return freeze.region_id == region_id
    return customer_id is not None and freeze.customer_id == customer_id
