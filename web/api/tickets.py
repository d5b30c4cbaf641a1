"""Help-desk tickets and their links to Jira bugs, the fix status per customer with a reply
to paste, and triage. Support agents and up read and write tickets; a customer token reads
its own tickets and fix statuses alone; triage is for staff."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from jira_sync.client import JiraClient, JiraError
from jira_sync.mapping import MappingError
from jira_sync.sync import to_record
from rollout.customers import get_customer
from rollout.errors import Invalid
from rollout.jira.bugs import BugRecord
from rollout.support import tickets, triage
from rollout.support.fix_status import answers
from web.api import responses as r
from web.api.queries import FixStatusQuery, Page, TicketQuery, TriageQuery, page_of
from web.api.schemas import LinkIn, TicketIn, TicketPatch
from web.auth import principal
from web.database import db, now
from web.errors import BadRequest, error_body

blueprint = Blueprint("tickets_api", __name__, url_prefix="/api/v1")


@blueprint.errorhandler(JiraError)
def jira_failed(exc: JiraError):
    """Jira down or refusing while a link looked a bug up: nothing was written."""
    return jsonify(error_body("jira_unavailable", exc.message, "bug")), 502


def list_tickets(args: TicketQuery):
    """A page of tickets newest first; the cursor is the last one's id."""
    found = tickets.list_tickets(
        db(),
        customer_id=get_customer(db(), args.customer).id if args.customer else None,
        before=args.cursor[0] if args.cursor else None,
        limit=args.limit + 1,
    )
    page = page_of(found, args.limit, lambda ticket: (ticket.id,))
    return Page([r.Ticket.of(t) for t in page.items], page.next_cursor)


def create_ticket(data: TicketIn):
    ticket = tickets.create_ticket(db(), **data.model_dump(), now=now())
    db().commit()
    return r.Ticket.of(ticket)


def get_ticket(external_id: str):
    """Staff any ticket; a customer token its own customer's (403 otherwise)."""
    who = principal()
    ticket = tickets.get_ticket(db(), external_id)
    who.check_customer(ticket.customer)
    return (r.Ticket if who.is_staff else r.PublicTicket).of(ticket)


def update_ticket(external_id: str, data: TicketPatch):
    ticket = tickets.update_ticket(db(), external_id, **data.model_dump(), now=now())
    db().commit()
    return r.Ticket.of(ticket)


def link_bug(external_id: str, data: LinkIn):
    """Link a bug (idempotent); one Rollout has not synced yet is read from Jira."""
    tickets.link_bug(
        db(), external_id, data.bug, lookup=jira_lookup(), actor=principal().actor, now=now()
    )
    db().commit()
    return r.Ticket.of(tickets.get_ticket(db(), external_id))


def unlink_bug(external_id: str, key: str):
    """Remove a link; removing one that is not there is not an error."""
    tickets.unlink_bug(db(), external_id, key, now=now())
    db().commit()
    return r.Ticket.of(tickets.get_ticket(db(), external_id))


def get_fix_status(args: FixStatusQuery):
    """`?ticket=EXT-1`, or `?bug=KEY-1&customer=slug` (a customer token: its own by
    default); `lang=en|fr`, else the customer's language."""
    who = principal()
    if bool(args.ticket) == bool(args.bug):
        raise BadRequest("give ticket, or bug with customer", field="ticket")
    if args.ticket:
        found = tickets.get_ticket(db(), args.ticket, field="ticket", with_bugs=True)
        who.check_customer(found.customer)
        answer = answers.ticket_answer(db(), found, lang=args.lang, now=now())
    else:
        slug = args.customer or (who.customer.slug if who.customer else None)
        if not slug:
            raise Invalid("name the customer whose fix status you want", field="customer")
        who.check_customer(get_customer(db(), slug))
        answer = answers.fix_status_for_bug(db(), args.bug, slug, lang=args.lang, now=now())
    return r.FixStatus.of(answer)


def get_triage(args: TriageQuery):
    """Bugs owed to customers, highest score first, each with seed 000's vehicle."""
    items = triage.triage(db(), limit=args.limit)
    jira_url = current_app.extensions["rollout.settings"].jira.url
    return [r.TriageItem.of(i, jira_url=jira_url) for i in items]


def jira_lookup() -> tickets.Lookup | None:
    """How a link reads a bug Rollout has not synced: from the configured Jira; None when
    Jira is not set up."""
    settings = current_app.extensions["rollout.settings"].jira
    if not settings.api_configured:
        return None

    def lookup(key: str) -> BugRecord | None:
        project = key.rsplit("-", 1)[0]
        if settings.projects and project not in settings.projects:
            raise Invalid(
                f"{key} is in Jira project {project}, which Rollout does not sync "
                f"(JIRA_PROJECTS: {', '.join(settings.projects)})",
                field="bug",
            )
        client = JiraClient.connect(settings)
        try:
            issue = client.issue(key, settings.fields())
        except JiraError as exc:
            if exc.status == 404:
                return None
            raise
        finally:
            client.close()
        try:
            return to_record(issue, settings)
        except MappingError as exc:
            raise Invalid(f"cannot read {key} from Jira: {exc}", field="bug") from None

    return lookup
