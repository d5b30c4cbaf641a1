"""A signed-in contact's home: the next downtime in their zone, what each environment runs
and gets next, open tickets with their fix status, the private addresses (replaced only after
a warning, by admins), their own preferences, and the notices sent lately."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from rollout import notifications, releases, windows
from rollout.customers import get_customer
from rollout.feeds import FeedToken
from rollout.jira.bugs import upsert_bug
from rollout.notifications import Notification
from rollout.support.models import Ticket, TicketBug
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region
from tests.support.test_fix_status_use_cases import bug_record, ticket
from tests.web.contacts import make_contact, sign_in_contact
from tests.web.test_pages import csrf_token


@pytest.fixture
def acme(session):
    """acme in us on the second-Saturday rule; Ada (admin, in Paris) and Bob (who reads)."""
    make_region(session, "us")
    make_policy(session, "us")
    make_customer(session, "acme", "us")
    make_contact(session, timezone="Europe/Paris")
    make_contact(session, email="bob@acme.test", name="Bob", role="Engineer")
    session.commit()


def home(client) -> str:
    page = client.get("/customer")
    assert page.status_code == 200, page.text
    return page.text


def test_strangers_are_sent_to_sign_in(client):
    assert client.get("/customer").headers["Location"] == "/customer/login"


def test_the_next_downtime_is_written_in_the_contacts_own_zone_with_a_countdown(
    client, session, acme
):
    sign_in_contact(client, session)
    page = home(client)
    # Saturday 12 December, 09:00 in New York, is 15:00 in Paris.
    assert "Sat 12 Dec 2026, 15:00–17:00 CET (Europe/Paris)" in page
    assert re.search(r'data-part="days">20<.*data-part="hours">2<', page, re.S)
    [link] = re.findall(r'href="(/calendars/windows/\d+\.ics)">Add to calendar<', page)
    assert client.get(link).mimetype == "text/calendar"


def test_a_window_for_the_customer_alone_comes_first_and_only_its_contacts_may_add_it(
    client, session, acme
):
    own = windows.create_window(
        session,
        title="Database upgrade for Acme",
        region="us",
        customer="acme",
        kind="ad_hoc",
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=1),
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    ics = f"/calendars/windows/{own.id}.ics"
    assert client.get(ics).status_code == 404
    sign_in_contact(client, session)
    page = home(client)
    assert "Database upgrade for Acme" in page and "Tue 24 Nov 2026, 13:00–14:00 CET" in page
    assert f'href="{ics}"' in page and client.get(ics).status_code == 200


def test_each_environment_shows_what_it_runs_and_what_comes_next(client, session, acme):
    releases.create_release(session, version="2026.12", title="Winter", soak_days=0, now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    session.commit()
    sign_in_contact(client, session)
    page = home(client)
    assert "No release recorded yet" in page
    assert "Release 2026.12,\n" in page or "Release 2026.12," in page
    assert page.count("Sat 12 Dec 2026, 15:00–17:00 CET (Europe/Paris)") >= 2


def test_open_tickets_show_their_fix_status_in_plain_words(client, session, acme):
    upsert_bug(session, bug_record("OPS-9"), now=NOW)
    ticket(session, "ZD-1", "acme", "OPS-9")
    ticket(session, "ZD-2", "acme")
    ticket(session, "ZD-3", "acme", "OPS-9")
    [fixed] = session.scalars(select(TicketBug).join(Ticket).where(Ticket.external_id == "ZD-3"))
    fixed.fix_live_at = NOW
    session.commit()
    sign_in_contact(client, session)
    page = home(client)
    assert "ZD-1: Export fails" in page and "Not planned" in page
    assert "ZD-2: Export fails" in page and "We are still looking into it." in page
    assert "ZD-3" not in page  # its fix is live: nothing to wait for


def test_an_admin_makes_the_private_addresses_and_replaces_them_only_after_a_warning(
    client, session, acme
):
    sign_in_contact(client, session)
    page = home(client)
    assert "no private addresses yet" in page and "Make the private addresses" in page
    made = client.post(
        "/customer/addresses/rotate", data={"csrf_token": csrf_token(client, "/customer")}
    )
    assert made.status_code == 302
    page = home(client)
    status = re.search(r'value="http://rollout\.test(/status/[^"]+)"', page).group(1)
    assert re.search(r'value="http://rollout\.test/calendars/customers/[^"]+\.ics"', page)
    assert 'class="copy" data-copy="feed-address" hidden>Copy<' in page
    assert "every calendar subscribed to the feed stops updating" in page
    assert "Yes, replace both addresses" in page
    assert client.get(status).status_code == 200
    client.post("/customer/addresses/rotate", data={"csrf_token": csrf_token(client, "/customer")})
    assert client.get(status).status_code == 404


def make_addresses(client) -> tuple[str, str]:
    """Press the admin's button; the feed and status paths the home then shows."""
    client.post("/customer/addresses/rotate", data={"csrf_token": csrf_token(client, "/customer")})
    page = home(client)
    feed = re.search(r'value="http://rollout\.test(/calendars/customers/[^"]+\.ics)"', page)
    status = re.search(r'value="http://rollout\.test(/status/[^"]+)"', page)
    return feed.group(1), status.group(1)


def change_secret_key(app, key: str) -> None:
    app.config["SECRET_KEY"] = key
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(settings, secret_key=key)


