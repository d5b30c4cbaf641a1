"""OpenAPI paths and schemas of the notifications API (merged into web/api/openapi.py)."""

from __future__ import annotations

from web.api import schemas
from web.api.notifications import MAX_LIMIT
from web.api.openapi import _DT, _NULLABLE_STR, _json, _list, _op, _path, _query, _ref

_NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}
_TOPICS = {
    "type": "array",
    "items": {
        "enum": [
            "maintenance",
            "emergency_maintenance",
            "hotfixes",
            "release_notes",
            "ticket_updates",
        ]
    },
}
_STATUSES = ["pending", "sending", "delivered", "failed", "dead", "cancelled"]
REQUESTS = [
    schemas.ContactIn,
    schemas.ContactPatch,
    schemas.WebhookIn,
    schemas.WebhookPatch,
    schemas.WebhookRotate,
]

SCHEMAS = {
    "Contact": {
        "type": "object",
        "required": ["id", "customer", "name", "email", "locale", "timezone", "subscriptions"],
        "properties": {
            "id": {"type": "integer"},
            "customer": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"type": "string"},
            "locale": {"enum": ["en", "fr"]},
            "timezone": {"type": "string"},
            "subscriptions": _TOPICS,
            "version": {"type": "integer"},
            "created_at": _DT,
            "updated_at": _DT,
        },
    },
    "Webhook": {
        "type": "object",
        "required": ["id", "customer", "url", "topics", "enabled", "version"],
        "properties": {
            "id": {"type": "integer"},
            "customer": {"type": "string"},
            "url": {"type": "string"},
            "description": {"type": "string"},
            "topics": _TOPICS,
            "enabled": {
                "type": "boolean",
                "description": "false once it answered 410 or was turned off; PATCH turns it on",
            },
            "secret": {
                "type": "string",
                "description": "whsec_…: only in the answer that creates or rotates it",
            },
            "previous_secret_expires_at": {
                **_NULLABLE_DT,
                "description": "until then the old secret signs too",
            },
            "disabled_at": _NULLABLE_DT,
            "disabled_reason": _NULLABLE_STR,
            "version": {
                "type": "integer",
                "description": "give it back in PATCH or rotate: a stale one gets 409",
            },
            "created_at": _DT,
        },
    },
    "Notification": {
        "type": "object",
        "required": ["id", "message_id", "event", "status", "attempts", "attempt_log"],
        "properties": {
            "id": {"type": "integer"},
            "message_id": {
                "type": "string",
                "description": "the email's Message-ID and the webhook-id, on every attempt",
            },
            "event": {"type": "string", "examples": ["window.moved"]},
            "topic": {"type": "string"},
            "channel": {"enum": ["email", "webhook"]},
            "customer": {"type": "string"},
            "address": {"type": "string"},
            "status": {"enum": _STATUSES},
            "attempts": {"type": "integer"},
            "due_at": _DT,
            "next_attempt_at": _DT,
            "expires_at": {**_NULLABLE_DT, "description": "not sent, nor sent again, after this"},
            "delivered_at": _NULLABLE_DT,
            "last_error": _NULLABLE_STR,
            "created_at": _DT,
            "attempt_log": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "integer"},
                        "at": _DT,
                        "outcome": {"enum": ["delivered", "retry", "failed", "cancelled"]},
                        "code": {"type": ["integer", "null"]},
                        "detail": {"type": "string"},
                        "worker": {"type": "string"},
                    },
                },
            },
        },
    },
    "NotificationList": {
        "type": "object",
        "required": ["counts", "items"],
        "properties": {
            "counts": {
                "type": "object",
                "properties": {status: {"type": "integer"} for status in _STATUSES},
            },
            "items": {"type": "array", "items": _ref("Notification")},
        },
    },
}


def paths() -> dict:
    slug = [_path("slug")]
    contact = slug + [_path("contact_id", "integer")]
    webhook = slug + [_path("endpoint_id", "integer")]
    return {
        "/api/v1/customers/{slug}/contacts": {
            "get": _op(
                "The customer's contacts (staff or its own token)", _list("Contact"), params=slug
            ),
            "post": _op(
                "Add a contact: language and zone default to the customer's, topics to all",
                _json(_ref("Contact"), "Created"),
                body=schemas.ContactIn,
                params=slug,
                status="201",
            ),
        },
        "/api/v1/customers/{slug}/contacts/{contact_id}": {
            "patch": _op(
                "Change a contact or what it subscribes to",
                _json(_ref("Contact")),
                body=schemas.ContactPatch,
                params=contact,
            ),
            "delete": _op(
                "Remove a contact; what was still to be sent to it is cancelled",
                {"description": "Removed"},
                params=contact,
                status="204",
            ),
        },
        "/api/v1/customers/{slug}/webhooks": {
            "get": _op("The customer's webhook endpoints", _list("Webhook"), params=slug),
            "post": _op(
                "Add an https endpoint; the signing secret is shown in this answer only",
                _json(_ref("Webhook"), "Created"),
                body=schemas.WebhookIn,
                params=slug,
                status="201",
            ),
        },
        "/api/v1/customers/{slug}/webhooks/{endpoint_id}": {
            "patch": _op(
                "Change an endpoint's URL, topics or description, or turn it off and on "
                "(on again after a 410: its failed deliveries can then be sent again)",
                _json(_ref("Webhook")),
                body=schemas.WebhookPatch,
                params=webhook,
            ),
            "delete": _op(
                "Remove an endpoint; its pending deliveries are cancelled",
                {"description": "Removed"},
                params=webhook,
                status="204",
            ),
        },
        "/api/v1/customers/{slug}/webhooks/{endpoint_id}/rotate": {
            "post": _op(
                "A new secret (shown once); the old one keeps signing for the grace period",
                _json(_ref("Webhook")),
                params=webhook,
            ),
        },
        "/api/v1/notifications": {
            "get": _op(
                "The outbox newest first with its attempts, and counts by status (staff)",
                _json(_ref("NotificationList")),
                params=[
                    _query(
                        "status",
                        "only this status; failed also lists dead (both wait for a person)",
                        {"enum": _STATUSES},
                    ),
                    _query("customer", "customer slug"),
                    _query(
                        "limit",
                        f"at most this many (1-{MAX_LIMIT}, default 100)",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                ],
            ),
        },
        "/api/v1/notifications/{notification_id}/retry": {
            "post": _op(
                "Send a failed, dead or cancelled notification again, with the same message id; "
                "409 when it is expired, its recipient is gone or no longer takes its topic, "
                "or it was cancelled for good (superseded by a later notice)",
                _json(_ref("Notification")),
                params=[_path("notification_id", "integer")],
            ),
        },
    }
