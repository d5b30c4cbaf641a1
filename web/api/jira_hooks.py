"""POST /hooks/jira: Jira's webhook. Signed, de-duplicated, applied at once without calling
Jira back, so it answers in milliseconds."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from jira_sync.mapping import MappingError
from jira_sync.webhook import apply_event, signature_valid
from rollout import audit
from rollout.support.tickets import first_delivery
from web.bodies import json_object
from web.database import db, now
from web.errors import BadRequest, error_body

blueprint = Blueprint("jira_hooks", __name__)

# Jira's id of one delivery, the same on its retries: a replay is acknowledged, not applied.
DELIVERY = "X-Atlassian-Webhook-Identifier"


@blueprint.post("/hooks/jira")
def jira_webhook():
    settings = current_app.extensions["rollout.settings"].jira
    if not settings.webhook_secret:
        message = "the Jira webhook is not set up: set JIRA_WEBHOOK_SECRET"
        return jsonify(error_body("not_configured", message)), 503
    # The signature covers the raw bytes: check it before parsing anything. Reading stops
    # with a 413 past HOOK_MAX_BODY_BYTES (web/bodies.py).
    raw = request.get_data(cache=True)
    if not signature_valid(settings.webhook_secret, raw, request.headers.get("X-Hub-Signature")):
        message = "missing or wrong X-Hub-Signature (sha256 HMAC of the body)"
        return jsonify(error_body("unauthorized", message, "X-Hub-Signature")), 401
    event = json_object(raw)
    session = audit.attribute(db(), "hook:jira")
    delivery = request.headers.get(DELIVERY)
    if delivery and not first_delivery(
        session, source="jira", identifier=delivery, now=now(), field=DELIVERY
    ):
        return jsonify(status="duplicate", note="this delivery was applied already")
    try:
        note = apply_event(session, event, settings, now=now())
    except MappingError as exc:
        # A 4xx: Jira retries a delivery only on 5xx, and this body will never read better.
        raise BadRequest(str(exc), field=exc.field) from None
    try:
        session.commit()
    except IntegrityError:
        # The same delivery arrived twice at once and the other copy committed first.
        session.rollback()
        return jsonify(status="duplicate", note="this delivery was applied already")
    return jsonify(status="ignored" if note.startswith("ignored") else "applied", note=note)
