"""Staged rollout: preview first, a soak time, then production region by region, around
freezes and customers' event plans. The proposal is a pure function; the rest stores it."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from rollout.customers import Customer, EnvironmentKind, Region
from rollout.db import lock_row
from rollout.errors import Conflict, Invalid, NotFound
from rollout.events import ReleaseScheduled, publish
from rollout.freezes import Freeze, FreezeScope, blocking, list_freezes
from rollout.releases.models import Deployment, DeploymentStatus, Release, ReleaseStatus, Wave
from rollout.releases.placement import check_fits
from rollout.releases.releases import get_release
from rollout.scheduling import Span
from rollout.windows import Window, WindowAction, WindowKind, WindowStatus

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
    # "The next window" is the earliest one, whatever order the caller listed them in.
    ordered = {region: sorted(found, key=lambda s: s.span) for region, found in slots.items()}
    binding = _freezes_by_customer(freezes)
    for kind in (EnvironmentKind.PREVIEW, EnvironmentKind.PRODUCTION):
        for target in sorted(
            (t for t in targets if t.kind == kind), key=lambda t: (t.region_id, t.customer)
        ):
            earliest = (
                now
                if kind == EnvironmentKind.PREVIEW
                else (preview_end.get(target.customer_id, now) + soak)
            )
            candidates = [s for s in ordered.get(target.region_id, []) if s.span.start >= earliest]
            if not candidates:
                raise Conflict(
                    f"no {kind} window for {target.customer} after "
                    f"{earliest:%Y-%m-%d %H:%M}Z within the planned horizon; plan "
                    "further ahead with `rollout plan --until`",
                    field="windows",
                )
            chosen, skipped = _first_allowed(target, candidates, binding(target.customer_id))
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


def _freezes_by_customer(freezes: list[Freeze]) -> Callable[[int], list[Freeze]]:
    """The freezes that can bind a customer (everyone's, regions', its own), in the given
    order. Event plans are one per customer or so: checking each customer against every
    other customer's made planning grow with the square of the customers."""
    general = [(n, f) for n, f in enumerate(freezes) if f.scope != FreezeScope.CUSTOMER]
    own: dict[int, list[tuple[int, Freeze]]] = defaultdict(list)
    for n, f in enumerate(freezes):
        if f.scope == FreezeScope.CUSTOMER:
            own[f.customer_id].append((n, f))
    plain = [f for _, f in general]
    merged: dict[int, list[Freeze]] = {}

    def binding(customer_id: int) -> list[Freeze]:
        if customer_id not in own:
            return plain
        if customer_id not in merged:
            both = heapq.merge(general, own[customer_id], key=lambda pair: pair[0])
            merged[customer_id] = [f for _, f in both]
        return merged[customer_id]

    return binding


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
    """Replace the release's waves with a fresh proposal; the release becomes scheduled.
    Plans of one release at the same moment queue on it: each replaces the one before."""
    release = get_release(session, version, lock=True)
    # Freezes are made under their regions' locks, in id order (rollout/freezes.py): planning
    # under the same ones means a freeze made at this moment is either seen here or, made
    # after, finds these waves in the windows it covers.
    for region in session.scalars(select(Region).order_by(Region.id)):
        lock_row(session, region)
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
    _clear_waves(session, release)
    windows = {
        w.id: w
        for w in session.scalars(
            select(Window).where(Window.id.in_({p.slot.window_id for p in proposal}))
        )
    }
    for position, proposed in enumerate(proposal, start=1):
        window = windows[proposed.slot.window_id]
        release.waves.append(
            Wave(
                position=position,
                environment_kind=proposed.kind,
                window=window,
                name=f"{proposed.kind.title()} · {window.region.slug}",
                selector=f"{proposed.kind} environments in {window.region.slug}",
                note="; ".join(proposed.deferred),
                environments=len(proposed.targets),
            )
        )
    session.flush()
    # Thousands of rows: one bulk INSERT. An ORM object per row was two thirds of the time.
    rows = [
        {
            "environment_id": target.environment_id,
            "release_id": release.id,
            "wave_id": wave.id,
            "window_id": wave.window_id,
            "status": DeploymentStatus.SCHEDULED,
            "scheduled_for": wave.window.starts_at,
            "created_at": now,
            "updated_at": now,
        }
        for wave, proposed in zip(release.waves, proposal, strict=True)
        for target in proposed.targets
    ]
    session.execute(insert(Deployment), rows)
    for wave in release.waves:
        session.expire(wave, ["deployments"])
    release.status = ReleaseStatus.SCHEDULED
    release.updated_at = now
    session.flush()
    publish(session, ReleaseScheduled(release), now=now)
    return release


