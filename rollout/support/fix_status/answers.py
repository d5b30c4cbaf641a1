"""The fix status use cases: a bug's status for a customer, for a ticket or for what a
support agent typed, each with the reply to paste in the customer's language and zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import Customer, get_customer
from rollout.dates import LOCALES
from rollout.errors import Invalid, NotFound
from rollout.jira.bugs import get_bug
from rollout.jira.models import Bug
from rollout.support import replies
from rollout.support.fix_status.facts import carriers_of
from rollout.support.fix_status.rule import BugFacts, Carrier, FixStatus, derive_fix_status
from rollout.support.models import Ticket, TicketBug
from rollout.support.tickets import get_ticket, match_ticket, pasted_id


@dataclass(frozen=True)
class BugAnswer:
    """One linked bug's status for the customer, with the text to paste."""

    status: FixStatus
    reply: str
    public_note: str | None = None


@dataclass
class CustomerAnswer:
    """The statuses of some bugs for one customer, in its language and zone."""

    customer: Customer
    lang: str
    zone: str
    ticket: Ticket | None = None
    items: list[BugAnswer] = field(default_factory=list)

    @property
    def reply(self) -> str:
        return "\n\n".join(item.reply for item in self.items)


def check_lang(lang: str | None, customer: Customer) -> str:
    """`lang` if it is en or fr; the customer's own language when None."""
    if lang is None or lang == "":
        return str(customer.locale)
    if lang not in LOCALES:
        raise Invalid(f"lang must be one of {', '.join(LOCALES)}", field="lang")
    return lang


def answer_for(
    session: Session,
    customer: Customer,
    bugs: list[Bug],
    *,
    lang: str | None,
    now: datetime,
    ticket: Ticket | None = None,
    carriers: list[Carrier] | None = None,
) -> CustomerAnswer:
    """The status of each of `bugs` for `customer`, with replies."""
    lang = check_lang(lang, customer)
    if carriers is None:
        carriers = carriers_of(session, bugs, [customer.id])
    answer = CustomerAnswer(customer, lang, customer.timezone, ticket)
    for bug in bugs:
        status = derive_fix_status(BugFacts.of(bug), customer.id, carriers, now=now)
        text = replies.reply(status, lang, customer.timezone)
        answer.items.append(BugAnswer(status, text, bug.public_note))
    return answer


def fix_status_for_ticket(
    session: Session, external_id: str, *, lang: str | None = None, now: datetime
) -> CustomerAnswer:
    """Each bug linked to the ticket, for the ticket's customer (two statements)."""
    ticket = get_ticket(session, external_id, field="ticket", with_bugs=True)
    return ticket_answer(session, ticket, lang=lang, now=now)


def ticket_answer(
    session: Session, ticket: Ticket, *, lang: str | None = None, now: datetime
) -> CustomerAnswer:
    """`fix_status_for_ticket` for a ticket already read (`get_ticket(with_bugs=True)`)."""
    bugs = [link.bug for link in ticket.links]
    return answer_for(session, ticket.customer, bugs, lang=lang, now=now, ticket=ticket)


def fix_status_for_bug(
    session: Session, key: str, customer: str, *, lang: str | None = None, now: datetime
) -> CustomerAnswer:
    """One bug for one customer, whether or not one of its tickets names it."""
    bug = get_bug(session, key, field="bug")
    owner = get_customer(session, customer)
    return answer_for(session, owner, [bug], lang=lang, now=now)


def fix_status_by_customer(
    session: Session, key: str, *, lang: str | None = None, now: datetime
) -> list[CustomerAnswer]:
    """One bug for every customer with a ticket linked to it, by customer slug."""
    bug = get_bug(session, key, field="bug")
    customers = list(
        session.scalars(
            select(Customer)
            .where(
                Customer.id.in_(
                    select(Ticket.customer_id)
                    .join(TicketBug, TicketBug.ticket_id == Ticket.id)
                    .where(TicketBug.bug_id == bug.id)
                )
            )
            .order_by(Customer.slug)
        )
    )
    carriers = carriers_of(session, [bug], [c.id for c in customers])
    return [answer_for(session, c, [bug], lang=lang, now=now, carriers=carriers) for c in customers]


def look_up(
    session: Session,
    query: str,
    *,
    customer: str | None = None,
    lang: str | None = None,
    now: datetime,
) -> list[CustomerAnswer]:
    """What a support agent typed or pasted: a ticket (see `match_ticket`: its customer's
    answer) or a Jira key or issue URL in any case (for `customer`, else for every customer
    with a ticket on it); NotFound naming `q`."""
    query = (query or "").strip()
    if not query:
        raise Invalid("type a ticket id or a Jira key", field="q")
    if (ticket := match_ticket(session, query)) is not None:
        return [fix_status_for_ticket(session, ticket.external_id, lang=lang, now=now)]
    key = pasted_id(query).upper()
    if session.scalar(select(Bug.id).where(Bug.key == key)) is None:
        raise NotFound(f"no ticket or synced Jira issue {query!r}", field="q")
    if customer:
        return [fix_status_for_bug(session, key, customer, lang=lang, now=now)]
    return fix_status_by_customer(session, key, lang=lang, now=now)


def open_tickets(
    session: Session, customer: Customer, *, lang: str | None = None, now: datetime, limit: int = 20
) -> list[CustomerAnswer]:
    """The customer's tickets still waiting on a fix (a linked bug not yet live for it, or no
    bug linked yet), newest first, each with its bugs' statuses in the customer's zone."""
    waiting = select(TicketBug.id).where(
        TicketBug.ticket_id == Ticket.id, TicketBug.fix_live_at.is_(None)
    )
    linked = select(TicketBug.id).where(TicketBug.ticket_id == Ticket.id)
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer.id, waiting.exists() | ~linked.exists())
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
    )
    bugs = list({link.bug.id: link.bug for t in tickets for link in t.links}.values())
    carriers = carriers_of(session, bugs, [customer.id])
    return [
        answer_for(
            session,
            customer,
            [link.bug for link in ticket.links],
            lang=lang,
            now=now,
            ticket=ticket,
            carriers=carriers,
        )
        for ticket in tickets
    ]
