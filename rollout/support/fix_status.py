"""Where a bug's fix stands for one customer: derived from the releases and hotfixes that
carry it and their deployments to that customer's environments, never typed in.

The rule is a pure function over plain values (`derive_fix_status`); the use cases below
gather those values with a handful of queries and add a reply for the ticket.

Decisions worth knowing:
- A release carries a bug when one of its items names the bug's key or the bug's fix
  versions name the release; a hotfix when its Jira key is the bug's and it is for that
  customer (every customer when it names none). Another customer's patch never counts.
- Live on production beats everything (even a Jira resolution of Won't Fix): the customer
  has the change. A production rollback with nothing live is `rolled_back`, before a
  preview that still has it, because production is what the customer asked about.
- A hotfix awaiting a second approval may yet be refused: like the customer's own hotfix
  list, the fix status does not count it until it is scheduled.
- `planned` without a window is a release that carries the fix but has no production wave
  for the customer yet (a draft, or planned before the customer existed).
- Done in Jira is not deployed: a bug resolved in Jira that nothing carries is not_planned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Environment, EnvironmentKind, get_customer
from rollout.dates import LOCALES
from rollout.errors import Invalid, NotFound
from rollout.jira.bugs import get_bug
from rollout.jira.models import Bug, StatusCategory
from rollout.releases.models import (
    Deployment,
    DeploymentStatus,
    Hotfix,
    HotfixStatus,
    Release,
    ReleaseItem,
    ReleaseStatus,
    hotfix_customer,
)
from rollout.support import replies
from rollout.support.models import Ticket, TicketBug
from rollout.support.tickets import find_ticket, get_ticket
from rollout.windows import Window


class FixState(StrEnum):
    NOT_PLANNED = "not_planned"
    PLANNED = "planned"
    IN_PREVIEW = "in_preview"
    DEPLOYED = "deployed"
    HOTFIX_SCHEDULED = "hotfix_scheduled"
    ROLLED_BACK = "rolled_back"
    WONT_FIX = "wont_fix"


# Jira resolutions that close a bug without a change to the product (compared lower-case).
WONT_FIX_RESOLUTIONS = frozenset(
    {
        "won't fix",
        "wont fix",
        "wontfix",
        "won't do",
        "declined",
        "rejected",
        "not a bug",
        "works as designed",
        "working as intended",
        "cannot reproduce",
        "can't reproduce",
        "obsolete",
    }
)
_UPCOMING = {DeploymentStatus.SCHEDULED, DeploymentStatus.IN_PROGRESS, DeploymentStatus.FAILED}
_OPEN_RELEASE = {ReleaseStatus.DRAFT, ReleaseStatus.SCHEDULED, ReleaseStatus.ROLLING_OUT}
_EPOCH = datetime.min.replace(tzinfo=UTC)
_CLOSED = {ReleaseStatus.CANCELLED, HotfixStatus.CANCELLED, HotfixStatus.AWAITING_APPROVAL}


@dataclass(frozen=True)
class BugFacts:
    key: str
    done: bool = False  # Jira's status category is Done
    resolution: str | None = None
    fix_versions: tuple[str, ...] = ()

    @classmethod
    def of(cls, bug: Bug) -> BugFacts:
        return cls(
            key=bug.key,
            done=bug.status_category == StatusCategory.DONE,
            resolution=bug.resolution,
            fix_versions=tuple(bug.fix_versions or ()),
        )

    @property
    def wont_fix(self) -> bool:
        resolution = (self.resolution or "").strip().lower().replace("\u2019", "'")
        return self.done and resolution in WONT_FIX_RESOLUTIONS


@dataclass(frozen=True)
class Slot:
    """The window a deployment sits in; `kind` is regular, ad_hoc or emergency."""

    starts_at: datetime
    ends_at: datetime
    kind: str = "regular"


@dataclass(frozen=True)
class Step:
    """One deployment of a release or hotfix to one customer's environment."""

    customer_id: int
    environment: str  # preview or production
    status: str  # a DeploymentStatus
    window: Slot | None = None
    scheduled_for: datetime | None = None
    finished_at: datetime | None = None

    @property
    def when(self) -> datetime | None:
        return self.window.starts_at if self.window else self.scheduled_for


