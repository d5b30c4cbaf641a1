"""POST /hooks/helpdesk: a generic inbound webhook for any help desk (a Zendesk trigger, a
Freshdesk automation, a script) that creates or updates a ticket.

The sender signs the raw body with the shared secret HELPDESK_WEBHOOK_SECRET:
`X-Rollout-Signature: sha256=<hex HMAC-SHA256 of the body>`, and names each delivery in
`X-Rollout-Delivery` (the same value on every retry of it): a replay is answered 200
"duplicate" and changes nothing. The body is the ticket as POST /api/v1/tickets takes it,
plus optional `bugs`: Jira keys to link (a help desk's Jira field). Links are only added:
other links may come from agents, so a key missing from `bugs` is not unlinked. A key Jira
does not know refuses the whole delivery, so the help desk can send it again once fixed.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from jira_sync.client import JiraError
from rollout import audit
from rollout.errors import DomainError
from rollout.support import tickets
from web.api import responses as r
from web.api.schemas import HelpdeskTicketIn
from web.api.tickets import jira_lookup
from web.bodies import json_object
from web.database import db, now
from web.errors import BadRequest, error_body

blueprint = Blueprint("helpdesk_hooks", __name__)

SIGNATURE = "X-Rollout-Signature"
DELIVERY = "X-Rollout-Delivery"


def sign(secret: str, raw: bytes) -> str:
    """The X-Rollout-Signature value for `raw` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def signature_valid(secret: str, raw: bytes, header: str | None) -> bool:
    """Whether `header` is sign(secret, raw), compared in constant time."""
    if not secret or not header:
        return False
    # As bytes: compare_digest refuses a str with non-ASCII characters, which anyone may send.
    return hmac.compare_digest(sign(secret, raw).encode(), header.strip().lower().encode())


@blueprint.post("/hooks/helpdesk")
def helpdesk_webhook():
    secret = current_app.extensions["rollout.settings"].helpdesk_webhook_secret
    if not secret:
        message = "the help-desk webhook is not set up: set HELPDESK_WEBHOOK_SECRET"
        return jsonify(error_body("not_configured", message)), 503
    # The signature covers the raw bytes: checked before anything is parsed. Reading stops
    # with a 413 past HOOK_MAX_BODY_BYTES (web/bodies.py).
    raw = request.get_data(cache=True)
    if not signature_valid(secret, raw, request.headers.get(SIGNATURE)):
        message = f"missing or wrong {SIGNATURE} (sha256= HMAC of the body)"
        return jsonify(error_body("unauthorized", message, SIGNATURE)), 401
    delivery = (request.headers.get(DELIVERY) or "").strip()
    if not delivery:
        raise BadRequest(f"send {DELIVERY}: one id per delivery, kept on retries", field=DELIVERY)
    fields = HelpdeskTicketIn.model_validate(json_object(raw)).model_dump()
    keys = fields.pop("bugs")
    session = audit.attribute(db(), "hook:helpdesk")
    if not tickets.first_delivery(
        session, source="helpdesk", identifier=delivery, now=now(), field=DELIVERY
    ):
        return jsonify(status="duplicate", note="this delivery was applied already")
    existed = tickets.find_ticket(session, fields["external_id"]) is not None
    try:
        ticket = tickets.save_ticket(session, **fields, now=now())
        _link(ticket.external_id, keys)
        session.commit()
    except IntegrityError:
        # The same delivery (or ticket) arrived twice at once; the other copy committed.
        session.rollback()
        return jsonify(status="duplicate", note="this delivery was applied already")
    return jsonify(
        status="updated" if existed else "created", ticket=r.dump(r.Ticket.of(ticket))
    ), (200 if existed else 201)


def _link(external_id: str, keys: list[str]) -> None:
    lookup = jira_lookup() if keys else None
    for key in keys:
        try:
            tickets.link_bug(db(), external_id, key, lookup=lookup, actor="help desk", now=now())
        except DomainError as exc:  # named as the help desk sent it
            raise type(exc)(exc.message, field="bugs", details=exc.details) from None


@blueprint.errorhandler(JiraError)
def jira_failed(exc: JiraError):
    """Jira down or refusing while a linked bug was looked up: nothing was written, and the
    help desk's retry of this delivery will try again."""
    return jsonify(error_body("jira_unavailable", exc.message, "bugs")), 502
