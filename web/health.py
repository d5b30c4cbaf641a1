"""Liveness and readiness for load balancers, and what clients get while the database is away."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, Flask, jsonify, render_template
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from rollout.schema import alembic_config
from web.database import db
from web.errors import error_body, wants_json

blueprint = Blueprint("health", __name__)

# Long enough for a database restart or fail-over, short enough that clients come back soon.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "The service is briefly unavailable. Please try again in a few seconds."


@blueprint.get("/healthz")
def healthz():
    """The process answers; nothing else is touched, so an outage elsewhere never restarts it."""
    return _uncached(jsonify(status="ok"))


@blueprint.get("/readyz")
def readyz():
    """Ready when the database answers and its schema is the one this code was written for."""
    try:
        problem = readiness_problem(db().connection())
    except DBAPIError:
        problem = "the database does not answer"
    if problem is not None:
        return _not_ready(problem)
    return _uncached(jsonify(status="ready"))


def readiness_problem(connection: Connection) -> str | None:
    """Why this database cannot serve this code, in plain words and without secrets (it does
    not answer; its schema is not at the newest migration), or None: /readyz and
    `rollout check` decide it here."""
    try:
        connection.execute(text("SELECT 1"))
    except DBAPIError:
        return "the database does not answer"
    try:
        # Read as SQL, not through Alembic's MigrationContext, which logs a line per probe.
        current = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError:  # no version table: never migrated
        current = set()
    heads = _migration_heads()
    if current != heads:
        found = ", ".join(sorted(current)) or "none"
        return (
            f"the database schema is at {found}, not {', '.join(sorted(heads))}: "
            "run `rollout init` to migrate it"
        )
    return None


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)

    @app.errorhandler(OperationalError)
    def database_unavailable(_exc: OperationalError):
        # The database is down, restarting or refusing connections: say when to come back,
        # never a 500, and render nothing that would ask the database again (the header
        # reads the signed-in session).
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if wants_json():
            return jsonify(error_body("unavailable", UNAVAILABLE)), 503, headers
        return render_template("unavailable.html", message=UNAVAILABLE), 503, headers


@cache
def _migration_heads() -> frozenset[str]:
    """The newest migration this code ships with; read from disk once per process."""
    from alembic.script import ScriptDirectory  # only when asked: see `rollout.schema`

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _not_ready(reason: str):
    response = jsonify(status="unavailable", reason=reason)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return _uncached(response)


def _uncached(response):
    response.headers["Cache-Control"] = "no-store"
    return response
