"""Sign-in throttling: too many recent failures for one account, or from one client, and
further tries are refused for a while, kept in the database so every web process agrees."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rollout.access import hash_token
from rollout.db import Base, UTCDateTime
from rollout.errors import TooManyAttempts

T = TypeVar("T")


@dataclass(frozen=True)
class SigninLimits:
    """How many failures within `window` an account, and a client address, may have."""

    per_account: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)


class SigninFailure(Base):
    """One failed sign-in: the account tried (hashed: people type passwords into the email
    field) and the client address it came from."""

    __tablename__ = "signin_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def throttled_signin(
    session: Session,
    *,
    account: str | None,
    client: str,
    limits: SigninLimits,
    now: datetime,
    attempt: Callable[[], T | None],
) -> T | None:
    """Run `attempt` (None means it failed) unless the account or the client failed too often
    lately, and remember how it went; TooManyAttempts while throttled, even for the right
    password. `account` is None for a sign-in that names no account (a bare token)."""
    account_hash = hash_token(account.strip().lower()) if account else None
    client = client[:64]
    _serialise(session, account_hash, client)
    waits = [_wait(session, SigninFailure.client == client, limits.per_client, limits, now)]
    if account_hash is not None:
        by_account = SigninFailure.account_hash == account_hash
        waits.append(_wait(session, by_account, limits.per_account, limits, now))
    wait = max(waits)
    if wait > timedelta(0):
        raise TooManyAttempts(
            f"Too many failed sign-ins. Try again in {_minutes(wait)}.",
            retry_after=math.ceil(wait.total_seconds()),
        )
    result = attempt()
    if result is None:
        _forget_old_failures(session, before=now - limits.window)
        session.add(SigninFailure(account_hash=account_hash, client=client, failed_at=now))
    elif account_hash is not None:
        # Only this client's failures on this account: signing in to one's own account must
        # not wipe what the same client tried against others.
        session.execute(
            delete(SigninFailure).where(
                SigninFailure.account_hash == account_hash, SigninFailure.client == client
            )
        )
    session.flush()
    return result


def retry_after(
    failures: list[datetime], *, limit: int, window: timedelta, now: datetime
) -> timedelta:
    """How long until fewer than `limit` of `failures` (newest first) lie within `window`."""
    recent = [at for at in failures if at > now - window]
    if len(recent) < limit:
        return timedelta(0)
    return recent[limit - 1] + window - now


def _wait(
    session: Session, which: ColumnElement[bool], limit: int, limits: SigninLimits, now: datetime
) -> timedelta:
    newest = session.scalars(
        select(SigninFailure.failed_at)
        .where(which, SigninFailure.failed_at > now - limits.window)
        .order_by(SigninFailure.failed_at.desc())
        .limit(limit)
    ).all()
    return retry_after(list(newest), limit=limit, window=limits.window, now=now)


def _forget_old_failures(session: Session, *, before: datetime) -> None:
    # Any sign-in may tidy up, so skip rows another is deleting: waiting on each other's row
    # locks while holding the advisory ones could deadlock.
    stale = (
        select(SigninFailure.id)
        .where(SigninFailure.failed_at <= before)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(SigninFailure).where(SigninFailure.id.in_(stale)))


def _serialise(session: Session, account_hash: str | None, client: str) -> None:
    # Without this, fifty simultaneous guesses would all count the failures before any of them
    # is written. The locks last until the caller commits; the account's is always taken first,
    # so two sign-ins never wait on each other in a circle. On SQLite (one machine, for
    # development and small installs) the count is best effort.
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in ([f"account:{account_hash}"] if account_hash else []) + [f"client:{client}"]:
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(lock_id)))


def _minutes(wait: timedelta) -> str:
    minutes = math.ceil(wait.total_seconds() / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"