@dataclass(frozen=True)
class Vehicle:
    kind: str  # release or hotfix
    name: str  # the release's version, or the hotfix's number


@dataclass(frozen=True)
class Carrier:
    """A release or hotfix with the Jira keys it names and its deployments."""

    vehicle: Vehicle
    status: str  # a ReleaseStatus or HotfixStatus
    jira_keys: frozenset[str] = frozenset()
    customer_ids: frozenset[int] = frozenset()  # a hotfix's customers; empty: everyone
    steps: tuple[Step, ...] = ()

    def carries(self, bug: BugFacts, customer_id: int) -> bool:
        """Whether this carries `bug`'s fix to that customer."""
        if self.vehicle.kind == "release":
            return bug.key in self.jira_keys or self.vehicle.name in bug.fix_versions
        if bug.key not in self.jira_keys:
            return False
        return not self.customer_ids or customer_id in self.customer_ids


@dataclass(frozen=True)
class Plan:
    """The production deployment ahead; no window means no date yet. `late`: its window
    ended and nobody reported it done."""

    vehicle: Vehicle
    window: Slot | None = None
    late: bool = False


@dataclass(frozen=True)
class FixStatus:
    bug: str
    state: FixState
    vehicle: Vehicle | None = None  # what brought it where it is (or the plan's)
    since: datetime | None = None  # deployed, in_preview: since; rolled_back: when
    next: Plan | None = None  # what comes next for production


def derive_fix_status(
    bug: BugFacts, customer_id: int, carriers: Iterable[Carrier], *, now: datetime
) -> FixStatus:
    """Where `bug`'s fix stands for the customer, from every release and hotfix there is
    (those not carrying it to this customer are ignored)."""
    mine = [c for c in carriers if c.carries(bug, customer_id)]
    steps = [(c, s) for c in mine for s in c.steps if s.customer_id == customer_id]
    production = [(c, s) for c, s in steps if s.environment == EnvironmentKind.PRODUCTION]
    live = [(c, s) for c, s in production if s.status == DeploymentStatus.SUCCEEDED]
    if live:
        carrier, step = min(live, key=_at)
        return FixStatus(bug.key, FixState.DEPLOYED, carrier.vehicle, _at((carrier, step)))
    plan = _next_plan(mine, production, now)
    rolled = [(c, s) for c, s in production if s.status == DeploymentStatus.ROLLED_BACK]
    if rolled:
        latest = max(rolled, key=_at)
        return FixStatus(bug.key, FixState.ROLLED_BACK, latest[0].vehicle, _at(latest), plan)
    preview = [
        (c, s)
        for c, s in steps
        if s.environment == EnvironmentKind.PREVIEW and s.status == DeploymentStatus.SUCCEEDED
    ]
    if preview:
        first = min(preview, key=_at)
        return FixStatus(bug.key, FixState.IN_PREVIEW, first[0].vehicle, _at(first), plan)
    if plan is not None:
        state = FixState.HOTFIX_SCHEDULED if plan.vehicle.kind == "hotfix" else FixState.PLANNED
        return FixStatus(bug.key, state, plan.vehicle, None, plan)
    if bug.wont_fix:
        return FixStatus(bug.key, FixState.WONT_FIX)
    return FixStatus(bug.key, FixState.NOT_PLANNED)


def _at(pair: tuple[Carrier, Step]) -> datetime:
    """When a deployment reached its outcome (an outcome is always reported with a time)."""
    step = pair[1]
    return step.finished_at or step.scheduled_for or _EPOCH


def _next_plan(
    mine: list[Carrier], production: list[tuple[Carrier, Step]], now: datetime
) -> Plan | None:
    """The earliest production deployment still to happen (a hotfix first on a tie), else a
    release that carries the fix but has no production date for the customer yet."""
    ahead = [
        (c, s)
        for c, s in production
        if s.status in _UPCOMING and c.status not in _CLOSED and s.when is not None
    ]
    if ahead:
        carrier, step = min(ahead, key=lambda cs: (cs[1].when, cs[0].vehicle.kind != "hotfix"))
        end = step.window.ends_at if step.window else step.when
        late = step.status != DeploymentStatus.IN_PROGRESS and end <= now
        return Plan(carrier.vehicle, step.window, late)
    with_production = {id(c) for c, _ in production}
    for carrier in mine:
        if (
            carrier.vehicle.kind == "release"
            and carrier.status in _OPEN_RELEASE
            and id(carrier) not in with_production
        ):
            return Plan(carrier.vehicle)
    return None


