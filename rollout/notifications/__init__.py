"""Customer notifications: contacts and webhook endpoints, the outbox written with each
change, the triggers that write it, and what the worker needs to deliver it."""

from rollout.notifications.contacts import (
    create_contact,
    create_endpoint,
    delete_contact,
    delete_endpoint,
    get_contact,
    get_endpoint,
    list_contacts,
    list_endpoints,
    rotate_endpoint_secret,
    unsubscribe,
    update_contact,
    update_endpoint,
)
from rollout.notifications.delivery import (
    Outcome,
    Result,
    list_notifications,
    retry_notification,
    status_counts,
)
from rollout.notifications.models import (
    Channel,
    Contact,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    Topic,
    WebhookEndpoint,
)
from rollout.notifications.outbox import notify
from rollout.notifications.triggers import (
    DEFAULT_POLICY,
    NotificationPolicy,
    hotfix_applied,
    hotfix_scheduled,
    release_published,
    ticket_fix_live,
    window_changed,
)

__all__ = [
    "DEFAULT_POLICY",
    "Channel",
    "Contact",
    "DeliveryAttempt",
    "Notification",
    "NotificationPolicy",
    "NotificationStatus",
    "Outcome",
    "Result",
    "Topic",
    "WebhookEndpoint",
    "create_contact",
    "create_endpoint",
    "delete_contact",
    "delete_endpoint",
    "get_contact",
    "get_endpoint",
    "hotfix_applied",
    "hotfix_scheduled",
    "list_contacts",
    "list_endpoints",
    "list_notifications",
    "notify",
    "release_published",
    "retry_notification",
    "rotate_endpoint_secret",
    "status_counts",
    "ticket_fix_live",
    "unsubscribe",
    "update_contact",
    "update_endpoint",
    "window_changed",
]
