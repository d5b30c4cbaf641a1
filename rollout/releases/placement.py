"""Whether a wave fits a window: none of its customers frozen then, and each customer's
preview ending the soak time before its production starts. Moving a wave, moving its
window and changing the release's soak time all ask this one question."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Environment, EnvironmentKind
from rollout.errors import Conflict
from rollout.freezes import blocking, list_freezes
from rollout.releases.models import Deployment, DeploymentStatus, Release, Wave
from rollout.windows import Window


def check_fits(session: Session, wave: Wave, window: Window, *, field: str) -> None:
    """Refuse `window` for `wave` if it freezes one of its customers or breaks the order or
    the soak time against the release's other waves."""
    freezes = list_freezes(session, start=window.starts_at, end=window.ends_at)
    soak = timedelta(days=wave.release.soak_days)
    others = _other_waves_by_customer(session, wave)
    for customer in _customers_of(session, wave):
        frozen = blocking(freezes, window.span, region_id=window.region_id, customer_id=customer.id)
        if frozen:
            raise Conflict(f"{customer.slug} is frozen then: {frozen[0].describe()}", field=field)
        _check_order(wave, customer, others.get(customer.id, []), window, soak, field=field)


def check_plan(session: Session, release: Release, *, field: str) -> None:
    """Refuse if any wave not yet started no longer fits its window (after a soak change)."""
    for wave in release.waves:
        if any(d.status == DeploymentStatus.SCHEDULED for d in wave.deployments):
            check_fits(session, wave, wave.window, field=field)


def _customers_of(session: Session, wave: Wave) -> list[Customer]:
    in_wave = (
        select(Environment.customer_id)
        .join(Deployment, Deployment.environment_id == Environment.id)
        .where(Deployment.wave_id == wave.id)
    )
    return list(
        session.scalars(select(Customer).where(Customer.id.in_(in_wave)).order_by(Customer.slug))
    )


def _other_waves_by_customer(session: Session, wave: Wave) -> dict[int, list[Wave]]:
    """For each customer, the release's other waves that deploy to it (one query, not one
    per deployment: a production wave may hold thousands)."""
    rows = session.execute(
        select(Environment.customer_id, Deployment.wave_id)
        .join(Deployment, Deployment.environment_id == Environment.id)
        .where(Deployment.release_id == wave.release_id, Deployment.wave_id != wave.id)
        .distinct()
    )
    waves = {w.id: w for w in wave.release.waves}
    found: dict[int, list[Wave]] = defaultdict(list)
    for customer_id, wave_id in rows:
        if wave_id in waves:
            found[customer_id].append(waves[wave_id])
    return found


def _check_order(
    wave: Wave,
    customer: Customer,
    others: list[Wave],
    window: Window,
    soak: timedelta,
    *,
    field: str,
) -> None:
    for other in others:
        if (
            other.environment_kind == EnvironmentKind.PREVIEW
            and wave.environment_kind == EnvironmentKind.PRODUCTION
            and window.starts_at < other.window.ends_at + soak
        ):
            raise Conflict(
                f"{customer.slug}'s production must start at least "
                f"{soak.days} days after its preview ends "
                f"({other.window.ends_at + soak:%Y-%m-%d %H:%M}Z)",
                field=field,
            )
        if (
            other.environment_kind == EnvironmentKind.PRODUCTION
            and wave.environment_kind == EnvironmentKind.PREVIEW
            and window.ends_at + soak > other.window.starts_at
        ):
            raise Conflict(
                f"{customer.slug}'s preview must end {soak.days} days before its production starts",
                field=field,
            )
