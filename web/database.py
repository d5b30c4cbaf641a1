"""One SQLAlchemy session per request, opened on first use and closed at teardown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from rollout import audit
from rollout.db import read_only, reads_outside_a_transaction
from rollout.events import Context

# Requests that never write: on SQLite they read beside a writer instead of queueing.
_READING = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask, session_factory, clock) -> None:
    app.extensions["rollout.sessions"] = session_factory
    app.extensions["rollout.clock"] = clock
    app.teardown_appcontext(_close_session)


def db() -> Session:
    """This request's session; the view commits it once when its use case succeeds. Its
    writes are audited as the caller's (looked up when they flush), with the request's id."""
    if "db" not in g:
        author = audit.author_info(_caller, request_id=g.get("request_id"), clock=now)
        session = current_app.extensions["rollout.sessions"](info=author)
        if request.method in _READING:
            # The API's reads never write (the session refuses to); a page's GET may (a
            # sign-in link), so it keeps its transaction.
            api = request.path.startswith("/api/")
            session = reads_outside_a_transaction(session) if api else read_only(session)
        g.db = session
    return g.db


def after_session(job: Callable[[Session], None]) -> None:
    """Run `job` once this request's session is closed, in a short transaction of its own
    that it commits: a write a GET may make (its session only reads), or one that must not
    queue behind the request's own (a SQLite writer holds the database until it ends)."""
    g.setdefault("after_session", []).append(job)


def context() -> Context:
    """What the use cases pass their events' handlers: the configured notification policy."""
    return current_app.extensions["rollout.context"]


def now() -> datetime:
    """The current time, from the app's clock so tests can pin it."""
    return current_app.extensions["rollout.clock"]()


def public_url() -> str:
    """The address customers reach this service at, without a trailing slash: PUBLIC_URL,
    never the Host header, which any client sets (a feed's UIDs and links would follow it)."""
    return current_app.extensions["rollout.settings"].require_public_url()


def secret_key() -> str:
    """SECRET_KEY, which private feed tokens are derived with: the domain gets it passed in."""
    return current_app.extensions["rollout.settings"].secret_key


def _caller() -> str:
    # Only a caller this request already looked up (a write needs one, bar the hooks, which
    # name themselves): finding one here could query in the middle of a flush.
    who = g.get("principal")
    return who.ref if who is not None and who.ref else "anonymous"


def system_clock() -> datetime:
    return datetime.now(UTC)


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()
    for job in g.pop("after_session", []):
        with current_app.extensions["rollout.sessions"]() as own:
            job(own)
