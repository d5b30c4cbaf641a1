"""Regions and customers with their preview and production environments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from rollout.business_hours import BusinessHours, parse_hours
from rollout.db import Base, UTCDateTime, conflict_on_duplicate
from rollout.errors import Conflict, Invalid, NotFound
from rollout.scheduling import parse_zone
from rollout.validation import check_slug, check_text


class Tier(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class Locale(StrEnum):
    """Languages customers are written to in (seed 002's customers write in French)."""

    EN = "en"
    FR = "fr"


class EnvironmentKind(StrEnum):
    PREVIEW = "preview"
    PRODUCTION = "production"


class Region(Base):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # When its customers work (local time): emergency windows are proposed outside them.
    business_opens: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    business_closes: Mapped[str] = mapped_column(String(5), default="17:00", server_default="17:00")
    business_days: Mapped[str] = mapped_column(String(7), default="12345", server_default="12345")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def business_hours(self) -> BusinessHours:
        return parse_hours(self.business_opens, self.business_closes, self.business_days)


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    tier: Mapped[Tier] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[Locale] = mapped_column(String(8), default=Locale.EN, server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    region: Mapped[Region] = relationship(lazy="joined")
    environments: Mapped[list[Environment]] = relationship(
        back_populates="customer", order_by="Environment.kind", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Environment(Base):
    __tablename__ = "environment"
    __table_args__ = (UniqueConstraint("customer_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[EnvironmentKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(130))

    customer: Mapped[Customer] = relationship(back_populates="environments")


def create_region(
    session: Session,
    *,
    slug: str,
    name: str,
    timezone: str,
    business_opens: str = "09:00",
    business_closes: str = "17:00",
    business_days: str = "12345",
    now: datetime,
) -> Region:
    """A new hosting region computing its windows in `timezone`."""
    check_slug(slug)
    parse_zone(timezone)
    hours = parse_hours(business_opens, business_closes, business_days)
    taken = Conflict(f"region {slug!r} already exists", field="slug")
    if session.scalar(select(Region.id).where(Region.slug == slug)) is not None:
        raise taken
    region = Region(
        slug=slug, name=check_text(name, field="name"), timezone=timezone, created_at=now
    )
    _set_hours(region, hours)
    with conflict_on_duplicate(session, taken):  # two may pass the check at once
        session.add(region)
    return region


def get_region(session: Session, slug: str, *, field: str = "region") -> Region:
    """The region called `slug`, or NotFound naming `field`."""
    region = session.scalar(select(Region).where(Region.slug == slug))
    if region is None:
        raise NotFound(f"no region {slug!r}", field=field)
    return region


def list_regions(session: Session) -> list[Region]:
    """All regions by slug."""
    return list(session.scalars(select(Region).order_by(Region.slug)))


def update_region(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    business_opens: str | None = None,
    business_closes: str | None = None,
    business_days: str | None = None,
) -> Region:
    """Rename a region or change its business hours (what is not given stays)."""
    region = get_region(session, slug)
    if name is not None:
        region.name = check_text(name, field="name")
    current = region.business_hours
    _set_hours(
        region,
        parse_hours(
            business_opens if business_opens is not None else f"{current.opens:%H:%M}",
            business_closes if business_closes is not None else f"{current.closes:%H:%M}",
            business_days if business_days is not None else current.days,
        ),
    )
    session.flush()
    return region


def _set_hours(region: Region, hours: BusinessHours) -> None:
    region.business_opens = f"{hours.opens:%H:%M}"
    region.business_closes = f"{hours.closes:%H:%M}"
    region.business_days = hours.days


def create_customer(
    session: Session,
    *,
    slug: str,
    name: str,
    region: str,
    tier: str,
    timezone: str | None = None,
    locale: str = Locale.EN,
    now: datetime,
) -> Customer:
    """A customer in `region` with a preview and a production environment."""
    check_slug(slug)
    home = get_region(session, region)
    timezone = timezone or home.timezone
    parse_zone(timezone)
    taken = Conflict(f"customer {slug!r} already exists", field="slug")
    if session.scalar(select(Customer.id).where(Customer.slug == slug)) is not None:
        raise taken
    customer = Customer(
        slug=slug,
        name=check_text(name, field="name"),
        region=home,
        tier=_tier(tier),
        timezone=timezone,
        locale=_locale(locale),
        created_at=now,
        updated_at=now,
        environments=[Environment(kind=kind, name=f"{slug}-{kind}") for kind in EnvironmentKind],
    )
    with conflict_on_duplicate(session, taken):  # two may pass the check at once
        session.add(customer)
    return customer


def get_customer(session: Session, slug: str, *, field: str = "customer") -> Customer:
    """The customer called `slug`, or NotFound naming `field`."""
    customer = session.scalar(select(Customer).where(Customer.slug == slug))
    if customer is None:
        raise NotFound(f"no customer {slug!r}", field=field)
    return customer


def list_customers(
    session: Session,
    *,
    region: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Customer]:
    """Customers by slug, optionally only one region's; with `after` (a customer's id), those
    whose slug comes after that customer's, at most `limit`."""
    query = (
        select(Customer)
        .options(selectinload(Customer.environments))
        .order_by(Customer.slug)
        .limit(limit)
    )
    if region is not None:
        query = query.where(Customer.region_id == get_region(session, region).id)
    if after is not None:
        query = query.where(
            Customer.slug > select(Customer.slug).where(Customer.id == after).scalar_subquery()
        )
    return list(session.scalars(query))


def more_customers_than(session: Session, count: int) -> bool:
    """Whether there are more than `count` customers (at most `count` + 1 ids read)."""
    first = select(Customer.id).limit(count + 1).subquery()
    return session.scalar(select(func.count()).select_from(first)) > count


def update_customer(
    session: Session,
    slug: str,
    *,
    expected_version: int | None = None,
    name: str | None = None,
    region: str | None = None,
    tier: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
    now: datetime,
) -> Customer:
    """Change a customer's name, region, tier, zone or language; a stale version conflicts."""
    customer = get_customer(session, slug)
    if expected_version is not None and expected_version != customer.version:
        raise Conflict(
            f"customer {slug!r} changed since version {expected_version} "
            f"(now {customer.version}); reload and try again",
            field="version",
        )
    if name is not None:
        customer.name = check_text(name, field="name")
    if region is not None:
        customer.region = get_region(session, region)
    if tier is not None:
        customer.tier = _tier(tier)
    if timezone is not None:
        parse_zone(timezone)
        customer.timezone = timezone
    if locale is not None:
        customer.locale = _locale(locale)
    customer.updated_at = now
    session.flush()
    return customer


def _tier(value: str) -> Tier:
    try:
        return Tier(value)
    except ValueError:
        raise Invalid(f"tier must be one of {', '.join(Tier)}", field="tier") from None


def _locale(value: str) -> Locale:
    try:
        return Locale(value)
    except ValueError:
        raise Invalid(f"locale must be one of {', '.join(Locale)}", field="locale") from None
