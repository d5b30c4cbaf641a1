"""Fixtures for the notification tests: a real SMTP server and webhook receiver on loopback,
a worker over the test's transaction, and small builders."""

from __future__ import annotations

import random

import pytest

from channels.config import SmtpSettings
from channels.email import SmtpSender
from channels.webhooks import WebhookSender
from rollout.notifications import create_contact
from rollout.notifications.addresses import parse_allow_list
from tests.conftest import NOW
from tests.factories import make_customer, make_region
from tests.notifications.servers import smtp_server, webhook_receiver
from web.worker import Worker

LOOPBACK = parse_allow_list("127.0.0.0/8,::1/128")
BASE_URL = "https://rollout.test"


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        inbox.port = port
        yield inbox


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


def smtp_settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, security="none", sender="Rollout <maintenance@rollout.test>"
    )


@pytest.fixture
def make_worker(session_factory, clock):
    """A worker over the test's transaction; give it the SMTP port to send email."""
    made = []

    def build(port: int | None = None, **options) -> Worker:
        worker = Worker(
            sessions=session_factory,
            clock=clock,
            base_url=BASE_URL,
            email=SmtpSender(smtp_settings(port), public_url=BASE_URL) if port else None,
            webhooks=WebhookSender(LOOPBACK, timeout=(1, 1)),
            rng=random.Random(7),
            name="test-worker",
            **options,
        )
        made.append(worker)
        return worker

    yield build
    for worker in made:
        worker.close()


def add_contact(session, customer, email: str = "ops@acme.test", **overrides):
    fields = {"name": "Ops Team", "email": email, "now": NOW}
    return create_contact(session, customer, **(fields | overrides))


@pytest.fixture
def people(session):
    """Acme (standard, English, New York) and Initech (gold, French, Paris) in region us."""
    make_region(session, "us")
    acme = make_customer(session, "acme", "us")
    initech = make_customer(
        session, "initech", "us", tier="gold", locale="fr", timezone="Europe/Paris"
    )
    return {
        "acme": add_contact(session, acme, "ops@acme.test", name="Ada Ops"),
        "initech": add_contact(session, initech, "exploitation@initech.test", name="Élise"),
    }
