"""A customer's contacts and webhook endpoints, and the notification outbox for staff."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app

from rollout import notifications
from rollout.customers import Customer, get_customer
from web.api import responses as r
from web.api.inputs import int_id
from web.api.queries import NotificationQuery, page_of
from web.api.schemas import ContactIn, ContactPatch, WebhookIn, WebhookPatch, WebhookRotate
from web.auth import principal
from web.database import db, now

blueprint = Blueprint("notifications_api", __name__, url_prefix="/api/v1")


def list_contacts(slug: str):
    return [r.Contact.read(c) for c in notifications.list_contacts(db(), _customer(slug))]


def create_contact(slug: str, data: ContactIn):
    contact = notifications.create_contact(db(), _customer(slug), **data.model_dump(), now=now())
    db().commit()
    return r.Contact.read(contact)


def update_contact(slug: str, contact_id: str, data: ContactPatch):
    changes = data.model_dump(exclude_unset=True)
    contact = notifications.update_contact(
        db(),
        _customer(slug),
        int_id(contact_id),
        expected_version=data.revision_read(changes),
        now=now(),
        **changes,
    )
    db().commit()
    return r.Contact.read(contact)


def delete_contact(slug: str, contact_id: str):
    notifications.delete_contact(db(), _customer(slug), int_id(contact_id), now=now())
    db().commit()


def list_webhooks(slug: str):
    return [r.Webhook.of(e) for e in notifications.list_endpoints(db(), _customer(slug))]


def create_webhook(slug: str, data: WebhookIn):
    """A new endpoint; its signing secret is in this answer and never again."""
    endpoint, secret = notifications.create_endpoint(
        db(),
        _customer(slug),
        url=data.url,
        topics=data.topics,
        description=data.description,
        allow=_allow(),
        now=now(),
    )
    db().commit()
    return r.Webhook.of(endpoint, secret=secret)


def update_webhook(slug: str, endpoint_id: str, data: WebhookPatch):
    """Change an endpoint, or turn it back on after it was disabled (e.g. by a 410)."""
    changes = data.model_dump(exclude_unset=True)
    endpoint = notifications.update_endpoint(
        db(),
        _customer(slug),
        int_id(endpoint_id),
        expected_version=data.revision_read(changes),
        allow=_allow(),
        now=now(),
        **changes,
    )
    db().commit()
    return r.Webhook.of(endpoint)


def rotate_webhook(slug: str, endpoint_id: str, data: WebhookRotate):
    """A new secret, shown once; the old one keeps signing for `grace_hours`. No body means
    the defaults; a body that does not parse rotates nothing (400)."""
    endpoint, secret = notifications.rotate_endpoint_secret(
        db(),
        _customer(slug),
        int_id(endpoint_id),
        grace=timedelta(hours=data.grace_hours),
        expected_version=data.revision_read(),
        now=now(),
    )
    db().commit()
    return r.Webhook.of(endpoint, secret=secret)


def delete_webhook(slug: str, endpoint_id: str):
    notifications.delete_endpoint(db(), _customer(slug), int_id(endpoint_id), now=now())
    db().commit()


def list_notifications(args: NotificationQuery):
    """The outbox newest first, with counts by status; ?status=failed lists what a person
    must replay, failed and dead alike."""
    found = notifications.list_notifications(
        db(),
        status=args.status,
        customer_id=get_customer(db(), args.customer).id if args.customer else None,
        before=args.cursor[0] if args.cursor else None,
        limit=args.limit + 1,
    )
    page = page_of(found, args.limit, lambda notification: (notification.id,))
    return r.NotificationList(
        counts=notifications.status_counts(db()),
        items=[r.Notification.read(n) for n in page.items],
        next_cursor=page.next_cursor,
    )


def retry_notification(notification_id: str):
    """Send a failed, dead or cancelled notification again, with the same message id; 409
    says why not when it would be unwanted or outdated (superseded, expired, unsubscribed)."""
    row = notifications.retry_notification(db(), int_id(notification_id), now=now())
    db().commit()
    return r.Notification.read(row)


def _customer(slug: str) -> Customer:
    customer = get_customer(db(), slug)
    principal().check_customer(customer)
    return customer


def _allow():
    return current_app.extensions["rollout.settings"].notifications.allow_private
