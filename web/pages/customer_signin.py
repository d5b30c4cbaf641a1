"""Customer contacts sign in by an emailed one-time link: ask for it with an address (the same
answer whether or not we know it), open it, press the button (link scanners only follow GETs),
and the browser is signed in as that contact."""

from __future__ import annotations

import math
import threading

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext
from flask_wtf import FlaskForm

from channels.email import SmtpSender
from rollout.errors import DomainError, Invalid, TooManyAttempts
from rollout.i18n import N_
from rollout.notifications.delivery import Result
from rollout.signin_links import (
    IssuedLink,
    check_signin_link,
    consume_signin_link,
    link_email,
    request_signin_links,
)
from web.auth import begin_session, client_address, end_current_session
from web.database import db, now, public_url
from web.errors import status_of
from web.pages.forms import LinkRequestForm

# Each POST here checks its form's CSRF token itself, so a stale page is answered with the
# form again (what was typed kept) instead of a bare 400.
blueprint = Blueprint("customer_signin", __name__)

SENT_TO = "signin_link_sent_to"
NOT_AN_ADDRESS = N_("That is not an email address: type it like ops@example.com.")
EXPIRED_FORM = N_("This page was open too long to be sent safely. Please send it again.")


@blueprint.route("/customer/login", methods=["GET", "POST"])
def login():
    """Ask for a sign-in link; a known and an unknown address get the same answer."""
    form = LinkRequestForm()
    if not form.validate_on_submit():
        return _form(form, 422 if form.errors else 200)
    settings = current_app.extensions["rollout.settings"]
    try:
        issued = request_signin_links(
            db(),
            email=form.email.data,
            client=client_address(),
            limits=settings.signin_limits,
            now=now(),
        )
    except Invalid:
        db().rollback()
        form.email.errors = [NOT_AN_ADDRESS]
        return _form(form, 422)
    except TooManyAttempts as exc:
        db().rollback()
        minutes = math.ceil(exc.retry_after / 60)
        form.form_errors.append(
            gettext(
                "Too many sign-in links were asked for lately. Please wait %(minutes)s min and "
                "try again.",
                minutes=minutes,
            )
        )
        return _form(form, 429, {"Retry-After": str(exc.retry_after)})
    db().commit()  # the links exist before anyone can click them
    if issued:
        _send(issued)
    session[SENT_TO] = form.email.data.strip()
    return redirect(url_for(".sent"))


@blueprint.get("/customer/login/sent")
def sent():
    return render_template("customer/link_sent.html", address=session.get(SENT_TO))


@blueprint.route("/customer/signin/<secret>", methods=["GET", "POST"])
def open_link(secret: str):
    """GET shows a button and spends nothing; its POST uses the link and signs in."""
    form = FlaskForm()
    try:
        if not form.validate_on_submit():
            check_signin_link(db(), secret, now=now())
            error = EXPIRED_FORM if form.errors else None
            page = render_template("customer/open_link.html", form=form, error=error)
            return _private(page, 400 if error else 200)
        contact = consume_signin_link(db(), secret, now=now())
    except DomainError as exc:
        db().rollback()
        page = render_template("customer/link_refused.html", message=exc.message)
        return _private(page, status_of(exc)[0])
    begin_session(contact=contact)
    db().commit()
    return redirect(url_for("customer_home.home"))


@blueprint.post("/customer/logout")
def logout():
    form = FlaskForm()
    if form.validate_on_submit():
        end_current_session()
        db().commit()
    return redirect(url_for(".login"))


def _send(issued: list[IssuedLink]) -> None:
    """Email the links at once; without SMTP, in development, print them for the newcomer."""
    settings = current_app.extensions["rollout.settings"]
    person = issued[0].contact
    links = [
        (link.contact.customer.name, public_url() + url_for(".open_link", secret=link.secret))
        for link in issued
    ]
    smtp = settings.notifications.smtp
    if smtp is None:
        if settings.environment == "development":
            current_app.logger.warning(
                "SMTP_HOST is not set, so the sign-in link for %s is printed here instead: %s",
                person.email,
                " ".join(url for _, url in links),
            )
        else:  # a live link in a production log would sign in whoever reads the log
            current_app.logger.error(
                "SMTP_HOST is not set: no sign-in link could be emailed to %s", person.email
            )
        return
    email = link_email(person.name, links, locale=str(person.locale))
    name, address = person.name, person.email  # plain values: the thread outlives the request
    sender, logger = SmtpSender(smtp, public_url=public_url()), current_app.logger

    def deliver() -> None:
        try:
            outcome = sender.send_text(
                to_name=name, to_address=address, subject=email.subject, text=email.text
            )
        finally:
            sender.close()
        if outcome.result != Result.DELIVERED:
            logger.error("The sign-in link for %s was not emailed: %s", address, outcome.detail)

    # Sent beside the answer, not before it: a known address must not answer more slowly
    # than an unknown one, or the time taken would tell which addresses are contacts.
    threading.Thread(target=deliver, name="signin-link", daemon=True).start()


def _form(form: LinkRequestForm, status: int, headers: dict | None = None):
    if "csrf_token" in form.errors:
        form.form_errors.append(EXPIRED_FORM)
    return render_template("customer/login.html", form=form), status, headers or {}


def _private(page, status: int):
    # The link's secret is in the address: keep it out of Referers and shared caches.
    response = make_response(page, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
