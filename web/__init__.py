"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from rollout import audit, events, handlers
from rollout.db import make_engine, make_session_factory
from rollout.events import Context
from rollout.support.waiting import keep_waiting_sums
from web import (
    bodies,
    converters,
    database,
    errors,
    feeds,
    headers,
    health,
    i18n,
    logs,
    metrics,
    pages,
)
from web.api import blueprints as api_blueprints
from web.settings import Settings

csrf = CSRFProtect()


def create_app(
    settings: Settings | None = None,
    *,
    session_factory=None,
    clock: Callable[[], datetime] | None = None,
    instance_path: str | Path | None = None,
    serving: bool = True,
) -> Flask:
    """Build the app; nothing connects until the first request needs the database. Settings
    read from the environment must give PUBLIC_URL when the app is to serve (SettingsError);
    the CLI's commands that write nothing customers read build it with `serving=False`."""
    events.use_handlers(handlers.HANDLERS)
    audit.record_writes()
    keep_waiting_sums()
    app = Flask(
        __name__,
        instance_path=str(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    if settings is None:
        settings = Settings.from_env(Path(app.instance_path))
        if serving:
            settings.require_public_url()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
    )
    app.request_class = bodies.Request
    app.json = bodies.JSONProvider(app)
    app.extensions["rollout.settings"] = settings
    if session_factory is None:
        engine = make_engine(settings.database_url)
        app.extensions["rollout.engine"] = engine
        session_factory = make_session_factory(engine)
    app.extensions["rollout.context"] = Context(notification_policy=settings.notifications.policy)
    database.init_app(app, session_factory, clock or database.system_clock)
    bodies.init_app(
        app, max_bytes=settings.max_body_bytes, hook_max_bytes=settings.hook_max_body_bytes
    )
    headers.init_app(app, https=settings.https)
    logs.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    converters.init_app(app)
    api_blueprints.register(app)
    feeds.init_app(app)
    pages.register(app)
    i18n.init_app(app)
    return app
