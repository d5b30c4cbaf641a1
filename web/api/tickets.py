"""Help-desk tickets and their links to Jira bugs, the fix status per customer with a reply
to paste, and triage. Support agents and up read and write tickets; a customer token reads
its own tickets and fix statuses alone; triage is for staff."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from jira_sync.client import JiraClient, JiraError
from jira_sync.mapping import MappingError
from jira_sync.sync import to_record
from rollout.customers import get_customer
from rollout.errors import Invalid
from rollout.jira.bugs import BugRecord
from rollout.support import tickets, triage
from rollout.support.fix_status import answers
from rollout.validation import is_whole_number
from web.api import body
from web.api.schemas import LinkIn, TicketIn, TicketPatch
from web.api.serialize_support import answer_json, ticket_json, triage_json
from web.auth import ANY_ROLE, STAFF_ONLY, principal, require
from web.database import db, now
from web.errors import BadRequest, error_body

blueprint = Blueprint("tickets_api", __name__, url_prefix="/api/v1")

TRIAGE_LIMIT = 100
TRIAGE_MAX = 1000


@blueprint.errorhandler(JiraError)
def jira_failed(exc: JiraError):
    """Jira down or refusing while a link looked a bug up: nothing was written."""
    return jsonify(error_body("jira_unavailable", exc.message, "bug")), 502


@blueprint.post("/tickets")
@require(*STAFF_ONLY)
def create_ticket():
    data = body(TicketIn)
    ticket = tickets.create_ticket(db(), **data.model_dump(), now=now())
    db().commit()
    return jsonify(ticket_json(ticket)), 201


@blueprint.get("/tickets/<external_id>")
@require(*ANY_ROLE)
def get_ticket(external_id: str):
    """Staff any ticket; a customer token its own customer's (403 otherwise)."""
    who = principal()
    ticket = tickets.get_ticket(db(), external_id)
    who.check_customer(ticket.customer)
    return jsonify(ticket_json(ticket, staff=who.is_staff))


@blueprint.patch("/tickets/<external_id>")
@require(*STAFF_ONLY)
def update_ticket(external_id: str):
    data = body(TicketPatch)
    ticket = tickets.update_ticket(db(), external_id, **data.model_dump(), now=now())
    db().commit()
    return jsonify(ticket_json(ticket))


@blueprint.post("/tickets/<external_id>/links")
@require(*STAFF_ONLY)
def link_bug(external_id: str):
    """Link a bug (idempotent); one Rollout has not synced yet is read from Jira."""
    data = body(LinkIn)
    tickets.link_bug(
        db(), external_id, data.bug, lookup=jira_lookup(), actor=principal().actor, now=now()
    )
    db().commit()
    return jsonify(ticket_json(tickets.get_ticket(db(), external_id))), 201


@blueprint.delete("/tickets/<external_id>/links/<key>")
@require(*STAFF_ONLY)
def unlink_bug(external_id: str, key: str):
    """Remove a link; removing one that is not there is not an error."""
    tickets.unlink_bug(db(), external_id, key, now=now())
    db().commit()
    return jsonify(ticket_json(tickets.get_ticket(db(), external_id)))


@blueprint.get("/fix-status")
@require(*ANY_ROLE)
def get_fix_status():
    """`?ticket=EXT-1`, or `?bug=KEY-1&customer=slug` (a customer token: its own by
    default); `lang=en|fr`, else the customer's language."""
    who = principal()
    lang = request.args.get("lang") or None
    ticket, bug = request.args.get("ticket"), request.args.get("bug")
    if bool(ticket) == bool(bug):
        raise BadRequest("give ticket, or bug with customer", field="ticket")
    if ticket:
        found = tickets.get_ticket(db(), ticket, field="ticket")
        who.check_customer(found.customer)
        answer = answers.fix_status_for_ticket(db(), ticket, lang=lang, now=now())
    else:
        slug = request.args.get("customer") or (who.customer.slug if who.customer else None)
        if not slug:
            raise Invalid("name the customer whose fix status you want", field="customer")
        who.check_customer(get_customer(db(), slug))
        answer = answers.fix_status_for_bug(db(), bug, slug, lang=lang, now=now())
    return jsonify(answer_json(answer))


@blueprint.get("/triage")
@require(*STAFF_ONLY)
def get_triage():
    """Bugs owed to customers, highest score first, each with seed 000's vehicle."""
    raw = request.args.get("limit", str(TRIAGE_LIMIT))
    if not is_whole_number(raw) or not 1 <= int(raw) <= TRIAGE_MAX:
        raise BadRequest(f"limit is a whole number from 1 to {TRIAGE_MAX}", field="limit")
    items = triage.triage(db(), limit=int(raw))
    jira_url = current_app.extensions["rollout.settings"].jira.url
    return jsonify(items=[triage_json(i, jira_url=jira_url) for i in items])


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
