"""Freezes, planning and windows made by hand at the same moment on PostgreSQL: each waits
for the region the other holds, so none is checked against a calendar that is already stale."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rollout.db import make_engine, make_session_factory
from rollout.errors import Conflict
from rollout.freezes import create_freeze
from rollout.windows import Window, WindowStatus, create_window
from tests.conftest import NOW
from tests.factories import CONTEXT, make_policy, make_region

# The second Saturday of December 2026 at 09:00 New York: the demo rule's next occurrence.
SATURDAY = datetime(2026, 12, 12, 14, tzinfo=UTC)
WAIT = 1.0  # long enough for a racer that does not queue to have finished


@pytest.fixture
def sessions(fresh_postgres_url):
    engine = make_engine(fresh_postgres_url)
    with make_session_factory(engine)() as session:
        make_region(session, "us")
        session.commit()
    yield make_session_factory(engine)
    engine.dispose()


def racing(work) -> tuple[threading.Thread, list]:
    """`work` started on a thread of its own; what it raised is kept for the test."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # kept for the assertion, which shows it
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, raised


def freeze_everything(session) -> None:
    create_freeze(
        session,
        title="Year-end freeze",
        starts_at=SATURDAY - timedelta(days=1),
        ends_at=SATURDAY + timedelta(days=1),
        actor="rm",
        now=NOW,
    )


def test_a_window_made_while_a_freeze_is_being_made_waits_and_is_refused(sessions):
    with sessions() as freezing:
        freeze_everything(freezing)  # holds every region until it commits

        def make_window() -> None:
            with sessions() as session:
                create_window(
                    session,
                    title="Database upgrade",
                    region="us",
                    starts_at=SATURDAY,
                    ends_at=SATURDAY + timedelta(hours=2),
                    actor="rm",
                    now=NOW,
                    context=CONTEXT,
                )
                session.commit()

        thread, raised = racing(make_window)
        thread.join(WAIT)
        assert thread.is_alive(), "the window was checked against the calendar without the freeze"
        freezing.commit()
    thread.join(30)
    assert [type(e) for e in raised] == [Conflict]
    assert "inside freeze" in raised[0].message


def test_planning_while_a_freeze_is_being_made_waits_and_skips_the_frozen_occurrence(sessions):
    with sessions() as freezing:
        freeze_everything(freezing)

        def plan() -> None:
            with sessions() as session:
                make_policy(session, "us")  # plans its first eighteen months at once
                session.commit()

        thread, raised = racing(plan)
        thread.join(WAIT)
        assert thread.is_alive(), "planning read the calendar without the freeze"
        freezing.commit()
    thread.join(30)
    assert raised == []
    with sessions() as session:
        saturday = session.scalars(select(Window).where(Window.starts_at == SATURDAY)).all()
        assert saturday, "the policy planned nothing on its first occurrence"
        assert {w.status for w in saturday} == {WindowStatus.CANCELLED}
