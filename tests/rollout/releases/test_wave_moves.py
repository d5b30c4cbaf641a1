"""Editing a plan: a wave moved to another window, refused when it breaks a freeze, the order,
the soak, the region or a wave already started; every refusal leaves the database as it found it."""

from __future__ import annotations

from datetime import datetime, timedelta

from rollout import releases
from rollout.errors import Conflict, Invalid
from rollout.freezes import create_freeze
from rollout.windows import create_window
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer
from tests.rollout.releases.helpers import (
    DEC,
    FEB,
    JAN,
    PREVIEW,
    PRODUCTION,
    planned,
    refused,
    regular,
    shape,
    wave,
    world,
)


def test_moving_a_wave_to_a_later_window_moves_its_deployments_and_its_place(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "eu")
    february = regular(session, "eu", FEB)

    releases.move_wave(session, production.id, window_id=february.id, now=NOW)

    assert production.window is february
    assert {(d.window_id, d.scheduled_for) for d in production.deployments} == {
        (february.id, february.starts_at)
    }
    assert [(kind, region, day) for kind, region, day, _ in shape(made)] == [
        (PREVIEW, "eu", DEC),
        (PREVIEW, "us", DEC),
        (PRODUCTION, "us", JAN),
        (PRODUCTION, "eu", FEB),
    ]
    assert [w.position for w in made.waves] == [1, 2, 3, 4]


def test_moving_a_wave_into_a_customers_freeze_is_refused(session):
    world(session)
    made = planned(session)
    february = regular(session, "us", FEB)
    create_freeze(
        session,
        title="Globex migration",
        customer="globex",
        starts_at=february.starts_at,
        ends_at=february.ends_at,
        actor="rm",
        now=NOW,
    )

    with refused(session, Conflict, "globex is frozen then") as caught:
        releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=february.id, now=NOW)
    assert caught.value.field == "window"


def test_moving_a_wave_into_its_regions_freeze_is_refused_naming_the_freeze(session):
    world(session)
    made = planned(session)
    february = regular(session, "us", FEB)
    holiday = create_freeze(
        session,
        title="US holiday",
        region="us",
        starts_at=february.starts_at,
        ends_at=february.ends_at,
        actor="rm",
        now=NOW,
    )

    with refused(session, Conflict) as caught:
        releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=february.id, now=NOW)
    assert caught.value.message == f"acme is frozen then: {holiday.describe()}"


def test_a_freeze_of_a_customer_outside_the_wave_does_not_stop_it_moving(session):
    world(session)
    made = planned(session)
    february = regular(session, "us", FEB)
    create_freeze(
        session,
        title="Initech launch",
        customer="initech",  # in eu's waves only
        starts_at=february.starts_at,
        ends_at=february.ends_at,
        actor="rm",
        now=NOW,
    )

    releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=february.id, now=NOW)

    assert wave(made, PRODUCTION, "us").window == february


def test_of_two_customers_frozen_in_the_window_the_refusal_names_the_first_by_name(session):
    world(session)
    make_customer(session, "aardvark", "us")  # made last, first by name
    made = planned(session)
    february = regular(session, "us", FEB)
    for customer in ("acme", "aardvark"):
        create_freeze(
            session,
            title=f"{customer} launch",
            customer=customer,
            starts_at=february.starts_at,
            ends_at=february.ends_at,
            actor="rm",
            now=NOW,
        )

    with refused(session, Conflict, "^aardvark is frozen then: 'aardvark launch'"):
        releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=february.id, now=NOW)


def test_moving_production_inside_the_soak_time_is_refused(session):
    world(session)
    made = planned(session)

    with refused(session, Conflict) as caught:
        releases.move_wave(
            session,
            wave(made, PRODUCTION, "us").id,
            window_id=regular(session, "us", DEC).id,
            now=NOW,
        )
    assert caught.value.message == (
        "acme's production must start at least 7 days after its preview ends (2026-12-19 16:00Z)"
    )