def _clear_waves(session: Session, release: Release) -> None:
    """Drop the release's waves and their (still scheduled) deployments."""
    waves = [w.id for w in release.waves]
    if not waves:
        return
    session.execute(
        delete(Deployment).where(Deployment.wave_id.in_(waves)),
        execution_options={"synchronize_session": "fetch"},
    )
    for wave in waves:
        session.expire(session.get(Wave, wave), ["deployments"])
    release.waves.clear()
    session.flush()


def move_wave(session: Session, wave_id: int, *, window_id: int, now: datetime) -> Wave:
    """Put a wave in another window; refused if it breaks a freeze, the order or the soak."""
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(f"no wave #{wave_id}", field="wave")
    if wave.release.status in (ReleaseStatus.COMPLETED, ReleaseStatus.CANCELLED):
        raise Conflict(f"release {wave.release.version} is {wave.release.status}", field="wave")
    started = select(Deployment.id).where(
        Deployment.wave_id == wave.id, Deployment.status != DeploymentStatus.SCHEDULED
    )
    if session.scalar(started.limit(1)) is not None:
        raise Conflict("this wave has started; record outcomes instead", field="wave")
    window = session.get(Window, window_id)
    if window is None:
        raise Invalid(f"no window #{window_id}", field="window")
    if window.region_id != wave.window.region_id or window.customer_id is not None:
        raise Invalid(
            f"window #{window.id} is not one of region {wave.window.region.slug}'s windows",
            field="window",
        )
    if window.status not in _OPEN or window.starts_at <= now:
        raise Invalid(f"window #{window.id} is {window.status} or already begun", field="window")
    check_fits(session, wave, window, field="window")
    wave.window = window
    session.execute(
        update(Deployment)
        .where(Deployment.wave_id == wave.id)
        .values(window_id=window.id, scheduled_for=window.starts_at, updated_at=now)
    )
    wave.release.updated_at = now
    _renumber(session, wave.release)
    return wave


def follow_window(session: Session, window: Window, action: WindowAction, now: datetime) -> None:
    """Deployments waiting in a window follow it when it moves, if their waves still fit; a
    window cannot be cancelled out from under deployments that have not started."""
    waiting = list(
        session.scalars(
            select(Deployment).where(
                Deployment.window_id == window.id,
                Deployment.status == DeploymentStatus.SCHEDULED,
            )
        )
    )
    if not waiting:
        return
    if window.status == WindowStatus.CANCELLED:
        held = sorted(
            {
                f"release {d.release.version} wave {d.wave.position} ({d.wave.name})"
                if d.release
                else f"hotfix #{d.hotfix_id}"
                for d in waiting
            }
        )
        raise Conflict(
            f"window #{window.id} still holds {', '.join(held)}: move "
            f"{'them' if len(held) > 1 else 'it'} to another window first",
            field="window",
        )
    if action not in (WindowAction.MOVED, WindowAction.EXTENDED, WindowAction.REPLANNED):
        return
    for wave in {d.wave for d in waiting if d.wave is not None}:
        check_fits(session, wave, window, field="window")
    session.execute(
        update(Deployment)
        .where(Deployment.id.in_([d.id for d in waiting]))
        .values(scheduled_for=window.starts_at, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _renumber(session: Session, release: Release) -> None:
    """Positions follow the windows again after a move, as a fresh plan would number them."""
    ordered = sorted(
        release.waves,
        key=lambda w: (w.window.starts_at, w.environment_kind != "preview", w.window.region_id),
    )
    if [w.position for w in ordered] == sorted(w.position for w in ordered):
        session.flush()
        return
    # (release, position) is unique and checked row by row: step aside first.
    for wave in ordered:
        wave.position = -wave.position
    session.flush()
    for position, wave in enumerate(ordered, start=1):
        wave.position = position
    session.flush()
    session.expire(release, ["waves"])


def _all_targets(session: Session) -> list[Target]:
    customers = session.scalars(
        select(Customer).options(selectinload(Customer.environments)).order_by(Customer.slug)
    )
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
