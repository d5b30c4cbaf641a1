"""Bugs from Jira, help-desk tickets linked to them, fix status per customer, and triage."""

from rollout.support import (  # imported for the release/deployment listeners they register
    fix_live,  # noqa: F401
    jira_events,  # noqa: F401
)
from rollout.support.models import (
    Bug,
    JiraPush,
    JiraPushStatus,
    JiraSyncState,
    Priority,
    Severity,
    StatusCategory,
    Ticket,
    TicketBug,
    WebhookReceipt,
)

__all__ = [
    "Bug",
    "JiraPush",
    "JiraPushStatus",
    "JiraSyncState",
    "Priority",
    "Severity",
    "StatusCategory",
    "Ticket",
    "TicketBug",
    "WebhookReceipt",
]
