"""Webhooks over real TLS to a loopback receiver with trustme certificates: a trusted CA
delivers, an unknown CA or another host's certificate is retried later and nothing arrives,
and WEBHOOK_CA_BUNDLE brings a private CA to the worker."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import trustme

from channels.webhooks import WebhookSender
from rollout.notifications import Channel, NotificationStatus, create_endpoint
from tests.conftest import NOW, settings_from_env
from tests.notifications.conftest import LOOPBACK
from tests.notifications.servers import Receiver, webhook_receiver
from tests.notifications.test_email import announce_soon
from tests.notifications.test_triggers import rows
from web.settings import SettingsError
from web.worker import build_worker, run

FIRST_RETRY = timedelta(seconds=5)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(ca, tmp_path) -> str:
    """`ca` as a PEM file, as an operator would give it."""
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@contextmanager
def tls_endpoint(
    session, customer, certificate: trustme.LeafCert, host: str = "127.0.0.1"
) -> Iterator[Receiver]:
    """An https receiver serving `certificate`, registered for `customer` under `host`."""
    with webhook_receiver(certificate=certificate) as receiver:
        url = receiver.url.replace("//127.0.0.1:", f"//{host}:")
        _, secret = create_endpoint(session, customer, url=url, allow=LOOPBACK, now=NOW)
        receiver.secrets = [secret]
        yield receiver


def deliver_once(make_worker, ca_bundle: str | None) -> None:
    worker = make_worker()
    worker.webhooks = WebhookSender(LOOPBACK, timeout=(1, 1), ca_bundle=ca_bundle)
    run(worker, once=True)


def webhook_announcement(session):
    [row] = rows(session, channel=Channel.WEBHOOK, event="window.announced")
    return row


def assert_retried_later_for(session, clock, receiver: Receiver, problem: str) -> None:
    row = webhook_announcement(session)
    assert row.status == NotificationStatus.PENDING
    assert FIRST_RETRY * 0.9 <= row.next_attempt_at - clock.now <= FIRST_RETRY * 1.1
    [attempt] = row.attempt_log
    assert attempt.outcome == "retry" and attempt.code is None
    assert attempt.detail == row.last_error == f"TLS failed: certificate verify failed: {problem}"
    assert receiver.received == [] and receiver.refused == []


@pytest.mark.parametrize(
    ("host", "names"),
    [
        ("127.0.0.1", ("localhost", "127.0.0.1")),
        # Checked against the URL's name although the guarded connection dials 127.0.0.1.
        ("localhost", ("localhost",)),
    ],
)
def test_an_https_endpoint_receives_the_signed_event_from_a_sender_trusting_its_ca(
    session, people, make_worker, clock, ca, ca_bundle, host, names
):
    with tls_endpoint(session, people["acme"].customer, ca.issue_cert(*names), host) as receiver:
        announce_soon(session, clock)
        deliver_once(make_worker, ca_bundle)
    row = webhook_announcement(session)
    assert row.status == NotificationStatus.DELIVERED
    [delivery] = receiver.received
    assert delivery["id"] == row.message_id
    assert delivery["event"]["type"] == "window.announced"


@pytest.mark.parametrize("trusting", ["certifi's bundle", "another private CA"])
def test_a_certificate_from_an_unknown_ca_is_retried_later_and_nothing_is_sent(
    session, people, make_worker, clock, ca_bundle, trusting
):
    stranger = trustme.CA().issue_cert("localhost", "127.0.0.1")
    with tls_endpoint(session, people["acme"].customer, stranger) as receiver:
        announce_soon(session, clock)
        deliver_once(make_worker, ca_bundle if trusting == "another private CA" else None)
    assert_retried_later_for(session, clock, receiver, "unable to get local issuer certificate")


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("127.0.0.1", "IP address mismatch, certificate is not valid for '127.0.0.1'."),
        ("localhost", "Hostname mismatch, certificate is not valid for 'localhost'."),
    ],
)
def test_a_trusted_certificate_for_another_host_is_retried_later_and_nothing_is_sent(
    session, people, make_worker, clock, ca, ca_bundle, host, problem
):
    elsewhere = ca.issue_cert("example.org")
    with tls_endpoint(session, people["acme"].customer, elsewhere, host) as receiver:
        announce_soon(session, clock)
        deliver_once(make_worker, ca_bundle)
    assert_retried_later_for(session, clock, receiver, problem)


def test_the_worker_trusts_the_private_ca_named_by_webhook_ca_bundle(
    session, people, app, clock, ca, ca_bundle, tmp_path
):
    env = {"WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8", "WEBHOOK_CA_BUNDLE": ca_bundle}
    app.extensions["rollout.settings"] = dataclasses.replace(
        app.extensions["rollout.settings"],
        notifications=settings_from_env(tmp_path, env).notifications,
    )
    certificate = ca.issue_cert("localhost", "127.0.0.1")
    with tls_endpoint(session, people["acme"].customer, certificate) as receiver:
        announce_soon(session, clock)
        worker = build_worker(app)
        try:
            run(worker, once=True)
        finally:
            worker.close()
    assert webhook_announcement(session).status == NotificationStatus.DELIVERED
    assert len(receiver.received) == 1


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_webhook_ca_bundle_without_certificates_is_refused_naming_the_variable(tmp_path, content):
    path = tmp_path / "bundle.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match="WEBHOOK_CA_BUNDLE"):
        settings_from_env(tmp_path, {"WEBHOOK_CA_BUNDLE": str(path)})
