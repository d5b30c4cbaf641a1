"""Email through a real SMTP server on loopback: what arrives, and what happens when the
server refuses for now, refuses for good, drops the connection or is not there at all."""

from __future__ import annotations

import dataclasses
import logging
import random
from datetime import timedelta
from email.utils import getaddresses

import pytest
from icalendar import Calendar

from channels.config import NotifySettings
from rollout.errors import Invalid
from rollout.notifications import Notification, NotificationStatus, unsubscribe
from rollout.notifications.content import render_email
from rollout.notifications.delivery import (
    MAX_ATTEMPTS,
    SCHEDULE,
    claim_due,
    prepare_claimed,
    retry_delay,
)
from tests.conftest import NOW
from tests.factories import make_customer, make_region
from tests.notifications.conftest import add_contact, smtp_settings
from tests.notifications.servers import free_port
from tests.notifications.test_triggers import change, make_window, rows
from web.worker import build_worker, run


@pytest.fixture
def acme(session):
    make_region(session, "us")
    customer = make_customer(session, "acme", "us")
    add_contact(session, customer, "ops@acme.test", name='Doe, "Jane"')
    return customer


def announce_soon(session, clock, days=3, **window):
    """A window in a few days, announced now; its announcement is due in three minutes."""
    made = make_window(session, start=NOW + timedelta(days=days), **window)
    change(session, made, "announce")
    clock.advance(minutes=5)
    return made


def announcement(session):
    return rows(session, event="window.announced")[0]


def test_an_announcement_arrives_with_text_html_and_the_window_as_an_invitation(
    session, acme, smtp, make_worker, clock
):
    window = announce_soon(session, clock)
    assert run(make_worker(smtp.port), once=True) == 1
    [message] = smtp.messages
    row = announcement(session)
    assert row.status == NotificationStatus.DELIVERED
    assert getaddresses([message["To"]]) == [('Doe, "Jane"', "ops@acme.test")]
    assert message["Message-ID"] == f"<{row.message_id}@rollout.test>"
    assert (
        message["List-Unsubscribe"].strip()
        == f"<https://rollout.test/unsubscribe/{row.contact.unsubscribe_token}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"].startswith("Planned maintenance: Database upgrade")
    assert message["Content-Language"] == "en"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "America/New_York" in text and "America/New_York" in html
    [invite] = [part for part in message.iter_attachments()]
    assert invite.get_content_type() == "text/calendar"
    event = Calendar.from_ical(invite.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == f"window-{window.id}@rollout.test"
    assert event["SEQUENCE"] == window.sequence
    assert event.decoded("DTSTART") == window.starts_at


@pytest.mark.parametrize("public_url", ["https://rollout.example", "http://rollout.test"])
def test_one_click_unsubscribe_is_offered_only_over_https_and_the_link_always(
    session, acme, smtp, app, clock, caplog, public_url
):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(
        settings,
        public_url=public_url,
        notifications=NotifySettings(smtp=smtp_settings(smtp.port)),
    )
    announce_soon(session, clock)
    with caplog.at_level(logging.WARNING, logger="rollout.worker"):
        worker = build_worker(app)
    try:
        run(worker, once=True)
    finally:
        worker.close()
    [message] = smtp.messages
    token = announcement(session).contact.unsubscribe_token
    assert message["List-Unsubscribe"].strip() == f"<{public_url}/unsubscribe/{token}>"
    one_click = public_url.startswith("https://")
    expected = "List-Unsubscribe=One-Click" if one_click else None
    assert message["List-Unsubscribe-Post"] == expected
    warned = [r for r in caplog.records if "one-click" in r.getMessage()]
    assert len(warned) == (0 if one_click else 1)


def test_a_temporary_refusal_is_retried_with_the_same_id_and_accepted_exactly_once(
    session, acme, smtp, make_worker, clock
):
    announce_soon(session, clock)
    smtp.script = ["451 4.3.0 mailbox busy, try later"]
    worker = make_worker(smtp.port)
    run(worker, once=True)
    row = announcement(session)
    assert (row.status, row.attempts, smtp.count) == (NotificationStatus.PENDING, 1, 0)
    assert "451" in row.last_error
    assert timedelta(seconds=4) <= row.next_attempt_at - clock.now <= timedelta(seconds=6)
    run(worker, once=True)  # not due yet
    assert smtp.count == 0
    clock.advance(seconds=10)
    run(worker, once=True)
    row = announcement(session)
    assert row.status == NotificationStatus.DELIVERED and row.attempts == 2
    assert smtp.message_ids() == [f"<{row.message_id}@rollout.test>"]
    assert [(a.number, a.outcome, a.code) for a in row.attempt_log] == [
        (1, "retry", 451),
        (2, "delivered", 250),
    ]


def test_a_permanent_refusal_fails_and_is_never_retried(session, acme, smtp, make_worker, clock):
    announce_soon(session, clock)
    smtp.script = ["550 5.1.1 no such mailbox"]
    worker = make_worker(smtp.port)
    run(worker, once=True)
    clock.advance(days=4)
    run(worker, once=True)
    row = announcement(session)
    assert (row.status, row.attempts, smtp.count) == (NotificationStatus.FAILED, 1, 0)
    assert row.last_error.startswith("550")


def test_a_dropped_connection_loses_nothing(session, acme, smtp, make_worker, clock):
    announce_soon(session, clock)
    smtp.script = ["drop"]
    worker = make_worker(smtp.port)
    run(worker, once=True)
    assert announcement(session).status == NotificationStatus.PENDING
    clock.advance(seconds=10)
    run(worker, once=True)
    assert announcement(session).status == NotificationStatus.DELIVERED
    assert smtp.count == 1


def test_with_the_smtp_server_down_the_email_waits(session, acme, make_worker, clock):
    announce_soon(session, clock)
    run(make_worker(free_port()), once=True)
    row = announcement(session)
    assert row.status == NotificationStatus.PENDING and "connection" in row.last_error


def test_retries_back_off_over_about_three_days_then_the_message_is_dead(
    session, acme, smtp, make_worker, clock
):
    announce_soon(session, clock, days=10)  # its reminders come after the retries
    smtp.script = ["421 4.7.0 not now"] * MAX_ATTEMPTS
    worker = make_worker(smtp.port)
    started = clock.now
    while (row := announcement(session)).status == NotificationStatus.PENDING:
        clock.now = max(clock.now, row.next_attempt_at)
        run(worker, once=True)
    assert row.status == NotificationStatus.DEAD and row.attempts == MAX_ATTEMPTS
    assert timedelta(days=2.5) < clock.now - started < timedelta(days=3.2)
    assert smtp.count == 0


def test_the_schedule_is_the_standard_webhooks_one_with_jitter_and_retry_after():
    rng = random.Random(1)
    assert SCHEDULE[:7] == tuple(
        timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 36000)
    )
    waits = [retry_delay(n, rng) for n in range(1, MAX_ATTEMPTS)]
    assert all(0.9 * s <= w <= 1.1 * s for w, s in zip(waits, SCHEDULE, strict=True))
    assert retry_delay(1, rng, timedelta(minutes=10)) == timedelta(minutes=10)
    assert retry_delay(1, rng, timedelta(days=9)) == timedelta(days=1)
    assert retry_delay(MAX_ATTEMPTS, rng) is None


