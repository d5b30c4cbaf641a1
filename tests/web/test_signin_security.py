"""Signing in safely: only same-site paths follow sign-in, a session ends for every copy of its
cookie, and guessing passwords is slowed down per account and per client address."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from rollout import access
from rollout.db import make_engine, make_session_factory
from rollout.throttle import SigninFailure, SigninLimits
from tests import conftest
from tests.factories import make_customer, make_region
from tests.web.contacts import make_contact, sign_in_contact
from tests.web.test_pages import PASSWORD, csrf_token, make_user, sign_in
from web import create_app
from web.settings import Settings

EVIL_NEXT = [
    "/%09/127.0.0.1:5300/x",  # a tab browsers drop: "//127.0.0.1:5300/x"
    "/%0A/127.0.0.1:5300/x",  # a newline: it used to break the Location header (500)
    "/%0D%0ALocation:%20https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/%5Cevil.example/",  # "/\evil.example/": browsers read the backslash as a slash
    "%5C%5Cevil.example/",
    "https://evil.example/",
    "HTTPS:evil.example",
    "javascript:alert(1)",
    "%20//evil.example/",
    "evil.example",
]


def sign_in_by_form(client, email="rm@example.com", password=PASSWORD, *, query="", **kwargs):
    token = csrf_token(client, "/staff/login")
    return client.post(
        f"/staff/login{query}",
        data={"csrf_token": token, "email": email, "password": password},
        **kwargs,
    )


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


# Where sign-in leads


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_sign_in_never_leads_off_the_site_however_next_is_written(client, session, target):
    make_user(session)
    response = sign_in_by_form(client, query=f"?next={target}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/calendar"


def test_sign_in_still_leads_back_to_the_page_asked_for_with_its_query(client, session):
    make_user(session)
    response = sign_in_by_form(client, query="?next=/staff/calendar?months%3D12")
    assert response.headers["Location"] == "/staff/calendar?months=12"


# Sessions that end


def test_a_saved_cookie_no_longer_opens_the_calendar_after_sign_out(app, client, session):
    make_user(session)
    sign_in_by_form(client)
    saved = cookie_of(client)
    assert with_cookie(app, saved).get("/staff/calendar").status_code == 200

    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/calendar")})

    replayed = with_cookie(app, saved).get("/staff/calendar")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/staff/login")


def test_signing_in_again_over_an_old_session_ends_the_old_one(app, client, session):
    make_user(session)
    make_user(session, email="other@example.com")
    sign_in_by_form(client)
    saved = cookie_of(client)
    sign_in_by_form(client, "other@example.com")
    assert with_cookie(app, saved).get("/staff/calendar").status_code == 302
    assert client.get("/staff/calendar").status_code == 200


def test_signing_out_in_one_browser_leaves_the_other_signed_in(app, session):
    make_user(session)
    laptop, phone = app.test_client(), app.test_client()
    sign_in_by_form(laptop)
    sign_in_by_form(phone)
    laptop.post("/staff/logout", data={"csrf_token": csrf_token(laptop, "/staff/calendar")})
    assert laptop.get("/staff/calendar").status_code == 302
    assert phone.get("/staff/calendar").status_code == 200


def test_a_new_password_signs_the_user_out_everywhere(app, session):
    make_user(session)
    laptop, phone = app.test_client(), app.test_client()
    sign_in_by_form(laptop)
    sign_in_by_form(phone)

    access.set_password(session, email="rm@example.com", password="a brand new secret")
    session.commit()

    assert laptop.get("/staff/calendar").status_code == 302
    assert phone.get("/staff/calendar").status_code == 302
    assert sign_in_by_form(laptop).status_code == 401
    assert sign_in_by_form(laptop, password="a brand new secret").status_code == 303


def test_a_new_role_signs_the_user_out_and_the_next_sign_in_carries_it(app, client, session):
    make_user(session, role="release_manager")
    sign_in_by_form(client)
    assert client.get("/staff/windows/new").status_code == 200

    access.set_role(session, email="rm@example.com", role="support_agent")
    session.commit()

    assert client.get("/staff/calendar").status_code == 302
    sign_in_by_form(client)
    assert client.get("/staff/calendar").status_code == 200
    assert client.get("/staff/windows/new").status_code == 403


def test_setting_the_same_role_again_keeps_the_user_signed_in(client, session):
    sign_in(client, session, role="support_agent")
    access.set_role(session, email="rm@example.com", role="support_agent")
    session.commit()
    assert client.get("/staff/calendar").status_code == 200


def test_a_saved_customer_cookie_is_dead_after_the_customer_signs_out(app, client, session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    make_contact(session)
    session.commit()
    sign_in_contact(client, session)
    saved = cookie_of(client)
    assert with_cookie(app, saved).get("/customers/acme/notifications").status_code == 200

    client.post("/customer/logout", data={"csrf_token": csrf_token(client, "/maintenance")})

    assert with_cookie(app, saved).get("/customers/acme/notifications").status_code == 302


# Throttling


def test_five_wrong_passwords_pause_the_account_even_for_the_right_one(client, session, clock):
    make_user(session)
    for _ in range(5):
        assert sign_in_by_form(client, password="a wrong guess").status_code == 401

    refused = sign_in_by_form(client)

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    assert "Too many failed sign-ins. Try again in 15 minutes." in refused.text
    with client.session_transaction() as cookie:
        assert "sid" not in cookie
    clock.advance(minutes=15)
    assert sign_in_by_form(client).status_code == 303


def test_the_pause_lifts_as_the_oldest_failure_leaves_the_window(client, session, clock):
    make_user(session)
    for _ in range(5):
        sign_in_by_form(client, password="a wrong guess")
        clock.advance(minutes=1)

    refused = sign_in_by_form(client)
    # The first failure, five minutes ago, stops counting ten minutes from now.
    assert refused.headers["Retry-After"] == "600"
    clock.advance(minutes=10)
    assert sign_in_by_form(client).status_code == 303


def test_failures_older_than_the_window_are_not_kept(client, session, clock):
    for _ in range(3):
        sign_in_by_form(client, "nobody@example.com", "a wrong guess")
    clock.advance(minutes=15)
    sign_in_by_form(client, "someone@example.com", "a wrong guess")
    kept = session.scalars(select(SigninFailure.failed_at)).all()
    assert kept == [clock.now]


def test_an_account_is_paused_whichever_addresses_the_guesses_came_from(client, session):
    make_user(session)
    for n in range(5):
        sign_in_by_form(client, password="a wrong guess", **from_address(f"10.0.0.{n}"))
    assert sign_in_by_form(client, **from_address("10.9.9.9")).status_code == 429


def test_unknown_emails_are_paused_like_real_ones(client, session):
    for _ in range(5):
        sign_in_by_form(client, "nobody@example.com", "a wrong guess")
    assert sign_in_by_form(client, "nobody@example.com", "a wrong guess").status_code == 429


def test_one_address_guessing_many_accounts_is_paused_but_others_are_not(client, session, clock):
    make_user(session)
    for n in range(20):  # four accounts, five guesses each: no account reaches its limit alone
        sign_in_by_form(client, f"user{n % 4}@example.com", "a wrong guess")

    refused = sign_in_by_form(client)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert sign_in_by_form(client, **from_address("10.1.2.3")).status_code == 303


def test_signing_in_to_ones_own_account_does_not_clear_guesses_at_others(client, session):
    make_user(session)
    for n in range(16):
        sign_in_by_form(client, f"user{n % 4}@example.com", "a wrong guess")
    for _ in range(3):
        sign_in_by_form(client, password="a typo in mine")
    # Forgets this address's 3 misses on its own account, not the 16 at other accounts.
    assert sign_in_by_form(client).status_code == 303
    for _ in range(4):
        assert sign_in_by_form(client, "user9@example.com", "a wrong guess").status_code == 401
    assert sign_in_by_form(client, "user9@example.com", "a wrong guess").status_code == 429


def test_a_made_up_forwarded_for_header_does_not_dodge_the_client_limit(client, session):
    for n in range(20):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        sign_in_by_form(client, f"user{n % 4}@example.com", "a wrong guess", headers=headers)
    refused = sign_in_by_form(
        client, "user9@example.com", "x", headers={"X-Forwarded-For": "1.2.3.4"}
    )
    assert refused.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    session_factory, clock, tmp_path
):
    settings = dataclasses.replace(conftest.test_settings(), trusted_proxies=1)
    app = create_app(
        settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
    )
    client = app.test_client()
    for n in range(20):
        headers = {"X-Forwarded-For": "spoofed, 203.0.113.7"}
        sign_in_by_form(client, f"user{n % 4}@example.com", "a wrong guess", headers=headers)
    paused = {"X-Forwarded-For": "203.0.113.7"}
    other = {"X-Forwarded-For": "203.0.113.8"}
    assert sign_in_by_form(client, "user9@example.com", "x", headers=paused).status_code == 429
    assert sign_in_by_form(client, "user9@example.com", "x", headers=other).status_code == 401


def test_simultaneous_guesses_on_postgresql_get_no_more_than_the_limit(
    fresh_postgres_url, tmp_path
):
    engine = make_engine(fresh_postgres_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        make_user(session)
    app = create_app(
        conftest.test_settings(fresh_postgres_url), session_factory=sessions, instance_path=tmp_path
    )
    app.config["WTF_CSRF_ENABLED"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/staff/login"
    start = threading.Barrier(12)
    statuses = []

    def guess() -> None:
        start.wait()
        data = {"email": "rm@example.com", "password": "a wrong guess"}
        statuses.append(
            requests.post(url, data=data, allow_redirects=False, timeout=30).status_code
        )

    try:
        threads = [threading.Thread(target=guess) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.shutdown()
        engine.dispose()
    assert sorted(statuses) == [401] * 5 + [429] * 7


def test_sign_in_limits_and_trusted_proxies_come_from_the_environment(tmp_path):
    env = {
        "SECRET_KEY": "x",
        "SIGNIN_ACCOUNT_LIMIT": "3",
        "SIGNIN_CLIENT_LIMIT": "50",
        "SIGNIN_WINDOW_SECONDS": "60",
        "TRUSTED_PROXIES": "1",
    }
    settings = Settings.from_env(tmp_path, env)
    assert settings.signin_limits == SigninLimits(3, 50, timedelta(seconds=60))
    assert settings.trusted_proxies == 1
    assert Settings.from_env(tmp_path, {"SECRET_KEY": "x"}).signin_limits == SigninLimits(
        5, 20, timedelta(minutes=15)
    )
    with pytest.raises(
        ValueError, match="SIGNIN_ACCOUNT_LIMIT must be a whole number of at least 1"
    ):
        Settings.from_env(tmp_path, env | {"SIGNIN_ACCOUNT_LIMIT": "0"})
