"""Bugs mirrored from Jira: applying an update (newest wins), tombstones, and the releases
and hotfixes that carry a bug's fix.

A Jira change reaches us twice at least (webhook and pull sync) and in any order, so every
write compares Jira's own `updated` time: an update older than the row is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from rollout.customers import Customer, Environment
from rollout.errors import Invalid, NotFound
from rollout.jira.models import Bug, Priority, Severity, StatusCategory
from rollout.releases.deployments import environments_with_fix
from rollout.releases.models import Deployment, DeploymentStatus, Hotfix, Release, ReleaseItem
from rollout.support.models import Ticket, TicketBug


@dataclass(frozen=True)
class BugRecord:
    """One Jira issue as Rollout keeps it, whatever the way it arrived."""

    key: str
    project: str
    summary: str
    status: str
    status_category: StatusCategory
    priority: Priority | None
    severity: Severity | None
    resolution: str | None
    fix_versions: tuple[str, ...]
    public_note: str | None
    updated_at: datetime  # Jira's `updated`, timezone-aware


def upsert_bug(session: Session, record: BugRecord, *, now: datetime) -> Bug:
    """Create or update the bug from `record`, unless the row already holds a newer update.

    An equal `updated` with the same content writes nothing (idempotent). A deleted bug
    comes back only when the record is strictly newer than its deletion.
    """
    existing = session.scalar(select(Bug).where(Bug.key == record.key))
    bug = _apply(session, existing, record, now)
    session.flush()
    return bug


def upsert_bugs(session: Session, records: Iterable[BugRecord], *, now: datetime) -> list[Bug]:
    """upsert_bug for many records at once: one query for the rows there, one flush."""
    records = list(records)
    known = bugs_by_keys(session, (r.key for r in records))
    bugs = []
    for record in records:
        bug = known[record.key] = _apply(session, known.get(record.key), record, now)
        bugs.append(bug)
    session.flush()
    return bugs


def _apply(session: Session, bug: Bug | None, record: BugRecord, now: datetime) -> Bug:
    if bug is None:
        bug = Bug(key=record.key, jira_updated_at=record.updated_at, synced_at=now)
        session.add(bug)
    elif record.updated_at < bug.jira_updated_at or (
        bug.deleted_at is not None and record.updated_at <= bug.jira_updated_at
    ):
        return bug
    content = {
        "project": record.project,
        "summary": record.summary,
        "status": record.status,
        "status_category": record.status_category,
        "priority": record.priority,
        "severity": record.severity,
        "resolution": record.resolution,
        "fix_versions": list(record.fix_versions),
        "public_note": record.public_note,
        "jira_updated_at": record.updated_at,
        "deleted_at": None,
    }
    if bug.id is not None and all(getattr(bug, k) == v for k, v in content.items()):
        return bug  # the same update again: nothing to write
    for name, value in content.items():
        setattr(bug, name, value)
    bug.synced_at = now
    return bug


def delete_bug(session: Session, key: str, *, updated_at: datetime, now: datetime) -> Bug:
    """Mark the bug deleted in Jira at `updated_at`; links from tickets are kept.

    A key never seen gets a tombstone, so its creation arriving late does not bring it
    back. A row updated after `updated_at` (a late deletion of an older state) is kept.
    """
    bug = session.scalar(select(Bug).where(Bug.key == key))
    if bug is None:
        bug = Bug(
            key=key,
            project=key.rsplit("-", 1)[0],
            summary="",
            status="Deleted",
            status_category=StatusCategory.DONE,
            fix_versions=[],
            jira_updated_at=updated_at,
        )
        session.add(bug)
    elif bug.jira_updated_at > updated_at:
        return bug
    if bug.deleted_at is None:
        bug.deleted_at = updated_at
    bug.jira_updated_at = updated_at
    bug.synced_at = now
    session.flush()
    return bug


def get_bug(session: Session, key: str, *, field: str = "bug") -> Bug:
    """The bug `key` (deleted ones included: tickets may still point at them), or NotFound."""
    bug = session.scalar(select(Bug).where(Bug.key == key.strip().upper()))
    if bug is None:
        raise NotFound(f"no bug {key!r} (not synced from Jira)", field=field)
    return bug


# What `status` accepts besides a Jira status name.
STATUS_FILTERS = {
    "open": lambda: Bug.status_category != StatusCategory.DONE,
    "done": lambda: Bug.status_category == StatusCategory.DONE,
    "new": lambda: Bug.status_category == StatusCategory.TO_DO,
    "indeterminate": lambda: Bug.status_category == StatusCategory.IN_PROGRESS,
}


def list_bugs(
    session: Session,
    *,
    status: str | None = None,
    release: str | None = None,
    customer: str | None = None,
) -> list[Bug]:
    """Bugs not deleted, by project and first sync. `status`: open, done, new, indeterminate
    or a Jira status name; `release`: a version; `customer`: a slug (its tickets' bugs)."""
    query = select(Bug).where(Bug.deleted_at.is_(None)).order_by(Bug.project, Bug.id)
    if status is not None:
        wanted = status.strip()
        if not wanted:
            raise Invalid("status must not be empty", field="status")
        if wanted.lower() in STATUS_FILTERS:
            query = query.where(STATUS_FILTERS[wanted.lower()]())
        else:
            query = query.where(func.lower(Bug.status) == wanted.lower())
    if customer is not None:
        customer_id = session.scalar(select(Customer.id).where(Customer.slug == customer))
        if customer_id is None:
            raise NotFound(f"no customer {customer!r}", field="customer")
        linked = select(TicketBug.bug_id).join(Ticket).where(Ticket.customer_id == customer_id)
        query = query.where(Bug.id.in_(linked))
    if release is not None:
        release_row = session.scalar(select(Release).where(Release.version == release))
        if release_row is None:
            raise NotFound(f"no release {release!r}", field="release")
        item_keys = set(
            session.scalars(
                select(ReleaseItem.jira_key).where(
                    ReleaseItem.release_id == release_row.id, ReleaseItem.jira_key.is_not(None)
                )
            )
        )
        # fix_versions is a JSON list: filtered here, portable across SQLite and PostgreSQL.
        bugs = session.scalars(query).all()
        return [b for b in bugs if b.key in item_keys or release in (b.fix_versions or [])]
    return list(session.scalars(query))


def releases_carrying(session: Session, bug: Bug) -> list[Release]:
    """Releases whose version is one of the bug's fix versions or that list it as an item,
    oldest first (cancelled ones included: the caller decides what they mean)."""
    conditions = [
        Release.id.in_(select(ReleaseItem.release_id).where(ReleaseItem.jira_key == bug.key))
    ]
    if bug.fix_versions:
        conditions.append(Release.version.in_(list(bug.fix_versions)))
    return list(
        session.scalars(
            select(Release).where(or_(*conditions)).order_by(Release.created_at, Release.id)
        )
    )


def hotfixes_carrying(session: Session, bug: Bug) -> list[Hotfix]:
    """Hotfixes (and per-customer patches) made for the bug, oldest first."""
    return list(
        session.scalars(
            select(Hotfix).where(Hotfix.jira_key == bug.key).order_by(Hotfix.created_at, Hotfix.id)
        )
    )


def environments_with_bug_fix(session: Session, bug: Bug) -> list[Environment]:
    """Environments where the fix is live: a succeeded deployment (not rolled back) of a
    release or hotfix naming the bug, or of a release named by one of its fix versions."""
    found = {e.id: e for e in environments_with_fix(session, bug.key)}
    if bug.fix_versions:
        by_version = (
            select(Environment)
            .join(Deployment, Deployment.environment_id == Environment.id)
            .join(Release, Deployment.release_id == Release.id)
            .where(
                Release.version.in_(list(bug.fix_versions)),
                Deployment.status == DeploymentStatus.SUCCEEDED,
            )
        )
        found |= {e.id: e for e in session.scalars(by_version).unique()}
    return sorted(found.values(), key=lambda e: e.name)


def ticket_links(session: Session, bug: Bug) -> list[TicketBug]:
    """The bug's links to help-desk tickets, oldest first, tickets loaded."""
    return list(
        session.scalars(
            select(TicketBug)
            .where(TicketBug.bug_id == bug.id)
            .options(joinedload(TicketBug.ticket))
            .order_by(TicketBug.linked_at, TicketBug.id)
        )
    )


def bugs_by_keys(session: Session, keys: Iterable[str]) -> dict[str, Bug]:
    """The known bugs among `keys`, by key."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    return {b.key: b for b in session.scalars(select(Bug).where(Bug.key.in_(wanted)))}
