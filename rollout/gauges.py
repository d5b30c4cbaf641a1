"""What an operator watches in the database: the outbox, how far behind delivery and the Jira
sync are, the pushes owed to Jira and how far ahead each policy is planned. Read in a few
aggregate queries whenever metrics are scraped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from rollout.customers import Region
from rollout.jira.models import JiraPush, JiraPushStatus, JiraSyncState
from rollout.notifications.delivery import due_clause
from rollout.notifications.models import Channel, Notification, NotificationStatus
from rollout.windows.models import MaintenancePolicy, Window, WindowStatus


@dataclass(frozen=True)
class JiraSyncReading:
    project: str
    # The start of the newest run that went through to its last page: every change Jira
    # made before it is mirrored. None until one has.
    synced_through: datetime | None
    failing: bool


@dataclass(frozen=True)
class Horizon:
    policy_id: int
    region: str
    # The start of the policy's furthest window still to come; None when none is planned.
    furthest: datetime | None


@dataclass(frozen=True)
class Readings:
    # Rows per (channel, status), every pair named, zeros included.
    outbox: dict[tuple[str, str], int]
    # Per channel, how long its oldest due row has waited (zero when none is due).
    oldest_due: dict[str, timedelta]
    jira_sync: list[JiraSyncReading]
    # Rows per status, every status named.
    jira_pushes: dict[str, int]
    horizons: list[Horizon]


def take_readings(session: Session, *, now: datetime) -> Readings:
    """Everything an operator watches, as of `now`."""
    return Readings(
        outbox=_outbox(session),
        oldest_due=_oldest_due(session, now),
        jira_sync=[
            JiraSyncReading(s.project, s.synced_through, s.last_error is not None)
            for s in session.scalars(select(JiraSyncState).order_by(JiraSyncState.project))
        ],
        jira_pushes=_jira_pushes(session),
        horizons=_horizons(session, now),
    )


def _outbox(session: Session) -> dict[tuple[str, str], int]:
    counts = {(str(c), str(s)): 0 for c in Channel for s in NotificationStatus}
    # Grouped in the order of ix_notification_status_channel: read from the index alone.
    rows = session.execute(
        select(Notification.channel, Notification.status, func.count()).group_by(
            Notification.status, Notification.channel
        )
    )
    counts.update({(str(channel), str(status)): n for channel, status, n in rows})
    return counts


def _oldest_due(session: Session, now: datetime) -> dict[str, timedelta]:
    # A row is due from its next attempt, or, claimed by a worker that died, from the end of
    # that worker's lease (due_clause: what the next worker will take).
    due_since = case(
        (Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at),
        else_=Notification.locked_until,
    )
    rows = session.execute(
        select(Notification.channel, func.min(due_since))
        .where(due_clause(now))
        .group_by(Notification.channel)
    )
    ages = {str(c): timedelta(0) for c in Channel}
    ages.update({str(channel): max(now - since, timedelta(0)) for channel, since in rows})
    return ages


def _jira_pushes(session: Session) -> dict[str, int]:
    counts = {str(s): 0 for s in JiraPushStatus}
    rows = session.execute(select(JiraPush.status, func.count()).group_by(JiraPush.status))
    counts.update({str(status): n for status, n in rows})
    return counts


def _horizons(session: Session, now: datetime) -> list[Horizon]:
    """Each policy still in force, with its furthest window to come (cancelled ones aside)."""
    rows = session.execute(
        select(MaintenancePolicy.id, Region.slug, func.max(Window.starts_at))
        .join(Region, Region.id == MaintenancePolicy.region_id)
        .outerjoin(
            Window,
            and_(
                Window.policy_id == MaintenancePolicy.id,
                Window.starts_at > now,
                Window.status != WindowStatus.CANCELLED,
            ),
        )
        .where(
            or_(
                MaintenancePolicy.active_until.is_(None),
                MaintenancePolicy.active_until >= now.date(),
            )
        )
        .group_by(MaintenancePolicy.id, Region.slug)
        .order_by(MaintenancePolicy.id)
    )
    return [Horizon(policy_id, region, furthest) for policy_id, region, furthest in rows]
