"""What the JSON API answers: one pydantic model per shape, read from the domain objects.

The OpenAPI document is generated from these (web/api/openapi.py), so what is documented is
what is sent. Where customers read less than staff, the customer's view is the base class
and staff's adds to it: a view sends the class for its reader and no field can slip across.
Fields a reader is not always sent (staff's, a reader's zone, a secret shown once) have a
default and are left out unless set (answers are dumped with `exclude_unset`). Embargoes
are decided on the domain models (`Hotfix.customer_html`, `public_items`); this only reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from rollout.access import Role, TokenStatus
from rollout.customers import EnvironmentKind, Locale, Tier
from rollout.freezes import FreezeKind, FreezeScope
from rollout.jira.models import Priority, Severity, StatusCategory
from rollout.notifications import Channel, NotificationStatus, Topic
from rollout.releases import (
    DeploymentStatus,
    HotfixStatus,
    HotfixUrgency,
    ItemKind,
    ReleaseStatus,
    public_items,
    region_dates,
)
from rollout.support.fix_status.rule import FixState
from rollout.support.triage import Recommendation
from rollout.windows import WindowAction, WindowKind, WindowStatus


def _utc(value: datetime | None) -> str | None:
    # None only as the default of a field left unset, and so never sent.
    return value and value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local(value: datetime, zone: str) -> str:
    """`value` as wall-clock time in `zone`, with its offset."""
    return value.astimezone(ZoneInfo(zone)).isoformat()


_DATE_TIME = WithJsonSchema({"type": "string", "format": "date-time"})
# A UTC instant, written with Z.
Instant = Annotated[datetime, PlainSerializer(_utc, return_type=str), _DATE_TIME]
# A wall-clock time with its offset, as `local` writes it.
LocalTime = Annotated[str, _DATE_TIME]
# A region, customer, release... named by its slug (or version): the object or the name.
SlugOf = Annotated[str, BeforeValidator(lambda v: getattr(v, "slug", v))]
VersionOf = Annotated[str, BeforeValidator(lambda v: getattr(v, "version", v))]
Slugs = Annotated[list[str], BeforeValidator(lambda vs: [getattr(v, "slug", v) for v in vs])]
# The optimistic-lock counter: `revision` in every answer, read from whichever the row calls
# it; `sequence` (windows) and `version` (policies, customers, contacts, webhooks) are its
# old names, still sent.
Counter = Annotated[int, Field(validation_alias=AliasChoices("revision", "sequence", "version"))]
OldRevision = Annotated[int, Field(json_schema_extra={"deprecated": True})]


def _without_defaults(schema: dict) -> None:
    # A default in an answer only stands for "not sent": the document says which are optional.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Answer(BaseModel):
    """A response body; a field the model does not name is refused, never passed along."""

    model_config = ConfigDict(
        extra="forbid", from_attributes=True, json_schema_extra=_without_defaults
    )

    @classmethod
    def read(cls, obj: object, **computed: Any) -> Self:
        """The model read from `obj`'s attributes, with `computed` fields given beside them."""
        return cls.model_validate(_Reading(obj, computed) if computed else obj)


HIDDEN = object()  # given as a computed field: read as absent, so left unset and not sent


class _Reading:
    """`obj` with some attributes added (or hidden), for `from_attributes` to read."""

    def __init__(self, obj: object, computed: dict[str, Any]) -> None:
        self._obj, self._computed = obj, computed

    def __getattr__(self, name: str) -> Any:
        if name not in self._computed:
            return getattr(self._obj, name)
        if self._computed[name] is HIDDEN:
            raise AttributeError(name)
        return self._computed[name]


def dump(answer: BaseModel) -> dict:
    """An answer as JSON: fields left unset (another reader's, absent extras) are left out."""
    return answer.model_dump(mode="json", exclude_unset=True)


class Region(Answer):
    slug: str
    name: str
    timezone: str
    business_opens: str = Field(description="HH:MM, local")
    business_closes: str = Field(description="HH:MM, local")
    business_days: str = Field(description="ISO weekdays, 12345 is Monday to Friday")


