"""Staff accounts and tokens changed at the same moment on PostgreSQL: two admins disabling
each other leave one admin, and processes racing to note a token's use write it once."""

from __future__ import annotations

import threading

import pytest

from rollout import access
from rollout.db import make_engine, make_session_factory
from rollout.errors import Conflict
from tests.conftest import NOW

RACERS = 8


@pytest.fixture
def sessions(fresh_postgres_url):
    engine = make_engine(fresh_postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


def together(works: list) -> list[BaseException | None]:
    """Each of `works` on its own thread, started at once; what each raised, or None."""
    start = threading.Barrier(len(works))
    raised: list[BaseException | None] = [None] * len(works)

    def run(n: int) -> None:
        start.wait()
        try:
            works[n]()
        except BaseException as exc:  # kept for the assertion, which shows it
            raised[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return raised


def test_two_admins_disabling_each_other_at_once_leave_one_admin(sessions):
    with sessions() as session:
        for email in ("ann@example.com", "ben@example.com"):
            access.create_user(
                session, email=email, name=email, role="admin", password="long enough", now=NOW
            )
        session.commit()

    def disable(email: str):
        def work() -> None:
            with sessions() as session:
                access.disable_user(session, email=email, now=NOW)
                session.commit()

        return work

    raised = together([disable("ann@example.com"), disable("ben@example.com")])

    assert sorted(type(e).__name__ for e in raised) == ["Conflict", "NoneType"]
    with sessions() as session:
        enabled = [u.email for u in access.list_users(session) if u.disabled_at is None]
    assert len(enabled) == 1


def test_an_admin_demoted_while_the_other_is_disabled_leaves_one_admin(sessions):
    with sessions() as session:
        for email in ("ann@example.com", "ben@example.com"):
            access.create_user(
                session, email=email, name=email, role="admin", password="long enough", now=NOW
            )
        session.commit()

    def demote() -> None:
        with sessions() as session:
            access.set_role(session, email="ann@example.com", role="support_agent")
            session.commit()

    def disable() -> None:
        with sessions() as session:
            access.disable_user(session, email="ben@example.com", now=NOW)
            session.commit()

    raised = together([demote, disable])

    assert [e for e in raised if e is not None and not isinstance(e, Conflict)] == []
    assert sum(isinstance(e, Conflict) for e in raised) == 1
    with sessions() as session:
        admins = [
            u.email
            for u in access.list_users(session)
            if u.role == "admin" and u.disabled_at is None
        ]
    assert len(admins) == 1


def test_processes_racing_to_note_a_tokens_use_write_it_once_and_none_fails(sessions):
    with sessions() as session:
        token, _ = access.create_token(session, name="busy", role="admin", now=NOW)
        session.commit()
    wrote: list[bool] = []

    def note() -> None:
        with sessions() as session:
            wrote.append(access.record_token_use(session, token.id, now=NOW))
            session.commit()

    raised = together([note] * RACERS)

    assert raised == [None] * RACERS and sorted(wrote) == [False] * (RACERS - 1) + [True]
