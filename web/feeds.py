"""Calendar feeds over HTTP: rendered once per change of their data, cheap to poll."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError

from calendars.feeds import FeedEvent, FeedInfo, render_feed
from calendars.windows import window_as_event, window_link
from rollout import feeds
from rollout.customers import get_region
from rollout.errors import NotFound
from rollout.validation import is_whole_number
from rollout.windows import Window, get_window
from web.api.inputs import int_id
from web.auth import audience
from web.database import db, now, public_url
from web.errors import BadRequest
from web.metrics import FEED_ANSWERS

blueprint = Blueprint("feeds", __name__)

MAX_ALARM_MINUTES = 7 * 24 * 60
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedVersion:
    """What identifies one state of a feed: its cache key and HTTP validators."""

    scope_key: str
    etag: str
    last_modified: datetime


class RenderedFeeds:
    """The last rendering of each feed, keyed by its data's digest; bounded, thread-safe.

    A cache only: every process renders a feed at most once per change of its data.
    """

    def __init__(self, capacity: int = 2048):
        self.capacity = capacity
        self.renders = 0
        self._entries: OrderedDict[tuple, bytes] = OrderedDict()
        self._versions: dict[tuple, tuple[FeedVersion, datetime]] = {}
        self._lock = threading.Lock()

    def fresh_version(self, key: tuple, now: datetime) -> FeedVersion | None:
        with self._lock:
            version, until = self._versions.get(key, (None, now))
            return version if now < until else None

    def last_version(self, key: tuple) -> FeedVersion | None:
        """The newest version seen, however old: what to serve while the database is away."""
        with self._lock:
            version, _until = self._versions.get(key, (None, None))
            return version

    def keep_version(self, key: tuple, version: FeedVersion, *, until: datetime) -> None:
        with self._lock:
            if len(self._versions) >= self.capacity:
                self._versions.clear()
            self._versions[key] = (version, until)

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: tuple, body: bytes) -> None:
        with self._lock:
            self.renders += 1
            self._entries[key] = body
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


@blueprint.get("/calendars/maintenance.ics")
def public_feed():
    return _serve_public(feeds.public_scope)


@blueprint.get("/calendars/regions/<slug>.ics")
def region_feed(slug: str):
    return _serve_public(lambda: feeds.region_scope(get_region(db(), slug, field="slug")))


@blueprint.get("/calendars/customers/<token>.ics")
def customer_feed(token: str):
    customer = feeds.customer_for_feed_token(db(), token)
    if customer is None:
        # Same answer for a token that never existed and one that was rotated away.
        raise NotFound("no such feed", field="token")
    return _serve(feeds.customer_scope(customer), private=True)


@blueprint.get("/calendars/windows/<window_id>.ics")
def window_event(window_id: str):
    """One window as a single-event file to open in any calendar: a public one, or one a
    signed-in reader may see (a customer contact's own customer's)."""
    window = get_window(db(), int_id(window_id))
    if not audience().may_see(window):
        raise NotFound(f"no window #{window.id}", field="id")
    body = render_feed(
        FeedInfo(name=window.title),
        [feed_event(window, feeds.window_contents(db(), [window])[window.id])],
        alarm_minutes=_alarm(),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="maintenance-{window.id}.ics"'},
    )


def feed_event(window: Window, contents: list[tuple[str, str | None]] = ()) -> FeedEvent:
    """A window as a calendar event (calendars/windows.py), described by what it deploys
    (with links to the release notes) and a link back to the window's page."""
    base = public_url()
    local = window.starts_at.astimezone(ZoneInfo(window.timezone))
    end = window.ends_at.astimezone(ZoneInfo(window.timezone))
    lines = [
        f"Scheduled maintenance for {window.region.name}: the service may be unavailable "
        f"from {local:%H:%M} to {end:%H:%M} {window.timezone}."
    ]
    lines += [line + "." for line, _ in contents]
    versions = dict.fromkeys(version for _, version in contents if version)
    lines += [f"Release notes {version}: {base}/releases/{version}" for version in versions]
    lines.append(f"Details and changes: {window_link(base, window.id)}")
    return window_as_event(
        base,
        window_id=window.id,
        sequence=window.sequence,
        title=window.title,
        status=window.status,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        timezone=window.timezone,
        created=window.created_at,
        last_modified=window.updated_at,
        description="\n".join(lines),
    )


