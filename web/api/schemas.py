"""Request bodies of the JSON API; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rollout.errors import Invalid, NotFound
from rollout.notifications.addresses import EMAIL
from rollout.releases.deployments import EARLY_REASON_LENGTH
from rollout.releases.releases import JIRA_KEY, MAX_SOAK_DAYS, VERSION
from rollout.support.tickets import EXTERNAL_ID, LINKED_KEY, SLA_LEVELS
from rollout.validation import MAX_ID, SLUG, YEAR_PATTERN, refuse_controls
from rollout.windows.planning import MAX_DURATION_MINUTES


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


def _iso_text(value: object) -> object:
    # JSON has no date type, and pydantic would read a number as seconds since 1970.
    if value is not None and not isinstance(value, str):
        raise ValueError("give ISO 8601 text, e.g. 2026-12-12 or 2026-12-12T09:00:00Z")
    return value


def _json_number(value: object) -> object:
    # pydantic reads `false` as 0 and "7" as 7; `Field(strict=True)` would also refuse 7.0,
    # which JSON Schema (and so the document) calls an integer.
    if isinstance(value, bool | str):
        raise ValueError("give a whole number")
    return value


def _documented(**schema: object) -> Any:
    """What the document says of a field whose rule the domain checks and words itself."""
    return Field(json_schema_extra=schema)


# The characters refuse_controls lets through, as the document states them (ECMA-262 and
# Python read these classes alike): a Line is one line, a Text may have line breaks. Lone
# surrogates are refused too but left out here: a pattern naming them is invalid to the
# regex engines of most tools (no JSON text carries one by accident).
_LINE_CHAR = r"[^\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029\ufffe\uffff]"
_TEXT_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]"
# ...and at least one of them not white space: check_text refuses a blank one.
_SEEN = r"[^\s\x00-\x1f\x7f\x85\u2028\u2029\ufffe\uffff]"

# Every text field of a body is one of these two, so no control character is ever stored.
Line = Annotated[  # titles, names, keys
    str, AfterValidator(_no_controls(multiline=False)), _documented(pattern=f"^{_LINE_CHAR}*$")
]
Text = Annotated[  # notes, reasons
    str, AfterValidator(_no_controls(multiline=True)), _documented(pattern=f"^{_TEXT_CHAR}*$")
]
# The id of a row named in a body (in a URL, web/converters.py bounds it the same way).
RowId = Annotated[
    int,
    BeforeValidator(_json_number),
    AfterValidator(_row_id),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


# The year bound itself is the domain's (check_year); the document states it as a pattern.
# Any other whole number of a body (a version read back, hours): never true or "3".
WholeNumber = Annotated[int, BeforeValidator(_json_number)]
IsoDate = Annotated[date, BeforeValidator(_iso_text), _documented(pattern=YEAR_PATTERN)]
IsoInstant = Annotated[AwareDatetime, BeforeValidator(_iso_text), _documented(pattern=YEAR_PATTERN)]
SoakDays = Annotated[
    int,
    BeforeValidator(_json_number),
    _documented(minimum=0, maximum=MAX_SOAK_DAYS),
    Field(description="days between a customer's preview and production"),
]
DurationMinutes = Annotated[
    int, BeforeValidator(_json_number), _documented(minimum=1, maximum=MAX_DURATION_MINUTES)
]
Slug = Annotated[Line, _documented(pattern=SLUG.pattern)]
Version = Annotated[Line, _documented(pattern=VERSION.pattern)]
ExternalId = Annotated[Line, _documented(pattern=EXTERNAL_ID.pattern)]
Email = Annotated[Line, _documented(pattern=EMAIL.pattern, maxLength=254)]
# check_text and check_line: not blank once stripped, and not too long.
Title = Annotated[Line, _documented(pattern=f"^{_LINE_CHAR}*{_SEEN}{_LINE_CHAR}*$", maxLength=200)]
Subject = Annotated[
    Line, _documented(pattern=f"^{_LINE_CHAR}*{_SEEN}{_LINE_CHAR}*$", maxLength=500)
]
Summary = Annotated[
    Text, _documented(pattern=f"^{_TEXT_CHAR}*{_SEEN}{_TEXT_CHAR}*$", maxLength=2000)
]
SlaLevel = Annotated[
    int,
    BeforeValidator(_json_number),
    _documented(minimum=min(SLA_LEVELS), maximum=max(SLA_LEVELS)),
]
# check_url and check_webhook_url: http(s), a host (and a numeric port), no spaces or controls.
HttpUrl = Annotated[
    Line,
    _documented(
        pattern=r"^https?://[^\s\x00-\x1f\x7f\x85\u2028\u2029/?#@:\[\]]+(?::[0-9]{1,4})?"
        r"(?:[/?#][^\s\x00-\x1f\x7f\x85\u2028\u2029]*)?$",
        maxLength=2000,
    ),
]
# A bug key to link, as rollout.support.tickets reads it: any letter case, spaces around it.
LinkedKey = Annotated[Line, _documented(pattern=LINKED_KEY.pattern)]
# Empty means no key, as in check_jira_key.
JiraKey = Annotated[
    Line,
    _documented(pattern=f"^(?:{JIRA_KEY.pattern[1:-1]})?$"),
    Field(description="Jira key, e.g. OPS-123"),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Edit(Body):
    """A change to a row two people may edit, naming the revision it was made from."""

    revision: WholeNumber | None = Field(
        None, description="the revision you read; a stale one gets 409"
    )
    version: WholeNumber | None = Field(
        None, description="deprecated: send revision", json_schema_extra={"deprecated": True}
    )

    def revision_read(self, changes: dict | None = None) -> int | None:
        """The revision given, under either name; both names are taken out of `changes`."""
        for name in ("revision", "version"):
            (changes or {}).pop(name, None)
        return self.revision if self.revision is not None else self.version


ClockTime = Annotated[Line, _documented(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Weekdays = Annotated[Line, _documented(pattern="^[1-7]{0,7}$")]
OPENS = "local time its customers start work; emergency windows are proposed outside"
DAYS = "ISO weekdays its customers work, 1 (Monday) to 7 (Sunday): 12345 is Monday to Friday"


class RegionIn(Body):
    slug: Slug = Field(description="lowercase id, e.g. `us`")
    name: Title
    timezone: Line = Field(description="IANA zone, e.g. America/New_York")
    business_opens: ClockTime = Field("09:00", description=OPENS)
    business_closes: ClockTime = Field("17:00", description="local time its customers stop work")
    business_days: Weekdays = Field("12345", description=DAYS)


class RegionPatch(Body):
    name: Title | None = None
    business_opens: ClockTime | None = Field(None, description=OPENS)
    business_closes: ClockTime | None = Field(None, description="local time work stops")
    business_days: Weekdays | None = Field(None, description=DAYS)


class PolicyIn(Body):
    region: Line = Field(description="region slug")
    title: Title
    cron: Line = Field(
        description="five-field cron in the policy's zone; `0 9 * * 6#2` is the "
        "second Saturday at 09:00; day-of-month AND day-of-week"
    )
    duration_minutes: DurationMinutes
    timezone: Line | None = Field(None, description="IANA zone; defaults to the region's")
    active_from: IsoDate | None = None
    active_until: IsoDate | None = None


class PolicyPatch(Edit):
    title: Title | None = None
    cron: Line | None = None
    duration_minutes: DurationMinutes | None = None
    timezone: Line | None = None
    active_from: IsoDate | None = None
    active_until: IsoDate | None = None


class WindowIn(Body):
    title: Title
    region: Line | None = Field(None, description="region slug (or give customer)")
    customer: Line | None = Field(None, description="customer slug: a window for it alone")
    kind: Literal["ad_hoc", "emergency"] = "ad_hoc"
    starts_at: IsoInstant
    ends_at: IsoInstant
    timezone: Line | None = Field(None, description="zone to show it in; default the owner's")
    justification: Text | None = Field(None, description="required for emergency windows")
    override_freeze: bool = False
    override_reason: Text | None = Field(None, description="required with override_freeze")


class WindowPatch(Body):
    model_config = ConfigDict(
        # Either name will do: the document says so, rather than requiring the old one.
        json_schema_extra=lambda schema: schema.update(
            required=["action"], anyOf=[{"required": ["revision"]}, {"required": ["sequence"]}]
        )
    )

    action: Literal["move", "extend", "cancel", "skip", "announce", "start", "complete"]
    revision: WholeNumber = Field(
        None,
        description="the revision you read; a stale one gets 409",
        json_schema_extra=lambda schema: schema.pop("default"),  # absent, but never null
    )
    sequence: WholeNumber = Field(
        description="deprecated: send revision", json_schema_extra={"deprecated": True}
    )

    @model_validator(mode="before")
    @classmethod
    def _revision_is_the_sequence(cls, data: object) -> object:
        if isinstance(data, dict) and "revision" in data:
            return {**data, "sequence": data["revision"]}
        return data

    reason: Text | None = Field(None, description="required for move, extend, cancel, skip")
    starts_at: IsoInstant | None = Field(None, description="move: the new start")
    ends_at: IsoInstant | None = Field(None, description="move or extend: the new end")
    override_freeze: bool = False
    override_reason: Text | None = None


class FreezeIn(Body):
    title: Title
    starts_at: IsoInstant
    ends_at: IsoInstant
    region: Line | None = Field(None, description="region slug; omit both for everyone")
    customer: Line | None = Field(None, description="customer slug: its event plan")
    kind: Literal["freeze", "event_plan"] | None = None
    reason: Text = ""
    covered: Literal["cancel", "move", "keep"] | None = Field(
        None,
        description="what happens to the planned windows it covers: required when it "
        "covers any (the refusal lists them); a regular occurrence cancelled is skipped; "
        "moved goes to the first quarter hour after the freeze outside the region's "
        "business hours (or to move_to)",
    )
    covered_reason: Text | None = Field(None, description="required with covered: keep")
    move_to: IsoInstant | None = Field(None, description="with covered: move, the new start")


class CustomerIn(Body):
    slug: Slug
    name: Title
    region: Line
    tier: Literal["standard", "silver", "gold", "platinum"] = "standard"
    timezone: Line | None = Field(None, description="IANA zone; defaults to the region's")
    locale: Literal["en", "fr"] = Field("en", description="the language replies are written in")


class CustomerPatch(Edit):
    name: Title | None = None
    region: Line | None = None
    tier: Literal["standard", "silver", "gold", "platinum"] | None = None
    timezone: Line | None = None
    locale: Literal["en", "fr"] | None = None


class ReleaseIn(Body):
    version: Version = Field(description="e.g. 2026.12, 4.2 or 4.2.1-rc.1; unique")
    title: Title
    soak_days: SoakDays = 7


class ReleasePatch(Body):
    revision: WholeNumber | None = Field(
        None, description="the revision you read; a stale one gets 409"
    )
    title: Title | None = None
    soak_days: SoakDays | None = None
    status: Literal["cancelled"] | None = Field(None, description="only cancelling is set by hand")


class ItemIn(Body):
    kind: Literal["feature", "fix", "security", "improvement"]
    summary: Summary = Field(description="internal: never shown to customers")
    public_note: Text = Field("", description="customer-facing Markdown; sanitized")
    jira_key: JiraKey | None = None


class WavePatch(Body):
    window: RowId = Field(description="id of the region window to move the wave to")


DEPLOYMENT_STATUSES = Literal["in_progress", "succeeded", "failed", "rolled_back"]


class Outcome(Body):
    """What every outcome body says: the status, a note, and whether the deploy ran early."""

    note: Text = ""
    early: bool = Field(
        False,
        strict=True,  # JSON's true or false: not 0, 1 or "yes"
        description="true records a success before the deployment's window starts; without "
        "it such a success is refused with 409 naming the field early",
    )
    early_reason: Line | None = Field(
        None,
        max_length=EARLY_REASON_LENGTH,
        description="with early, required (else 422 naming early_reason): why the deploy ran "
        "early, one line; kept in the deployment's history",
    )


class DeploymentReport(Outcome):
    status: DEPLOYMENT_STATUSES
    wave: RowId | None = Field(
        None, description="alone: the outcome of the whole wave; with environment: a check"
    )
    environment: Line | None = Field(None, description="environment name, e.g. acme-preview")
    release: Line | None = Field(None, description="with environment: the release version")
    hotfix: RowId | None = Field(None, description="with environment: the hotfix id")


class DeploymentPatch(Outcome):
    status: DEPLOYMENT_STATUSES = Field(description="rolled_back records a rollback")


# A map by region slug: keys that are not slugs name no region.
ONLY_SLUGS = {"additionalProperties": False}


class HotfixIn(Body):
    title: Title
    urgency: Literal["zero_day", "normal"]
    summary: Text = Field("", description="internal: never shown to customers")
    public_note: Text = Field("", description="customer-facing Markdown; sanitized")
    jira_key: JiraKey | None = None
    customers: list[Line] = Field(
        default_factory=list, description="customer slugs: a per-customer patch; empty for all"
    )
    justification: Text | None = Field(None, description="required for a zero_day")
    emergency_start: IsoInstant | None = Field(
        None,
        description="a zero_day's emergency start in every region; default: each "
        "region's first quarter hour outside its business hours",
    )
    emergency_starts: dict[Slug, IsoInstant] = Field(
        default_factory=dict,
        description="a zero_day's emergency start by region slug",
        json_schema_extra=ONLY_SLUGS,
    )


class ApprovalIn(Body):
    start: IsoInstant | None = Field(
        None,
        description="the emergency start in every region; default: the requester's, "
        "else each region's first quarter hour outside its business hours",
    )
    starts: dict[Slug, IsoInstant] = Field(
        default_factory=dict,
        description="the emergency start by region slug",
        json_schema_extra=ONLY_SLUGS,
    )


class TicketIn(Body):
    external_id: ExternalId = Field(description="the help desk's own id, e.g. ZD-4512")
    url: HttpUrl = Field(description="http(s) address of the ticket in the help desk")
    customer: Line = Field(description="customer slug")
    requester_name: Title
    requester_email: Email = Field(description="one address; no line breaks")
    subject: Subject = Field(description="one line")
    sla_level: SlaLevel = Field(description="1 (urgent) to 4 (low impact)")


class HelpdeskTicketIn(TicketIn):
    bugs: list[Line] = Field(
        default_factory=list,
        max_length=50,
        description="Jira keys to link (added to the ticket's links, never removed)",
    )


class TicketPatch(Body):
    url: HttpUrl | None = None
    customer: Line | None = None
    requester_name: Title | None = None
    requester_email: Email | None = None
    subject: Subject | None = None
    sla_level: SlaLevel | None = None


class LinkIn(Body):
    bug: LinkedKey = Field(description="Jira key, e.g. OPS-123; read from Jira if not synced yet")


TOPIC = Literal[
    "maintenance", "emergency_maintenance", "hotfixes", "release_notes", "ticket_updates"
]


class ContactIn(Body):
    name: Title = Field(description="as it goes in the To header; no line breaks")
    email: Email
    role: Line = Field("", description="e.g. IT manager")
    locale: Literal["en", "fr"] | None = Field(None, description="default: the customer's")
    timezone: Line | None = Field(None, description="IANA zone; default: the customer's")
    subscriptions: list[TOPIC] | None = Field(
        None, description="topics received by email; default: all"
    )


class ContactPatch(Edit):
    name: Title | None = None
    email: Email | None = None
    role: Line | None = None
    locale: Literal["en", "fr"] | None = None
    timezone: Line | None = None
    subscriptions: list[TOPIC] | None = None


class WebhookIn(Body):
    url: HttpUrl = Field(description="https; must not resolve to a private address")
    topics: list[TOPIC] | None = Field(None, description="topics delivered; default: all")
    description: Line = ""


class WebhookPatch(Edit):
    url: HttpUrl | None = Field(None, description="checked as on creation: https, public address")
    topics: list[TOPIC] | None = None
    description: Line | None = None
    enabled: bool | None = Field(
        None, description="true turns an endpoint back on, e.g. after it answered 410"
    )


class WebhookRotate(Edit):
    grace_hours: WholeNumber = Field(
        24, ge=0, le=168, description="how long the old secret signs too"
    )


class TokenIn(Body):
    name: Title = Field(description="what the token is for, e.g. deploy pipeline")
    role: Literal["admin", "release_manager", "support_agent", "customer"]
    customer: Slug | None = Field(None, description="customer slug: customer tokens only")
    expires_at: IsoInstant | None = Field(
        None, description="it stops working then; in the future; default never"
    )
