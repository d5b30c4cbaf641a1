"""The demo's pages, public and staff, for tests that visit every one of them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from rollout import access, feeds
from rollout.demo import load_demo
from rollout.releases import Hotfix
from rollout.windows import Window
from tests.conftest import SECRET_KEY
from tests.factories import CONTEXT

PASSWORD = "a long demo password"
ADMIN = "admin@example.com"
PUBLIC = [
    "/maintenance",
    "/maintenance/windows/{window}",
    "/releases",
    "/releases/2026.10",
    "/releases/upcoming",
    "/calendars",
    "/status/{token}",
    "/staff/login",
    "/customer/login",
]
STAFF = [
    "/staff/calendar",
    "/staff/calendar?view=grid",
    "/staff/calendar?view=timeline",
    "/staff/windows/{window}",
    "/staff/windows/new",
    "/staff/freezes/new",
    "/staff/releases",
    "/staff/releases/2026.10",
    "/staff/hotfixes",
    "/staff/hotfixes/{hotfix}",
    "/staff/notifications",
    "/customers/acme/notifications",
    "/support?q=ZD-4130",
    "/triage",
    "/staff/tokens",
    "/staff/audit",
]


@pytest.fixture
def demo(live_server) -> dict[str, str]:
    """The demo data, an admin who signs in, and what the page paths need."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        load_demo(session, now=now, context=CONTEXT)
        admin = {"email": ADMIN, "name": "Admin", "role": "admin"}
        access.create_user(session, **admin, password=PASSWORD, now=now)
        _, token = feeds.rotate_feed_token(session, "acme", now=now, key=SECRET_KEY)
        public = select(Window.id).where(Window.customer_id.is_(None), Window.starts_at > now)
        window = session.scalars(public.order_by(Window.starts_at)).first()
        hotfix = session.scalar(select(func.min(Hotfix.id)))
        session.commit()
    return {"token": token, "window": str(window), "hotfix": str(hotfix)}


def sign_in(context, base_url: str) -> None:
    """Sign the browser context in as the demo's admin."""
    page = context.new_page()
    page.goto(f"{base_url}/staff/login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.close()
