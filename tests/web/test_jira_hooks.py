"""POST /hooks/jira as Jira sends it: signed, sometimes replayed, sometimes late."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jira_sync.config import JiraSettings
from jira_sync.webhook import sign
from rollout.jira.bugs import get_bug
from rollout.jira.models import Bug, Severity
from rollout.notifications import Notification
from rollout.support.models import Ticket, TicketBug, WebhookReceipt
from rollout.support.tickets import get_ticket
from tests import conftest
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_region, make_token
from tests.jira_stub import make_issue
from tests.jira_sync.test_sync import LIVE_AT, ticket_waiting_on_ed_1
from web import create_app

SECRET = "jira-webhook-secret"
JIRA = JiraSettings(
    webhook_secret=SECRET,
    projects=("ED",),
    severity_field="customfield_10050",
    note_field="customfield_10051",
)


@pytest.fixture
def app(session_factory, clock, tmp_path):
    app = create_app(
        replace(conftest.test_settings(), jira=JIRA),
        session_factory=session_factory,
        clock=clock,
        instance_path=tmp_path / "instance",
    )
    app.config.update(TESTING=True)
    return app


def event(kind: str, issue: dict, *, timestamp=NOW) -> dict:
    """A webhook body as Jira Cloud documents it."""
    return {
        "timestamp": int(timestamp.timestamp() * 1000),
        "webhookEvent": kind,
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Dev"},
        "issue": issue,
        "changelog": {"id": "10010", "items": []},
    }


def deliver(client, body: dict, *, identifier: str | None = "d-1", signature=None, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    headers["X-Hub-Signature"] = signature if signature is not None else sign(SECRET, data)
    if identifier:
        headers["X-Atlassian-Webhook-Identifier"] = identifier
    return client.post("/hooks/jira", data=data, headers=headers)


def updated(minutes: int, **fields) -> dict:
    return make_issue("ED-1", NOW + timedelta(minutes=minutes), **fields)


def test_a_signed_issue_created_event_adds_the_bug(client, session):
    issue = updated(0, summary="Export fails", severity="Moderate", priority="High")
    response = deliver(client, event("jira:issue_created", issue))
    assert response.status_code == 200
    assert response.json == {"status": "applied", "note": "applied ED-1"}
    bug = get_bug(session, "ED-1")
    assert bug.summary == "Export fails" and bug.severity == Severity.MODERATE


def test_a_note_nested_deeper_than_python_recurses_is_read_not_a_500(client, session):
    depth = 420  # parses as JSON, but walking it node by node recursively overflows the stack
    issue = updated(0, summary="Export fails")
    leaf = {"type": "text", "text": "Fixed in 2026.12"}
    nested = json.dumps(leaf)
    for _ in range(depth):
        nested = '{"type": "paragraph", "content": [' + nested + "]}"
    issue["fields"]["customfield_10051"] = "NOTE"
    raw = json.dumps(event("jira:issue_created", issue)).replace(
        '"NOTE"', '{"type": "doc", "content": [' + nested + "]}"
    )
    response = deliver(client, {}, raw=raw.encode())
    assert response.status_code == 200
    assert get_bug(session, "ED-1").public_note == "Fixed in 2026.12"


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", sign("another secret", b"{}")],
    ids=["missing", "wrong", "other scheme", "other secret"],
)
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_applied(client, session, signature):
    response = deliver(client, event("jira:issue_created", updated(0)), signature=signature)
    assert response.status_code == 401
    assert response.json["error"]["field"] == "X-Hub-Signature"
    assert session.scalar(select(func.count(Bug.id))) == 0


def test_the_signature_is_checked_before_the_body_is_read(client):
    response = deliver(client, {}, raw=b"not json at all", signature="sha256=00")
    assert response.status_code == 401
    signed_garbage = deliver(client, {}, raw=b"not json at all")
    assert signed_garbage.status_code == 400
    assert signed_garbage.json["error"]["field"] == "body"


def test_a_replayed_delivery_is_acknowledged_and_not_applied_again(client, session):
    assert deliver(client, event("jira:issue_updated", updated(0, summary="First")))
    replay = deliver(client, event("jira:issue_updated", updated(5, summary="Replayed")))
    assert replay.status_code == 200 and replay.json["status"] == "duplicate"
    assert get_bug(session, "ED-1").summary == "First"
    assert session.scalar(select(func.count(WebhookReceipt.id))) == 1


def test_an_older_update_arriving_late_does_not_overwrite_a_newer_one(client, session):
    deliver(client, event("jira:issue_updated", updated(5, summary="Newer")), identifier="a")
    late = deliver(client, event("jira:issue_updated", updated(1, summary="Older")), identifier="b")
    assert late.json == {"status": "ignored", "note": "ignored: ED-1 already holds a newer update"}
    assert get_bug(session, "ED-1").summary == "Newer"


def test_a_deleted_issue_leaves_a_tombstone_and_keeps_the_ticket_links(client, session):
    deliver(client, event("jira:issue_created", updated(0)), identifier="a")
    make_region(session)
    acme = make_customer(session)
    bug = get_bug(session, "ED-1")
    ticket = Ticket(
        external_id="EXT-1",
        url="https://help.example.com/EXT-1",
        customer_id=acme.id,
        requester_name="Ann",
        requester_email="ann@example.com",
        subject="Export fails",
        sla_level=2,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(ticket)
    session.flush()
    session.add(TicketBug(ticket_id=ticket.id, bug_id=bug.id, linked_by="agent", linked_at=NOW))
    session.commit()
    gone = deliver(
        client,
        event("jira:issue_deleted", updated(0), timestamp=NOW + timedelta(minutes=3)),
        identifier="b",
    )
    assert gone.json == {"status": "applied", "note": "deleted ED-1"}
    session.expire_all()
    bug = get_bug(session, "ED-1")
    assert bug.deleted_at == NOW + timedelta(minutes=3) and len(bug.tickets) == 1


def test_an_issue_of_a_project_not_synced_is_acknowledged_and_ignored(client, session):
    other = make_issue("HR-7", NOW)
    response = deliver(client, event("jira:issue_created", other))
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert "HR" in response.json["note"]
    assert session.scalar(select(func.count(Bug.id))) == 0


def test_events_that_are_not_about_issues_are_acknowledged_and_ignored(client):
    body = {"timestamp": 1, "webhookEvent": "comment_created", "comment": {"id": "1"}}
    response = deliver(client, body)
    assert response.status_code == 200 and response.json["status"] == "ignored"


def test_an_issue_event_without_an_issue_is_a_clear_400(client):
    response = deliver(client, {"webhookEvent": "jira:issue_updated", "issue": {"id": "1"}})
    assert response.status_code == 400 and response.json["error"]["field"] == "issue"


def test_without_a_configured_secret_every_delivery_is_refused(session_factory, clock, tmp_path):
    app = create_app(
        conftest.test_settings(),
        session_factory=session_factory,
        clock=clock,
        instance_path=tmp_path,
    )
    response = deliver(app.test_client(), event("jira:issue_created", updated(0)))
    assert (
        response.status_code == 503 and "JIRA_WEBHOOK_SECRET" in response.json["error"]["message"]
    )


def test_a_creation_delivered_after_the_deletion_does_not_bring_the_bug_back(client, session):
    deleted = event("jira:issue_deleted", updated(0), timestamp=NOW + timedelta(minutes=1))
    assert deliver(client, deleted, identifier="b").json["note"] == "deleted ED-1"
    late = deliver(client, event("jira:issue_created", updated(0)), identifier="a")
    assert late.json["status"] == "ignored"
    assert get_bug(session, "ED-1").deleted_at == NOW + timedelta(minutes=1)


# ---- a Jira change that makes a fix live closes the loop ----------------------------------


@pytest.fixture
def waiting(client, session, clock):
    """acme's ticket ZD-1 waits on ED-1 (in progress, no fix version); release 2026.12, which
    does not list ED-1, went live on acme's production at LIVE_AT; a day has passed."""
    deliver(client, event("jira:issue_created", updated(0)), identifier="created")
    ticket_waiting_on_ed_1(session)
    clock.now = LIVE_AT + timedelta(days=1)
    return bearer(make_token(session, "support_agent"))


