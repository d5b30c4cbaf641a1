"""Where a bug's fix stands for one customer: derived from the releases and hotfixes that
carry it and their deployments to that customer's environments, never typed in.

This is the rule, a pure function over frozen values (`derive_fix_status`) that needs no
session; `facts.py` gathers the values and `answers.py` holds the use cases.

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
  for the customer yet (a draft, or planned before the customer existed), or whose
  production deployment has no date yet (`hotfix_scheduled` likewise for a hotfix).
- Done in Jira is not deployed: a bug resolved in Jira that nothing carries is not_planned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from rollout.customers import EnvironmentKind
from rollout.jira.models import Bug, StatusCategory
from rollout.releases.models import DeploymentStatus, HotfixStatus, ReleaseStatus


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
    """The earliest production deployment still to happen (a hotfix first on a tie; one with
    no date yet after every dated one), else a release that carries the fix but has no
    production deployment for the customer yet."""
    ahead = [(c, s) for c, s in production if s.status in _UPCOMING and c.status not in _CLOSED]
    dated = [(c, s) for c, s in ahead if s.when is not None]
    if dated:
        carrier, step = min(dated, key=lambda cs: (cs[1].when, _hotfix_first(cs[0])))
        end = step.window.ends_at if step.window else step.when
        late = step.status != DeploymentStatus.IN_PROGRESS and end <= now
        return Plan(carrier.vehicle, step.window, late)
    if ahead:
        return Plan(min((c for c, _ in ahead), key=_hotfix_first).vehicle)
    with_production = {id(c) for c, _ in production}
    for carrier in mine:
        if (
            carrier.vehicle.kind == "release"
            and carrier.status in _OPEN_RELEASE
            and id(carrier) not in with_production
        ):
            return Plan(carrier.vehicle)
    return None


def _hotfix_first(carrier: Carrier) -> bool:
    """A sort key putting hotfixes before releases: the customer hears of the hotfix."""
    return carrier.vehicle.kind != "hotfix"
