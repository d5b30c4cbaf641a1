"""Headers that keep pages from running injected script or being framed, HSTS over HTTPS,
and a wrong bearer token refused on public routes as on the others."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from tests import conftest
from tests.factories import bearer, make_region, make_token
from web import create_app

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


@pytest.mark.parametrize(
    "path", ["/maintenance", "/releases", "/staff/login", "/api/v1/regions", "/nowhere"]
)
def test_every_answer_forbids_inline_script_framing_and_sniffing(client, path):
    response = client.get(path)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_strict_transport_security_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/maintenance").headers


def test_strict_transport_security_when_the_public_url_is_https(session_factory, tmp_path):
    settings = replace(conftest.test_settings(), public_url="https://rollout.example.com")
    app = create_app(settings, session_factory=session_factory, instance_path=tmp_path / "i")
    response = app.test_client().get("/maintenance")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_hold_no_script_or_style_the_policy_would_block(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "an on...= handler attribute"
    assert not re.search(r"\sstyle\s*=|<style", text), "an inline style"
    assert "javascript:" not in text


# ---- bearer tokens on public routes -------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/regions", "/api/openapi.json", "/api/v1/windows"])
def test_a_wrong_bearer_token_is_a_401_on_public_routes_too(client, session, path):
    make_region(session, "us")
    session.commit()
    assert client.get(path).status_code == 200
    wrong = client.get(path, headers=bearer("rol_not-a-token"))
    assert wrong.status_code == 401
    assert wrong.json["error"]["message"] == "unknown or revoked token"
    malformed = client.get(path, headers={"Authorization": "Basic eDp5"})
    assert malformed.status_code == 401


def test_a_valid_bearer_token_reads_the_public_regions(client, session):
    make_region(session, "us")
    token = bearer(make_token(session, "support_agent"))
    session.commit()
    response = client.get("/api/v1/regions", headers=token)
    assert response.status_code == 200 and [r["slug"] for r in response.json["items"]] == ["us"]
