"""A disabled staff user: signed out at once in every browser, told so at sign-in (only with
the right password), and let back in once enabled."""

from __future__ import annotations

from rollout import access
from tests.conftest import NOW
from tests.web.test_pages import make_user
from tests.web.test_signin_security import sign_in_by_form


def test_a_disabled_user_is_signed_out_everywhere_and_refused_in_plain_words(app, session):
    make_user(session)
    laptop, phone = app.test_client(), app.test_client()
    sign_in_by_form(laptop)
    sign_in_by_form(phone)

    access.disable_user(session, email="rm@example.com", now=NOW)
    session.commit()

    for browser in (laptop, phone):
        page = browser.get("/staff/calendar")
        assert page.status_code == 302 and page.headers["Location"].startswith("/staff/login")
    refused = sign_in_by_form(laptop)
    assert refused.status_code == 403
    assert "This account is disabled. Ask an admin to enable it." in refused.text
    assert laptop.get("/staff/calendar").status_code == 302


def test_a_wrong_password_for_a_disabled_user_does_not_reveal_the_account(app, client, session):
    make_user(session)
    access.disable_user(session, email="rm@example.com", now=NOW)
    session.commit()
    refused = sign_in_by_form(client, password="not the password")
    assert refused.status_code == 401
    assert "Wrong email or password." in refused.text and "disabled" not in refused.text


def test_an_enabled_user_signs_in_again_with_the_same_password(client, session):
    make_user(session)
    access.disable_user(session, email="rm@example.com", now=NOW)
    access.enable_user(session, email="rm@example.com")
    session.commit()
    assert sign_in_by_form(client).status_code == 303
    assert client.get("/staff/calendar").status_code == 200
