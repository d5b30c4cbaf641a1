"""Maintenance windows: the public schedule, hand-made windows, changes and history."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, request

from rollout import windows
from rollout.customers import get_customer, get_region
from rollout.errors import Invalid, NotFound
from web.api import body, instant_arg, int_id, zone_arg
from web.api.schemas import WindowIn, WindowPatch
from web.api.serialize import revision_json, window_json
from web.auth import PLANNING, audience, principal, require
from web.database import context, db, now
from web.errors import BadRequest

blueprint = Blueprint("windows_api", __name__, url_prefix="/api/v1")

DEFAULT_SPAN = timedelta(days=366)
MAX_SPAN = timedelta(days=50 * 366)


@blueprint.get("/windows")
def list_windows():
    """Public: windows overlapping [from, to), projected past the planning horizon."""
    start = instant_arg("from", now())
    end = instant_arg("to", start + DEFAULT_SPAN)
    if end <= start:
        raise BadRequest("to must be after from", field="to")
    if end - start > MAX_SPAN:
        raise BadRequest("ask for at most 50 years at a time", field="to")
    statuses = _statuses(request.args.get("status"))
    region = request.args.get("region")
    customer = request.args.get("customer")
    target = get_customer(db(), customer) if customer else None
    if target is not None:
        who = principal()
        if who is None:
            raise NotFound(f"no customer {customer!r}", field="customer")
        who.check_customer(target)
    found = windows.list_windows(
        db(),
        start=start,
        end=end,
        audience=audience(),
        region=get_region(db(), region) if region else None,
        customer=target,
        statuses=statuses,
    )
    staff, zone = audience().staff, zone_arg()
    return jsonify(items=[window_json(w, staff=staff, reader_zone=zone) for w in found])


@blueprint.get("/windows/<window_id>")
def get_window(window_id: str):
    """Public for regional windows; a customer's own window only for it and staff."""
    window = _visible_window(window_id)
    return jsonify(window_json(window, staff=audience().staff, reader_zone=zone_arg()))


@blueprint.get("/windows/<window_id>/history")
def window_history(window_id: str):
    window = _visible_window(window_id)
    staff = audience().staff
    return jsonify(items=[revision_json(r, staff=staff) for r in window.revisions])


@blueprint.post("/windows")
@require(*PLANNING)
def create_window():
    data = body(WindowIn)
    override = _override(data)
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
        override_freeze_reason=override,
        actor=principal().actor,
        now=now(),
        context=context(),
    )
    db().commit()
    return jsonify(window_json(window, staff=True)), 201


@blueprint.patch("/windows/<window_id>")
@require(*PLANNING)
def change_window(window_id: str):
    data = body(WindowPatch)
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
    return jsonify(window_json(window, staff=True))


def _visible_window(raw_id: str) -> windows.Window:
    window = windows.get_window(db(), int_id(raw_id))
    if not audience().may_see(window):
        raise NotFound(f"no window #{window.id}", field="id")
    return window


def _override(data) -> str | None:
    if data.override_freeze and not (data.override_reason or "").strip():
        raise Invalid("override_freeze needs an override_reason", field="override_reason")
    return data.override_reason if data.override_freeze else None


def _statuses(raw: str | None) -> set[windows.WindowStatus] | None:
    if not raw:
        return None
    try:
        return {windows.WindowStatus(s.strip()) for s in raw.split(",")}
    except ValueError:
        raise BadRequest(
            f"status must be among {', '.join(windows.WindowStatus)}", field="status"
        ) from None
