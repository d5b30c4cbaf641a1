"""Staged rollout: preview first, a soak time, then production region by region, around
freezes and customers' event plans. The proposal is a pure function; the rest stores it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import Customer, EnvironmentKind
from rollout.errors import Conflict, Invalid, NotFound
from rollout.freezes import Freeze, blocking, list_freezes
from rollout.releases.models import Deployment, DeploymentStatus, Release, ReleaseStatus, Wave
from rollout.releases.releases import get_release
from rollout.scheduling import Span
from rollout.windows import Window, WindowKind, WindowStatus, get_window

_OPEN = (WindowStatus.PLANNED, WindowStatus.ANNOUNCED)


@dataclass(frozen=True)
class Target:
    """One environment to deploy to."""

    environment_id: int
    customer_id: int
    customer: str
    region_id: int
    kind: EnvironmentKind


@dataclass(frozen=True)
class Slot:
    """A window a wave can sit in."""

    window_id: int
    region_id: int
    span: Span


@dataclass
class ProposedWave:
    kind: EnvironmentKind
    region_id: int
    slot: Slot
    targets: list[Target] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # why some targets are here


def propose_waves(
    targets: list[Target],
    slots: dict[int, list[Slot]],
    freezes: list[Freeze],
    *,
    soak: timedelta,
    now: datetime,
) -> list[ProposedWave]:
    """Preview in each region's next window, production in the first one `soak` after the
    customer's preview ended; a customer frozen in a slot moves to its next allowed one."""
    waves: dict[tuple, ProposedWave] = {}
    preview_end: dict[int, datetime] = {}
    for kind in (EnvironmentKind.PREVIEW, EnvironmentKind.PRODUCTION):
        for target in sorted(
            (t for t in targets if t.kind == kind), key=lambda t: (t.region_id, t.customer)
        ):
            earliest = (
                now
                if kind == EnvironmentKind.PREVIEW
                else (preview_end.get(target.customer_id, now) + soak)
            )
            candidates = [s for s in slots.get(target.region_id, []) if s.span.start >= earliest]
            if not candidates:
                raise Conflict(
                    f"no {kind} window for {target.customer} after "
                    f"{earliest:%Y-%m-%d %H:%M}Z within the planned horizon; plan "
                    "further ahead with `rollout plan --until`",
                    field="windows",
                )
            chosen, skipped = _first_allowed(target, candidates, freezes)
            if chosen is None:
                raise Conflict(
                    f"every {kind} window for {target.customer} is frozen "
                    "within the planned horizon",
                    field="windows",
                )
            wave = waves.setdefault(
                (kind, target.region_id, chosen.window_id),
                ProposedWave(kind, target.region_id, chosen),
            )
            wave.targets.append(target)
            if skipped:
                wave.deferred.append(f"{target.customer} moved past {skipped.title!r}")
            if kind == EnvironmentKind.PREVIEW:
                preview_end[target.customer_id] = chosen.span.end
    return sorted(
        waves.values(), key=lambda w: (w.slot.span.start, w.kind != "preview", w.region_id)
    )


def _first_allowed(
    target: Target, candidates: list[Slot], freezes: list[Freeze]
) -> tuple[Slot | None, Freeze | None]:
    skipped = None
    for slot in candidates:
        frozen = blocking(
            freezes, slot.span, region_id=target.region_id, customer_id=target.customer_id
        )
        if not frozen:
            return slot, skipped
        skipped = skipped or frozen[0]
    return None, skipped


def plan_release(session: Session, version: str, *, actor: str, now: datetime) -> Release:
    """Replace the release's waves with a fresh proposal; the release becomes scheduled."""
    release = get_release(session, version)
    if release.status not in (ReleaseStatus.DRAFT, ReleaseStatus.SCHEDULED):
        raise Conflict(
            f"release {version} is {release.status}; only a draft or scheduled "
            "release can be planned",
            field="status",
        )
    targets = _all_targets(session)
    if not targets:
        raise Conflict("there are no customer environments to deploy to", field="customers")
    slots = _slots(session, now)
    horizon = max((s.span.end for region in slots.values() for s in region), default=now)
    freezes = list_freezes(session, start=now, end=horizon)
    proposal = propose_waves(
        targets, slots, freezes, soak=timedelta(days=release.soak_days), now=now
    )
    for wave in list(release.waves):
        for deployment in wave.deployments:
            session.delete(deployment)
        release.waves.remove(wave)
    session.flush()
    for position, proposed in enumerate(proposal, start=1):
        window = session.get(Window, proposed.slot.window_id)
        wave = Wave(
            position=position,
            environment_kind=proposed.kind,
            window=window,
            name=f"{proposed.kind.title()} · {window.region.slug}",
            selector=f"{proposed.kind} environments in {window.region.slug}",
            note="; ".join(proposed.deferred),
        )
        release.waves.append(wave)
        for target in proposed.targets:
            session.add(
                Deployment(
                    environment_id=target.environment_id,
                    release=release,
                    wave=wave,
                    window_id=window.id,
                    status=DeploymentStatus.SCHEDULED,
                    scheduled_for=window.starts_at,
                    created_at=now,
                    updated_at=now,
                )
            )
    release.status = ReleaseStatus.SCHEDULED
    release.updated_at = now
    session.flush()
    return release


