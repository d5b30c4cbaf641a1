"""Release notes, hotfixes and patches reach customers as the release use cases run: each
listener writes its outbox rows in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rollout.notifications.triggers import (
    hotfix_applied,
    hotfix_scheduled,
    release_completed,
    release_published,
)
from rollout.releases import Deployment, Hotfix, Release, ReleaseEvent, on


@on(ReleaseEvent.RELEASE_SCHEDULED)
def _release_scheduled(session: Session, release: Release, now: datetime) -> None:
    # Planned again later: the key de-duplicates, so customers hear of a release once.
    release_published(session, release, now=now)


@on(ReleaseEvent.RELEASE_COMPLETED)
def _release_completed(session: Session, release: Release, now: datetime) -> None:
    release_completed(session, release, now=now)


@on(ReleaseEvent.HOTFIX_SCHEDULED)
def _hotfix_scheduled(session: Session, hotfix: Hotfix, now: datetime) -> None:
    hotfix_scheduled(session, hotfix, now=now)


@on(ReleaseEvent.DEPLOYMENT_SUCCEEDED)
def _deployment_succeeded(session: Session, deployment: Deployment, now: datetime) -> None:
    # Only this environment's customer can have just become fully patched.
    if deployment.hotfix_id is not None:
        hotfix_applied(
            session,
            deployment.hotfix,
            now=now,
            customer_id=deployment.environment.customer_id,
        )
