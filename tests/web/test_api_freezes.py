"""Freezes through the API over planned windows: refused listing them until `covered` says
what happens to them; then cancelled, moved or kept in the same request."""

from __future__ import annotations

import pytest

from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.web.test_openapi import response_validator

FREEZE = {
    "title": "Payroll run",
    "region": "us",
    "starts_at": "2026-12-11T00:00:00Z",
    "ends_at": "2026-12-13T00:00:00Z",
}


@pytest.fixture
def world(session):
    """Region us on the second-Saturday rule (Dec 12, 09:00 New York) with one customer."""
    make_region(session, "us")
    make_policy(session, "us")
    make_customer(session, "acme", "us")
    session.commit()


@pytest.fixture
def manager(session):
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


def post(client, manager, **changes):
    return client.post("/api/v1/freezes", headers=manager, json=FREEZE | changes)


def test_a_freeze_over_a_planned_window_needs_a_choice_and_writes_nothing(client, world, manager):
    refused = post(client, manager)

    assert refused.status_code == 422
    error = refused.json["error"]
    assert error["field"] == "covered"
    assert "This freeze covers 1 planned window: window #" in error["message"]
    assert "(us, 2026-12-12 14:00Z, planned)" in error["message"]
    assert len(error["windows"]) == 1
    assert client.get("/api/v1/freezes", headers=manager).json["items"] == []


def test_keeping_covered_windows_needs_a_reason(client, world, manager):
    refused = post(client, manager, covered="keep")
    assert refused.status_code == 422 and refused.json["error"]["field"] == "covered_reason"

    kept = post(client, manager, covered="keep", covered_reason="Reads only")
    assert kept.status_code == 201
    assert [w["status"] for w in kept.json["covered"]] == ["planned"]


def test_moving_covered_windows_answers_where_they_went(client, world, manager):
    moved = post(client, manager, covered="move")

    assert moved.status_code == 201
    response_validator("Freeze").validate(moved.json)
    [window] = moved.json["covered"]
    assert (window["region"], window["starts_at"]) == ("us", "2026-12-13T00:00:00Z")
    assert window["carries"] == []
    listed = client.get("/api/v1/freezes", headers=manager).json["items"]
    assert [f["title"] for f in listed] == ["Payroll run"] and "covered" not in listed[0]


def test_moving_to_a_chosen_time_inside_the_freeze_is_refused(client, world, manager):
    refused = post(client, manager, covered="move", move_to="2026-12-12T15:00:00Z")

    assert refused.status_code == 409 and refused.json["error"]["field"] == "move_to"
    assert client.get("/api/v1/freezes", headers=manager).json["items"] == []


def test_cancelling_covered_windows_skips_them(client, world, manager):
    cancelled = post(client, manager, covered="cancel")

    assert cancelled.status_code == 201
    assert [w["status"] for w in cancelled.json["covered"]] == ["cancelled"]


def test_a_freeze_already_over_is_refused(client, world, manager):
    refused = post(
        client, manager, starts_at="2026-11-01T00:00:00Z", ends_at="2026-11-02T00:00:00Z"
    )

    assert refused.status_code == 422 and refused.json["error"]["field"] == "ends_at"
    assert "would already be over" in refused.json["error"]["message"]
