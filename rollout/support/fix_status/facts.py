"""The queries that gather a fix status's facts: releases and hotfixes naming some bugs, with
their deployments to some customers, as the rule's frozen values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from rollout.customers import Environment
from rollout.jira.models import Bug
from rollout.releases.models import Deployment, Hotfix, Release, ReleaseItem, hotfix_customer
from rollout.support.fix_status.rule import Carrier, Slot, Step, Vehicle
from rollout.windows import Window

_RELEASE = literal_column("'release'", String)
_HOTFIX = literal_column("'hotfix'", String)
_NO_CUSTOMER = cast(null(), Integer)
# One row per release and item naming a key, per release a fix version names (no key), and
# per hotfix and customer it is for (none: everyone's). Built once: a lookup only binds.
_CARRIERS = union_all(
    select(_RELEASE, Release.id, Release.version, Release.status, Release.created_at,
           ReleaseItem.jira_key, _NO_CUSTOMER)
    .join(ReleaseItem, ReleaseItem.release_id == Release.id)
    .where(ReleaseItem.jira_key.in_(bindparam("keys", expanding=True))),
    select(_RELEASE, Release.id, Release.version, Release.status, Release.created_at,
           cast(null(), String), _NO_CUSTOMER)
    .where(Release.version.in_(bindparam("versions", expanding=True))),
    select(_HOTFIX, Hotfix.id, cast(Hotfix.id, String), Hotfix.status, Hotfix.created_at,
           Hotfix.jira_key, hotfix_customer.c.customer_id)
    .outerjoin(hotfix_customer, hotfix_customer.c.hotfix_id == Hotfix.id)
    .where(Hotfix.jira_key.in_(bindparam("keys", expanding=True))),
)  # fmt: skip
# The carriers' deployments to some customers, joined from the customers' few environments,
# not from the carriers' deployments: a release reaches every environment, a customer has two.
_STEPS = (
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
    .where(
        Environment.customer_id.in_(bindparam("customers", expanding=True)),
        or_(
            Deployment.release_id.in_(bindparam("releases", expanding=True)),
            Deployment.hotfix_id.in_(bindparam("hotfixes", expanding=True)),
        ),
    )
    .order_by(Deployment.id)
)


@dataclass
class _Found:
    """A carrier as its rows come in: the keys it names, the customers it is for."""

    order: tuple[datetime, int]
    name: str
    status: str
    keys: set[str] = field(default_factory=set)
    customers: set[int] = field(default_factory=set)


def carriers_of(session: Session, bugs: list[Bug], customer_ids: Iterable[int]) -> list[Carrier]:
    """Every release and hotfix that names one of `bugs`, with their deployments to the
    customers in `customer_ids`: two statements, whatever the number of deployments."""
    keys = sorted({b.key for b in bugs})
    versions = sorted({v for b in bugs for v in (b.fix_versions or [])})
    if not keys:
        return []
    found: dict[tuple[str, int], _Found] = {}
    rows = session.execute(_CARRIERS, {"keys": keys, "versions": versions})
    for kind, owner_id, name, status, created_at, key, customer_id in rows:
        carrier = found.get((kind, owner_id))
        if carrier is None:
            carrier = found[kind, owner_id] = _Found((created_at, owner_id), name, status)
        if key is not None:
            carrier.keys.add(key)
        if customer_id is not None:
            carrier.customers.add(customer_id)
    steps = _steps(session, found, sorted(set(customer_ids)))
    # Releases first, then hotfixes, each oldest first: the rule breaks ties by this order.
    ordered = sorted(found.items(), key=lambda item: (item[0][0] != "release", item[1].order))
    return [
        Carrier(
            Vehicle(owner[0], carrier.name),
            carrier.status,
            frozenset(carrier.keys),
            frozenset(carrier.customers),
            tuple(steps[owner]),
        )
        for owner, carrier in ordered
    ]


def _steps(
    session: Session, owners: Iterable[tuple[str, int]], customer_ids: list[int]
) -> dict[tuple[str, int], list[Step]]:
    found: dict[tuple[str, int], list[Step]] = defaultdict(list)
    release_ids = sorted(i for kind, i in owners if kind == "release")
    hotfix_ids = sorted(i for kind, i in owners if kind == "hotfix")
    if not (release_ids or hotfix_ids) or not customer_ids:
        return found
    rows = session.execute(
        _STEPS, {"customers": customer_ids, "releases": release_ids, "hotfixes": hotfix_ids}
    )
    for row in rows:
        owner = ("release", row[0]) if row[0] is not None else ("hotfix", row[1])
        slot = Slot(row[7], row[8], str(row[9])) if row[7] is not None else None
        found[owner].append(Step(row[2], str(row[3]), str(row[4]), slot, row[5], row[6]))
    return found