class PublicWindow(Answer):
    """A window as customers and the public read it."""

    id: int | None = Field(description="null for a projected window")
    region: SlugOf
    customer: SlugOf | None
    kind: WindowKind
    status: WindowStatus
    title: str
    starts_at: Instant
    ends_at: Instant
    timezone: str
    local_start: LocalTime
    local_end: LocalTime
    sequence: OldRevision = Field(description="deprecated: read revision")
    revision: Counter = Field(description="send it back in PATCH; a stale one gets 409")
    projected: bool
    policy_id: int | None
    reader_timezone: str = Field("", description="with ?tz=: the reader's zone")
    reader_start: LocalTime = ""
    reader_end: LocalTime = ""

    @classmethod
    def of(cls, window, *, reader_zone: str | None = None) -> Self:
        reader = {}
        if reader_zone:
            reader = {
                "reader_timezone": reader_zone,
                "reader_start": local(window.starts_at, reader_zone),
                "reader_end": local(window.ends_at, reader_zone),
            }
        return cls.read(
            window,
            customer=window.customer if window.customer_id else None,
            local_start=local(window.starts_at, window.timezone),
            local_end=local(window.ends_at, window.timezone),
            **reader,
        )


class Window(PublicWindow):
    justification: str | None = Field(None, description="staff only")
    freeze_override_reason: str | None = Field(None, description="staff only")


class PublicRevision(Answer):
    """One step of a window's history; the public reason is the one given to customers."""

    sequence: OldRevision = Field(description="deprecated: read revision")
    revision: Counter
    action: WindowAction
    status: WindowStatus
    title: str
    starts_at: Instant
    ends_at: Instant
    reason: str
    at: Instant

    @classmethod
    def of(cls, revision) -> Self:
        return cls.read(revision, reason=revision.public_reason)


class Revision(PublicRevision):
    actor: str = Field("", description="staff only")

    @classmethod
    def of(cls, revision) -> Self:
        return cls.read(revision)  # the reason as staff gave it


class Policy(Answer):
    id: int
    region: SlugOf
    title: str
    cron: str
    timezone: str
    duration_minutes: int
    active_from: date
    active_until: date | None
    planned_until: Instant | None
    version: OldRevision = Field(description="deprecated: read revision")
    revision: Counter = Field(description="send it back in PATCH; a stale one gets 409")


class CoveredWindow(Answer):
    id: int
    title: str
    region: SlugOf
    customer: SlugOf | None
    status: WindowStatus
    starts_at: Instant
    ends_at: Instant
    timezone: str
    carries: list[str] = Field(description="what waited in it when the freeze was made")

    @classmethod
    def of(cls, covered) -> Self:
        return cls.read(covered.window, carries=list(covered.carries))


class Freeze(Answer):
    id: int
    scope: FreezeScope
    kind: FreezeKind
    region: SlugOf | None
    customer: SlugOf | None
    title: str
    reason: str
    starts_at: Instant
    ends_at: Instant
    created_by: str
    covered: list[CoveredWindow] = Field(
        [], description="on creation: the planned windows it covered, as they now stand"
    )

    @classmethod
    def declared(cls, declared) -> Self:
        return cls.read(declared.freeze, covered=[CoveredWindow.of(c) for c in declared.covered])


class EnvironmentName(Answer):
    kind: EnvironmentKind
    name: str


class Customer(Answer):
    slug: str
    name: str
    region: SlugOf
    tier: Tier
    timezone: str
    locale: Locale
    environments: list[EnvironmentName]
    version: OldRevision = Field(description="deprecated: read revision")
    revision: Counter = Field(description="send it back in PATCH; a stale one gets 409")


class FeedToken(Answer):
    customer: str
    url: str = Field(description="the private feed; shown only once")
    webcal_url: str
    created_at: Instant


class PublicDeployCheck(Answer):
    allowed: bool
    at: Instant
    region: SlugOf
    customer: SlugOf | None
    reasons: list[str]
    window: PublicWindow | None
    freezes: list[Freeze]
    next_allowed_window: PublicWindow | None
    window_view: ClassVar[type[PublicWindow]] = PublicWindow

    @classmethod
    def of(cls, verdict) -> Self:
        view = cls.window_view
        return cls.read(
            verdict,
            window=view.of(verdict.window) if verdict.window else None,
            next_allowed_window=view.of(verdict.next_window) if verdict.next_window else None,
        )


