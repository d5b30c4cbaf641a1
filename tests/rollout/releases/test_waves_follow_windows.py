"""A window that holds a wave: moving it takes the deployments along (if the plan still
holds), cancelling it is refused while they wait, and a soak change is checked against it."""

from __future__ import annotations

from datetime import timedelta

from rollout import releases
from rollout.errors import Conflict
from rollout.windows import change_window
from tests.conftest import NOW
from tests.factories import CONTEXT
from tests.rollout.releases.helpers import (
    DEC,
    JAN,
    PREVIEW,
    PRODUCTION,
    planned,
    refused,
    regular,
    wave,
    world,
)


def move(session, window, hours: float = 0, days: float = 0, **extra):
    shift = timedelta(hours=hours, days=days)
    return change_window(
        session,
        window.id,
        change=extra.pop("change", "move"),
        expected_sequence=window.sequence,
        reason="ops",
        starts_at=window.starts_at + shift,
        ends_at=window.ends_at + shift,
        actor="rm",
        now=NOW,
        **extra,
        context=CONTEXT,
    )


def test_moving_a_window_moves_the_deployments_waiting_in_it(session):
    world(session)
    made = planned(session)
    january = regular(session, "us", JAN)

    move(session, january, hours=2)

    production = wave(made, PRODUCTION, "us")
    assert {d.scheduled_for for d in production.deployments} == {january.starts_at}
    assert january.starts_at.hour == 16  # 11:00 EST


def test_moving_a_production_window_into_the_soak_time_is_refused(session):
    world(session)
    made = planned(session)
    january = regular(session, "us", JAN)
    preview_end = wave(made, PREVIEW, "us").window.ends_at

    with refused(session, Conflict, "at least 7 days after its preview ends") as caught:
        move(session, january, days=-((january.starts_at - preview_end).days - 3))
    assert caught.value.field == "window"


def test_cancelling_a_window_that_holds_a_wave_is_refused_naming_the_release(session):
    world(session)
    planned(session)
    december = regular(session, "us", DEC)

    with refused(session, Conflict, "still holds release 2026.12 wave"):
        change_window(
            session,
            december.id,
            change="cancel",
            expected_sequence=december.sequence,
            reason="outage",
            actor="rm",
            now=NOW,
            context=CONTEXT,
        )


def test_a_window_whose_wave_has_finished_can_still_be_cancelled(session):
    world(session)
    made = planned(session)
    preview = wave(made, PREVIEW, "us")
    releases.report_wave(session, preview.id, status="failed", actor="ci", now=NOW)
    december = preview.window

    change_window(
        session,
        december.id,
        change="cancel",
        expected_sequence=december.sequence,
        reason="outage",
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    assert december.status == "cancelled"


def test_a_longer_soak_that_the_plan_no_longer_meets_is_refused(session):
    world(session)
    planned(session)

    with refused(session, Conflict, "60 days") as caught:
        releases.update_release(session, "2026.12", soak_days=60, now=NOW)
    assert caught.value.field == "soak_days"
    releases.update_release(session, "2026.12", soak_days=14, now=NOW)
