"""A customer contact in a real browser, at desktop and phone sizes: asks for a sign-in link,
gets it by email (a real SMTP server on loopback), opens it, signs in, and finds the next
downtime in their own zone on their home; every page passes axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rollout import windows
from rollout.customers import get_customer
from rollout.db import make_engine, make_session_factory
from tests.factories import make_customer, make_policy, make_region
from tests.web.accessibility import assert_accessible
from tests.web.contacts import make_contact, site_with_mail

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
ZONE = "Europe/Paris"


@pytest.fixture
def mailed_site(fresh_database_url, tmp_path):
    """The app on a loopback port, emailing through a real SMTP server on loopback, over a
    database holding acme (in us, on the second-Saturday rule) and Ada, its admin in Paris;
    the first downtime ahead, as it stands in the database."""
    engine = make_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    with sessions() as session:
        make_region(session, "us", now=now)
        make_policy(session, "us", now=now)
        make_customer(session, "acme", "us", now=now)
        make_contact(session, timezone=ZONE, now=now)
        downtime = windows.list_windows(
            session,
            start=now,
            end=now + timedelta(days=100),
            customer=get_customer(session, "acme"),
        )[0]
        session.commit()
    with site_with_mail(fresh_database_url, sessions, tmp_path / "site") as (url, inbox):
        yield url, inbox, downtime
    engine.dispose()


def paris_start(window) -> str:
    """How the window's start reads in Paris, worked out here independently of the pages."""
    local = window.starts_at.astimezone(ZoneInfo(ZONE))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


@pytest.mark.long
def test_a_contact_signs_in_from_the_emailed_link_and_finds_their_next_downtime(
    browser, mailed_site
):
    from playwright.sync_api import expect

    base, inbox, downtime = mailed_site
    for number, size in enumerate(SIZES.values(), start=1):
        context = browser.new_context(viewport=size)
        page = context.new_page()
        page.goto(f"{base}/")
        page.get_by_role("link", name="Customer sign-in").click()
        assert_accessible(page)
        page.get_by_label("Your email address").fill("ada@acme.test")
        page.get_by_role("button", name="Email me a sign-in link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        assert_accessible(page)

        inbox.wait_for(number)
        body = inbox.messages[number - 1].get_content()
        # The link is built from PUBLIC_URL; the browser reaches this server on its own port.
        path = re.search(r"http://rollout\.test(/customer/signin/\S+)", body).group(1)
        page.goto(base + path)
        assert_accessible(page)
        page.get_by_role("button", name="Sign in").click()

        expect(page).to_have_url(f"{base}/customer")
        section = page.locator("#next-downtime")
        expect(section).to_contain_text(paris_start(downtime))
        expect(section).to_contain_text(f"({ZONE})")
        expect(section.locator("[data-part=days]")).to_have_text(re.compile(r"^\d+$"))
        expect(section.get_by_role("link", name="Add to calendar")).to_be_visible()
        assert_accessible(page)

        # From the front page, the home is one click away; its downtime is on it.
        page.goto(f"{base}/")
        page.get_by_role("link", name="Your home").click()
        expect(page.locator("#next-downtime")).to_contain_text(paris_start(downtime))

        page.goto(base + path)  # the same link again
        expect(page.get_by_text("has already been used")).to_be_visible()
        assert_accessible(page)
        context.close()


def test_an_admin_makes_the_private_addresses_and_is_warned_before_replacing_them(
    browser, mailed_site
):
    from playwright.sync_api import expect

    base, inbox, _ = mailed_site
    page = browser.new_context(viewport=SIZES["phone"]).new_page()
    page.goto(f"{base}/customer/login")
    page.get_by_label("Your email address").fill("ada@acme.test")
    page.get_by_role("button", name="Email me a sign-in link").click()
    inbox.wait_for(1)
    path = re.search(r"(/customer/signin/\S+)", inbox.messages[0].get_content()).group(1)
    page.goto(base + path)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("button", name="Make the private addresses").click()
    expect(page.get_by_role("button", name="Copy").first).to_be_visible()
    feed = page.get_by_label("Calendar feed, to subscribe to in your calendar app")
    old = feed.input_value()
    warning = page.get_by_text("every calendar subscribed to the feed stops updating")
    expect(warning).to_be_hidden()
    page.get_by_text("Replace the private addresses").click()
    expect(warning).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, replace both addresses").click()
    expect(feed).not_to_have_value(old)
    assert_accessible(page)

    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", name="Add a contact")).to_be_visible()
    assert_accessible(page)