class DeployCheck(PublicDeployCheck):
    window: Window | None
    next_allowed_window: Window | None
    window_view = Window


class PublicReleaseItem(Answer):
    kind: ItemKind
    # Only the sanitized HTML: the Markdown as written may hold script a reader would run.
    public_html: str = Field(description="rendered and sanitized")


class ReleaseItem(PublicReleaseItem):
    id: int = Field(0, description="staff only")
    public_note: str = Field("", description="staff only: Markdown as written")
    jira_key: str | None = Field(None, description="staff only")
    summary: str = Field("", description="staff only: internal")
    created_at: Instant = Field(None, description="staff only")


class RegionStart(Answer):
    """When a region's first preview and production waves start."""

    preview: Instant = None
    production: Instant = None


class PublicRelease(Answer):
    version: str
    title: str
    status: ReleaseStatus
    created_at: Instant
    completed_at: Instant | None
    regions: dict[str, RegionStart] = Field(
        description="region slug to when its first preview and production waves start"
    )
    items: list[PublicReleaseItem]

    @classmethod
    def of(cls, release) -> Self:
        return cls.read(
            release,
            regions=_regions(release),
            items=[PublicReleaseItem.read(i) for i in public_items(release)],
        )


class Release(PublicRelease):
    id: int = Field(0, description="staff only")
    soak_days: int = Field(0, description="staff only")
    revision: int = Field(0, description="staff only; send it back in PATCH")
    updated_at: Instant = Field(None, description="staff only")
    items: list[ReleaseItem] = Field(
        description="for others than staff, public notes alone; security fixes only once "
        "the release is completed"
    )

    @classmethod
    def of(cls, release) -> Self:
        items = [ReleaseItem.read(i) for i in release.items]
        return cls.read(release, regions=_regions(release), items=items)


def _regions(release) -> dict[str, RegionStart]:
    return {
        region: RegionStart(**{str(kind): at for kind, at in dates.items()})
        for region, dates in region_dates(release).items()
    }


class DeploymentWindow(Answer):
    id: int
    starts_at: Instant
    ends_at: Instant
    timezone: str
    local_start: LocalTime
    local_end: LocalTime

    @classmethod
    def of(cls, window) -> Self:
        return cls.read(
            window,
            local_start=local(window.starts_at, window.timezone),
            local_end=local(window.ends_at, window.timezone),
        )


class PublicDeployment(Answer):
    """One environment's deployment; customers are not told who reported it or the notes."""

    id: int
    environment: str
    environment_kind: EnvironmentKind
    customer: str
    release: VersionOf | None = Field(description="release version")
    hotfix: int | None = Field(description="hotfix id")
    title: str = Field(description="of the release or hotfix")
    status: DeploymentStatus
    scheduled_for: Instant | None
    started_at: Instant | None
    finished_at: Instant | None
    window: DeploymentWindow | None

    @classmethod
    def of(cls, deployment) -> Self:
        environment = deployment.environment
        return cls.read(
            deployment,
            environment=environment.name,
            environment_kind=environment.kind,
            customer=environment.customer.slug,
            hotfix=deployment.hotfix_id,
            title=(deployment.release or deployment.hotfix).title,
            window=DeploymentWindow.of(deployment.window) if deployment.window else None,
            wave=deployment.wave_id,
        )


class Deployment(PublicDeployment):
    wave: int | None = Field(None, description="staff only")
    reported_by: str | None = Field(None, description="staff only")
    note: str = Field("", description="staff only")


class DeploymentOutcome(Answer):
    """One outcome as it was reported, kept after later ones."""

    status: DeploymentStatus
    note: str
    early: bool = Field(description="a success recorded before the deployment's window started")
    early_reason: str | None = Field(description="with early: why the deploy ran early")
    reported_by: str
    recorded_at: Instant

    @classmethod
    def of(cls, outcome) -> Self:
        return cls.read(outcome, early=outcome.early_reason is not None)


class Wave(Answer):
    id: int
    release: VersionOf
    position: int
    name: str
    kind: EnvironmentKind
    selector: str = Field(description="how the targets were chosen")
    note: str = Field(description="why some targets were moved")
    window: Window
    deployments: list[Deployment]

    @classmethod
    def of(cls, wave) -> Self:
        return cls.read(
            wave,
            kind=wave.environment_kind,
            window=Window.of(wave.window),
            deployments=[Deployment.of(d) for d in wave.deployments],
        )


