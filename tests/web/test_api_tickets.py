"""Tickets, links, fix status and triage through the JSON API, and the help desk's signed
webhook: as support agents, release managers and customers use them, bad input included."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jira_sync.config import JiraSettings
from rollout import releases
from rollout.jira.bugs import BugRecord, delete_bug, upsert_bug
from rollout.jira.models import Bug, JiraPush, Priority, StatusCategory
from rollout.support.models import Ticket, TicketBug, WebhookReceipt
from tests import conftest
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.jira_stub import EMAIL, TOKEN, JiraStub, make_issue, running
from tests.statements import statements
from tests.web.test_openapi import response_validator
from web import create_app
from web.api.helpdesk import sign

SECRET = "helpdesk-secret"


def build_app(session_factory, clock, tmp_path, **settings):
    app = create_app(
        replace(conftest.test_settings(), helpdesk_webhook_secret=SECRET, **settings),
        session_factory=session_factory,
        clock=clock,
        instance_path=tmp_path / "instance",
    )
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def app(session_factory, clock, tmp_path):
    return build_app(session_factory, clock, tmp_path)


def record(key: str, **overrides) -> BugRecord:
    fields = {
        "key": key,
        "project": key.split("-")[0],
        "summary": f"Internal summary of {key}",
        "status": "In Progress",
        "status_category": StatusCategory.IN_PROGRESS,
        "priority": Priority.HIGH,
        "severity": None,
        "resolution": None,
        "fix_versions": (),
        "public_note": None,
        "updated_at": NOW - timedelta(days=1),
    }
    return BugRecord(**(fields | overrides))


@pytest.fixture
def world(session):
    """acme (us) and initech (eu, French); OPS-1 in release 2026.12; OPS-2 unreleased;
    tokens for each role and for each customer."""
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
    make_customer(session, "acme", "us", tier="gold")
    make_customer(session, "initech", "eu", tier="platinum", timezone="Europe/Paris", locale="fr")
    upsert_bug(session, record("OPS-1"), now=NOW)
    upsert_bug(session, record("OPS-2", priority=Priority.CRITICAL), now=NOW)
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(session, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    tokens = {
        role: bearer(make_token(session, role))
        for role in ("admin", "release_manager", "support_agent")
    }
    tokens["acme"] = bearer(make_token(session, "customer", customer="acme"))
    tokens["initech"] = bearer(make_token(session, "customer", customer="initech"))
    session.commit()
    return tokens


def ticket_body(**overrides) -> dict:
    return {
        "external_id": "ZD-100",
        "url": "https://help.example.com/tickets/100",
        "customer": "acme",
        "requester_name": "Dana Scully",
        "requester_email": "dana@acme.example",
        "subject": "Exports time out",
        "sla_level": 2,
    } | overrides


def post_ticket(client, tokens, who="support_agent", **overrides):
    return client.post("/api/v1/tickets", headers=tokens[who], json=ticket_body(**overrides))


def error_field(response) -> str | None:
    return response.json["error"].get("field")


# ---- tickets -----------------------------------------------------------------------------


def test_a_support_agent_creates_reads_and_edits_a_ticket(client, world):
    created = post_ticket(client, world)
    assert created.status_code == 201, created.json
    assert created.json["customer"] == "acme" and created.json["bugs"] == []
    response_validator("Ticket").validate(created.json)
    changed = client.patch(
        "/api/v1/tickets/ZD-100", headers=world["support_agent"], json={"sla_level": 1}
    )
    assert changed.status_code == 200 and changed.json["sla_level"] == 1
    read = client.get("/api/v1/tickets/ZD-100", headers=world["release_manager"])
    assert read.json["sla_level"] == 1 and read.json["subject"] == "Exports time out"


def test_a_ticket_id_is_created_once(client, world):
    post_ticket(client, world)
    again = post_ticket(client, world)
    assert again.status_code == 409 and error_field(again) == "external_id"


@pytest.mark.parametrize(
    ("overrides", "field", "status"),
    [
        ({"customer": "nobody"}, "customer", 422),
        ({"requester_email": "not an email"}, "requester_email", 422),
        ({"requester_email": "dana@acme.example\r\nBcc: all@evil.example"}, "requester_email", 422),
        ({"requester_email": "dana@acme.example\nBcc: all@evil.example"}, "requester_email", 422),
        ({"subject": "Hello\r\nBcc: all@evil.example"}, "subject", 422),
        ({"requester_name": "Dana\nScully"}, "requester_name", 422),
        ({"url": "javascript:alert(1)"}, "url", 422),
        ({"url": "help.example.com/tickets/1"}, "url", 422),
        ({"url": "https://[::1/tickets/1"}, "url", 422),
        ({"url": "https://[help]/tickets/1"}, "url", 422),
        ({"url": "https://help\uff03example.com/tickets/1"}, "url", 422),
        ({"url": "https://help.example.com:https/tickets/1"}, "url", 422),
        ({"sla_level": 5}, "sla_level", 422),
        ({"sla_level": "2"}, "sla_level", 422),
        ({"sla_level": True}, "sla_level", 422),
        ({"external_id": "../../etc"}, "external_id", 422),
        ({"external_id": ""}, "external_id", 422),
        ({"subject": ""}, "subject", 422),
        ({"colour": "red"}, "colour", 422),
    ],
)
def test_bad_ticket_input_is_refused_naming_the_field(client, world, overrides, field, status):
    response = post_ticket(client, world, **overrides)
    assert response.status_code == status, response.json
    assert error_field(response) == field
    assert client.get("/api/v1/tickets/ZD-100", headers=world["admin"]).status_code == 404


def test_a_malformed_url_is_refused_on_edit_and_the_ticket_keeps_its_own(client, world):
    post_ticket(client, world)
    response = client.patch(
        "/api/v1/tickets/ZD-100", headers=world["support_agent"], json={"url": "https://[::1/x"}
    )
    assert response.status_code == 422 and error_field(response) == "url"
    read = client.get("/api/v1/tickets/ZD-100", headers=world["support_agent"])
    assert read.json["url"] == "https://help.example.com/tickets/100"


def test_a_body_that_is_not_json_is_a_400(client, world):
    response = client.post(
        "/api/v1/tickets", headers=world["admin"], data="{", content_type="application/json"
    )
    assert response.status_code == 400


def test_who_may_do_what_with_tickets(client, world):
    assert client.post("/api/v1/tickets", json=ticket_body()).status_code == 401
    assert post_ticket(client, world, who="acme").status_code == 403
    post_ticket(client, world)
    post_ticket(client, world, external_id="FR-1", customer="initech")
    own = client.get("/api/v1/tickets/ZD-100", headers=world["acme"])
    assert own.status_code == 200 and "linked_by" not in json.dumps(own.json)
    other = client.get("/api/v1/tickets/FR-1", headers=world["acme"])
    assert other.status_code == 403
    patched = client.patch("/api/v1/tickets/ZD-100", headers=world["acme"], json={"sla_level": 1})
    assert patched.status_code == 403


def test_a_support_agent_may_not_do_release_manager_actions(client, world):
    agent = world["support_agent"]
    assert (
        client.post(
            "/api/v1/releases", headers=agent, json={"version": "2027.01", "title": "x"}
        ).status_code
        == 403
    )
    assert client.post("/api/v1/releases/2026.12/plan", headers=agent).status_code == 403
    hotfix = {"title": "x", "urgency": "normal", "jira_key": "OPS-2"}
    assert client.post("/api/v1/hotfixes", headers=agent, json=hotfix).status_code == 403


# ---- links -------------------------------------------------------------------------------


def pushes(session) -> list[JiraPush]:
    return list(session.scalars(select(JiraPush).order_by(JiraPush.id)))


def test_linking_a_known_bug_owes_jira_a_remote_link_once(client, session, world):
    post_ticket(client, world)
    first = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["support_agent"], json={"bug": "ops-1"}
    )
    assert first.status_code == 201, first.json
    assert [b["key"] for b in first.json["bugs"]] == ["OPS-1"]
    again = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["support_agent"], json={"bug": "OPS-1"}
    )
    assert [b["key"] for b in again.json["bugs"]] == ["OPS-1"]
    links = [p for p in pushes(session) if p.action == "remote_link"]
    assert [p.payload for p in links] == [
        {
            "issue": "OPS-1",
            "url": "https://help.example.com/tickets/100",
            "title": "Ticket ZD-100: Exports time out",
        }
    ]


def test_unlinking_is_idempotent_and_owes_jira_the_removal(client, session, world):
    post_ticket(client, world)
    client.post("/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "OPS-1"})
    gone = client.delete("/api/v1/tickets/ZD-100/links/OPS-1", headers=world["admin"])
    assert gone.status_code == 200 and gone.json["bugs"] == []
    assert (
        client.delete("/api/v1/tickets/ZD-100/links/OPS-1", headers=world["admin"]).json["bugs"]
        == []
    )
    assert [p.action for p in pushes(session)].count("remove_remote_link") == 1


def test_a_new_ticket_url_moves_its_jira_links(client, session, world):
    post_ticket(client, world)
    client.post("/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "OPS-1"})
    client.patch(
        "/api/v1/tickets/ZD-100",
        headers=world["admin"],
        json={"url": "https://desk.example.com/t/100"},
    )
    actions = [(p.action, p.payload["url"]) for p in pushes(session) if "url" in p.payload]
    assert actions[-2:] == [
        ("remove_remote_link", "https://help.example.com/tickets/100"),
        ("remote_link", "https://desk.example.com/t/100"),
    ]


def test_a_bug_unknown_here_without_jira_configured_is_refused_saying_so(client, world):
    post_ticket(client, world)
    response = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "OPS-77"}
    )
    assert response.status_code == 422 and error_field(response) == "bug"
    assert "not configured" in response.json["error"]["message"]
    bad = client.post("/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "x"})
    assert bad.status_code == 422 and error_field(bad) == "bug"
    missing = client.post(
        "/api/v1/tickets/ZD-404/links", headers=world["admin"], json={"bug": "OPS-1"}
    )
    assert missing.status_code == 404


@pytest.fixture
def jira():
    with running(JiraStub(deployment="Cloud", projects={"OPS"})) as stub:
        yield stub


@pytest.fixture
def jira_app(session_factory, clock, tmp_path, jira):
    settings = JiraSettings(
        url=jira.url,
        email=EMAIL,
        api_token=TOKEN,
        projects=("OPS",),
        max_retries=0,
        severity_field="customfield_10050",
    )
    return build_app(session_factory, clock, tmp_path, jira=settings)


def test_a_bug_not_synced_yet_is_read_from_jira_when_linked(jira_app, jira, session, world):
    client = jira_app.test_client()
    jira.add(
        make_issue("OPS-77", NOW - timedelta(hours=2), severity="Hyper-local", priority="High")
    )
    post_ticket(client, world)
    linked = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "OPS-77"}
    )
    assert linked.status_code == 201, linked.json
    bug = session.scalar(select(Bug).where(Bug.key == "OPS-77"))
    assert (bug.priority, bug.severity) == ("high", "hyper_local")


def test_a_bug_jira_does_not_know_or_does_not_sync_is_refused(jira_app, jira, world):
    client = jira_app.test_client()
    post_ticket(client, world)
    unknown = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "OPS-78"}
    )
    assert (
        unknown.status_code == 422
        and "Jira has no issue OPS-78" in unknown.json["error"]["message"]
    )
    elsewhere = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "HR-1"}
    )
    assert elsewhere.status_code == 422 and "JIRA_PROJECTS" in elsewhere.json["error"]["message"]


@pytest.mark.parametrize("status", [401, 403, 500])
def test_jira_failing_during_a_link_is_a_502_and_writes_nothing(
    jira_app, jira, session, world, status
):
    client = jira_app.test_client()
    post_ticket(client, world)
    jira.add(make_issue("OPS-79", NOW))
    jira.fail("GET", r"/issue/OPS-79$", status)
    response = client.post(
        "/api/v1/tickets/ZD-100/links", headers=world["admin"], json={"bug": "OPS-79"}
    )
    assert response.status_code == 502 and error_field(response) == "bug"
    assert session.scalar(select(Bug).where(Bug.key == "OPS-79")) is None
    assert session.scalar(select(func.count(TicketBug.id))) == 0


# ---- fix status --------------------------------------------------------------------------


def linked(client, tokens):
    post_ticket(client, tokens)
    post_ticket(client, tokens, external_id="FR-1", customer="initech")
    for ticket in ("ZD-100", "FR-1"):
        for key in ("OPS-1", "OPS-2"):
            client.post(
                f"/api/v1/tickets/{ticket}/links", headers=tokens["admin"], json={"bug": key}
            )


def test_the_fix_status_of_a_ticket_comes_with_a_reply_in_the_customers_language(client, world):
    linked(client, world)
    acme = client.get("/api/v1/fix-status?ticket=ZD-100", headers=world["support_agent"])
    assert acme.status_code == 200, acme.json
    response_validator("FixStatus").validate(acme.json)
    assert [(i["bug"], i["state"]) for i in acme.json["items"]] == [
        ("OPS-1", "planned"),
        ("OPS-2", "not_planned"),
    ]
    assert acme.json["items"][0]["next"]["release"] == "2026.12"
    assert "The fix for OPS-1 is part of release 2026.12" in acme.json["reply"]
    french = client.get("/api/v1/fix-status?ticket=FR-1", headers=world["initech"])
    assert french.json["lang"] == "fr"
    assert french.json["reply"].startswith("Le correctif de OPS-1 fait partie de la version")
    english = client.get("/api/v1/fix-status?ticket=FR-1&lang=en", headers=world["initech"])
    assert english.json["reply"].startswith("The fix for OPS-1")


def test_the_fix_status_of_a_bug_for_a_customer(client, world):
    linked(client, world)
    staff = client.get(
        "/api/v1/fix-status?bug=OPS-1&customer=initech", headers=world["support_agent"]
    )
    assert staff.json["customer"] == "initech" and staff.json["ticket"] is None
    own = client.get("/api/v1/fix-status?bug=OPS-1", headers=world["acme"])
    assert own.json["customer"] == "acme"


def test_a_fix_status_over_http_takes_the_token_and_two_lookup_statements(
    client, world, session, connection
):
    linked(client, world)
    session.expunge_all()
    with statements(connection) as sent:
        response = client.get("/api/v1/fix-status?ticket=ZD-100", headers=world["support_agent"])
    assert response.status_code == 200
    reads = [sql for sql in sent if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(reads) <= 3, sent


@pytest.mark.parametrize(
    ("query", "who", "status", "field"),
    [
        ("ticket=FR-1", "acme", 403, "customer"),
        ("bug=OPS-1&customer=initech", "acme", 403, "customer"),
        ("ticket=NOPE-1", "support_agent", 404, "ticket"),
        ("bug=OPS-404&customer=acme", "support_agent", 404, "bug"),
        ("bug=OPS-1&customer=nobody", "support_agent", 404, "customer"),
        ("bug=OPS-1", "support_agent", 422, "customer"),
        ("ticket=ZD-100&lang=de", "support_agent", 422, "lang"),
        ("", "support_agent", 400, "ticket"),
        ("ticket=ZD-100&bug=OPS-1", "support_agent", 400, "ticket"),
    ],
)
def test_fix_status_refusals_are_clear(client, world, query, who, status, field):
    linked(client, world)
    response = client.get(f"/api/v1/fix-status?{query}", headers=world[who])
    assert response.status_code == status, response.json
    assert error_field(response) == field
    response_validator("Error").validate(response.json)


# ---- triage ------------------------------------------------------------------------------


def test_triage_ranks_the_bugs_holding_up_customers_for_staff_only(client, world):
    linked(client, world)
    response = client.get("/api/v1/triage", headers=world["support_agent"])
    assert response.status_code == 200
    items = response.json["items"]
    for item in items:
        response_validator("TriageItem").validate(item)
    # OPS-2 is Critical (no severity known: Moderate, a hotfix now); OPS-1 High.
    assert [(i["bug"], i["recommendation"]) for i in items] == [
        ("OPS-2", "hotfix_now"),
        ("OPS-1", "next_window"),
    ]
    assert items[0]["tickets"] == 2 and items[0]["tiers"] == {"platinum": 1, "gold": 1}
    assert items[1]["carried_by"] == ["release 2026.12"] and items[0]["assumed"] is True
    assert client.get("/api/v1/triage", headers=world["acme"]).status_code == 403
    bad = client.get("/api/v1/triage?limit=0", headers=world["admin"])
    assert bad.status_code == 400 and error_field(bad) == "limit"


# ---- the help desk's webhook -------------------------------------------------------------


def deliver(client, payload, *, delivery="d-1", secret=SECRET, raw=None, signature=None):
    data = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-Rollout-Signature": signature or sign(secret, data)}
    if delivery:
        headers["X-Rollout-Delivery"] = delivery
    return client.post(
        "/hooks/helpdesk", data=data, headers=headers, content_type="application/json"
    )


def test_the_help_desk_creates_then_updates_a_ticket(client, session, world):
    created = deliver(client, ticket_body())
    assert created.status_code == 201 and created.json["status"] == "created"
    updated = deliver(client, ticket_body(subject="Exports still time out"), delivery="d-2")
    assert updated.status_code == 200 and updated.json["status"] == "updated"
    ticket = session.scalar(select(Ticket).where(Ticket.external_id == "ZD-100"))
    assert ticket.subject == "Exports still time out"


def test_a_replayed_delivery_changes_nothing(client, session, world):
    deliver(client, ticket_body())
    deliver(client, ticket_body(subject="Second"), delivery="d-2")
    replay = deliver(client, ticket_body())
    assert replay.status_code == 200 and replay.json["status"] == "duplicate"
    ticket = session.scalar(select(Ticket).where(Ticket.external_id == "ZD-100"))
    assert ticket.subject == "Second"
    receipts = session.scalar(
        select(func.count(WebhookReceipt.id)).where(WebhookReceipt.source == "helpdesk")
    )
    assert receipts == 2


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "sha1=abc", "deadbeef"],
)
def test_a_wrong_or_missing_signature_is_401_before_the_body_is_read(client, world, signature):
    data = b"this is not json"
    headers = {"X-Rollout-Delivery": "d-9"}
    if signature is not None:
        headers["X-Rollout-Signature"] = signature
    response = client.post("/hooks/helpdesk", data=data, headers=headers)
    assert response.status_code == 401
    assert error_field(response) == "X-Rollout-Signature"
    signed_elsewhere = deliver(client, ticket_body(), secret="another-secret")
    assert signed_elsewhere.status_code == 401


def test_bad_deliveries_are_refused_naming_what_is_wrong(client, session, world):
    assert deliver(client, ticket_body(), delivery=None).status_code == 400
    assert deliver(client, None, raw=b"{").status_code == 400
    assert deliver(client, None, raw=b"[1]").status_code == 400
    unknown = deliver(client, ticket_body(customer="nobody"), delivery="d-3")
    assert unknown.status_code == 422 and error_field(unknown) == "customer"
    injected = deliver(
        client, ticket_body(requester_email="a@b.example\r\nBcc: x@y.example"), delivery="d-4"
    )
    assert injected.status_code == 422 and error_field(injected) == "requester_email"
    malformed = deliver(client, ticket_body(url="https://[::1/tickets/100"), delivery="d-5")
    assert malformed.status_code == 422 and error_field(malformed) == "url"
    assert session.scalar(select(func.count(Ticket.id))) == 0
    # A refused delivery was not recorded: the help desk may send it again once fixed.
    assert deliver(client, ticket_body(), delivery="d-3").status_code == 201


def test_the_webhook_is_off_without_a_secret(session_factory, clock, tmp_path, world):
    app = build_app(session_factory, clock, tmp_path)
    app.extensions["rollout.settings"] = replace(
        app.extensions["rollout.settings"], helpdesk_webhook_secret=None
    )
    assert deliver(app.test_client(), ticket_body()).status_code == 503


def test_the_help_desk_links_the_bugs_its_jira_field_names(jira_app, jira, session, world):
    client = jira_app.test_client()
    jira.add(make_issue("OPS-80", NOW - timedelta(hours=1), priority="High"))
    created = deliver(client, ticket_body(bugs=["OPS-1", "OPS-80"]))
    assert created.status_code == 201, created.json
    # A later delivery without OPS-80 adds nothing and removes nothing.
    assert deliver(client, ticket_body(bugs=["OPS-1"]), delivery="d-2").status_code == 200

    status = client.get("/api/v1/fix-status?ticket=ZD-100", headers=world["support_agent"])
    assert [(i["bug"], i["state"]) for i in status.json["items"]] == [
        ("OPS-1", "planned"),
        ("OPS-80", "not_planned"),
    ]
    assert session.scalar(select(Bug.priority).where(Bug.key == "OPS-80")) == "high"


def test_a_delivery_naming_a_bug_jira_does_not_have_writes_nothing(jira_app, jira, session, world):
    client = jira_app.test_client()
    unknown = deliver(client, ticket_body(bugs=["OPS-1", "OPS-404"]))
    assert unknown.status_code == 422 and error_field(unknown) == "bugs"
    assert "OPS-404" in unknown.json["error"]["message"]
    jira.add(make_issue("OPS-81", NOW))
    jira.fail("GET", r"/issue/OPS-81$", 500)
    down = deliver(client, ticket_body(bugs=["OPS-81"]), delivery="d-2")
    assert down.status_code == 502 and error_field(down) == "bugs"
    assert session.scalar(select(func.count(Ticket.id))) == 0
    assert session.scalar(select(func.count(TicketBug.id))) == 0
    # Nothing was recorded of either delivery: the help desk's retry goes through.
    assert deliver(client, ticket_body(bugs=["OPS-1"])).status_code == 201


def test_a_linked_bug_deleted_in_jira_does_not_block_later_updates_of_its_ticket(
    client, session, world
):
    assert deliver(client, ticket_body(bugs=["OPS-1"])).status_code == 201
    delete_bug(session, "OPS-1", updated_at=NOW + timedelta(hours=1), now=NOW)
    session.commit()

    updated = deliver(client, ticket_body(subject="Still failing", bugs=["OPS-1"]), delivery="d-2")

    assert updated.status_code == 200, updated.json
    ticket = session.scalar(select(Ticket).where(Ticket.external_id == "ZD-100"))
    session.refresh(ticket)
    assert ticket.subject == "Still failing"
    fresh = deliver(client, ticket_body(external_id="ZD-101", bugs=["OPS-1"]), delivery="d-3")
    assert fresh.status_code == 422 and "deleted in Jira" in fresh.json["error"]["message"]
