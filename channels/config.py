"""Notification settings from environment variables: SMTP, the webhook address allow-list,
and the notification policy (lead times by tier, reminders)."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr

from rollout.customers import Tier
from rollout.notifications import DEFAULT_POLICY, NotificationPolicy
from rollout.notifications.addresses import IPNetwork, parse_allow_list

SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls, tls or none
    sender: str  # the From header, e.g. "Rollout <maintenance@example.com>"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env) -> SmtpSettings | None:
        """SMTP_HOST and friends, or None when SMTP_HOST is not set (email stays queued)."""
        host = (env.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        security = (env.get("SMTP_SECURITY") or "starttls").strip().lower()
        if security not in SECURITY_PORTS:
            raise ValueError(f"SMTP_SECURITY must be starttls, tls or none, not {security!r}")
        raw_port = (env.get("SMTP_PORT") or "").strip()
        if raw_port and not (raw_port.isdigit() and 0 < int(raw_port) < 65536):
            raise ValueError(f"SMTP_PORT must be a port number, not {raw_port!r}")
        sender = (env.get("SMTP_FROM") or "").strip()
        if "@" not in parseaddr(sender)[1] or any(c in sender for c in "\r\n"):
            raise ValueError("SMTP_FROM must be an address, e.g. 'Rollout <ops@example.com>'")
        return cls(
            host=host,
            port=int(raw_port) if raw_port else SECURITY_PORTS[security],
            security=security,
            sender=sender,
            username=env.get("SMTP_USERNAME") or None,
            password=env.get("SMTP_PASSWORD") or None,
        )


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

    @classmethod
    def from_env(cls, env) -> NotifySettings:
        """Settings from `env`; a malformed value raises ValueError naming the variable."""
        try:
            allow = parse_allow_list(env.get("WEBHOOK_ALLOW_PRIVATE"))
        except ValueError as exc:
            raise ValueError(f"WEBHOOK_ALLOW_PRIVATE: {exc}") from None
        return cls(
            smtp=SmtpSettings.from_env(env),
            allow_private=allow,
            ca_bundle=_ca_bundle(env),
            policy=_policy(env),
            auto_announce=_flag(env, "NOTIFY_AUTO_ANNOUNCE", default=True),
        )


def _policy(env) -> NotificationPolicy:
    lead = dict(DEFAULT_POLICY.lead)
    for part in filter(None, (p.strip() for p in (env.get("NOTIFY_LEAD_DAYS") or "").split(","))):
        tier, _, days = part.partition("=")
        if tier.strip() not in set(Tier) or not days.strip().isdigit():
            raise ValueError(f"NOTIFY_LEAD_DAYS: use tier=days, e.g. gold=30, not {part!r}")
        lead[Tier(tier.strip())] = timedelta(days=int(days))
    reminders = DEFAULT_POLICY.reminders
    if raw := (env.get("NOTIFY_REMINDERS") or "").strip():
        reminders = tuple(_duration(p.strip()) for p in raw.split(",") if p.strip())
    return NotificationPolicy(lead=lead, reminders=reminders, hold=DEFAULT_POLICY.hold)


def _ca_bundle(env) -> str | None:
    path = (env.get("WEBHOOK_CA_BUNDLE") or "").strip()
    if not path:
        return None
    try:  # loaded now so a wrong path stops start-up, not every delivery
        ssl.create_default_context(cafile=path)
    except OSError as exc:
        raise ValueError(f"WEBHOOK_CA_BUNDLE: cannot load CAs from {path!r}: {exc}") from None
    return path


def _flag(env, name: str, *, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("true", "false"):
        raise ValueError(f"{name} must be true or false, not {raw!r}")
    return raw == "true"


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"NOTIFY_REMINDERS: use e.g. 24h,1h or 30m, not {text!r}")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})
