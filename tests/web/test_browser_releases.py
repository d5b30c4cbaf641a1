"""Release pages in a real browser: the upcoming release fills in by itself, and the public
and customer pages fit a phone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rollout import feeds, releases
from tests.conftest import SECRET_KEY
from tests.factories import two_regions_with_customers

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# The page polls every few seconds; this bounds the wait well past one poll.
ARRIVAL_MS = 15_000


@pytest.fixture
def upcoming(live_server):
    """Draft 2027.01 with one public feature note, committed for the live server."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        releases.create_release(session, version="2027.01", title="January release", now=now)
        releases.add_item(
            session, "2027.01", kind="feature", summary="SSO", public_note="Single sign-on", now=now
        )
        session.commit()


@pytest.fixture
def planned(live_server):
    """Two regions with customers and release 2026.12 planned; Acme's private token."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        two_regions_with_customers(session, now=now)
        releases.create_release(session, version="2026.12", title="December release", now=now)
        for kind, note in (
            ("feature", "Reports can be **scheduled** and sent by email to a whole team"),
            ("fix", "Exports of very large reports no longer time out"),
            ("improvement", "Search results appear about twice as fast"),
        ):
            releases.add_item(
                session, "2026.12", kind=kind, summary="internal", public_note=note, now=now
            )
        releases.plan_release(session, "2026.12", actor="planner", now=now)
        _, token = feeds.rotate_feed_token(session, "acme", now=now, key=SECRET_KEY)
        session.commit()
    return token


def test_upcoming_page_shows_a_new_item_without_a_reload(browser, live_server, upcoming):
    from playwright.sync_api import expect

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/releases/upcoming")
        expect(page.locator("#upcoming-version")).to_have_text("2027.01")
        expect(page.locator("#upcoming-notes")).to_contain_text("Single sign-on")
        page.evaluate("window.stillTheSamePage = true")
        with live_server.sessions() as session:
            releases.add_item(
                session,
                "2027.01",
                kind="fix",
                summary="Root cause: connection pool exhausted",
                public_note="Exports **no longer** time out",
                jira_key="OPS-5",
                now=datetime.now(UTC),
            )
            session.commit()
        fixes = page.locator(".note-group.kind-fix")
        expect(fixes).to_contain_text("Exports no longer time out", timeout=ARRIVAL_MS)
        expect(fixes.locator("h2")).to_have_text("Fixes")
        expect(fixes.locator("strong")).to_have_text("no longer")
        expect(page.locator("#upcoming-notes")).to_contain_text("Single sign-on")
        assert page.evaluate("window.stillTheSamePage") is True
        body = page.content()
        assert "connection pool" not in body and "OPS-5" not in body
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/releases", "/releases/2026.12", "/releases/upcoming"])
def test_public_release_pages_fit_a_phone_screen(browser, live_server, planned, path):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_customer_status_page_fits_a_phone_and_shows_the_readers_time(
    browser, live_server, planned
):
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        timezone_id="Asia/Tokyo",
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/status/{planned}")
        expect(page.locator("#env-production .next-change .reader-time")).to_contain_text(
            "Your time:"
        )
        expect(page.locator("#env-production .next-change .reader-time")).to_contain_text(
            "Asia/Tokyo"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
