"""The audit trail, for admins: who changed what, newest first."""

from __future__ import annotations

from flask import Blueprint

from rollout import audit
from web.api import responses as r
from web.api.queries import AuditQuery, Page, page_of
from web.database import db
from web.errors import BadRequest

blueprint = Blueprint("audit_api", __name__, url_prefix="/api/v1")


def list_audit(args: AuditQuery):
    """A page of entries matching the filters, and the cursor of the next one if any."""
    page = audit_page(args)
    return r.AuditPage(
        items=[r.AuditEntry.read(e) for e in page.items], next_cursor=page.next_cursor
    )


def audit_page(args: AuditQuery) -> Page[audit.AuditEntry]:
    """The entries `args` ask for, as the API and the staff page read them."""
    if args.from_ and args.to and args.to <= args.from_:
        raise BadRequest("to must be after from", field="to")
    kind, row_id = args.entity or (None, None)
    found = audit.list_entries(
        db(),
        entity=kind,
        entity_id=row_id,
        actor=args.actor,
        since=args.from_,
        until=args.to,
        before=args.cursor[0] if args.cursor else None,
        limit=args.limit + 1,
    )
    return page_of(found, args.limit, lambda entry: (entry.id,))
