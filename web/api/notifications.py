"""A customer's contacts and webhook endpoints, and the notification outbox for staff."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request

from rollout import notifications
from rollout.access import Role
from rollout.customers import Customer, get_customer
from rollout.notifications import NotificationStatus
from rollout.validation import is_whole_number
from web.api import body, int_id
from web.api.schemas import ContactIn, ContactPatch, WebhookIn, WebhookPatch, WebhookRotate
from web.api.serialize import contact_json, notification_json, webhook_json
from web.auth import STAFF_ONLY, principal, require
from web.database import db, now
from web.errors import BadRequest

blueprint = Blueprint("notifications_api", __name__, url_prefix="/api/v1")

# Staff, and a customer's own token for its own contacts and endpoints.
MANAGERS = (Role.ADMIN, Role.RELEASE_MANAGER, Role.SUPPORT_AGENT, Role.CUSTOMER)
MAX_LIMIT = 500


@blueprint.get("/customers/<slug>/contacts")
@require(*MANAGERS)
def list_contacts(slug: str):
    customer = _customer(slug)
    return jsonify(items=[contact_json(c) for c in notifications.list_contacts(db(), customer)])


@blueprint.post("/customers/<slug>/contacts")
@require(*MANAGERS)
def create_contact(slug: str):
    data = body(ContactIn)
    contact = notifications.create_contact(db(), _customer(slug), **data.model_dump(), now=now())
    db().commit()
    return jsonify(contact_json(contact)), 201


@blueprint.patch("/customers/<slug>/contacts/<contact_id>")
@require(*MANAGERS)
def update_contact(slug: str, contact_id: str):
    changes = body(ContactPatch).model_dump(exclude_unset=True)
    contact = notifications.update_contact(
        db(),
        _customer(slug),
        int_id(contact_id),
        expected_version=changes.pop("version", None),
        now=now(),
        **changes,
    )
    db().commit()
    return jsonify(contact_json(contact))


@blueprint.delete("/customers/<slug>/contacts/<contact_id>")
@require(*MANAGERS)
def delete_contact(slug: str, contact_id: str):
    notifications.delete_contact(db(), _customer(slug), int_id(contact_id), now=now())
    db().commit()
    return "", 204


@blueprint.get("/customers/<slug>/webhooks")
@require(*MANAGERS)
def list_webhooks(slug: str):
    customer = _customer(slug)
    return jsonify(items=[webhook_json(e) for e in notifications.list_endpoints(db(), customer)])


@blueprint.post("/customers/<slug>/webhooks")
@require(*MANAGERS)
def create_webhook(slug: str):
    """A new endpoint; its signing secret is in this answer and never again."""
    data = body(WebhookIn)
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
    return jsonify(webhook_json(endpoint, secret=secret)), 201


@blueprint.patch("/customers/<slug>/webhooks/<endpoint_id>")
@require(*MANAGERS)
def update_webhook(slug: str, endpoint_id: str):
    """Change an endpoint, or turn it back on after it was disabled (e.g. by a 410)."""
    changes = body(WebhookPatch).model_dump(exclude_unset=True)
    endpoint = notifications.update_endpoint(
        db(),
        _customer(slug),
        int_id(endpoint_id),
        expected_version=changes.pop("version", None),
        allow=_allow(),
        now=now(),
        **changes,
    )
    db().commit()
    return jsonify(webhook_json(endpoint))


@blueprint.post("/customers/<slug>/webhooks/<endpoint_id>/rotate")
@require(*MANAGERS)
def rotate_webhook(slug: str, endpoint_id: str):
    """A new secret, shown once; the old one keeps signing for `grace_hours`."""
    # No body means the defaults; a body that does not parse rotates nothing (400).
    data = body(WebhookRotate) if request.get_data(cache=True).strip() else WebhookRotate()
    endpoint, secret = notifications.rotate_endpoint_secret(
        db(),
        _customer(slug),
        int_id(endpoint_id),
        grace=timedelta(hours=data.grace_hours),
        expected_version=data.version,
        now=now(),
    )
    db().commit()
    return jsonify(webhook_json(endpoint, secret=secret))


@blueprint.delete("/customers/<slug>/webhooks/<endpoint_id>")
@require(*MANAGERS)
def delete_webhook(slug: str, endpoint_id: str):
    notifications.delete_endpoint(db(), _customer(slug), int_id(endpoint_id), now=now())
    db().commit()
    return "", 204


@blueprint.get("/notifications")
@require(*STAFF_ONLY)
def list_notifications():
    """The outbox newest first, with counts by status; ?status=failed lists what a person
    must replay, failed and dead alike."""
    status = request.args.get("status") or None
    if status is not None and status not in set(NotificationStatus):
        raise BadRequest(f"status must be one of {', '.join(NotificationStatus)}", field="status")
    customer = request.args.get("customer")
    limit = request.args.get("limit", "100")
    if not is_whole_number(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise BadRequest(f"limit is a whole number from 1 to {MAX_LIMIT}", field="limit")
    found = notifications.list_notifications(
        db(),
        status=status,
        customer_id=get_customer(db(), customer).id if customer else None,
        limit=int(limit),
    )
    return jsonify(
        counts=notifications.status_counts(db()), items=[notification_json(n) for n in found]
    )


@blueprint.post("/notifications/<notification_id>/retry")
@require(Role.ADMIN, Role.RELEASE_MANAGER, Role.SUPPORT_AGENT)
def retry_notification(notification_id: str):
    """Send a failed, dead or cancelled notification again, with the same message id; 409
    says why not when it would be unwanted or outdated (superseded, expired, unsubscribed)."""
    row = notifications.retry_notification(db(), int_id(notification_id), now=now())
    db().commit()
    return jsonify(notification_json(row))


def _customer(slug: str) -> Customer:
    customer = get_customer(db(), slug)
    principal().check_customer(customer)
    return customer


def _allow():
    return current_app.extensions["rollout.settings"].notifications.allow_private
