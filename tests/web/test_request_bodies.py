"""Hostile bodies: too big (with or without Content-Length), nested too deep, or signed with
a header no HMAC could produce. Each gets a clear 4xx, never a 500, and a big one is not
read whole."""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from waitress import wasyncore
from werkzeug.serving import make_server

from jira_sync.config import JiraSettings
from jira_sync.webhook import sign as jira_sign
from tests import conftest
from tests.factories import bearer, make_region, make_token
from web import create_app
from web.api.helpdesk import sign as helpdesk_sign
from web.cli import wsgi_server

JIRA_SECRET = "jira-secret"
HELPDESK_SECRET = "helpdesk-secret"
DEEP = b"[" * 100_000 + b"]" * 100_000
MiB = 1024 * 1024


def settings(database_url: str = "sqlite://", **overrides):
    return replace(
        conftest.test_settings(database_url),
        jira=JiraSettings(webhook_secret=JIRA_SECRET, projects=("ED",)),
        helpdesk_webhook_secret=HELPDESK_SECRET,
        **overrides,
    )


@pytest.fixture
def app(session_factory, clock, tmp_path):
    app = create_app(
        settings(), session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
    )
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def planner(session) -> dict[str, str]:
    make_region(session, "us")
    token = bearer(make_token(session, "release_manager"))
    session.commit()
    return token


def error(response) -> dict:
    assert response.is_json, response.text
    return response.json["error"]


# ---- size, through the test client (Content-Length given) ---------------------------------


def test_an_api_body_over_a_mebibyte_is_refused_with_413_naming_the_body(client, planner):
    padded = b"{}" + b" " * MiB  # valid JSON: only its size is wrong
    response = client.post(
        "/api/v1/windows", data=padded, headers=planner, content_type="application/json"
    )
    assert response.status_code == 413
    assert error(response)["code"] == "too_large" and error(response)["field"] == "body"
    assert "1,048,576 bytes" in error(response)["message"]


def test_an_api_body_of_exactly_the_cap_is_read(client, planner):
    padded = b"{}".ljust(MiB, b" ")
    response = client.post(
        "/api/v1/windows", data=padded, headers=planner, content_type="application/json"
    )
    assert response.status_code == 422  # read, parsed and validated: the fields are missing


@pytest.mark.parametrize(
    ("path", "header"), [("/hooks/jira", "X-Hub-Signature"), ("/hooks/helpdesk", None)]
)
def test_a_hook_body_over_its_cap_is_413_before_the_signature_is_checked(client, path, header):
    headers = {header: "sha256=" + "0" * 64} if header else {}
    response = client.post(path, data=b" " * (600 * 1024), headers=headers)
    assert response.status_code == 413
    assert error(response) == {
        "code": "too_large",
        "message": "the body is too large: at most 524,288 bytes here",
        "field": "body",
    }


def test_a_form_page_over_the_cap_is_a_413_page(client):
    response = client.post("/staff/login", data={"email": "x" * (2 * MiB), "password": "y"})
    assert response.status_code == 413
    assert "text/html" in response.content_type and "too large" in response.text


# ---- JSON nested too deep ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/windows"),
        ("patch", "/api/v1/windows/1"),
        ("post", "/api/v1/releases"),
        ("post", "/api/v1/tickets"),
    ],
)
def test_json_nested_a_hundred_thousand_deep_is_a_400_naming_the_body(
    client, planner, method, path
):
    response = getattr(client, method)(
        path, data=DEEP, headers=planner, content_type="application/json"
    )
    assert response.status_code == 400
    assert error(response) == {
        "code": "bad_request",
        "message": "the body's JSON is nested too deeply",
        "field": "body",
    }


def test_deep_json_to_an_endpoint_whose_body_is_optional_is_a_400(client, session):
    token = bearer(make_token(session, "admin"))
    session.commit()
    response = client.post(
        "/api/v1/customers/nobody/webhooks/1/rotate",
        data=DEEP,
        headers=token,
        content_type="application/json",
    )
    # Refused before anything is looked up: a malformed body never counts as an absent one.
    assert response.status_code == 400 and error(response)["field"] == "body"


def test_deep_json_signed_correctly_is_a_400_on_both_hooks(client):
    jira = client.post(
        "/hooks/jira", data=DEEP, headers={"X-Hub-Signature": jira_sign(JIRA_SECRET, DEEP)}
    )
    helpdesk = client.post(
        "/hooks/helpdesk",
        data=DEEP,
        headers={
            "X-Rollout-Signature": helpdesk_sign(HELPDESK_SECRET, DEEP),
            "X-Rollout-Delivery": "d-1",
        },
    )
    for response in (jira, helpdesk):
        assert response.status_code == 400 and error(response)["field"] == "body"


