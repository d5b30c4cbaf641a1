"""Closing the loop: when a deployment to a customer's production succeeds, the tickets of
that customer held up by a bug it carries record when the fix went live, and the requester
is told (seed 004: "the client will be informed ... through the original support ticket").

`TicketBug.fix_live_at` always agrees with the derived fix status: it is the `deployed`
since-time. A production rollback that leaves nothing carrying the fix live clears it (the
ticket is held up again and will be told again when the fix is back); a rollback while
another release or hotfix still carries it keeps it. Both run as handlers of the
deployment events (`rollout/handlers.py`), in the transaction of the reported outcome, so
releases need not know tickets exist; they hear a wave's deployments together, so a wave to
thousands of customers costs a few queries plus the work for the customers with tickets,
not queries per deployment. The requesters are told through FixLive.

Jira can make a fix live too, without any deployment: a fix version naming a release
already on the customer's production. Whoever applies Jira's changes (webhook, pull sync)
calls `recheck_bugs` in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from rollout.customers import EnvironmentKind
from rollout.events import FixLive, publish
from rollout.jira.models import Bug
from rollout.releases.models import Deployment, DeploymentStatus, ReleaseItem
from rollout.support.fix_status.facts import carriers_of
from rollout.support.fix_status.rule import BugFacts, FixState, derive_fix_status
from rollout.support.models import Ticket, TicketBug


def record_fix_live(
    session: Session, deployments: list[Deployment], *, now: datetime
) -> list[TicketBug]:
    """After `deployments` (one, or a wave's) were reported: for each that succeeded on a
    production environment, set `fix_live_at` on its customer's ticket links whose bug it
    carries and tell the requesters; the links now live."""
    succeeded = [d for d in deployments if d.status == DeploymentStatus.SUCCEEDED]
    return _bring_in_line(session, _carried_links(session, succeeded), now=now, notify=True)


def record_fix_rolled_back(
    session: Session, deployments: list[Deployment], *, now: datetime
) -> list[TicketBug]:
    """After `deployments` were reported: for each rolled back from production, clear
    `fix_live_at` on the links whose fix nothing else keeps live there; the links cleared."""
    rolled_back = [d for d in deployments if d.status == DeploymentStatus.ROLLED_BACK]
    links = _carried_links(session, rolled_back)
    before = {link.id: link.fix_live_at for link in links}
    _bring_in_line(session, links, now=now, notify=True)
    return [link for link in links if before[link.id] is not None and link.fix_live_at is None]


def recheck_bugs(session: Session, bugs: list[Bug], *, now: datetime) -> list[TicketBug]:
    """After Jira changed `bugs`: bring `fix_live_at` of every ticket linked to them in line
    with the ticket's customer's fix status; returns the links that became live (their
    requesters told)."""
    ids = sorted({bug.id for bug in bugs})
    if not ids:
        return []
    # The one query a page of bugs without tickets costs.
    links = session.scalars(
        select(TicketBug)
        .where(TicketBug.bug_id.in_(ids))
        .options(joinedload(TicketBug.ticket))
        .order_by(TicketBug.id)
    )
    return _bring_in_line(session, list(links.unique()), now=now, notify=True)


def refresh_links(
    session: Session, customer_id: int, keys: set[str], *, now: datetime, notify: bool = True
) -> list[TicketBug]:
    """Bring `fix_live_at` of the customer's links to bugs `keys` in line with their fix
    status; returns the links that became live (their requesters told when `notify`)."""
    return _bring_in_line(session, _links(session, customer_id, keys), now=now, notify=notify)


def _bring_in_line(
    session: Session, links: list[TicketBug], *, now: datetime, notify: bool
) -> list[TicketBug]:
    if not links:
        return []
    bugs = list({link.bug.id: link.bug for link in links}.values())
    carriers = carriers_of(session, bugs, {link.ticket.customer_id for link in links})
    live_since: dict[tuple[int, int], datetime | None] = {}
    became_live = []
    for link in links:
        pair = (link.bug.id, link.ticket.customer_id)
        if pair not in live_since:
            status = derive_fix_status(BugFacts.of(link.bug), pair[1], carriers, now=now)
            live_since[pair] = status.since if status.state == FixState.DEPLOYED else None
        since = live_since[pair]
        if since is None:
            link.fix_live_at = None
        elif link.fix_live_at is None:
            link.fix_live_at = since
            became_live.append(link)
    session.flush()
    if notify and became_live:
        publish(session, FixLive(tuple(became_live)), now=now)  # the requesters are told
    return became_live


def _carried_links(session: Session, deployments: list[Deployment]) -> list[TicketBug]:
    """The links of the tickets of the customers whose production `deployments` reached, to
    bugs whose fix the deployment there carries: a few queries for a whole wave."""
    by_customer: dict[int, list[Deployment]] = defaultdict(list)
    for deployment in deployments:
        if deployment.environment.kind == EnvironmentKind.PRODUCTION:
            by_customer[deployment.environment.customer_id].append(deployment)
    if not by_customer:
        return []
    # Most of a wave's customers have no tickets: one query finds the few that do.
    links = list(
        session.scalars(
            select(TicketBug)
            .join(Ticket, TicketBug.ticket_id == Ticket.id)
            .where(Ticket.customer_id.in_(sorted(by_customer)))
            .options(joinedload(TicketBug.ticket))
            .order_by(TicketBug.id)
        ).unique()
    )
    if not links:
        return []
    items = _item_keys(session, {d.release_id for d in deployments if d.release_id is not None})
    return [
        link
        for link in links
        if any(_carries(d, link.bug, items) for d in by_customer[link.ticket.customer_id])
    ]


def _item_keys(session: Session, release_ids: set[int]) -> dict[int, set[str]]:
    """The Jira keys the items of each release name."""
    keys: dict[int, set[str]] = defaultdict(set)
    if release_ids:
        for release_id, key in session.execute(
            select(ReleaseItem.release_id, ReleaseItem.jira_key).where(
                ReleaseItem.release_id.in_(sorted(release_ids)), ReleaseItem.jira_key.is_not(None)
            )
        ):
            keys[release_id].add(key)
    return keys


def _carries(deployment: Deployment, bug: Bug, item_keys: dict[int, set[str]]) -> bool:
    """Whether `deployment` carries `bug`'s fix: a hotfix for its key, or a release with an
    item naming it or named by the bug's fix versions."""
    if deployment.hotfix is not None:
        return deployment.hotfix.jira_key == bug.key
    if deployment.release is None:
        return False
    return bug.key in item_keys[deployment.release_id] or deployment.release.version in (
        bug.fix_versions or []
    )


def _links(session: Session, customer_id: int, keys: set[str]) -> list[TicketBug]:
    if not keys:
        return []
    query = (
        select(TicketBug)
        .join(Ticket, TicketBug.ticket_id == Ticket.id)
        .join(Bug, TicketBug.bug_id == Bug.id)
        .where(Ticket.customer_id == customer_id)
        .options(joinedload(TicketBug.ticket))
        .where(Bug.key.in_(sorted(keys)))
        .order_by(TicketBug.id)
    )
    return list(session.scalars(query).unique())
