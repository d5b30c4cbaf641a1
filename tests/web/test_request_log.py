"""One log line per request: its id (kept from a proxy or made), route template, status,
duration and who called, by row id; never a token or a password."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from rollout.access import ApiToken
from tests.conftest import settings_from_env
from tests.factories import bearer, make_region, make_token
from web.logs import JSONFormatter
from web.settings import SettingsError


def request_lines(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == "rollout.requests"]


def test_a_request_is_logged_once_with_its_route_status_and_caller(client, session, caplog):
    make_region(session)
    token = make_token(session, role="release_manager")
    token_id = session.scalar(select(func.max(ApiToken.id)))
    with caplog.at_level(logging.INFO, logger="rollout.requests"):
        response = client.get("/api/v1/windows/999", headers=bearer(token))
    assert response.status_code == 404
    [line] = request_lines(caplog)
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/windows/<window_id>"
    assert line["status"] == 404
    assert line["principal"] == f"token:{token_id}"
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert token not in caplog.text


def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(client, caplog):
    with caplog.at_level(logging.INFO, logger="rollout.requests"):
        kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
        replaced = client.get("/healthz", headers={"X-Request-ID": "x" * 200})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.42"
    assert len(replaced.headers["X-Request-ID"]) == 32
    assert [line["request_id"] for line in request_lines(caplog)] == [
        "lb-7f3a.42",
        replaced.headers["X-Request-ID"],
    ]


def test_an_anonymous_caller_and_an_unknown_path_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="rollout.requests"):
        client.get("/no/such/page")
    [line] = request_lines(caplog)
    assert (line["route"], line["status"], line["principal"]) == (None, 404, None)


def test_a_failed_staff_sign_in_never_logs_the_password(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post(
            "/staff/login",
            data={"email": "rm@example.com", "password": "correct horse battery"},
        )
    assert "correct horse battery" not in caplog.text


def test_json_lines_carry_the_fields_for_a_log_collector():
    record = logging.LogRecord("rollout.requests", logging.INFO, __file__, 1, "GET", (), None)
    record.fields = {"request_id": "abc", "status": 200}
    line = json.loads(JSONFormatter().format(record))
    assert line["request_id"] == "abc" and line["status"] == 200
    assert line["level"] == "info" and line["logger"] == "rollout.requests"


@pytest.mark.parametrize("given, read", [("json", "json"), ("TEXT", "text")])
def test_log_format_is_read_from_the_environment(tmp_path, given, read):
    assert settings_from_env(tmp_path, {"LOG_FORMAT": given}).log_format == read


def test_an_unknown_log_format_is_refused_naming_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="LOG_FORMAT must be text or json"):
        settings_from_env(tmp_path, {"LOG_FORMAT": "xml"})
