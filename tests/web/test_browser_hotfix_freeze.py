"""A planner and two release managers in a real browser, at desktop and phone sizes: a freeze
over a planned window lists it and moves it in the same step; an approver sees each region's
emergency start in its own time before approving; the requester is offered no approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rollout import access, releases
from rollout.windows import Window, WindowKind, WindowStatus
from tests.factories import two_regions_with_customers
from tests.web.accessibility import assert_accessible

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "a long test password"
REQUESTER, APPROVER = "ana@example.com", "ben@example.com"


@pytest.fixture
def world(live_server) -> Window:
    """Regions us and eu with monthly windows, a customer in each, two release managers, and
    release 2026.12 planned; the first us window it uses."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        two_regions_with_customers(session, now=now)
        for email in (REQUESTER, APPROVER):
            access.create_user(
                session,
                email=email,
                name=email,
                role="release_manager",
                password=PASSWORD,
                now=now,
            )
        releases.create_release(session, version="2026.12", title="December", now=now)
        releases.plan_release(session, "2026.12", actor="planner", now=now)
        first = session.scalars(
            select(Window)
            .where(
                Window.kind == WindowKind.REGULAR,
                Window.status == WindowStatus.PLANNED,
                Window.starts_at > now,
            )
            .order_by(Window.starts_at)
        ).first()
        session.expunge(first)
        session.commit()
    return first


def signed_in(browser, live_server, email: str, size: str):
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def utc_input(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("size", SIZES)
def test_a_planner_freezes_over_a_planned_window_and_moves_it(browser, live_server, world, size):
    from playwright.sync_api import expect

    context, page = signed_in(browser, live_server, REQUESTER, size)
    try:
        page.goto(f"{live_server.url}/staff/freezes/new")
        page.get_by_label("Title").fill("Payroll run")
        page.get_by_label("Everyone").check()
        page.get_by_label("Starts (UTC)").fill(utc_input(world.starts_at - timedelta(hours=1)))
        page.get_by_label("Ends (UTC)").fill(utc_input(world.ends_at + timedelta(hours=1)))
        page.get_by_role("button", name="Create freeze").click()

        covered = page.locator(f"#covered-{world.id}")
        expect(covered).to_contain_text(f"({world.timezone})")
        expect(covered).to_contain_text("Carries release 2026.12")
        expect(page.get_by_label("Title")).to_have_value("Payroll run")
        assert_accessible(page)

        page.get_by_label("Move each to the first free slot after the freeze").check()
        page.get_by_role("button", name="Create freeze and apply my choice").click()

        expect(page.locator(".flash").first).to_contain_text("moved")
        expect(page.get_by_text("Payroll run").first).to_be_visible()
        assert_accessible(page)
        page.get_by_text("Lift", exact=True).first.click()
        expect(
            page.get_by_text("Lifting “Payroll run” lets deployments go ahead").first
        ).to_be_visible()
    finally:
        context.close()
    with live_server.sessions() as session:
        moved = session.get(Window, world.id)
        assert moved.starts_at >= world.ends_at + timedelta(hours=1)


@pytest.mark.parametrize("size", SIZES)
def test_an_approver_sees_each_regions_local_time_before_approving(
    browser, live_server, world, size
):
    from playwright.sync_api import expect

    with live_server.sessions() as session:
        hotfix = releases.request_hotfix(
            session,
            title="TLS zero-day",
            urgency="zero_day",
            justification="Exploited in the wild",
            actor=REQUESTER,
            now=datetime.now(UTC),
        )
        session.commit()
        hotfix_id = hotfix.id

    context, page = signed_in(browser, live_server, REQUESTER, size)
    try:
        page.goto(f"{live_server.url}/staff/hotfixes")
        card = page.locator(f"#hotfix-{hotfix_id}")
        expect(card).to_contain_text(f"Waiting for a release manager other than {REQUESTER}")
        expect(card.get_by_role("link", name="Review times and approve")).to_have_count(0)
        assert_accessible(page)
    finally:
        context.close()

    context, page = signed_in(browser, live_server, APPROVER, size)
    try:
        page.goto(f"{live_server.url}/staff/hotfixes")
        page.locator(f"#hotfix-{hotfix_id}").get_by_role(
            "link", name="Review times and approve"
        ).click()
        proposals = page.locator(".proposals")
        expect(proposals).to_contain_text("us:")
        expect(proposals).to_contain_text("America/New_York (")
        expect(proposals).to_contain_text("Europe/Dublin (")
        expect(proposals).to_contain_text("UTC)")
        assert_accessible(page)
        page.get_by_role("button", name="Approve and schedule").click()
        expect(page.locator(f"#hotfix-{hotfix_id}")).to_contain_text("Emergency maintenance")
        assert_accessible(page)
    finally:
        context.close()
