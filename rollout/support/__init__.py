"""Help-desk tickets linked to bugs from Jira, fix status per customer, and triage."""

from rollout.support.models import Ticket, TicketBug, WebhookReceipt

__all__ = ["Ticket", "TicketBug", "WebhookReceipt"]
