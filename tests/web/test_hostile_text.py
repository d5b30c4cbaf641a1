"""Text that would break another reader (a feed parser, a mail client, PostgreSQL) is refused
where it comes in, through the API, the staff pages and the help-desk hook, and whatever was
stored before is cleaned on the way out."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from rollout import releases
from rollout.releases import Release
from rollout.windows import Window
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.web.test_pages import new_window, post_form, sign_in

CONTROLS = ["a\x00b", "a\x01b", "a\x0bb", "a\x1fb", "a\x7fb", "a\ud800b"]


@pytest.fixture
def world(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    make_policy(session, "us")
    token = bearer(make_token(session, "admin"))
    session.commit()
    return token


def window_body(**overrides) -> dict:
    return {
        "title": "Database upgrade",
        "region": "us",
        "starts_at": "2026-12-19T22:00:00Z",
        "ends_at": "2026-12-20T01:00:00Z",
    } | overrides


@pytest.mark.parametrize("title", [*CONTROLS, "two\nlines", "two\rlines"])
def test_a_window_title_with_a_control_character_or_line_break_is_refused(
    client, session, world, title
):
    response = client.post("/api/v1/windows", headers=world, json=window_body(title=title))
    assert response.status_code == 422
    assert response.json["error"]["field"] == "title"
    assert session.scalar(select(func.count(Window.id)).where(Window.policy_id.is_(None))) == 0


def test_a_justification_keeps_its_line_breaks_but_not_control_characters(client, world):
    fields = window_body(kind="emergency")
    refused = client.post(
        "/api/v1/windows", headers=world, json=fields | {"justification": "Disk\x07 full"}
    )
    assert refused.status_code == 422
    assert refused.json["error"]["field"] == "justification"
    made = client.post(
        "/api/v1/windows", headers=world, json=fields | {"justification": "Disk full.\r\nNow."}
    )
    assert made.status_code == 201, made.json


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/releases", {"version": "2027.01", "title": "Jan\x01"}, "title"),
        ("/api/v1/freezes", {"title": "x", "starts_at": "2026-12-01T00:00:00Z",
                             "ends_at": "2026-12-02T00:00:00Z", "reason": "r\x00"}, "reason"),
        ("/api/v1/customers/acme/contacts", {"name": "A\x0bda", "email": "a@acme.test"}, "name"),
        ("/api/v1/customers/acme/contacts", {"name": "Ada", "email": "a@acme.test",
                                             "role": "ops\x1b"}, "role"),
    ],
)  # fmt: skip
def test_every_api_text_field_refuses_control_characters(client, world, path, body, field):
    response = client.post(path, headers=world, json=body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field


def test_a_release_item_note_with_a_control_character_is_refused(client, session, world):
    releases.create_release(session, version="2027.01", title="January", now=NOW)
    session.commit()
    item = {"kind": "fix", "summary": "s", "public_note": "Faster\x01 exports"}
    response = client.post("/api/v1/releases/2027.01/items", headers=world, json=item)
    assert response.status_code == 422
    assert response.json["error"]["field"] == "public_note"


def test_the_staff_window_page_refuses_a_control_character_next_to_the_title(
    client, session, world
):
    sign_in(client, session, role="admin", email="admin@example.com")
    response = new_window(client, title="Database\x01 upgrade")
    assert response.status_code == 422
    assert "Must not contain control characters" in response.text
    assert session.scalar(select(func.count(Window.id)).where(Window.policy_id.is_(None))) == 0


def test_the_staff_release_page_refuses_a_two_line_title(client, session, world):
    sign_in(client, session)
    fields = {"version": "2027.02", "title": "February\nrelease", "soak_days": "7"}
    response = post_form(client, "/staff/releases", "/staff/releases", fields)
    assert response.status_code == 422
    assert "Must be one line" in response.text
    assert session.scalar(select(func.count(Release.id))) == 0


def test_the_atom_feed_stays_well_formed_with_a_control_character_stored_in_a_title(
    client, session, world
):
    refused = client.post(
        "/api/v1/releases", headers=world, json={"version": "2027.01", "title": "Jan\x01uary"}
    )
    assert refused.status_code == 422
    release = releases.create_release(session, version="2027.01", title="January", now=NOW)
    releases.add_item(session, "2027.01", kind="fix", summary="s", public_note="Fast", now=NOW)
    releases.plan_release(session, "2027.01", actor="rm", now=NOW)
    release.title = "Jan\x01u\x0bary"  # stored before titles were checked
    session.commit()
    response = client.get("/releases.atom")
    assert response.status_code == 200
    feed = ET.fromstring(response.data)
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in feed.iter()]
    assert "2027.01: January (Scheduled)" in titles
