"""The audit trail for admins: who changed what, filtered by a plain GET form, newest first."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, render_template, request

from rollout import audit
from rollout.access import Role
from rollout.errors import DomainError
from web.api.audit import audit_page
from web.api.queries import AuditQuery, Page
from web.database import db
from web.errors import BadRequest
from web.pages.signin import staff_page

blueprint = Blueprint("audit_pages", __name__)
PER_PAGE = 50
# The form's fields: a kind and a row id make the API's `entity`; dates are whole UTC days.
FILTERS = ("kind", "row", "actor", "from", "to", "cursor")


@blueprint.get("/staff/audit")
@staff_page(Role.ADMIN)
def audit_log():
    """The entries the filters ask for; a filter that does not parse is shown beside its field."""
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    error, page = None, Page([])
    try:
        page = audit_page(_query(filters))
    except DomainError as exc:
        error = exc
        if exc.field == "entity":  # the API's one filter is two fields here, said their way
            error = (
                BadRequest("the record id is a whole number, such as 12", field="row")
                if filters["row"]
                else BadRequest("choose a kind of record from the list", field="kind")
            )
    names = audit.actor_names(db(), {e.actor for e in page.items})
    answer = render_template(
        "audit/index.html",
        filters=filters,
        kept={k: v for k, v in filters.items() if v and k != "cursor"},
        kinds=list(audit.KINDS),
        page=page,
        names=names,
        error=error,
        shown=shown_value,
    )
    return answer, 400 if error else 200


def _query(filters: dict[str, str]) -> AuditQuery:
    if filters["row"] and not filters["kind"]:
        raise BadRequest("choose the kind of record the id belongs to", field="kind")
    query = AuditQuery.model_validate(
        {
            "entity": filters["kind"] + (f":{filters['row']}" if filters["row"] else ""),
            "actor": filters["actor"],
            "from": filters["from"],
            "to": filters["to"],
            "cursor": filters["cursor"],
            "limit": str(PER_PAGE),
        }
    )
    if query.to is not None and len(filters["to"]) == 10:
        # A person's "to" day includes that day.
        query = query.model_copy(update={"to": query.to + timedelta(days=1)})
    return query


def shown_value(value) -> str:
    """A recorded value as a person reads it: nothing shown as a dash, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
