"""How a change merges into a notice still waiting in the outbox, and the lead time of a tier
a policy leaves out, as pure rules (no database; the triggers that use them are in
test_triggers.py)."""

from __future__ import annotations

from datetime import timedelta

from rollout.customers import Customer
from rollout.notifications import DEFAULT_POLICY, Notification, NotificationPolicy
from rollout.notifications.outbox import Merged
from rollout.notifications.triggers import (
    ANNOUNCED,
    CANCELLED,
    COMPLETED,
    EMERGENCY,
    EXTENDED,
    MOVED,
    STARTED,
    _merge,
)
from tests.conftest import NOW

START = NOW + timedelta(days=40)
LATER = START + timedelta(days=7)
SOON = NOW + timedelta(days=2)
HOLD = DEFAULT_POLICY.hold


def span(start, hours=2) -> dict:
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def change(start, *, before=START, hours=2, **extra) -> dict:
    """A change's payload: the window now, and where it was."""
    return {"window": {"id": 1, **span(start, hours)}, "previous": span(before)} | extra


def waiting(event, payload=None, *, due=NOW + HOLD, expires=None, tier="standard"):
    row = Notification(event=event, payload=payload or {"window": {"id": 1, **span(START)}})
    row.due_at, row.expires_at = due, expires
    row.customer = Customer(tier=tier)
    return row


def merge(row, event, payload, due_at=NOW + HOLD, expires_at=None) -> Merged | None:
    return _merge(row, event, payload, due_at, expires_at, policy=DEFAULT_POLICY, now=NOW)


def test_a_tier_the_policy_leaves_out_gets_the_standard_lead_or_fourteen_days():
    partial = NotificationPolicy(lead={"standard": timedelta(days=10)})
    assert partial.lead_for("gold") == timedelta(days=10)
    assert NotificationPolicy(lead={}).lead_for("gold") == timedelta(days=14)


def test_a_move_before_the_announcement_went_out_is_the_announcement_of_the_new_time():
    row = waiting(ANNOUNCED, due=START - timedelta(days=14), tier="gold")
    found = merge(row, MOVED, change(LATER, reason="Power work"))
    # No "previous" nor reason: they never heard of the old time. Due by the new start.
    assert found == Merged(
        ANNOUNCED, {"window": {"id": 1, **span(LATER)}}, LATER - timedelta(days=30)
    )


def test_a_move_to_within_the_lead_time_announces_after_the_hold_not_before_now():
    found = merge(waiting(ANNOUNCED), MOVED, change(SOON))
    assert found.due_at == NOW + HOLD


def test_a_move_of_an_emergency_window_not_yet_told_keeps_the_notice_due_at_once():
    row = waiting(EMERGENCY, due=NOW)
    assert merge(row, MOVED, change(SOON)) == Merged(
        EMERGENCY, {"window": {"id": 1, **span(SOON)}}, NOW
    )


def test_a_cancellation_after_a_move_not_yet_sent_is_one_cancellation_without_the_old_time():
    row = waiting(MOVED, change(LATER))
    due = NOW + 2 * HOLD
    found = merge(
        row, CANCELLED, {"window": {"id": 1, **span(LATER)}, "previous": span(LATER)}, due
    )
    assert found == Merged(CANCELLED, {"window": {"id": 1, **span(LATER)}}, due)


def test_two_extensions_not_yet_sent_are_one_extension_from_the_first_end():
    row = waiting(EXTENDED, change(START, hours=3))
    found = merge(
        row, EXTENDED, change(START, before=START, hours=4) | {"previous": span(START, 3)}
    )
    assert found == Merged(EXTENDED, change(START, hours=4), NOW + HOLD)
    moved_too = merge(row, MOVED, change(LATER, before=START, hours=3))
    assert moved_too.event == MOVED


def test_a_notice_replaced_by_another_kind_takes_the_new_notices_expiry():
    ends = START + timedelta(hours=2)
    payload = {"window": {"id": 1, **span(START)}, "status": "in_progress"}
    # A start merged into a move still waiting: never sent once the window is over.
    moved = waiting(MOVED, change(START, before=LATER))
    assert merge(moved, STARTED, payload, expires_at=ends) == Merged(
        STARTED, payload, NOW + HOLD, ends
    )
    started = waiting(STARTED, expires=ends)
    assert merge(started, COMPLETED, payload) == Merged(COMPLETED, payload, NOW + HOLD, None)
