"""The public schedule in a real browser: each reader sees the windows in their own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rollout import windows
from rollout.customers import create_region
from rollout.windows import create_policy
from tests.factories import CONTEXT

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def reader_text(start: datetime, end: datetime, zone: str) -> str:
    """What the page should say to a reader in `zone`, worked out here independently."""
    first, last = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))

    def day(value: datetime) -> str:
        return f"{value:%a} {value.day} {value:%b %Y}"

    span = f"{day(first)}, {first:%H:%M}"
    span += f"–{last:%H:%M}" if first.date() == last.date() else f" – {day(last)}, {last:%H:%M}"
    return f"Your time: {span} {zone}"


@pytest.fixture
def schedule(live_server):
    """Two regions on the second-Saturday rule, one window moved, one cancelled, one emergency."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        upcoming = {}
        for slug, zone in (("us", "America/New_York"), ("eu", "Europe/Dublin")):
            region = create_region(
                session, slug=slug, name=f"Region {slug}", timezone=zone, now=now
            )
            create_policy(
                session,
                region=slug,
                title="Monthly maintenance",
                cron="0 9 * * 6#2",
                duration_minutes=120,
                actor="planner",
                now=now,
            )
            upcoming[slug] = windows.list_windows(
                session, start=now, end=now + timedelta(days=183), region=region
            )
        first_us = upcoming["us"][0]
        windows.change_window(
            session,
            upcoming["us"][1].id,
            change="cancel",
            expected_sequence=0,
            reason="Release slipped a month",
            actor="rm@example.com",
            now=now,
            context=CONTEXT,
        )
        windows.change_window(
            session,
            upcoming["eu"][0].id,
            change="move",
            expected_sequence=0,
            starts_at=upcoming["eu"][0].starts_at + timedelta(days=7),
            reason="Dublin data-centre power work",
            actor="rm@example.com",
            now=now,
            context=CONTEXT,
        )
        windows.create_window(
            session,
            title="Security patch",
            region="us",
            kind="emergency",
            justification="zero-day",
            actor="rm@example.com",
            now=now,
            starts_at=first_us.ends_at + timedelta(days=1),
            ends_at=first_us.ends_at + timedelta(days=1, hours=1),
            context=CONTEXT,
        )
        session.commit()
        return {"id": first_us.id, "starts_at": first_us.starts_at, "ends_at": first_us.ends_at}


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Europe/Dublin"])
def test_reader_sees_each_window_in_their_own_zone_named(browser, live_server, schedule, zone):
    from playwright.sync_api import expect

    context = browser.new_context(timezone_id=zone, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/maintenance")
        card = page.locator(f"#window-{schedule['id']}")
        expect(card.locator(".reader-time")).to_have_text(
            reader_text(schedule["starts_at"], schedule["ends_at"], zone)
        )
        expect(card.locator(".when")).to_contain_text("09:00–11:00")
        expect(card.locator(".when")).to_contain_text("(America/New_York)")
    finally:
        context.close()


def test_schedule_fits_a_phone_screen(browser, live_server, schedule):
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        timezone_id="Europe/Paris",
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/maintenance")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert "Your time:" in page.locator(f"#window-{schedule['id']}").inner_text()
        page.screenshot(path="/tmp/maintenance.png", full_page=True)
    finally:
        context.close()
