"""The outbox's own promises: a change merges into a message still waiting, never into one a
worker has claimed, and every merged or added message is counted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from rollout.customers import Customer
from rollout.notifications import Notification, NotificationStatus
from rollout.notifications.outbox import Merged, notify
from tests.conftest import NOW
from tests.notifications.test_triggers import rows

LATER = NOW + timedelta(minutes=5)


def send(session, key: str, *, merge=None, now=NOW) -> int:
    customers = session.query(Customer).order_by(Customer.id).all()
    return notify(
        session,
        event="window.moved",
        customers=customers,
        topic="maintenance",
        payload={"key": key},
        key=key,
        due_at=now + timedelta(minutes=10),
        now=now,
        coalesce_key="window:1",
        merge=merge,
    )


def take_latest(row, event, payload, due_at, expires_at) -> Merged:
    return Merged(event, payload, due_at, expires_at)


def test_a_change_merged_into_every_waiting_message_counts_each_of_them(session, people):
    assert send(session, "first") == 2
    assert send(session, "second", merge=take_latest, now=LATER) == 2
    assert [(n.payload, n.updated_at) for n in rows(session)] == [({"key": "second"}, LATER)] * 2


def test_a_message_a_worker_claims_while_a_change_comes_in_goes_out_as_read(session, people):
    send(session, "first")

    def claimed_meanwhile(row, *args) -> Merged:
        # A worker claims the message between the outbox reading it and updating it.
        session.execute(
            update(Notification)
            .where(Notification.id == row.id)
            .values(status=NotificationStatus.SENDING)
        )
        return take_latest(row, *args)

    assert send(session, "second", merge=claimed_meanwhile, now=LATER) == 2
    found = rows(session)
    claimed = [n for n in found if n.status == NotificationStatus.SENDING]
    assert [n.payload for n in claimed] == [{"key": "first"}] * 2
    # The change then goes out as a message of its own.
    assert [n.payload for n in found if n not in claimed] == [{"key": "second"}] * 2


def test_a_change_merges_into_the_message_still_waiting_not_a_later_one_already_delivered(
    session, people
):
    send(session, "announced")
    send(session, "urgent")  # a notice of the same window, sent at once
    session.execute(
        update(Notification)
        .where(Notification.payload["key"].as_string() == "urgent")
        .values(status=NotificationStatus.DELIVERED)
    )
    assert send(session, "moved", merge=take_latest, now=LATER) == 2
    found = rows(session)
    assert [(n.payload, n.status) for n in found] == [
        ({"key": "moved"}, NotificationStatus.PENDING),
        ({"key": "moved"}, NotificationStatus.PENDING),
        ({"key": "urgent"}, NotificationStatus.DELIVERED),
        ({"key": "urgent"}, NotificationStatus.DELIVERED),
    ]
