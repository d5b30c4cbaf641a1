"""Webhooks to a real HTTP receiver on loopback that verifies Standard Webhooks signatures:
signing and rotation, each kind of answer, and addresses webhooks may never reach."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels.webhooks import WebhookSender, retry_after_of
from rollout.audit import AuditEntry
from rollout.notifications import NotificationStatus, create_endpoint, rotate_endpoint_secret
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_region, make_token
from tests.notifications.conftest import LOOPBACK
from tests.notifications.test_email import announce_soon, announcement
from tests.notifications.test_triggers import rows
from web.worker import run


@pytest.fixture
def acme(session):
    make_region(session, "us")
    return make_customer(session, "acme", "us")


@pytest.fixture
def endpoint(session, acme, receiver):
    made, secret = create_endpoint(session, acme, url=receiver.url, allow=LOOPBACK, now=NOW)
    receiver.secrets = [secret]
    return made


def test_a_webhook_arrives_signed_with_a_stable_id_and_the_event_as_json(
    session, endpoint, receiver, make_worker, clock
):
    window = announce_soon(session, clock)
    run(make_worker(), once=True)
    row = announcement(session)
    assert row.status == NotificationStatus.DELIVERED
    [delivery] = receiver.received
    assert delivery["id"] == row.message_id
    event = delivery["event"]
    assert event["type"] == "window.announced"
    assert event["data"]["customer"] == "acme"
    assert event["data"]["window"]["id"] == window.id
    assert event["data"]["window"]["starts_at"] == window.starts_at.isoformat()


def test_during_a_rotation_both_secrets_sign_and_afterwards_only_the_new_one(
    session, acme, endpoint, receiver, make_worker, clock
):
    old = receiver.secrets[0]
    _, new = rotate_endpoint_secret(session, acme, endpoint.id, now=NOW)
    receiver.secrets = [old]  # a receiver that has not switched yet
    announce_soon(session, clock)
    run(make_worker(), once=True)
    assert len(receiver.received) == 1
    assert receiver.received[0]["signature"].count("v1,") == 2
    receiver.secrets = [new]
    clock.advance(days=2)  # grace over; the next message is the 24-hour reminder
    run(make_worker(), once=True)
    assert len(receiver.received) == 2 and receiver.refused == []
    assert receiver.received[1]["signature"].count("v1,") == 1


@pytest.mark.parametrize(
    ("answer", "status", "wait"),
    [
        ((302, {"Location": "http://169.254.169.254/latest"}), "pending", timedelta(seconds=5)),
        ((500, {}), "pending", timedelta(seconds=5)),
        ((503, {"Retry-After": "600"}), "pending", timedelta(seconds=600)),
        ((429, {"Retry-After": "120"}), "pending", timedelta(seconds=120)),
        ((408, {}), "pending", timedelta(seconds=5)),
        (("sleep", 2.5), "pending", timedelta(seconds=5)),
        ((410, {}), "failed", None),
        ((400, {}), "failed", None),
        ((404, {}), "failed", None),
    ],
)
def test_each_answer_has_its_outcome(
    session, endpoint, receiver, make_worker, clock, answer, status, wait
):
    announce_soon(session, clock)
    receiver.script = [answer]
    run(make_worker(), once=True)
    row = announcement(session)
    assert row.status == status
    assert receiver.received == []  # a redirect is never followed
    if wait is not None:
        assert wait * 0.9 <= row.next_attempt_at - clock.now <= max(wait * 1.1, wait)
    if answer[0] == 410:
        assert endpoint.disabled_at is not None or _reload(session, endpoint).disabled_at


def test_a_retry_after_a_timeout_carries_the_same_webhook_id(
    session, endpoint, receiver, make_worker, clock
):
    announce_soon(session, clock)
    receiver.script = [("sleep", 2.5)]
    worker = make_worker()
    run(worker, once=True)
    clock.advance(seconds=10)
    run(worker, once=True)
    row = announcement(session)
    assert row.status == NotificationStatus.DELIVERED
    assert [d["id"] for d in receiver.received] == [row.message_id]


def test_an_endpoint_that_is_gone_gets_nothing_more(
    session, endpoint, receiver, make_worker, clock
):
    announce_soon(session, clock)
    receiver.script = [(410, {})]
    run(make_worker(), once=True)
    clock.advance(days=3)  # the reminders fall due
    run(make_worker(), once=True)
    assert receiver.received == []
    assert _reload(session, endpoint).disabled_reason.startswith("410")


def test_the_worker_that_turned_a_gone_endpoint_off_is_in_the_audit(
    session, endpoint, receiver, make_worker, clock
):
    announce_soon(session, clock)
    receiver.script = [(410, {})]
    worker = make_worker()
    run(worker, once=True)

    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "webhook", AuditEntry.action == "changed")
    )
    assert entry.actor == f"worker:{worker.name}" and entry.entity_id == endpoint.id
    changed = {c["field"]: (c["before"], c["after"]) for c in entry.changes}
    assert changed["disabled_reason"][0] is None
    assert changed["disabled_reason"][1].startswith("410")


def test_an_endpoint_re_enabled_after_a_410_gets_what_it_missed_when_staff_send_it_again(
    session, endpoint, receiver, make_worker, clock, client
):
    admin = bearer(make_token(session, "admin"))
    session.commit()
    announce_soon(session, clock)
    receiver.script = [(410, {})]
    worker = make_worker()
    run(worker, once=True)
    clock.advance(days=2, hours=1)  # the 24-hour reminder falls due while it is disabled
    run(worker, once=True)
    refused, [skipped, _] = announcement(session), rows(session, event="window.reminder")
    assert (refused.status, skipped.status) == ("failed", "cancelled")
    assert skipped.last_error == "endpoint disabled"
    early = client.post(f"/api/v1/notifications/{refused.id}/retry", headers=admin)
    assert early.status_code == 409 and early.json["error"]["field"] == "endpoint"

    enabled = client.patch(
        f"/api/v1/customers/acme/webhooks/{endpoint.id}", headers=admin, json={"enabled": True}
    )
    assert enabled.status_code == 200, enabled.json
    assert enabled.json["enabled"] and enabled.json["disabled_reason"] is None
    for row in (refused, skipped):
        retried = client.post(f"/api/v1/notifications/{row.id}/retry", headers=admin)
        assert retried.status_code == 200 and retried.json["status"] == "pending"
    run(worker, once=True)
    assert [d["id"] for d in receiver.received] == [refused.message_id, skipped.message_id]
    assert {r.status for r in rows(session, id=refused.id) + rows(session, id=skipped.id)} == {
        NotificationStatus.DELIVERED
    }


def test_an_edit_made_from_a_view_read_before_a_410_turned_the_endpoint_off_is_refused(
    session, endpoint, receiver, make_worker, clock, client
):
    admin = bearer(make_token(session, "admin"))
    session.commit()
    read = endpoint.version
    announce_soon(session, clock)
    receiver.script = [(410, {})]
    run(make_worker(), once=True)
    assert _reload(session, endpoint).version == read + 1
    stale = client.patch(
        f"/api/v1/customers/acme/webhooks/{endpoint.id}",
        headers=admin,
        json={"description": "still there?", "version": read},
    )
    assert stale.status_code == 409 and stale.json["error"]["field"] == "version"


def test_a_delivery_dropped_while_the_endpoint_left_out_its_topic_goes_once_it_takes_it_back(
    session, endpoint, receiver, make_worker, clock, client
):
    admin = bearer(make_token(session, "admin"))
    session.commit()
    path = f"/api/v1/customers/acme/webhooks/{endpoint.id}"
    announce_soon(session, clock)
    client.patch(path, headers=admin, json={"topics": ["hotfixes"]})
    worker = make_worker()
    run(worker, once=True)
    dropped = announcement(session)
    assert (dropped.status, dropped.last_error) == (
        "cancelled",
        "endpoint no longer takes maintenance",
    )
    early = client.post(f"/api/v1/notifications/{dropped.id}/retry", headers=admin)
    assert early.status_code == 409 and early.json["error"]["field"] == "endpoint"
    assert "no longer takes maintenance" in early.json["error"]["message"]

    client.patch(path, headers=admin, json={"topics": ["maintenance", "hotfixes"]})
    retried = client.post(f"/api/v1/notifications/{dropped.id}/retry", headers=admin)
    assert retried.status_code == 200, retried.json
    run(worker, once=True)
    assert [d["id"] for d in receiver.received] == [dropped.message_id]


def test_an_address_that_turns_private_after_registration_is_refused_at_delivery(
    session, endpoint, receiver, make_worker, clock
):
    announce_soon(session, clock)
    worker = make_worker()
    worker.webhooks = WebhookSender(allow=())  # as in production: loopback not allowed
    run(worker, once=True)
    row = announcement(session)
    assert row.status == NotificationStatus.FAILED
    assert "127.0.0.1" in row.last_error and receiver.received == []


def test_the_body_is_the_same_json_on_every_attempt(session, endpoint, receiver, clock):
    from rollout.notifications.content import render_webhook

    announce_soon(session, clock)
    row = announcement(session)
    first = render_webhook(row, now=clock.now)
    again = render_webhook(row, now=clock.now + timedelta(hours=5))
    assert first.body == again.body and json.loads(first.body)["type"] == "window.announced"


def _reload(session, endpoint):
    session.expire_all()
    return session.get(type(endpoint), endpoint.id)


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(minutes=2)),
        ("²", None),  # str.isdigit says yes; int() says no
        ("99999999999999999999", timedelta(days=7)),  # capped, not an overflow
    ],
)
def test_a_receivers_retry_after_is_read_as_ascii_seconds_and_capped(header, wait):
    assert retry_after_of(header, NOW) == wait
