"""Help-desk tickets: created or updated from the API or the help desk's webhook, and linked
to the Jira bugs that hold them up (seed 004: the escalation manager links the Jira issue to
the help-desk conversation; Jira gets a remote link back to the ticket)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from rollout.customers import get_customer
from rollout.db import conflict_on_duplicate, is_unique_violation, lock_row
from rollout.errors import Conflict, Invalid, NotFound
from rollout.jira.bugs import BugRecord, upsert_bug
from rollout.jira.models import Bug
from rollout.jira.push import on_ticket_linked, on_ticket_unlinked
from rollout.notifications.addresses import ADDRESS_CONTROL, check_email
from rollout.support.fix_live import refresh_links
from rollout.support.models import Ticket, TicketBug, WebhookReceipt
from rollout.validation import check_text, is_whole_number, refuse_controls

# A help desk's own id (Zendesk 4512, Freshdesk FD-77, Help Scout 1.2:9); it goes in URLs.
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
SLA_LEVELS = range(1, 5)  # seed 002: 1 urgent … 4 low impact

# What a link asks of Jira for a bug Rollout has not synced yet: its record, or None when
# Jira does not know it. Given by the web layer (the Jira client); None: Jira is not set up.
Lookup = Callable[[str], BugRecord | None]
# Built once: a lookup only binds the id.
_BY_EXTERNAL_ID = select(Ticket).where(Ticket.external_id == bindparam("external_id"))
_WITH_BUGS = _BY_EXTERNAL_ID.options(joinedload(Ticket.links))


def create_ticket(
    session: Session,
    *,
    external_id: str,
    url: str,
    customer: str,
    requester_name: str,
    requester_email: str,
    subject: str,
    sla_level: int,
    now: datetime,
) -> Ticket:
    """A new ticket; its external id is unique (Conflict if taken)."""
    external_id = check_external_id(external_id)
    taken = Conflict(f"ticket {external_id} already exists", field="external_id")
    if _find(session, external_id) is not None:
        raise taken
    ticket = Ticket(external_id=external_id, created_at=now)
    _fill(
        session,
        ticket,
        url=url,
        customer=customer,
        requester_name=requester_name,
        requester_email=requester_email,
        subject=subject,
        sla_level=sla_level,
        now=now,
    )
    with conflict_on_duplicate(session, taken):  # two may pass the check at once
        session.add(ticket)
    return ticket


def update_ticket(
    session: Session,
    external_id: str,
    *,
    url: str | None = None,
    customer: str | None = None,
    requester_name: str | None = None,
    requester_email: str | None = None,
    subject: str | None = None,
    sla_level: int | None = None,
    now: datetime,
) -> Ticket:
    """Change what is given; a new URL moves the Jira remote links of its bugs along."""
    ticket = get_ticket(session, external_id)
    old_url, old_customer = ticket.url, ticket.customer_id
    _fill(
        session,
        ticket,
        url=url,
        customer=customer,
        requester_name=requester_name,
        requester_email=requester_email,
        subject=subject,
        sla_level=sla_level,
        now=now,
    )
    if ticket.url != old_url:
        for link in ticket.links:
            on_ticket_unlinked(session, bug_key=link.bug.key, ticket_url=old_url, now=now)
            _push_link(session, ticket, link.bug, now)
    session.flush()
    if ticket.customer_id != old_customer and ticket.links:
        # Another customer's deployments decide now whether its fixes are live.
        keys = {link.bug.key for link in ticket.links}
        refresh_links(session, ticket.customer_id, keys, now=now, notify=False)
    return ticket


def save_ticket(session: Session, *, external_id: str, now: datetime, **fields) -> Ticket:
    """Create the ticket or update it with every field given (the help desk's webhook)."""
    if _find(session, check_external_id(external_id)) is None:
        return create_ticket(session, external_id=external_id, now=now, **fields)
    return update_ticket(session, external_id, now=now, **fields)


def get_ticket(
    session: Session, external_id: str, *, field: str = "external_id", with_bugs: bool = False
) -> Ticket:
    """The ticket with that help-desk id, or NotFound naming `field`; `with_bugs`: its links
    and their bugs read in the same statement."""
    typed = external_id.strip() if isinstance(external_id, str) else ""
    ticket = _find(session, typed, _WITH_BUGS if with_bugs else _BY_EXTERNAL_ID)
    if ticket is None:
        raise NotFound(f"no ticket {external_id!r}", field=field)
    return ticket


def list_tickets(
    session: Session, *, customer_id: int | None = None, before: int | None = None, limit: int
) -> list[Ticket]:
    """Tickets newest first (by id) with their links, older than ticket `before`, at most
    `limit`."""
    query = (
        select(Ticket).options(selectinload(Ticket.links)).order_by(Ticket.id.desc()).limit(limit)
    )
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if before is not None:
        query = query.where(Ticket.id < before)
    return list(session.scalars(query))


def find_ticket(session: Session, external_id: str) -> Ticket | None:
    """The ticket with that help-desk id, or None."""
    return _find(session, external_id.strip()) if isinstance(external_id, str) else None


def pasted_id(typed: str) -> str:
    """What an agent typed, or the last part of a URL they pasted (…/tickets/ZD-4101,
    …/browse/OPS-1): the id or key it names."""
    text = typed.strip()
    return urlsplit(text).path.rstrip("/").rsplit("/", 1)[-1] if "://" in text else text


def match_ticket(session: Session, typed: str) -> Ticket | None:
    """The ticket a support agent means by what they typed or pasted: its id in any case, its
    URL (or a URL ending in its id), or its number without the help desk's prefix when only
    one ticket has that number; None if none. A number several tickets share is Invalid,
    naming them, rather than a guess."""
    if "://" in typed:
        by_url = session.scalar(select(Ticket).where(Ticket.url == typed.strip()))
        if by_url is not None:
            return by_url
    text = pasted_id(typed)
    if not text:
        return None
    if (exact := _find(session, text)) is not None:
        return exact
    same_letters = session.scalars(
        select(Ticket).where(func.upper(Ticket.external_id) == text.upper()).limit(2)
    ).all()
    if len(same_letters) == 1:
        return same_letters[0]
    if not is_whole_number(text):
        return None
    # "4101" for ZD-4101 or FD4101, never for 14101: the number must follow a non-digit.
    ending = session.scalars(
        select(Ticket).where(Ticket.external_id.like(f"%{text}")).order_by(Ticket.external_id)
    ).all()
    numbered = [t for t in ending if not t.external_id[: -len(text)][-1:].isdigit()]
    if len(numbered) > 1:
        ids = ", ".join(t.external_id for t in numbered[:5])
        raise Invalid(
            f"several tickets have the number {text} ({ids}): type the whole id", field="q"
        )
    return numbered[0] if numbered else None


def first_delivery(
    session: Session, *, source: str, identifier: str, now: datetime, field: str = "delivery"
) -> bool:
    """True the first time `source` sends delivery `identifier` (recorded in this
    transaction, so the commit decides a race); False for a replay. An id holding a control
    character is Invalid (PostgreSQL cannot even look a NUL up)."""
    identifier = refuse_controls(identifier.strip(), field=field, multiline=False)[:200]
    seen = session.scalar(
        select(WebhookReceipt.id).where(
            WebhookReceipt.source == source, WebhookReceipt.identifier == identifier
        )
    )
    if seen is not None:
        return False
    session.add(WebhookReceipt(source=source, identifier=identifier, received_at=now))
    session.flush()
    return True


def link_bug(
    session: Session,
    external_id: str,
    key: str,
    *,
    lookup: Lookup | None,
    actor: str,
    now: datetime,
) -> TicketBug:
    """Link the ticket to bug `key` (idempotent); a bug not synced yet is read from Jira
    through `lookup`. Owes Jira a remote link from the issue to the ticket. Links to one
    ticket at the same moment queue on it, so a second link of the same bug finds the first."""
    ticket = get_ticket(session, external_id)
    key = _check_key(key)
    lock_row(session, ticket)
    # Linked already: nothing to look up (the bug may since have been deleted in Jira).
    existing = next((link for link in ticket.links if link.bug.key == key), None)
    if existing is not None:
        return existing
    bug = _known_bug(session, key, lookup, now)
    link = TicketBug(bug=bug, linked_by=actor[:200], linked_at=now)
    ticket.links.append(link)
    ticket.updated_at = now
    session.flush()
    _push_link(session, ticket, bug, now)
    # Linked after the fix reached this customer: the ticket knows at once.
    refresh_links(session, ticket.customer_id, {bug.key}, now=now, notify=False)
    return link


def unlink_bug(session: Session, external_id: str, key: str, *, now: datetime) -> bool:
    """Remove the link (True), or do nothing when there was none (False)."""
    ticket = get_ticket(session, external_id)
    key = _check_key(key)
    link = next((lk for lk in ticket.links if lk.bug.key == key), None)
    if link is None:
        return False
    ticket.links.remove(link)
    ticket.updated_at = now
    on_ticket_unlinked(session, bug_key=key, ticket_url=ticket.url, now=now)
    session.flush()
    return True


# ---- checks -------------------------------------------------------------------------------


def check_external_id(value: str) -> str:
    if not isinstance(value, str) or not EXTERNAL_ID.fullmatch(value.strip()):
        raise Invalid(
            "use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
            field="external_id",
        )
    return value.strip()


def check_url(value: str, *, field: str = "url") -> str:
    """An absolute http(s) address without spaces or control characters."""
    if not isinstance(value, str):
        raise Invalid("must be a string", field=field)
    value = value.strip()
    if not value or len(value) > 2000 or ADDRESS_CONTROL.search(value) or " " in value:
        raise Invalid("give the ticket's http(s) address, at most 2000 characters", field=field)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (read for its check: a port of letters or past 65535 raises)
    except ValueError:  # e.g. an unclosed [ around an IPv6 address
        raise Invalid("the ticket's address is not a well-formed URL", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid("the ticket's address must start with http:// or https://", field=field)
    return value


def check_requester_email(value: str) -> str:
    field = "requester_email"
    if isinstance(value, str) and ADDRESS_CONTROL.search(value):
        # "a@b.com\r\nBcc: …" would add a header to every mail sent to the requester.
        raise Invalid("must not contain line breaks or control characters", field=field)
    return check_email(value, field=field)


def check_sla_level(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SLA_LEVELS:
        raise Invalid("sla_level is 1 (urgent) to 4 (low impact)", field="sla_level")
    return value


# A key as a support agent pastes it: JIRA_KEY in any letter case, spaces around it.
LINKED_KEY = re.compile(r"^ *[A-Za-z][A-Za-z0-9_]{1,9}-[1-9][0-9]{0,8} *$")


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not LINKED_KEY.fullmatch(key):
        raise Invalid("a Jira key looks like OPS-123", field="bug")
    return key.strip(" ").upper()


# ---- inside -------------------------------------------------------------------------------


def _find(session: Session, external_id: str, query: Select = _BY_EXTERNAL_ID) -> Ticket | None:
    return session.scalars(query, {"external_id": external_id}).unique().one_or_none()


def _fill(session: Session, ticket: Ticket, *, now: datetime, **fields) -> None:
    """Check every given field before changing any, so a refusal leaves the ticket as it was."""
    checked = {}
    if fields.get("url") is not None:
        checked["url"] = check_url(fields["url"])
    if fields.get("customer") is not None:
        try:
            checked["customer"] = get_customer(session, fields["customer"])
        except NotFound as exc:
            raise Invalid(exc.message, field="customer") from None
    if fields.get("requester_name") is not None:
        checked["requester_name"] = check_text(
            fields["requester_name"], field="requester_name", max_length=200
        )
    if fields.get("requester_email") is not None:
        checked["requester_email"] = check_requester_email(fields["requester_email"])
    if fields.get("subject") is not None:
        checked["subject"] = check_text(fields["subject"], field="subject", max_length=500)
    if fields.get("sla_level") is not None:
        checked["sla_level"] = check_sla_level(fields["sla_level"])
    if ticket.id is None:
        missing = [
            f
            for f in ("url", "customer", "requester_name", "requester_email", "subject")
            if f not in checked
        ]
        if missing:
            raise Invalid("required", field=missing[0])
        if "sla_level" not in checked:
            raise Invalid("required", field="sla_level")
    for name, value in checked.items():
        setattr(ticket, name, value)
    ticket.updated_at = now


def _known_bug(session: Session, key: str, lookup: Lookup | None, now: datetime) -> Bug:
    bug = session.scalar(select(Bug).where(Bug.key == key))
    if bug is not None:
        if bug.deleted_at is not None:
            raise Invalid(
                f"{key} was deleted in Jira; link the issue that replaced it", field="bug"
            )
        return bug
    if lookup is None:
        raise Invalid(
            f"{key} is not synced from Jira, and Jira is not configured to look it up "
            "(set JIRA_URL and credentials, or run `rollout jira sync`)",
            field="bug",
        )
    record = lookup(key)
    if record is None:
        raise Invalid(
            f"Jira has no issue {key} (or hides it from Rollout's Jira user)", field="bug"
        )
    try:
        with session.begin_nested():  # a link to another ticket may be saving it just now
            return upsert_bug(session, record, now=now)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
    # That one was saved first: the bug is there now, and what Jira said may update it.
    return upsert_bug(session, record, now=now)


def _push_link(session: Session, ticket: Ticket, bug: Bug, now: datetime) -> None:
    on_ticket_linked(
        session,
        bug_key=bug.key,
        ticket_url=ticket.url,
        title=f"Ticket {ticket.external_id}: {ticket.subject}",
        now=now,
    )
