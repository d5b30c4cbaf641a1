"""Who may do what: API tokens with roles (listed, revoked, expiring), staff accounts that
sign in to the pages (disabled and enabled, never leaving no admin), and the server-side
sign-in sessions that a sign-out, a password change, a role change or disabling the account
ends (and, for a customer contact signed in by an emailed link, removing the contact)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rollout.customers import Customer, get_customer
from rollout.db import Base, UTCDateTime, lock_row
from rollout.errors import Conflict, Invalid, NotFound
from rollout.validation import check_aware, check_text

if TYPE_CHECKING:  # resolved by name when the mappers are configured
    from rollout.notifications.models import Contact

TOKEN_PREFIX = "rol_"
# A token's last use is written at most this often: an exact time would cost a write per call.
LAST_USED_EVERY = timedelta(minutes=1)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(StrEnum):
    ADMIN = "admin"
    RELEASE_MANAGER = "release_manager"
    SUPPORT_AGENT = "support_agent"
    CUSTOMER = "customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.RELEASE_MANAGER, Role.SUPPORT_AGENT})
PLANNERS = frozenset({Role.ADMIN, Role.RELEASE_MANAGER})


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    # Only a SHA-256 of the token is kept: tokens are 256 random bits, so no slow hash needed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # To the minute (LAST_USED_EVERY), not to the call.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer | None] = relationship(lazy="joined")

    @property
    def actor(self) -> str:
        return f"token:{self.name}"

    def status(self, now: datetime) -> TokenStatus:
        """Whether the token works at `now`, and if not, why."""
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE

    def use_is_due(self, now: datetime) -> bool:
        """Whether its last use is stale enough to be written again (see `record_token_use`)."""
        return self.last_used_at is None or self.last_used_at <= now - LAST_USED_EVERY


class TokenStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A disabled user cannot sign in and has no session; the account and its history stay.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def actor(self) -> str:
        return self.email


# How long one sign-in lasts: a browser left signed in, or a stolen cookie, lapses after this.
SESSION_LIFETIME = timedelta(hours=12)


class SigninSession(Base):
    """One signed-in browser, of a staff user or of a customer contact.

    The cookie carries a random id; only its SHA-256 is kept, so a leaked table signs no one in.
    Deleting the row ends the session, whatever copies of the cookie exist.
    """

    __tablename__ = "signin_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # Removing the contact ends its sessions with it.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser | None] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship(lazy="joined")


def hash_token(token: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    customer: str | None = None,
    expires_at: datetime | None = None,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new API token and its plaintext, which is never stored and shown only now; with
    `expires_at`, it stops working then."""
    role = _role(role)
    if expires_at is not None:
        check_expiry(expires_at, now=now)
    owner = None
    if role == Role.CUSTOMER:
        if not customer:
            raise Invalid("a customer token needs the customer it belongs to", field="customer")
        owner = get_customer(session, customer)
    elif customer is not None:
        raise Invalid("only customer tokens belong to a customer", field="customer")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=check_text(name, field="name"),
        role=role,
        customer=owner,
        token_hash=hash_token(plaintext),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def check_expiry(expires_at: datetime, *, now: datetime) -> datetime:
    """`expires_at` if it is an aware time after `now`: a token born expired is a mistake."""
    check_aware(expires_at, field="expires_at")
    if expires_at <= now:
        raise Invalid("the expiry must be in the future", field="expires_at")
    return expires_at


def find_token(session: Session, plaintext: str) -> ApiToken | None:
    """The token matching `plaintext`, whatever its `status`, or None."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))


def record_token_use(session: Session, token_id: int, *, now: datetime) -> bool:
    """Write that the token was used at `now`, unless that was written under LAST_USED_EVERY
    ago; whether this call wrote it. One conditional UPDATE, for a transaction of its own:
    processes racing to write it queue on the row and the losers change nothing."""
    written = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return written.rowcount == 1


def list_tokens(session: Session, *, everything: bool = False, now: datetime) -> list[ApiToken]:
    """Tokens that work at `now`, oldest first; with `everything`, revoked and expired too."""
    query = select(ApiToken).order_by(ApiToken.id)
    if not everything:
        query = query.where(
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke the token for good; revoking it again keeps the first time (NotFound if none)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token #{token_id}", field="token")
    # Locked and read afresh, so two revoking at once both succeed and the first time stays;
    # an ORM write, so the audit trail sees it.
    lock_row(session, token)
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def create_user(
    session: Session, *, email: str, name: str, role: str, password: str, now: datetime
) -> StaffUser:
    """A staff account; the password is kept only as a salted scrypt hash."""
    role = _role(role)
    if role == Role.CUSTOMER:
        raise Invalid("staff accounts are admin, release_manager or support_agent", field="role")
    email = check_text(email, field="email", max_length=254).lower()
    if "@" not in email:
        raise Invalid("not an email address", field="email")
    _check_password(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise Conflict(f"a user {email!r} already exists", field="email")
    user = StaffUser(
        email=email,
        name=check_text(name, field="name"),
        role=role,
        password_hash=hash_password(password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate_user(session: Session, email: str, password: str) -> StaffUser | None:
    """The staff user with this email and password, or None; a disabled one too, so the
    page can say so once the password proved who is asking."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        hash_password(password)  # spend the same time whether or not the user exists
        return None
    return user if verify_password(password, user.password_hash) else None


