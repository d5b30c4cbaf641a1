"""Triage: open bugs ranked by the tickets and customers they hold up, each with the vehicle
seed 000's priority × severity reading recommends (a hotfix now, the next window, a later
release), so the release manager sees what belongs in the next window or a hotfix.

Seed 000 scores a defect twice: its priority (Critical … Low: how much it hurts) and its
severity, "the risk of addressing it", from Hyper-local to Deep and Wide (how far the fix
reaches, and so how much QA it needs). A hotfix skips the monthly QA cycle, so only an
urgent fix with a contained risk qualifies; a wide fix waits for a window's full QA, and a
low-priority one rides the release that next works on that area ("enhancements are tackled
... when we are working on that area of the application for a Release").

                 hyper-local  local        moderate     widespread   deep and wide
    Critical     hotfix now   hotfix now   hotfix now   next window  next window
    High         next window  next window  next window  next window  later release
    Medium       next window  next window  later        later        later
    Low          later        later        later        later        later

The score is a cost of delay over the fix's size: priority weight × reach × risk factor,
where reach sums, over each customer still waiting, its tier weight (platinum 5, gold 3,
silver 2, standard 1) plus half that for every further ticket of the same customer, and the
risk factor favours contained fixes (1.5 hyper-local … 0.6 deep and wide). A bug whose
priority or severity Jira does not give is scored as Medium / Moderate and marked assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import case, func, null, select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Tier
from rollout.jira.models import Bug, Priority, Severity, StatusCategory
from rollout.releases.models import HotfixStatus, ReleaseStatus
from rollout.support.fix_status.facts import carriers_of
from rollout.support.fix_status.rule import WONT_FIX_RESOLUTIONS, BugFacts, Vehicle
from rollout.support.models import BugWaiting, Ticket, TicketBug


class Recommendation(StrEnum):
    HOTFIX_NOW = "hotfix_now"
    NEXT_WINDOW = "next_window"
    LATER_RELEASE = "later_release"


_H, _N, _L = Recommendation.HOTFIX_NOW, Recommendation.NEXT_WINDOW, Recommendation.LATER_RELEASE
SEVERITIES = list(Severity)  # narrowest first
MATRIX: dict[Priority, tuple[Recommendation, ...]] = {
    Priority.CRITICAL: (_H, _H, _H, _N, _N),
    Priority.HIGH: (_N, _N, _N, _N, _L),
    Priority.MEDIUM: (_N, _N, _L, _L, _L),
    Priority.LOW: (_L, _L, _L, _L, _L),
}
TIER_WEIGHT = {Tier.STANDARD: 1, Tier.SILVER: 2, Tier.GOLD: 3, Tier.PLATINUM: 5}
TIERS_HIGHEST_FIRST = sorted(TIER_WEIGHT, key=lambda tier: -TIER_WEIGHT[tier])
PRIORITY_WEIGHT = {Priority.CRITICAL: 8, Priority.HIGH: 4, Priority.MEDIUM: 2, Priority.LOW: 1}
RISK_FACTOR = {
    Severity.HYPER_LOCAL: 1.5,
    Severity.LOCAL: 1.25,
    Severity.MODERATE: 1.0,
    Severity.WIDESPREAD: 0.8,
    Severity.DEEP_AND_WIDE: 0.6,
}
EXTRA_TICKET = 0.5  # each further ticket of a customer already counted


@dataclass(frozen=True)
class HeldUp:
    """One customer's tickets waiting for a bug's fix."""

    tier: str
    tickets: int


def recommend(priority: str | None, severity: str | None) -> Recommendation:
    """Seed 000's vehicle for a fix of this priority and risk (unknown: Medium/Moderate)."""
    row = MATRIX[Priority(priority) if priority else Priority.MEDIUM]
    return row[SEVERITIES.index(Severity(severity) if severity else Severity.MODERATE)]


def reach(held_up: list[HeldUp]) -> float:
    """Customers waiting weighted by tier, plus half a weight per further ticket."""
    return sum(
        TIER_WEIGHT[h.tier] * (1 + EXTRA_TICKET * max(h.tickets - 1, 0))
        for h in held_up
        if h.tickets > 0
    )


def score(priority: str | None, severity: str | None, held_up: list[HeldUp]) -> float:
    """How urgently the fix is owed: priority weight × reach × risk factor."""
    return _score(priority, severity, reach(held_up))


def _score(priority: str | None, severity: str | None, reached: float) -> float:
    weight = PRIORITY_WEIGHT[Priority(priority) if priority else Priority.MEDIUM]
    risk = RISK_FACTOR[Severity(severity) if severity else Severity.MODERATE]
    return round(weight * reached * risk, 2)


