"""Sending a run of emails over one connection, each message's reply read only once the next
is built (SmtpSender.send_each): every outcome still belongs to its own message, in order."""

from __future__ import annotations

from channels.email import SmtpSender
from rollout.notifications.content import Email
from rollout.notifications.delivery import Result
from tests.notifications.conftest import smtp_settings
from tests.notifications.servers import smtp_server

BASE_URL = "https://rollout.test"


def email(n: int, text: str = "Hello.\n") -> Email:
    return Email(
        message_id=f"msg{n}",
        to_name=f"Ops {n}",
        to_address=f"ops{n}@acme.test",
        subject=f"Notice {n}",
        text=text,
        html=f"<p>{text}</p>",
        locale="en",
        unsubscribe_url=f"{BASE_URL}/unsubscribe/tok{n}",
        calendar=None,
    )


def test_a_refusal_or_a_dropped_connection_midway_belongs_to_that_message_alone():
    with smtp_server() as (inbox, port):
        inbox.script = ["550 5.7.1 refused", "drop"]
        sender = SmtpSender(smtp_settings(port), public_url=BASE_URL)
        outcomes = list(sender.send_each(email(n) for n in range(4)))
        sender.close()
        assert [(o.result, o.code) for o in outcomes] == [
            (Result.FAILED, 550),
            (Result.RETRY, None),
            (Result.DELIVERED, 250),
            (Result.DELIVERED, 250),
        ]
        assert inbox.message_ids() == ["<msg2@rollout.test>", "<msg3@rollout.test>"]


def test_lines_beginning_with_a_dot_arrive_as_written():
    text = ".\n..two\n.hidden\nend\n"
    with smtp_server() as (inbox, port):
        sender = SmtpSender(smtp_settings(port), public_url=BASE_URL)
        [outcome] = sender.send_each([email(1, text)])
        sender.close()
        assert outcome.result == Result.DELIVERED
        [message] = inbox.messages
    assert message.get_body(("plain",)).get_content().splitlines() == text.splitlines()


def test_stopped_before_a_reply_is_read_the_message_counts_as_unsent_and_the_next_goes_out():
    with smtp_server() as (inbox, port):
        sender = SmtpSender(smtp_settings(port), public_url=BASE_URL)
        run = sender.send_each(email(n) for n in range(3))
        assert next(run).result == Result.DELIVERED  # msg1's content is on its way by now
        run.close()  # msg1's reply unread: no outcome, so the worker sends it again later
        assert sender.send(email(1)).result == Result.DELIVERED  # on a fresh connection
        sender.close()
        inbox.wait_for(3)
        # At least once: the server may have taken msg1 twice, same Message-ID.
        assert inbox.message_ids() == [f"<msg{n}@rollout.test>" for n in (0, 1, 1)]
