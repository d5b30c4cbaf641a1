"""The customer pages in a French browser, at desktop and phone sizes: the schedule reads in
French, its dates and the reader's own time too, and the switch in the header brings English
back; every customer page of the demo passes axe-core in French."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from tests.web.accessibility import assert_accessible
from tests.web.demo_pages import PUBLIC, demo  # noqa: F401  (a fixture)
from tests.web.test_browser import reader_text, schedule  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
READER = "Europe/Paris"


def french_span(start: datetime, end: datetime, zone: str) -> str:
    """A window as a French page writes it, worked out here with Babel's CLDR data."""
    first, last = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    assert first.date() == last.date(), "the schedule's windows last two hours"
    return f"{format_date(first, 'EEE d MMM y', locale='fr')}, {first:%H:%M}–{last:%H:%M}"


@pytest.mark.parametrize("size", SIZES)
def test_a_french_browser_reads_the_schedule_in_french_and_switches_back_to_english(
    browser,
    live_server,
    schedule,  # noqa: F811
    size,
):
    from playwright.sync_api import expect

    start, end = schedule["starts_at"], schedule["ends_at"]
    context = browser.new_context(viewport=SIZES[size], locale="fr-FR", timezone_id=READER)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/maintenance", wait_until="networkidle")
        heading, card = page.locator("h1"), page.locator(f"#window-{schedule['id']}")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(heading).to_have_text("Calendrier de maintenance")
        zone = "America/New_York"
        expect(card.locator(".when")).to_contain_text(french_span(start, end, zone))
        expect(card.locator(".reader-time")).to_have_text(
            f"Votre heure : {french_span(start, end, READER)} {READER}"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        assert_accessible(page)

        page.get_by_role("button", name="English").click()
        expect(heading).to_have_text("Maintenance schedule")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url == f"{live_server.url}/maintenance"
        expect(card.locator(".reader-time")).to_have_text(reader_text(start, end, READER))
        assert_accessible(page)
        # Remembered: the next page is English too, whatever the browser asks for.
        page.goto(f"{live_server.url}/releases", wait_until="networkidle")
        expect(page.locator("h1")).to_have_text("Releases")
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_every_customer_page_of_the_demo_passes_axe_in_french(
    browser,
    live_server,
    demo,  # noqa: F811
    size,
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size], locale="fr-FR")
    try:
        page = context.new_page()
        for path in PUBLIC:
            if path.endswith("/login"):
                continue  # sign-in pages: staff's, and the customer's being rebuilt
            page.goto(live_server.url + path.format(**demo), wait_until="networkidle")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            assert_accessible(page)
    finally:
        context.close()
