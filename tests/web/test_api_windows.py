"""The windows API as a deploy pipeline, a release manager and the public use it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import bearer, make_customer, make_policy, make_region, make_token

NY = ZoneInfo("America/New_York")


@pytest.fixture
def us(session):
    make_region(session, "us")
    make_region(session, "eu")
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    policy = make_policy(session, "us")
    session.commit()
    return policy


@pytest.fixture
def manager(session):
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


def first_window(client, **params):
    query = "&".join(f"{k}={v}" for k, v in ({"region": "us"} | params).items())
    return client.get(f"/api/v1/windows?{query}").json["items"][0]


def test_window_carries_utc_and_local_times_with_offsets(client, us):
    window = first_window(client)
    assert window["starts_at"] == "2026-12-12T14:00:00Z"
    assert window["ends_at"] == "2026-12-12T16:00:00Z"
    assert window["local_start"] == "2026-12-12T09:00:00-05:00"
    assert window["timezone"] == "America/New_York"
    assert window["sequence"] == 0 and window["status"] == "planned"


def test_reader_zone_adds_times_in_that_zone(client, us):
    window = first_window(client, tz="Australia/Sydney")
    assert window["reader_start"] == "2026-12-13T01:00:00+11:00"


def test_unknown_reader_zone_is_refused_naming_tz(client, us):
    response = client.get("/api/v1/windows?tz=Mars/Olympus")
    assert response.status_code == 422
    assert response.json["error"]["field"] == "tz"


def test_ten_years_of_us_windows_are_second_saturdays_at_nine_new_york(client, us):
    response = client.get("/api/v1/windows?region=us&from=2027-01-01&to=2037-01-01")
    items = response.json["items"]
    assert len(items) == 120
    assert any(w["projected"] for w in items) and any(not w["projected"] for w in items)
    for window in items:
        start = datetime.fromisoformat(window["starts_at"]).astimezone(NY)
        end = datetime.fromisoformat(window["ends_at"]).astimezone(NY)
        assert (start.weekday(), (start.day - 1) // 7) == (5, 1)
        assert (start.hour, start.minute, end.hour, end.minute) == (9, 0, 11, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2027-01-01T09:00:00", "from"),
        ("from=2027-02-01&to=2027-01-01", "to"),
        ("status=sleeping", "status"),
        ("region=mars", "region"),
    ],
)
def test_bad_window_queries_name_the_parameter(client, us, query, field):
    response = client.get(f"/api/v1/windows?{query}")
    assert 400 <= response.status_code < 500
    assert response.json["error"]["field"] == field


def test_emergency_window_needs_a_justification(client, us, manager):
    response = client.post(
        "/api/v1/windows",
        headers=manager,
        json={
            "title": "Zero-day",
            "region": "us",
            "kind": "emergency",
            "starts_at": "2026-11-23T02:00:00Z",
            "ends_at": "2026-11-23T03:00:00Z",
        },
    )
    assert response.status_code == 422
    assert response.json["error"]["field"] == "justification"


def test_emergency_window_is_created_and_public(client, us, manager):
    response = client.post(
        "/api/v1/windows",
        headers=manager,
        json={
            "title": "Zero-day",
            "region": "us",
            "kind": "emergency",
            "justification": "CVE-2026-1234 in the TLS stack",
            "starts_at": "2026-11-23T02:00:00Z",
            "ends_at": "2026-11-23T03:00:00Z",
        },
    )
    assert response.status_code == 201, response.json
    public = client.get(f"/api/v1/windows/{response.json['id']}").json
    assert public["kind"] == "emergency" and "justification" not in public


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2026-12-01T10:00:00"}, "starts_at"),
        ({"ends_at": "2026-12-01T09:00:00Z"}, "ends_at"),
        ({"starts_at": "not a date"}, "starts_at"),
        ({"title": ""}, "title"),
        ({"title": 42}, "title"),
        ({"region": "mars"}, "region"),
        ({"region": None}, "region"),
        ({"kind": "regular"}, "kind"),
        ({"colour": "red"}, "colour"),
        ({"override_freeze": True}, "override_reason"),
    ],
)
def test_bad_window_input_is_refused_naming_the_field(client, us, manager, session, change, field):
    window = {
        "title": "Extra",
        "region": "us",
        "starts_at": "2026-12-01T10:00:00Z",
        "ends_at": "2026-12-01T11:00:00Z",
    }
    response = client.post("/api/v1/windows", headers=manager, json=window | change)
    assert response.status_code in (404, 422), response.json
    assert response.json["error"]["field"] == field
    assert len(client.get("/api/v1/windows?region=us&to=2026-12-05").json["items"]) == 0


def test_malformed_json_is_a_400_naming_the_body(client, us, manager):
    response = client.post(
        "/api/v1/windows", headers=manager, data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["field"] == "body"


def test_window_overlapping_another_in_the_region_is_refused(client, us, manager):
    response = client.post(
        "/api/v1/windows",
        headers=manager,
        json={
            "title": "Clash",
            "region": "us",
            "starts_at": "2026-12-12T15:00:00Z",
            "ends_at": "2026-12-12T17:00:00Z",
        },
    )
    assert response.status_code == 409
    assert "overlaps window" in response.json["error"]["message"]


def test_touching_windows_do_not_overlap(client, us, manager):
    response = client.post(
        "/api/v1/windows",
        headers=manager,
        json={
            "title": "Right after",
            "region": "us",
            "starts_at": "2026-12-12T16:00:00Z",
            "ends_at": "2026-12-12T17:00:00Z",
        },
    )
    assert response.status_code == 201


def test_window_in_a_freeze_is_refused_naming_the_freeze_unless_overridden(client, us, manager):
    client.post(
        "/api/v1/freezes",
        headers=manager,
        json={
            "title": "Black Friday",
            "starts_at": "2026-11-27T00:00:00Z",
            "ends_at": "2026-11-30T00:00:00Z",
        },
    )
    window = {
        "title": "Patch",
        "region": "us",
        "kind": "emergency",
        "justification": "CVE",
        "starts_at": "2026-11-28T10:00:00Z",
        "ends_at": "2026-11-28T11:00:00Z",
    }
    refused = client.post("/api/v1/windows", headers=manager, json=window)
    assert refused.status_code == 409
    assert "Black Friday" in refused.json["error"]["message"]
    allowed = client.post(
        "/api/v1/windows",
        headers=manager,
        json=window | {"override_freeze": True, "override_reason": "actively exploited"},
    )
    assert allowed.status_code == 201
    assert "actively exploited" in allowed.json["freeze_override_reason"]
    history = client.get(f"/api/v1/windows/{allowed.json['id']}/history", headers=manager)
    assert "Black Friday" in history.json["items"][0]["reason"]


def test_move_keeps_length_and_records_history(client, us, manager):
    window = first_window(client)
    response = client.patch(
        f"/api/v1/windows/{window['id']}",
        headers=manager,
        json={
            "action": "move",
            "sequence": 0,
            "reason": "Holiday",
            "starts_at": "2026-12-19T09:00:00-05:00",
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["ends_at"] == "2026-12-19T16:00:00Z"
    assert response.json["sequence"] == 1
    history = client.get(f"/api/v1/windows/{window['id']}/history").json["items"]
    assert [(h["sequence"], h["action"]) for h in history] == [(0, "created"), (1, "moved")]
    assert history[1]["reason"] == "Holiday" and "actor" not in history[1]


def test_a_stale_edit_is_refused_not_lost(client, us, manager):
    window = first_window(client)
    url = f"/api/v1/windows/{window['id']}"
    first = client.patch(
        url,
        headers=manager,
        json={
            "action": "extend",
            "sequence": 0,
            "reason": "more time",
            "ends_at": "2026-12-12T17:00:00Z",
        },
    )
    second = client.patch(
        url, headers=manager, json={"action": "cancel", "sequence": 0, "reason": "not needed"}
    )
    assert first.status_code == 200 and second.status_code == 409
    assert second.json["error"]["field"] == "sequence"
    assert client.get(url).json["status"] == "planned"


def test_lifecycle_runs_announced_started_completed(client, us, manager):
    window = first_window(client)
    url = f"/api/v1/windows/{window['id']}"
    for sequence, action in enumerate(["announce", "start", "complete"]):
        response = client.patch(url, headers=manager, json={"action": action, "sequence": sequence})
        assert response.status_code == 200, response.json
    assert client.get(url).json["status"] == "completed"
    again = client.patch(
        url, headers=manager, json={"action": "cancel", "sequence": 3, "reason": "x"}
    )
    assert again.status_code == 409
    assert "completed" in again.json["error"]["message"]


def test_cancel_needs_a_reason(client, us, manager):
    window = first_window(client)
    response = client.patch(
        f"/api/v1/windows/{window['id']}", headers=manager, json={"action": "cancel", "sequence": 0}
    )
    assert response.status_code == 422 and response.json["error"]["field"] == "reason"


def test_skipping_a_holiday_keeps_the_window_cancelled_with_the_reason(client, us, manager):
    window = first_window(client)
    client.patch(
        f"/api/v1/windows/{window['id']}",
        headers=manager,
        json={"action": "skip", "sequence": 0, "reason": "Christmas week"},
    )
    response = client.get(f"/api/v1/windows/{window['id']}/history")
    assert response.json["items"][-1]["action"] == "skipped"
    assert client.get(f"/api/v1/windows/{window['id']}").json["status"] == "cancelled"


def test_customer_window_is_visible_only_to_that_customer_and_staff(client, us, manager, session):
    created = client.post(
        "/api/v1/windows",
        headers=manager,
        json={
            "title": "Acme patch",
            "customer": "acme",
            "starts_at": "2026-12-02T10:00:00Z",
            "ends_at": "2026-12-02T11:00:00Z",
        },
    ).json
    acme = bearer(make_token(session, "customer", "acme"))
    globex = bearer(make_token(session, "customer", "globex"))
    session.commit()
    url = f"/api/v1/windows/{created['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=globex).status_code == 404
    assert client.get(url, headers=acme).json["customer"] == "acme"
    public_titles = [w["title"] for w in client.get("/api/v1/windows?to=2027-01-01").json["items"]]
    assert "Acme patch" not in public_titles


def test_writes_need_a_token_and_a_planning_role(client, us, session):
    agent = bearer(make_token(session, "support_agent"))
    session.commit()
    window = {
        "title": "x",
        "region": "us",
        "starts_at": "2026-12-01T10:00:00Z",
        "ends_at": "2026-12-01T11:00:00Z",
    }
    assert client.post("/api/v1/windows", json=window).status_code == 401
    assert (
        client.post(
            "/api/v1/windows", json=window, headers=bearer("rol_not-a-real-token")
        ).status_code
        == 401
    )
    forbidden = client.post("/api/v1/windows", json=window, headers=agent)
    assert forbidden.status_code == 403 and "release_manager" in forbidden.json["error"]["message"]


def test_unknown_window_is_a_404(client, us):
    assert client.get("/api/v1/windows/999999").status_code == 404
    assert client.get("/api/v1/windows/abc").status_code == 400


def test_public_history_hides_an_emergencys_internal_justification(client, us, manager):
    created = client.post(
        "/api/v1/windows",
        headers=manager,
        json={
            "title": "Zero-day",
            "region": "us",
            "kind": "emergency",
            "justification": "internal: exploit seen at customer globex",
            "starts_at": "2026-11-23T02:00:00Z",
            "ends_at": "2026-11-23T03:00:00Z",
        },
    ).json
    url = f"/api/v1/windows/{created['id']}/history"
    assert "globex" not in client.get(url).get_data(as_text=True)
    assert "globex" in client.get(url, headers=manager).json["items"][0]["reason"]
