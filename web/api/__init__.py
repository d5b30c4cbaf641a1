"""The JSON API under /api/v1: one blueprint per capability, and shared input helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import Flask, request
from pydantic import BaseModel

from rollout.errors import Invalid, NotFound
from rollout.scheduling import parse_zone
from rollout.validation import MAX_ID, check_year
from web.auth import principal
from web.bodies import json_object
from web.errors import BadRequest


def body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body validated by `model` (400 if not JSON, 422 naming the field)."""
    return model.model_validate(json_object(request.get_data(cache=True)))


def instant_arg(name: str, default: datetime | None = None) -> datetime | None:
    """Query parameter `name` as an aware datetime; a bare date means 00:00 UTC."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        if len(raw) == 10:
            value = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=UTC)
        else:
            value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"{raw!r} is not an ISO 8601 date or datetime", field=name) from None
    if value.tzinfo is None:
        raise BadRequest("give a UTC offset (e.g. 2026-03-14T09:00:00Z)", field=name)
    try:
        return check_year(value, field=name)
    except Invalid as exc:  # a query that cannot be answered is malformed: 400, not 422
        raise BadRequest(exc.message, field=name) from None


def zone_arg(name: str = "tz") -> str | None:
    """Query parameter `name` as an IANA zone name, or None."""
    raw = request.args.get(name)
    if not raw:
        return None
    parse_zone(raw, field=name)
    return raw


def int_id(raw: str, field: str = "id") -> int:
    """A row id from the URL; one past what any row can have names nothing (404)."""
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("must be a whole number", field=field) from None
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"nothing has the id {raw}", field=field)
    return value


def register(app: Flask) -> None:
    """Mount every API blueprint; they take bearer tokens, so CSRF does not apply."""
    app.before_request(_refuse_a_bad_token)
    from web.api import customers, freezes, openapi, policies, releases, windows

    for module in (customers, freezes, policies, windows, releases, openapi):
        app.register_blueprint(module.blueprint)
        app.extensions["csrf"].exempt(module.blueprint)
    # Jira: bugs for staff, and the webhook (signed by HMAC, so CSRF does not apply).
    from web.api import bugs, jira_hooks

    for module in (bugs, jira_hooks):
        app.register_blueprint(module.blueprint)
        app.extensions["csrf"].exempt(module.blueprint)
    # Tickets, fix status and triage; the help desk's webhook (signed by HMAC).
    from web.api import helpdesk, tickets

    for module in (tickets, helpdesk):
        app.register_blueprint(module.blueprint)
        app.extensions["csrf"].exempt(module.blueprint)
    # Contacts, webhook endpoints and the notification outbox.
    from web.api import notifications

    app.register_blueprint(notifications.blueprint)
    app.extensions["csrf"].exempt(notifications.blueprint)


def _refuse_a_bad_token() -> None:
    # A token that is sent is checked on every API route, public ones too: a wrong or
    # revoked one gets 401 everywhere instead of being read as no token where none is needed.
    if request.path.startswith("/api/") and "Authorization" in request.headers:
        principal()
