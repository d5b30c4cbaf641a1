"""What reached which environment: outcomes reported by pipelines, and environment state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Environment, get_customer
from rollout.errors import Conflict, Invalid, NotFound
from rollout.events import (
    DeploymentsRolledBack,
    DeploymentsSucceeded,
    HotfixApplied,
    ReleaseCompleted,
    publish,
)
from rollout.releases.models import (
    Deployment,
    DeploymentOutcome,
    DeploymentStatus,
    Hotfix,
    HotfixStatus,
    Release,
    ReleaseItem,
    ReleaseStatus,
    Wave,
)
from rollout.releases.releases import get_release
from rollout.validation import check_text, optional_text

# Which outcome may follow which: a failure can be retried or rolled back, a success rolled
# back, and a rolled-back environment redeployed once the fix for the fix is ready. Menus list
# them in this order.
_NEXT = {
    DeploymentStatus.SCHEDULED: (
        DeploymentStatus.IN_PROGRESS,
        DeploymentStatus.SUCCEEDED,
        DeploymentStatus.FAILED,
    ),
    DeploymentStatus.IN_PROGRESS: (DeploymentStatus.SUCCEEDED, DeploymentStatus.FAILED),
    DeploymentStatus.FAILED: (
        DeploymentStatus.IN_PROGRESS,
        DeploymentStatus.SUCCEEDED,
        DeploymentStatus.ROLLED_BACK,
    ),
    DeploymentStatus.SUCCEEDED: (DeploymentStatus.ROLLED_BACK,),
    DeploymentStatus.ROLLED_BACK: (
        DeploymentStatus.IN_PROGRESS,
        DeploymentStatus.SUCCEEDED,
        DeploymentStatus.FAILED,
    ),
}
_STANDS = {
    DeploymentStatus.SCHEDULED: "is scheduled",
    DeploymentStatus.IN_PROGRESS: "is in progress",
    DeploymentStatus.SUCCEEDED: "already succeeded",
    DeploymentStatus.FAILED: "failed",
    DeploymentStatus.ROLLED_BACK: "was rolled back",
}
_RECORDED = {
    DeploymentStatus.SCHEDULED: "scheduled",
    DeploymentStatus.SUCCEEDED: "succeeded",
    DeploymentStatus.FAILED: "failed",
}
EARLY_REASON_LENGTH = 200


def allowed_outcomes(*statuses: str) -> list[DeploymentStatus]:
    """The outcomes that may follow every one of `statuses`, in menu order: one deployment's
    status, or each status among a wave's deployments (a wave's report is all or nothing)."""
    if not statuses:
        return []
    return [s for s in DeploymentStatus if all(s in _NEXT[DeploymentStatus(c)] for c in statuses)]


def get_deployment(session: Session, deployment_id: int) -> Deployment:
    """The deployment with `deployment_id`, or NotFound."""
    deployment = session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound(f"no deployment #{deployment_id}", field="id")
    return deployment


def report_outcome(
    session: Session,
    deployment: Deployment,
    *,
    status: str,
    note: str = "",
    early: bool = False,
    early_reason: str | None = None,
    actor: str,
    now: datetime,
) -> Deployment:
    """Record what happened to one deployment and roll the release or hotfix status up. A
    success before the deployment's window starts needs `early` and a one-line reason."""
    outcome = _check_outcome(
        deployment, status, early, early_reason, now=now, subject="This deployment"
    )
    note = optional_text(note, field="note") or ""
    _apply(session, [deployment], outcome, note=note, actor=actor, now=now)
    _roll_up(session, deployment, now)
    session.flush()
    _announce(session, [deployment], outcome.status, now)
    return deployment


def report_wave(
    session: Session,
    wave_id: int,
    *,
    status: str,
    note: str = "",
    early: bool = False,
    early_reason: str | None = None,
    actor: str,
    now: datetime,
) -> list[Deployment]:
    """The same outcome for every deployment of a wave, all or nothing."""
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(f"no wave #{wave_id}", field="wave")
    reported = list(wave.deployments)
    # Check every deployment before touching any, so a refusal leaves the wave as it was.
    outcomes = [
        _check_outcome(d, status, early, early_reason, now=now, subject=d.environment.name)
        for d in reported
    ]
    if not reported:
        return reported
    note = optional_text(note, field="note") or ""
    # The early reason is kept only on the deployments that did run before their window.
    for outcome in dict.fromkeys(outcomes):
        alike = [d for d, o in zip(reported, outcomes, strict=True) if o == outcome]
        _apply(session, alike, outcome, note=note, actor=actor, now=now)
    _roll_up(session, reported[0], now)
    session.flush()
    _announce(session, reported, outcomes[0].status, now)
    return reported


