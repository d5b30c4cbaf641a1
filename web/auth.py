"""Who is calling: bearer tokens for the API; for pages, a cookie naming a sign-in session
kept in the database (of a staff user, or of a customer contact signed in by an emailed link),
so signing out (or an operator) can end it for every copy of the cookie."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from ipaddress import ip_address
from typing import TypeVar

from flask import abort, current_app, g, request, session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rollout import throttle
from rollout.access import (
    PLANNERS,
    STAFF_ROLES,
    Role,
    SigninSession,
    StaffUser,
    TokenStatus,
    end_session,
    find_session,
    find_token,
    record_token_use,
    start_session,
)
from rollout.customers import Customer
from rollout.errors import Forbidden
from rollout.notifications import Contact
from rollout.signin_links import may_manage
from rollout.windows import PUBLIC, STAFF, Audience
from web.database import after_session, db, now

T = TypeVar("T")
# The one thing the cookie holds once signed in: the id of a row in signin_session.
SESSION_KEY = "sid"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """The caller: a role, an actor name for history, for customers their customer, and for
    a customer contact signed in to the pages, that contact."""

    role: Role
    actor: str
    customer: Customer | None = None
    contact: Contact | None = None
    # Which token, account or contact, for logs: its row id, never its secret.
    ref: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def manages_customer(self) -> bool:
        """Whether the caller may change the customer's contacts and webhooks on the pages:
        staff, and contacts whose role is admin; other contacts only read."""
        return self.is_staff or (self.contact is not None and may_manage(self.contact.role))

    @property
    def audience(self) -> Audience:
        if self.is_staff:
            return STAFF
        return Audience(customer_id=self.customer.id if self.customer else None)

    def check_customer(self, customer: Customer) -> None:
        """Refuse a customer token reaching any customer but its own."""
        if not self.is_staff and (self.customer is None or self.customer.id != customer.id):
            raise Forbidden(
                f"this token belongs to customer {self.customer.slug!r}"
                if self.customer
                else "this token is not for a customer",
                field="customer",
            )


def principal() -> Principal | None:
    """The authenticated caller of this request, or None for an anonymous one."""
    if "principal" not in g:
        # The API takes only bearer tokens: a cookie there would open it to CSRF.
        api = request.path.startswith("/api/")
        g.principal = _from_bearer() if api else _from_session()
    return g.principal


def audience() -> Audience:
    """Which windows the caller may see."""
    who = principal()
    return who.audience if who else PUBLIC


def require(*roles: Role) -> Callable:
    """Decorate a view: 401 without credentials, 403 unless the caller has one of `roles`."""
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            who = principal()
            if who is None:
                abort(401, "send Authorization: Bearer <token>")
            if who.role not in allowed:
                abort(403, f"role {who.role} may not do this; needs {' or '.join(sorted(allowed))}")
            return view(*args, **kwargs)

        return wrapper

    return decorate


ANY_ROLE = tuple(Role)
STAFF_ONLY = tuple(STAFF_ROLES)
PLANNING = tuple(PLANNERS)


def _from_bearer() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, "send Authorization: Bearer <token>")
    at = now()
    found = find_token(db(), token.strip())
    status = found.status(at) if found is not None else None
    if status == TokenStatus.EXPIRED:
        abort(401, f"token expired at {found.expires_at:%Y-%m-%d %H:%M} UTC")
    if status != TokenStatus.ACTIVE:
        abort(401, "unknown or revoked token")
    if found.use_is_due(at):
        token_id = found.id  # read now: the row is expired once the request's session ends
        after_session(lambda own: _record_use(own, token_id, at))
    return Principal(
        role=found.role, actor=found.actor, customer=found.customer, ref=f"token:{found.id}"
    )


def _record_use(session: Session, token_id: int, at: datetime) -> None:
    # Bookkeeping: losing a race or a busy database must never fail the call it follows.
    try:
        record_token_use(session, token_id, now=at)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not record the use of token %s", token_id, exc_info=True)


def current_session() -> SigninSession | None:
    """This browser's live sign-in session, or None; an ended one is dropped from the cookie."""
    if "signin_session" not in g:
        plaintext = session.get(SESSION_KEY)
        found = find_session(db(), plaintext, now=now()) if isinstance(plaintext, str) else None
        if found is None and SESSION_KEY in session:
            session.pop(SESSION_KEY)
        g.signin_session = found
    return g.signin_session


def begin_session(*, user: StaffUser | None = None, contact: Contact | None = None) -> None:
    """Sign this browser in with a fresh session, so no one can plant one beforehand."""
    end_current_session()  # signing in over an old session must not leave that one alive
    session[SESSION_KEY] = start_session(db(), user=user, contact=contact, now=now())
    g.pop("signin_session", None)
    g.pop("principal", None)


def end_current_session() -> None:
    """Sign this browser out: the session row goes, so a saved copy of the cookie is dead too."""
    plaintext = session.get(SESSION_KEY)
    if isinstance(plaintext, str):
        end_session(db(), plaintext)
    session.clear()
    g.pop("signin_session", None)
    g.pop("principal", None)


def throttled_signin(account: str | None, attempt: Callable[[], T | None]) -> T | None:
    """`attempt` under the sign-in limits for `account` and this client (TooManyAttempts)."""
    return throttle.throttled_signin(
        db(),
        account=account,
        client=client_address(),
        limits=current_app.extensions["rollout.settings"].signin_limits,
        now=now(),
        attempt=attempt,
    )


def client_address() -> str:
    """The caller's address: the socket's, unless trusted proxies vouch for X-Forwarded-For."""
    hops = current_app.extensions["rollout.settings"].trusted_proxies
    address = request.remote_addr or "unknown"
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    # Each proxy appends whom it heard from: the entry the outermost trusted one wrote is
    # `hops` from the end; anything before it the client may have made up.
    if hops and len(forwarded) >= hops:
        with suppress(ValueError):  # not an address: keep the socket's
            address = str(ip_address(forwarded[-hops]))
    return address


def _from_session() -> Principal | None:
    found = current_session()
    if found is None:
        return None
    if found.contact is not None:
        contact = found.contact
        return Principal(
            role=Role.CUSTOMER,
            actor=f"contact:{contact.email}",
            customer=contact.customer,
            contact=contact,
            ref=f"contact:{contact.id}",
        )
    return Principal(role=found.user.role, actor=found.user.actor, ref=f"user:{found.user.id}")
