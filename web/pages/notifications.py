"""Notification pages: one-click unsubscribe (no sign-in, no redirect), a customer's page of
its own contacts and webhooks (changed by its admins, read by its other contacts), and the
operators' view of the outbox."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_wtf import FlaskForm

from rollout import notifications
from rollout.customers import get_customer
from rollout.errors import Conflict, DomainError
from rollout.i18n import N_
from rollout.notifications import NotificationStatus
from rollout.notifications.contacts import ALL_TOPICS
from web.auth import principal
from web.database import db, now
from web.pages.forms import (
    ContactForm,
    ContactSubscriptionsForm,
    VersionForm,
    WebhookForm,
    refuse,
    shows_refused_form,
)
from web.pages.signin import staff_page

blueprint = Blueprint("notification_pages", __name__)
# Mail providers POST the one-click unsubscribe without any token of ours: no CSRF check.
unsubscribe_blueprint = Blueprint("unsubscribe", __name__)

# The English; customer pages show them in their language (`translated`).
TOPIC_NAMES = {
    "maintenance": N_("Planned maintenance"),
    "emergency_maintenance": N_("Emergency maintenance"),
    "hotfixes": N_("Hotfixes and patches"),
    "release_notes": N_("Release notes"),
    "ticket_updates": N_("Ticket updates"),
}
RECENT = 100
SECRET_SHOWN_ONCE = "webhook_secret"
EXPIRED_BUTTON = "the page had been open too long, so nothing was done. Try again."
STALE_FORM = N_(
    "Someone changed this since you opened the page, so nothing was saved. "
    "It is shown below as it is now: make your change again if it is still needed."
)


@unsubscribe_blueprint.get("/unsubscribe/<token>")
def unsubscribe_confirm(token: str):
    """Asks before unsubscribing: link checkers and previews follow GET links."""
    contact = notifications.contacts.contact_for_token(db(), token)
    if contact is None:
        return _private(render_template("error.html", status=404, message="No such link."), 404)
    page = render_template("notifications/unsubscribe.html", contact=contact, done=False)
    return _private(page)


@unsubscribe_blueprint.post("/unsubscribe/<token>")
def unsubscribe(token: str):
    """RFC 8058 one-click: unsubscribed at once, answered 200, never redirected."""
    contact = notifications.unsubscribe(db(), token, now=now())
    if contact is None:
        return _private(render_template("error.html", status=404, message="No such link."), 404)
    db().commit()
    page = render_template("notifications/unsubscribe.html", contact=contact, done=True)
    return _private(page)


def customer_admin(view):
    """Staff, or a signed-in contact of this customer; only contacts who manage it (role
    admin) may post, the others read the page."""

    @wraps(view)
    def wrapper(slug: str, *args, **kwargs):
        customer = get_customer(db(), slug, field="slug")
        who = principal()
        if who is None:
            return redirect(url_for("customer_signin.login"))
        if not who.is_staff and (who.customer is None or who.customer.id != customer.id):
            abort(403, gettext("This page belongs to another customer."))
        if request.method == "POST" and not who.manages_customer:
            abort(
                403,
                gettext("Only your organisation's admins may change its contacts and webhooks."),
            )
        return view(customer, *args, **kwargs)

    return wrapper


@blueprint.get("/customers/<slug>/notifications")
@customer_admin
def customer_page(customer):
    """The customer's contacts and webhook endpoints, with forms to change them."""
    return _customer_page(customer)


def _customer_page(customer, *, refused: tuple[str, FlaskForm] | None = None, status=200):
    """The page with a fresh form for each change, or a refused one as it was typed; a new
    webhook secret is shown once, on the first page after it was made."""
    contacts = notifications.list_contacts(db(), customer)
    forms: dict[str, FlaskForm] = {
        "contact": ContactForm(
            formdata=None, locale=customer.locale, timezone=customer.timezone, topics=ALL_TOPICS
        ),
        "webhook": WebhookForm(formdata=None, topics=ALL_TOPICS),
        "action": FlaskForm(formdata=None),
    }
    for contact in contacts:
        forms[f"contact-{contact.id}"] = ContactSubscriptionsForm(
            formdata=None,
            version=contact.version,
            locale=contact.locale,
            timezone=contact.timezone,
            topics=contact.subscriptions,
        )
    if refused is not None:
        key, form = refused
        forms[key] = form
    page = render_template(
        "notifications/customer.html",
        customer=customer,
        contacts=contacts,
        endpoints=notifications.list_endpoints(db(), customer),
        topics=TOPIC_NAMES,
        forms=forms,
        secret=session.pop(SECRET_SHOWN_ONCE, None),
        manages=principal().manages_customer,
    )
    return _private(page, status)


@blueprint.post("/customers/<slug>/notifications/contacts")
@shows_refused_form
@customer_admin
def add_contact(customer):
    form = ContactForm()
    return _change(
        customer,
        "contact",
        form,
        lambda: notifications.create_contact(
            db(),
            customer,
            name=form.name.data,
            email=form.email.data,
            role=form.role.data,
            locale=form.locale.data or None,
            timezone=form.timezone.data or None,
            subscriptions=form.topics.data,
            now=now(),
        ),
        N_("Contact added."),
    )


