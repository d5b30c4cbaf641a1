"""The queries that gather a fix status's facts: releases and hotfixes naming some bugs, with
their deployments to some customers, as the rule's frozen values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from rollout.customers import Environment
from rollout.db import UTCDateTime
from rollout.jira.models import Bug
from rollout.releases.models import Deployment, Hotfix, Release, ReleaseItem, hotfix_customer
from rollout.support.fix_status.rule import Carrier, Slot, Step, Vehicle
from rollout.windows import Window

_RELEASE = literal_column("'release'", String)
_HOTFIX = literal_column("'hotfix'", String)


def _none(type_):
    return cast(null(), type_)


# One row per release and item naming a key, per release a fix version names (no key), and
# per hotfix and customer it is for (none: everyone's). Built once: a lookup only binds.
_CARRIERS = union_all(
    select(_RELEASE.label("kind"), Release.id.label("owner_id"), Release.version.label("name"),
           Release.status, Release.created_at, ReleaseItem.jira_key.label("key"),
           _none(Integer).label("customer_id"))
    .join(ReleaseItem, ReleaseItem.release_id == Release.id)
    .where(ReleaseItem.jira_key.in_(bindparam("keys", expanding=True))),
    select(_RELEASE, Release.id, Release.version, Release.status, Release.created_at,
           _none(String), _none(Integer))
    .where(Release.version.in_(bindparam("versions", expanding=True))),
    select(_HOTFIX, Hotfix.id, cast(Hotfix.id, String), Hotfix.status, Hotfix.created_at,
           Hotfix.jira_key, hotfix_customer.c.customer_id)
    .outerjoin(hotfix_customer, hotfix_customer.c.hotfix_id == Hotfix.id)
    .where(Hotfix.jira_key.in_(bindparam("keys", expanding=True))),
).cte("carrier")  # fmt: skip


def _owners(kind: ColumnElement[str]) -> Select:
    return select(_CARRIERS.c.owner_id).where(_CARRIERS.c.kind == kind)


# The carriers, then their deployments to some customers, in one statement: a step row has a
# deployment id, a carrier row none. Steps are joined from the customers' few environments,
# not from the carriers' deployments: a release reaches every environment, a customer has two.
_CARRIERS_AND_STEPS = union_all(
    select(
        _CARRIERS.c.kind,
        _CARRIERS.c.owner_id,
        _CARRIERS.c.status,
        _CARRIERS.c.customer_id,
        _CARRIERS.c.name,
        _CARRIERS.c.created_at,
        _CARRIERS.c.key,
        _none(Integer).label("deployment_id"),
        _none(String).label("environment_kind"),
        _none(UTCDateTime).label("scheduled_for"),
        _none(UTCDateTime).label("finished_at"),
        _none(UTCDateTime).label("starts_at"),
        _none(UTCDateTime).label("ends_at"),
        _none(String).label("window_kind"),
    ),
    select(
        case((Deployment.release_id.is_not(None), _RELEASE), else_=_HOTFIX),
        func.coalesce(Deployment.release_id, Deployment.hotfix_id),
        Deployment.status,
        Environment.customer_id,
        _none(String),
        _none(UTCDateTime),
        _none(String),
        Deployment.id,
        Environment.kind,
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
            Deployment.release_id.in_(_owners(_RELEASE)),
            Deployment.hotfix_id.in_(_owners(_HOTFIX)),
        ),
    ),
).order_by(literal_column("deployment_id"))


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
    customers in `customer_ids`: one statement, whatever the number of deployments."""
    keys = sorted({b.key for b in bugs})
    versions = sorted({v for b in bugs for v in (b.fix_versions or [])})
    if not keys:
        return []
    found: dict[tuple[str, int], _Found] = {}
    steps: dict[tuple[str, int], list[Step]] = defaultdict(list)
    rows = session.execute(
        _CARRIERS_AND_STEPS,
        {"keys": keys, "versions": versions, "customers": sorted(set(customer_ids))},
    )
    for row in rows:
        owner = (row.kind, row.owner_id)
        if row.deployment_id is not None:
            slot = Slot(row.starts_at, row.ends_at, row.window_kind) if row.starts_at else None
            steps[owner].append(
                Step(row.customer_id, row.environment_kind, row.status, slot,
                     row.scheduled_for, row.finished_at)
            )  # fmt: skip
            continue
        carrier = found.get(owner)
        if carrier is None:
            carrier = found[owner] = _Found((row.created_at, row.owner_id), row.name, row.status)
        if row.key is not None:
            carrier.keys.add(row.key)
        if row.customer_id is not None:
            carrier.customers.add(row.customer_id)
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
