"""The per-bug sums triage ranks by (tickets still waiting, and their customers' weight),
stored in `bug_waiting` so a page of triage reads a page of bugs, not every ticket.

Exact by construction: every flush that inserts, deletes or changes a link (`fix_live_at`
included), moves a ticket to another customer, changes a customer's tier or a bug's
priority or severity (the stored score reads them) recomputes the sums of the bugs it
touched from their links, in the same transaction; so does the Jira sync's bulk update of
bugs (`rollout/jira/bugs.py`), which passes the ORM by. `keep_waiting_sums`
switches this on, once per program, beside `audit.record_writes`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, delete, event, func, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from rollout.customers import Customer
from rollout.jira.models import Bug
from rollout.support.models import BugWaiting, Ticket, TicketBug
from rollout.support.triage import TIER_WEIGHT, stored_score, waiting_per_customer

# session.info key: what this flush touched, as bug, ticket and customer ids.
_TOUCHED = "rollout.support.waiting.touched"


def keep_waiting_sums() -> None:
    """Recompute the touched bugs' sums after each flush (idempotent)."""
    if event.contains(Session, "after_flush", _recompute):
        return
    event.listen(Session, "after_flush", _recompute)
    event.listen(TicketBug, "after_insert", _link_written)
    event.listen(TicketBug, "after_update", _link_changed)
    event.listen(TicketBug, "after_delete", _link_written)
    event.listen(Ticket, "after_update", _ticket_written)
    event.listen(Customer, "after_update", _customer_written)
    event.listen(Bug, "after_update", _bug_written)


def refresh_waiting(connection: Connection, bug_ids: Iterable[int]) -> None:
    """Recompute the sums of `bug_ids` from their links (three statements). The bugs' rows
    are locked first, in id order, so two transactions linking tickets to one bug at once
    recompute in turn, the second reading the first's links once it has committed (FOR NO
    KEY UPDATE: the links' foreign keys already share the row, and FOR UPDATE would wait on
    them, each for the other)."""
    ids = sorted(set(bug_ids))
    if not ids:
        return
    connection.execute(
        select(Bug.id).where(Bug.id.in_(ids)).order_by(Bug.id).with_for_update(key_share=True)
    ).all()
    connection.execute(delete(BugWaiting).where(BugWaiting.bug_id.in_(ids)))
    per_customer = waiting_per_customer().where(TicketBug.bug_id.in_(ids)).subquery()
    weight = case(
        {str(tier): w for tier, w in TIER_WEIGHT.items()}, value=per_customer.c.tier, else_=0
    )
    reach_halves = func.sum(weight * (per_customer.c.tickets + 1))
    customers_of = {
        str(tier): func.sum(case((per_customer.c.tier == str(tier), 1), else_=0))
        for tier in TIER_WEIGHT
    }
    sums = {
        "bug_id": per_customer.c.bug_id,
        "tickets": func.sum(per_customer.c.tickets),
        "reach_halves": reach_halves,
        "score40": stored_score(reach_halves),
        "customers": func.count(),
        **customers_of,
        "worst_sla": func.min(per_customer.c.worst_sla),
    }
    connection.execute(
        insert(BugWaiting).from_select(
            list(sums),
            select(*sums.values())
            .join(Bug, Bug.id == per_customer.c.bug_id)
            .group_by(per_customer.c.bug_id, Bug.priority, Bug.severity),
        )
    )


def _touched(row) -> dict[str, set[int]]:
    session = inspect(row).session
    return session.info.setdefault(_TOUCHED, {"bugs": set(), "tickets": set(), "customers": set()})


def _link_written(_mapper, _connection, link: TicketBug) -> None:
    bugs = _touched(link)["bugs"]
    bugs.add(link.bug_id)
    # A link moved to another bug leaves the old one's sums behind too.
    bugs.update(inspect(link).attrs.bug_id.history.deleted or ())


def _link_changed(mapper, connection, link: TicketBug) -> None:
    attrs = inspect(link).attrs
    if any(attrs[name].history.has_changes() for name in ("bug_id", "ticket_id", "fix_live_at")):
        _link_written(mapper, connection, link)


def _ticket_written(_mapper, _connection, ticket: Ticket) -> None:
    if inspect(ticket).attrs.customer_id.history.has_changes():
        _touched(ticket)["tickets"].add(ticket.id)


def _customer_written(_mapper, _connection, customer: Customer) -> None:
    if inspect(customer).attrs.tier.history.has_changes():
        _touched(customer)["customers"].add(customer.id)


def _bug_written(_mapper, _connection, bug: Bug) -> None:
    attrs = inspect(bug).attrs
    if attrs.priority.history.has_changes() or attrs.severity.history.has_changes():
        _touched(bug)["bugs"].add(bug.id)


def _recompute(session: Session, _context) -> None:
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    connection = session.connection()
    bugs = set(touched["bugs"])
    if touched["tickets"]:
        bugs.update(
            connection.scalars(
                select(TicketBug.bug_id).where(TicketBug.ticket_id.in_(touched["tickets"]))
            )
        )
    if touched["customers"]:
        bugs.update(
            connection.scalars(
                select(TicketBug.bug_id)
                .join(Ticket, TicketBug.ticket_id == Ticket.id)
                .where(Ticket.customer_id.in_(touched["customers"]))
            )
        )
    refresh_waiting(connection, bugs)