# ---- gathering the facts ------------------------------------------------------------------


def carriers_of(session: Session, bugs: list[Bug], customer_ids: Iterable[int]) -> list[Carrier]:
    """Every release and hotfix that names one of `bugs`, with their deployments to the
    customers in `customer_ids` (a few queries, whatever the number of deployments)."""
    keys = sorted({b.key for b in bugs})
    versions = sorted({v for b in bugs for v in (b.fix_versions or [])})
    customers = sorted(set(customer_ids))
    if not keys:
        return []
    named: dict[int, set[str]] = defaultdict(set)
    for release_id, key in session.execute(
        select(ReleaseItem.release_id, ReleaseItem.jira_key).where(ReleaseItem.jira_key.in_(keys))
    ):
        named[release_id].add(key)
    conditions = [Release.id.in_(sorted(named))] if named else []
    if versions:
        conditions.append(Release.version.in_(versions))
    releases = (
        session.execute(
            select(Release.id, Release.version, Release.status)
            .where(or_(*conditions))
            .order_by(Release.created_at, Release.id)
        ).all()
        if conditions
        else []
    )
    hotfixes = session.execute(
        select(Hotfix.id, Hotfix.jira_key, Hotfix.status)
        .where(Hotfix.jira_key.in_(keys))
        .order_by(Hotfix.created_at, Hotfix.id)
    ).all()
    targets: dict[int, set[int]] = defaultdict(set)
    if hotfixes:
        for hotfix_id, customer_id in session.execute(
            select(hotfix_customer.c.hotfix_id, hotfix_customer.c.customer_id).where(
                hotfix_customer.c.hotfix_id.in_([h.id for h in hotfixes])
            )
        ):
            targets[hotfix_id].add(customer_id)
    steps = _steps(session, [r.id for r in releases], [h.id for h in hotfixes], customers)
    carriers = [
        Carrier(
            Vehicle("release", r.version),
            r.status,
            frozenset(named.get(r.id, ())),
            steps=tuple(steps[("release", r.id)]),
        )
        for r in releases
    ]
    carriers += [
        Carrier(
            Vehicle("hotfix", str(h.id)),
            h.status,
            frozenset({h.jira_key}),
            frozenset(targets.get(h.id, ())),
            tuple(steps[("hotfix", h.id)]),
        )
        for h in hotfixes
    ]
    return carriers


def _steps(
    session: Session, release_ids: list[int], hotfix_ids: list[int], customer_ids: list[int]
) -> dict[tuple[str, int], list[Step]]:
    found: dict[tuple[str, int], list[Step]] = defaultdict(list)
    owners = []
    if release_ids:
        owners.append(Deployment.release_id.in_(release_ids))
    if hotfix_ids:
        owners.append(Deployment.hotfix_id.in_(hotfix_ids))
    if not owners or not customer_ids:
        return found
    # From the customers' few environments, not from the carriers' deployments: a release
    # reaches every environment, a customer has two.
    environments = list(
        session.scalars(select(Environment.id).where(Environment.customer_id.in_(customer_ids)))
    )
    if not environments:
        return found
    rows = session.execute(
        select(
            Deployment.release_id,
            Deployment.hotfix_id,
            Environment.customer_id,
            Environment.kind,
            Deployment.status,
            Deployment.scheduled_for,
            Deployment.finished_at,
            Window.starts_at,
            Window.ends_at,
            Window.kind,
        )
        .join(Environment, Deployment.environment_id == Environment.id)
        .outerjoin(Window, Deployment.window_id == Window.id)
        .where(Deployment.environment_id.in_(environments), or_(*owners))
        .order_by(Deployment.id)
    )
    for row in rows:
        owner = ("release", row[0]) if row[0] is not None else ("hotfix", row[1])
        slot = Slot(row[7], row[8], str(row[9])) if row[7] is not None else None
        found[owner].append(Step(row[2], str(row[3]), str(row[4]), slot, row[5], row[6]))
    return found


