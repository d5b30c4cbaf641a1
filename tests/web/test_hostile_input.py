"""Input built to break the service (NUL bytes, ids past any row, dates past the calendar,
bodies of the wrong shape) is answered 4xx on both databases, never 500."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from channels.config import NotifySettings
from rollout.notifications.models import WebhookEndpoint
from rollout.windows import Window
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.notifications.conftest import LOOPBACK
from tests.web.test_pages import new_window, sign_in

BIG = str(2**31)  # one past PostgreSQL's serial ids
HUGE = str(2**63)  # one past SQLite's


@pytest.fixture
def world(session, app):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    make_policy(session, "us")
    admin = bearer(make_token(session, "admin"))
    session.commit()
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(
        settings, notifications=NotifySettings(allow_private=LOOPBACK)
    )
    return admin


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/releases/a%00b",
        "/calendars/regions/a%00b.ics",
        "/unsubscribe/a%00b",
        "/releases/a%00b",
        "/api/v1/customers/a%00b",
        "/status/a%00b",
    ],
)
def test_a_nul_byte_in_a_path_names_nothing(client, world, url):
    response = client.get(url, headers=world)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["/api/v1/windows?region=a%00b", "/api/v1/windows?customer=a%00b", "/maintenance?a%00=1"]
)
def test_a_nul_byte_in_a_query_parameter_is_a_bad_request(client, world, url):
    response = client.get(url, headers=world | {"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["message"] == "must not contain a NUL byte"


@pytest.mark.parametrize("number", [BIG, HUGE])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/windows/{}",
        "/api/v1/windows/{}/history",
        "/maintenance/windows/{}",
        "/calendars/windows/{}.ics",
        "/windows/{}",
        "/api/v1/policies/{}",
    ],
)
def test_an_id_past_any_row_is_not_found(client, world, url, number):
    response = client.get(url.format(number), headers=world)
    assert response.status_code == 404


@pytest.mark.parametrize("number", [BIG, HUGE, "0"])
def test_changing_or_deleting_a_contact_past_any_row_is_not_found(client, world, number):
    path = f"/api/v1/customers/acme/contacts/{number}"
    assert client.patch(path, headers=world, json={"role": "ops"}).status_code == 404
    assert client.delete(path, headers=world).status_code == 404


@pytest.mark.parametrize("field", ["wave", "hotfix"])
def test_a_deployment_report_naming_an_id_past_any_row_is_not_found(client, world, field):
    report = {"status": "succeeded", field: 2**63}
    if field == "hotfix":
        report["environment"] = "acme-production"
    response = client.post("/api/v1/deployments", headers=world, json=report)
    assert response.status_code == 404
    assert response.json["error"]["field"] == field


def test_moving_a_wave_to_a_window_past_any_row_is_not_found(client, world):
    response = client.patch("/api/v1/waves/1", headers=world, json={"window": 2**31})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59%2B14:00", "0001-01-01T00:00:00-14:00", "9999-12-31", "0001-01-01"],
)
@pytest.mark.parametrize("name", ["from", "to"])
def test_a_date_at_the_end_of_the_calendar_is_a_bad_request(client, world, name, value):
    response = client.get(f"/api/v1/windows?region=us&{name}={value}")
    assert response.status_code == 400
    assert response.json["error"]["field"] == name


def test_a_freeze_check_at_the_end_of_the_calendar_is_a_bad_request(client, world):
    response = client.get("/api/v1/freezes?from=9999-12-31T23:59:59%2B14:00", headers=world)
    assert response.status_code == 400
    assert response.json["error"]["field"] == "from"


@pytest.fixture
def endpoint(client, world, session):
    made = client.post(
        "/api/v1/customers/acme/webhooks", headers=world, json={"url": "http://127.0.0.1:9/in"}
    )
    assert made.status_code == 201, made.json
    return made.json


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"rotate"', b'{"grace_hours": "x"}'])
def test_a_malformed_rotation_body_rotates_nothing(client, world, endpoint, session, raw):
    response = client.post(
        f"/api/v1/customers/acme/webhooks/{endpoint['id']}/rotate",
        headers=world | {"Content-Type": "application/json"},
        data=raw,
    )
    assert response.status_code in (400, 422)
    assert response.json["error"]["field"] in ("body", "grace_hours")
    stored = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint["id"]))
    session.refresh(stored)
    assert stored.version == endpoint["version"]


def test_a_rotation_without_a_body_uses_the_defaults(client, world, endpoint):
    response = client.post(
        f"/api/v1/customers/acme/webhooks/{endpoint['id']}/rotate", headers=world
    )
    assert response.status_code == 200
    assert response.json["secret"] != endpoint["secret"]


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("9999-12-31T18:00:00Z", "9999-12-31T19:00:00Z", "starts_at"),
        ("2026-12-31T18:00:00Z", "9999-12-31T19:00:00Z", "ends_at"),
        ("0001-01-01T10:00:00+14:00", "2026-12-31T19:00:00Z", "starts_at"),
    ],
)
def test_a_window_at_the_end_of_the_calendar_is_refused_and_the_feeds_still_answer(
    client, world, starts_at, ends_at, field
):
    response = client.post(
        "/api/v1/windows",
        json={"title": "Far away", "region": "us", "starts_at": starts_at, "ends_at": ends_at},
        headers=world,
    )
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert "between the years 1900 and 8999" in response.json["error"]["message"]
    assert client.get("/calendars/maintenance.ics").status_code == 200


@pytest.mark.parametrize("field", ["active_from", "active_until"])
def test_a_policy_active_at_the_end_of_the_calendar_is_refused(client, world, field):
    response = client.post(
        "/api/v1/policies",
        json={
            "region": "us",
            "title": "Ancient",
            "cron": "0 9 * * 6#2",
            "duration_minutes": 120,
            field: "0001-01-01" if field == "active_from" else "9999-12-31",
        },
        headers=world,
    )
    assert response.status_code == 422
    assert response.json["error"]["field"] == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/deployments", {"wave": True, "status": "succeeded"}, "wave"),
        ("/api/v1/deployments", {"wave": "7", "status": "succeeded"}, "wave"),
        ("/api/v1/windows/1", {"action": "announce", "sequence": False}, "sequence"),
    ],
)
def test_true_or_text_is_not_read_as_a_number(client, world, path, body, field):
    send = client.patch if path.startswith("/api/v1/windows/") else client.post
    response = send(path, json=body, headers=world)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field


def test_a_nul_in_the_sign_in_email_is_refused_not_a_500(client, world):
    page = client.get("/staff/login")
    token = re.search(r'csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/staff/login",
        data={"csrf_token": token, "email": "rm\x00@example.com", "password": "x"},
    )
    assert response.status_code == 422
    assert "Must not contain control characters" in response.text


def test_a_control_character_already_stored_never_reaches_a_page_raw(client, world, session):
    window = session.scalars(select(Window).order_by(Window.id)).first()
    window.title = "Storage\x01 upgrade\x0b"
    session.commit()
    page = client.get(f"/maintenance/windows/{window.id}").text
    assert "Storage upgrade" in page
    assert "\x01" not in page and "\x0b" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/notifications?limit=%C2%B3",
        "/api/v1/triage?limit=%C2%B3",
        "/api/v1/notifications?limit=%D9%A3",
        "/calendars?alarm=%C2%B3",
        "/calendars/maintenance.ics?alarm=%C2%B3",
        "/calendars/maintenance.ics?alarm=%EF%BC%91",
    ],
)
def test_digits_other_than_ascii_are_not_a_number(client, world, url):
    response = client.get(url, headers=world)
    assert response.status_code == 400


@pytest.mark.parametrize("fix", ["%1E", "%20OPS-1", "ops-1", ""])
def test_which_environments_have_a_fix_needs_a_jira_key(client, world, fix):
    response = client.get(f"/api/v1/environments?fix={fix}", headers=world)
    assert response.status_code == 422
    assert response.json["error"]["field"] == "fix"
    assert client.get("/api/v1/environments?fix=OPS-1", headers=world).status_code == 200


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("when", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_staff_window_form_at_the_end_of_the_calendar_is_refused_by_the_field(
    client, world, session, field, when
):
    sign_in(client, session)
    response = new_window(client, **{field: when})
    assert response.status_code == 422
    assert "between the years 1900 and 8999" in response.text
