"""Who is calling: bearer tokens for the API, a signed session cookie for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort, g, request, session

from rollout.access import PLANNERS, STAFF_ROLES, Role, StaffUser, authenticate_token
from rollout.customers import Customer
from rollout.errors import Forbidden
from rollout.windows import PUBLIC, STAFF, Audience
from web.database import db


@dataclass(frozen=True)
class Principal:
    """The caller: a role, an actor name for history, and for customers their customer."""

    role: Role
    actor: str
    customer: Customer | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

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
    found = authenticate_token(db(), token.strip())
    if found is None:
        abort(401, "unknown or revoked token")
    return Principal(role=found.role, actor=found.actor, customer=found.customer)


def _from_session() -> Principal | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db().get(StaffUser, user_id)
    if user is None:
        session.clear()
        return None
    return Principal(role=user.role, actor=user.actor)
