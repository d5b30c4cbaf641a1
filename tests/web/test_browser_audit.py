"""An admin reads the audit in a real browser, at desktop and phone sizes: each entry's time
in the reader's own zone, who by name, before and after; the filters work without JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rollout import access, audit, releases
from tests.factories import make_region
from tests.web.accessibility import DESKTOP, PHONE, assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"
ADMIN = "ada@example.com"


@pytest.fixture
def world(live_server) -> None:
    """An admin, and a release she made then renamed (her writes, as the audit records them)."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        make_region(session, "us", now=now)
        admin = access.create_user(
            session, email=ADMIN, name="Ada Admin", role="admin", password=PASSWORD, now=now
        )
        session.commit()
        audit.attribute(session, f"user:{admin.id}")
        release = releases.create_release(session, version="2026.12", title="Dec", now=now)
        session.commit()
        releases.update_release(
            session, "2026.12", title="December", expected_revision=release.revision, now=now
        )
        session.commit()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_admin_reads_who_renamed_a_release_in_her_own_zone(browser, live_server, world, size):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=size, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.get_by_role("link", name="Audit").click()
        page.get_by_label("Record", exact=True).select_option("release")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state("networkidle")

        rows = page.locator("table.audit tbody tr")
        expect(rows).to_have_count(2)
        newest = rows.first
        expect(newest).to_contain_text("Ada Admin (ada@example.com)")
        expect(newest).to_contain_text("changed release")
        expect(newest.locator("del")).to_have_text("Dec")
        expect(newest.locator("ins")).to_have_text("December")
        expect(newest.locator("time")).to_contain_text("Asia/Tokyo")
        assert_accessible(page)
    finally:
        context.close()


def test_the_filters_work_without_javascript(browser, live_server, world):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/staff/audit")
        page.get_by_label("Record", exact=True).select_option("region")
        page.get_by_role("button", name="Show").click()

        rows = page.locator("table.audit tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("created region")
        expect(rows.first.locator("time")).to_contain_text("UTC")
    finally:
        context.close()
