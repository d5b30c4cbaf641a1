"""The server-rendered pages through Flask's test client: public schedule, sign-in, calendar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from rollout import access, freezes, windows
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region

PASSWORD = "correct horse battery"
DEC_12 = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)  # second Saturday, 09:00 in New York


@pytest.fixture
def us(session):
    """Region us on the second-Saturday 09:00-11:00 rule, planned from the pinned now."""
    region = make_region(session, "us")
    make_policy(session, "us")
    session.commit()
    return region


def window_at(session, starts_at: datetime) -> windows.Window:
    session.expire_all()
    found = [
        w
        for w in windows.list_windows(
            session, start=starts_at, end=starts_at + timedelta(minutes=1), audience=windows.STAFF
        )
        if w.starts_at == starts_at
    ]
    assert found, f"no window starting at {starts_at}"
    return found[0]


def make_user(session, role="release_manager", email="rm@example.com"):
    user = access.create_user(
        session, email=email, name="Rita Manager", role=role, password=PASSWORD, now=NOW
    )
    session.commit()
    return user


def sign_in(client, session, role="release_manager", email="rm@example.com", *, now=NOW):
    user = make_user(session, role, email)
    sid = access.start_session(session, user=user, now=now)
    session.commit()
    with client.session_transaction() as cookie:
        cookie["sid"] = sid
    return user


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def post_form(client, page: str, action: str, data: dict, prefix: str = ""):
    token = csrf_token(client, page)
    fields = {f"{prefix}{name}": value for name, value in data.items()}
    return client.post(action, data={f"{prefix}csrf_token": token, **fields})


def change(client, window_id: int, action: str, **data):
    page = f"/staff/windows/{window_id}"
    return post_form(client, page, f"{page}/{action}", data, prefix=f"{action}-")


def new_window(client, **data):
    fields = {
        "region": "us",
        "customer": "",
        "kind": "ad_hoc",
        "title": "Database upgrade",
        "starts_at": "2026-12-19T22:00",
        "ends_at": "2026-12-20T01:00",
    } | data
    return post_form(client, "/staff/windows/new", "/staff/windows/new", fields)


# The public schedule


def test_home_page_redirects_to_the_maintenance_schedule(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/maintenance"


def test_public_schedule_shows_each_window_in_its_regions_time_with_the_zone_named(
    client, session, us
):
    make_region(session, "eu")
    make_policy(session, "eu")
    session.commit()
    page = client.get("/maintenance").text
    assert "Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)" in page
    assert "Sat 12 Dec 2026, 09:00–11:00 GMT (Europe/Dublin)" in page
    # After the US spring-forward the window is still at nine, now in daylight time.
    assert "Sat 10 Apr 2027, 09:00–11:00 EDT (America/New_York)" in page
    assert "Jun 2027" not in page  # six months ahead, not more


def test_public_schedule_gives_the_readers_script_each_windows_utc_span(client, us):
    page = client.get("/maintenance").text
    assert (
        '<time datetime="2026-12-12T14:00:00Z" data-end="2026-12-12T16:00:00Z">'
        "Sat 12 Dec 2026, 14:00–16:00 UTC</time>"
    ) in page
    assert "/static/local-times.js" in page
    assert '<meta name="viewport"' in page


def test_schedule_needs_no_sign_in_and_offers_one(client, us):
    response = client.get("/maintenance")
    assert response.status_code == 200
    assert 'href="/staff/login"' in response.text
    assert "Sign out" not in response.text


def test_customer_only_window_never_appears_publicly(client, session, us):
    make_customer(session, "acme")
    own = windows.create_window(
        session,
        title="Acme data migration",
        customer="acme",
        starts_at=DEC_12 + timedelta(days=3),
        ends_at=DEC_12 + timedelta(days=3, hours=2),
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    assert "Acme data migration" not in client.get("/maintenance").text
    response = client.get(f"/maintenance/windows/{own.id}")
    assert response.status_code == 404
    assert "Acme" not in response.text
    assert client.get("/maintenance/windows/999999").text.replace("999999", str(own.id)) == (
        response.text
    )


def test_cancelled_window_is_struck_through_with_its_reason(client, session, us):
    window = window_at(session, DEC_12)
    windows.change_window(
        session,
        window.id,
        change="cancel",
        expected_sequence=0,
        reason="Clashes with the year-end support rota",
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    page = client.get("/maintenance").text
    card = page[page.index(f'id="window-{window.id}"') :]
    card = card[: card.index("</article>")]
    assert "<s>Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)</s>" in card
    assert "Cancelled: Clashes with the year-end support rota" in card


def test_moved_window_shows_where_it_moved_from_and_why_but_not_who(client, session, us):
    window = window_at(session, DEC_12)
    windows.change_window(
        session,
        window.id,
        change="move",
        expected_sequence=0,
        starts_at=DEC_12 + timedelta(days=7),
        reason="Data-centre power work",
        actor="alice@example.com",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    for path in ("/maintenance", f"/maintenance/windows/{window.id}"):
        page = client.get(path).text
        assert (
            "Moved from Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York) "
            "to Sat 19 Dec 2026, 09:00–11:00 EST (America/New_York)"
        ) in page
        assert "Data-centre power work" in page
        assert "alice" not in page


def test_emergency_window_is_highlighted_without_its_internal_justification(client, session, us):
    windows.create_window(
        session,
        title="Security patch",
        region="us",
        kind="emergency",
        justification="CVE in the login service, internal ticket SEC-9",
        starts_at=NOW + timedelta(hours=2),
        ends_at=NOW + timedelta(hours=3),
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    page = client.get("/maintenance").text
    assert "Security patch" in page
    assert "badge-emergency" in page
    assert "SEC-9" not in page


def test_unknown_window_gets_a_404_page_in_the_site_layout(client):
    response = client.get("/maintenance/windows/424242")
    assert response.status_code == 404
    assert "no window #424242" in response.text
    assert "Maintenance schedule" in response.text


# Signing in


def test_staff_calendar_sends_strangers_to_sign_in(client):
    response = client.get("/staff/calendar?months=12")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/staff/calendar?months%3D12"


def test_staff_sign_in_leads_to_the_calendar_and_sign_out_ends_it(client, session, us):
    make_user(session)
    response = post_form(
        client,
        "/staff/login?next=/staff/calendar",
        "/staff/login?next=/staff/calendar",
        {"email": "RM@example.com", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/calendar"
    calendar = client.get("/staff/calendar")
    assert calendar.status_code == 200
    assert "Signed in as Rita Manager." in calendar.text
    response = client.post(
        "/staff/logout", data={"csrf_token": csrf_token(client, "/staff/calendar")}
    )
    assert response.status_code == 302
    assert client.get("/staff/calendar").status_code == 302


def test_wrong_password_shows_the_form_again_without_saying_whether_the_email_exists(
    client, session
):
    make_user(session)
    wrong = post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "rm@example.com", "password": "not the password"},
    )
    unknown = post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "nobody@example.com", "password": PASSWORD},
    )
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert 'name="password"' in response.text
    with client.session_transaction() as cookie:
        assert "sid" not in cookie


def test_sign_in_never_redirects_off_the_site(client, session):
    make_user(session)
    response = post_form(
        client,
        "/staff/login",
        "/staff/login?next=//evil.example/",
        {"email": "rm@example.com", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/staff/calendar"


def test_post_without_csrf_token_is_refused_and_shows_the_form_again_as_typed(
    app, client, session, us
):
    # TESTING does not switch Flask-WTF's CSRF check off; say so explicitly all the same.
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(session)
    response = client.post("/staff/login", data={"email": "rm@example.com", "password": PASSWORD})
    assert response.status_code == 422
    assert "open too long" in response.text and 'value="rm@example.com"' in response.text
    assert "Signed in" not in client.get("/maintenance").text
    sign_in(client, session, email="other@example.com")
    window = window_at(session, DEC_12)
    response = client.post(
        f"/staff/windows/{window.id}/cancel",
        data={"cancel-sequence": 0, "cancel-reason": "no token"},
    )
    assert response.status_code == 422
    assert "open too long" in response.text and 'value="no token"' in response.text
    assert window_at(session, DEC_12).status == "planned"


# The calendar


def test_calendar_shows_six_months_by_default_and_up_to_twenty_four(client, session, us):
    sign_in(client, session, role="support_agent")
    page = client.get("/staff/calendar").text
    assert "November 2026" in page and "April 2027" in page
    assert "May 2027" not in page
    page = client.get("/staff/calendar?months=99").text
    assert "October 2028" in page
    assert "November 2028" not in page


def test_calendar_shows_freezes_and_flags_windows_inside_them(client, session, us):
    freezes.create_freeze(
        session,
        title="Holiday freeze",
        region="us",
        starts_at=datetime(2026, 12, 10, tzinfo=UTC),
        ends_at=datetime(2026, 12, 14, tzinfo=UTC),
        actor="rm",
        now=NOW,
    )
    session.commit()
    sign_in(client, session)
    page = client.get("/staff/calendar").text
    december = page[page.index('id="month-2026-12"') : page.index('id="month-2027-01"')]
    assert "Holiday freeze" in december
    assert "Thu 10 Dec 2026, 00:00 – Mon 14 Dec 2026, 00:00 UTC" in december
    assert "Conflict: inside the freeze “Holiday freeze”" in december


def test_calendar_lists_customer_windows_for_staff(client, session, us):
    make_customer(session, "acme")
    windows.create_window(
        session,
        title="Acme data migration",
        customer="acme",
        starts_at=DEC_12 + timedelta(days=3),
        ends_at=DEC_12 + timedelta(days=3, hours=2),
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    sign_in(client, session, role="support_agent")
    page = client.get("/staff/calendar").text
    # Every customer's own windows are counted per day, and listed for one customer.
    assert "Acme data migration" not in page
    assert "1 customer window<" in page
    only = client.get("/staff/calendar?customer=acme").text
    assert "Acme data migration" in only
    assert "only Acme" in only


def test_release_manager_creates_a_window_read_in_the_regions_zone(client, session, us):
    sign_in(client, session)
    response = new_window(client)
    assert response.status_code == 303
    window = window_at(session, datetime(2026, 12, 20, 3, 0, tzinfo=UTC))
    assert window.title == "Database upgrade"
    assert response.headers["Location"] == f"/staff/windows/{window.id}"
    staff_page = client.get(response.headers["Location"]).text
    assert "rm@example.com" in staff_page
    public = client.get("/maintenance").text
    assert "Sat 19 Dec 2026, 22:00 – Sun 20 Dec 2026, 01:00 EST (America/New_York)" in public


def test_release_manager_moves_a_window_and_its_history_shows_it(client, session, us):
    sign_in(client, session)
    window = window_at(session, DEC_12)
    response = change(
        client,
        window.id,
        "move",
        sequence=0,
        starts_at="2026-12-19T09:00",
        reason="Clashes with the holiday party",
    )
    assert response.status_code == 303
    moved = window_at(session, DEC_12 + timedelta(days=7))
    assert (moved.id, moved.sequence) == (window.id, 1)
    page = client.get(f"/staff/windows/{window.id}").text
    assert f"Window #{window.id} moved." in page
    assert "to Sat 19 Dec 2026, 09:00–11:00 EST (America/New_York)" in page
    assert "by rm@example.com" in page
    public = client.get(f"/maintenance/windows/{window.id}").text
    assert "Clashes with the holiday party" in public


def test_release_manager_extends_and_then_cancels_a_window(client, session, us):
    sign_in(client, session)
    window = window_at(session, DEC_12)
    assert (
        change(
            client,
            window.id,
            "extend",
            sequence=0,
            ends_at="2026-12-12T12:30",
            reason="Index rebuild needs longer",
        ).status_code
        == 303
    )
    assert window_at(session, DEC_12).ends_at == datetime(2026, 12, 12, 17, 30, tzinfo=UTC)
    assert (
        change(
            client, window.id, "cancel", sequence=1, reason="Release slipped to January"
        ).status_code
        == 303
    )
    public = client.get("/maintenance").text
    assert "Sat 12 Dec 2026, 09:00–12:30 EST (America/New_York)" in public
    assert "Cancelled: Release slipped to January" in public


def test_stale_edit_is_refused_with_the_reload_message(client, session, us):
    sign_in(client, session)
    window = window_at(session, DEC_12)
    page = f"/staff/windows/{window.id}"
    token = csrf_token(client, page)
    windows.change_window(
        session,
        window.id,
        change="announce",
        expected_sequence=0,
        actor="someone else",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    response = client.post(
        f"{page}/cancel",
        data={
            "cancel-csrf_token": token,
            "cancel-sequence": 0,
            "cancel-reason": "no longer needed",
        },
    )
    assert response.status_code == 409
    assert "someone changed it; reload" in response.text
    assert window_at(session, DEC_12).status == "announced"


def test_form_error_names_the_field_and_keeps_what_was_typed(client, session, us):
    sign_in(client, session)
    response = new_window(client, starts_at="2026-12-19T22:00", ends_at="2026-12-19T21:00")
    assert response.status_code == 422
    assert re.search(r'id="ends_at-error">The end must be after the start<', response.text)
    assert 'value="Database upgrade"' in response.text
    response = new_window(client, title="", ends_at="not a time")
    assert response.status_code == 422
    assert 'id="title-error"' in response.text
    assert 'id="ends_at-error"' in response.text


def test_emergency_window_needs_a_justification(client, session, us):
    sign_in(client, session)
    response = new_window(client, kind="emergency")
    assert response.status_code == 422
    assert 'id="justification-error">An emergency window needs a justification' in response.text
    response = new_window(client, kind="emergency", justification="Zero-day in the TLS stack")
    assert response.status_code == 303


def test_window_inside_a_freeze_is_refused_unless_overridden_with_a_reason(client, session, us):
    freezes.create_freeze(
        session,
        title="Holiday freeze",
        starts_at=datetime(2026, 12, 18, tzinfo=UTC),
        ends_at=datetime(2026, 12, 22, tzinfo=UTC),
        actor="rm",
        now=NOW,
    )
    session.commit()
    sign_in(client, session)
    refused = new_window(client)
    assert refused.status_code == 409
    assert 'id="starts_at-error">Inside freeze' in refused.text
    assert "override the freeze and say why" in refused.text
    assert "Override the freeze</label>" in refused.text
    unexplained = new_window(client, override_freeze="y")
    assert unexplained.status_code == 422
    assert 'id="override_reason-error"' in unexplained.text
    assert (
        new_window(
            client, override_freeze="y", override_reason="Vendor end-of-support date"
        ).status_code
        == 303
    )


def test_release_manager_creates_a_region_freeze_shown_in_its_months(client, session, us):
    sign_in(client, session)
    fields = {
        "title": "Black Friday",
        "scope": "region",
        "region": "",
        "customer": "",
        "starts_at": "2026-11-27T00:00",
        "ends_at": "2026-12-01T06:00",
        "reason": "Peak traffic",
    }
    missing_region = post_form(client, "/staff/freezes/new", "/staff/freezes/new", fields)
    assert missing_region.status_code == 422
    assert 'id="region-error">Choose the region' in missing_region.text
    response = post_form(
        client, "/staff/freezes/new", "/staff/freezes/new", fields | {"region": "us"}
    )
    assert response.status_code == 302
    page = client.get("/staff/calendar").text
    november = page[page.index('id="month-2026-11"') : page.index('id="month-2027-01"')]
    assert november.count("<strong>Black Friday</strong>") == 2  # it runs into December
    assert "Fri 27 Nov 2026, 00:00 – Tue 1 Dec 2026, 06:00 UTC" in november
    [freeze] = freezes.list_freezes(session)
    assert (freeze.scope, freeze.region.slug, freeze.created_by) == (
        "region",
        "us",
        "rm@example.com",
    )


def test_release_manager_lifts_a_freeze(client, session, us):
    freeze = freezes.create_freeze(
        session,
        title="Holiday freeze",
        starts_at=datetime(2026, 12, 18, tzinfo=UTC),
        ends_at=datetime(2026, 12, 22, tzinfo=UTC),
        actor="rm",
        now=NOW,
    )
    session.commit()
    sign_in(client, session)
    response = post_form(client, "/staff/calendar", f"/staff/freezes/{freeze.id}/lift", {})
    assert response.status_code == 302
    session.expire_all()
    assert freezes.list_freezes(session) == []


def test_support_agent_reads_the_calendar_but_cannot_change_anything(client, session, us):
    sign_in(client, session, role="support_agent")
    window = window_at(session, DEC_12)
    page = client.get(f"/staff/windows/{window.id}")
    assert page.status_code == 200
    assert "Change this window" not in page.text
    assert "New window" not in client.get("/staff/calendar").text
    response = change(client, window.id, "cancel", sequence=0, reason="I should not")
    assert response.status_code == 403
    assert client.get("/staff/windows/new").status_code == 403
    assert window_at(session, DEC_12).status == "planned"
