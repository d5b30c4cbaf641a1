"""Request bodies of the JSON API; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegionIn(Body):
    slug: str = Field(description="lowercase id, e.g. `us`")
    name: str
    timezone: str = Field(description="IANA zone, e.g. America/New_York")


class PolicyIn(Body):
    region: str = Field(description="region slug")
    title: str = Field(max_length=200)
    cron: str = Field(
        description="five-field cron in the policy's zone; `0 9 * * 6#2` is the "
        "second Saturday at 09:00; day-of-month AND day-of-week"
    )
    duration_minutes: int = Field(gt=0)
    timezone: str | None = Field(None, description="IANA zone; defaults to the region's")
    active_from: date | None = None
    active_until: date | None = None


class PolicyPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    title: str | None = None
    cron: str | None = None
    duration_minutes: int | None = Field(None, gt=0)
    timezone: str | None = None
    active_from: date | None = None
    active_until: date | None = None


class WindowIn(Body):
    title: str = Field(max_length=200)
    region: str | None = Field(None, description="region slug (or give customer)")
    customer: str | None = Field(None, description="customer slug: a window for it alone")
    kind: Literal["ad_hoc", "emergency"] = "ad_hoc"
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: str | None = Field(None, description="zone to show it in; default the owner's")
    justification: str | None = Field(None, description="required for emergency windows")
    override_freeze: bool = False
    override_reason: str | None = Field(None, description="required with override_freeze")


class WindowPatch(Body):
    action: Literal["move", "extend", "cancel", "skip", "announce", "start", "complete"]
    sequence: int = Field(description="the revision you read; a stale one gets 409")
    reason: str | None = Field(None, description="required for move, extend, cancel, skip")
    starts_at: AwareDatetime | None = Field(None, description="move: the new start")
    ends_at: AwareDatetime | None = Field(None, description="move or extend: the new end")
    override_freeze: bool = False
    override_reason: str | None = None


class FreezeIn(Body):
    title: str = Field(max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    region: str | None = Field(None, description="region slug; omit both for everyone")
    customer: str | None = Field(None, description="customer slug: its event plan")
    kind: Literal["freeze", "event_plan"] | None = None
    reason: str = ""


class CustomerIn(Body):
    slug: str
    name: str
    region: str
    tier: Literal["standard", "silver", "gold", "platinum"] = "standard"
    timezone: str | None = Field(None, description="IANA zone; defaults to the region's")
    locale: Literal["en", "fr"] = Field("en", description="the language replies are written in")


class CustomerPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    name: str | None = None
    region: str | None = None
    tier: Literal["standard", "silver", "gold", "platinum"] | None = None
    timezone: str | None = None
    locale: Literal["en", "fr"] | None = None


class ReleaseIn(Body):
    version: str = Field(description="e.g. 2026.12, 4.2 or 4.2.1-rc.1; unique")
    title: str
    soak_days: int = Field(7, description="days between a customer's preview and production")


class ReleasePatch(Body):
    revision: int | None = Field(None, description="the revision you read; a stale one gets 409")
    title: str | None = None
    soak_days: int | None = None
    status: Literal["cancelled"] | None = Field(None, description="only cancelling is set by hand")


class ItemIn(Body):
    kind: Literal["feature", "fix", "security", "improvement"]
    summary: str = Field(description="internal: never shown to customers")
    public_note: str = Field("", description="customer-facing Markdown; sanitized")
    jira_key: str | None = Field(None, description="e.g. OPS-123")


class WavePatch(Body):
    window: int = Field(description="id of the region window to move the wave to")


DEPLOYMENT_STATUSES = Literal["in_progress", "succeeded", "failed", "rolled_back"]


class DeploymentReport(Body):
    status: DEPLOYMENT_STATUSES
    note: str = ""
    wave: int | None = Field(
        None, description="alone: the outcome of the whole wave; with environment: a check"
    )
    environment: str | None = Field(None, description="environment name, e.g. acme-preview")
    release: str | None = Field(None, description="with environment: the release version")
    hotfix: int | None = Field(None, description="with environment: the hotfix id")


class DeploymentPatch(Body):
    status: DEPLOYMENT_STATUSES = Field(description="rolled_back records a rollback")
    note: str = ""


class HotfixIn(Body):
    title: str
    urgency: Literal["zero_day", "normal"]
    summary: str = Field("", description="internal: never shown to customers")
    public_note: str = Field("", description="customer-facing Markdown; sanitized")
    jira_key: str | None = None
    customers: list[str] = Field(
        default_factory=list, description="customer slugs: a per-customer patch; empty for all"
    )
    justification: str | None = Field(None, description="required for a zero_day")


class TicketIn(Body):
    external_id: str = Field(description="the help desk's own id, e.g. ZD-4512")
    url: str = Field(description="http(s) address of the ticket in the help desk")
    customer: str = Field(description="customer slug")
    requester_name: str
    requester_email: str = Field(description="one address; no line breaks")
    subject: str = Field(description="one line")
    sla_level: int = Field(ge=1, le=4, strict=True, description="1 urgent … 4 low (seed 002)")


class HelpdeskTicketIn(TicketIn):
    bugs: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Jira keys to link (added to the ticket's links, never removed)",
    )


class TicketPatch(Body):
    url: str | None = None
    customer: str | None = None
    requester_name: str | None = None
    requester_email: str | None = None
    subject: str | None = None
    sla_level: int | None = Field(None, ge=1, le=4, strict=True)


class LinkIn(Body):
    bug: str = Field(description="Jira key, e.g. OPS-123; read from Jira if not synced yet")


TOPIC = Literal[
    "maintenance", "emergency_maintenance", "hotfixes", "release_notes", "ticket_updates"
]


class ContactIn(Body):
    name: str = Field(description="as it goes in the To header; no line breaks")
    email: str
    role: str = Field("", description="e.g. IT manager")
    locale: Literal["en", "fr"] | None = Field(None, description="default: the customer's")
    timezone: str | None = Field(None, description="IANA zone; default: the customer's")
    subscriptions: list[TOPIC] | None = Field(
        None, description="topics received by email; default: all"
    )


class ContactPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    name: str | None = None
    email: str | None = None
    role: str | None = None
    locale: Literal["en", "fr"] | None = None
    timezone: str | None = None
    subscriptions: list[TOPIC] | None = None


class WebhookIn(Body):
    url: str = Field(description="https; must not resolve to a private address")
    topics: list[TOPIC] | None = Field(None, description="topics delivered; default: all")
    description: str = ""


class WebhookPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    url: str | None = Field(None, description="checked as on creation: https, public address")
    topics: list[TOPIC] | None = None
    description: str | None = None
    enabled: bool | None = Field(
        None, description="true turns an endpoint back on, e.g. after it answered 410"
    )


class WebhookRotate(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    grace_hours: int = Field(24, ge=0, le=168, description="how long the old secret signs too")
