"""A customer contact signs in by an emailed link: the same answer for any address, the link
emailed at once (or printed in development without SMTP), a button to press, plain words for
a bad link; admins manage contacts and webhooks, other contacts read."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import timedelta

import pytest

from channels.config import NotifySettings
from tests import conftest
from tests.factories import make_customer, make_region
from tests.notifications.conftest import smtp_settings
from tests.notifications.servers import smtp_server
from tests.web.contacts import link_secret, make_contact, sign_in_contact
from tests.web.test_pages import csrf_token, sign_in
from web import create_app


@pytest.fixture
def acme(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    contact = make_contact(session, timezone="Europe/Paris")
    session.commit()
    return contact


def ask_for_link(client, email: str, **headers):
    token = csrf_token(client, "/customer/login")
    return client.post(
        "/customer/login", data={"csrf_token": token, "email": email}, headers=headers
    )


def app_with(session_factory, clock, tmp_path, **changes):
    settings = dataclasses.replace(conftest.test_settings(), **changes)
    app = create_app(
        settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
    )
    app.config.update(TESTING=True)
    return app


def test_strangers_are_offered_customer_and_staff_sign_in(client):
    page = client.get("/maintenance").text
    assert 'href="/customer/login">Customer sign-in<' in page
    assert 'href="/staff/login">Staff sign-in<' in page


def test_a_known_and_an_unknown_address_get_the_same_answer(client, acme):
    known, unknown = ask_for_link(client, "ada@acme.test"), ask_for_link(client, "x@acme.test")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/customer/login/sent"
    page = client.get("/customer/login/sent").text
    assert "If <strong>x@acme.test</strong> is the address of one of our customers" in page
    assert "ask for a new link" in page


def test_the_link_is_emailed_at_once_and_signs_in_only_when_its_button_is_pressed(
    session_factory, clock, tmp_path, acme
):
    with smtp_server() as (inbox, port):
        notify = NotifySettings(smtp=smtp_settings(port))
        client = app_with(session_factory, clock, tmp_path, notifications=notify).test_client()
        assert ask_for_link(client, "ADA@acme.test").status_code == 302
        inbox.wait_for(1)
    [message] = inbox.messages
    assert message["To"] == "Ada <ada@acme.test>"
    assert message["Subject"] == "Your Rollout sign-in link"
    body = message.get_content()
    path = re.search(r"http://rollout\.test(/customer/signin/\S+)", body).group(1)
    assert "works once, within 15 minutes" in body

    opened = client.get(path)
    assert opened.status_code == 200 and ">Sign in</button>" in opened.text
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/customer").status_code == 302  # looking spends nothing
    pressed = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert pressed.headers["Location"] == "/customer"
    assert "Hello Ada" in client.get("/customer").text


def test_without_smtp_in_development_the_link_is_printed_for_the_newcomer(
    session_factory, clock, tmp_path, acme, caplog
):
    client = app_with(session_factory, clock, tmp_path, environment="development").test_client()
    with caplog.at_level(logging.WARNING):
        ask_for_link(client, "ada@acme.test")
    [line] = [r.getMessage() for r in caplog.records if "sign-in link" in r.getMessage()]
    assert "SMTP_HOST is not set" in line
    assert re.search(r"http://rollout\.test/customer/signin/\S+", line)


def test_without_smtp_in_production_no_link_reaches_the_log(client, acme, caplog):
    with caplog.at_level(logging.WARNING):
        ask_for_link(client, "ada@acme.test")
    assert not re.search(r"/customer/signin/", caplog.text)
    assert "no sign-in link could be emailed to ada@acme.test" in caplog.text


@pytest.mark.parametrize(
    ("later", "status", "words"),
    [
        (timedelta(minutes=15), 422, "has expired: each link works for 15 minutes"),
        (timedelta(0), 409, "has already been used: each link works only once"),
    ],
)
def test_an_expired_or_used_link_says_so_and_offers_a_new_one(
    client, session, clock, acme, later, status, words
):
    secret = link_secret(session, "ada@acme.test")
    path = f"/customer/signin/{secret}"
    if not later:
        client.post(path, data={"csrf_token": csrf_token(client, path)})
        client.post("/customer/logout", data={"csrf_token": csrf_token(client, "/maintenance")})
    clock.advance(seconds=later.total_seconds())
    for answer in (client.get(path), client.post(path, data={"csrf_token": "x"})):
        assert answer.status_code == status
        assert words in answer.text
        assert 'href="/customer/login">Ask for a new sign-in link<' in answer.text
    assert client.get("/customer").status_code == 302


def test_a_wrong_link_says_it_is_not_ours(client, acme):
    answer = client.get("/customer/signin/not-a-link")
    assert answer.status_code == 404 and "not one we sent" in answer.text


def test_a_link_pressed_from_a_stale_page_asks_to_press_again_and_still_works(
    client, session, acme
):
    path = f"/customer/signin/{link_secret(session, 'ada@acme.test')}"
    stale = client.post(path, data={})
    assert stale.status_code == 400 and "Please send it again" in stale.text
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302


def test_a_request_form_without_its_token_keeps_the_address_typed(client, acme):
    answer = client.post("/customer/login", data={"email": "ada@acme.test"})
    assert answer.status_code == 422
    assert "Please send it again" in answer.text and 'value="ada@acme.test"' in answer.text


def test_a_mistyped_address_is_refused_beside_the_field_and_kept(client, acme):
    answer = ask_for_link(client, "ada at acme")
    assert answer.status_code == 422
    assert "That is not an email address" in answer.text and 'value="ada at acme"' in answer.text


def test_too_many_links_asked_for_one_address_pause_it_with_the_address_kept(client, acme):
    for _ in range(5):
        assert ask_for_link(client, "ada@acme.test").status_code == 302
    paused = ask_for_link(client, "ada@acme.test")
    assert paused.status_code == 429 and paused.headers["Retry-After"] == "900"
    assert "Please wait 15 min" in paused.text and 'value="ada@acme.test"' in paused.text


def test_an_admin_contact_manages_contacts_and_others_only_read(client, session, acme):
    make_contact(session, email="bob@acme.test", name="Bob", role="Operations")
    session.commit()
    sign_in_contact(client, session, "bob@acme.test")
    header = client.get("/customer").text
    assert ">Your home<" in header and ">Contacts<" not in header
    page = client.get("/customers/acme/notifications")
    assert page.status_code == 200 and "Ada" in page.text
    assert "Add a contact" not in page.text and "may change its contacts" in page.text
    token = csrf_token(client, "/customer")
    refused = client.post(
        "/customers/acme/notifications/contacts",
        data={"csrf_token": token, "name": "Eve", "email": "eve@acme.test"},
    )
    assert refused.status_code == 403

    sign_in_contact(client, session, "ada@acme.test")
    assert ">Contacts<" in client.get("/customer").text
    added = client.post(
        "/customers/acme/notifications/contacts",
        data={
            "csrf_token": csrf_token(client, "/customers/acme/notifications"),
            "name": "Eve",
            "email": "eve@acme.test",
        },
    )
    assert added.status_code == 303  # the forms' POST/redirect/GET answers 303 See Other


def test_a_contact_reaches_only_its_own_customers_contacts(client, session, acme):
    make_customer(session, "globex", "us")
    session.commit()
    sign_in_contact(client, session)
    assert client.get("/customers/globex/notifications").status_code == 403


def test_a_signed_in_contact_can_sign_out_from_any_page(client, session, acme):
    sign_in_contact(client, session)
    page = client.get("/maintenance").text
    assert 'action="/customer/logout"' in page and ">Customer sign-in<" not in page
    out = client.post("/customer/logout", data={"csrf_token": csrf_token(client, "/maintenance")})
    assert out.headers["Location"] == "/customer/login"
    assert client.get("/customer").status_code == 302
    assert ">Customer sign-in<" in client.get("/maintenance").text


def test_staff_are_told_the_customer_home_is_not_theirs(client, session):
    sign_in(client, session)
    assert client.get("/customer").status_code == 403
