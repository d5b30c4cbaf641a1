"""Maintenance windows: the public schedule, hand-made windows, changes and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint

from rollout import windows
from rollout.customers import get_customer, get_region
from rollout.errors import Invalid, NotFound
from rollout.freezes import OVERRIDE_NEEDS_REASON
from web.api import responses as r
from web.api.inputs import int_id
from web.api.queries import Page, WindowQuery, ZoneQuery, page_of
from web.api.schemas import WindowIn, WindowPatch
from web.auth import audience, principal
from web.database import context, db, now
from web.errors import BadRequest

blueprint = Blueprint("windows_api", __name__, url_prefix="/api/v1")

DEFAULT_SPAN = timedelta(days=366)
MAX_SPAN = timedelta(days=50 * 366)


def list_windows(args: WindowQuery):
    """Public: windows overlapping [from, to), projected past the planning horizon."""
    start = args.from_ or now()
    end = args.to or start + DEFAULT_SPAN
    if end <= start:
        raise BadRequest("to must be after from", field="to")
    if end - start > MAX_SPAN:
        raise BadRequest("ask for at most 50 years at a time", field="to")
    target = get_customer(db(), args.customer) if args.customer else None
    if target is not None:
        who = principal()
        if who is None:
            raise NotFound(f"no customer {args.customer!r}", field="customer")
        who.check_customer(target)
    found = windows.list_windows(
        db(),
        start=start,
        end=end,
        audience=audience(),
        region=get_region(db(), args.region) if args.region else None,
        customer=target,
        statuses=args.status,
        after=key_of_cursor(args.cursor),
        limit=args.limit + 1,
    )
    page = page_of(found, args.limit, cursor_of_window)
    view = _view()
    return Page([view.of(w, reader_zone=args.tz) for w in page.items], page.next_cursor)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of_window(window: windows.Window) -> tuple[int, int, int]:
    """A window's place in a list as a cursor's numbers (the API's and the calendar's)."""
    starts_at, row_id, policy_id = windows.window_key(window)
    return (starts_at - _EPOCH) // timedelta(microseconds=1), row_id, policy_id


def key_of_cursor(cursor: tuple[int, ...] | None) -> windows.WindowKey | None:
    """The window key a cursor's numbers name; a 400 naming `cursor` past the calendar."""
    if cursor is None:
        return None
    microseconds, row_id, policy_id = cursor
    try:
        return _EPOCH + timedelta(microseconds=microseconds), row_id, policy_id
    except OverflowError:
        raise BadRequest("cursor is the next_cursor of an earlier page", field="cursor") from None


def get_window(window_id: str, args: ZoneQuery):
    """Public for regional windows; a customer's own window only for it and staff."""
    return _view().of(_visible_window(window_id), reader_zone=args.tz)


def window_history(window_id: str):
    view = r.Revision if audience().staff else r.PublicRevision
    return [view.of(revision) for revision in _visible_window(window_id).revisions]


def create_window(data: WindowIn):
    window = windows.create_window(
        db(),
        title=data.title,
        region=data.region,
        customer=data.customer,
        kind=data.kind,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        timezone=data.timezone,
        justification=data.justification,
        override_freeze_reason=_override(data),
        actor=principal().actor,
        now=now(),
        context=context(),
    )
    db().commit()
    return r.Window.of(window)


def change_window(window_id: str, data: WindowPatch):
    window = windows.change_window(
        db(),
        int_id(window_id),
        change=data.action,
        expected_sequence=data.sequence,
        reason=data.reason,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        override_freeze_reason=_override(data),
        actor=principal().actor,
        now=now(),
        context=context(),
    )
    db().commit()
    return r.Window.of(window)


def _view() -> type[r.PublicWindow]:
    return r.Window if audience().staff else r.PublicWindow


def _visible_window(raw_id: str) -> windows.Window:
    window = windows.get_window(db(), int_id(raw_id))
    if not audience().may_see(window):
        raise NotFound(f"no window #{window.id}", field="id")
    return window


def _override(data) -> str | None:
    if data.override_freeze and not (data.override_reason or "").strip():
        raise Invalid(OVERRIDE_NEEDS_REASON, field="override_reason")
    return data.override_reason if data.override_freeze else None
