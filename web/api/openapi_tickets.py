"""OpenAPI paths and schemas of tickets, fix status and triage (merged into
web/api/openapi.py's document)."""

from __future__ import annotations

from rollout.releases.releases import JIRA_KEY
from web.api import schemas
from web.api.openapi import _DT, _NULLABLE_STR, _json, _list, _op, _path, _query, _ref
from web.api.tickets import TRIAGE_LIMIT, TRIAGE_MAX

_NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}
_NULLABLE_INT = {"type": ["integer", "null"]}
_STATES = [
    "not_planned",
    "planned",
    "in_preview",
    "deployed",
    "hotfix_scheduled",
    "rolled_back",
    "wont_fix",
]

REQUESTS = [schemas.TicketIn, schemas.TicketPatch, schemas.LinkIn]

SCHEMAS = {
    "Ticket": {
        "type": "object",
        "required": [
            "external_id",
            "url",
            "customer",
            "requester_name",
            "requester_email",
            "subject",
            "sla_level",
            "bugs",
        ],
        "properties": {
            "external_id": {"type": "string"},
            "url": {"type": "string"},
            "customer": {"type": "string"},
            "requester_name": {"type": "string"},
            "requester_email": {"type": "string"},
            "subject": {"type": "string"},
            "sla_level": {"type": "integer", "minimum": 1, "maximum": 4},
            "created_at": _DT,
            "updated_at": _DT,
            "bugs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "linked_at", "fix_live_at"],
                    "properties": {
                        "key": {"type": "string"},
                        "linked_at": _DT,
                        "fix_live_at": {
                            **_NULLABLE_DT,
                            "description": "when the fix went live on the customer's production",
                        },
                        "linked_by": {"type": "string", "description": "staff only"},
                    },
                },
            },
        },
    },
    "FixPlan": {
        "type": ["object", "null"],
        "description": "the production deployment ahead; no date yet when starts_at is null",
        "properties": {
            "release": _NULLABLE_STR,
            "hotfix": _NULLABLE_INT,
            "starts_at": _NULLABLE_DT,
            "ends_at": _NULLABLE_DT,
            "window_kind": {"enum": ["regular", "ad_hoc", "emergency", None]},
            "late": {"type": "boolean", "description": "its window passed unreported"},
        },
    },
    "FixStatus": {
        "type": "object",
        "required": ["ticket", "customer", "lang", "timezone", "items", "reply"],
        "properties": {
            "ticket": _NULLABLE_STR,
            "customer": {"type": "string"},
            "lang": {"enum": ["en", "fr"]},
            "timezone": {"type": "string"},
            "reply": {"type": "string", "description": "every item's reply, ready to paste"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["bug", "state", "since", "next", "reply"],
                    "properties": {
                        "bug": {"type": "string"},
                        "state": {"enum": _STATES},
                        "release": _NULLABLE_STR,
                        "hotfix": _NULLABLE_INT,
                        "since": {
                            **_NULLABLE_DT,
                            "description": "deployed/in_preview: since; rolled_back: when",
                        },
                        "next": _ref("FixPlan"),
                        "note": {**_NULLABLE_STR, "description": "Jira's customer-facing note"},
                        "reply": {"type": "string"},
                    },
                },
            },
        },
    },
    "TriageItem": {
        "type": "object",
        "required": ["bug", "score", "recommendation", "tickets", "customers"],
        "properties": {
            "bug": {"type": "string"},
            "url": _NULLABLE_STR,
            "summary": {"type": "string"},
            "status": {"type": "string"},
            "priority": {"enum": ["critical", "high", "medium", "low", None]},
            "severity": {
                "enum": ["hyper_local", "local", "moderate", "widespread", "deep_and_wide", None]
            },
            "score": {"type": "number"},
            "recommendation": {"enum": ["hotfix_now", "next_window", "later_release"]},
            "tickets": {"type": "integer", "description": "tickets still waiting for the fix"},
            "customers": {"type": "integer"},
            "tiers": {"type": "object", "additionalProperties": {"type": "integer"}},
            "worst_sla": _NULLABLE_INT,
            "carried_by": {"type": "array", "items": {"type": "string"}},
            "assumed": {
                "type": "boolean",
                "description": "priority or severity unknown: scored as Medium / Moderate",
            },
        },
    },
}


def paths() -> dict:
    ticket = [_path("external_id")]
    return {
        "/api/v1/tickets": {
            "post": _op(
                "Create a help-desk ticket (support agents and up)",
                _json(_ref("Ticket"), "Created"),
                body=schemas.TicketIn,
                status="201",
            ),
        },
        "/api/v1/tickets/{external_id}": {
            "get": _op(
                "One ticket with its linked bugs; a customer token its own tickets only",
                _json(_ref("Ticket")),
                params=ticket,
            ),
            "patch": _op(
                "Change a ticket; a new URL moves its Jira remote links along",
                _json(_ref("Ticket")),
                body=schemas.TicketPatch,
                params=ticket,
            ),
        },
        "/api/v1/tickets/{external_id}/links": {
            "post": _op(
                "Link a Jira bug (idempotent); an unsynced bug is read from Jira; Jira gets a "
                "remote link to the ticket. 502 when Jira fails.",
                _json(_ref("Ticket"), "Linked"),
                body=schemas.LinkIn,
                params=ticket,
                status="201",
            ),
        },
        "/api/v1/tickets/{external_id}/links/{key}": {
            "delete": _op(
                "Unlink a bug (no error if it was not linked)",
                _json(_ref("Ticket")),
                params=ticket
                + [_path("key") | {"schema": {"type": "string", "pattern": JIRA_KEY.pattern}}],
            ),
        },
        "/api/v1/fix-status": {
            "get": _op(
                "Where each linked bug's fix stands for the customer, with a reply to paste",
                _json(_ref("FixStatus")),
                params=[
                    _query("ticket", "help-desk ticket id (or give bug)"),
                    _query("bug", "Jira key, with customer"),
                    _query("customer", "customer slug; a customer token defaults to its own"),
                    _query("lang", "en or fr; default the customer's", {"enum": ["en", "fr"]}),
                ],
            ),
        },
        "/api/v1/triage": {
            "get": _op(
                "Bugs owed to customers by score, each with the recommended way to ship its fix",
                _list("TriageItem"),
                params=[
                    _query(
                        "limit",
                        f"1-{TRIAGE_MAX}, default {TRIAGE_LIMIT}",
                        {"type": "integer", "minimum": 1, "maximum": TRIAGE_MAX},
                    )
                ],
            ),
        },
    }
