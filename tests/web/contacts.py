"""Customer contacts for page tests, and signing a browser in as one through an emailed link."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from channels.config import NotifySettings
from rollout import notifications
from rollout.customers import get_customer
from rollout.notifications import Contact
from rollout.signin_links import request_signin_links
from rollout.throttle import SigninLimits
from tests import conftest
from tests.conftest import NOW
from tests.notifications.conftest import smtp_settings
from tests.notifications.servers import Inbox, smtp_server
from tests.web.test_pages import csrf_token
from web import create_app

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


@contextmanager
def site_with_mail(database_url: str, sessions, instance_path) -> Iterator[tuple[str, Inbox]]:
    """The app on a loopback port, sending its email to an SMTP server on loopback: the
    address to browse and the inbox the sign-in links arrive in."""
    with smtp_server() as (inbox, port):
        settings = dataclasses.replace(
            conftest.test_settings(database_url),
            notifications=NotifySettings(smtp=smtp_settings(port)),
        )
        app = create_app(settings, session_factory=sessions, instance_path=instance_path)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", inbox
        finally:
            server.shutdown()
            thread.join(timeout=10)
