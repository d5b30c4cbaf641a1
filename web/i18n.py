"""The language of the pages customers read, English or French: Flask-Babel reads the one
catalogue `rollout/i18n.py` reads, in the language chosen here for each request. Staff pages
stay English."""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, Flask, current_app, g, redirect, request, url_for
from flask_babel import Babel, get_locale, gettext

from rollout.dates import LOCALES
from rollout.i18n import TRANSLATIONS
from web.auth import principal
from web.errors import BadRequest
from web.redirects import is_local_path

ENGLISH = "en"
# The reader's own choice, from the switch in the header; kept a year.
COOKIE = "language"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# The blueprints, or single endpoints of a blueprint staff share, whose pages customers read.
# None: no blueprint, the error page for an address we do not know. Any other page is staff's,
# in English whatever the browser asks for (the outbox beside a customer's contacts page too).
CUSTOMER_PAGES = frozenset(
    {
        "maintenance",
        "releases",
        "customer_status",
        "customer_home",
        "customer_signin",
        "subscribe",
        "unsubscribe",
        "language",
        None,
        "notification_pages.customer_page",
        "notification_pages.add_contact",
        "notification_pages.edit_contact",
        "notification_pages.remove_contact",
        "notification_pages.add_webhook",
        "notification_pages.rotate_webhook",
        "notification_pages.enable_webhook",
        "notification_pages.remove_webhook",
    }
)

blueprint = Blueprint("language", __name__)


def init_app(app: Flask) -> None:
    """Translate the customer pages' templates and offer the switch between languages."""
    Babel(app, locale_selector=_select, default_translation_directories=str(TRANSLATIONS))
    # `{% trans %}` blocks fold their lines into one msgid, as `babel.cfg` extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.register_blueprint(blueprint)
    app.add_template_global(page_language)
    app.add_template_global(customer_page)
    app.add_template_global(languages)
    app.add_template_filter(language_name)
    app.add_template_filter(translated)
    app.after_request(_vary)


def page_language() -> str:
    """The language of this request's page; English outside a request."""
    locale = get_locale()
    return locale.language if locale is not None else ENGLISH


def customer_page() -> bool:
    """Whether this page is one customers read, in their language."""
    return request.blueprint in CUSTOMER_PAGES or request.endpoint in CUSTOMER_PAGES


def translated(text: str) -> str:
    """A text known only when the page is made (a form's label, a validator's message) in the
    page's language, when the catalogue has it. Unlike Jinja's `_()`, the result is escaped
    as any value: such texts may quote what was typed."""
    return gettext(text) if text else text


def language_name(code: str) -> str:
    """A language as its speakers write it: `English`, `Français`."""
    return Locale.parse(code).get_display_name(code).capitalize()


def languages() -> list[tuple[str, str]]:
    """Every language customers may read, as (code, name), for a menu or the switch."""
    return [(code, language_name(code)) for code in LOCALES]


@blueprint.post("/language")
def choose():
    """Remember the reader's language in a cookie, then show the page they were on."""
    chosen = request.form.get("language", "")
    if chosen not in LOCALES:
        raise BadRequest("Choose English or French.", field="language")
    response = redirect(_same_site(request.form.get("next", "")), 303)
    response.set_cookie(
        COOKIE,
        chosen,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.extensions["rollout.settings"].https,
        httponly=True,
        samesite="Lax",
    )
    return response


def _select() -> str:
    if not customer_page():
        return ENGLISH
    g.language_negotiated = True
    return (
        _chosen() or _contact_language() or request.accept_languages.best_match(LOCALES) or ENGLISH
    )


def _chosen() -> str | None:
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LOCALES else None


def _contact_language() -> str | None:
    # A session that names its contact (the emailed sign-in gives Principal a `contact`) reads
    # in that contact's language, on any browser.
    contact = getattr(principal(), "contact", None)
    return str(contact.locale) if contact is not None else None


def _same_site(target: str) -> str:
    # `next` comes from the form, and must not send anyone elsewhere.
    return target if is_local_path(target) else url_for("maintenance.schedule")


def _vary(response):
    # A page in the reader's language differs by what the browser asks for and by the cookie.
    if g.get("language_negotiated"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response
