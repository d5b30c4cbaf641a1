"""A customer's contacts and webhook endpoints: who hears what, and how."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rollout.customers import Customer, Locale
from rollout.db import conflict_on_duplicate
from rollout.errors import Conflict, Invalid, NotFound
from rollout.notifications.addresses import (
    IPNetwork,
    Resolver,
    check_display_name,
    check_email,
    check_webhook_url,
    resolve,
)
from rollout.notifications.models import (
    Contact,
    Notification,
    NotificationStatus,
    Topic,
    WebhookEndpoint,
)
from rollout.scheduling import parse_zone
from rollout.validation import check_text

ALL_TOPICS = [t.value for t in Topic]
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=7)
MAX_ENDPOINTS = 10


def check_topics(values: Iterable[str], *, field: str = "subscriptions") -> list[str]:
    """Known topics, each once, in the canonical order; Invalid naming the unknown one."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise Invalid("give a list of topics", field=field)
    chosen = set()
    for value in values:
        if value not in ALL_TOPICS:
            raise Invalid(f"unknown topic {value!r}; use {', '.join(ALL_TOPICS)}", field=field)
        chosen.add(value)
    return [t for t in ALL_TOPICS if t in chosen]


def create_contact(session: Session, customer: Customer, **fields) -> Contact:
    """A contact of `customer` (`fields` as `new_contact` takes them), added and flushed;
    an email the customer already has conflicts."""
    contact = new_contact(customer, **fields)
    taken = _email_taken(customer, contact.email)
    if _contact_by_email(session, customer, contact.email) is not None:
        raise taken
    with conflict_on_duplicate(session, taken):  # two may pass the check at once
        session.add(contact)
    return contact


def new_contact(
    customer: Customer,
    *,
    name: str,
    email: str,
    role: str = "",
    locale: str | None = None,
    timezone: str | None = None,
    subscriptions: Iterable[str] | None = None,
    now: datetime,
) -> Contact:
    """A checked contact of `customer`, not yet added: callers adding many flush once.
    Language and zone default to the customer's."""
    email = check_email(email)
    timezone = timezone or customer.timezone
    parse_zone(timezone)
    return Contact(
        customer=customer,
        customer_id=customer.id,
        name=check_display_name(name),
        email=email,
        role=check_text(role or "", field="role", max_length=100, required=False),
        locale=_locale(locale or customer.locale),
        timezone=timezone,
        subscriptions=check_topics(ALL_TOPICS if subscriptions is None else subscriptions),
        unsubscribe_token=secrets.token_urlsafe(24),
        created_at=now,
        updated_at=now,
    )


def get_contact(session: Session, customer: Customer, contact_id: int) -> Contact:
    """The contact `contact_id` of `customer`; another customer's is not found."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        raise NotFound(f"no contact #{contact_id} for {customer.slug}", field="id")
    return contact


def list_contacts(session: Session, customer: Customer) -> list[Contact]:
    """The customer's contacts by name."""
    query = select(Contact).where(Contact.customer_id == customer.id)
    return list(session.scalars(query.order_by(Contact.name, Contact.id)))


def update_contact(
    session: Session,
    customer: Customer,
    contact_id: int,
    *,
    expected_version: int | None = None,
    now: datetime,
    **changes,
) -> Contact:
    """Change a contact's name, email, role, language, zone or subscriptions."""
    contact = get_contact(session, customer, contact_id)
    _check_version(contact, expected_version, f"contact #{contact_id}")
    if (name := changes.get("name")) is not None:
        contact.name = check_display_name(name)
    if (email := changes.get("email")) is not None:
        email = check_email(email)
        other = _contact_by_email(session, customer, email)
        if other is not None and other.id != contact.id:
            raise _email_taken(customer, email)
        with conflict_on_duplicate(session, _email_taken(customer, email)):
            contact.email = email
    if (role := changes.get("role")) is not None:
        contact.role = check_text(role, field="role", max_length=100, required=False)
    if (locale := changes.get("locale")) is not None:
        contact.locale = _locale(locale)
    if (timezone := changes.get("timezone")) is not None:
        parse_zone(timezone)
        contact.timezone = timezone
    if (topics := changes.get("subscriptions")) is not None:
        contact.subscriptions = check_topics(topics)
    contact.updated_at = now
    session.flush()
    return contact


def delete_contact(session: Session, customer: Customer, contact_id: int, *, now: datetime):
    """Remove a contact; what was still to be sent to it is cancelled, history is kept."""
    contact = get_contact(session, customer, contact_id)
    _cancel_open(session, Notification.contact_id == contact.id, "contact removed", now)
    session.delete(contact)
    session.flush()


