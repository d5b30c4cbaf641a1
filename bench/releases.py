"""Planning a release for thousands of customers, and "which environments have fix X", on
PostgreSQL.

    python -m bench.releases [--postgres URL] [--repeats N]

Without --postgres a throwaway server is started from the local binaries (tests/pgserver.py).

(a) create_release + plan_release + commit for 1,000 / 2,500 / 5,000 customers x 2
    environments across 3 regions (policies planned 18 months ahead, the year-end freeze, and
    an event plan for 2% of customers over the first production window, so some defer);
(b) environments_with_fix for release items' and hotfixes' Jira keys at 100 releases /
    10,000 deployments and at 1,000 releases / 100,000 deployments (2,000 environments; rows
    bulk-inserted with SQLAlchemy Core), with PostgreSQL's plan for the release half;
(c) report_wave + commit of the largest production wave at 5,000 customers as succeeded,
    with tickets on bugs the release carries (and some it does not) for some of the wave's
    customers, so closing the loop marks links fix-live and tells requesters; with the
    number of SQL statements a report costs.
Prints medians, p90s and growth ratios; writes bench/results/releases.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

import sqlalchemy as sa

from bench.windows import PostgresDatabases, Stats, check
from rollout.customers import Customer, Environment, Region, create_region
from rollout.db import make_engine, make_session_factory
from rollout.freezes import Freeze, FreezeKind, FreezeScope
from rollout.jira.models import Bug
from rollout.notifications.models import Contact, Notification
from rollout.releases import (
    Deployment,
    DeploymentOutcome,
    DeploymentStatus,
    Hotfix,
    Release,
    ReleaseItem,
    ReleaseStatus,
    Wave,
    create_release,
    environments_with_fix,
    move_wave,
    plan_release,
    report_wave,
)
from rollout.support.models import Ticket, TicketBug
from rollout.windows import Window, create_policy
from tests.pgserver import throwaway_postgres

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
REGIONS = {"us": "America/New_York", "eu": "Europe/Dublin", "apac": "Australia/Sydney"}
PLAN_SIZES = (1_000, 2_500, 5_000)
EVENT_PLAN_SHARE = 50  # one customer in 50 is in its event plan over the first production
FIX_SIZES = ((100, 10_000), (1_000, 100_000))
FIX_ENVIRONMENTS = 2_000
ITEMS_PER_RELEASE = 5
HOTFIXES_PER_100_RELEASES = 10
HOTFIX_DEPLOYMENTS = 20
QUERIES = 60
REPORT_CUSTOMERS = 5_000
TICKET_CUSTOMERS = 100  # of the wave's customers, each with TICKETS_PER_CUSTOMER tickets
TICKETS_PER_CUSTOMER = 5
BUGS = 10  # OPS-1..10: the release's items name the first ITEM_BUGS, a fix version one more
ITEM_BUGS = 6
# After every region's January window (us's starts 14:00 UTC): the success is not early.
REPORTED_AT = datetime(2027, 1, 10, 12, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results" / "releases.json"


# --- shared set-up -------------------------------------------------------------------------------


@contextmanager
def database(databases: PostgresDatabases) -> Iterator[sa.Engine]:
    url = databases.fresh()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        databases.drop(url)


def add_customers(session, count: int) -> list[int]:
    """`count` customers spread over the regions, each with preview and production; bulk."""
    regions = {r.slug: r.id for r in session.scalars(sa.select(Region))}
    slugs = sorted(regions)
    customers = [
        {
            "slug": f"c{n:05d}",
            "name": f"Customer {n}",
            "region_id": regions[slugs[n % len(slugs)]],
            "tier": "standard",
            "timezone": "UTC",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(count)
    ]
    session.execute(sa.insert(Customer), customers)
    ids = session.execute(sa.select(Customer.id, Customer.slug)).all()
    session.execute(
        sa.insert(Environment),
        [
            {"customer_id": cid, "kind": kind, "name": f"{slug}-{kind}"}
            for cid, slug in ids
            for kind in ("preview", "production")
        ],
    )
    return [cid for cid, _ in ids]


# --- (a) planning ------------------------------------------------------------------------------


def plan_world(session, customers: int) -> None:
    """Three regions with policies, `customers` customers, the year-end freeze, event plans."""
    for slug, zone in REGIONS.items():
        create_region(session, slug=slug, name=f"Region {slug}", timezone=zone, now=NOW)
        create_policy(
            session,
            region=slug,
            title="Monthly maintenance",
            cron="0 9 * * 6#2",
            duration_minutes=120,
            actor="bench",
            now=NOW,
        )
    ids = add_customers(session, customers)
    freezes = [
        {
            "scope": FreezeScope.GLOBAL,
            "kind": FreezeKind.FREEZE,
            "title": "Year-end freeze",
            "starts_at": datetime(2026, 12, 20, tzinfo=UTC),
            "ends_at": datetime(2027, 1, 5, tzinfo=UTC),
            "created_by": "bench",
            "created_at": NOW,
        }
    ]
    # January's windows (the first production ones) fall between Jan 8 and Jan 10 UTC.
    freezes += [
        {
            "scope": FreezeScope.CUSTOMER,
            "kind": FreezeKind.EVENT_PLAN,
            "customer_id": cid,
            "title": "Launch",
            "starts_at": datetime(2027, 1, 7, tzinfo=UTC),
            "ends_at": datetime(2027, 1, 11, tzinfo=UTC),
            "created_by": "bench",
            "created_at": NOW,
        }
        for cid in ids[::EVENT_PLAN_SHARE]
    ]
    session.execute(sa.insert(Freeze), freezes)
    session.commit()


def time_planning(
    databases: PostgresDatabases, customers: int, repeats: int
) -> tuple[list[float], list[float], int]:
    """(a) Seconds per create_release + plan_release + commit, each run a new release; and per
    move_wave + commit of the largest production wave to the next window (and back)."""
    plans, moves = [], []
    with database(databases) as engine, make_session_factory(engine)() as session:
        plan_world(session, customers)
        for run in range(repeats):
            version = f"2026.{run + 1}"
            started = perf_counter()
            release = create_release(session, version=version, title="Bench", now=NOW)
            plan_release(session, version, actor="bench", now=NOW)
            session.commit()
            plans.append(perf_counter() - started)
            planned = session.scalar(
                sa.select(sa.func.count(Deployment.id)).where(Deployment.release_id == release.id)
            )
            check(planned == 2 * customers, f"planned {planned} deployments, not {2 * customers}")
            check(any(w.note for w in release.waves), "no wave deferred an event plan")
            wave = max(
                (w for w in release.waves if w.environment_kind == "production"),
                key=lambda w: len(w.deployments),
            )
            moved = len(wave.deployments)
            there, back = next_window(session, wave.window), wave.window_id
            for window_id in (there, back):
                session.expunge_all()
                started = perf_counter()
                move_wave(session, wave.id, window_id=window_id, now=NOW)
                session.commit()
                moves.append(perf_counter() - started)
            # Clear the plan so every run plans into the same tables.
            session.execute(sa.delete(Deployment).where(Deployment.release_id == release.id))
            session.execute(sa.delete(Wave).where(Wave.release_id == release.id))
            session.execute(sa.delete(Release).where(Release.id == release.id))
            session.commit()
            session.expunge_all()
    return plans, moves, moved


def next_window(session, window: Window) -> int:
    return session.scalar(
        sa.select(Window.id)
        .where(Window.region_id == window.region_id, Window.starts_at > window.starts_at)
        .order_by(Window.starts_at)
        .limit(1)
    )


# --- (b) which environments have fix X -----------------------------------------------------------


def fix_world(session, releases: int, deployments: int, rng: random.Random) -> list[str]:
    """`releases` completed releases, each with items and deployed to a slice of the
    environments, plus hotfixes; returns Jira keys to ask about."""
    add_customers(session, FIX_ENVIRONMENTS // 2)
    environments = list(session.scalars(sa.select(Environment.id).order_by(Environment.id)))
    session.execute(
        sa.insert(Release),
        [
            {
                "version": f"{1000 + n // 12}.{n % 12 + 1}",
                "title": f"Release {n}",
                "status": ReleaseStatus.COMPLETED,
                "soak_days": 7,
                "created_at": NOW,
                "updated_at": NOW,
                "completed_at": NOW,
            }
            for n in range(releases)
        ],
    )
    release_ids = list(session.scalars(sa.select(Release.id).order_by(Release.id)))
    session.execute(
        sa.insert(ReleaseItem),
        [
            {
                "release_id": rid,
                "kind": "fix",
                "jira_key": f"OPS-{n * ITEMS_PER_RELEASE + i + 1}",
                "summary": "a fix",
                "created_at": NOW,
            }
            for n, rid in enumerate(release_ids)
            for i in range(ITEMS_PER_RELEASE)
        ],
    )
    hotfixes = releases * HOTFIXES_PER_100_RELEASES // 100
    session.execute(
        sa.insert(Hotfix),
        [
            {
                "title": f"Hotfix {n}",
                "jira_key": f"HOT-{n + 1}",
                "urgency": "normal",
                "status": "applied",
                "requested_by": "bench",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(hotfixes)
        ],
    )
    hotfix_ids = list(session.scalars(sa.select(Hotfix.id).order_by(Hotfix.id)))
    per_release = (deployments - hotfixes * HOTFIX_DEPLOYMENTS) // releases
    rows = []
    for n, rid in enumerate(release_ids):
        first = (n * per_release) % len(environments)
        for k in range(per_release):
            rows.append(deployment_row(environments[(first + k) % len(environments)], rng, rid))
    for hid in hotfix_ids:
        for env in rng.sample(environments, HOTFIX_DEPLOYMENTS):
            rows.append(deployment_row(env, rng, None, hotfix_id=hid))
    for start in range(0, len(rows), 20_000):
        session.execute(sa.insert(Deployment), rows[start : start + 20_000])
    session.commit()
    total = session.scalar(sa.select(sa.func.count(Deployment.id)))
    check(total == deployments, f"inserted {total} deployments, not {deployments}")
    session.execute(sa.text("ANALYZE"))
    session.commit()
    keys = [f"OPS-{rng.randrange(releases * ITEMS_PER_RELEASE) + 1}" for _ in range(QUERIES)]
    keys += [f"HOT-{rng.randrange(hotfixes) + 1}" for _ in range(QUERIES // 6)]
    return keys


def deployment_row(environment_id: int, rng: random.Random, release_id, hotfix_id=None) -> dict:
    roll = rng.random()
    status = (
        DeploymentStatus.SUCCEEDED
        if roll < 0.9
        else DeploymentStatus.ROLLED_BACK
        if roll < 0.95
        else DeploymentStatus.FAILED
    )
    return {
        "environment_id": environment_id,
        "release_id": release_id,
        "hotfix_id": hotfix_id,
        "status": status,
        "scheduled_for": NOW,
        "started_at": NOW,
        "finished_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }


def time_fix_queries(
    databases: PostgresDatabases, releases: int, deployments: int, repeats: int
) -> tuple[list[float], int, str]:
    """(b) Seconds per environments_with_fix call over many keys; plus the mean answer size
    and PostgreSQL's plan for the release half of one query."""
    rng = random.Random(releases)
    with database(databases) as engine, make_session_factory(engine)() as session:
        for slug, zone in REGIONS.items():
            create_region(session, slug=slug, name=f"Region {slug}", timezone=zone, now=NOW)
        keys = fix_world(session, releases, deployments, rng)
        for key in keys[:5]:  # warm the caches and the statement cache
            environments_with_fix(session, key)
        samples, found = [], 0
        for _ in range(repeats):
            for key in keys:
                started = perf_counter()
                found += len(environments_with_fix(session, key))
                samples.append(perf_counter() - started)
                session.expunge_all()
        plan = explain(session, keys[0])
    return samples, found // (len(keys) * repeats), plan


