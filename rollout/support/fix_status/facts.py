"""The queries that gather a fix status's facts: releases and hotfixes naming some bugs, with
their deployments to some customers, as the rule's frozen values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rollout.customers import Environment
from rollout.jira.models import Bug
from rollout.releases.models import Deployment, Hotfix, Release, ReleaseItem, hotfix_customer
from rollout.support.fix_status.rule import Carrier, Slot, Step, Vehicle
from rollout.windows import Window


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