def test_line_breaks_never_reach_a_header(session, acme, smtp, make_worker, clock):
    with pytest.raises(Invalid) as refused:
        add_contact(session, acme, "eve@acme.test", name="Eve\r\nBcc: victim@evil.test")
    assert refused.value.field == "name"
    with pytest.raises(Invalid) as refused:
        make_window(session, start=NOW + timedelta(days=3), title="Upgrade\r\nBcc: x@evil.test")
    assert refused.value.field == "title"
    # A title stored before titles were held to one line still cannot add a header.
    window = make_window(session, start=NOW + timedelta(days=3))
    window.title = "Upgrade\r\nBcc: victim@evil.test"
    change(session, window, "announce")
    clock.advance(minutes=5)
    run(make_worker(smtp.port), once=True)
    [message] = smtp.messages
    assert message["Bcc"] is None
    assert message["Subject"].startswith("Planned maintenance: Upgrade Bcc: victim@evil.test")


def test_an_unsubscribed_contact_gets_nothing_more(session, acme, smtp, make_worker, clock):
    announce_soon(session, clock)
    token = announcement(session).contact.unsubscribe_token
    unsubscribe(session, token, now=clock.now)
    run(make_worker(smtp.port), once=True)
    assert smtp.count == 0
    assert {n.status for n in rows(session)} == {NotificationStatus.CANCELLED}


def test_a_reminder_claimed_after_its_window_began_is_dropped_not_sent(
    session, acme, smtp, make_worker, clock
):
    window = make_window(session, start=NOW + timedelta(hours=2))
    change(session, window, "announce")
    clock.now = window.starts_at + timedelta(minutes=5)  # the worker was down meanwhile
    run(make_worker(smtp.port), once=True)
    reminder = rows(session, event="window.reminder")[0]
    assert reminder.status == NotificationStatus.CANCELLED
    assert reminder.last_error.startswith("expired")
    assert [m["Subject"].split(":")[0] for m in smtp.messages] == ["Planned maintenance"]


def test_a_claimed_batch_read_as_plain_rows_renders_as_each_notification_itself(
    session, acme, clock
):
    """prepare_claimed reads emails without the ORM; each must be what render_email makes of
    the notification as the ORM loads it, and the skips the same."""
    late = add_contact(session, acme, "late@acme.test", name="Élise Dupont")
    gone = add_contact(session, acme, "gone@acme.test", name="Gone")
    announce_soon(session, clock)
    late.subscriptions = []  # as if between the claim and the read
    session.delete(gone)
    session.flush()
    token = claim_due(session, now=clock.now, limit=50)
    claimed = prepare_claimed(session, token, base_url="https://rollout.test", now=clock.now)
    session.expire_all()
    assert len(claimed) == 3
    skips = {}
    for item in claimed:
        row = session.get(Notification, item.id)
        assert (item.attempt, item.channel) == (row.attempts, row.channel)
        skips[row.address] = item.skip
        if item.skip is None:
            assert item.content == render_email(row, base_url="https://rollout.test")
    assert skips == {
        "ops@acme.test": None,
        "late@acme.test": "unsubscribed from maintenance",
        "gone@acme.test": "contact removed",
    }
