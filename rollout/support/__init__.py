"""Bugs from Jira, help-desk tickets linked to them, fix status per customer, and triage."""

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
