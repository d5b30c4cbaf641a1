"""Demo data for a newcomer: three regions on the "second Saturday 09:00-11:00" rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import Region, create_customer, create_region
from rollout.freezes import create_freeze
from rollout.windows import STAFF, WindowStatus, change_window, create_policy, list_windows

ACTOR = "demo"
REGIONS = [
    ("us", "United States (N. Virginia)", "America/New_York"),
    ("eu", "Europe (Ireland)", "Europe/Dublin"),
    ("apac", "Asia-Pacific (Sydney)", "Australia/Sydney"),
]
CUSTOMERS = [
    ("acme", "Acme Corporation", "us", "gold", "America/Chicago"),
    ("globex", "Globex", "us", "standard", None),
    ("initech", "Initech", "eu", "platinum", "Europe/Paris"),
    ("umbrella", "Umbrella plc", "eu", "silver", None),
    ("wayne", "Wayne Enterprises", "apac", "standard", None),
    ("stark", "Stark Industries", "apac", "gold", "Australia/Perth"),
]


def load_demo(session: Session, *, now: datetime) -> bool:
    """Add the demo data unless it is there; returns whether anything was added."""
    if session.scalar(select(Region.id).where(Region.slug == "us")) is not None:
        return False
    for slug, name, zone in REGIONS:
        create_region(session, slug=slug, name=name, timezone=zone, now=now)
        create_policy(
            session,
            region=slug,
            title="Monthly maintenance",
            cron="0 9 * * 6#2",
            duration_minutes=120,
            actor=ACTOR,
            now=now,
        )
    for slug, name, region, tier, zone in CUSTOMERS:
        create_customer(
            session, slug=slug, name=name, region=region, tier=tier, timezone=zone, now=now
        )

    year = now.year if now.month < 12 or now.day < 20 else now.year + 1
    create_freeze(
        session,
        title="Year-end holiday freeze",
        starts_at=datetime(year, 12, 20, tzinfo=UTC),
        ends_at=datetime(year + 1, 1, 5, tzinfo=UTC),
        reason="Reduced staffing over the holidays",
        actor=ACTOR,
        now=now,
    )

    upcoming = {
        slug: [
            w
            for w in list_windows(session, start=now, end=now + timedelta(days=200), audience=STAFF)
            if w.region.slug == slug and w.status == WindowStatus.PLANNED
        ]
        for slug, _, _ in REGIONS
    }
    launch = upcoming["eu"][1]
    create_freeze(
        session,
        title="Initech product launch",
        customer="initech",
        starts_at=launch.starts_at - timedelta(days=2),
        ends_at=launch.ends_at + timedelta(days=2),
        reason="Go-live of Initech's new storefront: stability and standby",
        actor=ACTOR,
        now=now,
    )
    first_us = upcoming["us"][0]
    change_window(
        session, first_us.id, change="announce", expected_sequence=0, actor=ACTOR, now=now
    )
    skipped = upcoming["us"][2]
    change_window(
        session,
        skipped.id,
        change="skip",
        expected_sequence=0,
        reason="Clashes with the US Independence Day weekend support rota",
        actor=ACTOR,
        now=now,
    )
    moved = upcoming["apac"][1]
    change_window(
        session,
        moved.id,
        change="move",
        expected_sequence=0,
        starts_at=moved.starts_at + timedelta(days=7),
        reason="Sydney data-centre power work on the usual weekend",
        actor=ACTOR,
        now=now,
    )
    return True