def unsubscribe(session: Session, token: str, *, now: datetime) -> Contact | None:
    """One-click unsubscribe: the contact with this token stops getting email at once."""
    contact = contact_for_token(session, token)
    if contact is None:
        return None
    contact.subscriptions = []
    contact.updated_at = now
    _cancel_open(session, Notification.contact_id == contact.id, "unsubscribed", now)
    session.flush()
    return contact


def contact_for_token(session: Session, token: str) -> Contact | None:
    """The contact whose unsubscribe token this is, or None."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Contact).where(Contact.unsubscribe_token == token))


def create_endpoint(
    session: Session,
    customer: Customer,
    *,
    url: str,
    topics: Iterable[str] | None = None,
    description: str = "",
    allow: tuple[IPNetwork, ...] = (),
    resolver: Resolver = resolve,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A webhook endpoint and its signing secret, which is shown only now."""
    url = check_webhook_url(url, allow=allow, resolver=resolver)
    count = len(list_endpoints(session, customer))
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"a customer may have at most {MAX_ENDPOINTS} endpoints", field="url")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        customer=customer,
        customer_id=customer.id,
        url=url,
        description=check_text(description or "", field="description", required=False),
        topics=check_topics(ALL_TOPICS if topics is None else topics, field="topics"),
        secret=secret,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def get_endpoint(session: Session, customer: Customer, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint `endpoint_id` of `customer`; another customer's is not found."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.customer_id != customer.id:
        raise NotFound(f"no webhook endpoint #{endpoint_id} for {customer.slug}", field="id")
    return endpoint


def list_endpoints(session: Session, customer: Customer) -> list[WebhookEndpoint]:
    """The customer's endpoints, oldest first."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.customer_id == customer.id)
    return list(session.scalars(query.order_by(WebhookEndpoint.id)))


def update_endpoint(
    session: Session,
    customer: Customer,
    endpoint_id: int,
    *,
    url: str | None = None,
    topics: Iterable[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    expected_version: int | None = None,
    allow: tuple[IPNetwork, ...] = (),
    resolver: Resolver = resolve,
    now: datetime,
) -> WebhookEndpoint:
    """Change an endpoint's URL (checked as when it was made), topics or description, or
    turn it off and on; turning it on again forgets why it was off (e.g. a 410)."""
    endpoint = get_endpoint(session, customer, endpoint_id)
    _check_version(endpoint, expected_version, f"webhook endpoint #{endpoint_id}")
    if url is not None:
        endpoint.url = check_webhook_url(url, allow=allow, resolver=resolver)
    if topics is not None:
        endpoint.topics = check_topics(topics, field="topics")
    if description is not None:
        endpoint.description = check_text(description, field="description", required=False)
    if enabled and endpoint.disabled_at is not None:
        endpoint.disabled_at, endpoint.disabled_reason = None, None
    elif enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = now, "turned off by hand"
    endpoint.updated_at = now
    session.flush()
    return endpoint


def rotate_endpoint_secret(
    session: Session,
    customer: Customer,
    endpoint_id: int,
    *,
    grace: timedelta = DEFAULT_GRACE,
    expected_version: int | None = None,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, shown only now; the old one also signs for `grace`."""
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise Invalid("the grace period is between 0 and 168 hours", field="grace_hours")
    endpoint = get_endpoint(session, customer, endpoint_id)
    # A second rotation from a stale view would end the first one's grace period at once.
    _check_version(endpoint, expected_version, f"webhook endpoint #{endpoint_id}")
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret if grace else None
    endpoint.previous_secret_expires_at = now + grace if grace else None
    endpoint.secret = secret
    endpoint.updated_at = now
    session.flush()
    return endpoint, secret


def delete_endpoint(session: Session, customer: Customer, endpoint_id: int, *, now: datetime):
    """Remove an endpoint; its pending deliveries are cancelled, history is kept."""
    endpoint = get_endpoint(session, customer, endpoint_id)
    _cancel_open(session, Notification.endpoint_id == endpoint.id, "endpoint removed", now)
    session.delete(endpoint)
    session.flush()


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _cancel_open(session: Session, where, why: str, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(where, Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.CANCELLED, last_error=why, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _check_version(row: Contact | WebhookEndpoint, expected: int | None, name: str) -> None:
    if expected is not None and expected != row.version:
        raise Conflict(f"{name} changed since version {expected}; reload", field="version")


def _email_taken(customer: Customer, email: str) -> Conflict:
    return Conflict(f"{email} is already a contact of {customer.slug}", field="email")


def _contact_by_email(session: Session, customer: Customer, email: str) -> Contact | None:
    return session.scalar(
        select(Contact).where(Contact.customer_id == customer.id, Contact.email == email)
    )


def _locale(value: str) -> Locale:
    try:
        return Locale(value)
    except ValueError:
        raise Invalid(f"locale must be one of {', '.join(Locale)}", field="locale") from None
