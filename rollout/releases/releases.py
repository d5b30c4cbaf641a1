"""Releases and their items; security items stay out of public notes until deployed."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.db import conflict_on_duplicate, lock_row
from rollout.errors import Conflict, Invalid, NotFound
from rollout.events import ReleaseCancelled, ReleaseCreated, publish
from rollout.releases.models import (
    DeploymentStatus,
    ItemKind,
    Release,
    ReleaseItem,
    ReleaseStatus,
)
from rollout.releases.notes import render_note
from rollout.releases.placement import check_plan
from rollout.validation import check_text

VERSION = re.compile(r"^\d{1,4}\.\d{1,4}(\.\d{1,4})?(-[0-9A-Za-z][0-9A-Za-z.-]{0,30})?$")
# Jira's project key (a capital letter, then capitals, digits or underscores; ten at most),
# a hyphen and the number.
JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,9}-[1-9]\d{0,8}$")
MAX_SOAK_DAYS = 60


def create_release(
    session: Session, *, version: str, title: str, soak_days: int = 7, now: datetime
) -> Release:
    """A draft release; its version is unique and looks like 2026.12 or 4.2.1(-rc.1)."""
    # fullmatch: `$` would also accept a trailing newline ("2026.12\n").
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        raise Invalid("use a version like 2026.12, 4.2 or 4.2.1-rc.1", field="version")
    taken = Conflict(f"release {version} already exists", field="version")
    if session.scalar(select(Release.id).where(Release.version == version)) is not None:
        raise taken
    release = Release(
        version=version,
        title=check_text(title, field="title"),
        status=ReleaseStatus.DRAFT,
        soak_days=_soak(soak_days),
        created_at=now,
        updated_at=now,
    )
    with conflict_on_duplicate(session, taken):  # two may pass the check at once
        session.add(release)
    publish(session, ReleaseCreated(release), now=now)
    return release


def get_release(
    session: Session, version: str, *, field: str = "version", lock: bool = False
) -> Release:
    """The release called `version` (locked for this transaction if `lock`), or NotFound
    naming `field`."""
    release = session.scalar(select(Release).where(Release.version == version))
    if release is None:
        raise NotFound(f"no release {version!r}", field=field)
    return lock_row(session, release) if lock else release


def list_releases(session: Session, *, statuses: set[ReleaseStatus] | None = None) -> list[Release]:
    """Releases, newest first."""
    query = select(Release).order_by(Release.created_at.desc(), Release.id.desc())
    if statuses:
        query = query.where(Release.status.in_(statuses))
    return list(session.scalars(query))


def update_release(
    session: Session,
    version: str,
    *,
    expected_revision: int | None = None,
    title: str | None = None,
    soak_days: int | None = None,
    cancel: bool = False,
    now: datetime,
) -> Release:
    """Rename, change the soak time, or cancel a release not yet completed."""
    release = get_release(session, version)
    if expected_revision is not None and expected_revision != release.revision:
        raise Conflict(
            f"release {version} changed since revision {expected_revision}; reload",
            field="revision",
        )
    if release.status in (ReleaseStatus.COMPLETED, ReleaseStatus.CANCELLED):
        raise Conflict(f"release {version} is {release.status}", field="status")
    if title is not None:
        release.title = check_text(title, field="title")
    if soak_days is not None:
        with session.begin_nested():  # a plan the new soak breaks undoes the change
            release.soak_days = _soak(soak_days)
            check_plan(session, release, field="soak_days")
    if cancel:
        release.status = ReleaseStatus.CANCELLED
        # What has not started never will: no environment, feed or page may still expect it.
        for wave in release.waves:
            for deployment in list(wave.deployments):
                if deployment.status == DeploymentStatus.SCHEDULED:
                    wave.deployments.remove(deployment)
                    session.delete(deployment)
            wave.environments = len(wave.deployments)
    release.updated_at = now
    session.flush()
    if cancel:
        publish(session, ReleaseCancelled(release), now=now)
    return release


def add_item(
    session: Session,
    version: str,
    *,
    kind: str,
    summary: str,
    public_note: str = "",
    jira_key: str | None = None,
    now: datetime,
) -> ReleaseItem:
    """Add a feature, fix, security fix or improvement to a release not yet completed."""
    release = get_release(session, version, field="release")
    if release.status in (ReleaseStatus.COMPLETED, ReleaseStatus.CANCELLED):
        raise Conflict(
            f"release {version} is {release.status}; items can't be added", field="release"
        )
    try:
        kind = ItemKind(kind)
    except ValueError:
        raise Invalid(f"kind must be one of {', '.join(ItemKind)}", field="kind") from None
    item = ReleaseItem(
        kind=kind,
        jira_key=check_jira_key(jira_key),
        summary=check_text(summary, field="summary", max_length=2000, multiline=True),
        public_note=check_text(
            public_note or "", field="public_note", max_length=20000, required=False, multiline=True
        ),
        created_at=now,
    )
    item.public_html = render_note(item.public_note)
    release.items.append(item)
    release.updated_at = now
    session.flush()
    return item


def public_items(release: Release) -> list[ReleaseItem]:
    """Items customers may read: security fixes only once the release is deployed everywhere."""
    return [
        i
        for i in release.items
        if i.public_note.strip() and (release.embargo_lifted or i.kind != ItemKind.SECURITY)
    ]


def check_jira_key(value: str | None) -> str | None:
    """A Jira issue key such as OPS-123, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not JIRA_KEY.fullmatch(value):
        raise Invalid("a Jira key looks like OPS-123", field="jira_key")
    return value


def _soak(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_SOAK_DAYS:
        raise Invalid(
            f"soak_days must be a whole number from 0 to {MAX_SOAK_DAYS}", field="soak_days"
        )
    return days
