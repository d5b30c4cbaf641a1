"""Planning a release against a real database: preview first, the soak, each region's next
window, customers' event plans; every refusal leaves the database as it found it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from rollout import releases
from rollout.demo import load_demo
from rollout.errors import Conflict
from rollout.freezes import create_freeze
from rollout.releases import (
    Deployment,
    DeploymentStatus,
    ReleaseStatus,
)
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_region
from tests.rollout.releases.helpers import (
    DEC,
    FEB,
    JAN,
    PREVIEW,
    PRODUCTION,
    planned,
    refused,
    regular,
    release,
    shape,
    snapshot,
    wave,
    world,
)


def test_plan_puts_preview_first_and_each_regions_production_in_its_next_window_after_the_soak(
    session,
):
    world(session)

    made = planned(session)

    assert made.status == ReleaseStatus.SCHEDULED
    assert shape(made) == [
        (PREVIEW, "eu", DEC, ["initech"]),
        (PREVIEW, "us", DEC, ["acme", "globex"]),
        (PRODUCTION, "eu", JAN, ["initech"]),
        (PRODUCTION, "us", JAN, ["acme", "globex"]),
    ]
    assert [w.position for w in made.waves] == [1, 2, 3, 4]
    deployments = [d for w in made.waves for d in w.deployments]
    assert len(deployments) == 6
    assert all(
        d.status == DeploymentStatus.SCHEDULED and d.scheduled_for == d.wave.window.starts_at
        for d in deployments
    )
    assert releases.region_dates(made)["us"] == {
        "preview": regular(session, "us", DEC).starts_at,
        "production": regular(session, "us", JAN).starts_at,
    }


def test_a_customer_in_its_event_plan_gets_production_in_its_next_allowed_window_and_a_note(
    session,
):
    world(session)
    january = regular(session, "eu", JAN)
    create_freeze(
        session,
        title="Initech launch",
        customer="initech",
        starts_at=january.starts_at - timedelta(days=1),
        ends_at=january.ends_at + timedelta(days=1),
        actor="rm",
        now=NOW,
    )

    made = planned(session)

    assert shape(made)[2:] == [
        (PRODUCTION, "us", JAN, ["acme", "globex"]),
        (PRODUCTION, "eu", FEB, ["initech"]),
    ]
    assert wave(made, PRODUCTION, "eu").note == "initech moved past 'Initech launch'"
    assert wave(made, PRODUCTION, "us").note == ""


def test_a_release_with_a_longer_soak_waits_another_month(session):
    world(session)

    made = planned(session, soak_days=40)

    assert {(k, day) for k, _, day, _ in shape(made)} == {(PREVIEW, DEC), (PRODUCTION, FEB)}


def test_planning_again_replaces_the_waves_and_their_deployments(session):
    world(session)
    planned(session)

    made = releases.plan_release(session, "2026.12", actor="rm", now=NOW + timedelta(days=30))

    assert [day for _, _, day, _ in shape(made)] == [JAN, JAN, FEB, FEB]
    count = session.scalars(select(Deployment).where(Deployment.release_id == made.id)).all()
    assert len(count) == 6


def test_planning_with_no_windows_ahead_is_refused_and_changes_nothing(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    release(session)

    with refused(session, Conflict, "no preview window for acme") as caught:
        releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    assert caught.value.field == "windows"
    assert releases.get_release(session, "2026.12").status == ReleaseStatus.DRAFT


def test_only_a_draft_or_scheduled_release_can_be_planned(session):
    world(session)
    release(session)
    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    with refused(session, Conflict, "only a draft or scheduled") as caught:
        releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    assert caught.value.field == "status"


def test_the_demo_holds_a_release_of_each_kind_a_zero_day_and_a_patch(session):
    assert load_demo(session, now=NOW, context=CONTEXT)
    before = snapshot(session)

    by_status = {r.status: r for r in releases.list_releases(session)}
    assert sorted(by_status) == ["completed", "draft", "rolling_out"]
    rolling = by_status["rolling_out"]
    done = {
        (str(w.environment_kind), w.window.region.slug): {d.status for d in w.deployments}
        for w in rolling.waves
    }
    assert done == {
        (PREVIEW, "apac"): {"succeeded"},
        (PREVIEW, "eu"): {"succeeded"},
        (PREVIEW, "us"): {"succeeded"},
        (PRODUCTION, "eu"): {"succeeded"},
        (PRODUCTION, "us"): {"succeeded"},
        (PRODUCTION, "apac"): {"scheduled"},
    }
    assert [w.position for w in rolling.waves] == [1, 2, 3, 4, 5, 6]
    assert [i.kind for i in releases.public_items(rolling)] == ["feature", "fix"]
    assert "security" in [i.kind for i in releases.public_items(by_status["completed"])]
    assert by_status["draft"].items and by_status["draft"].waves == []
    patch, zero_day = sorted(releases.list_hotfixes(session), key=lambda h: h.urgency)
    assert (patch.status, [c.slug for c in patch.customers]) == ("applied", ["stark"])
    assert zero_day.status == "scheduled" and zero_day.requested_by != zero_day.approved_by
    assert {(d.window.kind, d.window.customer_id) for d in zero_day.deployments} == {
        ("emergency", None)
    }
    states = {
        s.environment.name: s
        for c in ("acme", "stark")
        for s in releases.environment_states(session, c)
    }
    assert states["acme-production"].current_release is rolling
    assert states["stark-production"].current_release is by_status["completed"]
    assert [h.title for h in states["stark-production"].hotfixes] == [patch.title]

    assert not load_demo(session, now=NOW, context=CONTEXT)
    assert snapshot(session) == before


def test_the_demo_release_in_draft_plans_around_the_launch_and_the_moved_window(session):
    load_demo(session, now=NOW, context=CONTEXT)
    (draft,) = releases.list_releases(session, statuses={ReleaseStatus.DRAFT})

    made = releases.plan_release(session, draft.version, actor="rm", now=NOW)

    assert shape(made) == [
        (PREVIEW, "apac", DEC, ["stark", "wayne"]),
        (PREVIEW, "eu", DEC, ["initech", "umbrella"]),
        (PREVIEW, "us", DEC, ["acme", "globex"]),
        (PRODUCTION, "eu", JAN, ["umbrella"]),
        (PRODUCTION, "us", JAN, ["acme", "globex"]),
        (PRODUCTION, "apac", date(2027, 1, 16), ["stark", "wayne"]),
        (PRODUCTION, "eu", FEB, ["initech"]),
    ]
    assert made.waves[-1].note == "initech moved past 'Initech product launch'"
