"""What schemathesis found, pinned one by one: an undeclared method names the allowed ones,
JSON numbers and booleans are not read as dates or day counts, and the document is as strict
as the validation behind it."""

from __future__ import annotations

import re

import pytest

from tests.factories import bearer, make_policy, make_region, make_token
from web.api.openapi import document


@pytest.fixture
def admin(session):
    make_region(session, "us")
    token = bearer(make_token(session, "admin"))
    session.commit()
    return token


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/api/v1/windows", {"GET", "POST"}),
        ("PUT", "/api/v1/releases/2026.12", {"GET", "PATCH"}),
        ("DELETE", "/api/v1/deploy-check", {"GET"}),
    ],
)
def test_an_undeclared_method_gets_405_naming_the_allowed_ones(client, method, path, allowed):
    answer = client.open(path, method=method)
    assert answer.status_code == 405
    assert allowed <= {m.strip() for m in answer.headers["Allow"].split(",")}
    assert answer.json["error"]["code"] == "method_not_allowed"


def test_a_number_is_not_read_as_a_policy_date(client, session, admin):
    policy = make_policy(session, "us")
    session.commit()
    answer = client.patch(f"/api/v1/policies/{policy.id}", headers=admin, json={"active_from": 0})
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "active_from"
    stored = client.get(f"/api/v1/policies/{policy.id}", headers=admin).json
    assert stored["active_from"] == policy.active_from.isoformat() != "1970-01-01"


def test_a_number_is_not_read_as_a_window_start(client, admin):
    answer = client.post(
        "/api/v1/windows",
        headers=admin,
        # 2030-03-17 17:46 and an hour later, as seconds since 1970
        json={"title": "Patch", "region": "us", "starts_at": 1900000000, "ends_at": 1900003600},
    )
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "starts_at"


@pytest.mark.parametrize("soak_days", [False, True, "3"])
def test_a_boolean_or_text_is_not_read_as_soak_days(client, admin, soak_days):
    made = client.post(
        "/api/v1/releases", headers=admin, json={"version": "2026.12", "title": "December"}
    )
    answer = client.patch(
        "/api/v1/releases/2026.12",
        headers=admin,
        json={"revision": made.json["revision"], "soak_days": soak_days},
    )
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "soak_days"
    assert client.get("/api/v1/releases/2026.12", headers=admin).json["soak_days"] == 7


def test_a_whole_number_written_with_a_point_is_still_a_number_of_days(client, admin):
    answer = client.post(
        "/api/v1/releases",
        headers=admin,
        json={"version": "2026.12", "title": "December", "soak_days": 3.0},
    )
    assert answer.status_code == 201 and answer.json["soak_days"] == 3


def schema_of(name: str, field: str) -> dict:
    found = document()["components"]["schemas"][name]["properties"][field]
    return next((s for s in found.get("anyOf", [found]) if s.get("type") != "null"), found)


def parameter(path: str, name: str, method: str = "get") -> dict:
    params = document()["paths"][path][method]["parameters"]
    return next(p for p in params if p["name"] == name)["schema"]


def test_the_document_bounds_soak_days_as_validation_does():
    for model in ("ReleaseIn", "ReleasePatch"):
        assert schema_of(model, "soak_days") | {"minimum": 0, "maximum": 60} == schema_of(
            model, "soak_days"
        )


@pytest.mark.parametrize(("key", "valid"), [("OPS-123", True), ("", True), ("ops-1", False)])
def test_the_document_states_the_jira_key_pattern(key, valid):
    for model in ("ItemIn", "HotfixIn"):
        assert bool(re.search(schema_of(model, "jira_key")["pattern"], key)) is valid


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/bugs", "status", ""),
        ("/api/v1/bugs", "status", "  "),
        ("/api/v1/environments", "fix", ""),
        ("/api/v1/windows", "status", "planned,soon"),
    ],
)
def test_the_document_refuses_query_values_the_api_refuses(client, admin, path, name, value):
    answer = client.get(path, headers=admin, query_string={name: value})
    assert 400 <= answer.status_code < 500 and answer.json["error"]["field"] == name
    assert not re.search(parameter(path, name)["pattern"], value)
