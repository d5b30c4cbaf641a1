"""What the email and webhook adapters need: SMTP, the webhook address allow-list, and the
notification policy (lead times by tier, reminders). Read from the environment in
web/settings.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from rollout.notifications import DEFAULT_POLICY, NotificationPolicy
from rollout.notifications.addresses import IPNetwork

SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls, tls or none
    sender: str  # the From header, e.g. "Rollout <maintenance@example.com>"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0


@dataclass(frozen=True)
class NotifySettings:
    smtp: SmtpSettings | None = None
    # Networks webhooks may reach although private (tests, development): WEBHOOK_ALLOW_PRIVATE.
    allow_private: tuple[IPNetwork, ...] = ()
    # A PEM file of the only CAs webhooks trust, e.g. a private one: WEBHOOK_CA_BUNDLE.
    ca_bundle: str | None = None
    policy: NotificationPolicy = DEFAULT_POLICY
    # Whether the worker announces windows by itself once they come within the longest lead.
    auto_announce: bool = True

    @property
    def announce_within(self) -> timedelta | None:
        """How far ahead the worker announces windows, or None when it leaves it to people."""
        return max(self.policy.lead.values()) if self.auto_announce else None