def set_password(
    session: Session, *, email: str, password: str, keep: str | None = None
) -> StaffUser:
    """A new password for the user; every session of theirs ends but `keep` (the caller's)."""
    user = get_user(session, email)
    _check_password(password)
    user.password_hash = hash_password(password)
    end_user_sessions(session, user, keep=keep)
    return user


def set_role(session: Session, *, email: str, role: str) -> StaffUser:
    """A new role for the user; their sessions end, so they sign in again under it. The last
    enabled admin keeps theirs (Conflict)."""
    user = get_user(session, email)
    role = _role(role)
    if role == Role.CUSTOMER:
        raise Invalid("staff accounts are admin, release_manager or support_agent", field="role")
    if role != user.role:
        _keep_an_admin(session, user, "demote")
        user.role = role
        end_user_sessions(session, user)
    return user


def list_users(session: Session) -> list[StaffUser]:
    """Every staff user, by email."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def disable_user(session: Session, *, email: str, now: datetime) -> StaffUser:
    """Refuse the user's sign-ins from now on and end their sessions; the last enabled admin
    cannot be disabled (Conflict). Disabling a disabled user changes nothing."""
    user = get_user(session, email)
    if user.disabled_at is None:
        _keep_an_admin(session, user, "disable")
        user.disabled_at = now
        end_user_sessions(session, user)
        session.flush()
    return user


def enable_user(session: Session, *, email: str) -> StaffUser:
    """Let a disabled user sign in again (with the same password)."""
    user = get_user(session, email)
    user.disabled_at = None
    session.flush()
    return user


def _keep_an_admin(session: Session, user: StaffUser, verb: str) -> None:
    if user.role != Role.ADMIN:
        return
    # Lock every enabled admin, in one order, before counting: of two admins disabling each
    # other at once, the second waits, then finds only itself left and is refused. (SQLite
    # runs writers one at a time already.)
    admins = session.scalars(
        select(StaffUser.id)
        .where(StaffUser.role == Role.ADMIN, StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.id)
        .with_for_update()
    ).all()
    if admins == [user.id]:
        raise Conflict(
            f"{user.email} is the last enabled admin: make another admin first, "
            f"then {verb} this one",
            field="email",
        )


def get_user(session: Session, email: str) -> StaffUser:
    """The staff user with this email, or NotFound."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email!r}", field="email")
    return user


def start_session(
    session: Session,
    *,
    user: StaffUser | None = None,
    contact: Contact | None = None,
    now: datetime,
) -> str:
    """A new session for a staff user or a customer contact; its id, for the cookie, only now."""
    if (user is None) == (contact is None):
        raise ValueError("a session belongs to a user or to a contact, not both or neither")
    plaintext = secrets.token_urlsafe(32)
    # Sessions nobody ended lapse; tidy them here rather than on every page view.
    session.execute(delete(SigninSession).where(SigninSession.created_at <= now - SESSION_LIFETIME))
    session.add(
        SigninSession(id_hash=hash_token(plaintext), user=user, contact=contact, created_at=now)
    )
    session.flush()
    return plaintext


def find_session(session: Session, plaintext: str, *, now: datetime) -> SigninSession | None:
    """The live session with this id, or None once it has been ended or has lapsed, or its
    user is disabled (a sign-in racing the disabling may have left one behind)."""
    found = session.scalar(
        select(SigninSession).where(
            SigninSession.id_hash == hash_token(plaintext),
            SigninSession.created_at > now - SESSION_LIFETIME,
        )
    )
    if found is not None and found.user is not None and found.user.disabled_at is not None:
        return None
    return found


def end_session(session: Session, plaintext: str) -> None:
    """End one session; ending one already ended is not an error."""
    session.execute(delete(SigninSession).where(SigninSession.id_hash == hash_token(plaintext)))


def end_user_sessions(session: Session, user: StaffUser, *, keep: str | None = None) -> int:
    """End every session of `user` (but `keep`'s); how many ended."""
    query = delete(SigninSession).where(SigninSession.user_id == user.id)
    if keep is not None:
        query = query.where(SigninSession.id_hash != hash_token(keep))
    return session.execute(query).rowcount


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$digest` for `password`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password`."""
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise Invalid("use at least 10 characters", field="password")


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(f"role must be one of {', '.join(Role)}", field="role") from None