class PublicHotfix(Answer):
    """Customers never see the internal summary, the justification or who else is patched."""

    id: int
    title: str
    urgency: HotfixUrgency
    status: HotfixStatus
    patch: bool = Field(description="for named customers only")
    public_html: str = Field(
        description="sanitized; a zero-day's is empty for customers until applied"
    )
    created_at: Instant

    @classmethod
    def of(cls, hotfix) -> Self:
        return cls.read(hotfix, patch=hotfix.is_patch, public_html=hotfix.customer_html)


class Hotfix(PublicHotfix):
    public_note: str = Field("", description="staff only: Markdown as written")
    jira_key: str | None = Field(None, description="staff only")
    summary: str = Field("", description="staff only")
    justification: str | None = Field(None, description="staff only")
    customers: Slugs = Field([], description="staff only")
    requested_by: str = Field("", description="staff only")
    approved_by: str | None = Field(None, description="staff only")
    approved_at: Instant | None = None
    emergency_start: Instant | None = Field(None, description="staff only: as requested")
    emergency_starts: dict[str, str] = Field({}, description="staff only: by region slug")
    deployments: list[Deployment] = []

    @classmethod
    def of(cls, hotfix) -> Self:
        deployments = [Deployment.of(d) for d in hotfix.deployments]
        return cls.read(hotfix, patch=hotfix.is_patch, deployments=deployments)


class EmergencySlot(Answer):
    """Where an approval would put one emergency window."""

    region: str
    customer: str | None
    starts_at: Instant
    ends_at: Instant
    timezone: str
    local_start: LocalTime
    chosen: bool = Field(description="a chosen start, not the business-hours default")

    @classmethod
    def of(cls, slot) -> Self:
        return cls.read(slot, local_start=local(slot.starts_at, slot.timezone))


class ReleaseName(Answer):
    version: str
    title: str


class HotfixName(Answer):
    id: int
    title: str


class PublicEnvironmentState(Answer):
    name: str
    kind: EnvironmentKind
    customer: SlugOf
    current_release: ReleaseName | None
    hotfixes: list[HotfixName] = Field(description="applied on top of the current release")
    upcoming: list[PublicDeployment]
    history: list[PublicDeployment]
    deployment_view: ClassVar[type[PublicDeployment]] = PublicDeployment

    @classmethod
    def of(cls, state) -> Self:
        view = cls.deployment_view
        env = state.environment
        return cls.read(
            state,
            name=env.name,
            kind=env.kind,
            customer=env.customer,
            upcoming=[view.of(d) for d in state.upcoming],
            history=[view.of(d) for d in state.history],
        )


class EnvironmentState(PublicEnvironmentState):
    upcoming: list[Deployment]
    history: list[Deployment]
    deployment_view = Deployment


class Environment(Answer):
    name: str
    kind: EnvironmentKind
    customer: SlugOf


class Bug(Answer):
    """A bug as Rollout mirrors it from Jira (staff only: the summary is internal)."""

    key: str = Field(examples=["OPS-123"])
    project: str
    summary: str = Field(description="internal: Jira's summary")
    status: str = Field(description="Jira's status name")
    status_category: StatusCategory
    priority: Priority | None
    severity: Severity | None
    resolution: str | None
    fix_versions: list[str]
    public_note: str | None
    url: str | None = Field(description="the issue in Jira")
    jira_updated_at: Instant
    deleted_at: Instant | None = Field(description="deleted in Jira; links are kept")
    synced_at: Instant

    @classmethod
    def of(cls, bug, *, jira_url: str | None, **more: Any) -> Self:
        url = f"{jira_url}/browse/{bug.key}" if jira_url else None
        return cls.read(bug, url=url, fix_versions=list(bug.fix_versions or []), **more)


class BugTicket(Answer):
    external_id: str
    url: str
    customer: SlugOf
    subject: str
    sla_level: int
    linked_at: Instant
    fix_live_at: Instant | None

    @classmethod
    def of(cls, link) -> Self:
        return cls.read(link.ticket, linked_at=link.linked_at, fix_live_at=link.fix_live_at)


