"""Forms that never lose work: a refusal keeps what was typed and says why in plain words next
to its field, a success redirects to a page (303), a post without its CSRF token comes back as
typed, and a destructive action asks first, naming what will happen."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from rollout import releases
from rollout.jira.bugs import upsert_bug
from rollout.notifications import Contact, create_contact
from rollout.windows import Window
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.support.test_fix_status_use_cases import bug_record
from tests.web.test_pages import (
    DEC_12,
    PASSWORD,
    make_user,
    new_window,
    post_form,
    sign_in,
    window_at,
)
from tests.web.test_support_page import add_ticket, world  # noqa: F401 - a fixture
from web.pages.support import hotfix_url

NOTIFICATIONS = "/customers/acme/notifications"
CONTACT = {
    "name": "Zoë Martin",
    "email": "zoe@acme.example",
    "role": "Night shift",
    "locale": "fr",
    "timezone": "Paris",
    "topics": ["maintenance", "hotfixes"],
}


@pytest.fixture
def us(session):
    """Region us on the second-Saturday rule, as tests/web/test_pages.py has it."""
    make_region(session, "us")
    make_policy(session, "us")
    session.commit()


@pytest.fixture
def acme(session, us):
    make_customer(session, "acme", "us", name="Acme Corp")
    session.commit()


def error_of(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error">([^<]*)<', page)
    assert found, f"no error beside #{field_id}"
    return found.group(1)


def test_a_window_ending_before_it_starts_comes_back_as_typed_saying_so(client, session, us):
    sign_in(client, session)
    response = new_window(
        client, title="Kernel patching", starts_at="2026-12-19T22:00", ends_at="2026-12-19T21:00"
    )
    assert response.status_code == 422
    assert error_of(response.text, "ends_at") == "The end must be after the start"
    assert "ends_at" not in error_of(response.text, "ends_at")
    for typed in (
        'value="Kernel patching"',
        'value="2026-12-19T22:00"',
        'value="2026-12-19T21:00"',
    ):
        assert typed in response.text
    assert re.search(r'<option selected value="us">|<option value="us" selected', response.text)
    assert session.scalars(select(Window).where(Window.title == "Kernel patching")).all() == []


def test_a_contact_with_a_city_for_a_zone_is_offered_the_zone_and_keeps_what_was_typed(
    client, session, acme
):
    sign_in(client, session)
    response = post_form(client, NOTIFICATIONS, f"{NOTIFICATIONS}/contacts", CONTACT)
    assert response.status_code == 422
    assert error_of(response.text, "new-timezone") == "Unknown time zone: try Europe/Paris"
    assert "timezone:" not in response.text
    for typed in ('value="Zoë Martin"', 'value="zoe@acme.example"', 'value="Night shift"'):
        assert typed in response.text
    assert 'value="Paris"' in response.text
    assert re.search(r'<option (lang="fr" )?selected value="fr">Français', response.text)
    checked = re.findall(r'id="new-(\w+)"\s*checked', response.text)
    assert checked == ["maintenance", "hotfixes"]
    assert session.scalars(select(Contact)).all() == []


def test_a_contact_edit_refused_shows_the_message_beside_that_contacts_zone(client, session, acme):
    customer = make_customer(session, "globex", "us")
    contact = create_contact(session, customer, name="Ops", email="ops@globex.example", now=NOW)
    session.commit()
    sign_in(client, session)
    page = "/customers/globex/notifications"
    response = post_form(
        client,
        page,
        f"{page}/contacts/{contact.id}",
        {"version": contact.version, "timezone": "new york", "topics": ["maintenance"]},
    )
    assert response.status_code == 422
    assert error_of(response.text, f"tz-{contact.id}") == "Unknown time zone: try America/New_York"
    assert 'value="new york"' in response.text


def test_the_api_keeps_naming_the_field_in_its_plain_message(client, session, acme):
    headers = bearer(make_token(session, "release_manager"))
    session.commit()
    contact = client.post(
        "/api/v1/customers/acme/contacts",
        headers=headers,
        json={"name": "Zoë", "email": "zoe@acme.example", "timezone": "Paris"},
    )
    assert contact.status_code == 422
    assert contact.json["error"]["field"] == "timezone"
    assert contact.json["error"]["message"] == "unknown time zone: try Europe/Paris"


def test_successful_posts_answer_303_to_a_page_that_shows_what_was_done(client, session, acme):
    sign_in(client, session)
    created = new_window(client)
    assert created.status_code == 303
    page = client.get(created.headers["Location"])
    assert page.status_code == 200 and "created." in page.text
    added = post_form(
        client, NOTIFICATIONS, f"{NOTIFICATIONS}/contacts", CONTACT | {"timezone": "Europe/Paris"}
    )
    assert (added.status_code, added.headers["Location"]) == (303, NOTIFICATIONS)
    assert "Contact added." in client.get(NOTIFICATIONS).text


def test_a_refused_changes_address_reloaded_leads_back_to_the_window(client, session, us):
    sign_in(client, session)
    window = window_at(session, DEC_12)
    reloaded = client.get(f"/staff/windows/{window.id}/move")
    assert reloaded.status_code == 303
    assert reloaded.headers["Location"] == f"/staff/windows/{window.id}#change-move"


def test_a_form_posted_without_its_csrf_token_comes_back_as_typed(app, client, session, acme):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, session)
    response = client.post(f"{NOTIFICATIONS}/contacts", data=CONTACT | {"timezone": "UTC"})
    assert response.status_code == 422
    assert "This page had been open too long" in response.text
    assert 'value="Zoë Martin"' in response.text and 'value="zoe@acme.example"' in response.text
    assert session.scalars(select(Contact)).all() == []
    window = client.post(
        "/staff/windows/new",
        data={"region": "us", "title": "Kept", "starts_at": "2026-12-19T22:00"},
    )
    assert window.status_code == 422 and 'value="Kept"' in window.text
    fresh = re.search(r'csrf_token"[^>]*value="([^"]+)"', window.text).group(1)
    sent_again = client.post(
        "/staff/windows/new",
        data={
            "csrf_token": fresh,
            "region": "us",
            "kind": "ad_hoc",
            "title": "Kept",
            "starts_at": "2026-12-19T22:00",
            "ends_at": "2026-12-19T23:00",
        },
    )
    assert sent_again.status_code == 303


def test_a_button_posted_without_its_csrf_token_is_told_so_in_plain_words(app, client, session):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, session)
    response = client.post("/staff/freezes/1/lift")
    assert response.status_code == 400
    assert "open too long" in response.text and "CSRF" not in response.text


def test_cancelling_a_window_or_removing_a_contact_asks_first_naming_what_happens(
    client, session, acme
):
    from rollout.customers import get_customer

    create_contact(
        session, get_customer(session, "acme"), name="Ada", email="ada@a.example", now=NOW
    )
    session.commit()
    sign_in(client, session)
    window = window_at(session, DEC_12)
    page = client.get(f"/staff/windows/{window.id}").text
    cancel = page[page.index('id="change-cancel"') :]
    cancel = cancel[: cancel.index("</details>")]
    assert "<summary>Cancel window</summary>" in cancel
    assert "will not take place" in cancel and "cannot be undone" in cancel
    assert "Yes, cancel the window</button>" in cancel
    contacts = client.get(NOTIFICATIONS).text
    assert "<summary>Remove Ada</summary>" in contacts
    assert "Ada (ada@a.example) will no longer hear from us" in contacts
    assert "Yes, remove the contact</button>" in contacts


def test_the_freeze_override_is_asked_for_in_the_words_of_its_checkbox(client, session, us):
    sign_in(client, session)
    page = client.get("/staff/windows/new").text
    assert "Override the freeze</label>" in page
    assert '<label for="override_reason">Why override the freeze</label>' in page
    refused = new_window(client, override_freeze="y")
    assert error_of(refused.text, "override_reason") == "Say why the freeze may be overridden"


def test_a_support_agent_lands_on_support_after_signing_in(client, session):
    make_user(session, "support_agent", "agent@example.com")
    session.commit()
    response = post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "agent@example.com", "password": PASSWORD},
    )
    assert (response.status_code, response.headers["Location"]) == (303, "/support")


# Triage and the lookup link keys and hotfixes the same way


@pytest.fixture
def with_jira(app):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = replace(
        settings, jira=replace(settings.jira, url="https://jira.example.com/")
    )


@pytest.fixture
def hotfixed(world, session):  # noqa: F811 - the fixture imported above
    upsert_bug(session, bug_record("OPS-9", summary="Exports time out"), now=NOW)
    hotfix = releases.request_hotfix(
        session,
        title="Export timeout",
        urgency="normal",
        jira_key="OPS-9",
        actor="rm",
        now=NOW,
    )
    add_ticket(session, "ZD-900", "acme", "OPS-9")
    session.commit()
    return hotfix


def test_triage_links_each_key_to_the_bug_and_to_jira_and_each_carrier_to_its_page(
    app, client, session, with_jira, hotfixed
):
    sign_in(client, session, role="support_agent", email="agent@example.com")
    page = client.get("/triage").text
    assert 'href="/support?q=OPS-9"' in page and 'href="/support?q=OPS-1"' in page
    assert 'href="https://jira.example.com/browse/OPS-9"' in page
    assert f'href="{hotfix_link(app, hotfixed.id)}">hotfix #{hotfixed.id}</a>' in page
    assert 'href="/staff/releases/2026.12">release 2026.12</a>' in page


def test_the_lookup_links_keys_and_hotfixes_as_triage_does(
    app, client, session, with_jira, hotfixed
):
    sign_in(client, session, role="support_agent", email="agent@example.com")
    page = client.get("/support?q=https://help.example.com/tickets/zd-900").text
    assert 'href="/support?q=OPS-9"' in page
    assert 'href="https://jira.example.com/browse/OPS-9"' in page
    assert f'href="{hotfix_link(app, hotfixed.id)}">hotfix #{hotfixed.id}</a>' in page


def hotfix_link(app, hotfix_id: int) -> str:
    """The hotfix's own page once the app has one, its entry on the list until then."""
    with app.test_request_context():
        return hotfix_url(hotfix_id)