def deployment_history(session: Session, deployment: Deployment) -> list[DeploymentOutcome]:
    """Every outcome reported for `deployment`, oldest first."""
    return list(
        session.scalars(
            select(DeploymentOutcome)
            .where(DeploymentOutcome.deployment_id == deployment.id)
            .order_by(DeploymentOutcome.id)
        )
    )


@dataclass(frozen=True)
class _Outcome:
    status: DeploymentStatus
    early_reason: str | None


def _check_outcome(
    deployment: Deployment,
    status: str,
    early: bool,
    early_reason: str | None,
    *,
    now: datetime,
    subject: str,
) -> _Outcome:
    try:
        wanted = DeploymentStatus(status)
    except ValueError:
        raise Invalid(
            f"status must be one of {', '.join(DeploymentStatus)}", field="status"
        ) from None
    current = DeploymentStatus(deployment.status)
    if wanted not in _NEXT[current]:
        raise Conflict(_refusal(subject, current, wanted), field="status")
    reason = None
    if early:
        if not (early_reason or "").strip():
            raise Invalid("say why you deployed before the window", field="early_reason")
        reason = check_text(early_reason, field="early_reason", max_length=EARLY_REASON_LENGTH)
    starts = deployment.window.starts_at if deployment.window else deployment.scheduled_for
    ran_early = wanted == DeploymentStatus.SUCCEEDED and starts is not None and now < starts
    if ran_early and not early:
        raise Conflict(
            f"{subject}'s window starts {starts:%Y-%m-%d %H:%M} UTC: a success before then "
            "is recorded only when the deploy ran early, with the reason",
            field="early",
        )
    return _Outcome(wanted, reason if ran_early else None)


def _refusal(subject: str, current: DeploymentStatus, wanted: DeploymentStatus) -> str:
    """E.g. "This deployment already succeeded; it can be rolled back but not restarted"."""

    def verb(status: DeploymentStatus) -> str:
        if status == DeploymentStatus.IN_PROGRESS:
            return "started" if current == DeploymentStatus.SCHEDULED else "restarted"
        if status == DeploymentStatus.ROLLED_BACK:
            return "rolled back" + (" again" if current == status else "")
        return f"recorded as {_RECORDED[status]}" + (" again" if current == status else "")

    allowed = _NEXT[current]
    can = [verb(s) for s in allowed if s not in _RECORDED]
    if records := [_RECORDED[s] for s in allowed if s in _RECORDED]:
        can.append("recorded as " + " or ".join(records))
    listed = ", ".join(can[:-1]) + " or " + can[-1] if len(can) > 1 else can[0]
    return f"{subject} {_STANDS[current]}; it can be {listed} but not {verb(wanted)}"


def _apply(
    session: Session,
    deployments: list[Deployment],
    outcome: _Outcome,
    *,
    note: str,
    actor: str,
    now: datetime,
) -> None:
    for deployment in deployments:
        if outcome.status == DeploymentStatus.IN_PROGRESS or deployment.started_at is None:
            deployment.started_at = now
        if outcome.status != DeploymentStatus.IN_PROGRESS:
            deployment.finished_at = now
        deployment.status = outcome.status
        deployment.reported_by = actor
        deployment.note = note
        deployment.updated_at = now
    session.flush()
    # A wave reaches thousands of environments: their history rows in one bulk INSERT.
    session.execute(
        insert(DeploymentOutcome),
        [
            {
                "deployment_id": d.id,
                "status": outcome.status,
                "note": note,
                "early_reason": outcome.early_reason,
                "reported_by": actor,
                "recorded_at": now,
            }
            for d in deployments
        ],
    )


def _roll_up(session: Session, deployment: Deployment, now: datetime) -> None:
    if deployment.release is not None:
        _roll_up_release(session, deployment.release, now)
    if deployment.hotfix is not None:
        _roll_up_hotfix(session, deployment.hotfix, now)


def _announce(
    session: Session, deployments: list[Deployment], status: DeploymentStatus, now: datetime
) -> None:
    event = {
        DeploymentStatus.SUCCEEDED: DeploymentsSucceeded,
        DeploymentStatus.ROLLED_BACK: DeploymentsRolledBack,
    }.get(status)
    if event is not None and deployments:
        publish(session, event(tuple(deployments)), now=now)


