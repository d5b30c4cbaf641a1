"""A freeze over planned work, against a real database: the windows it covers are listed with
what they carry, and without a choice nothing is written; with one they are cancelled, moved
after the freeze or kept, in the same transaction as the freeze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout import freezes
from rollout.errors import Conflict, Invalid
from rollout.freeze_cover import declare_freeze
from rollout.windows import WindowAction, WindowStatus
from tests.conftest import NOW
from tests.factories import CONTEXT
from tests.rollout.releases.helpers import DEC, planned, refused, regular, wave, world

# Around the second Saturday of December (09:00 in New York and Dublin).
FRIDAY = datetime(2026, 12, 11, tzinfo=UTC)
SUNDAY = datetime(2026, 12, 13, tzinfo=UTC)


def declare(session, **fields):
    given = {
        "title": "Year-end freeze",
        "starts_at": FRIDAY,
        "ends_at": SUNDAY,
        "actor": "rm",
        "now": NOW,
        "context": CONTEXT,
    }
    return declare_freeze(session, **(given | fields))


def test_a_freeze_over_planned_windows_without_a_choice_lists_them_and_writes_nothing(session):
    world(session)
    planned(session)

    with refused(session, Invalid) as caught:
        declare(session)

    assert caught.value.field == "covered"
    message = caught.value.message
    assert message.startswith("This freeze covers 2 planned windows: window #")
    assert "(us, 2026-12-12 14:00Z, planned; carries release 2026.12 · Preview · us (2 " in message
    assert "Choose to cancel, move or keep them." in message
    assert len(caught.value.details["windows"]) == 2
    assert freezes.list_freezes(session) == []


def test_moving_covered_windows_puts_them_after_the_freeze_outside_business_hours(session):
    world(session)
    release = planned(session)
    us = regular(session, "us", DEC)

    declared = declare(session, covered="move")

    assert declared.freeze.id and [c.window.region.slug for c in declared.covered] == ["eu", "us"]
    # Sunday 00:00 UTC is Saturday evening in New York and Sunday night in Dublin: quiet.
    assert (us.starts_at, us.ends_at) == (SUNDAY, SUNDAY + timedelta(hours=2))
    assert us.revisions[-1].action == WindowAction.MOVED
    assert "Year-end freeze" in us.revisions[-1].reason
    preview = wave(release, "preview", "us")
    assert {d.scheduled_for for d in preview.deployments} == {SUNDAY}


def test_moving_to_a_chosen_time_inside_the_freeze_is_refused(session):
    world(session)

    with refused(session, Conflict) as caught:
        declare(session, covered="move", move_to=FRIDAY + timedelta(hours=3))
    assert caught.value.field == "move_to"
    assert "inside freeze" in caught.value.message


def test_moving_to_a_chosen_time_after_the_freeze(session):
    world(session)
    chosen = SUNDAY + timedelta(days=1, hours=2)
    us = regular(session, "us", DEC)

    declare(session, covered="move", move_to=chosen, region="us")

    assert (us.starts_at, us.ends_at) == (chosen, chosen + timedelta(hours=2))


def test_cancelling_skips_empty_regular_windows(session):
    world(session)

    declared = declare(session, covered="cancel")

    assert {c.window.status for c in declared.covered} == {WindowStatus.CANCELLED}
    assert {c.window.revisions[-1].action for c in declared.covered} == {WindowAction.SKIPPED}


def test_cancelling_a_window_that_carries_waves_is_refused_naming_them(session):
    world(session)
    planned(session)

    with refused(session, Conflict, "still holds release 2026.12") as caught:
        declare(session, covered="cancel")
    assert caught.value.field == "covered"
    assert freezes.list_freezes(session) == []


def test_keeping_covered_windows_needs_a_reason(session):
    world(session)

    with refused(session, Invalid) as caught:
        declare(session, covered="keep", covered_reason="  ")
    assert caught.value.field == "covered_reason"

    declared = declare(session, covered="keep", covered_reason="Only reads are frozen")
    assert {c.window.status for c in declared.covered} == {WindowStatus.PLANNED}
    assert "kept windows inside: Only reads are frozen" in declared.freeze.reason


def test_a_choice_made_over_a_list_that_has_since_changed_is_refused(session):
    world(session)
    shown = [c.window.id for c in declare(session, covered="cancel").covered]

    with refused(session, Conflict, "changed since you looked") as caught:
        declare(session, title="Second freeze", covered="cancel", reviewed=shown)
    assert caught.value.details == {"windows": []}


def test_a_freeze_over_nothing_planned_needs_no_choice(session):
    world(session)

    declared = declare(session, starts_at=SUNDAY, ends_at=SUNDAY + timedelta(days=2))

    assert declared.covered == [] and declared.choice is None


def test_a_customers_event_plan_covers_its_own_windows_only(session):
    world(session)

    declared = declare(session, customer="acme")

    assert declared.covered == []


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [
        (NOW - timedelta(days=3), NOW - timedelta(days=1), "would already be over"),
        (NOW - timedelta(days=3), NOW, "would already be over"),
        (SUNDAY, FRIDAY, "the end must be after the start"),
    ],
)
def test_a_freeze_in_the_past_or_backwards_is_refused(session, starts_at, ends_at, message):
    world(session)

    with refused(session, Invalid, message) as caught:
        declare(session, starts_at=starts_at, ends_at=ends_at)
    assert caught.value.field == "ends_at"
    assert freezes.list_freezes(session) == []


def test_a_freeze_already_begun_is_accepted_and_binds_from_now(session):
    world(session)

    declared = declare(session, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1))

    assert declared.freeze.starts_at == NOW - timedelta(days=1)
