"""Demo data for a newcomer: three regions on the "second Saturday 09:00-11:00" rule, five
months of history (a completed release, one still rolling out, a per-customer patch), what
lies ahead (a release being filled, a zero-day in an emergency window, freezes, an
announced, a skipped and a moved window) and, given a password, staff to sign in as.
The README's tour describes it; tests/rollout/test_demo_tour.py holds the two to each other.

The history is made with the same use cases as everything else, each called with the time
it happened at: the regions and policies date from five months back, so their windows exist.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.access import Role, create_user
from rollout.customers import create_customer, create_region
from rollout.events import Context
from rollout.freezes import create_freeze
from rollout.releases import (
    Release,
    add_item,
    approve_hotfix,
    create_release,
    move_wave,
    plan_release,
    report_outcome,
    report_wave,
    request_hotfix,
)
from rollout.schema import metadata
from rollout.support.demo import AGENT, load_support_demo
from rollout.windows import (
    STAFF,
    Window,
    WindowKind,
    WindowStatus,
    change_window,
    create_policy,
    default_horizon,
    list_windows,
    plan_windows,
)

ACTOR = "demo"
RELEASE_MANAGER = "alice@example.com"
SECOND_RELEASE_MANAGER = "bob@example.com"
PIPELINE = "deploy-pipeline"
HISTORY = timedelta(days=150)
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
# (kind, Jira key, internal summary, customer-facing note) for each release, oldest first.
ITEMS = {
    "completed": [
        (
            "feature",
            "OPS-101",
            "Report scheduler on the new job queue",
            "**Scheduled exports**: run any report on a schedule and receive it by email.",
        ),
        (
            "fix",
            "OPS-114",
            "PDF renderer truncates address block over 4 lines",
            "Invoices no longer cut off long billing addresses.",
        ),
        (
            "security",
            "SEC-21",
            "Session fixation after role change (pentest finding 7)",
            "Sessions are renewed when a user's permissions change.",
        ),
        (
            "improvement",
            "OPS-120",
            "Index on audit_event(created_at)",
            "The audit log opens faster on large accounts.",
        ),
    ],
    "rolling out": [
        (
            "feature",
            "OPS-140",
            "Audit log export endpoint",
            "Export the audit log as CSV from **Settings › Audit**. "
            "See [the guide](https://docs.example.com/audit-export).",
        ),
        (
            "fix",
            "OPS-151",
            "Timezone offset wrong on reminders created during DST change",
            "Reminders created on the day clocks change fire at the right time.",
        ),
        (
            "security",
            "SEC-30",
            "SSRF via webhook URL redirect",
            "Webhook deliveries no longer follow redirects to private addresses.",
        ),
    ],
    "draft": [
        (
            "feature",
            "OPS-170",
            "Bulk user import v2",
            "Import up to 10,000 users at once, with a preview before anything changes.",
        ),
        (
            "fix",
            "OPS-176",
            "Search ignores accented characters",
            "Search finds *Zoë* when you type *Zoe*.",
        ),
        ("improvement", "OPS-181", "Dashboard query cache", ""),
    ],
}


# Who signs in to the demo, all with one password: the zero-day is requested by the first
# release manager and approved by the second; the agent linked the demo's tickets.
STAFF_SIGNINS = [
    (RELEASE_MANAGER, "Alice Moreau", Role.RELEASE_MANAGER),
    (SECOND_RELEASE_MANAGER, "Bob Okafor", Role.RELEASE_MANAGER),
    (AGENT, "Sam Reyes", Role.SUPPORT_AGENT),
]


def load_demo(
    session: Session, *, now: datetime, context: Context, password: str | None = None
) -> bool:
    """Add the demo data to an empty database, with `STAFF_SIGNINS` sharing `password` when
    one is given; returns whether anything was added (nothing is, to a database in use)."""
    if not is_empty(session):
        return False
    _regions_and_customers(session, since=now - HISTORY, now=now)
    _history(session, now=now, context=context)
    _upcoming(session, now=now, context=context)
    _contacts(session, now=now)
    load_support_demo(session, now=now)
    if password is not None:
        for email, name, role in STAFF_SIGNINS:
            create_user(session, email=email, name=name, role=role, password=password, now=now)
    return True


def is_empty(session: Session) -> bool:
    """Whether no table holds a row: the demo is for a fresh database, never one in use."""
    return not any(
        session.execute(select(1).select_from(table).limit(1)).first()
        for table in metadata.sorted_tables
    )


# (customer, name, email, role, locale): who hears of maintenance, one of them in French; Maria
# is an admin, who manages Acme's contacts and webhooks on the pages.
CONTACTS = [
    ("acme", "Maria Lopez", "maria.lopez@acme.example", "admin", "en"),
    ("globex", "Operations, Globex", "ops@globex.example", "shared mailbox", "en"),
    ("initech", "Camille Durand", "camille.durand@initech.example", "DSI", "fr"),
]


def _contacts(session: Session, *, now: datetime) -> None:
    """A few contacts, added last so the demo's past changes sent them nothing."""
    from rollout.customers import get_customer
    from rollout.notifications import create_contact

    for slug, name, email, role, locale in CONTACTS:
        create_contact(
            session,
            get_customer(session, slug),
            name=name,
            email=email,
            role=role,
            locale=locale,
            now=now,
        )


def _regions_and_customers(session: Session, *, since: datetime, now: datetime) -> None:
    for slug, name, zone in REGIONS:
        create_region(session, slug=slug, name=name, timezone=zone, now=since)
        create_policy(
            session,
            region=slug,
            title="Monthly maintenance",
            cron="0 9 * * 6#2",
            duration_minutes=120,
            actor=ACTOR,
            now=since,
        )
    plan_windows(session, until=default_horizon(now), now=now, actor=ACTOR)
    for slug, name, region, tier, zone in CUSTOMERS:
        create_customer(
            session, slug=slug, name=name, region=region, tier=tier, timezone=zone, now=since
        )


