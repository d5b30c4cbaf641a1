"""Freezes over planned work made at the same moment as another freeze or a release plan, on
PostgreSQL: each waits for the regions the other holds, so one wins and the other sees it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rollout import releases
from rollout.errors import Conflict, Invalid
from rollout.freeze_cover import covered_windows, declare_freeze
from rollout.freezes import Freeze
from rollout.windows import Window, WindowStatus
from tests.conftest import NOW
from tests.factories import CONTEXT
from tests.rollout.releases.helpers import world
from tests.rollout.test_lock_races import WAIT, racing

FRIDAY = datetime(2026, 12, 11, tzinfo=UTC)
SUNDAY = datetime(2026, 12, 13, tzinfo=UTC)


@pytest.fixture
def sessions(fresh_postgres_url):
    from rollout.db import make_engine, make_session_factory

    engine = make_engine(fresh_postgres_url)
    with make_session_factory(engine)() as session:
        world(session)
        releases.create_release(session, version="2026.12", title="December", now=NOW)
        session.commit()
    yield make_session_factory(engine)
    engine.dispose()


def declare(session, **fields):
    given = {"title": "Year-end freeze", "starts_at": FRIDAY, "ends_at": SUNDAY}
    return declare_freeze(session, **(given | fields), actor="rm", now=NOW, context=CONTEXT)


def shown(sessions) -> list[int]:
    """The windows a planner is shown before choosing."""
    with sessions() as session:
        probe = Freeze(scope="global", starts_at=FRIDAY, ends_at=SUNDAY)
        return [c.window.id for c in covered_windows(session, probe, now=NOW)]


def test_two_freezes_over_the_same_windows_at_once_the_second_sees_the_first(sessions):
    reviewed = shown(sessions)
    assert len(reviewed) == 2
    with sessions() as first:
        declare(first, covered="cancel", reviewed=reviewed)  # holds every region

        def second() -> None:
            with sessions() as session:
                declare(session, title="Other freeze", covered="move", reviewed=reviewed)
                session.commit()

        thread, raised = racing(second)
        thread.join(WAIT)
        assert thread.is_alive(), f"the second freeze did not wait: {raised}"
        first.commit()
    thread.join(30)
    assert [type(e) for e in raised] == [Conflict]
    assert "changed since you looked" in raised[0].message
    with sessions() as session:
        assert {w.status for w in session.query(Window).filter(Window.id.in_(reviewed))} == {
            WindowStatus.CANCELLED
        }
        assert [f.title for f in session.query(Freeze)] == ["Year-end freeze"]


def test_a_plan_made_while_a_freeze_is_being_made_waits_and_plans_around_it(sessions):
    with sessions() as freezing:
        declare(freezing, covered="cancel")

        def plan() -> None:
            with sessions() as session:
                releases.plan_release(session, "2026.12", actor="rm", now=NOW)
                session.commit()

        thread, raised = racing(plan)
        thread.join(WAIT)
        assert thread.is_alive(), "the plan read the calendar without the freeze"
        freezing.commit()
    thread.join(30)
    assert raised == []
    with sessions() as session:
        release = releases.get_release(session, "2026.12")
        assert release.waves and all(w.window.starts_at > SUNDAY for w in release.waves)


def test_a_freeze_made_while_a_plan_is_being_made_waits_and_finds_its_waves(sessions):
    with sessions() as planning:
        releases.plan_release(planning, "2026.12", actor="rm", now=NOW)

        def freeze() -> None:
            with sessions() as session:
                declare(session)
                session.commit()

        thread, raised = racing(freeze)
        thread.join(WAIT)
        assert thread.is_alive(), "the freeze read the windows without waiting for the plan"
        planning.commit()
    thread.join(30)
    assert [type(e) for e in raised] == [Invalid]
    assert "carries release 2026.12" in raised[0].message
    with sessions() as session:
        assert session.query(Freeze).count() == 0
