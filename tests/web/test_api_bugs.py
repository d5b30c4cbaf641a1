"""GET /api/v1/bugs and /api/v1/bugs/{key} as support agents and release managers use them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from jira_sync.config import JiraSettings
from rollout.customers import get_customer
from rollout.jira.bugs import BugRecord, upsert_bug
from rollout.jira.models import Priority, StatusCategory
from rollout.releases import (
    Deployment,
    DeploymentStatus,
    add_item,
    create_release,
    request_hotfix,
)
from rollout.support.models import Ticket, TicketBug
from tests import conftest
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.web.test_openapi import response_validator
from web import create_app


@pytest.fixture
def app(session_factory, clock, tmp_path):
    settings = replace(
        conftest.test_settings(), jira=JiraSettings(url="https://acme.atlassian.net")
    )
    app = create_app(
        settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
    )
    app.config.update(TESTING=True)
    return app


def bug(session, key, **fields):
    record = BugRecord(
        key=key,
        project="ED",
        summary=fields.pop("summary", f"Bug {key}"),
        status=fields.pop("status", "To Do"),
        status_category=fields.pop("status_category", StatusCategory.TO_DO),
        priority=Priority.HIGH,
        severity=None,
        resolution=None,
        fix_versions=fields.pop("fix_versions", ()),
        public_note=None,
        updated_at=NOW - timedelta(hours=1),
    )
    return upsert_bug(session, record, now=NOW)


@pytest.fixture
def world(session):
    """ED-1 fixed by release 2026.12 (its fix version), live on acme's production and
    linked to an acme ticket; ED-2 done; ED-3 an item of 2026.12 with a hotfix too."""
    make_region(session, "us")
    make_policy(session, "us")
    acme = make_customer(session, "acme")
    make_customer(session, "hooli")
    december = create_release(session, version="2026.12", title="December", now=NOW)
    add_item(session, "2026.12", kind="fix", summary="dates", jira_key="ED-3", now=NOW)
    request_hotfix(session, title="Dates", urgency="normal", jira_key="ED-3", actor="rm", now=NOW)
    ed1 = bug(session, "ED-1", fix_versions=("2026.12",))
    bug(session, "ED-2", status="Done", status_category=StatusCategory.DONE)
    bug(session, "ED-3", status="In Progress", status_category=StatusCategory.IN_PROGRESS)
    ticket = Ticket(
        external_id="EXT-1",
        url="https://help.example.com/EXT-1",
        customer_id=acme.id,
        requester_name="Ann",
        requester_email="ann@acme.test",
        subject="Export fails",
        sla_level=2,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(ticket)
    session.flush()
    session.add(TicketBug(ticket_id=ticket.id, bug_id=ed1.id, linked_by="agent", linked_at=NOW))
    production = next(
        e for e in get_customer(session, "acme").environments if e.kind == "production"
    )
    session.add(
        Deployment(
            environment_id=production.id,
            release_id=december.id,
            status=DeploymentStatus.SUCCEEDED,
            finished_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.commit()


@pytest.fixture
def agent(session):
    token = make_token(session, "support_agent")
    session.commit()
    return bearer(token)


def keys(client, headers, query=""):
    response = client.get(f"/api/v1/bugs{query}", headers=headers)
    assert response.status_code == 200, response.json
    validator = response_validator("Bug")
    for item in response.json["items"]:
        validator.validate(item)
    return [b["key"] for b in response.json["items"]]


def test_agents_list_bugs_and_filter_them(client, world, agent):
    assert keys(client, agent) == ["ED-1", "ED-2", "ED-3"]
    assert keys(client, agent, "?status=open") == ["ED-1", "ED-3"]
    assert keys(client, agent, "?status=Done") == ["ED-2"]
    assert keys(client, agent, "?release=2026.12") == ["ED-1", "ED-3"]
    assert keys(client, agent, "?customer=acme") == ["ED-1"]
    assert keys(client, agent, "?customer=hooli") == []


def test_an_unknown_release_or_customer_filter_is_a_404_naming_it(client, world, agent):
    for query, field in (("?release=1999.1", "release"), ("?customer=nobody", "customer")):
        response = client.get(f"/api/v1/bugs{query}", headers=agent)
        assert response.status_code == 404 and response.json["error"]["field"] == field


def test_one_bug_shows_its_tickets_what_carries_it_and_where_it_is_live(client, world, agent):
    response = client.get("/api/v1/bugs/ED-1", headers=agent)
    assert response.status_code == 200
    body = response.json
    response_validator("BugDetail").validate(body)
    assert body["url"] == "https://acme.atlassian.net/browse/ED-1"
    assert [(t["external_id"], t["customer"]) for t in body["tickets"]] == [("EXT-1", "acme")]
    assert [(r["version"], r["via"]) for r in body["releases"]] == [("2026.12", "fix_version")]
    assert body["hotfixes"] == []
    assert body["deployed_to"] == [
        {"name": "acme-production", "kind": "production", "customer": "acme"}
    ]


def test_a_bug_named_by_a_release_item_and_a_hotfix_shows_both(client, world, agent):
    body = client.get("/api/v1/bugs/ED-3", headers=agent).json
    assert [(r["version"], r["via"]) for r in body["releases"]] == [("2026.12", "item")]
    assert [h["title"] for h in body["hotfixes"]] == ["Dates"]
    assert body["deployed_to"][0]["name"] == "acme-production"


def test_an_unknown_bug_is_a_404_naming_the_key(client, world, agent):
    response = client.get("/api/v1/bugs/ED-404", headers=agent)
    assert response.status_code == 404 and response.json["error"]["field"] == "key"


def test_release_managers_may_read_bugs_too(client, world, session):
    manager = bearer(make_token(session, "release_manager"))
    session.commit()
    assert keys(client, manager, "?status=done") == ["ED-2"]


def test_customers_may_not_read_jira_bugs_and_anonymous_callers_must_sign_in(
    client, world, session
):
    customer = bearer(make_token(session, "customer", "acme"))
    session.commit()
    assert client.get("/api/v1/bugs", headers=customer).status_code == 403
    assert client.get("/api/v1/bugs/ED-1", headers=customer).status_code == 403
    assert client.get("/api/v1/bugs").status_code == 401
