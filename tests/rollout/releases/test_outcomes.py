"""Which outcome may follow which, decided once for menus and refusals alike, and the rule
that a success before its window starts is recorded only when the deploy ran early."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout import releases
from rollout.errors import Conflict, Invalid
from rollout.releases import DeploymentStatus, ReleaseStatus
from tests.conftest import NOW
from tests.rollout.releases.helpers import (
    LATER,
    PREVIEW,
    deployment,
    planned,
    refused,
    wave,
    world,
)

S = DeploymentStatus


@pytest.mark.parametrize(
    ("statuses", "allowed"),
    [
        ([S.SCHEDULED], [S.IN_PROGRESS, S.SUCCEEDED, S.FAILED]),
        ([S.IN_PROGRESS], [S.SUCCEEDED, S.FAILED]),
        ([S.SUCCEEDED], [S.ROLLED_BACK]),
        ([S.FAILED], [S.IN_PROGRESS, S.SUCCEEDED, S.ROLLED_BACK]),
        ([S.ROLLED_BACK], [S.IN_PROGRESS, S.SUCCEEDED, S.FAILED]),
        ([S.FAILED, S.ROLLED_BACK], [S.IN_PROGRESS, S.SUCCEEDED]),
        ([S.SCHEDULED, S.SUCCEEDED], []),
        ([], []),
    ],
)
def test_the_outcomes_offered_are_those_every_deployment_may_take(statuses, allowed):
    assert releases.allowed_outcomes(*statuses) == allowed


def _reach(session, status: DeploymentStatus):
    """acme-preview's deployment, taken to `status` after its window started."""
    acme = deployment(session, "acme-preview", release="2026.12")
    path = {
        S.SCHEDULED: [],
        S.IN_PROGRESS: [S.IN_PROGRESS],
        S.SUCCEEDED: [S.SUCCEEDED],
        S.FAILED: [S.FAILED],
        S.ROLLED_BACK: [S.SUCCEEDED, S.ROLLED_BACK],
    }[status]
    for step in path:
        releases.report_outcome(session, acme, status=step, actor="ci", now=LATER)
    return acme


@pytest.mark.parametrize("current", list(S))
def test_recording_refuses_exactly_what_the_menus_leave_out(session, current):
    world(session)
    planned(session)
    acme = _reach(session, current)
    for wanted in set(S) - set(releases.allowed_outcomes(current)):
        with refused(session, Conflict) as caught:
            releases.report_outcome(session, acme, status=wanted, actor="ci", now=LATER)
        assert caught.value.field == "status"
    for wanted in releases.allowed_outcomes(current):
        with session.begin_nested() as savepoint:
            releases.report_outcome(session, acme, status=wanted, actor="ci", now=LATER)
            assert acme.status == wanted
            savepoint.rollback()


def test_a_refused_outcome_says_in_plain_words_what_may_happen_instead(session):
    world(session)
    planned(session)
    acme = _reach(session, S.SUCCEEDED)

    with pytest.raises(Conflict) as restarted:
        releases.report_outcome(session, acme, status="in_progress", actor="ci", now=LATER)

    assert restarted.value.message == (
        "This deployment already succeeded; it can be rolled back but not restarted"
    )


def test_a_success_before_the_window_starts_is_refused_and_the_release_stays_scheduled(session):
    world(session)
    made = planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    assert acme.window.starts_at > NOW

    with refused(session, Conflict, "ran early") as caught:
        releases.report_outcome(session, acme, status="succeeded", actor="ci", now=NOW)

    assert caught.value.field == "early"
    assert made.status == ReleaseStatus.SCHEDULED


def test_a_start_or_failure_before_the_window_is_recorded_without_a_reason(session):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")

    releases.report_outcome(session, acme, status="in_progress", actor="ci", now=NOW)
    releases.report_outcome(session, acme, status="failed", actor="ci", now=NOW)

    assert [o.status for o in releases.deployment_history(session, acme)] == [
        "in_progress",
        "failed",
    ]


@pytest.mark.parametrize("reason", [None, "", "   ", "two\nlines"])
def test_an_early_success_needs_a_one_line_reason(session, reason):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")

    with refused(session, Invalid) as caught:
        releases.report_outcome(
            session, acme, status="succeeded", early=True, early_reason=reason, actor="ci", now=NOW
        )
    assert caught.value.field == "early_reason"


def test_an_early_success_with_its_reason_is_recorded_and_kept_in_the_history(session):
    world(session)
    made = planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")

    releases.report_outcome(
        session,
        acme,
        status="succeeded",
        early=True,
        early_reason=" Customer asked for it on Friday ",
        actor="rm",
        now=NOW,
    )
    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=LATER)

    assert made.status == ReleaseStatus.ROLLING_OUT
    assert [
        (o.status, o.early_reason, o.reported_by, o.recorded_at)
        for o in releases.deployment_history(session, acme)
    ] == [
        ("succeeded", "Customer asked for it on Friday", "rm", NOW),
        ("rolled_back", None, "rm", LATER),
    ]


def test_the_early_flag_on_a_success_inside_its_window_is_not_kept(session):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    during = acme.window.starts_at + timedelta(minutes=5)

    releases.report_outcome(
        session, acme, status="succeeded", early=True, early_reason="habit", actor="ci", now=during
    )

    (outcome,) = releases.deployment_history(session, acme)
    assert outcome.early_reason is None


def test_a_whole_wave_before_its_window_is_refused_for_all_or_recorded_early_for_all(session):
    world(session)
    made = planned(session)
    preview = wave(made, PREVIEW, "us")

    with refused(session, Conflict, "acme-preview's window starts"):
        releases.report_wave(session, preview.id, status="succeeded", actor="ci", now=NOW)
    reported = releases.report_wave(
        session,
        preview.id,
        status="succeeded",
        early=True,
        early_reason="Pipeline ran ahead",
        actor="ci",
        now=NOW,
    )

    assert {d.status for d in reported} == {"succeeded"}
    assert {o.early_reason for d in reported for o in releases.deployment_history(session, d)} == {
        "Pipeline ran ahead"
    }