def fixed_in_2026_12() -> dict:
    """ED-1 resolved in Jira with fix version 2026.12, a day after the release went live."""
    return make_issue(
        "ED-1",
        LIVE_AT + timedelta(days=1),
        status="Done",
        category="done",
        resolution="Fixed",
        fix_versions=("2026.12",),
    )


def told(session) -> list[str]:
    return list(
        session.scalars(select(Notification.address).where(Notification.event == "ticket.fix_live"))
    )


def triaged(client, token) -> list[str]:
    return [item["bug"] for item in client.get("/api/v1/triage", headers=token).json["items"]]


def test_a_fix_version_naming_a_release_already_live_closes_the_ticket_once(
    client, session, waiting
):
    assert triaged(client, waiting) == ["ED-1"]
    applied = deliver(client, event("jira:issue_updated", fixed_in_2026_12()), identifier="fixed")
    assert applied.json == {"status": "applied", "note": "applied ED-1"}
    session.expire_all()
    assert get_ticket(session, "ZD-1").links[0].fix_live_at == LIVE_AT
    assert told(session) == ["dana@acme.example"]
    assert triaged(client, waiting) == []
    # Jira sends the same issue again (another event on it): the requester is not told twice.
    again = deliver(client, event("jira:issue_updated", fixed_in_2026_12()), identifier="again")
    assert again.json["status"] == "applied"
    session.expire_all()
    assert told(session) == ["dana@acme.example"]


def test_a_fix_version_taken_back_in_jira_puts_the_ticket_back_on_hold(client, session, waiting):
    deliver(client, event("jira:issue_updated", fixed_in_2026_12()), identifier="fixed")
    session.expire_all()
    assert get_ticket(session, "ZD-1").links[0].fix_live_at == LIVE_AT
    reopened = make_issue("ED-1", LIVE_AT + timedelta(days=1, minutes=5), fix_versions=())
    deliver(client, event("jira:issue_updated", reopened), identifier="reopened")
    session.expire_all()
    assert get_ticket(session, "ZD-1").links[0].fix_live_at is None
    assert triaged(client, waiting) == ["ED-1"]
