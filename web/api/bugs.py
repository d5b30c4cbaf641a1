"""Bugs mirrored from Jira, for staff: list with filters, and one bug with the tickets it
holds up, what carries its fix, and where that fix is live.

Customer tokens get 403: a bug's summary and status are internal (Jira's words); customers
learn where their fix stands from the fix status, written for them.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from rollout.jira.bugs import (
    environments_with_bug_fix,
    get_bug,
    hotfixes_carrying,
    list_bugs,
    releases_carrying,
    ticket_links,
)
from web.api.serialize import bug_json, environment_json, utc
from web.auth import STAFF_ONLY, require
from web.database import db

blueprint = Blueprint("bugs_api", __name__, url_prefix="/api/v1")


def _jira_url() -> str | None:
    return current_app.extensions["rollout.settings"].jira.url


@blueprint.get("/bugs")
@require(*STAFF_ONLY)
def bugs():
    found = list_bugs(
        db(),
        status=request.args.get("status"),
        release=request.args.get("release"),
        customer=request.args.get("customer"),
    )
    jira_url = _jira_url()
    return jsonify(items=[bug_json(b, jira_url=jira_url) for b in found])


@blueprint.get("/bugs/<key>")
@require(*STAFF_ONLY)
def bug(key: str):
    session = db()
    found = get_bug(session, key, field="key")
    body = bug_json(found, jira_url=_jira_url())
    body["tickets"] = [
        {
            "external_id": link.ticket.external_id,
            "url": link.ticket.url,
            "customer": link.ticket.customer.slug,
            "subject": link.ticket.subject,
            "sla_level": link.ticket.sla_level,
            "linked_at": utc(link.linked_at),
            "fix_live_at": utc(link.fix_live_at),
        }
        for link in ticket_links(session, found)
    ]
    body["releases"] = [
        {
            "version": r.version,
            "title": r.title,
            "status": r.status,
            "completed_at": utc(r.completed_at),
            "via": "item" if any(i.jira_key == found.key for i in r.items) else "fix_version",
        }
        for r in releases_carrying(session, found)
    ]
    body["hotfixes"] = [
        {
            "id": h.id,
            "title": h.title,
            "status": h.status,
            "urgency": h.urgency,
            "customers": [c.slug for c in h.customers],
        }
        for h in hotfixes_carrying(session, found)
    ]
    body["deployed_to"] = [environment_json(e) for e in environments_with_bug_fix(session, found)]
    return jsonify(body)
