"""Forms and the support lookup in a real browser, on the demo, at desktop and phone sizes: a
refused form keeps what was typed, a destructive action asks first, and an agent who signs in
lands on /support and pastes a ticket's URL. Every page passes axe-core on the way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rollout import access
from tests.web.accessibility import assert_accessible
from tests.web.demo_pages import PASSWORD, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
AGENT = "agent@example.com"


@pytest.fixture
def agent(live_server, demo):
    with live_server.sessions() as session:
        access.create_user(
            session,
            email=AGENT,
            name="Agent",
            role="support_agent",
            password=PASSWORD,
            now=datetime.now(UTC),
        )
        session.commit()


@pytest.mark.parametrize("size", SIZES)
def test_refused_forms_keep_what_was_typed_and_removing_asks_first(
    browser, live_server, demo, size
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size])
    try:
        sign_in(context, live_server.url)
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/windows/new")
        assert_accessible(page)
        page.select_option("#region", "eu")
        page.fill("#title", "Storage migration")
        page.fill("#starts_at", "2027-03-20T10:00")
        page.fill("#ends_at", "2027-03-20T09:00")
        page.get_by_role("button", name="Create window").click()
        expect(page.locator("#ends_at-error")).to_have_text("The end must be after the start")
        expect(page.locator("#title")).to_have_value("Storage migration")
        expect(page.locator("#starts_at")).to_have_value("2027-03-20T10:00")
        expect(page.locator("#region")).to_have_value("eu")
        assert_accessible(page)

        page.goto(f"{live_server.url}/customers/acme/notifications")
        page.fill("#new-name", "Zoë Martin")
        page.fill("#new-email", "zoe@acme.example")
        page.fill("#new-timezone", "Paris")
        page.get_by_role("button", name="Add contact").click()
        expect(page.locator("#new-timezone-error")).to_have_text(
            "Unknown time zone: try Europe/Paris"
        )
        expect(page.locator("#new-name")).to_have_value("Zoë Martin")
        expect(page.locator("#new-email")).to_have_value("zoe@acme.example")
        page.get_by_text("Remove Maria Lopez").click()
        expect(
            page.get_by_text("Maria Lopez (maria.lopez@acme.example) will no longer")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Yes, remove the contact")).to_be_visible()
        assert_accessible(page)

        page.goto(f"{live_server.url}/staff/windows/{demo['window']}")
        page.get_by_text("Cancel window", exact=True).click()
        expect(page.get_by_role("button", name="Yes, cancel the window")).to_be_visible()
        assert_accessible(page)
        page.goto(f"{live_server.url}/staff/notifications")
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_an_agent_lands_on_support_and_pastes_a_ticket_url(browser, live_server, demo, agent, size):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/login")
        assert_accessible(page)
        page.fill("input[name=email]", AGENT)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/support")
        page.fill("#q", "https://help.example.com/tickets/zd-4130")
        page.press("#q", "Enter")
        answer = page.locator("section.fix-answer")
        expect(answer.locator("h2")).to_have_text("Wayne Enterprises · ticket ZD-4130")
        expect(answer.get_by_role("link", name="OPS-151")).to_have_attribute(
            "href", "/support?q=OPS-151"
        )
        expect(answer.get_by_role("link", name="release 2026.10")).to_have_attribute(
            "href", "/staff/releases/2026.10"
        )
        expect(answer.locator(".badge-fix-in_preview")).to_have_text("On preview")
        assert_accessible(page)
        page.get_by_role("link", name="OPS-151").click()
        expect(page.locator("#q")).to_have_value("OPS-151")
        page.goto(f"{live_server.url}/triage")
        expect(page.get_by_role("link", name="OPS-163").first).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()
