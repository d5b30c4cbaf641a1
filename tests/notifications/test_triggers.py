"""Window triggers write the right notices, at the right time, once: lead times by tier,
reminders once per revision, changes within minutes merged, in English and French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rollout import windows
from rollout.notifications import (
    DEFAULT_POLICY,
    Notification,
    NotificationStatus,
    window_changed,
)
from rollout.notifications.content import render_email
from rollout.windows import WindowAction
from tests.conftest import NOW
from tests.factories import CONTEXT
from tests.notifications.conftest import BASE_URL

START = NOW + timedelta(days=40)


def make_window(session, *, start=START, hours=2, kind="ad_hoc", **extra):
    fields = {"title": "Database upgrade", "region": "us", "actor": "test", "now": NOW}
    if kind == "emergency":
        fields["justification"] = "zero-day"
    return windows.create_window(
        session,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        kind=kind,
        **(fields | extra),
        context=CONTEXT,
    )


def change(session, window, action, *, now=NOW, **fields):
    return windows.change_window(
        session,
        window.id,
        change=action,
        expected_sequence=window.sequence,
        actor="test",
        now=now,
        **fields,
        context=CONTEXT,
    )


def rows(session, **where) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    session.expire_all()
    return list(session.scalars(query))


def by_contact(found, contact):
    return [n for n in found if n.contact_id == contact.id]


def test_the_announcement_is_due_each_tiers_lead_time_before_the_window(session, people):
    window = make_window(session)
    change(session, window, "announce")
    announced = rows(session, event="window.announced")
    assert {n.contact_id: n.due_at for n in announced} == {
        people["acme"].id: START - timedelta(days=14),
        people["initech"].id: START - timedelta(days=30),
    }


def test_an_announcement_goes_out_at_once_when_the_window_is_nearer_than_the_lead(session, people):
    window = make_window(session, start=NOW + timedelta(days=3))
    change(session, window, "announce")
    due = {n.due_at for n in rows(session, event="window.announced")}
    assert due == {NOW + timedelta(minutes=3)}  # the short hold that lets a quick fix merge


def test_reminders_are_due_a_day_and_an_hour_before_and_expire_at_the_start(session, people):
    window = make_window(session)
    change(session, window, "announce")
    reminders = by_contact(rows(session, event="window.reminder"), people["acme"])
    assert [(n.due_at, n.expires_at) for n in reminders] == [
        (START - timedelta(hours=24), START),
        (START - timedelta(hours=1), START),
    ]


def test_a_reminder_already_past_is_not_written(session, people):
    window = make_window(session, start=NOW + timedelta(hours=5))
    change(session, window, "announce")
    reminders = rows(session, event="window.reminder")
    assert {n.payload["reminder_minutes"] for n in reminders} == {60}


def test_the_same_revision_never_writes_its_notices_twice(session, people):
    window = make_window(session)
    change(session, window, "announce")
    before = len(rows(session))
    window_changed(session, window, WindowAction.ANNOUNCED, NOW, policy=DEFAULT_POLICY)
    later = NOW + timedelta(minutes=1)
    window_changed(session, window, WindowAction.ANNOUNCED, later, policy=DEFAULT_POLICY)
    assert len(rows(session)) == before == 6


def test_moving_a_window_replaces_its_waiting_reminders_with_the_new_revisions(session, people):
    window = make_window(session)
    change(session, window, "announce")
    at = NOW + timedelta(minutes=5)
    change(
        session, window, "move", starts_at=START + timedelta(days=1), reason="power work", now=at
    )
    reminders = rows(session, event="window.reminder")
    cancelled = [n for n in reminders if n.status == NotificationStatus.CANCELLED]
    live = [n for n in reminders if n.status == NotificationStatus.PENDING]
    assert len(cancelled) == 4 and len(live) == 4
    assert {n.due_at for n in live} == {
        START + timedelta(days=1) - timedelta(hours=24),
        START + timedelta(days=1) - timedelta(hours=1),
    }
    assert {n.dedupe_key.split(":")[2] for n in live} == {"rev2"}
    assert {(n.last_error, n.updated_at) for n in cancelled} == {("superseded by revision 2", at)}
    # A reminder says when the window is, not what changed.
    assert not any({"previous", "reason"} & set(n.payload) for n in live)


def test_a_move_before_the_announcement_went_out_updates_the_announcement(session, people):
    window = make_window(session)
    change(session, window, "announce")
    new_start = START + timedelta(days=7)
    at = NOW + timedelta(minutes=5)
    change(session, window, "move", starts_at=new_start, reason="power work", now=at)
    notices = rows(session, coalesce_key=f"window:{window.id}")
    assert {n.event for n in notices} == {"window.announced"}
    acme = by_contact(notices, people["acme"])[0]
    assert acme.payload["window"]["starts_at"] == new_start.isoformat()
    assert acme.due_at == acme.next_attempt_at == new_start - timedelta(days=14)
    assert acme.updated_at == at
    assert "previous" not in acme.payload


def test_a_window_cancelled_before_its_announcement_went_out_sends_nothing(session, people):
    window = make_window(session)
    change(session, window, "announce")
    at = NOW + timedelta(minutes=5)
    change(session, window, "cancel", reason="not needed after all", now=at)
    assert {n.status for n in rows(session)} == {NotificationStatus.CANCELLED}
    # The outbox shows staff why and when each was withdrawn.
    assert {(n.last_error, n.updated_at) for n in rows(session, event="window.announced")} == {
        ("superseded", at)
    }


def test_changes_within_minutes_go_out_as_one_message(session, people, clock):
    window = make_window(session, start=NOW + timedelta(days=2))
    change(session, window, "announce")
    _send_all(session)
    at = NOW + timedelta(hours=1)
    change(
        session,
        window,
        "move",
        starts_at=window.starts_at + timedelta(hours=2),
        reason="vendor delay",
        now=at,
    )
    change(
        session,
        window,
        "extend",
        ends_at=window.ends_at + timedelta(hours=1),
        reason="more data",
        now=at + timedelta(minutes=1),
    )
    notices = by_contact(
        [
            n
            for n in rows(session, coalesce_key=f"window:{window.id}")
            if n.event != "window.announced"
        ],
        people["acme"],
    )
    assert len(notices) == 1
    notice = notices[0]
    assert notice.event == "window.moved"
    assert notice.payload["previous"]["starts_at"] == (NOW + timedelta(days=2)).isoformat()
    assert notice.payload["window"]["ends_at"] == window.ends_at.isoformat()
    assert notice.payload["reason"] == "more data"


def test_moving_and_moving_back_before_anyone_was_told_sends_nothing(session, people):
    window = make_window(session, start=NOW + timedelta(days=2))
    change(session, window, "announce")
    _send_all(session)
    original = window.starts_at
    change(session, window, "move", starts_at=original + timedelta(hours=2), reason="x")
    change(session, window, "move", starts_at=original, reason="never mind")
    moved = rows(session, event="window.moved")
    assert all(n.status == NotificationStatus.CANCELLED for n in moved)


def test_changes_to_a_window_nobody_was_told_of_are_not_news(session, people):
    window = make_window(session)
    change(session, window, "move", starts_at=START + timedelta(days=1), reason="x")
    change(session, window, "cancel", reason="y")
    assert rows(session) == []


def test_an_overrun_goes_out_at_once(session, people):
    window = make_window(session, start=NOW + timedelta(minutes=10))
    change(session, window, "announce")
    change(session, window, "start", now=window.starts_at)
    at = window.starts_at + timedelta(hours=1)
    change(
        session,
        window,
        "extend",
        ends_at=window.ends_at + timedelta(hours=2),
        reason="migration slower than tested",
        now=at,
    )
    extended = rows(session, event="window.extended")
    assert {n.due_at for n in extended} == {at}


def test_an_emergency_window_goes_out_at_once_to_emergency_subscribers(session, people):
    people["acme"].subscriptions = ["maintenance"]  # not emergencies
    session.flush()
    make_window(session, start=NOW + timedelta(minutes=30), kind="emergency")
    emergency = rows(session, event="window.emergency")
    assert [(n.contact_id, n.due_at) for n in emergency] == [(people["initech"].id, NOW)]
    assert "zero-day" not in str(emergency[0].payload)  # the justification stays internal


@pytest.mark.parametrize(
    ("steps", "event", "english", "french"),
    [
        (["announce"], "window.announced", "Planned maintenance", "Maintenance planifiée"),
        (
            ["announce"],
            "window.reminder",
            "Reminder: maintenance in 1 hour",
            "Rappel : maintenance dans 1 heure",
        ),
        (
            ["announce", "move"],
            "window.moved",
            "Maintenance rescheduled",
            "Maintenance reprogrammée",
        ),
        (
            ["announce", "extend"],
            "window.extended",
            "Maintenance extended",
            "Maintenance prolongée",
        ),
        (
            ["announce", "cancel"],
            "window.cancelled",
            "Maintenance cancelled",
            "Maintenance annulée",
        ),
        (
            ["announce", "start"],
            "window.started",
            "Maintenance has started",
            "La maintenance a commencé",
        ),
        (
            ["announce", "start", "complete"],
            "window.completed",
            "Maintenance completed",
            "Maintenance terminée",
        ),
        ([], "window.emergency", "Emergency maintenance", "Maintenance d'urgence"),
    ],
)
def test_every_window_notice_reads_right_in_english_and_french(
    session, people, steps, event, english, french
):
    start = NOW + timedelta(days=2)
    window = make_window(session, start=start, kind="emergency" if not steps else "ad_hoc")
    at = NOW
    for step in steps:
        if step != "announce":
            _send_all(session)  # the announcement went out, so changes are news
        fields = {
            "move": {"starts_at": start + timedelta(hours=3), "reason": "power work"},
            "extend": {"ends_at": window.ends_at + timedelta(hours=1), "reason": "slow copy"},
            "cancel": {"reason": "vendor postponed"},
        }.get(step, {})
        if step == "start":
            at = start
        if step == "complete":
            at = window.ends_at
        change(session, window, step, now=at, **fields)
    found = rows(session, event=event)
    english_mail = render_email(by_contact(found, people["acme"])[-1], base_url=BASE_URL)
    french_mail = render_email(by_contact(found, people["initech"])[-1], base_url=BASE_URL)
    assert english_mail.subject.startswith(english)
    assert french_mail.subject.startswith(french)
    assert "Database upgrade" in english_mail.subject
    # Times in the contact's own zone, with the zone named.
    assert "(America/New_York)" in english_mail.text
    assert "(Europe/Paris)" in french_mail.text
    assert "Hello Ada Ops" in english_mail.text and "Bonjour Élise" in french_mail.text
    assert english_mail.locale == "en" and french_mail.locale == "fr"
    assert f"{BASE_URL}/unsubscribe/" in english_mail.text
    assert '<html lang="fr">' in french_mail.html
    if event == "window.moved":
        assert "power work" in english_mail.text and "Was:" in english_mail.text
        assert "Auparavant" in french_mail.text


def test_times_are_written_in_the_contacts_zone_across_its_dst(session, people):
    window = make_window(session, start=NOW + timedelta(days=2))  # Tuesday 24 Nov 12:00Z
    change(session, window, "announce")
    mail = render_email(rows(session, contact_id=people["acme"].id)[0], base_url=BASE_URL)
    assert "Tuesday 24 November 2026, 07:00–09:00 EST (America/New_York)" in mail.text
    french = render_email(rows(session, contact_id=people["initech"].id)[0], base_url=BASE_URL)
    assert "mardi 24 novembre 2026 de 13:00 à 15:00 CET (Europe/Paris)" in french.text


def _send_all(session) -> None:
    """Pretend the worker delivered everything written so far."""
    for row in rows(session, status=NotificationStatus.PENDING):
        row.status = NotificationStatus.DELIVERED
    session.flush()


def test_a_customers_own_window_is_announced_to_that_customer_alone(session, people):
    window = make_window(session, customer="initech")
    change(session, window, "announce")
    announced = rows(session, event="window.announced")
    assert [n.contact_id for n in announced] == [people["initech"].id]
    assert announced[0].payload["window"]["public"] is False


def test_an_emergency_window_moved_after_its_notice_went_out_says_where_it_was(session, people):
    window = make_window(session, start=NOW + timedelta(hours=3), kind="emergency")
    for notice in rows(session, event="window.emergency"):
        notice.status = NotificationStatus.DELIVERED
    session.flush()
    was = window.starts_at
    change(
        session,
        window,
        "move",
        starts_at=was + timedelta(hours=1),
        ends_at=window.ends_at + timedelta(hours=1),
        reason="vendor patch late",
    )
    moved = rows(session, event="window.moved")
    assert moved and all(n.payload["previous"]["starts_at"] == was.isoformat() for n in moved)
    assert all(n.payload["reason"] == "vendor patch late" for n in moved)


def test_changes_to_a_told_window_wait_the_hold_and_its_start_expires_at_its_end(session, people):
    window = make_window(session, start=NOW + timedelta(hours=1))
    change(session, window, "announce")
    # The hour-before reminder falls due this very instant: still written.
    hour_before = rows(session, event="window.reminder", due_at=NOW)
    assert hour_before and all(n.payload["reminder_minutes"] == 60 for n in hour_before)
    for notice in rows(session):
        notice.status = NotificationStatus.DELIVERED
    session.flush()
    later = timedelta(minutes=30)
    moved_to = {"starts_at": window.starts_at + later, "ends_at": window.ends_at + later}
    change(session, window, "move", **moved_to, reason="vendor late")
    hold = CONTEXT.notification_policy.hold
    moved = rows(session, event="window.moved")
    assert {n.due_at for n in moved} == {NOW + hold}
    # Started before the move went out: the one notice left says so, and never goes out
    # once the window is over.
    change(session, window, "start", now=NOW + timedelta(minutes=1))
    started = rows(session, event="window.started")
    assert started and {n.expires_at for n in started} == {window.ends_at}
    assert rows(session, event="window.moved") == []


def test_a_told_window_cancelled_is_news_after_the_hold(session, people):
    window = make_window(session)
    change(session, window, "announce")
    for notice in rows(session):
        notice.status = NotificationStatus.DELIVERED
    session.flush()
    change(session, window, "cancel", reason="vendor withdrew the upgrade")
    hold = CONTEXT.notification_policy.hold
    assert {n.due_at for n in rows(session, event="window.cancelled")} == {NOW + hold}
