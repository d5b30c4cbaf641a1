"""The OpenAPI 3.1 document at /api/openapi.json, built from the same request models."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, jsonify

from rollout.releases.releases import JIRA_KEY
from rollout.validation import YEAR_PATTERN
from rollout.windows import WindowStatus
from web.api import schemas

blueprint = Blueprint("openapi", __name__)

_DT = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_NULLABLE_STR = {"type": ["string", "null"]}
# A parameter the API refuses when empty or only spaces.
_NOT_BLANK = {"type": "string", "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"}
_JIRA_KEY = {"type": "string", "pattern": JIRA_KEY.pattern}
# Any other text parameter: a NUL names nothing and is refused before a query runs.
_TEXT = {"type": "string", "pattern": r"^[^\x00]*$"}
# An instant as instant_arg reads it: with an offset, a date (00:00 UTC), or empty for the default.
_INSTANT = {
    "anyOf": [
        {"type": "string", "format": "date-time", "pattern": YEAR_PATTERN},
        {"type": "string", "format": "date", "pattern": YEAR_PATTERN},
        {"type": "string", "maxLength": 0},
    ]
}
_WINDOW_STATUS = rf"\s*(?:{'|'.join(WindowStatus)})\s*"
_RESPONSES = {
    "Region": {
        "type": "object",
        "required": ["slug", "name", "timezone"],
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "timezone": {"type": "string"},
        },
    },
    "Window": {
        "type": "object",
        "required": [
            "id",
            "region",
            "kind",
            "status",
            "title",
            "starts_at",
            "ends_at",
            "timezone",
            "local_start",
            "local_end",
            "sequence",
            "projected",
        ],
        "properties": {
            "id": {"type": ["integer", "null"], "description": "null for a projected window"},
            "region": {"type": "string"},
            "customer": _NULLABLE_STR,
            "kind": {"enum": ["regular", "ad_hoc", "emergency"]},
            "status": {"enum": ["planned", "announced", "in_progress", "completed", "cancelled"]},
            "title": {"type": "string"},
            "starts_at": _DT,
            "ends_at": _DT,
            "timezone": {"type": "string"},
            "local_start": _DT,
            "local_end": _DT,
            "reader_timezone": {"type": "string"},
            "reader_start": _DT,
            "reader_end": _DT,
            "sequence": {"type": "integer"},
            "projected": {"type": "boolean"},
            "policy_id": {"type": ["integer", "null"]},
            "justification": _NULLABLE_STR,
            "freeze_override_reason": _NULLABLE_STR,
        },
    },
    "Revision": {
        "type": "object",
        "required": ["sequence", "action", "status", "starts_at", "ends_at", "reason", "at"],
        "properties": {
            "sequence": {"type": "integer"},
            "action": {"type": "string"},
            "status": {"type": "string"},
            "title": {"type": "string"},
            "starts_at": _DT,
            "ends_at": _DT,
            "reason": {"type": "string"},
            "at": _DT,
            "actor": {"type": "string", "description": "staff only"},
        },
    },
    "Policy": {
        "type": "object",
        "required": ["id", "region", "cron", "timezone", "duration_minutes", "version"],
        "properties": {
            "id": {"type": "integer"},
            "region": {"type": "string"},
            "title": {"type": "string"},
            "cron": {"type": "string"},
            "timezone": {"type": "string"},
            "duration_minutes": {"type": "integer"},
            "active_from": {"type": "string", "format": "date"},
            "active_until": {"type": ["string", "null"], "format": "date"},
            "planned_until": {"type": ["string", "null"], "format": "date-time"},
            "version": {"type": "integer"},
        },
    },
    "Freeze": {
        "type": "object",
        "required": ["id", "scope", "kind", "title", "starts_at", "ends_at"],
        "properties": {
            "id": {"type": "integer"},
            "scope": {"enum": ["global", "region", "customer"]},
            "kind": {"enum": ["freeze", "event_plan"]},
            "region": _NULLABLE_STR,
            "customer": _NULLABLE_STR,
            "title": {"type": "string"},
            "reason": {"type": "string"},
            "starts_at": _DT,
            "ends_at": _DT,
            "created_by": {"type": "string"},
        },
    },
    "Customer": {
        "type": "object",
        "required": [
            "slug",
            "name",
            "region",
            "tier",
            "timezone",
            "locale",
            "environments",
            "version",
        ],
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "region": {"type": "string"},
            "tier": {"enum": ["standard", "silver", "gold", "platinum"]},
            "timezone": {"type": "string"},
            "locale": {"enum": ["en", "fr"]},
            "version": {"type": "integer"},
            "environments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["preview", "production"]},
                        "name": {"type": "string"},
                    },
                },
            },
        },
    },
    "DeployCheck": {
        "type": "object",
        "required": ["allowed", "at", "region", "reasons"],
        "properties": {
            "allowed": {"type": "boolean"},
            "at": _DT,
            "region": {"type": "string"},
            "customer": _NULLABLE_STR,
            "reasons": {"type": "array", "items": {"type": "string"}},
            "window": {"oneOf": [{"$ref": "#/components/schemas/Window"}, {"type": "null"}]},
            "freezes": {"type": "array", "items": {"$ref": "#/components/schemas/Freeze"}},
            "next_allowed_window": {
                "oneOf": [{"$ref": "#/components/schemas/Window"}, {"type": "null"}]
            },
        },
    },
    "FeedToken": {
        "type": "object",
        "required": ["customer", "url", "webcal_url", "created_at"],
        "properties": {
            "customer": {"type": "string"},
            "url": {"type": "string", "description": "the private feed; shown only once"},
            "webcal_url": {"type": "string"},
            "created_at": _DT,
        },
    },
    "Release": {
        "type": "object",
        "required": [
            "version",
            "title",
            "status",
            "created_at",
            "completed_at",
            "regions",
            "items",
        ],
        "properties": {
            "version": {"type": "string"},
            "title": {"type": "string"},
            "status": {"enum": ["draft", "scheduled", "rolling_out", "completed", "cancelled"]},
            "created_at": _DT,
            "completed_at": {"type": ["string", "null"], "format": "date-time"},
            "regions": {
                "type": "object",
                "description": "region slug to when its first preview and production waves start",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"preview": _DT, "production": _DT},
                },
            },
            "items": {
                "type": "array",
                "description": "for others than staff, public notes alone; security fixes "
                "only once the release is completed",
                "items": _ref("ReleaseItem"),
            },
            "id": {"type": "integer", "description": "staff only"},
            "soak_days": {"type": "integer", "description": "staff only"},
            "revision": {"type": "integer", "description": "staff only; send it back in PATCH"},
            "updated_at": {**_DT, "description": "staff only"},
        },
    },
    "ReleaseItem": {
        "type": "object",
        "required": ["kind", "public_html"],
        "properties": {
            "kind": {"enum": ["feature", "fix", "security", "improvement"]},
            "public_note": {"type": "string", "description": "staff only: Markdown as written"},
            "public_html": {"type": "string", "description": "rendered and sanitized"},
            "id": {"type": "integer", "description": "staff only"},
            "jira_key": {"type": ["string", "null"], "description": "staff only"},
            "summary": {"type": "string", "description": "staff only: internal"},
            "created_at": {**_DT, "description": "staff only"},
        },
    },
    "Deployment": {
        "type": "object",
        "required": [
            "id",
            "environment",
            "environment_kind",
            "customer",
            "release",
            "hotfix",
            "title",
            "status",
            "scheduled_for",
            "window",
        ],
        "properties": {
            "id": {"type": "integer"},
            "environment": {"type": "string"},
            "environment_kind": {"enum": ["preview", "production"]},
            "customer": {"type": "string"},
            "release": {"type": ["string", "null"], "description": "release version"},
            "hotfix": {"type": ["integer", "null"], "description": "hotfix id"},
            "title": {"type": "string", "description": "of the release or hotfix"},
            "status": {"enum": ["scheduled", "in_progress", "succeeded", "failed", "rolled_back"]},
            "scheduled_for": {"type": ["string", "null"], "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
            "window": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["id", "starts_at", "ends_at", "timezone"],
                        "properties": {
                            "id": {"type": "integer"},
                            "starts_at": _DT,
                            "ends_at": _DT,
                            "timezone": {"type": "string"},
                            "local_start": _DT,
                            "local_end": _DT,
                        },
                    },
                    {"type": "null"},
                ]
            },
            "wave": {"type": ["integer", "null"], "description": "staff only"},
            "reported_by": {**_NULLABLE_STR, "description": "staff only"},
            "note": {"type": "string", "description": "staff only"},
        },
    },
    "Wave": {
        "type": "object",
        "required": ["id", "release", "position", "name", "kind", "note", "window", "deployments"],
        "properties": {
            "id": {"type": "integer"},
            "release": {"type": "string"},
            "position": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"enum": ["preview", "production"]},
            "selector": {"type": "string", "description": "how the targets were chosen"},
            "note": {"type": "string", "description": "why some targets were moved"},
            "window": _ref("Window"),
            "deployments": {"type": "array", "items": _ref("Deployment")},
        },
    },
    "Hotfix": {
        "type": "object",
        "required": ["id", "title", "urgency", "status", "patch", "public_html"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "urgency": {"enum": ["zero_day", "normal"]},
            "status": {"enum": ["awaiting_approval", "scheduled", "applied", "cancelled"]},
            "patch": {"type": "boolean", "description": "for named customers only"},
            "public_html": {
                "type": "string",
                "description": "sanitized; a zero-day's is empty for customers until applied",
            },
            "public_note": {"type": "string", "description": "staff only: Markdown as written"},
            "created_at": _DT,
            "jira_key": {**_NULLABLE_STR, "description": "staff only"},
            "summary": {"type": "string", "description": "staff only"},
            "justification": {**_NULLABLE_STR, "description": "staff only"},
            "customers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "staff only",
            },
            "requested_by": {"type": "string", "description": "staff only"},
            "approved_by": {**_NULLABLE_STR, "description": "staff only"},
            "approved_at": {"type": ["string", "null"], "format": "date-time"},
            "deployments": {"type": "array", "items": _ref("Deployment")},
        },
    },
    "EnvironmentState": {
        "type": "object",
        "required": ["name", "kind", "customer", "current_release", "hotfixes", "upcoming"],
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": ["preview", "production"]},
            "customer": {"type": "string"},
            "current_release": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["version", "title"],
                        "properties": {"version": {"type": "string"}, "title": {"type": "string"}},
                    },
                    {"type": "null"},
                ]
            },
            "hotfixes": {
                "type": "array",
                "description": "applied on top of the current release",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
                },
            },
            "upcoming": {"type": "array", "items": _ref("Deployment")},
            "history": {"type": "array", "items": _ref("Deployment")},
        },
    },
    "Environment": {
        "type": "object",
        "required": ["name", "kind", "customer"],
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": ["preview", "production"]},
            "customer": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "the input at fault"},
                },
            }
        },
    },
}
_REQUESTS = [
    schemas.RegionIn,
    schemas.PolicyIn,
    schemas.PolicyPatch,
    schemas.WindowIn,
    schemas.WindowPatch,
    schemas.FreezeIn,
    schemas.CustomerIn,
    schemas.CustomerPatch,
    schemas.ReleaseIn,
    schemas.ReleasePatch,
    schemas.ItemIn,
    schemas.WavePatch,
    schemas.DeploymentReport,
    schemas.DeploymentPatch,
    schemas.HotfixIn,
]


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list(name: str) -> dict:
    return _json(
        {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref(name)}},
        }
    )


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or _TEXT,
    }


def _path(name: str, schema_type: str = "string") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": schema_type}}


def _op(
    summary: str,
    ok: dict,
    *,
    body: type | None = None,
    params: list | None = None,
    public: bool = False,
    status: str = "200",
) -> dict:
    op = {
        "summary": summary,
        "responses": {
            status: ok,
            "4XX": _json(_ref("Error"), "Bad input, not allowed, not found, conflict"),
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body.__name__)}},
        }
    if params:
        op["parameters"] = params
    if public:
        op["security"] = [{}, {"bearer": []}]
    return op


_WINDOW_QUERY = [
    _query("region", "region slug"),
    _query("customer", "customer slug (staff or its token)"),
    _query("from", "ISO 8601 instant with offset, or a date (00:00 UTC); default now", _INSTANT),
    _query("to", "end (exclusive); default a year after from; at most 50 years", _INSTANT),
    _query(
        "status",
        "comma-separated statuses",
        {"type": "string", "pattern": f"^(?:{_WINDOW_STATUS}(?:,{_WINDOW_STATUS})*)?$"},
    ),
    _query("tz", "IANA zone: adds reader_start/reader_end in that zone"),
]


@cache
def document() -> dict:
    """The whole OpenAPI document."""
    from web.api import (  # import this module's helpers
        openapi_bugs,
        openapi_notifications,
        openapi_tickets,
    )

    components = (
        dict(_RESPONSES)
        | openapi_bugs.SCHEMAS
        | openapi_notifications.SCHEMAS
        | openapi_tickets.SCHEMAS
    )
    for model in _REQUESTS + openapi_notifications.REQUESTS + openapi_tickets.REQUESTS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    window_id = [_path("window_id", "integer")]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rollout API",
            "version": "1",
            "description": "Maintenance windows, freezes, customers, releases, "
            "deployments and hotfixes. Send "
            "`Authorization: Bearer <token>`; the public schedule needs "
            "none. Instants are UTC ISO 8601.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components,
        },
        "paths": {
            "/api/v1/regions": {
                "get": _op("Hosting regions", _list("Region"), public=True),
                "post": _op(
                    "Create a region",
                    _json(_ref("Region"), "Created"),
                    body=schemas.RegionIn,
                    status="201",
                ),
            },
            "/api/v1/policies": {
                "get": _op(
                    "Maintenance policies",
                    _list("Policy"),
                    params=[_query("region", "region slug")],
                ),
                "post": _op(
                    "Create a policy and plan its windows",
                    _json(_ref("Policy"), "Created"),
                    body=schemas.PolicyIn,
                    status="201",
                ),
            },
            "/api/v1/policies/{policy_id}": {
                "get": _op(
                    "One policy", _json(_ref("Policy")), params=[_path("policy_id", "integer")]
                ),
                "patch": _op(
                    "Edit a policy; future planned windows are re-planned",
                    _json(_ref("Policy")),
                    body=schemas.PolicyPatch,
                    params=[_path("policy_id", "integer")],
                ),
            },
            "/api/v1/windows": {
                "get": _op(
                    "Windows in a period, projected past the horizon",
                    _list("Window"),
                    params=_WINDOW_QUERY,
                    public=True,
                ),
                "post": _op(
                    "Create an ad hoc or emergency window",
                    _json(_ref("Window"), "Created"),
                    body=schemas.WindowIn,
                    status="201",
                ),
            },
            "/api/v1/windows/{window_id}": {
                "get": _op(
                    "One window",
                    _json(_ref("Window")),
                    public=True,
                    params=window_id + [_query("tz", "reader's IANA zone")],
                ),
                "patch": _op(
                    "Move, extend, cancel, skip, announce, start or complete",
                    _json(_ref("Window")),
                    body=schemas.WindowPatch,
                    params=window_id,
                ),
            },
            "/api/v1/windows/{window_id}/history": {
                "get": _op(
                    "Every revision of a window", _list("Revision"), public=True, params=window_id
                )
            },
            "/api/v1/freezes": {
                "get": _op(
                    "Freezes",
                    _list("Freeze"),
                    params=[
                        _query("region", "region slug"),
                        _query("customer", "customer slug"),
                        _query("from", "ISO 8601 instant", _INSTANT),
                        _query("to", "ISO 8601 instant", _INSTANT),
                    ],
                ),
                "post": _op(
                    "Create a freeze or a customer event plan",
                    _json(_ref("Freeze"), "Created"),
                    body=schemas.FreezeIn,
                    status="201",
                ),
            },
            "/api/v1/freezes/{freeze_id}": {
                "delete": _op(
                    "Lift a freeze",
                    {"description": "Lifted"},
                    status="204",
                    params=[_path("freeze_id", "integer")],
                )
            },
            "/api/v1/deploy-check": {
                "get": _op(
                    "May a pipeline deploy now (or at `at`)?",
                    _json(_ref("DeployCheck")),
                    params=[
                        _query("region", "region slug"),
                        _query("customer", "customer slug"),
                        _query("at", "ISO 8601 instant; default now", _INSTANT),
                    ],
                )
            },
            "/api/v1/customers": {
                "get": _op("Customers", _list("Customer")),
                "post": _op(
                    "Create a customer with preview and production environments",
                    _json(_ref("Customer"), "Created"),
                    body=schemas.CustomerIn,
                    status="201",
                ),
            },
            "/api/v1/customers/{slug}": {
                "get": _op("One customer", _json(_ref("Customer")), params=[_path("slug")]),
                "patch": _op(
                    "Edit a customer",
                    _json(_ref("Customer")),
                    body=schemas.CustomerPatch,
                    params=[_path("slug")],
                ),
            },
            "/api/v1/customers/{slug}/feed-token": {
                "post": _op(
                    "Create or rotate the customer's private calendar feed; old URLs die at once",
                    _json(_ref("FeedToken"), "Created"),
                    params=[_path("slug")],
                    status="201",
                ),
            },
            **_release_paths(),
            **openapi_bugs.paths(),
            **openapi_notifications.paths(),
            **openapi_tickets.paths(),
        },
    }


def _release_paths() -> dict:
    version = [_path("version")]
    return {
        "/api/v1/releases": {
            "get": _op(
                "Releases, newest first; public notes only unless staff",
                _list("Release"),
                public=True,
            ),
            "post": _op(
                "Create a draft release",
                _json(_ref("Release"), "Created"),
                body=schemas.ReleaseIn,
                status="201",
            ),
        },
        "/api/v1/releases/{version}": {
            "get": _op(
                "One release; security items stay out of public notes until it is completed",
                _json(_ref("Release")),
                params=version,
                public=True,
            ),
            "patch": _op(
                "Rename, change the soak time or cancel; a stale revision gets 409",
                _json(_ref("Release")),
                body=schemas.ReleasePatch,
                params=version,
            ),
        },
        "/api/v1/releases/{version}/items": {
            "post": _op(
                "Add a feature, fix, security fix or improvement",
                _json(_ref("ReleaseItem"), "Created"),
                body=schemas.ItemIn,
                params=version,
                status="201",
            ),
        },
        "/api/v1/releases/{version}/plan": {
            "post": _op(
                "Propose waves: preview first, production a soak time later, region by "
                "region, around freezes and event plans; replaces the current waves",
                _list("Wave"),
                params=version,
            ),
        },
        "/api/v1/releases/{version}/waves": {
            "get": _op("The release's waves and deployments", _list("Wave"), params=version),
        },
        "/api/v1/waves/{wave_id}": {
            "patch": _op(
                "Move a wave to another window; refused if it breaks a freeze, order or soak",
                _json(_ref("Wave")),
                body=schemas.WavePatch,
                params=[_path("wave_id", "integer")],
            ),
        },
        "/api/v1/deployments": {
            "post": _op(
                "Report an outcome for one environment (environment + release or hotfix) "
                "or for a whole wave (wave alone)",
                _list("Deployment"),
                body=schemas.DeploymentReport,
            ),
        },
        "/api/v1/deployments/{deployment_id}": {
            "patch": _op(
                "A later outcome for one deployment; rolled_back records a rollback",
                _json(_ref("Deployment")),
                body=schemas.DeploymentPatch,
                params=[_path("deployment_id", "integer")],
            ),
        },
        "/api/v1/hotfixes": {
            "get": _op(
                "Hotfixes; a customer token sees those for everyone and its own patches",
                _list("Hotfix"),
            ),
            "post": _op(
                "Request a hotfix; a zero_day needs a justification and a second approval",
                _json(_ref("Hotfix"), "Created"),
                body=schemas.HotfixIn,
                status="201",
            ),
        },
        "/api/v1/hotfixes/{hotfix_id}/approve": {
            "post": _op(
                "Approve a zero-day (not by its requester); its emergency windows are created",
                _json(_ref("Hotfix")),
                params=[_path("hotfix_id", "integer")],
            ),
        },
        "/api/v1/customers/{slug}/environments": {
            "get": _op(
                "Each environment's current release, hotfixes on top, what comes next, history",
                _list("EnvironmentState"),
                params=[_path("slug")],
            ),
        },
        "/api/v1/environments": {
            "get": _op(
                "Environments whose live deployments carry a fix",
                _list("Environment"),
                params=[
                    _query(
                        "fix",
                        "Jira key, e.g. OPS-123",
                        {"type": "string", "pattern": JIRA_KEY.pattern},
                    )
                    | {"required": True}
                ],
            ),
        },
    }


@blueprint.get("/api/openapi.json")
def openapi_json():
    return jsonify(document())
