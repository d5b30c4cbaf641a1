"""A signed-in customer contact's home: their next downtime in their own zone, what each
environment runs and gets next, their open tickets, the private addresses, their own
notification preferences and the notices we sent lately."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from rollout import feeds, notifications, windows
from rollout.errors import Conflict, DomainError
from rollout.i18n import N_
from rollout.releases import environment_states
from rollout.support.fix_status.answers import open_tickets
from web.auth import Principal, principal
from web.database import db, now, public_url, secret_key
from web.i18n import languages, page_language
from web.pages.forms import PreferencesForm, refuse
from web.pages.notifications import STALE_FORM, TOPIC_NAMES
from web.pages.support import STATE_LABELS

blueprint = Blueprint("customer_home", __name__)

AHEAD = timedelta(days=183)
RECENT_NOTICES = 10
DOWNTIME = {windows.WindowStatus.PLANNED, windows.WindowStatus.ANNOUNCED}
# The English; the page shows them in its language (`translated`).
EVENT_NAMES = {
    "window.announced": N_("Maintenance announced"),
    "window.reminder": N_("Maintenance reminder"),
    "window.moved": N_("Maintenance moved"),
    "window.extended": N_("Maintenance extended"),
    "window.cancelled": N_("Maintenance cancelled"),
    "window.started": N_("Maintenance started"),
    "window.completed": N_("Maintenance completed"),
    "window.emergency": N_("Emergency maintenance"),
    "release.published": N_("Release notes"),
    "release.completed": N_("Release completed"),
    "release.cancelled": N_("Release cancelled"),
    "hotfix.scheduled": N_("Hotfix scheduled"),
    "hotfix.applied": N_("Hotfix applied"),
    "ticket.fix_live": N_("Your ticket's fix is live"),
}
STATUS_NAMES = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Being sent"),
    "delivered": N_("Delivered"),
    "failed": N_("Could not be delivered"),
    "dead": N_("Could not be delivered"),
    "cancelled": N_("Not sent: no longer needed"),
}
EXPIRED_FORM = N_("This page was open too long to be saved safely. Please make your change again.")


def contact_page(view):
    """A page for a signed-in customer contact; others are sent to sign in, staff refused."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        who = principal()
        if who is not None and who.is_staff:
            abort(
                403, gettext("This page is a customer contact's home; you are signed in as staff.")
            )
        if who is None or who.contact is None:
            return redirect(url_for("customer_signin.login"))
        return view(who, *args, **kwargs)

    return wrapper


@blueprint.get("/customer")
@contact_page
def home(who: Principal):
    return _home(who)


@blueprint.post("/customer/preferences")
@contact_page
def save_preferences(who: Principal):
    """The contact's own language, zone and topics; a refusal keeps what they chose."""
    form = PreferencesForm().offer(languages())
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            form.form_errors.append(EXPIRED_FORM)
        return _home(who, preferences=form, status=422)
    try:
        notifications.update_contact(
            db(),
            who.customer,
            who.contact.id,
            expected_version=form.expected_version(),
            locale=form.locale.data,
            timezone=form.timezone.data.strip(),
            subscriptions=form.topics.data,
            now=now(),
        )
    except DomainError as exc:
        db().rollback()
        if isinstance(exc, Conflict) and exc.field == "version":
            form.form_errors.append(STALE_FORM)
            return _home(who, preferences=form, status=409)
        return _home(who, preferences=form, status=refuse(form, exc))
    db().commit()
    flash(N_("Your notification preferences are saved."), "success")
    return redirect(url_for(".home"))


@blueprint.post("/customer/addresses/rotate")
@contact_page
def rotate_addresses(who: Principal):
    """New private feed and status addresses; the old ones stop working at once."""
    if not who.manages_customer:
        abort(403, gettext("Only your organisation's admins may replace its private addresses."))
    if not FlaskForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for(".home"))
    feeds.rotate_feed_token(db(), who.customer.slug, now=now(), key=secret_key())
    db().commit()
    flash(
        N_(
            "New private addresses are made. The old ones no longer work: subscribe your "
            "calendars again and replace your bookmarks with the new addresses below."
        ),
        "success",
    )
    return redirect(url_for(".home", _anchor="addresses"))


def _home(who: Principal, *, preferences: PreferencesForm | None = None, status: int = 200):
    contact, customer, at = who.contact, who.customer, now()
    token = feeds.live_feed_token(db(), customer)
    shown = feeds.feed_token_text(token, secret_key()) if token else None
    upcoming = windows.list_windows(
        db(),
        start=at,
        end=at + AHEAD,
        audience=windows.Audience(customer_id=customer.id),
        customer=customer,
        statuses=DOWNTIME | {windows.WindowStatus.IN_PROGRESS},
    )
    page = render_template(
        "customer/home.html",
        contact=contact,
        customer=customer,
        downtime=upcoming[0] if upcoming else None,
        countdown=_countdown(upcoming[0].starts_at, at) if upcoming else None,
        states=environment_states(db(), customer.slug),
        tickets=open_tickets(db(), customer, lang=page_language(), now=at),
        notices=notifications.list_notifications(
            db(), customer_id=customer.id, limit=RECENT_NOTICES
        ),
        addresses=_addresses(shown) if shown else None,
        has_token=token is not None,
        manages=who.manages_customer,
        preferences=preferences or _preferences(contact),
        topics=TOPIC_NAMES,
        fix_labels=STATE_LABELS,
        event_names=EVENT_NAMES,
        status_names=STATUS_NAMES,
    )
    response = make_response(page, status)
    # The private addresses are on the page: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _preferences(contact) -> PreferencesForm:
    form = PreferencesForm(
        formdata=None,
        version=str(contact.version),
        locale=contact.locale,
        timezone=contact.timezone,
        topics=list(contact.subscriptions),
    )
    return form.offer(languages())


def _addresses(token: str) -> dict[str, str]:
    return {
        "feed": f"{public_url()}/calendars/customers/{token}.ics",
        "status": public_url() + url_for("customer_status.status", token=token),
    }


def _countdown(start: datetime, at: datetime) -> dict[str, int] | None:
    """Days, hours and minutes until `start`, as the page first shows them (its script then
    keeps them going); None once it has begun."""
    left = int((start - at).total_seconds())
    if left <= 0:
        return None
    return {"days": left // 86400, "hours": left % 86400 // 3600, "minutes": left % 3600 // 60}
