"""A release's rollout board: how far each region's preview and production have got, and the
environments done day by day, counted by the database: a wave reaches thousands."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Date, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from rollout.customers import EnvironmentKind, Region
from rollout.releases.models import Deployment, DeploymentStatus, Release, Wave
from rollout.windows import Window

TIERS = (EnvironmentKind.PREVIEW, EnvironmentKind.PRODUCTION)


@dataclass
class Cell:
    """A region's environments of one tier by where they stand; `late` ones are still
    scheduled after their window ended, and not counted as `scheduled`."""

    done: int = 0
    in_progress: int = 0
    failed: int = 0
    rolled_back: int = 0
    scheduled: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return (
            self.done
            + self.in_progress
            + self.failed
            + self.rolled_back
            + self.scheduled
            + self.late
        )

    def counts(self) -> list[tuple[str, int]]:
        """(state, count) for each state with any environment, in the board's order."""
        states = ("done", "in_progress", "failed", "rolled_back", "late", "scheduled")
        return [(s, getattr(self, s)) for s in states if getattr(self, s)]


@dataclass
class Board:
    regions: list[Region] = field(default_factory=list)
    cells: dict[tuple[int, str], Cell] = field(default_factory=lambda: defaultdict(Cell))
    # Environments done by the end of each day (UTC) on which any was done, in order.
    done_by_day: list[tuple[date, int]] = field(default_factory=list)

    def cell(self, region: Region, tier: str) -> Cell:
        return self.cells.get((region.id, str(tier))) or Cell()

    @property
    def total(self) -> int:
        return sum(c.total for c in self.cells.values())

    @property
    def done(self) -> int:
        return sum(c.done for c in self.cells.values())


_STATE = {
    DeploymentStatus.SUCCEEDED: "done",
    DeploymentStatus.IN_PROGRESS: "in_progress",
    DeploymentStatus.FAILED: "failed",
    DeploymentStatus.ROLLED_BACK: "rolled_back",
    DeploymentStatus.SCHEDULED: "scheduled",
}


def rollout_board(session: Session, release: Release, *, now: datetime) -> Board:
    """The release's board at `now`, in three statements whatever the number of environments."""
    ended = Window.ends_at <= now
    rows = session.execute(
        select(Window.region_id, Wave.environment_kind, Deployment.status, ended, func.count())
        .join(Wave, Deployment.wave_id == Wave.id)
        .join(Window, Deployment.window_id == Window.id)
        .where(Wave.release_id == release.id)
        .group_by(Window.region_id, Wave.environment_kind, Deployment.status, ended)
    ).all()
    board = Board()
    for region_id, kind, status, is_over, count in rows:
        state = _STATE[DeploymentStatus(status)]
        if state == "scheduled" and is_over:
            state = "late"
        cell = board.cells[(region_id, str(kind))]
        setattr(cell, state, getattr(cell, state) + count)
    if rows:
        board.regions = list(
            session.scalars(
                select(Region).where(Region.id.in_({r[0] for r in rows})).order_by(Region.name)
            )
        )
    day = _utc_day(Deployment.finished_at)
    done = 0
    for finished, count in session.execute(
        select(day, func.count())
        .join(Wave, Deployment.wave_id == Wave.id)
        .where(Wave.release_id == release.id, Deployment.status == DeploymentStatus.SUCCEEDED)
        .group_by(day)
        .order_by(day)
    ):
        done += count
        board.done_by_day.append((finished, done))
    return board


def wave_counts(session: Session, release: Release) -> dict[int, dict[DeploymentStatus, int]]:
    """How many of each wave's deployments are in each status, by wave id, in one statement."""
    counts: dict[int, dict[DeploymentStatus, int]] = defaultdict(dict)
    for wave_id, status, count in session.execute(
        select(Deployment.wave_id, Deployment.status, func.count())
        .join(Wave, Deployment.wave_id == Wave.id)
        .where(Wave.release_id == release.id)
        .group_by(Deployment.wave_id, Deployment.status)
    ):
        counts[wave_id][DeploymentStatus(status)] = count
    return counts


def first_deployments(
    session: Session, release: Release, *, per_wave: int
) -> dict[int, list[Deployment]]:
    """The first `per_wave` deployments of each wave, by wave id, in one statement."""
    place = func.row_number().over(partition_by=Deployment.wave_id, order_by=Deployment.id)
    ranked = (
        select(Deployment.id, place.label("place"))
        .join(Wave, Deployment.wave_id == Wave.id)
        .where(Wave.release_id == release.id)
        .subquery()
    )
    found: dict[int, list[Deployment]] = defaultdict(list)
    for deployment in session.scalars(
        select(Deployment)
        .join(ranked, ranked.c.id == Deployment.id)
        .where(ranked.c.place <= per_wave)
        .order_by(Deployment.wave_id, Deployment.id)
    ).unique():
        found[deployment.wave_id].append(deployment)
    return found


class _utc_day(FunctionElement):
    """The UTC calendar day of a stored instant."""

    type = Date()
    inherit_cache = True


@compiles(_utc_day)
def _utc_day_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps the UTC wall time (rollout.db.UTCDateTime): its date is the UTC day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(_utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw) -> str:
    # Not ::date alone, which would take the day in the session's zone.
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') AS DATE)"