# ---- use cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BugAnswer:
    """One linked bug's status for the customer, with the text to paste."""

    status: FixStatus
    reply: str
    public_note: str | None = None


@dataclass
class CustomerAnswer:
    """The statuses of some bugs for one customer, in its language and zone."""

    customer: Customer
    lang: str
    zone: str
    ticket: Ticket | None = None
    items: list[BugAnswer] = field(default_factory=list)

    @property
    def reply(self) -> str:
        return "\n\n".join(item.reply for item in self.items)


def check_lang(lang: str | None, customer: Customer) -> str:
    """`lang` if it is en or fr; the customer's own language when None."""
    if lang is None or lang == "":
        return str(customer.locale)
    if lang not in LOCALES:
        raise Invalid(f"lang must be one of {', '.join(LOCALES)}", field="lang")
    return lang


def answer_for(
    session: Session,
    customer: Customer,
    bugs: list[Bug],
    *,
    lang: str | None,
    now: datetime,
    ticket: Ticket | None = None,
    carriers: list[Carrier] | None = None,
) -> CustomerAnswer:
    """The status of each of `bugs` for `customer`, with replies."""
    lang = check_lang(lang, customer)
    if carriers is None:
        carriers = carriers_of(session, bugs, [customer.id])
    answer = CustomerAnswer(customer, lang, customer.timezone, ticket)
    for bug in bugs:
        status = derive_fix_status(BugFacts.of(bug), customer.id, carriers, now=now)
        text = replies.reply(status, lang, customer.timezone)
        answer.items.append(BugAnswer(status, text, bug.public_note))
    return answer


def fix_status_for_ticket(
    session: Session, external_id: str, *, lang: str | None = None, now: datetime
) -> CustomerAnswer:
    """Each bug linked to the ticket, for the ticket's customer."""
    ticket = get_ticket(session, external_id, field="ticket")
    bugs = [link.bug for link in ticket.links]
    return answer_for(session, ticket.customer, bugs, lang=lang, now=now, ticket=ticket)


def fix_status_for_bug(
    session: Session, key: str, customer: str, *, lang: str | None = None, now: datetime
) -> CustomerAnswer:
    """One bug for one customer, whether or not one of its tickets names it."""
    bug = get_bug(session, key, field="bug")
    owner = get_customer(session, customer)
    return answer_for(session, owner, [bug], lang=lang, now=now)


def fix_status_by_customer(
    session: Session, key: str, *, lang: str | None = None, now: datetime
) -> list[CustomerAnswer]:
    """One bug for every customer with a ticket linked to it, by customer slug."""
    bug = get_bug(session, key, field="bug")
    customers = list(
        session.scalars(
            select(Customer)
            .where(
                Customer.id.in_(
                    select(Ticket.customer_id)
                    .join(TicketBug, TicketBug.ticket_id == Ticket.id)
                    .where(TicketBug.bug_id == bug.id)
                )
            )
            .order_by(Customer.slug)
        )
    )
    carriers = carriers_of(session, [bug], [c.id for c in customers])
    return [answer_for(session, c, [bug], lang=lang, now=now, carriers=carriers) for c in customers]


def look_up(
    session: Session,
    query: str,
    *,
    customer: str | None = None,
    lang: str | None = None,
    now: datetime,
) -> list[CustomerAnswer]:
    """What a support agent typed: a ticket id (its customer's answer) or a Jira key (for
    `customer`, else for every customer with a ticket on it); NotFound naming `q`."""
    query = (query or "").strip()
    if not query:
        raise Invalid("type a ticket id or a Jira key", field="q")
    if (ticket := find_ticket(session, query)) is not None:
        return [fix_status_for_ticket(session, ticket.external_id, lang=lang, now=now)]
    key = query.upper()
    if session.scalar(select(Bug.id).where(Bug.key == key)) is None:
        raise NotFound(f"no ticket or synced Jira issue {query!r}", field="q")
    if customer:
        return [fix_status_for_bug(session, key, customer, lang=lang, now=now)]
    return fix_status_by_customer(session, key, lang=lang, now=now)
