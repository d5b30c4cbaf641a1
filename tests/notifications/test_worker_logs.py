"""The worker's log: a line per delivery attempt and per background pass that did something,
as text or JSON, naming the message by id and never carrying its body, address or signature."""

from __future__ import annotations

import json
import logging

import pytest

from rollout.notifications import create_endpoint
from tests.conftest import NOW
from tests.factories import make_customer, make_region
from tests.notifications.conftest import LOOPBACK, add_contact
from tests.notifications.test_email import announce_soon
from tests.notifications.test_triggers import rows
from web.logs import JSONFormatter
from web.worker import run


@pytest.fixture
def acme(session, receiver):
    make_region(session, "us")
    customer = make_customer(session, "acme", "us")
    add_contact(session, customer, "ops@acme.test", name="Ada Ops")
    _, secret = create_endpoint(session, customer, url=receiver.url, allow=LOOPBACK, now=NOW)
    receiver.secrets = [secret]
    return secret


def worker_lines(caplog, formatter: logging.Formatter) -> list[str]:
    return [formatter.format(r) for r in caplog.records if r.name == "rollout.worker"]


def test_each_attempt_and_each_busy_pass_is_one_line_without_bodies_or_secrets(
    session, acme, smtp, receiver, make_worker, clock, caplog
):
    secret = acme
    announce_soon(session, clock)
    caplog.set_level(logging.INFO, logger="rollout.worker")
    run(make_worker(smtp.port), once=True)

    records = [json.loads(line) for line in worker_lines(caplog, JSONFormatter())]
    attempts = [r for r in records if r.get("event") == "delivery"]
    sent = rows(session, event="window.announced")
    assert sorted((a["notification"], a["channel"]) for a in attempts) == sorted(
        (row.id, row.channel) for row in sent
    )
    for line in attempts:
        assert line["attempt"] == 1 and line["outcome"] == "delivered"
        assert isinstance(line["duration_ms"], int) and line["duration_ms"] >= 0
    [busy] = [r for r in records if r.get("event") == "pass"]
    assert busy["pass"] == "deliver_notifications" and busy["items"] == 2

    [email] = smtp.messages
    [webhook] = receiver.received
    never = [
        secret,
        webhook["signature"],
        email["Subject"],
        email.get_body(("plain",)).get_content().splitlines()[0],
        "ops@acme.test",
        receiver.url,
    ]
    text = "\n".join(worker_lines(caplog, logging.Formatter("%(name)s %(message)s")))
    assert f"delivery notification={sent[0].id} channel={sent[0].channel} attempt=1" in text
    for line in (text, json.dumps(records)):
        for leak in never:
            assert leak not in line
