"""OpenAPI paths and schemas of the bugs API (merged into web/api/openapi.py's document)."""

from __future__ import annotations

from web.api.openapi import _DT, _NOT_BLANK, _NULLABLE_STR, _json, _list, _op, _path, _query, _ref

_NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS = {
    "Bug": {
        "type": "object",
        "required": ["key", "project", "summary", "status", "status_category", "fix_versions"],
        "properties": {
            "key": {"type": "string", "examples": ["OPS-123"]},
            "project": {"type": "string"},
            "summary": {"type": "string", "description": "internal: Jira's summary"},
            "status": {"type": "string", "description": "Jira's status name"},
            "status_category": {"enum": ["new", "indeterminate", "done"]},
            "priority": {"enum": ["critical", "high", "medium", "low", None]},
            "severity": {
                "enum": ["hyper_local", "local", "moderate", "widespread", "deep_and_wide", None]
            },
            "resolution": _NULLABLE_STR,
            "fix_versions": {"type": "array", "items": {"type": "string"}},
            "public_note": _NULLABLE_STR,
            "url": {"type": ["string", "null"], "description": "the issue in Jira"},
            "jira_updated_at": _DT,
            "deleted_at": {**_NULLABLE_DT, "description": "deleted in Jira; links are kept"},
            "synced_at": _DT,
        },
    },
    "BugDetail": {
        "allOf": [
            _ref("Bug"),
            {
                "type": "object",
                "required": ["tickets", "releases", "hotfixes", "deployed_to"],
                "properties": {
                    "tickets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["external_id", "url", "customer", "subject"],
                            "properties": {
                                "external_id": {"type": "string"},
                                "url": {"type": "string"},
                                "customer": {"type": "string"},
                                "subject": {"type": "string"},
                                "sla_level": {"type": "integer"},
                                "linked_at": _DT,
                                "fix_live_at": _NULLABLE_DT,
                            },
                        },
                    },
                    "releases": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["version", "status", "via"],
                            "properties": {
                                "version": {"type": "string"},
                                "title": {"type": "string"},
                                "status": {"type": "string"},
                                "completed_at": _NULLABLE_DT,
                                "via": {
                                    "enum": ["item", "fix_version"],
                                    "description": "a release item names the bug, or the "
                                    "bug's Jira fix version names the release",
                                },
                            },
                        },
                    },
                    "hotfixes": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "title", "status"],
                            "properties": {
                                "id": {"type": "integer"},
                                "title": {"type": "string"},
                                "status": {"type": "string"},
                                "urgency": {"type": "string"},
                                "customers": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    },
                    "deployed_to": {"type": "array", "items": _ref("Environment")},
                },
            },
        ]
    },
}


def paths() -> dict:
    return {
        "/api/v1/bugs": {
            "get": _op(
                "Bugs synced from Jira (staff; customer tokens get 403), deleted ones left out",
                _list("Bug"),
                params=[
                    _query(
                        "status",
                        "open (not done), done, new, indeterminate, or a Jira status name",
                        _NOT_BLANK,
                    ),
                    _query("release", "release version: its items and fix versions"),
                    _query("customer", "customer slug: bugs linked to its tickets"),
                ],
            ),
        },
        "/api/v1/bugs/{key}": {
            "get": _op(
                "One bug with its linked tickets, the releases and hotfixes carrying it, "
                "and the environments where its fix is live",
                _json(_ref("BugDetail")),
                params=[_path("key")],
            ),
        },
    }
