"""Capabilities built on releases hear of each change once, in its transaction."""

from __future__ import annotations

import pytest

from rollout import events, handlers, releases
from tests.conftest import NOW
from tests.factories import CONTEXT
from tests.rollout.releases.helpers import LATER, PRODUCTION, planned, wave, world, zero_day


@pytest.fixture
def heard(monkeypatch):
    """Every event published during the test, in order, after the real handlers ran."""
    log: list[object] = []
    for kind, chain in handlers.HANDLERS.items():
        monkeypatch.setitem(
            handlers.HANDLERS, kind, (*chain, lambda _session, event, **_: log.append(event))
        )
    return log


def test_a_release_is_heard_created_scheduled_and_completed_once(session, heard):
    world(session)
    made = planned(session)
    done = LATER
    for w in made.waves:
        releases.report_wave(session, w.id, status="succeeded", actor="ci", now=done)
    production = wave(made, PRODUCTION, "us").deployments[0]
    releases.report_outcome(session, production, status="rolled_back", actor="rm", now=done)
    releases.report_outcome(session, production, status="succeeded", actor="ci", now=done)

    kinds = [type(event) for event in heard]
    assert kinds[:2] == [events.ReleaseCreated, events.ReleaseScheduled]
    assert kinds.count(events.ReleaseCompleted) == 1
    succeeded = [e.deployments for e in heard if isinstance(e, events.DeploymentsSucceeded)]
    assert sum(len(d) for d in succeeded) == 7  # 6 environments, 1 redeploy
    rolled_back = [e.deployments for e in heard if isinstance(e, events.DeploymentsRolledBack)]
    assert rolled_back == [(production,)]


def test_a_hotfix_is_heard_scheduled_on_approval_and_applied_when_everywhere(session, heard):
    world(session)
    hotfix = zero_day(session)
    assert heard == []

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)
    for deployment in hotfix.deployments:
        releases.report_outcome(session, deployment, status="succeeded", actor="ci", now=LATER)

    assert [e for e in heard if getattr(e, "hotfix", None) is hotfix] == [
        events.HotfixScheduled(hotfix),
        events.HotfixApplied(hotfix),
    ]


def test_a_waves_deployments_are_heard_in_one_event_and_one_outcome_alone(session, heard):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")
    done = LATER
    releases.report_wave(session, production.id, status="succeeded", actor="ci", now=done)
    (first, *_) = production.deployments
    releases.report_outcome(session, first, status="rolled_back", actor="rm", now=done)
    releases.report_outcome(session, first, status="succeeded", actor="ci", now=done)

    succeeded = [e.deployments for e in heard if isinstance(e, events.DeploymentsSucceeded)]
    assert succeeded == [tuple(production.deployments), (first,)]
    assert len(production.deployments) > 1
