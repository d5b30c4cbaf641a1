"""A release manager reads the staff calendar in a real browser, at desktop and phone sizes:
list, month grid and timeline, a region filter, and two releases stacked in one window."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from rollout import access, releases
from rollout.customers import create_customer, create_region
from rollout.windows import STAFF, create_policy, create_window, list_windows
from tests.web.accessibility import assert_accessible

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
EMAIL, PASSWORD = "rita@example.com", "a long test password"


@pytest.fixture
def stacked(live_server) -> int:
    """us and eu on the second-Saturday rule, a customer in each, and two releases planned
    now, so both previews share each region's next window. Returns how many months after
    this one that window's month is."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        for slug, zone in (("us", "America/New_York"), ("eu", "Europe/Dublin")):
            create_region(session, slug=slug, name=f"Region {slug}", timezone=zone, now=now)
            create_policy(
                session,
                region=slug,
                title=f"Monthly maintenance {slug}",
                cron="0 9 * * 6#2",
                duration_minutes=120,
                actor="planner",
                now=now,
            )
        create_customer(session, slug="acme", name="Acme", region="us", tier="gold", now=now)
        create_customer(session, slug="initech", name="Initech", region="eu", tier="gold", now=now)
        for version in ("2031.01", "2031.02"):
            releases.create_release(session, version=version, title=version, now=now)
            releases.plan_release(session, version, actor="planner", now=now)
        access.create_user(
            session,
            email=EMAIL,
            name="Rita Manager",
            role="release_manager",
            password=PASSWORD,
            now=now,
        )
        first = min(
            w.starts_at
            for w in list_windows(
                session, start=now, end=now.replace(year=now.year + 1), audience=STAFF
            )
            if w.region.slug == "eu" and w.starts_at > now
        )
        session.commit()
    return (first.year - now.year) * 12 + first.month - now.month


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/staff/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/calendar")


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


@pytest.mark.parametrize("size", SIZES)
def test_release_manager_finds_stacked_releases_in_grid_and_timeline(
    browser, live_server, stacked, size
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size])
    try:
        page = context.new_page()
        sign_in(page, live_server.url)
        expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
        conflict = "Conflict: 2 releases in one window: 2031.01, 2031.02"
        expect(page.get_by_text(conflict).first).to_be_visible()
        assert_accessible(page)
        no_sideways_scroll(page)

        views = page.get_by_role("navigation", name="Calendar views")
        views.get_by_role("link", name="Month grid").click()
        expect(views.get_by_role("link", name="Month grid")).to_have_attribute(
            "aria-current", "page"
        )
        for _ in range(stacked):
            page.get_by_role("link", name="Later").click()
        grid = page.locator("table.month-grid")
        expect(grid).to_be_visible()
        flagged = grid.locator("article.has-conflict").filter(has_text="Monthly maintenance eu")
        expect(flagged.get_by_text(conflict)).to_be_visible()
        expect(
            flagged.get_by_role("list", name="Conflicts of Monthly maintenance eu")
        ).to_be_visible()
        if size == "phone":  # an agenda of the days that have windows
            expect(grid.locator("td.no-windows").first).to_be_hidden()
        assert_accessible(page)
        no_sideways_scroll(page)

        views.get_by_role("link", name="Timeline").click()
        timeline = page.locator("table.timeline")
        expect(timeline.get_by_role("rowheader", name="Region us")).to_be_attached()
        page.get_by_label("Region").select_option("eu")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"view=timeline.*region=eu"))
        expect(timeline.get_by_role("rowheader")).to_have_text(["Region eu"])
        window = timeline.locator("article.has-conflict").first
        window.scroll_into_view_if_needed()
        expect(window).to_contain_text("Monthly maintenance eu")
        expect(window.get_by_text(conflict)).to_be_visible()
        assert_accessible(page)
        no_sideways_scroll(page)
    finally:
        context.close()


CROWD = 8  # customers with a window of their own on one day, more than a page of DAY_PAGE


@pytest.fixture
def crowded(live_server, stacked, monkeypatch) -> datetime:
    """`stacked`, and CROWD customers of us with a window of their own each on the 15th of
    next month (a page of the day's list holds 5 here). Returns when the first starts."""
    from tests.factories import CONTEXT

    monkeypatch.setattr("web.pages.months.DAY_PAGE", 5)
    now = datetime.now(UTC)
    month = now.month % 12 + 1
    day = datetime(now.year + (month == 1), month, 15, 14, tzinfo=UTC)
    with live_server.sessions() as session:
        for n in range(CROWD):
            slug = f"shop{n}"
            create_customer(
                session, slug=slug, name=f"Shop {n}", region="us", tier="standard", now=now
            )
            create_window(
                session,
                title=f"Shop {n} upgrade",
                starts_at=day + timedelta(minutes=10 * n),
                ends_at=day + timedelta(minutes=10 * n + 60),
                customer=slug,
                actor="planner",
                now=now,
                context=CONTEXT,
            )
        session.commit()
    return day


@pytest.mark.parametrize("size", SIZES)
def test_customers_own_windows_fold_into_a_day_whose_list_pages_on(
    browser, live_server, crowded, size
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size])
    try:
        page = context.new_page()
        sign_in(page, live_server.url)
        views = page.get_by_role("navigation", name="Calendar views")
        views.get_by_role("link", name="Month grid").click()
        page.get_by_role("link", name="Later").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"{CROWD} customer windows counted by day"
        )
        grid = page.locator("table.month-grid")
        expect(grid.get_by_text("Shop 1 upgrade")).to_have_count(0)
        folded = grid.get_by_role("link", name=re.compile(rf"^{CROWD} customer windows"))
        expect(folded).to_be_visible()  # on a phone too: the day has windows
        assert_accessible(page)
        no_sideways_scroll(page)

        folded.click()
        expect(page.get_by_role("heading", name=re.compile("^Windows starting"))).to_be_visible()
        listed = page.locator("article.cal-window")
        expect(listed).to_have_count(5)
        expect(listed.first).to_contain_text("only Shop 0")
        assert_accessible(page)
        no_sideways_scroll(page)

        page.get_by_role("link", name="Later windows this day").click()
        expect(listed).to_have_count(CROWD - 5)
        expect(listed.first).to_contain_text("Shop 5 upgrade")
        expect(page.get_by_role("link", name="Later windows this day")).to_have_count(0)
        page.get_by_role("link", name="First windows of the day").click()
        expect(listed.first).to_contain_text("Shop 0 upgrade")
        # The day's list keeps the kind filter: the shops' windows are ad hoc, none regular.
        day_url = page.url
        page.goto(f"{day_url}&kind=regular")
        expect(page.get_by_text("No windows.")).to_be_visible()
        page.goto(f"{day_url}&kind=ad_hoc")
        expect(listed).to_have_count(5)
        expect(page.get_by_role("link", name="Later windows this day")).to_have_attribute(
            "href", re.compile("kind=ad_hoc")
        )
        page.goto(day_url)

        # A planner looking for one customer's window still finds it by the filter.
        page.get_by_role("link", name="Back to the month").click()
        page.get_by_label("Customer").select_option("shop6")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("table.month-grid").get_by_text("Shop 6 upgrade")).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()