def test_the_address_shown_works_as_a_feed_and_the_database_holds_no_token_text(
    client, session, acme
):
    sign_in_contact(client, session)
    feed, status = make_addresses(client)
    answer = client.get(feed)
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert client.get(status).status_code == 200
    token = feed.removeprefix("/calendars/customers/").removesuffix(".ics")
    for row in session.execute(select(FeedToken.__table__)):
        assert all(token not in str(value) for value in row)


def test_after_the_secret_key_changes_the_addresses_still_work_but_only_replacing_shows_them(
    app, client, session, acme
):
    sign_in_contact(client, session)
    feed, status = make_addresses(client)
    change_secret_key(app, "a new secret key")
    sign_in_contact(client, session)  # the old key's sign-in cookies are void too
    page = home(client)
    assert "Your private addresses cannot be shown here" in page
    assert "/calendars/customers/" not in page and "/status/" not in page
    assert "Yes, replace both addresses" in page and "stop working at once" in page
    assert client.get(feed).status_code == 200 and client.get(status).status_code == 200
    new_feed, _ = make_addresses(client)
    assert client.get(feed).status_code == 404 and client.get(new_feed).status_code == 200


def test_addresses_made_before_the_page_could_show_them_are_not_shown_but_may_be_replaced(
    client, session, acme
):
    sign_in_contact(client, session)
    feed, _ = make_addresses(client)
    session.execute(update(FeedToken).values(nonce=None))
    session.commit()
    page = home(client)
    assert "Your private addresses cannot be shown here" in page
    assert "Yes, replace both addresses" in page and client.get(feed).status_code == 200
    sign_in_contact(client, session, "bob@acme.test")
    page = home(client)
    assert "Ask one of your organisation's admins to replace them" in page
    assert "Yes, replace both addresses" not in page


def test_a_contact_who_is_not_an_admin_reads_the_addresses_but_cannot_replace_them(
    client, session, acme
):
    sign_in_contact(client, session)
    client.post("/customer/addresses/rotate", data={"csrf_token": csrf_token(client, "/customer")})
    sign_in_contact(client, session, "bob@acme.test")
    page = home(client)
    assert "/calendars/customers/" in page and "Yes, replace both addresses" not in page
    refused = client.post(
        "/customer/addresses/rotate", data={"csrf_token": csrf_token(client, "/customer")}
    )
    assert refused.status_code == 403


def test_a_contact_changes_their_own_topics_zone_and_language(client, session, acme):
    sign_in_contact(client, session, "bob@acme.test")
    token = csrf_token(client, "/customer")
    saved = client.post(
        "/customer/preferences",
        data={
            "csrf_token": token,
            "version": "1",
            "locale": "fr",
            "timezone": "Asia/Tokyo",
            "topics": ["hotfixes", "ticket_updates"],
        },
    )
    assert saved.headers["Location"] == "/customer"
    page = home(client)
    # The page that follows is in the language just chosen, the saved message too.
    assert "Vos préférences de notification sont enregistrées." in page
    assert "sam. 12 déc. 2026, 23:00 – dim. 13 déc. 2026, 01:00 JST (Asia/Tokyo)" in page
    session.expire_all()
    contact = bob(session)
    assert (contact.locale, contact.timezone) == ("fr", "Asia/Tokyo")
    assert contact.subscriptions == ["hotfixes", "ticket_updates"]


def test_an_unknown_zone_is_refused_beside_its_field_with_everything_typed_kept(
    client, session, acme
):
    sign_in_contact(client, session, "bob@acme.test")
    refused = client.post(
        "/customer/preferences",
        data={
            "csrf_token": csrf_token(client, "/customer"),
            "version": "1",
            "locale": "fr",
            "timezone": "Paris",
            "topics": ["hotfixes"],
        },
    )
    assert refused.status_code == 422
    assert 'id="timezone-error"' in refused.text and 'value="Paris"' in refused.text
    assert 'value="hotfixes" id="topic-hotfixes" checked' in refused.text
    assert 'value="maintenance" id="topic-maintenance" checked' not in refused.text
    session.expire_all()
    assert bob(session).timezone == "America/New_York"


def test_preferences_saved_over_a_newer_change_are_refused_not_lost(client, session, acme):
    sign_in_contact(client, session, "bob@acme.test")
    token = csrf_token(client, "/customer")
    data = {"csrf_token": token, "version": "1", "locale": "en", "timezone": "UTC"}
    assert client.post("/customer/preferences", data=data).status_code == 302
    stale = client.post("/customer/preferences", data=data | {"timezone": "Asia/Tokyo"})
    assert stale.status_code == 409 and "Someone changed this" in stale.text


def test_recent_notices_to_the_customer_are_listed_in_words(client, session, acme):
    sign_in_contact(client, session)
    window = windows.list_windows(
        session, start=NOW, end=NOW + timedelta(days=40), customer=_acme(session)
    )[0]
    windows.change_window(
        session,
        window.id,
        change="announce",
        expected_sequence=window.sequence,
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    assert session.query(Notification).count() > 0
    page = home(client)
    assert "Maintenance announced" in page and "to ada@acme.test" in page


def _acme(session):
    return get_customer(session, "acme")


def bob(session):
    [contact] = [c for c in notifications.list_contacts(session, _acme(session)) if c.name == "Bob"]
    return contact
