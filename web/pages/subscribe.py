"""The public subscribe page: each feed's address and one-click links for common calendars."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, make_response, render_template, request

from rollout import feeds
from rollout.customers import Region, list_regions
from rollout.i18n import N_
from rollout.validation import is_whole_number
from web.database import db, public_url
from web.errors import BadRequest
from web.feeds import MAX_ALARM_MINUTES

blueprint = Blueprint("subscribe", __name__)

# Minutes before each window the page offers; a feed takes any from 1 to MAX_ALARM_MINUTES.
# The labels are English; the page translates them.
ALARMS = {15: N_("15 minutes before"), 60: N_("1 hour before"), 1440: N_("1 day before")}


@dataclass(frozen=True)
class Subscription:
    """One feed as the page offers it: its address and the links each calendar app takes."""

    key: str
    title: str  # what the page calls it (the all-regions feed's in English, translated there)
    name: str  # what the calendar app calls it, as the feed itself does
    url: str  # https (or http on a dev server), without ?alarm
    zone: str
    alarm: int | None = None

    @property
    def address(self) -> str:
        return f"{self.url}?alarm={self.alarm}" if self.alarm else self.url

    @property
    def webcal(self) -> str:
        return "webcal://" + self.address.split("://", 1)[1]

    @property
    def google(self) -> str:
        return "https://calendar.google.com/calendar/render?cid=" + _encode(self.webcal)

    @property
    def outlook(self) -> str:
        return (
            "https://outlook.live.com/calendar/0/addfromweb?url="
            f"{_encode(self.address)}&name={_encode(self.name)}"
        )


@blueprint.get("/calendars")
def subscribe():
    """Every public feed, optionally with reminders (`?alarm=` for browsers without script)."""
    alarm, base = _alarm(), public_url()
    page = render_template(
        "calendars/subscribe.html",
        subscriptions=public_subscriptions(base, list_regions(db()), alarm=alarm),
        alarms=ALARMS,
        alarm=alarm,
        max_alarm=MAX_ALARM_MINUTES,
        base=base,
    )
    response = make_response(page)
    # A pasted private feed address must never leave in a Referer, even to Google or Outlook.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def public_subscriptions(
    base: str, regions: list[Region], *, alarm: int | None = None
) -> list[Subscription]:
    """The all-regions feed first, then each region's, all served from `base`."""
    everything = feeds.public_scope()
    return [
        Subscription(
            "all",
            N_("All regions"),
            everything.name,
            f"{base}/calendars/maintenance.ics",
            "UTC",
            alarm,
        )
    ] + [
        Subscription(
            region.slug,
            region.name,
            feeds.region_scope(region).name,
            f"{base}/calendars/regions/{region.slug}.ics",
            region.timezone,
            alarm,
        )
        for region in regions
    ]


def _alarm() -> int | None:
    raw = request.args.get("alarm", "")
    if not raw:
        return None
    if not is_whole_number(raw) or int(raw) not in ALARMS:
        raise BadRequest(f"alarm is one of {', '.join(map(str, ALARMS))} minutes", field="alarm")
    return int(raw)


def _encode(text: str) -> str:
    # Everything but unreserved characters, as subscribe.js does, so both write the same links.
    return quote(text, safe="")
