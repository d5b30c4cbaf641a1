"""A customer's own status page, reached by its private feed token: what each environment
runs, what was applied on top, and what comes next, in the customer's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, make_response, render_template
from flask_babel import gettext

from rollout import feeds
from rollout.releases import environment_states
from web.database import db, public_url
from web.pages.display import day_text
from web.pages.releases import PUBLIC

blueprint = Blueprint("customer_status", __name__)

RECENT = 5


@blueprint.get("/status/<token>")
def status(token: str):
    """The environments of the customer whose private feed token this is; anything else 404."""
    customer = feeds.customer_for_feed_token(db(), token)
    if customer is None:
        # The same page for a token that never existed and one rotated away: no hint either way.
        page = render_template("error.html", status=404, message=gettext("There is no such page."))
        return _private(make_response(page, 404))
    page = render_template(
        "customer/status.html",
        customer=customer,
        states=[(s, s.coming) for s in environment_states(db(), customer.slug)],
        feed_url=f"{public_url()}/calendars/customers/{token}.ics",
        public_releases=PUBLIC,
        recent=RECENT,
    )
    return _private(make_response(page))


def moment_text(value: datetime, zone_name: str) -> str:
    """`Sat 12 Dec 2026, 09:00 EST (America/New_York)`: one instant in a named zone."""
    local = value.astimezone(ZoneInfo(zone_name))
    text = f"{day_text(local)}, {local:%H:%M} {local.tzname()}"
    return text if zone_name == "UTC" else f"{text} ({zone_name})"


def _private(response):
    # The token is in the address: it must not leave in a Referer, nor sit in shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
