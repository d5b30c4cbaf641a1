"""A release manager in a real browser, at desktop and phone sizes: plans a release, reads
its rollout board, records a wave's outcome, is refused a success before the window, then
records it as run early with the reason; the release and hotfix pages pass axe-core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rollout import access, releases
from tests.factories import two_regions_with_customers
from tests.web.accessibility import assert_accessible

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
EMAIL, PASSWORD = "rm@example.com", "a long test password"


@pytest.fixture
def world(live_server) -> int:
    """Regions us and eu with a customer each, a release manager, and a patch for Acme."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        two_regions_with_customers(session, now=now)
        access.create_user(
            session, email=EMAIL, name="Rita", role="release_manager", password=PASSWORD, now=now
        )
        patch = releases.request_hotfix(
            session, title="CSV import", urgency="normal", customers=["acme"], actor="rm", now=now
        )
        session.commit()
        return patch.id


@pytest.mark.parametrize("size", SIZES)
def test_a_release_manager_plans_reads_the_board_and_records_a_wave_early_only_with_a_reason(
    browser, live_server, world, size
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        page.goto(f"{live_server.url}/staff/releases")
        page.get_by_text("New release", exact=True).click()
        page.get_by_label("Version").fill("2027.01")
        page.get_by_label("Title").fill("January release")
        page.get_by_role("button", name="Create draft").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("2027.01")
        page.get_by_role("button", name="Plan waves").click()

        board = page.locator("table.board")
        expect(board).to_be_visible()
        expect(board.get_by_role("row", name="Region us")).to_contain_text("1 scheduled")
        expect(page.locator(".board-total")).to_have_text("0 of 4 environments done.")
        assert_accessible(page)

        wave = page.locator("article.wave").first
        outcome = wave.locator(".wave-outcome")
        outcome.get_by_label("Wave 1: outcome").select_option(label="In progress")
        outcome.get_by_role("button", name="Record").click()
        expect(page.locator(".flash").first).to_contain_text("Wave 1 recorded as in progress")
        expect(board.get_by_role("row", name=wave_region(page))).to_contain_text("1 in progress")

        outcome = page.locator("article.wave").first.locator(".wave-outcome")
        outcome.get_by_label("Wave 1: outcome").select_option(label="Succeeded")
        outcome.get_by_label("Wave 1: note").fill("pipeline #7")
        outcome.get_by_role("button", name="Record").click()
        outcome = page.locator("article.wave").first.locator(".wave-outcome")
        expect(outcome.locator(".error")).to_contain_text("ran early, with the reason")
        expect(outcome.get_by_label("Wave 1: note")).to_have_value("pipeline #7")
        expect(page.locator(".board-total")).to_have_text("0 of 4 environments done.")

        outcome.get_by_label("Yes, it ran early").check()
        outcome.get_by_label("Wave 1: why it ran early").fill("Customer asked for Friday")
        outcome.get_by_label("Wave 1: outcome").select_option(label="Succeeded")
        outcome.get_by_role("button", name="Record").click()
        expect(page.locator(".board-total")).to_have_text("1 of 4 environments done.")
        outcome = page.locator("article.wave").first.locator(".wave-outcome")
        expect(outcome.get_by_label("Wave 1: outcome").locator("option")).to_have_text(
            ["Choose an outcome", "Rolled back"]
        )
        expect(page.locator("svg.chart title")).to_have_text("Environments done over time")
        assert_accessible(page)

        page.goto(f"{live_server.url}/staff/hotfixes/{world}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("CSV import")
        expect(page.locator("select").first.locator("option")).to_have_text(
            ["Choose an outcome", "In progress", "Succeeded", "Failed"]
        )
        assert_accessible(page)
    finally:
        context.close()


def wave_region(page) -> str:
    """The board row of the first wave's region, e.g. "Region us"."""
    selector = page.locator("article.wave").first.locator(".where").inner_text()
    return f"Region {selector.rsplit(' in ', 1)[-1].strip()}"
