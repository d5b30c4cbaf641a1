"""Request bodies of the JSON API; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from rollout.errors import Invalid, NotFound
from rollout.validation import MAX_ID, refuse_controls


def _no_controls(*, multiline: bool):
    def check(value: str) -> str:
        try:
            return refuse_controls(value, field="text", multiline=multiline)
        except Invalid as exc:
            raise PydanticCustomError("text", exc.message) from None

    return check


def _row_id(value: int, info: ValidationInfo) -> int:
    if not 1 <= value <= MAX_ID:
        # Not a ValueError, so pydantic lets it through: an id too large for any row is
        # answered as an unknown one is (404), never reaching the database.
        raise NotFound(f"no {info.field_name} #{value}", field=info.field_name)
    return value


# Every text field of a body is one of these two, so no control character is ever stored.
Line = Annotated[str, AfterValidator(_no_controls(multiline=False))]  # titles, names, keys
Text = Annotated[str, AfterValidator(_no_controls(multiline=True))]  # notes, reasons
# The id of a row named in a body (in a URL, web/converters.py bounds it the same way).
RowId = Annotated[
    int,
    AfterValidator(_row_id),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegionIn(Body):
    slug: Line = Field(description="lowercase id, e.g. `us`")
    name: Line
    timezone: Line = Field(description="IANA zone, e.g. America/New_York")


class PolicyIn(Body):
    region: Line = Field(description="region slug")
    title: Line = Field(max_length=200)
    cron: Line = Field(
        description="five-field cron in the policy's zone; `0 9 * * 6#2` is the "
        "second Saturday at 09:00; day-of-month AND day-of-week"
    )
    duration_minutes: int = Field(gt=0)
    timezone: Line | None = Field(None, description="IANA zone; defaults to the region's")
    active_from: date | None = None
    active_until: date | None = None


class PolicyPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    title: Line | None = None
    cron: Line | None = None
    duration_minutes: int | None = Field(None, gt=0)
    timezone: Line | None = None
    active_from: date | None = None
    active_until: date | None = None


class WindowIn(Body):
    title: Line = Field(max_length=200)
    region: Line | None = Field(None, description="region slug (or give customer)")
    customer: Line | None = Field(None, description="customer slug: a window for it alone")
    kind: Literal["ad_hoc", "emergency"] = "ad_hoc"
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: Line | None = Field(None, description="zone to show it in; default the owner's")
    justification: Text | None = Field(None, description="required for emergency windows")
    override_freeze: bool = False
    override_reason: Text | None = Field(None, description="required with override_freeze")


class WindowPatch(Body):
    action: Literal["move", "extend", "cancel", "skip", "announce", "start", "complete"]
    sequence: int = Field(description="the revision you read; a stale one gets 409")
    reason: Text | None = Field(None, description="required for move, extend, cancel, skip")
    starts_at: AwareDatetime | None = Field(None, description="move: the new start")
    ends_at: AwareDatetime | None = Field(None, description="move or extend: the new end")
    override_freeze: bool = False
    override_reason: Text | None = None


class FreezeIn(Body):
    title: Line = Field(max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    region: Line | None = Field(None, description="region slug; omit both for everyone")
    customer: Line | None = Field(None, description="customer slug: its event plan")
    kind: Literal["freeze", "event_plan"] | None = None
    reason: Text = ""


class CustomerIn(Body):
    slug: Line
    name: Line
    region: Line
    tier: Literal["standard", "silver", "gold", "platinum"] = "standard"
    timezone: Line | None = Field(None, description="IANA zone; defaults to the region's")
    locale: Literal["en", "fr"] = Field("en", description="the language replies are written in")


class CustomerPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    name: Line | None = None
    region: Line | None = None
    tier: Literal["standard", "silver", "gold", "platinum"] | None = None
    timezone: Line | None = None
    locale: Literal["en", "fr"] | None = None


class ReleaseIn(Body):
    version: Line = Field(description="e.g. 2026.12, 4.2 or 4.2.1-rc.1; unique")
    title: Line
    soak_days: int = Field(7, description="days between a customer's preview and production")


class ReleasePatch(Body):
    revision: int | None = Field(None, description="the revision you read; a stale one gets 409")
    title: Line | None = None
    soak_days: int | None = None
    status: Literal["cancelled"] | None = Field(None, description="only cancelling is set by hand")


class ItemIn(Body):
    kind: Literal["feature", "fix", "security", "improvement"]
    summary: Text = Field(description="internal: never shown to customers")
    public_note: Text = Field("", description="customer-facing Markdown; sanitized")
    jira_key: Line | None = Field(None, description="e.g. OPS-123")


class WavePatch(Body):
    window: RowId = Field(description="id of the region window to move the wave to")


DEPLOYMENT_STATUSES = Literal["in_progress", "succeeded", "failed", "rolled_back"]


class DeploymentReport(Body):
    status: DEPLOYMENT_STATUSES
    note: Text = ""
    wave: RowId | None = Field(
        None, description="alone: the outcome of the whole wave; with environment: a check"
    )
    environment: Line | None = Field(None, description="environment name, e.g. acme-preview")
    release: Line | None = Field(None, description="with environment: the release version")
    hotfix: RowId | None = Field(None, description="with environment: the hotfix id")


class DeploymentPatch(Body):
    status: DEPLOYMENT_STATUSES = Field(description="rolled_back records a rollback")
    note: Text = ""


class HotfixIn(Body):
    title: Line
    urgency: Literal["zero_day", "normal"]
    summary: Text = Field("", description="internal: never shown to customers")
    public_note: Text = Field("", description="customer-facing Markdown; sanitized")
    jira_key: Line | None = None
    customers: list[Line] = Field(
        default_factory=list, description="customer slugs: a per-customer patch; empty for all"
    )
    justification: Text | None = Field(None, description="required for a zero_day")


class TicketIn(Body):
    external_id: Line = Field(description="the help desk's own id, e.g. ZD-4512")
    url: Line = Field(description="http(s) address of the ticket in the help desk")
    customer: Line = Field(description="customer slug")
    requester_name: Line
    requester_email: Line = Field(description="one address; no line breaks")
    subject: Line = Field(description="one line")
    sla_level: int = Field(ge=1, le=4, strict=True, description="1 (urgent) to 4 (low impact)")


class HelpdeskTicketIn(TicketIn):
    bugs: list[Line] = Field(
        default_factory=list,
        max_length=50,
        description="Jira keys to link (added to the ticket's links, never removed)",
    )


class TicketPatch(Body):
    url: Line | None = None
    customer: Line | None = None
    requester_name: Line | None = None
    requester_email: Line | None = None
    subject: Line | None = None
    sla_level: int | None = Field(None, ge=1, le=4, strict=True)


class LinkIn(Body):
    bug: Line = Field(description="Jira key, e.g. OPS-123; read from Jira if not synced yet")


TOPIC = Literal[
    "maintenance", "emergency_maintenance", "hotfixes", "release_notes", "ticket_updates"
]


class ContactIn(Body):
    name: Line = Field(description="as it goes in the To header; no line breaks")
    email: Line
    role: Line = Field("", description="e.g. IT manager")
    locale: Literal["en", "fr"] | None = Field(None, description="default: the customer's")
    timezone: Line | None = Field(None, description="IANA zone; default: the customer's")
    subscriptions: list[TOPIC] | None = Field(
        None, description="topics received by email; default: all"
    )


class ContactPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    name: Line | None = None
    email: Line | None = None
    role: Line | None = None
    locale: Literal["en", "fr"] | None = None
    timezone: Line | None = None
    subscriptions: list[TOPIC] | None = None


class WebhookIn(Body):
    url: Line = Field(description="https; must not resolve to a private address")
    topics: list[TOPIC] | None = Field(None, description="topics delivered; default: all")
    description: Line = ""


class WebhookPatch(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    url: Line | None = Field(None, description="checked as on creation: https, public address")
    topics: list[TOPIC] | None = None
    description: Line | None = None
    enabled: bool | None = Field(
        None, description="true turns an endpoint back on, e.g. after it answered 410"
    )


class WebhookRotate(Body):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    grace_hours: int = Field(24, ge=0, le=168, description="how long the old secret signs too")
