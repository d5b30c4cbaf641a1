"""The OpenAPI 3.1 document at /api/openapi.json, generated from the route table and the same
models that read requests and write answers."""

from __future__ import annotations

import re
from functools import cache

from flask import Blueprint, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from web.api.responses import Error
from web.api.routes import PREFIX, ROUTES, Op

blueprint = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
_ERRORS = {
    400: "Malformed: a query or body that does not parse",
    401: "No token, or one unknown or revoked",
    403: "The token's role or customer may not do this",
    404: "Nothing by that name or id (or nothing this caller may know of)",
    409: "Clashes with the current state: an overlap, a freeze, a stale revision",
    413: "The body is too large",
    422: "Well-formed but breaks a rule; `field` names the input at fault",
    502: "Jira failed while a bug was looked up; nothing was written",
}


@cache
def document() -> dict:
    """The whole OpenAPI document."""
    models = [(op.body, "validation") for op in ROUTES if op.body]
    models += [(_model(op.answer), "serialization") for op in ROUTES if op.answer]
    models.append((Error, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    paths: dict[str, dict] = {}
    for op in ROUTES:
        path = PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.path)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rollout API",
            "version": "1",
            "description": "Maintenance windows, freezes, customers, releases, deployments "
            "and hotfixes. Send `Authorization: Bearer <token>`; the public schedule needs "
            "none. Instants are UTC ISO 8601. `sequence` and `version` are the old names of "
            "`revision`, the counter a stale edit is refused by; both are still read and sent.",
            "license": {"name": "Proprietary"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in ROUTES)],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": defs["$defs"],
        },
        "paths": paths,
    }


def _model(answer) -> type[BaseModel]:
    return answer[0] if isinstance(answer, list) else answer


def _operation(op: Op, refs: dict) -> dict:
    def ref(model: type[BaseModel], mode: str) -> dict:
        return refs[(model, mode)]

    if op.answer is None:
        ok = {"description": "Done; nothing to answer"}
    else:
        schema = ref(_model(op.answer), "serialization")
        if isinstance(op.answer, list):
            schema = {
                "type": "object",
                "required": ["items"],
                "properties": {"items": {"type": "array", "items": schema}},
            }
            if op.paged:
                schema["required"].append("next_cursor")
                schema["properties"]["next_cursor"] = {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "description": "pass as ?cursor= for the next page; null on the last",
                }
        ok = _json(schema, "Created" if op.status == 201 else "OK")
    error = ref(Error, "serialization")
    responses = {str(op.status): ok, "4XX": _json(error, "Refused; `error` says why")}
    responses |= {str(status): _json(error, _ERRORS[status]) for status in _errors(op)}
    operation = {
        "operationId": op.view.__name__,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    }
    if op.body is not None:
        operation["requestBody"] = {
            "required": not op.body_optional,
            "content": {"application/json": {"schema": ref(op.body, "validation")}},
        }
    if parameters := _path_parameters(op) + _query_parameters(op):
        operation["parameters"] = parameters
    if op.roles is None:
        operation["security"] = [{}, {"bearer": []}]
    return operation


def _errors(op: Op) -> list[int]:
    """The error statuses the operation can answer, from what it reads and who may call it."""
    named = "<" in op.path or op.body or op.query
    writes = op.method != "GET"
    found = {400, 401, *op.errors}
    found |= {403} if op.roles else set()
    found |= {404} if named else set()
    found |= {409, 422} if writes else set()
    found |= {413, 422} if op.body else set()
    found |= {422} if op.query else set()
    return sorted(found)


def _path_parameters(op: Op) -> list[dict]:
    parameters = []
    for name in re.findall(r"<(?:\w+:)?(\w+)>", op.path):
        row_id = name.endswith("_id") and name != "external_id"
        schema = op.path_schemas.get(name, {"type": "integer" if row_id else "string"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(op: Op) -> list[dict]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema(by_alias=True)
    parameters = []
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
        if prop.get("default", 0) is None:
            del prop["default"]
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", ()),
                "description": schema["properties"][name].get("description", ""),
                "schema": prop,
            }
        )
    return parameters


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@blueprint.get("/api/openapi.json")
def openapi_json():
    return jsonify(document())
