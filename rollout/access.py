"""Who may do what: API tokens with roles, staff accounts that sign in to the pages, and the
server-side sign-in sessions that a sign-out, a password change or a role change ends (and,
for a customer contact signed in by an emailed link, removing the contact)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rollout.customers import Customer, get_customer
from rollout.db import Base, UTCDateTime
from rollout.errors import Conflict, Invalid, NotFound
from rollout.validation import check_text

if TYPE_CHECKING:  # resolved by name when the mappers are configured
    from rollout.notifications.models import Contact

TOKEN_PREFIX = "rol_"
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

    customer: Mapped[Customer | None] = relationship(lazy="joined")

    @property
    def actor(self) -> str:
        return f"token:{self.name}"


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

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
    session: Session, *, name: str, role: str, customer: str | None = None, now: datetime
) -> tuple[ApiToken, str]:
    """A new API token and its plaintext, which is never stored and shown only now."""
    role = _role(role)
    owner = None
    if role == Role.CUSTOMER:
        if not customer:
            raise Invalid("a customer token needs the customer it belongs to", field="customer")
        owner = get_customer(session, customer)
    elif customer:
        raise Invalid("only customer tokens belong to a customer", field="customer")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=check_text(name, field="name"),
        role=role,
        customer=owner,
        token_hash=hash_token(plaintext),
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def authenticate_token(session: Session, plaintext: str) -> ApiToken | None:
    """The live token matching `plaintext`, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    return token if token is not None and token.revoked_at is None else None


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
    """The staff user with this email and password, or None."""
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
    """A new role for the user; their sessions end, so they sign in again under it."""
    user = get_user(session, email)
    role = _role(role)
    if role == Role.CUSTOMER:
        raise Invalid("staff accounts are admin, release_manager or support_agent", field="role")
    if role != user.role:
        user.role = role
        end_user_sessions(session, user)
    return user


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
    """The live session with this id, or None once it has been ended or has lapsed."""
    return session.scalar(
        select(SigninSession).where(
            SigninSession.id_hash == hash_token(plaintext),
            SigninSession.created_at > now - SESSION_LIFETIME,
        )
    )


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
