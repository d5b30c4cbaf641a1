"""What goes into a calendar feed, when it last changed, and customers' private feed tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rollout.customers import Customer, Region, get_customer
from rollout.db import Base, UTCDateTime, lock_row
from rollout.releases import Deployment
from rollout.windows import Window, WindowStatus

# Past windows stay in a feed this long, so a calendar keeps recent history.
KEEP_PAST = timedelta(days=90)
# A cancelled window stays (as STATUS:CANCELLED) this long after it was cancelled, so every
# subscribed client polls at least once and removes it.
KEEP_CANCELLED = timedelta(days=30)


class FeedToken(Base):
    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    # 256 bits no one can guess: a plain SHA-256 is enough, and lookups stay one indexed query.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token is HMAC(SECRET_KEY, nonce): a copy of the database alone reveals no address,
    # yet the service can show the customer's contacts theirs again. None for tokens made
    # before it was kept.
    nonce: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(lazy="joined")


@dataclass(frozen=True)
class FeedScope:
    """Which windows a feed holds: all public ones, one region's, or one customer's."""

    key: str
    name: str
    region: Region | None = None
    customer: Customer | None = None


@dataclass(frozen=True)
class FeedStamp:
    """A cheap summary that changes whenever the feed's content does."""

    digest: str
    last_modified: datetime | None


def public_scope() -> FeedScope:
    return FeedScope(key="all", name="Maintenance windows")


def region_scope(region: Region) -> FeedScope:
    return FeedScope(
        key=f"region:{region.id}",
        name=f"Maintenance: {region.name}",
        region=region,
    )


def customer_scope(customer: Customer) -> FeedScope:
    return FeedScope(
        key=f"customer:{customer.id}",
        name=f"Maintenance for {customer.name}",
        region=customer.region,
        customer=customer,
    )


def feed_windows(session: Session, scope: FeedScope, *, now: datetime) -> list[Window]:
    """The windows of `scope` a feed shows at `now`, by start."""
    query = _selection(select(Window), scope, now).order_by(Window.starts_at, Window.id)
    return list(session.scalars(query))


def feed_stamp(session: Session, scope: FeedScope, *, now: datetime) -> FeedStamp:
    """Two aggregate queries: any change to a window bumps its sequence and updated_at, and
    any change to what is deployed in one touches a deployment's updated_at."""
    windows = _selection(select(Window.id), scope, now)
    count, last_modified, sequences, top_id = session.execute(
        _selection(
            select(
                func.count(Window.id),
                func.max(Window.updated_at),
                func.sum(Window.sequence),
                func.max(Window.id),
            ),
            scope,
            now,
        )
    ).one()
    deployed, deployed_at = session.execute(
        select(func.count(Deployment.id), func.max(Deployment.updated_at)).where(
            Deployment.window_id.in_(windows)
        )
    ).one()
    if deployed_at is not None and (last_modified is None or deployed_at > last_modified):
        last_modified = deployed_at
    owner = scope.customer or scope.region
    parts = [
        scope.key,
        _cutoff(now).isoformat(),
        count,
        sequences,
        top_id,
        deployed,
        last_modified.isoformat() if last_modified else "",
        owner.name if owner else "",
        getattr(owner, "timezone", ""),
    ]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    return FeedStamp(digest=digest, last_modified=last_modified)


def window_contents(
    session: Session, windows: list[Window], *, customer: Customer | None = None
) -> dict[int, list[tuple[str, str | None]]]:
    """What each window brings, as (line, release version) a customer may read: releases and
    hotfixes for everyone, and for `customer` its own patches and which of its environments
    get what."""
    contents: dict[int, list[tuple[str, str | None]]] = {w.id: [] for w in windows}
    if not contents:
        return contents
    deployments = session.scalars(
        select(Deployment).where(Deployment.window_id.in_(contents)).order_by(Deployment.id)
    )
    seen = set()
    for deployment in deployments:
        mine = customer is not None and deployment.environment.customer_id == customer.id
        version = deployment.release.version if deployment.release is not None else None
        if version is not None:
            what = f"release {version}"
        elif deployment.hotfix is not None and (not deployment.hotfix.customers or mine):
            kind = "patch" if deployment.hotfix.customers else "hotfix"
            what = f"{kind}: {deployment.hotfix.title}"
        else:
            continue
        line = (
            f"Your {deployment.environment.kind} environment gets {what}"
            if mine
            else (f"Deploys {what}")
        )
        if (deployment.window_id, line) not in seen:
            seen.add((deployment.window_id, line))
            contents[deployment.window_id].append((line, version))
    return contents


def rotate_feed_token(
    session: Session, customer: str, *, now: datetime, key: str
) -> tuple[FeedToken, str]:
    """A new private feed token for `customer`, derived with `key`, and its text; every older
    one stops working at once. Rotations at the same moment queue on the customer, each
    revoking the one before."""
    owner = lock_row(session, get_customer(session, customer))
    for old in session.scalars(
        select(FeedToken).where(FeedToken.customer_id == owner.id, FeedToken.revoked_at.is_(None))
    ):
        old.revoked_at = now
    nonce = secrets.token_urlsafe(32)
    plaintext = _derive(key, nonce)
    token = FeedToken(customer=owner, token_hash=_hash(plaintext), nonce=nonce, created_at=now)
    session.add(token)
    session.flush()
    return token, plaintext


def live_feed_token(session: Session, customer: Customer) -> FeedToken | None:
    """The customer's feed token in use, or None before one is made."""
    return session.scalar(
        select(FeedToken)
        .where(FeedToken.customer_id == customer.id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.id.desc())
        .limit(1)
    )


def feed_token_text(token: FeedToken, key: str) -> str | None:
    """The token's text, to show again; None when `key` no longer derives it (the secret key
    changed since) or it was made before its nonce was kept. Such a token still works."""
    if token.nonce is None:
        return None
    plaintext = _derive(key, token.nonce)
    return plaintext if hmac.compare_digest(_hash(plaintext), token.token_hash) else None


def customer_for_feed_token(session: Session, plaintext: str) -> Customer | None:
    """The customer whose live feed token this is, or None."""
    token = session.scalar(
        select(FeedToken).where(
            FeedToken.token_hash == _hash(plaintext), FeedToken.revoked_at.is_(None)
        )
    )
    return token.customer if token else None


def _selection(query, scope: FeedScope, now: datetime):
    cutoff = _cutoff(now)
    query = query.where(
        Window.ends_at >= cutoff - KEEP_PAST,
        (Window.status != WindowStatus.CANCELLED) | (Window.updated_at >= cutoff - KEEP_CANCELLED),
    )
    if scope.region is not None:
        query = query.where(Window.region_id == scope.region.id)
    if scope.customer is not None:
        query = query.where(
            Window.customer_id.is_(None) | (Window.customer_id == scope.customer.id)
        )
    else:
        query = query.where(Window.customer_id.is_(None))
    return query


def _cutoff(now: datetime) -> datetime:
    # Whole days, so what ages out of a feed changes its ETag once a day, not every poll.
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def _derive(key: str, nonce: str) -> str:
    digest = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()
