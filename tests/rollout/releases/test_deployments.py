"""Deployment outcomes against a real database: each step a deployment may take, whole-wave
reports, rollbacks, environment states and the environments that carry a fix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rollout import releases
from rollout.errors import Conflict, Invalid, NotFound
from rollout.releases import (
    Deployment,
    DeploymentStatus,
    ReleaseStatus,
)
from tests.conftest import NOW
from tests.rollout.releases.helpers import (
    LATER,
    PREVIEW,
    PRODUCTION,
    deployment,
    planned,
    refused,
    release,
    succeed_everywhere,
    wave,
    world,
)


def test_an_outcome_for_an_unknown_release_or_hotfix_names_it(session):
    world(session)
    planned(session)

    with pytest.raises(NotFound) as release:
        releases.find_deployment(session, environment="acme-preview", release="1999.01")
    with pytest.raises(NotFound) as hotfix:
        releases.find_deployment(session, environment="acme-preview", hotfix=999999)
    assert (release.value.field, hotfix.value.field) == ("release", "hotfix")


def test_a_deployment_goes_from_scheduled_to_in_progress_to_succeeded_and_can_be_rolled_back(
    session,
):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    start, end = LATER, LATER + timedelta(hours=1)

    releases.report_outcome(session, acme, status="in_progress", actor="ci", now=start)
    assert (acme.status, acme.started_at, acme.finished_at) == ("in_progress", start, None)
    releases.report_outcome(session, acme, status="succeeded", note=" ok ", actor="ci", now=end)
    assert (acme.status, acme.started_at, acme.finished_at, acme.note) == (
        "succeeded",
        start,
        end,
        "ok",
    )
    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=end)
    assert acme.status == DeploymentStatus.ROLLED_BACK and acme.reported_by == "rm"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "rolled_back"),
        ([], "scheduled"),
        (["in_progress"], "in_progress"),
        (["succeeded"], "in_progress"),
        (["succeeded"], "failed"),
        (["succeeded", "rolled_back"], "rolled_back"),
    ],
)
def test_an_outcome_that_cannot_follow_the_current_one_is_a_conflict(session, path, illegal):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    for status in path:
        releases.report_outcome(session, acme, status=status, actor="ci", now=LATER)

    with refused(session, Conflict, "^This deployment .* but not ") as caught:
        releases.report_outcome(session, acme, status=illegal, actor="ci", now=LATER)
    assert caught.value.field == "status"


def test_an_unknown_outcome_is_invalid(session):
    world(session)
    planned(session)

    with refused(session, Invalid) as caught:
        releases.report_outcome(
            session,
            deployment(session, "acme-preview", release="2026.12"),
            status="done",
            actor="ci",
            now=NOW,
        )
    assert caught.value.field == "status"


def test_an_environment_outside_the_wave_is_refused(session):
    world(session)
    made = planned(session)

    with pytest.raises(Invalid, match="not part of this rollout in wave") as caught:
        releases.find_deployment(
            session,
            environment="initech-preview",
            release="2026.12",
            wave=wave(made, PREVIEW, "us").id,
        )
    assert caught.value.field == "environment"


def test_the_release_rolls_out_with_the_first_outcome_and_completes_with_the_last(session):
    world(session)
    made = planned(session)
    *early, last = made.waves
    releases.report_outcome(
        session, early[0].deployments[0], status="in_progress", actor="ci", now=NOW
    )
    assert (made.status, made.completed_at) == (ReleaseStatus.ROLLING_OUT, None)

    for w in early:
        releases.report_wave(session, w.id, status="succeeded", actor="ci", now=LATER)
    assert made.status == ReleaseStatus.ROLLING_OUT
    done = LATER + timedelta(days=1)
    releases.report_wave(session, last.id, status="succeeded", actor="ci", now=done)

    assert (made.status, made.completed_at) == (ReleaseStatus.COMPLETED, done)


def test_a_whole_wave_report_is_all_or_nothing(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")
    globex = deployment(session, "globex-production", release="2026.12")
    releases.report_outcome(session, globex, status="succeeded", actor="ci", now=LATER)

    # acme's deployment could succeed, globex's already has: neither changes.
    with refused(session, Conflict, "globex-production already succeeded"):
        releases.report_wave(session, production.id, status="succeeded", actor="ci", now=LATER)
    assert deployment(session, "acme-production", release="2026.12").status == "scheduled"


def test_rolling_back_puts_the_environment_back_on_its_previous_release(session):
    world(session)
    first = planned(session, "2026.12")
    succeed_everywhere(session, first, LATER)
    planned(session, "2027.01")
    acme = deployment(session, "acme-production", release="2027.01")
    releases.report_outcome(
        session, acme, status="succeeded", actor="ci", now=LATER + timedelta(days=2)
    )

    def current() -> dict[str, str | None]:
        return {
            s.environment.name: s.current_release.version if s.current_release else None
            for s in releases.environment_states(session, "acme")
        }

    assert current() == {"acme-preview": "2026.12", "acme-production": "2027.01"}

    releases.report_outcome(
        session, acme, status="rolled_back", actor="rm", now=LATER + timedelta(days=3)
    )

    assert current() == {"acme-preview": "2026.12", "acme-production": "2026.12"}
    (production,) = [
        s for s in releases.environment_states(session, "acme") if s.environment.kind == PRODUCTION
    ]
    assert [(d.release.version, d.status) for d in production.history] == [
        ("2026.12", "succeeded"),
        ("2027.01", "rolled_back"),
    ]
    assert [d.release.version for d in production.upcoming] == []


def test_environment_states_show_upcoming_deployments_and_hotfixes_on_top(session):
    world(session)
    first = planned(session, "2026.12")
    succeed_everywhere(session, first, LATER)
    hotfix = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="rm", now=NOW + timedelta(days=2)
    )
    for d in hotfix.deployments:
        if d.environment.customer.slug == "acme":
            releases.report_outcome(session, d, status="succeeded", actor="ci", now=LATER)
    planned(session, "2027.02")

    states = {s.environment.kind: s for s in releases.environment_states(session, "acme")}

    assert [h.title for h in states[PRODUCTION].hotfixes] == ["Export fix"]
    assert [d.release.version for d in states[PRODUCTION].upcoming] == ["2027.02"]
    assert states[PREVIEW].current_release.version == "2026.12"


def test_cancelling_a_release_withdraws_what_had_not_started(session):
    world(session)
    made = planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    releases.report_outcome(session, acme, status="failed", actor="ci", now=NOW)

    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    left = session.scalars(select(Deployment).where(Deployment.release_id == made.id)).all()
    assert left == [acme]
    for customer in ("acme", "globex", "initech"):
        for state in releases.environment_states(session, customer):
            assert all(d.status == "failed" for d in state.upcoming)
    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=NOW)
    assert made.status == ReleaseStatus.CANCELLED


def test_each_wave_keeps_the_count_of_its_deployments_through_replanning_and_cancelling(session):
    world(session)

    def stored_and_counted(release) -> list[tuple[int, int]]:
        session.flush()
        session.expire_all()
        return [(w.environments, len(w.deployments)) for w in release.waves]

    made = planned(session)
    assert stored_and_counted(made) == [(1, 1), (2, 2), (1, 1), (2, 2)]
    made = releases.plan_release(session, "2026.12", actor="rm", now=NOW + timedelta(days=30))
    assert all(n == counted for n, counted in stored_and_counted(made))
    later = NOW + timedelta(days=31)
    acme = deployment(session, "acme-preview", release="2026.12")
    releases.report_outcome(session, acme, status="failed", actor="ci", now=later)
    releases.update_release(session, "2026.12", cancel=True, now=later)
    # Only the wave of acme's failed preview still reaches an environment.
    assert sorted(stored_and_counted(made)) == [(0, 0), (0, 0), (0, 0), (1, 1)]


def test_environments_with_a_fix_are_found_by_release_item_and_by_hotfix_but_not_rolled_back(
    session,
):
    world(session)
    release(session, "2026.12")
    releases.add_item(session, "2026.12", kind="fix", summary="Export", jira_key="OPS-1", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    for env in ("acme-preview", "acme-production", "initech-preview"):
        releases.report_outcome(
            session,
            deployment(session, env, release="2026.12"),
            status="succeeded",
            actor="ci",
            now=LATER,
        )
    releases.report_outcome(
        session,
        deployment(session, "acme-production", release="2026.12"),
        status="rolled_back",
        actor="rm",
        now=LATER,
    )
    hotfix = releases.request_hotfix(
        session, title="Login fix", urgency="normal", jira_key="OPS-2", actor="rm", now=NOW
    )
    releases.report_outcome(
        session,
        deployment(session, "globex-production", hotfix=hotfix),
        status="succeeded",
        actor="ci",
        now=LATER,
    )
    release(session, "2027.01")
    releases.add_item(session, "2027.01", kind="fix", summary="Later", jira_key="OPS-3", now=NOW)

    def names(key: str) -> list[str]:
        return [e.name for e in releases.environments_with_fix(session, key)]

    assert names("OPS-1") == ["acme-preview", "initech-preview"]
    assert names("OPS-2") == ["globex-production"]
    assert names("OPS-3") == []
    assert names("OPS-404") == []