@blueprint.post("/customers/<slug>/notifications/contacts/<int:contact_id>")
@shows_refused_form
@customer_admin
def edit_contact(customer, contact_id: int):
    form = ContactSubscriptionsForm()
    return _change(
        customer,
        f"contact-{contact_id}",
        form,
        lambda: notifications.update_contact(
            db(),
            customer,
            contact_id,
            expected_version=form.expected_version(),
            locale=form.locale.data or None,
            timezone=form.timezone.data or None,
            subscriptions=form.topics.data,
            now=now(),
        ),
        N_("Subscriptions saved."),
    )


@blueprint.post("/customers/<slug>/notifications/contacts/<int:contact_id>/delete")
@shows_refused_form
@customer_admin
def remove_contact(customer, contact_id: int):
    return _change(
        customer,
        "action",
        FlaskForm(),
        lambda: notifications.delete_contact(db(), customer, contact_id, now=now()),
        N_("Contact removed."),
    )


@blueprint.post("/customers/<slug>/notifications/webhooks")
@shows_refused_form
@customer_admin
def add_webhook(customer):
    """The new endpoint's secret is on the page that follows, once."""
    allow = current_app.extensions["rollout.settings"].notifications.allow_private
    form = WebhookForm()
    return _change(
        customer,
        "webhook",
        form,
        lambda: notifications.create_endpoint(
            db(),
            customer,
            url=form.url.data,
            topics=form.topics.data,
            description=form.description.data,
            allow=allow,
            now=now(),
        ),
        N_("Endpoint added."),
        shows_secret=True,
    )


@blueprint.post("/customers/<slug>/notifications/webhooks/<int:endpoint_id>/rotate")
@shows_refused_form
@customer_admin
def rotate_webhook(customer, endpoint_id: int):
    form = VersionForm()
    return _change(
        customer,
        "action",
        form,
        lambda: notifications.rotate_endpoint_secret(
            db(),
            customer,
            endpoint_id,
            grace=timedelta(hours=24),
            expected_version=form.expected_version(),
            now=now(),
        ),
        N_("New secret made; the old one keeps signing for 24 hours."),
        shows_secret=True,
    )


@blueprint.post("/customers/<slug>/notifications/webhooks/<int:endpoint_id>/enable")
@shows_refused_form
@customer_admin
def enable_webhook(customer, endpoint_id: int):
    form = VersionForm()
    return _change(
        customer,
        "action",
        form,
        lambda: notifications.update_endpoint(
            db(),
            customer,
            endpoint_id,
            enabled=True,
            expected_version=form.expected_version(),
            now=now(),
        ),
        N_("Endpoint enabled again."),
    )


@blueprint.post("/customers/<slug>/notifications/webhooks/<int:endpoint_id>/delete")
@shows_refused_form
@customer_admin
def remove_webhook(customer, endpoint_id: int):
    return _change(
        customer,
        "action",
        FlaskForm(),
        lambda: notifications.delete_endpoint(db(), customer, endpoint_id, now=now()),
        N_("Endpoint removed."),
    )


@blueprint.get("/staff/notifications")
@staff_page()
def outbox():
    """Recent, pending and failed notifications with their attempts, and counts."""
    status = request.args.get("status") or None
    if status is not None and status not in set(NotificationStatus):
        status = None
    page = render_template(
        "notifications/staff.html",
        counts=notifications.status_counts(db()),
        items=notifications.list_notifications(db(), status=status, limit=RECENT),
        status=status,
        statuses=list(NotificationStatus),
        form=FlaskForm(),
    )
    return page


@blueprint.post("/staff/notifications/<int:notification_id>/retry")
@shows_refused_form
@staff_page()
def retry(notification_id: int):
    """Send one again; refused or not, back to the outbox, where a reload posts nothing."""
    back = redirect(url_for(".outbox", status=request.args.get("status")), 303)
    if not FlaskForm().validate_on_submit():
        flash(f"Notification #{notification_id} was not retried: {EXPIRED_BUTTON}", "error")
        return back
    try:
        notifications.retry_notification(db(), notification_id, now=now())
    except DomainError as exc:
        db().rollback()
        flash(f"Notification #{notification_id} was not retried: {exc.message}.", "error")
        return back
    db().commit()
    flash(f"Notification #{notification_id} will be sent again.", "success")
    return back


def _change(
    customer, key: str, form: FlaskForm, use_case, done: str, *, shows_secret: bool = False
):
    """Run the use case on a submitted form, then back to the page (POST/redirect/GET); a
    refusal shows the page again with the form `key` as it was typed and the reason. `done`
    is the English of what the page then says (base.html shows it in the page's language)."""
    if not form.validate_on_submit():
        return _customer_page(customer, refused=(key, form), status=422)
    try:
        result = use_case()
    except DomainError as exc:
        db().rollback()
        if isinstance(exc, Conflict) and exc.field == "version":
            # Shown above the page, every form on it fresh: what was typed is out of date.
            stale = FlaskForm(formdata=None)
            stale.form_errors.append(STALE_FORM)
            return _customer_page(customer, refused=("action", stale), status=409)
        return _customer_page(customer, refused=(key, form), status=refuse(form, exc))
    db().commit()
    flash(done, "success")
    if shows_secret:
        # Kept for the next page only, in this browser's own signed cookie, so the secret is
        # shown once and a reload of the page neither shows it again nor makes another.
        _, session[SECRET_SHOWN_ONCE] = result
    return redirect(url_for(".customer_page", slug=customer.slug), 303)


def _private(page, status: int = 200):
    # Tokens live in these addresses and pages: keep them out of Referers and shared caches.
    response = make_response(page, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