def move_wave(session: Session, wave_id: int, *, window_id: int, now: datetime) -> Wave:
    """Put a wave in another window; refused if it breaks a freeze, the order or the soak."""
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(f"no wave #{wave_id}", field="wave")
    if any(d.status != DeploymentStatus.SCHEDULED for d in wave.deployments):
        raise Conflict("this wave has started; record outcomes instead", field="wave")
    window = get_window(session, window_id)
    if window.region_id != wave.window.region_id or window.customer_id is not None:
        raise Invalid(
            f"window #{window.id} is not a {wave.window.region.slug} region window", field="window"
        )
    if window.status not in _OPEN or window.starts_at <= now:
        raise Invalid(f"window #{window.id} is {window.status} or already begun", field="window")
    freezes = list_freezes(session, start=window.starts_at, end=window.ends_at)
    soak = timedelta(days=wave.release.soak_days)
    for deployment in wave.deployments:
        customer = deployment.environment.customer
        frozen = blocking(freezes, window.span, region_id=window.region_id, customer_id=customer.id)
        if frozen:
            raise Conflict(
                f"{customer.slug} is frozen then: {frozen[0].describe()}", field="window"
            )
        _check_order(wave, customer, window, soak)
    wave.window = window
    for deployment in wave.deployments:
        deployment.window_id, deployment.scheduled_for = window.id, window.starts_at
        deployment.updated_at = now
    wave.release.updated_at = now
    session.flush()
    return wave


def _check_order(wave: Wave, customer: Customer, window: Window, soak: timedelta) -> None:
    for other in wave.release.waves:
        if other.id == wave.id:
            continue
        mine = [d for d in other.deployments if d.environment.customer_id == customer.id]
        if not mine:
            continue
        if (
            other.environment_kind == EnvironmentKind.PREVIEW
            and wave.environment_kind == EnvironmentKind.PRODUCTION
            and window.starts_at < other.window.ends_at + soak
        ):
            raise Conflict(
                f"{customer.slug}'s production must start at least "
                f"{soak.days} days after its preview ends "
                f"({other.window.ends_at + soak:%Y-%m-%d %H:%M}Z)",
                field="window",
            )
        if (
            other.environment_kind == EnvironmentKind.PRODUCTION
            and wave.environment_kind == EnvironmentKind.PREVIEW
            and window.ends_at + soak > other.window.starts_at
        ):
            raise Conflict(
                f"{customer.slug}'s preview must end {soak.days} days before its production starts",
                field="window",
            )


def _all_targets(session: Session) -> list[Target]:
    customers = session.scalars(select(Customer).order_by(Customer.slug))
    return [
        Target(
            environment_id=e.id,
            customer_id=c.id,
            customer=c.slug,
            region_id=c.region_id,
            kind=e.kind,
        )
        for c in customers
        for e in c.environments
    ]


def _slots(session: Session, now: datetime) -> dict[int, list[Slot]]:
    windows = session.scalars(
        select(Window)
        .where(
            Window.kind == WindowKind.REGULAR,
            Window.customer_id.is_(None),
            Window.status.in_(_OPEN),
            Window.starts_at > now,
        )
        .order_by(Window.starts_at)
    )
    slots: dict[int, list[Slot]] = defaultdict(list)
    for window in windows:
        slots[window.region_id].append(Slot(window.id, window.region_id, window.span))
    return slots


def region_dates(release: Release) -> dict[str, dict[str, datetime]]:
    """For each region slug, when its preview and production waves start (first wave)."""
    dates: dict[str, dict[str, datetime]] = defaultdict(dict)
    for wave in release.waves:
        region = wave.window.region.slug
        kind = str(wave.environment_kind)
        if kind not in dates[region] or wave.window.starts_at < dates[region][kind]:
            dates[region][kind] = wave.window.starts_at
    return dict(dates)