class BugRelease(Answer):
    version: str
    title: str
    status: ReleaseStatus
    completed_at: Instant | None
    via: Literal["item", "fix_version"] = Field(
        description="a release item names the bug, or the bug's Jira fix version names the release"
    )


class BugHotfix(Answer):
    id: int
    title: str
    status: HotfixStatus
    urgency: HotfixUrgency
    customers: Slugs


class BugDetail(Bug):
    tickets: list[BugTicket]
    releases: list[BugRelease]
    hotfixes: list[BugHotfix]
    deployed_to: list[Environment]


class PublicTicketBug(Answer):
    key: str
    linked_at: Instant
    fix_live_at: Instant | None = Field(
        description="when the fix went live on the customer's production"
    )


class TicketBug(PublicTicketBug):
    linked_by: str = Field("", description="staff only")


class PublicTicket(Answer):
    """A ticket and its linked bugs; who linked them is for staff."""

    external_id: str
    url: str
    customer: SlugOf
    requester_name: str
    requester_email: str
    subject: str
    sla_level: int = Field(ge=1, le=4)
    created_at: Instant
    updated_at: Instant
    bugs: list[PublicTicketBug]
    link_view: ClassVar[type[PublicTicketBug]] = PublicTicketBug

    @classmethod
    def of(cls, ticket) -> Self:
        bugs = [cls.link_view.read(link, key=link.bug.key) for link in ticket.links]
        return cls.read(ticket, bugs=bugs)


class Ticket(PublicTicket):
    bugs: list[TicketBug]
    link_view = TicketBug


class FixPlan(Answer):
    """The production deployment ahead; no date yet when starts_at is null."""

    release: str | None
    hotfix: int | None
    starts_at: Instant | None
    ends_at: Instant | None
    window_kind: WindowKind | None
    late: bool = Field(description="its window passed unreported")

    @classmethod
    def of(cls, plan) -> Self:
        window = plan.window
        return cls(
            **_vehicle(plan.vehicle),
            starts_at=window.starts_at if window else None,
            ends_at=window.ends_at if window else None,
            window_kind=window.kind if window else None,
            late=plan.late,
        )


def _vehicle(vehicle) -> dict:
    kind = vehicle.kind if vehicle else None
    return {
        "release": vehicle.name if kind == "release" else None,
        "hotfix": int(vehicle.name) if kind == "hotfix" else None,
    }


class BugFixStatus(Answer):
    bug: str
    state: FixState
    release: str | None
    hotfix: int | None
    since: Instant | None = Field(description="deployed/in_preview: since; rolled_back: when")
    next: FixPlan | None
    note: str | None = Field(description="Jira's customer-facing note")
    reply: str

    @classmethod
    def of(cls, item) -> Self:
        status = item.status
        return cls(
            bug=status.bug,
            state=status.state,
            **_vehicle(status.vehicle),
            since=status.since,
            next=FixPlan.of(status.next) if status.next else None,
            note=item.public_note,
            reply=item.reply,
        )


class FixStatus(Answer):
    ticket: str | None
    customer: SlugOf
    lang: Locale
    timezone: str
    items: list[BugFixStatus]
    reply: str = Field(description="every item's reply, ready to paste")

    @classmethod
    def of(cls, answer) -> Self:
        return cls.read(
            answer,
            ticket=answer.ticket.external_id if answer.ticket else None,
            timezone=answer.zone,
            items=[BugFixStatus.of(i) for i in answer.items],
        )


class TriageItem(Answer):
    bug: str
    url: str | None
    summary: str
    status: str
    priority: Priority | None
    severity: Severity | None
    score: float
    recommendation: Recommendation
    tickets: int = Field(description="tickets still waiting for the fix")
    customers: int
    tiers: dict[str, int]
    worst_sla: int | None
    carried_by: list[str]
    assumed: bool = Field(description="priority or severity unknown: scored as Medium / Moderate")

    @classmethod
    def of(cls, item, *, jira_url: str | None) -> Self:
        bug = item.bug
        return cls.read(
            item,
            bug=bug.key,
            url=f"{jira_url}/browse/{bug.key}" if jira_url else None,
            summary=bug.summary,
            status=bug.status,
            priority=bug.priority,
            severity=bug.severity,
            tiers=dict(item.tiers),
        )


