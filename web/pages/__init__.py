"""Server-rendered pages: the public schedule and release notes, customers' status pages,
and the staff calendar, releases and hotfixes."""

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError, validate_csrf
from markupsafe import Markup
from werkzeug.http import HTTP_STATUS_CODES
from wtforms import ValidationError

from rollout.validation import strip_controls
from web.auth import principal
from web.pages import (
    audit,
    calendar,
    customer_home,
    customer_signin,
    customer_status,
    display,
    maintenance,
    notifications,
    release_admin,
    releases,
    signin,
    subscribe,
    support,
    tokens,
)


def register(app: Flask) -> None:
    """Mount the page blueprints and the helpers every template may use."""
    for module in (
        maintenance,
        subscribe,
        signin,
        calendar,
        releases,
        customer_status,
        customer_signin,
        customer_home,
        release_admin,
        support,
        notifications,
        tokens,
        audit,
    ):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(notifications.unsubscribe_blueprint)
    app.extensions["csrf"].exempt(notifications.unsubscribe_blueprint)
    # Its forms check their own CSRF token, to answer a stale page with the form, not a 400.
    app.extensions["csrf"].exempt(customer_signin.blueprint)
    app.add_template_filter(display.span_text, "span")
    app.add_template_filter(display.utc_iso, "utc_iso")
    app.add_template_filter(display.day_text, "day")
    app.add_template_filter(customer_status.moment_text, "moment")
    app.add_template_global(display.history, "history")
    app.add_template_global(display.cancel_note, "cancel_note")
    app.add_template_global(releases.STATUSES, "release_statuses")
    app.add_template_global(lambda code: HTTP_STATUS_CODES.get(code, "Error"), "status_name")
    app.context_processor(lambda: {"who": principal()})
    app.jinja_env.finalize = _printable
    app.register_error_handler(CSRFError, csrf_refused)


EXPIRED_PAGE = (
    "This page had been open too long (or the form came from another site), so nothing was "
    "saved. Go back, reload the page and try again."
)


def csrf_refused(_exc: CSRFError):
    """A page's post whose CSRF token is missing or stale: a view marked `shows_refused_form`
    shows its form again as typed (the form's own token check refuses it, so nothing is
    written); any other post gets the reason in plain words."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "shows_refused_form", False) or _carries_a_good_token():
        return render_template("error.html", status=400, message=EXPIRED_PAGE), 400
    try:
        return current_app.ensure_sync(view)(**(request.view_args or {}))
    except Exception as exc:  # the view's own errors, answered as they are anywhere else
        return current_app.handle_user_exception(exc)


def _carries_a_good_token() -> bool:
    # Refused for another reason (an HTTPS post without a matching Referer): the form's own
    # check would pass and the view would act, so it must not be handed the post.
    for name, value in request.form.items(multi=True):
        if name.endswith("csrf_token"):
            try:
                validate_csrf(value)
            except ValidationError:
                continue
            return True
    return False


def _printable(value):
    # Text stored before control characters were refused (or reaching us unchecked) must not
    # put a raw one in a page: the same strip as feeds and emails, on every {{ value }}.
    if isinstance(value, Markup):
        return Markup(strip_controls(value))
    return strip_controls(value) if isinstance(value, str) else value
