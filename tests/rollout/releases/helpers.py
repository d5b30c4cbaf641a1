"""What the release tests share: a world of two regions and three customers, releases
planned in it, and `refused`, which checks that a refusal leaves the database as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from rollout import releases
from rollout.releases import (
    Deployment,
    DeploymentOutcome,
    Release,
    ReleaseItem,
    Wave,
)
from rollout.releases.models import Hotfix, hotfix_customer
from rollout.windows import (
    STAFF,
    Window,
    WindowKind,
    WindowRevision,
    list_windows,
)
from tests.conftest import NOW
from tests.factories import ZONES, make_customer, make_policy, make_region

# NOW is Sunday 2026-11-22 12:00Z; the second Saturdays ahead are Dec 12, Jan 9 and Feb 13.
DEC, JAN, FEB = date(2026, 12, 12), date(2027, 1, 9), date(2027, 2, 13)
PREVIEW, PRODUCTION = "preview", "production"
# After every window these tests plan into (and any emergency window of NOW): a success
# recorded then did not run early.
LATER = NOW + timedelta(days=90)


def world(session) -> None:
    """Regions us and eu on the second-Saturday rule; acme and globex in us, initech in eu."""
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    make_customer(session, "initech", "eu")


def regular(session, region: str, day: date) -> Window:
    """The region's regular window on local `day`."""
    (found,) = [
        w
        for w in list_windows(
            session,
            start=datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=1),
            end=datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=2),
            audience=STAFF,
        )
        if w.region.slug == region
        and w.kind == WindowKind.REGULAR
        and w.starts_at.astimezone(_zone(region)).date() == day
    ]
    return found


def _zone(region: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONES[region])


def release(session, version: str = "2026.12", *, items: int = 0, **fields) -> Release:
    made = releases.create_release(
        session, version=version, title=f"Release {version}", now=NOW, **fields
    )
    for n in range(items):
        releases.add_item(
            session, version, kind="fix", summary=f"fix {n}", jira_key=f"OPS-{n + 1}", now=NOW
        )
    return made


def planned(session, version: str = "2026.12", **fields) -> Release:
    release(session, version, **fields)
    return releases.plan_release(session, version, actor="rm", now=NOW)


def shape(release: Release) -> list[tuple[str, str, date, list[str]]]:
    """Each wave as (kind, region, local day, customers)."""
    return [
        (
            str(w.environment_kind),
            w.window.region.slug,
            w.window.starts_at.astimezone(_zone(w.window.region.slug)).date(),
            sorted(d.environment.customer.slug for d in w.deployments),
        )
        for w in release.waves
    ]


def wave(release: Release, kind: str, region: str) -> Wave:
    (found,) = [
        w for w in release.waves if w.environment_kind == kind and w.window.region.slug == region
    ]
    return found


def deployment(session, environment: str, *, release: str | None = None, hotfix=None):
    return releases.find_deployment(
        session, environment=environment, release=release, hotfix=hotfix.id if hotfix else None
    )


def succeed_everywhere(session, release: Release, at: datetime) -> None:
    for w in release.waves:
        releases.report_wave(session, w.id, status="succeeded", actor="pipeline", now=at)


def snapshot(session) -> dict[str, list]:
    """Every row of the tables these use cases write, by primary key."""
    session.flush()
    tables = [
        t.__table__
        for t in (
            Release,
            ReleaseItem,
            Wave,
            Deployment,
            DeploymentOutcome,
            Hotfix,
            Window,
            WindowRevision,
        )
    ] + [hotfix_customer]
    return {
        t.name: session.execute(select(t).order_by(*t.primary_key.columns)).all() for t in tables
    }


@contextmanager
def refused(session, error: type[Exception], match: str | None = None) -> Iterator:
    """The block raises `error` and the database is exactly as before."""
    before = snapshot(session)
    with pytest.raises(error, match=match) as caught:
        yield caught
    assert snapshot(session) == before


def zero_day(session, *, customers=None, actor="alice", now=NOW):
    return releases.request_hotfix(
        session,
        title="OpenSSL CVE",
        urgency="zero_day",
        jira_key="SEC-7",
        justification="Exploited in the wild",
        customers=customers,
        actor=actor,
        now=now,
    )