class Contact(Answer):
    """A customer's contact (its unsubscribe token stays in its emails)."""

    id: int
    customer: SlugOf
    name: str
    email: str
    role: str
    locale: Locale
    timezone: str
    subscriptions: list[Topic]
    version: OldRevision = Field(description="deprecated: read revision")
    revision: Counter = Field(description="give it back in PATCH: a stale one gets 409")
    created_at: Instant
    updated_at: Instant


class Webhook(Answer):
    """A webhook endpoint; its secret only in the answer that made or rotated it."""

    id: int
    customer: SlugOf
    url: str
    description: str
    topics: list[Topic]
    enabled: bool = Field(
        description="false once it answered 410 or was turned off; PATCH turns it on"
    )
    previous_secret_expires_at: Instant | None = Field(
        description="until then the old secret signs too"
    )
    disabled_at: Instant | None
    disabled_reason: str | None
    version: OldRevision = Field(description="deprecated: read revision")
    revision: Counter = Field(description="give it back in PATCH or rotate: a stale one gets 409")
    created_at: Instant
    secret: str = Field("", description="whsec_…: only in the answer that creates or rotates it")

    @classmethod
    def of(cls, endpoint, *, secret: str | None = None) -> Self:
        return cls.read(
            endpoint,
            enabled=endpoint.disabled_at is None,
            secret=HIDDEN if secret is None else secret,
        )


class Token(Answer):
    """An API token as admins read it: never its secret nor the secret's hash."""

    id: int
    name: str
    role: Role
    customer: SlugOf | None
    status: TokenStatus
    created_at: Instant
    last_used_at: Instant | None = Field(description="to the minute; null if never used")
    expires_at: Instant | None
    revoked_at: Instant | None
    token: str = Field("", description="rol_…: only in the answer that creates it")

    @classmethod
    def of(cls, token, *, now: datetime, plaintext: str | None = None) -> Self:
        return cls.read(
            token,
            status=token.status(now),
            token=HIDDEN if plaintext is None else plaintext,
        )


class DeliveryAttempt(Answer):
    number: int
    at: Instant
    outcome: Literal["delivered", "retry", "failed", "cancelled"]
    code: int | None
    detail: str
    worker: str


class Notification(Answer):
    """An outbox row with its delivery attempts (staff only: it names the recipient)."""

    id: int
    message_id: str = Field(
        description="the email's Message-ID and the webhook-id, on every attempt"
    )
    event: str = Field(examples=["window.moved"])
    topic: Topic
    channel: Channel
    customer: SlugOf
    address: str
    status: NotificationStatus
    attempts: int
    due_at: Instant
    next_attempt_at: Instant
    expires_at: Instant | None = Field(description="not sent, nor sent again, after this")
    delivered_at: Instant | None
    last_error: str | None
    created_at: Instant
    attempt_log: list[DeliveryAttempt]


class NotificationCounts(Answer):
    pending: int = 0
    sending: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0


class NotificationList(Answer):
    counts: NotificationCounts
    items: list[Notification]
    next_cursor: str | None = Field(description="pass as ?cursor= for older notifications")


class FieldChange(Answer):
    """One field of an audited change; a secret's values are never kept, only that it changed."""

    field: str
    before: Any = Field(None, description="absent for a secret")
    after: Any = Field(None, description="absent for a secret")
    secret: bool = False


class AuditEntry(Answer):
    """Who created, changed or deleted which record, when, field by field."""

    id: int
    at: Instant
    actor: str = Field(examples=["user:3", "token:5", "hook:jira", "worker:host:41", "cli"])
    request_id: str | None
    entity: str = Field(examples=["release"])
    entity_id: int
    label: str = Field(description="the record's name when it was written, e.g. its version")
    action: Literal["created", "changed", "deleted"]
    changes: list[FieldChange]


class AuditPage(Answer):
    items: list[AuditEntry]
    next_cursor: str | None = Field(description="pass as ?cursor= for older entries")


class ErrorDetail(Answer):
    model_config = ConfigDict(extra="allow")  # a few errors add details (e.g. problems)

    code: str
    message: str
    field: str = Field("", description="the input at fault")


class Error(Answer):
    error: ErrorDetail