def explain(session, jira_key: str) -> str:
    query = (
        sa.select(Deployment.environment_id)
        .join(Release)
        .join(ReleaseItem)
        .where(ReleaseItem.jira_key == jira_key, Deployment.status == DeploymentStatus.SUCCEEDED)
    )
    compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
    rows = session.execute(sa.text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {compiled}"))
    return "\n".join(r[0] for r in rows)


# --- (c) reporting a wave ----------------------------------------------------------------------


def report_world(session, version: str) -> tuple[Wave, int]:
    """The planning world with a planned release and tickets linked to its bugs; returns its
    largest production wave and how many ticket links reporting it should make live."""
    plan_world(session, REPORT_CUSTOMERS)
    create_release(session, version=version, title="Bench", now=NOW)
    release = session.scalar(sa.select(Release).where(Release.version == version))
    session.execute(
        sa.insert(ReleaseItem),
        [
            {
                "release_id": release.id,
                "kind": "fix",
                "jira_key": f"OPS-{n + 1}",
                "summary": "a fix",
                "created_at": NOW,
            }
            for n in range(ITEM_BUGS)
        ],
    )
    plan_release(session, version, actor="bench", now=NOW)
    session.execute(
        sa.insert(Bug),
        [
            {
                "key": f"OPS-{n + 1}",
                "project": "OPS",
                "summary": "a bug",
                "status": "Done",
                "status_category": "done",
                "fix_versions": [version] if n == ITEM_BUGS else [],
                "jira_updated_at": NOW,
                "synced_at": NOW,
            }
            for n in range(BUGS)
        ],
    )
    wave = max(
        (w for w in release.waves if w.environment_kind == "production"),
        key=lambda w: len(w.deployments),
    )
    step = len(wave.deployments) // TICKET_CUSTOMERS
    customers = [d.environment.customer_id for d in wave.deployments[::step]]
    tickets = [
        (cid, f"ZD-{c * TICKETS_PER_CUSTOMER + t}")
        for c, cid in enumerate(customers[:TICKET_CUSTOMERS])
        for t in range(TICKETS_PER_CUSTOMER)
    ]
    session.execute(
        sa.insert(Ticket),
        [
            {
                "external_id": external_id,
                "url": f"https://help.example.com/tickets/{external_id}",
                "customer_id": cid,
                "requester_name": f"Requester {external_id}",
                "requester_email": f"{external_id.lower()}@example.com",
                "subject": "Exports time out",
                "sla_level": 2,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for cid, external_id in tickets
        ],
    )
    bug_ids = list(session.scalars(sa.select(Bug.id).order_by(Bug.id)))
    ticket_ids = list(session.scalars(sa.select(Ticket.id).order_by(Ticket.id)))
    session.execute(
        sa.insert(TicketBug),
        [
            {"ticket_id": tid, "bug_id": bug_ids[n % BUGS], "linked_by": "bench", "linked_at": NOW}
            for n, tid in enumerate(ticket_ids)
        ],
    )
    session.commit()
    carried = sum(1 for n in range(len(ticket_ids)) if n % BUGS <= ITEM_BUGS)
    return wave, carried


def time_reporting(databases: PostgresDatabases, repeats: int) -> tuple[list[float], int, int, int]:
    """(c) Seconds per report_wave(succeeded) + commit of the largest production wave, each
    run from the same state (the wave scheduled, no link live, no requester a contact yet);
    the wave's size, the links each run makes live and the SQL statements a run sends."""
    samples: list[float] = []
    statements: list[str] = []
    with database(databases) as engine, make_session_factory(engine)() as session:
        wave, carried = report_world(session, "2027.1")
        wave_id, release_id, reported = wave.id, wave.release_id, len(wave.deployments)
        sa.event.listen(
            engine, "before_cursor_execute", lambda _conn, _cursor, sql, *_: statements.append(sql)
        )
        for _ in range(repeats):
            session.expunge_all()
            statements.clear()
            started = perf_counter()
            report_wave(session, wave_id, status="succeeded", actor="bench", now=REPORTED_AT)
            session.commit()
            samples.append(perf_counter() - started)
            sent = len(statements)
            live = session.scalar(
                sa.select(sa.func.count(TicketBug.id)).where(TicketBug.fix_live_at.is_not(None))
            )
            check(live == carried, f"{live} ticket links live, not {carried}")
            told = session.scalar(sa.select(sa.func.count(Notification.id)))
            check(told == carried, f"{told} notifications, not one per live link ({carried})")
            session.execute(sa.delete(Notification))
            session.execute(sa.delete(Contact))
            session.execute(sa.delete(DeploymentOutcome))
            session.execute(sa.update(TicketBug).values(fix_live_at=None))
            session.execute(
                sa.update(Deployment)
                .where(Deployment.wave_id == wave_id)
                .values(
                    status=DeploymentStatus.SCHEDULED,
                    started_at=None,
                    finished_at=None,
                    reported_by=None,
                    note="",
                )
            )
            session.execute(
                sa.update(Release)
                .where(Release.id == release_id)
                .values(status=ReleaseStatus.SCHEDULED)
            )
            session.commit()
    return samples, reported, carried, sent


# --- running and reporting -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.releases",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server whose user may CREATE DATABASE (default: start a throwaway one)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per planning size")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)
    repeats = max(args.repeats, 1)

    with ExitStack() as stack:
        url = args.postgres or stack.enter_context(throwaway_postgres())
        databases = PostgresDatabases(url)
        stack.callback(databases.close)
        server = databases.admin.connect().exec_driver_sql("show server_version").scalar()

        planning, moving = {}, {}
        for customers in PLAN_SIZES:
            plans, moves, moved = time_planning(databases, customers, repeats)
            planning[customers], moving[customers] = Stats.of(plans), (moved, Stats.of(moves))
            print(f"(a) planned {customers} customers", file=sys.stderr)
        fixes, answers, plans = {}, {}, {}
        for releases, deployments in FIX_SIZES:
            samples, answers[releases], plans[releases] = time_fix_queries(
                databases, releases, deployments, 3
            )
            fixes[releases] = (deployments, Stats.of(samples))
            print(f"(b) asked {releases} releases", file=sys.stderr)
        samples, reported, carried, sent = time_reporting(databases, repeats)
        reporting = (reported, carried, sent, Stats.of(samples))
        print("(c) reported a production wave", file=sys.stderr)

    document = report(planning, moving, fixes, answers, reporting, repeats, server)
    document["postgres_plans"] = {str(k): v for k, v in plans.items()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"PostgreSQL's plan at {FIX_SIZES[-1][0]} releases:\n{plans[FIX_SIZES[-1][0]]}")
    print(f"wrote {args.output}")
    return 0


def report(planning, moving, fixes, answers, reporting, repeats: int, server: str) -> dict:
    """Print the tables and return the JSON document."""
    print(f"PostgreSQL {server}; now = {NOW:%Y-%m-%d %H:%MZ}")
    print(f"(a) create_release + plan_release + commit, {repeats} runs each")
    print(f"{'customers':>10} {'envs':>7} {'median ms':>10} {'p90 ms':>10} {'x smallest':>11}")
    plan_base = planning[PLAN_SIZES[0]].median_ms
    for customers, stats in planning.items():
        print(
            f"{customers:>10} {2 * customers:>7} {stats.median_ms:10.1f} {stats.p90_ms:10.1f} "
            f"{stats.median_ms / plan_base:11.2f}"
        )
    print("(a) move_wave + commit, the largest production wave to the next window and back")
    print(f"{'customers':>10} {'wave':>7} {'median ms':>10} {'p90 ms':>10}")
    for customers, (moved, stats) in moving.items():
        print(f"{customers:>10} {moved:>7} {stats.median_ms:10.1f} {stats.p90_ms:10.1f}")
    print("(b) environments_with_fix(jira_key), release items and hotfixes")
    print(
        f"{'releases':>10} {'deploys':>8} {'calls':>6} {'median ms':>10} {'p90 ms':>10} "
        f"{'x smallest':>11} {'envs/answer':>12}"
    )
    fix_base = fixes[FIX_SIZES[0][0]][1].median_ms
    for releases, (deployments, stats) in fixes.items():
        print(
            f"{releases:>10} {deployments:>8} {stats.runs:>6} {stats.median_ms:10.2f} "
            f"{stats.p90_ms:10.2f} {stats.median_ms / fix_base:11.2f} {answers[releases]:>12}"
        )
    reported, carried, sent, report_stats = reporting
    tickets = TICKET_CUSTOMERS * TICKETS_PER_CUSTOMER
    print(
        f"(c) report_wave(succeeded) + commit, the largest production wave at "
        f"{REPORT_CUSTOMERS} customers; {tickets} tickets on {TICKET_CUSTOMERS} of its customers"
    )
    print(
        f"{'wave':>7} {'tickets':>8} {'made live':>10} {'statements':>11} {'median ms':>10} "
        f"{'p90 ms':>10}"
    )
    print(
        f"{reported:>7} {tickets:>8} {carried:>10} {sent:>11} {report_stats.median_ms:10.1f} "
        f"{report_stats.p90_ms:10.1f}"
    )
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan_release": {
            str(c): vars(s)
            | {"environments": 2 * c, "x_smallest": round(s.median_ms / plan_base, 2)}
            for c, s in planning.items()
        },
        "move_wave": {
            str(c): vars(s) | {"wave_deployments": moved} for c, (moved, s) in moving.items()
        },
        "environments_with_fix": {
            str(r): vars(s)
            | {
                "deployments": d,
                "environments_per_answer": answers[r],
                "x_smallest": round(s.median_ms / fix_base, 2),
            }
            for r, (d, s) in fixes.items()
        },
        "report_wave": vars(report_stats)
        | {
            "customers": REPORT_CUSTOMERS,
            "wave_deployments": reported,
            "tickets": tickets,
            "ticket_customers": TICKET_CUSTOMERS,
            "links_made_live": carried,
            "statements": sent,
        },
        "growth": {
            "plan_release_5000_vs_1000": round(
                planning[PLAN_SIZES[-1]].median_ms / planning[PLAN_SIZES[0]].median_ms, 2
            ),
            "environments_with_fix_1000_vs_100": round(
                fixes[FIX_SIZES[-1][0]][1].median_ms / fixes[FIX_SIZES[0][0]][1].median_ms, 2
            ),
        },
        "config": {
            "now": NOW.isoformat(),
            "regions": REGIONS,
            "plan_sizes": PLAN_SIZES,
            "event_plan_share": f"1 in {EVENT_PLAN_SHARE}",
            "fix_sizes": FIX_SIZES,
            "fix_environments": FIX_ENVIRONMENTS,
            "items_per_release": ITEMS_PER_RELEASE,
            "repeats": repeats,
        },
        "environment": {
            "python": platform.python_version(),
            "postgresql": server,
            "sqlalchemy": version("sqlalchemy"),
            "psycopg": version("psycopg"),
            "platform": platform.platform(),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