def ad_hoc(session, region: str, start: datetime, hours: int = 2):
    return create_window(
        session,
        title="Ad hoc",
        region=region,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )


def test_production_may_move_to_a_window_starting_exactly_when_the_soak_ends(session):
    world(session)
    made = planned(session)
    preview_end = wave(made, PREVIEW, "us").window.ends_at
    at_soak_end = ad_hoc(session, "us", preview_end + timedelta(days=7))

    releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=at_soak_end.id, now=NOW)

    assert wave(made, PRODUCTION, "us").window == at_soak_end


def test_preview_may_move_to_a_window_ending_exactly_the_soak_before_production(session):
    world(session)
    made = planned(session)
    production_start = wave(made, PRODUCTION, "us").window.starts_at
    just_in_time = ad_hoc(session, "us", production_start - timedelta(days=7, hours=2))

    releases.move_wave(session, wave(made, PREVIEW, "us").id, window_id=just_in_time.id, now=NOW)

    assert wave(made, PREVIEW, "us").window == just_in_time


def test_moving_preview_into_the_soak_before_production_is_refused(session):
    world(session)
    made = planned(session)
    production_start = wave(made, PRODUCTION, "us").window.starts_at
    too_late = ad_hoc(session, "us", production_start - timedelta(days=3))

    with refused(session, Conflict, "preview must end 7 days before its production"):
        releases.move_wave(session, wave(made, PREVIEW, "us").id, window_id=too_late.id, now=NOW)


def test_a_wave_is_held_to_its_own_customers_previews_not_another_regions(session):
    # us's preview ends at 16:00Z, eu's at 11:00Z: 12:00Z a week later is soon enough for eu.
    world(session)
    made = planned(session)
    eu_preview_end = wave(made, PREVIEW, "eu").window.ends_at
    assert eu_preview_end < wave(made, PREVIEW, "us").window.ends_at
    early = ad_hoc(session, "eu", eu_preview_end + timedelta(days=7, hours=1))

    releases.move_wave(session, wave(made, PRODUCTION, "eu").id, window_id=early.id, now=NOW)

    assert wave(made, PRODUCTION, "eu").window == early


def test_moving_preview_after_production_is_refused(session):
    world(session)
    made = planned(session)

    with refused(session, Conflict, "preview must end 7 days before its production"):
        releases.move_wave(
            session, wave(made, PREVIEW, "us").id, window_id=regular(session, "us", FEB).id, now=NOW
        )


def test_moving_a_wave_to_another_regions_window_is_refused(session):
    world(session)
    made = planned(session)

    with refused(session, Invalid, "is not one of region us's windows") as caught:
        releases.move_wave(
            session,
            wave(made, PRODUCTION, "us").id,
            window_id=regular(session, "eu", FEB).id,
            now=NOW,
        )
    assert caught.value.field == "window"


def test_a_wave_cannot_move_into_a_window_that_has_begun(session):
    world(session)
    made = planned(session)

    with refused(session, Invalid, "already begun"):
        releases.move_wave(
            session,
            wave(made, PRODUCTION, "us").id,
            window_id=regular(session, "us", JAN).id,
            now=regular(session, "us", JAN).starts_at + timedelta(minutes=5),
        )


def test_a_wave_cannot_move_into_a_window_that_does_not_exist(session):
    world(session)
    made = planned(session)

    with refused(session, Invalid, "no window #999999") as caught:
        releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=999999, now=NOW)
    assert caught.value.field == "window"


def test_a_wave_that_has_started_cannot_move(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")
    releases.report_outcome(
        session, production.deployments[0], status="in_progress", actor="ci", now=NOW
    )

    with refused(session, Conflict, "has started") as caught:
        releases.move_wave(
            session, production.id, window_id=regular(session, "us", FEB).id, now=NOW
        )
    assert caught.value.field == "wave"
