"""Bugs mirrored from Jira: applying an update (newest wins), tombstones, and the releases
and hotfixes that carry a bug's fix.

A Jira change reaches us twice at least (webhook and pull sync) and in any order, so every
write compares Jira's own `updated` time: an update older than the row is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

from rollout.customers import Customer, Environment
from rollout.errors import Invalid, NotFound
from rollout.jira.models import Bug, Priority, Severity, StatusCategory
from rollout.releases.deployments import environments_with_fix
from rollout.releases.models import Deployment, DeploymentStatus, Hotfix, Release, ReleaseItem
from rollout.support.models import Ticket, TicketBug
from rollout.support.waiting import refresh_waiting

BUG = Bug.__table__
RANKED = ("priority", "severity")


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


def content_of(record: BugRecord) -> dict[str, Any]:
    """The columns `record` sets; a row already holding them all needs no write."""
    return {
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


def supersedes(record: BugRecord, updated_at: datetime, deleted_at: datetime | None) -> bool:
    """Whether `record` may overwrite a row holding Jira's update of `updated_at`: never an
    older update, and a deleted bug only a strictly newer one."""
    if deleted_at is not None:
        return record.updated_at > updated_at
    return record.updated_at >= updated_at


def upsert_bug(session: Session, record: BugRecord, *, now: datetime) -> Bug:
    """Create or update the bug from `record`, unless the row already holds a newer update.

    An equal `updated` with the same content writes nothing (idempotent). A deleted bug
    comes back only when the record is strictly newer than its deletion.
    """
    bug = session.scalar(select(Bug).where(Bug.key == record.key))
    if bug is None:
        bug = Bug(key=record.key, synced_at=now, **content_of(record))
        session.add(bug)
    elif supersedes(record, bug.jira_updated_at, bug.deleted_at):
        content = content_of(record)
        if any(getattr(bug, name) != value for name, value in content.items()):
            for name, value in content.items():
                setattr(bug, name, value)
            bug.synced_at = now
    session.flush()
    return bug


def upsert_bugs(session: Session, records: list[BugRecord], *, now: datetime) -> list[int]:
    """upsert_bug for each record in turn, in at most six statements whatever their number
    (read the rows there, insert the new ones, update the changed ones, and re-sum triage's
    stored rows of those whose priority or severity changed, as the ORM's hooks would);
    returns the ids of the bugs stored before, the only ones a ticket can link to."""
    if not records:
        return []
    keys = sorted({record.key for record in records})
    # Plain rows, not objects: the ORM's bookkeeping per object cost more than the SQL.
    rows = {
        row.key: row._asdict() for row in session.execute(select(BUG).where(BUG.c.key.in_(keys)))
    }
    known_ids = [row["id"] for row in rows.values()]
    created: dict[str, None] = {}  # keys, in the order the records came
    changed: dict[str, None] = {}
    rescored: set[int] = set()  # triage's stored score reads the priority and severity
    for record in records:
        row = rows.get(record.key)
        if row is None:
            rows[record.key] = {"key": record.key, "synced_at": now} | content_of(record)
            created[record.key] = None
        elif supersedes(record, row["jira_updated_at"], row["deleted_at"]):
            content = content_of(record)
            if "id" in row and any(row[name] != content[name] for name in RANKED):
                rescored.add(row["id"])
            if any(row[name] != value for name, value in content.items()):
                rows[record.key] = row | content | {"synced_at": now}
                if record.key not in created:
                    changed[record.key] = None
    if created:
        session.execute(insert(BUG), [rows[key] for key in created])
    if changed:
        session.execute(
            update(BUG).where(BUG.c.id == bindparam("row_id")),
            [_as_update(rows[key]) for key in changed],
        )
        for key in changed:
            # A bug this session loaded before would still show what it held.
            if (bug := session.identity_map.get(identity_key(Bug, rows[key]["id"]))) is not None:
                session.expire(bug)
    refresh_waiting(session.connection(), rescored)
    return known_ids


def _as_update(row: dict[str, Any]) -> dict[str, Any]:
    values = {name: value for name, value in row.items() if name not in ("id", "key")}
    return {"row_id": row["id"]} | values


def bugs_with_tickets(session: Session, ids: Iterable[int]) -> list[Bug]:
    """The bugs among `ids` that help-desk tickets link to."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    linked = select(TicketBug.id).where(TicketBug.bug_id == Bug.id).exists()
    return list(session.scalars(select(Bug).where(Bug.id.in_(wanted), linked).order_by(Bug.id)))


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
