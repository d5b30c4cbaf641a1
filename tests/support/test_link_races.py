"""Links racing on PostgreSQL: tickets linked at the same moment to a bug Rollout has not
synced yet store that bug once, and every link is made and counted in triage's sums."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from rollout.db import make_engine, make_session_factory
from rollout.jira.models import Bug
from rollout.support.models import BugWaiting, TicketBug
from rollout.support.tickets import create_ticket, link_bug
from tests.conftest import NOW
from tests.factories import make_customer, make_region
from tests.support.test_fix_status_use_cases import bug_record

RACERS = 10


def test_tickets_linked_at_once_to_an_unsynced_bug_store_it_once(fresh_postgres_url):
    engine = make_engine(fresh_postgres_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        make_region(session, "us")
        make_customer(session, "acme", "us")
        for n in range(RACERS):
            create_ticket(
                session,
                external_id=f"ZD-{n}",
                url=f"https://help.example.com/tickets/{n}",
                customer="acme",
                requester_name="Dana",
                requester_email="dana@acme.example",
                subject="Exports time out",
                sla_level=2,
                now=NOW,
            )
        session.commit()
    # Jira answers every link only once all of them have found the bug missing.
    asked = threading.Barrier(RACERS, timeout=30)

    def jira(key):
        asked.wait()
        return bug_record(key)

    failures = []

    def link(n: int) -> None:
        try:
            with sessions() as session:
                link_bug(session, f"ZD-{n}", "OPS-9", lookup=jira, actor="agent", now=NOW)
                session.commit()
        except Exception as exc:  # kept for the assertion below, which shows it
            failures.append(exc)

    threads = [threading.Thread(target=link, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with sessions() as session:
        assert session.scalar(select(func.count(Bug.id))) == 1
        assert session.scalar(select(func.count(TicketBug.id))) == RACERS
        # Each recomputed the sums in turn: the last saw every link.
        assert session.execute(select(BugWaiting.tickets, BugWaiting.reach_halves)).all() == [
            (RACERS, RACERS + 1)
        ]
    engine.dispose()