@dataclass
class TriageItem:
    bug: Bug
    score: float
    recommendation: Recommendation
    tickets: int = 0  # still waiting for the fix
    customers: int = 0
    tiers: list[tuple[str, int]] = field(default_factory=list)  # customers, highest tier first
    worst_sla: int | None = None
    carriers: list[Vehicle] = field(default_factory=list)  # the releases and hotfixes with the fix

    @property
    def carried_by(self) -> list[str]:
        """The carriers as the API names them: "release 2026.12", "hotfix #3"."""
        return [
            f"release {v.name}" if v.kind == "release" else f"hotfix #{v.name}"
            for v in self.carriers
        ]

    @property
    def assumed(self) -> bool:
        return self.bug.priority is None or self.bug.severity is None


def triage(session: Session, *, limit: int | None = None, offset: int = 0) -> list[TriageItem]:
    """Bugs still owed to someone, highest score first, `offset` of them skipped: open in
    Jira, or done there but with tickets whose customer does not have the fix live yet;
    never Won't Fix or deleted.

    The bugs someone waits for come first, read down the index of the scores stored in
    `bug_waiting` (`rollout/support/waiting.py`) with what the page shows of them; then,
    scored 0, the open bugs nobody waits for. Only the carriers are read besides, for the
    bugs shown alone."""
    live = (Bug.deleted_at.is_(None), ~_wont_fix())
    waited = select(Bug, BugWaiting).join(BugWaiting, BugWaiting.bug_id == Bug.id).where(*live)
    rows = list(
        session.execute(
            waited.order_by(
                BugWaiting.score40.desc(),
                _priority_weight().desc(),
                BugWaiting.tickets.desc(),
                Bug.key,
            )
            .offset(offset)
            .limit(limit)
        )
    )
    if limit is None or len(rows) < limit:
        counted = session.scalar(waited.with_only_columns(func.count()))
        nobody = (
            select(Bug, null())
            .where(*live, Bug.status_category != StatusCategory.DONE)
            .where(~select(BugWaiting.bug_id).where(BugWaiting.bug_id == Bug.id).exists())
            .order_by(_priority_weight().desc(), Bug.key)
            .offset(max(offset - counted, 0))
            .limit(None if limit is None else limit - len(rows))
        )
        rows += session.execute(nobody)
    carriers = carriers_of(session, [bug for bug, _ in rows], [])
    return [_item(bug, waiting, carriers) for bug, waiting in rows]


def _item(bug: Bug, waiting: BugWaiting | None, carriers) -> TriageItem:
    facts = BugFacts.of(bug)
    item = TriageItem(
        bug=bug,
        score=_score(bug.priority, bug.severity, waiting.reach_halves / 2 if waiting else 0),
        recommendation=recommend(bug.priority, bug.severity),
        carriers=[
            c.vehicle
            for c in carriers
            if c.status not in (ReleaseStatus.CANCELLED, HotfixStatus.CANCELLED)
            and (c.carries(facts, 0) if c.vehicle.kind == "release" else bug.key in c.jira_keys)
        ],
    )
    if waiting is not None:
        item.tickets, item.customers, item.worst_sla = (
            waiting.tickets,
            waiting.customers,
            waiting.worst_sla,
        )
        counts = [(str(tier), getattr(waiting, tier)) for tier in TIERS_HIGHEST_FIRST]
        item.tiers = [(tier, n) for tier, n in counts if n]
    return item


def stored_score(reach_halves):
    """The score × 40 in SQL, from twice the reach: priority weight × 20 × the risk factor
    × twice the reach, a whole number. Scores are multiples of 1/40 (a reach is a multiple
    of ½), so two of them that differ still differ once rounded to cents, and the order of
    these is the one `score` gives."""
    risk = case(
        {str(s): round(f * 20) for s, f in RISK_FACTOR.items()}, value=Bug.severity, else_=20
    )
    return _priority_weight() * risk * reach_halves


def _priority_weight():
    return case({str(p): w for p, w in PRIORITY_WEIGHT.items()}, value=Bug.priority, else_=2)


def _wont_fix():
    """`BugFacts.wont_fix` in SQL: done, with a won't-fix resolution."""
    resolution = func.lower(func.trim(func.replace(Bug.resolution, "\u2019", "'")))
    return (Bug.status_category == StatusCategory.DONE) & resolution.in_(WONT_FIX_RESOLUTIONS)


def waiting_per_customer():
    """Per bug and customer still waiting for its fix: the tier, tickets and worst SLA, which
    `waiting.refresh_waiting` sums into each bug's stored row."""
    return (
        select(
            TicketBug.bug_id.label("bug_id"),
            Customer.tier.label("tier"),
            func.count(TicketBug.id).label("tickets"),
            func.min(Ticket.sla_level).label("worst_sla"),
        )
        .join(Ticket, TicketBug.ticket_id == Ticket.id)
        .join(Customer, Ticket.customer_id == Customer.id)
        .where(TicketBug.fix_live_at.is_(None))
        # A customer's tier is its own: grouped by the customer's id, it needs no grouping.
        .group_by(TicketBug.bug_id, Customer.id)
    )
