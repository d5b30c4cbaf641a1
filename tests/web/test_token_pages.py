"""The admins' page of API tokens: every token with its use and status, never a secret, and
revoking asks first; in a real browser at desktop and phone sizes, passing axe-core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout import access
from tests.conftest import NOW
from tests.factories import bearer
from tests.web.accessibility import assert_accessible
from tests.web.demo_pages import sign_in as sign_in_browser
from tests.web.test_browser_forms import SIZES
from tests.web.test_pages import csrf_token, sign_in


def make_tokens(session) -> dict[str, tuple[access.ApiToken, str]]:
    made = {
        name: access.create_token(session, name=name, role="release_manager", now=NOW)
        for name in ("deploy pipeline", "old laptop")
    }
    access.revoke_token(session, made["old laptop"][0].id, now=NOW)
    session.commit()
    return made


def test_admins_see_every_token_with_its_status_and_never_its_secret(client, session):
    sign_in(client, session, role="admin")
    made = make_tokens(session)
    page = client.get("/staff/tokens")
    assert page.status_code == 200
    assert "deploy pipeline" in page.text and "old laptop" in page.text
    assert page.text.count("Yes, revoke the token") == 1  # the revoked one offers nothing
    for token, secret in made.values():
        assert secret not in page.text and token.token_hash not in page.text


@pytest.mark.parametrize("role", ["release_manager", "support_agent"])
def test_other_staff_may_not_see_or_revoke_tokens(client, session, role):
    sign_in(client, session, role=role)
    [token, _] = make_tokens(session)["deploy pipeline"]
    assert client.get("/staff/tokens").status_code == 403
    assert client.post(f"/staff/tokens/{token.id}/revoke").status_code in (400, 403)
    assert "API tokens" not in client.get("/staff/calendar").text


def test_revoking_on_the_page_refuses_the_token_at_once(client, session):
    sign_in(client, session, role="admin")
    token, secret = make_tokens(session)["deploy pipeline"]
    done = client.post(
        f"/staff/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(client, "/staff/tokens")},
        follow_redirects=True,
    )
    assert "Token “deploy pipeline” revoked" in done.text
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 401
    unknown = client.post(
        "/staff/tokens/999999/revoke", data={"csrf_token": csrf_token(client, "/staff/tokens")}
    )
    assert unknown.status_code == 404 and "no token #999999" in unknown.text


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_an_admin_revokes_a_token_in_the_browser_after_being_asked(
    browser, live_server, demo, size
):
    from playwright.sync_api import expect

    with live_server.sessions() as session:
        access.create_token(
            session,
            name="deploy pipeline",
            role="release_manager",
            expires_at=datetime.now(UTC) + timedelta(days=90),
            now=datetime.now(UTC),
        )
        session.commit()
    context = browser.new_context(viewport=SIZES[size])
    try:
        sign_in_browser(context, live_server.url)
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/calendar")
        page.get_by_role("link", name="API tokens").click()
        card = page.locator(".token", has_text="deploy pipeline")
        expect(card.locator(".badge")).to_have_text("active")
        assert_accessible(page)
        card.get_by_text("Revoke “deploy pipeline”").click()
        expect(card.get_by_text("will be refused from now on")).to_be_visible()
        assert_accessible(page)
        card.get_by_role("button", name="Yes, revoke the token").click()
        expect(page.get_by_text("Token “deploy pipeline” revoked")).to_be_visible()
        expect(page.locator(".token", has_text="deploy pipeline").locator(".badge")).to_have_text(
            "revoked"
        )
        assert_accessible(page)
    finally:
        context.close()