def _history(session: Session, *, now: datetime, context: Context) -> None:
    """One release went out in full four windows ago; the next is done on preview and in us
    and eu, while apac's production was put off to the next window; Stark got a patch
    meanwhile."""
    past = _past_windows(session, now)
    completed = _release(session, "completed", preview_in=[w[-4] for w in past.values()])
    rolling = _release(session, "rolling out", preview_in=[w[-2] for w in past.values()])

    before_last = min(w[-1].starts_at for w in past.values()) - timedelta(days=2)
    apac_production = next(
        w
        for w in rolling.waves
        if w.environment_kind == "production" and w.window.region.slug == "apac"
    )
    next_apac = _regular(session, "apac", after=now)[0]
    move_wave(session, apac_production.id, window_id=next_apac.id, now=before_last)
    patch = request_hotfix(
        session,
        title="CSV import accepts semicolon-delimited files",
        urgency="normal",
        jira_key="OPS-163",
        summary="Stark's ERP exports use ';' - blocking their month-end import",
        public_note="Imports accept semicolon-delimited CSV files.",
        customers=["stark"],
        actor=RELEASE_MANAGER,
        now=before_last,
    )

    for wave in [*completed.waves, *rolling.waves]:
        if wave.window.ends_at <= now:
            start = wave.window.starts_at
            for status, after in (("in_progress", 5), ("succeeded", 45)):
                report_wave(
                    session,
                    wave.id,
                    status=status,
                    actor=PIPELINE,
                    now=start + timedelta(minutes=after),
                )
    for deployment in patch.deployments:
        start = deployment.window.starts_at
        report_outcome(
            session,
            deployment,
            status="succeeded",
            actor=PIPELINE,
            now=start + timedelta(minutes=30),
        )
    for windows in past.values():
        for window in windows:
            _hold(session, window, since=now - HISTORY, context=context)


def _upcoming(session: Session, *, now: datetime, context: Context) -> None:
    """A zero-day in emergency windows, the year-end freeze, Initech's launch, the next
    release being filled, and an announced, a skipped and a moved window."""
    zero_day = request_hotfix(
        session,
        title="TLS library update for CVE-2026-4242",
        urgency="zero_day",
        jira_key="SEC-42",
        summary="Heap overflow in the TLS handshake; vendor advisory; exploit public",
        public_note="Updates the TLS library to close a remotely exploitable flaw.",
        justification="Actively exploited; the vendor rates it critical; cannot wait a month",
        actor=RELEASE_MANAGER,
        now=now,
    )
    approve_hotfix(session, zero_day.id, actor=SECOND_RELEASE_MANAGER, now=now, context=context)

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
        slug: [w for w in _regular(session, slug, after=now) if w.status == WindowStatus.PLANNED]
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
        session,
        first_us.id,
        change="announce",
        expected_sequence=0,
        actor=ACTOR,
        now=now,
        context=context,
    )
    skipped = upcoming["us"][2]
    change_window(
        session,
        skipped.id,
        change="skip",
        expected_sequence=0,
        reason="The operations team is at its annual off-site: no on-call cover that weekend",
        actor=ACTOR,
        now=now,
        context=context,
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
        context=context,
    )
    _release(session, "draft", preview_in=[w[0] for w in upcoming.values()], now=now)


def _release(
    session: Session, role: str, *, preview_in: list[Window], now: datetime | None = None
) -> Release:
    """A release named after the month of its first windows. Given `now`, a draft being
    filled; otherwise filled and planned five days before those windows, as a release
    manager would have done."""
    first = min(w.starts_at for w in preview_in)
    at = now or first - timedelta(days=5)
    release = create_release(
        session, version=f"{first:%Y.%m}", title=f"{first:%B %Y} release", now=at
    )
    for kind, jira_key, summary, note in ITEMS[role]:
        add_item(
            session,
            release.version,
            kind=kind,
            jira_key=jira_key,
            summary=summary,
            public_note=note,
            now=at,
        )
    if now is None:
        plan_release(session, release.version, actor=RELEASE_MANAGER, now=at)
    return release


def _past_windows(session: Session, now: datetime) -> dict[str, list[Window]]:
    """Each region's regular windows that ended before `now`, oldest first (four at least:
    five months of monthly windows)."""
    found: dict[str, list[Window]] = defaultdict(list)
    for window in list_windows(session, start=now - HISTORY, end=now, audience=STAFF):
        if window.kind == WindowKind.REGULAR and window.ends_at <= now:
            found[window.region.slug].append(window)
    return dict(found)


def _regular(session: Session, region: str, *, after: datetime) -> list[Window]:
    """The region's regular windows starting after `after` within 200 days, by start."""
    return [
        w
        for w in list_windows(session, start=after, end=after + timedelta(days=200), audience=STAFF)
        if w.region.slug == region and w.kind == WindowKind.REGULAR and w.starts_at > after
    ]


def _hold(session: Session, window: Window, *, since: datetime, context: Context) -> None:
    """A past window as it happened: announced a week ahead, started and completed on time."""
    steps = [
        ("announce", max(window.starts_at - timedelta(days=7), since)),
        ("start", window.starts_at),
        ("complete", window.ends_at),
    ]
    for change, at in steps:
        change_window(
            session,
            window.id,
            change=change,
            expected_sequence=window.sequence,
            actor=ACTOR,
            now=at,
            context=context,
        )
