"""The support agent's page and the triage page: through the test client, and once in a real
browser where an agent types a ticket id and copies the reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout import access, releases
from rollout.customers import create_customer, create_region
from rollout.jira.bugs import upsert_bug
from rollout.support.tickets import create_ticket, link_bug
from rollout.windows import create_policy
from tests.conftest import NOW
from tests.factories import make_customer, make_policy, make_region
from tests.support.test_fix_status_use_cases import bug_record
from tests.web.test_pages import sign_in

PASSWORD = "correct horse battery"


def add_ticket(session, external_id, customer, *keys, now=NOW):
    create_ticket(
        session,
        external_id=external_id,
        url=f"https://help.example.com/tickets/{external_id}",
        customer=customer,
        requester_name="Dana Scully",
        requester_email="dana@example.com",
        subject="Exports time out",
        sla_level=2,
        now=now,
    )
    for key in keys:
        link_bug(session, external_id, key, lookup=None, actor="agent", now=now)


@pytest.fixture
def world(session):
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
    make_customer(session, "acme", "us", name="Acme Corp", tier="gold")
    make_customer(session, "initech", "eu", name="Initech", timezone="Europe/Paris", locale="fr")
    upsert_bug(session, bug_record("OPS-1", summary="Null deref in exporter"), now=NOW)
    releases.create_release(session, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.add_item(session, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    add_ticket(session, "ZD-100", "acme", "OPS-1")
    add_ticket(session, "FR-7", "initech", "OPS-1")
    add_ticket(session, "ZD-101", "acme")
    session.commit()
    return session


def test_strangers_are_sent_to_sign_in(client, world):
    for path in ("/support", "/support?q=ZD-100", "/triage"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")


def test_a_ticket_id_shows_its_customers_status_and_the_reply(client, world):
    sign_in(client, world, role="support_agent", email="agent@example.com")
    page = client.get("/support?q=ZD-100").text
    assert "Acme Corp · ticket ZD-100" in page
    assert "Planned" in page and "release 2026.12" in page
    assert (
        "The fix for OPS-1 is part of release 2026.12, which reaches your production "
        "environment in the maintenance window on Saturday 9 January 2027, 09:00–11:00 EST."
    ) in page
    assert 'class="copy-reply" data-copy="reply-1" hidden' in page
    assert "Null deref" not in page  # Jira's internal summary stays out of the answer


def test_a_jira_key_shows_every_customer_with_a_ticket_on_it(client, world):
    sign_in(client, world, role="support_agent", email="agent@example.com")
    page = client.get("/support?q=ops-1").text
    assert "Acme Corp" in page and "Initech" in page
    assert "Le correctif de OPS-1 fait partie de la version 2026.12" in page
    only = client.get("/support?q=OPS-1&customer=initech&lang=en").text
    assert 'id="customer-acme"' not in only and 'id="customer-initech"' in only
    assert "Saturday 9 January 2027, 10:00–12:00 CET" in only


@pytest.mark.parametrize(
    "typed",
    ["zd-100", " ZD-100 ", "100", "https://help.example.com/tickets/ZD-100", "HTTPS://x/t/zd-100/"],
)
def test_an_agent_finds_a_ticket_by_what_they_paste(client, world, typed):
    sign_in(client, world, role="support_agent", email="agent@example.com")
    page = client.get("/support", query_string={"q": typed})
    assert page.status_code == 200 and "Acme Corp · ticket ZD-100" in page.text


def test_a_pasted_jira_url_names_its_key(client, world):
    sign_in(client, world, role="support_agent", email="agent@example.com")
    page = client.get("/support", query_string={"q": "https://acme.atlassian.net/browse/ops-1"})
    assert page.status_code == 200 and "Acme Corp" in page.text and "Initech" in page.text


def test_a_number_two_help_desks_share_is_not_guessed(client, world):
    add_ticket(world, "FD-100", "initech")
    add_ticket(world, "ZD-1100", "acme")  # ends in 100 too, but its number is 1100
    world.commit()
    sign_in(client, world, role="support_agent", email="agent@example.com")
    both = client.get("/support?q=100")
    assert both.status_code == 422
    assert "several tickets have the number 100 (FD-100, ZD-100)" in both.text
    assert client.get("/support?q=1100").status_code == 200


def test_unknown_input_is_said_plainly(client, world):
    sign_in(client, world, role="support_agent", email="agent@example.com")
    missing = client.get("/support?q=NOPE-9")
    assert missing.status_code == 404 and "no ticket or synced Jira issue" in missing.text
    bad_lang = client.get("/support?q=ZD-100&lang=de")
    assert bad_lang.status_code == 422 and "lang must be one of" in bad_lang.text
    empty = client.get("/support?q=ZD-101")
    assert "No bug is linked to this ticket yet." in empty.text


def test_triage_page_ranks_the_bugs_with_their_vehicle(client, world):
    sign_in(client, world, role="release_manager")
    page = client.get("/triage").text
    assert "OPS-1" in page and "Next window" in page and "release 2026.12" in page
    assert "2 tickets, 2 customers" in page
    nav = client.get("/support").text
    assert 'href="/support" aria-current="page"' in nav and 'href="/triage"' in nav


# ---- in a real browser --------------------------------------------------------------------


@pytest.fixture
def live_world(live_server):
    """A French customer in eu with ticket FR-7 on OPS-1, in release 2026.12; an agent."""
    now = datetime.now(UTC)
    with live_server.sessions() as session:
        create_region(session, slug="eu", name="Europe", timezone="Europe/Dublin", now=now)
        create_policy(
            session,
            region="eu",
            title="Monthly maintenance",
            cron="0 9 * * 6#2",
            duration_minutes=120,
            actor="planner",
            now=now,
        )
        create_customer(
            session,
            slug="irex",
            name="IREX",
            region="eu",
            tier="platinum",
            timezone="Europe/Paris",
            locale="fr",
            now=now,
        )
        upsert_bug(session, bug_record("OPS-1", updated_at=now - timedelta(hours=1)), now=now)
        releases.create_release(session, version="2027.01", title="January", now=now)
        releases.add_item(session, "2027.01", kind="fix", summary="s", jira_key="OPS-1", now=now)
        releases.plan_release(session, "2027.01", actor="rm", now=now)
        add_ticket(session, "FR-7", "irex", "OPS-1", now=now)
        access.create_user(
            session,
            email="agent@example.com",
            name="Agent",
            role="support_agent",
            password=PASSWORD,
            now=now,
        )
        session.commit()


@pytest.mark.browser
def test_an_agent_types_a_ticket_id_and_copies_the_reply(browser, live_server, live_world):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/support")
        page.fill("input[name=email]", "agent@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/support")
        page.fill("#q", "FR-7")
        page.press("#q", "Enter")
        page.wait_for_selector("textarea.reply")
        shown = page.input_value("textarea.reply")
        assert shown.startswith("Le correctif de OPS-1 fait partie de la version 2027.01")
        assert "(heure de Paris, CET)" in shown
        from playwright.sync_api import expect

        button = page.locator("button.copy-reply")
        expect(button).to_be_visible()  # shown by the page's script once it has loaded
        button.click()
        # A locator waits without eval, which the page's Content-Security-Policy forbids.
        expect(button).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == shown
    finally:
        context.close()
