"""Triage's stored per-bug sums (`bug_waiting`) stay what the links add up to after every
kind of change that moves them, and the page the database ranks from them is the one the
pure rule ranks from every bug's links."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import select

from rollout import releases
from rollout.customers import Customer, update_customer
from rollout.jira.bugs import delete_bug, upsert_bug, upsert_bugs
from rollout.jira.models import Bug, Priority, Severity, StatusCategory
from rollout.support.fix_status.rule import BugFacts
from rollout.support.models import BugWaiting, Ticket, TicketBug
from rollout.support.tickets import link_bug, unlink_bug, update_ticket
from rollout.support.triage import PRIORITY_WEIGHT, HeldUp, reach, score, triage
from tests.conftest import NOW
from tests.factories import make_customer
from tests.support.test_fix_status_use_cases import bug_record
from tests.support.test_tickets import new_ticket
from tests.support.test_triage import world  # noqa: F401 (a fixture)


def held_up_by_links(session) -> dict[int, list[HeldUp]]:
    """Each bug's customers still waiting, with their tiers and tickets, from every link."""
    tiers = dict(session.execute(select(Customer.id, Customer.tier)).all())
    held: dict[int, list[HeldUp]] = defaultdict(list)
    for (bug_id, customer_id), tickets in waiting_links(session).items():
        held[bug_id].append(HeldUp(str(tiers[customer_id]), tickets))
    return held


def waiting_links(session) -> Counter:
    """Tickets still waiting, by bug and customer."""
    return Counter(
        session.execute(
            select(TicketBug.bug_id, Ticket.customer_id)
            .join(Ticket, TicketBug.ticket_id == Ticket.id)
            .where(TicketBug.fix_live_at.is_(None))
        ).all()
    )


def summed_from_links(session) -> dict[int, tuple]:
    """Each bug's stored row as the pure rule makes it from every link: tickets, twice the
    reach, the score × 40, the customers, those of each tier and the worst SLA."""
    slas = defaultdict(list)
    for bug_id, sla in session.execute(
        select(TicketBug.bug_id, Ticket.sla_level)
        .join(Ticket, TicketBug.ticket_id == Ticket.id)
        .where(TicketBug.fix_live_at.is_(None))
    ):
        slas[bug_id].append(sla)
    bugs = {bug.id: bug for bug in session.scalars(select(Bug))}
    summed = {}
    for bug_id, held in held_up_by_links(session).items():
        tiers = Counter(h.tier for h in held)
        summed[bug_id] = (
            sum(h.tickets for h in held),
            round(2 * reach(held)),
            round(40 * score(bugs[bug_id].priority, bugs[bug_id].severity, held)),
            len(held),
            *(tiers[tier] for tier in ("platinum", "gold", "silver", "standard")),
            min(slas[bug_id]),
        )
    return summed


def stored_rows(session) -> dict[int, tuple]:
    return {
        row.bug_id: (
            row.tickets,
            row.reach_halves,
            row.score40,
            row.customers,
            row.platinum,
            row.gold,
            row.silver,
            row.standard,
            row.worst_sla,
        )
        for row in session.scalars(select(BugWaiting))
    }


def ranked_by_the_rule(session) -> list[str]:
    """Every owed bug ranked by the pure rule over its links, as triage ranked in Python."""
    held = held_up_by_links(session)
    ranks = []
    for bug in session.scalars(select(Bug).where(Bug.deleted_at.is_(None))):
        tickets = sum(h.tickets for h in held[bug.id])
        done = bug.status_category == StatusCategory.DONE
        if BugFacts.of(bug).wont_fix or (done and not tickets):
            continue
        scored = score(bug.priority, bug.severity, held[bug.id])
        ranks.append((-scored, -PRIORITY_WEIGHT.get(bug.priority, 2), -tickets, bug.key))
    return [key for *_, key in sorted(ranks)]


def assert_exact(session):
    session.flush()
    assert stored_rows(session) == summed_from_links(session)
    assert [i.bug.key for i in triage(session)] == ranked_by_the_rule(session)


def test_the_sums_stay_exact_through_every_change_that_moves_them(world):  # noqa: F811
    assert_exact(world)  # linked

    unlink_bug(world, "T-3", "OPS-2", now=NOW)
    assert_exact(world)

    make_customer(world, "silver", "us", tier="silver")
    update_ticket(world, "T-2", customer="silver", now=NOW)  # a ticket moved to a customer
    assert_exact(world)

    update_customer(world, "gold", tier="platinum", now=NOW)
    assert_exact(world)

    # The fix goes live for the platinum customer, then is rolled back there.
    releases.create_release(world, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.add_item(world, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.plan_release(world, "2026.12", actor="rm", now=NOW)
    deployment = releases.find_deployment(world, environment="plat-production", release="2026.12")
    later = NOW + timedelta(days=50)
    releases.report_outcome(world, deployment, status="succeeded", actor="ci", now=later)
    assert world.scalar(select(BugWaiting).join(Bug).where(Bug.key == "OPS-1")) is None
    assert_exact(world)
    releases.report_outcome(
        world, deployment, status="rolled_back", actor="ci", now=later + timedelta(hours=1)
    )
    assert_exact(world)

    # Jira moves what the rank reads of the bug itself, and a new ticket waits again.
    upsert_bug(
        world,
        bug_record(
            "OPS-2",
            priority=Priority.LOW,
            severity=Severity.WIDESPREAD,
            updated_at=NOW + timedelta(hours=1),
        ),
        now=NOW,
    )
    assert_exact(world)
    upsert_bug(
        world,
        bug_record(
            "OPS-3",
            status_category=StatusCategory.DONE,
            status="Done",
            resolution=" won’t fix ",
            updated_at=NOW + timedelta(hours=1),
        ),
        now=NOW,
    )
    delete_bug(world, "OPS-1", updated_at=NOW + timedelta(hours=2), now=NOW)
    new_ticket(world, "T-9", "std")
    link_bug(world, "T-9", "OPS-6", lookup=None, actor="a", now=NOW)
    assert_exact(world)
    assert "OPS-3" not in ranked_by_the_rule(world)

    # The Jira sync's bulk update passes the ORM's hooks by, and still re-scores.
    later = NOW + timedelta(hours=3)
    upsert_bugs(world, [bug_record("OPS-6", priority=Priority.CRITICAL, updated_at=later)], now=NOW)
    assert_exact(world)
    upsert_bugs(world, [bug_record("OPS-6", severity=Severity.LOCAL, updated_at=later)], now=NOW)
    assert_exact(world)


def test_a_page_ranked_by_the_database_is_that_page_of_the_whole_ranking(world):  # noqa: F811
    for n, (priority, severity) in enumerate(
        [(p, s) for p in (*Priority, None) for s in (*Severity, None)]
    ):
        key = f"MORE-{n}"
        upsert_bug(world, bug_record(key, priority=priority, severity=severity), now=NOW)
        for ticket in range(n % 4):
            external_id = f"M-{n}-{ticket}"
            new_ticket(world, external_id, ("plat", "gold", "std")[(n + ticket) % 3])
            link_bug(world, external_id, key, lookup=None, actor="a", now=NOW)
    assert_exact(world)
    whole = ranked_by_the_rule(world)
    for size in (1, 2, 7):
        pages = [triage(world, limit=size, offset=start) for start in range(0, len(whole), size)]
        assert [i.bug.key for page in pages for i in page] == whole
    waited = len(stored_rows(world))  # about where the bugs nobody waits for begin
    for start in (0, 5, waited - 1, waited + 2, len(whole)):
        assert [i.bug.key for i in triage(world, offset=start)] == whole[start:]
