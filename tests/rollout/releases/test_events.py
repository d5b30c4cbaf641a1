"""Capabilities built on releases hear of each change once, in its transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout import releases
from rollout.releases import ReleaseEvent, events
from tests.conftest import NOW
from tests.rollout.releases.helpers import PRODUCTION, planned, wave, world, zero_day


@pytest.fixture
def heard():
    """Every event emitted during the test, as (event, subject) pairs."""
    log: list[tuple[ReleaseEvent, object]] = []
    listeners = {}
    for event in ReleaseEvent:
        listeners[event] = events.on(event)(
            lambda _session, subject, _now, event=event: log.append((event, subject))
        )
    yield log
    for event, listener in listeners.items():
        events._listeners[event].remove((listener, False))


def test_a_release_is_heard_created_scheduled_and_completed_once(session, heard):
    world(session)
    made = planned(session)
    done = NOW + timedelta(days=40)
    for w in made.waves:
        releases.report_wave(session, w.id, status="succeeded", actor="ci", now=done)
    production = wave(made, PRODUCTION, "us").deployments[0]
    releases.report_outcome(session, production, status="rolled_back", actor="rm", now=done)
    releases.report_outcome(session, production, status="succeeded", actor="ci", now=done)

    kinds = [event for event, _ in heard]
    assert kinds[:2] == [ReleaseEvent.RELEASE_CREATED, ReleaseEvent.RELEASE_SCHEDULED]
    assert kinds.count(ReleaseEvent.RELEASE_COMPLETED) == 1
    assert kinds.count(ReleaseEvent.DEPLOYMENT_SUCCEEDED) == 7  # 6 environments, 1 redeploy
    assert [s for e, s in heard if e == ReleaseEvent.DEPLOYMENT_ROLLED_BACK] == [production]


def test_a_hotfix_is_heard_scheduled_on_approval_and_applied_when_everywhere(session, heard):
    world(session)
    hotfix = zero_day(session)
    assert heard == []

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW)
    for deployment in hotfix.deployments:
        releases.report_outcome(session, deployment, status="succeeded", actor="ci", now=NOW)

    assert [(e, s) for e, s in heard if s is hotfix] == [
        (ReleaseEvent.HOTFIX_SCHEDULED, hotfix),
        (ReleaseEvent.HOTFIX_APPLIED, hotfix),
    ]


def test_a_batch_listener_hears_a_waves_deployments_in_one_call_and_one_outcome_alone(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")
    calls: list[list] = []
    listener = events.on(ReleaseEvent.DEPLOYMENT_SUCCEEDED, batch=True)(
        lambda _session, subjects, _now: calls.append(subjects)
    )
    try:
        done = NOW + timedelta(days=40)
        releases.report_wave(session, production.id, status="succeeded", actor="ci", now=done)
        (first, *_) = production.deployments
        releases.report_outcome(session, first, status="rolled_back", actor="rm", now=done)
        releases.report_outcome(session, first, status="succeeded", actor="ci", now=done)
    finally:
        events._listeners[ReleaseEvent.DEPLOYMENT_SUCCEEDED].remove((listener, True))
    assert calls == [production.deployments, [first]]
    assert len(production.deployments) > 1