# ---- signatures no HMAC could produce -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "header"),
    [("/hooks/jira", "X-Hub-Signature"), ("/hooks/helpdesk", "X-Rollout-Signature")],
)
@pytest.mark.parametrize("value", ["sha256=" + "é" * 64, "sha256=ü", "é"])
def test_a_non_ascii_signature_is_a_401(client, path, header, value):
    response = client.post(path, data=b"{}", headers={header: value, "X-Rollout-Delivery": "d-1"})
    assert response.status_code == 401 and error(response)["field"] == header


# ---- size, on real servers, with bodies streamed in chunks ---------------------------------


@pytest.fixture
def small_caps_app(tmp_path):
    """No database is reached: a body past its cap is refused before anything else."""
    return create_app(
        settings(max_body_bytes=64 * 1024, hook_max_body_bytes=16 * 1024),
        instance_path=tmp_path / "instance",
    )


@pytest.fixture(params=["werkzeug", "waitress"])
def server_port(request, small_caps_app) -> Iterator[int]:
    if request.param == "werkzeug":
        server = make_server("127.0.0.1", 0, small_caps_app, threaded=True)
        port, run, stop = server.server_port, server.serve_forever, server.shutdown
    else:  # as `rollout serve` runs it
        server = wsgi_server(small_caps_app, host="127.0.0.1", port=0, threads=2)
        port, stopping = server.effective_port, threading.Event()

        def run():
            # Sockets are closed by the loop's own thread: closed from another, a socket the
            # loop is still polling is a "bad file descriptor" in that thread.
            while not stopping.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
            server.task_dispatcher.shutdown()  # let the answer in hand finish first
            wasyncore.close_all(server._map)

        def stop():
            stopping.set()
            server.pull_trigger()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield port
    stop()
    thread.join(timeout=10)


def stream(port: int, path: str, *, total: int, chunk: int = 64 * 1024, headers=None):
    """POST `total` bytes of JSON whitespace in chunks, stopping as soon as the server
    answers; returns how much was sent and the answer."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: rollout.test\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    connection.sendall(head.encode() + b"\r\n")
    sent = 0
    while sent < total and not select.select([connection], [], [], 0)[0]:
        size = min(chunk, total - sent)
        try:
            connection.sendall(b"%x\r\n%s\r\n" % (size, b" " * size))
        except OSError:  # the server answered and closed
            break
        sent += size
    if sent == total:
        connection.sendall(b"0\r\n\r\n")
    answer = http.client.HTTPResponse(connection)
    answer.begin()
    body = answer.read()
    connection.close()
    return sent, answer.status, answer.getheader("Content-Type"), body


def test_an_endless_chunked_body_is_cut_off_while_it_streams(server_port):
    budget = 512 * MiB
    sent, status, _, _ = stream(
        server_port, "/hooks/jira", total=budget, headers={"X-Hub-Signature": "sha256=00"}
    )
    assert status == 413
    # Loopback socket buffers hold a few MB; the server stopped reading long before.
    assert sent < 32 * MiB


def test_a_chunked_body_a_little_over_the_hook_cap_is_a_json_413(server_port):
    sent, status, content_type, body = stream(
        server_port, "/hooks/jira", total=40 * 1024, headers={"X-Hub-Signature": "sha256=00"}
    )
    assert (status, content_type) == (413, "application/json")
    assert json.loads(body)["error"]["field"] == "body"


def test_a_chunked_body_of_exactly_the_cap_is_read_whole(server_port):
    cap = 16 * 1024
    signature = jira_sign(JIRA_SECRET, b" " * cap)
    _, status, _, body = stream(
        server_port, "/hooks/jira", total=cap, headers={"X-Hub-Signature": signature}
    )
    # All of it arrived and matched its signature; whitespace alone is not JSON.
    assert (status, json.loads(body)["error"]["field"]) == (400, "body")


def test_a_control_character_in_a_delivery_id_is_refused_on_both_hooks(client, session):
    body = json.dumps({"webhookEvent": "jira:issue_updated"}).encode()
    jira = client.post(
        "/hooks/jira",
        data=body,
        headers={
            "X-Hub-Signature": jira_sign(JIRA_SECRET, body),
            "X-Atlassian-Webhook-Identifier": "a\x00b",
        },
    )
    ticket = json.dumps(
        {
            "external_id": "ZD-1",
            "url": "https://help.example.com/tickets/ZD-1",
            "customer": "acme",
            "requester_name": "Ada",
            "requester_email": "ada@example.com",
            "subject": "Export fails",
            "sla_level": 2,
        }
    ).encode()
    helpdesk = client.post(
        "/hooks/helpdesk",
        data=ticket,
        headers={
            "X-Rollout-Signature": helpdesk_sign(HELPDESK_SECRET, ticket),
            "X-Rollout-Delivery": "d\x00-1",
        },
    )
    assert error(jira)["field"] == "X-Atlassian-Webhook-Identifier"
    assert error(helpdesk)["field"] == "X-Rollout-Delivery"
    assert jira.status_code == helpdesk.status_code == 422