def _serve_public(scope: Callable[[], feeds.FeedScope]) -> Response:
    """Serve a public feed, trusting a stamp of it younger than the freshness setting.

    Within that time a poll costs no database query. While the database is away, the last
    good version is served with its validators, so subscribers keep their calendars. Private
    feeds never take this path: a rotated token must stop working at once.
    """
    cache: RenderedFeeds = current_app.extensions["rollout.feeds"]
    key = (request.path, public_url(), request.args.get("alarm"))
    version = cache.fresh_version(key, now())
    if version is None:
        try:
            version = _version(scope())
        except OperationalError:
            version = cache.last_version(key)
            if version is None or cache.get((version.scope_key, version.etag)) is None:
                raise
            return _answer(version, scope, private=False)
        seconds = current_app.extensions["rollout.settings"].feed_freshness_seconds
        cache.keep_version(key, version, until=now() + timedelta(seconds=seconds))
    return _answer(version, scope, private=False)


def _serve(scope: feeds.FeedScope, *, private: bool) -> Response:
    return _answer(_version(scope), lambda: scope, private=private)


def _version(scope: feeds.FeedScope) -> FeedVersion:
    stamp = feeds.feed_stamp(db(), scope, now=now())
    # The body names this service's address, so each address gets its own tag.
    base = hashlib.sha256(public_url().encode()).hexdigest()[:8]
    return FeedVersion(
        scope_key=scope.key,
        etag=f"{stamp.digest}-{base}-{_alarm() or 0}",
        last_modified=(stamp.last_modified or EPOCH).replace(microsecond=0),
    )


def _answer(
    version: FeedVersion, scope: Callable[[], feeds.FeedScope], *, private: bool
) -> Response:
    headers = {
        "ETag": f'"{version.etag}"',
        "Cache-Control": f"{'private' if private else 'public'}, max-age=300",
        "Referrer-Policy": "no-referrer",
    }
    if _not_modified(version.etag, version.last_modified):
        # A 304 carries no Last-Modified (RFC 9110 15.4.5; werkzeug would drop it anyway).
        FEED_ANSWERS.labels("not_modified").inc()
        return Response(status=304, headers=headers)
    headers["Last-Modified"] = format_datetime(version.last_modified, usegmt=True)
    cache: RenderedFeeds = current_app.extensions["rollout.feeds"]
    key = (version.scope_key, version.etag)
    body = cache.get(key)
    if body is None and request.method == "HEAD":
        # Headers only: a HEAD never renders, so the length is not known.
        response = Response(status=200, headers=headers, mimetype="text/calendar")
        response.automatically_set_content_length = False
        FEED_ANSWERS.labels("headers_only").inc()
        return response
    if body is None:
        body = _render(scope())
        cache.put(key, body)
        FEED_ANSWERS.labels("rendered").inc()
    else:
        FEED_ANSWERS.labels("cached").inc()
    return Response(body, headers=headers, mimetype="text/calendar")


def _render(scope: feeds.FeedScope) -> bytes:
    windows = feeds.feed_windows(db(), scope, now=now())
    info = FeedInfo(
        name=scope.name,
        description="Maintenance windows, kept up to date by Rollout",
    )
    contents = feeds.window_contents(db(), windows, customer=scope.customer)
    events = [feed_event(w, contents[w.id]) for w in windows]
    return render_feed(info, events, alarm_minutes=_alarm())


def _not_modified(etag: str, last_modified: datetime) -> bool:
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/").strip('"') for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and last_modified <= since
    return False


def _alarm() -> int | None:
    raw = request.args.get("alarm")
    if raw is None:
        return None
    if not is_whole_number(raw) or not 0 < int(raw) <= MAX_ALARM_MINUTES:
        raise BadRequest(
            f"alarm is minutes before each window, 1 to {MAX_ALARM_MINUTES}", field="alarm"
        )
    return int(raw)


def init_app(app) -> None:
    app.extensions["rollout.feeds"] = RenderedFeeds()
    app.register_blueprint(blueprint)
