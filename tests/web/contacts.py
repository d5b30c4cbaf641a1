"""Customer contacts for page tests, and signing a browser in as one through an emailed link."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rollout import notifications
from rollout.customers import get_customer
from rollout.notifications import Contact
from rollout.signin_links import request_signin_links
from rollout.throttle import SigninLimits
from tests.conftest import NOW
from tests.web.test_pages import csrf_token

# Tests sign in as often as they like; the limits have tests of their own.
UNLIMITED = SigninLimits(per_account=10_000, per_client=10_000)


def make_contact(
    session: Session, customer: str = "acme", *, email: str = "ada@acme.test", **overrides
) -> Contact:
    fields = {"name": "Ada", "role": "admin", "subscriptions": ["maintenance"], "now": NOW}
    return notifications.create_contact(
        session, get_customer(session, customer), email=email, **(fields | overrides)
    )


def link_secret(session: Session, email: str, *, now=NOW) -> str:
    """A fresh sign-in link's secret for the contact with `email`, as the email carries it."""
    [issued] = request_signin_links(session, email=email, client="tests", limits=UNLIMITED, now=now)
    session.commit()
    return issued.secret


def sign_in_contact(client, session, email: str = "ada@acme.test"):
    """Open a new link for `email` and press its button; the answer to that POST."""
    path = f"/customer/signin/{link_secret(session, email)}"
    return client.post(path, data={"csrf_token": csrf_token(client, path)})
