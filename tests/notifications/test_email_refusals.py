"""Which SMTP refusals fail an email for good: only a refusal of the recipient or of the
message. A refused login or sender is about our settings, which get fixed, so the email
is retried with backoff meanwhile and goes out once they are."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from channels.email import SmtpSender
from rollout.notifications import NotificationStatus
from tests.factories import make_customer, make_region
from tests.notifications.conftest import BASE_URL, add_contact, smtp_settings
from tests.notifications.servers import Inbox, free_port
from tests.notifications.test_email import announce_soon, announcement
from web.worker import run

LOGIN = ("rollout", "the-right-password")


@dataclass
class Submission(Inbox):
    """A submission server: with `login_required`, mail only after AUTH; `refuse_sender` and
    `refuse_recipient` hold the answer at MAIL FROM and RCPT TO until they are cleared."""

    login_required: bool = False
    refuse_sender: str | None = None
    refuse_recipient: str | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.login_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipient:
            return self.refuse_recipient
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    given = (auth_data.login.decode(), auth_data.password.decode())
    return AuthResult(success=given == LOGIN, handled=False)


@contextmanager
def submission_server(**smtp_options) -> Iterator[Submission]:
    """A real SMTP server on 127.0.0.1 offering AUTH (over plain text: loopback only)."""
    inbox = Submission()
    inbox.port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=inbox.port,
        authenticator=authenticate,
        auth_require_tls=False,
        **smtp_options,
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def server():
    with submission_server() as inbox:
        yield inbox


@pytest.fixture
def acme(session):
    make_region(session, "us")
    customer = make_customer(session, "acme", "us")
    add_contact(session, customer, "ops@acme.test")
    return customer


def logged_in(make_worker, port: int, password: str):
    worker = make_worker()
    settings = dataclasses.replace(smtp_settings(port), username=LOGIN[0], password=password)
    worker.email = SmtpSender(settings, public_url=BASE_URL)
    return worker


def assert_waits_for_a_retry(session, clock, code: int):
    row = announcement(session)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert timedelta(seconds=4) <= row.next_attempt_at - clock.now <= timedelta(seconds=6)
    assert row.last_error.startswith(str(code))
    assert [(a.number, a.outcome, a.code) for a in row.attempt_log] == [(1, "retry", code)]


def test_mail_refused_for_want_of_a_login_waits_and_goes_out_once_the_login_is_set(
    session, acme, server, make_worker, clock
):
    announce_soon(session, clock)
    server.login_required = True
    run(make_worker(server.port), once=True)
    assert_waits_for_a_retry(session, clock, 530)
    assert "SMTP_FROM" in announcement(session).last_error
    clock.advance(seconds=10)
    run(logged_in(make_worker, server.port, LOGIN[1]), once=True)
    row = announcement(session)
    assert row.status == NotificationStatus.DELIVERED and server.count == 1
    assert [(a.outcome, a.code) for a in row.attempt_log] == [("retry", 530), ("delivered", 250)]


def test_a_wrong_password_is_retried_not_failed(session, acme, server, make_worker, clock):
    announce_soon(session, clock)
    server.login_required = True
    run(logged_in(make_worker, server.port, "an-old-password"), once=True)
    assert_waits_for_a_retry(session, clock, 535)
    assert "SMTP_PASSWORD" in announcement(session).last_error and server.count == 0


@pytest.mark.parametrize(
    "answer", ["553 5.7.1 sender address rejected", "550 5.7.1 not allowed to send as that"]
)
def test_our_sender_refused_at_mail_from_is_retried_until_the_setting_is_fixed(
    session, acme, server, make_worker, clock, answer
):
    announce_soon(session, clock)
    server.refuse_sender = answer
    worker = make_worker(server.port)
    run(worker, once=True)
    assert_waits_for_a_retry(session, clock, int(answer[:3]))
    assert "check SMTP_FROM" in announcement(session).last_error
    server.refuse_sender = None
    clock.advance(seconds=10)
    run(worker, once=True)
    assert announcement(session).status == NotificationStatus.DELIVERED
    assert server.count == 1


@pytest.mark.parametrize(
    ("where", "answer"),
    [("recipient", "550 5.1.1 no such mailbox"), ("message", "554 5.6.0 message refused")],
)
def test_a_refusal_of_the_recipient_or_the_message_fails_for_good(
    session, acme, server, make_worker, clock, where, answer
):
    announce_soon(session, clock)
    if where == "recipient":
        server.refuse_recipient = answer
    else:
        server.script = [answer]
    worker = make_worker(server.port)
    run(worker, once=True)
    clock.advance(days=4)
    run(worker, once=True)
    row = announcement(session)
    assert (row.status, row.attempts, server.count) == (NotificationStatus.FAILED, 1, 0)
    assert [(a.outcome, a.code) for a in row.attempt_log] == [("failed", int(answer[:3]))]


def test_a_message_larger_than_the_server_takes_fails_for_good(session, acme, make_worker, clock):
    announce_soon(session, clock)
    with submission_server(data_size_limit=1000) as server:  # refused at MAIL FROM SIZE=
        run(make_worker(server.port), once=True)
    row = announcement(session)
    assert (row.status, row.last_error[:3]) == (NotificationStatus.FAILED, "552")


def test_a_sender_deferred_for_now_is_retried_without_blaming_the_settings(
    session, acme, server, make_worker, clock
):
    announce_soon(session, clock)
    server.refuse_sender = "451 4.7.1 greylisted, try again later"
    run(make_worker(server.port), once=True)
    assert_waits_for_a_retry(session, clock, 451)
    assert "SMTP_FROM" not in announcement(session).last_error
