"""Every blueprint of web/api, mounted on the app: the route table's, the hooks' and the
document's."""

from __future__ import annotations

from flask import Flask, request

from web.api import helpdesk, jira_hooks, openapi
from web.api.routes import ROUTES
from web.auth import principal


def register(app: Flask) -> None:
    """Mount them all; they take bearer tokens, so CSRF does not apply (nor to the hooks,
    signed by HMAC)."""
    app.before_request(_refuse_a_bad_token)
    blueprints = dict.fromkeys(op.blueprint for op in ROUTES)
    for blueprint in [*blueprints, jira_hooks.blueprint, helpdesk.blueprint, openapi.blueprint]:
        app.register_blueprint(blueprint)
        app.extensions["csrf"].exempt(blueprint)


def _refuse_a_bad_token() -> None:
    # A token that is sent is checked on every API route, public ones too: a wrong or
    # revoked one gets 401 everywhere instead of being read as no token where none is needed.
    if request.path.startswith("/api/") and "Authorization" in request.headers:
        principal()
