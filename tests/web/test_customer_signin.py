"""A customer admin signed in with a token sees how to sign out, and signing out ends it."""

from __future__ import annotations

from tests.factories import make_customer, make_region, make_token
from tests.web.test_pages import csrf_token


def test_a_signed_in_customer_can_sign_out_from_any_page(client, session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    token = make_token(session, "customer", customer="acme")
    session.commit()
    client.post(
        "/customer/login",
        data={"csrf_token": csrf_token(client, "/customer/login"), "token": token},
    )
    page = client.get("/customers/acme/notifications")
    assert page.status_code == 200
    assert 'action="/customer/logout"' in page.text and ">Sign in<" not in page.text

    out = client.post("/customer/logout", data={"csrf_token": csrf_token(client, "/maintenance")})

    assert out.headers["Location"] == "/customer/login"
    assert client.get("/customers/acme/notifications").status_code == 302
    assert ">Sign in<" in client.get("/maintenance").text