def find_deployment(
    session: Session,
    *,
    environment: str,
    release: str | None = None,
    hotfix: int | None = None,
    wave: int | None = None,
) -> Deployment:
    """The deployment of a release or hotfix to the environment named like `acme-preview`."""
    env = session.scalar(select(Environment).where(Environment.name == environment))
    if env is None:
        raise NotFound(f"no environment {environment!r}", field="environment")
    query = select(Deployment).where(Deployment.environment_id == env.id)
    if release is not None:
        query = query.where(
            Deployment.release_id == get_release(session, release, field="release").id
        )
    elif hotfix is not None:
        if session.get(Hotfix, hotfix) is None:
            raise NotFound(f"no hotfix #{hotfix}", field="hotfix")
        query = query.where(Deployment.hotfix_id == hotfix)
    else:
        raise Invalid("name the release or the hotfix", field="release")
    if wave is not None:
        query = query.where(Deployment.wave_id == wave)
    deployment = session.scalar(query.order_by(Deployment.id.desc()))
    if deployment is None:
        where = f" in wave #{wave}" if wave is not None else ""
        raise Invalid(
            f"environment {environment} is not part of this rollout{where}", field="environment"
        )
    return deployment


def _roll_up_release(session: Session, release: Release, now: datetime) -> None:
    if release.status == ReleaseStatus.CANCELLED:
        # A rollback after cancelling is recorded; the release stays cancelled.
        release.updated_at = now
        return
    # One query, not every wave's deployments loaded: a release reaches thousands.
    statuses = set(
        session.scalars(
            select(Deployment.status)
            .join(Wave, Deployment.wave_id == Wave.id)
            .where(Wave.release_id == release.id)
            .distinct()
        )
    )
    if statuses and statuses <= {DeploymentStatus.SUCCEEDED}:
        release.status = ReleaseStatus.COMPLETED
        if release.completed_at is None:
            release.completed_at = now
            publish(session, ReleaseCompleted(release), now=now)
    elif statuses - {DeploymentStatus.SCHEDULED}:
        release.status = ReleaseStatus.ROLLING_OUT
    release.updated_at = now


def _roll_up_hotfix(session: Session, hotfix: Hotfix, now: datetime) -> None:
    if all(d.status == DeploymentStatus.SUCCEEDED for d in hotfix.deployments):
        if hotfix.status != HotfixStatus.APPLIED:
            hotfix.status = HotfixStatus.APPLIED
            publish(session, HotfixApplied(hotfix), now=now)
    elif hotfix.status == HotfixStatus.APPLIED:
        hotfix.status = HotfixStatus.SCHEDULED
    hotfix.updated_at = now


@dataclass
class EnvironmentState:
    """What an environment runs now, what it got on top, what comes next, and its history."""

    environment: Environment
    current_release: Release | None = None
    hotfixes: list[Hotfix] = field(default_factory=list)
    upcoming: list[Deployment] = field(default_factory=list)
    history: list[Deployment] = field(default_factory=list)

    @property
    def coming(self) -> list[Deployment]:
        """What a customer is told comes next: the upcoming deployments, less those of a
        release or hotfix cancelled since they were planned."""
        return [
            d
            for d in self.upcoming
            if not (d.release is not None and d.release.status == ReleaseStatus.CANCELLED)
            and not (d.hotfix is not None and d.hotfix.status == HotfixStatus.CANCELLED)
        ]


def environment_states(session: Session, customer: str) -> list[EnvironmentState]:
    """Every environment of `customer` with its state, preview first."""
    owner: Customer = get_customer(session, customer)
    states = []
    for env in owner.environments:
        deployments = list(
            session.scalars(
                select(Deployment)
                .where(Deployment.environment_id == env.id)
                .order_by(Deployment.scheduled_for, Deployment.id)
            )
        )
        done = sorted(
            (d for d in deployments if d.finished_at), key=lambda d: (d.finished_at, d.id)
        )
        state = EnvironmentState(environment=env, history=done)
        for deployment in done:
            if deployment.status != DeploymentStatus.SUCCEEDED:
                continue
            if deployment.release is not None:
                # A newer release carries the hotfixes that came before it.
                state.current_release, state.hotfixes = deployment.release, []
            elif deployment.hotfix is not None:
                state.hotfixes.append(deployment.hotfix)
        state.upcoming = [
            d
            for d in deployments
            if d.status
            in (DeploymentStatus.SCHEDULED, DeploymentStatus.IN_PROGRESS, DeploymentStatus.FAILED)
        ]
        states.append(state)
    return states


def environments_with_fix(session: Session, jira_key: str) -> list[Environment]:
    """Environments whose live deployments carry the fix for `jira_key` (not rolled back)."""
    by_release = (
        select(Deployment.environment_id)
        .join(Release)
        .join(ReleaseItem)
        .where(ReleaseItem.jira_key == jira_key, Deployment.status == DeploymentStatus.SUCCEEDED)
    )
    by_hotfix = (
        select(Deployment.environment_id)
        .join(Hotfix)
        .where(Hotfix.jira_key == jira_key, Deployment.status == DeploymentStatus.SUCCEEDED)
    )
    ids = set(session.scalars(by_release)) | set(session.scalars(by_hotfix))
    if not ids:
        return []
    return list(
        session.scalars(
            select(Environment).where(Environment.id.in_(ids)).order_by(Environment.name)
        )
    )
