"""Fix-status lookups per second on PostgreSQL at 10,000 and 100,000 tickets.

    python -m bench.fix_status [--postgres URL] [--repeats N]

Without --postgres a throwaway server is started from the local binaries (tests/pgserver.py).

The world, bulk-inserted with SQLAlchemy Core: 5,000 customers (10,000 environments) in three
regions, 84 region windows, 24 monthly releases of 200 fixes each deployed to every
environment (the last two still rolling out), 5 hotfixes for everyone and 40 per-customer
patches, 20,000 bugs (2,000 more tied to releases by fix version), then 10,000 and later
100,000 tickets with 1-3 linked bugs each (about 290,000 deployments).

Measured, one lookup at a time, each with an empty identity map, and each beside a run of
the floor so that a loaded machine slows both alike:
(a) fix_status_for_ticket(ticket): the statuses of its linked bugs with the replies;
(b) fix_status_for_bug(key, customer);
(c) GET /api/v1/fix-status?ticket=... through Flask's test client (token check, JSON);
(0) the floor: the one indexed query a precomputed answer would need, the ticket's links and
    their bugs by the ticket's external id.
Prints medians, p90s, lookups per second (1 / median), the floor measured beside each path
and the ratio to it, and (c) / (a) with the two taken in turns; writes
bench/results/fix_status.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

import sqlalchemy as sa

from bench.releases import add_customers, database
from bench.windows import PostgresDatabases, Stats, bench_settings, check
from rollout.access import create_token
from rollout.customers import Customer, Environment, Region, create_region
from rollout.db import make_session_factory
from rollout.jira.models import Bug
from rollout.releases import Deployment, Hotfix, Release, ReleaseItem
from rollout.releases.models import hotfix_customer
from rollout.support.fix_status.answers import fix_status_for_bug, fix_status_for_ticket
from rollout.support.models import Ticket, TicketBug
from rollout.windows import Window
from tests.pgserver import throwaway_postgres
from web import create_app

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
REGIONS = {"us": "America/New_York", "eu": "Europe/Dublin", "apac": "Australia/Sydney"}
CUSTOMERS = 5_000
RELEASES = 24
ITEMS = 200
BUGS = 20_000
BY_FIX_VERSION = 2_000
GLOBAL_HOTFIXES = 5
PATCHES = 40
TICKET_SIZES = (10_000, 100_000)
LOOKUPS = 200
CHUNK = 20_000
RESULTS = Path(__file__).parent / "results" / "fix_status.json"


def build_world(session, rng: random.Random) -> list[str]:
    """Everything but the tickets; returns the bug keys a ticket is likely to name."""
    for slug, zone in REGIONS.items():
        create_region(session, slug=slug, name=f"Region {slug}", timezone=zone, now=NOW)
    add_customers(session, CUSTOMERS)
    regions = dict(session.execute(sa.select(Region.id, Region.timezone)).all())
    for region_id, zone in regions.items():
        session.execute(
            sa.update(Customer).where(Customer.region_id == region_id).values(timezone=zone)
        )
    session.execute(sa.update(Customer).where(Customer.id % 5 == 0).values(locale="fr"))
    # One window per region and month, the first 24 months past; the rest ahead.
    first = NOW - timedelta(days=28 * (RELEASES - 1))
    session.execute(
        sa.insert(Window),
        [
            {
                "region_id": region_id,
                "kind": "regular",
                "status": "completed" if first + timedelta(days=28 * m) < NOW else "planned",
                "title": "Monthly maintenance",
                "starts_at": first + timedelta(days=28 * m, hours=5 * i),
                "ends_at": first + timedelta(days=28 * m, hours=5 * i + 2),
                "timezone": regions[region_id],
                "sequence": 0,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i, region_id in enumerate(sorted(regions))
            for m in range(RELEASES + 4)
        ],
    )
    windows = {
        (w.region_id, n % (RELEASES + 4)): w.id
        for n, w in enumerate(
            session.execute(
                sa.select(Window.id, Window.region_id).order_by(Window.region_id, Window.starts_at)
            )
        )
    }
    session.execute(
        sa.insert(Release),
        [
            {
                "version": f"{2025 + r // 12}.{r % 12 + 1:02d}",
                "title": f"Release {r}",
                "status": "completed" if r < RELEASES - 2 else "rolling_out",
                "soak_days": 7,
                "created_at": NOW + timedelta(minutes=r),
                "updated_at": NOW,
            }
            for r in range(RELEASES)
        ],
    )
    releases = list(session.execute(sa.select(Release.id, Release.version).order_by(Release.id)))
    session.execute(
        sa.insert(ReleaseItem),
        [
            {
                "release_id": rid,
                "kind": "fix",
                "jira_key": f"OPS-{r * ITEMS + i + 1}",
                "summary": "a fix",
                "created_at": NOW,
            }
            for r, (rid, _) in enumerate(releases)
            for i in range(ITEMS)
        ],
    )
    carried = RELEASES * ITEMS
    session.execute(
        sa.insert(Bug),
        [
            {
                "key": f"OPS-{k}",
                "project": "OPS",
                "summary": f"Bug {k}",
                "status": "In Progress",
                "status_category": "indeterminate",
                "priority": "high",
                "fix_versions": [releases[k % RELEASES][1]]
                if carried < k <= carried + BY_FIX_VERSION
                else [],
                "jira_updated_at": NOW,
                "synced_at": NOW,
            }
            for k in range(1, BUGS + 1)
        ],
    )
    envs = session.execute(
        sa.select(Environment.id, Environment.kind, Environment.customer_id, Customer.region_id)
        .join(Customer)
        .order_by(Environment.id)
    ).all()
    rows = []
    for r, (rid, _) in enumerate(releases):
        for env_id, kind, _customer, region_id in envs:
            month = r + (0 if kind == "preview" else 1)
            done = month < RELEASES - 1
            rows.append(_deployment(env_id, windows[(region_id, month)], done, release_id=rid))
    session.execute(
        sa.insert(Hotfix),
        [
            {
                "title": f"Hotfix {n}",
                "jira_key": f"OPS-{rng.randrange(carried + 1, BUGS + 1)}",
                "urgency": "normal",
                "status": "applied" if n % 2 else "scheduled",
                "requested_by": "bench",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(GLOBAL_HOTFIXES + PATCHES)
        ],
    )
    hotfixes = list(session.execute(sa.select(Hotfix.id, Hotfix.status).order_by(Hotfix.id)))
    by_customer: dict[int, list] = {}
    for env in envs:
        by_customer.setdefault(env[2], []).append(env)
    targets = []
    for n, (hid, status) in enumerate(hotfixes):
        customers = (
            list(by_customer)
            if n < GLOBAL_HOTFIXES
            else rng.sample(list(by_customer), rng.randint(1, 3))
        )
        if n >= GLOBAL_HOTFIXES:
            targets += [{"hotfix_id": hid, "customer_id": c} for c in customers]
        for customer in customers:
            for env_id, _kind, _c, region_id in by_customer[customer]:
                applied = status == "applied"  # in the last past window; the rest in the next
                month = RELEASES - 2 if applied else RELEASES
                rows.append(
                    _deployment(env_id, windows[(region_id, month)], applied, hotfix_id=hid)
                )
    session.execute(sa.insert(hotfix_customer), targets)
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(Deployment), rows[start : start + CHUNK])
    session.commit()
    hotfix_keys = list(session.scalars(sa.select(Hotfix.jira_key)))
    return [f"OPS-{k}" for k in range(1, carried + BY_FIX_VERSION + 1)] + hotfix_keys


def _deployment(env_id, window_id, done, *, release_id=None, hotfix_id=None) -> dict:
    return {
        "environment_id": env_id,
        "release_id": release_id,
        "hotfix_id": hotfix_id,
        "window_id": window_id,
        "status": "succeeded" if done else "scheduled",
        "scheduled_for": NOW,
        "finished_at": NOW - timedelta(days=1) if done else None,
        "created_at": NOW,
        "updated_at": NOW,
    }


def add_tickets(session, start: int, count: int, likely: list[str], rng: random.Random) -> None:
    """Tickets `start` … `start + count - 1` on random customers, 1-3 bugs each."""
    customers = list(session.scalars(sa.select(Customer.id)))
    session.execute(
        sa.insert(Ticket),
        [
            {
                "external_id": f"T-{n}",
                "url": f"https://help.example.com/t/{n}",
                "customer_id": rng.choice(customers),
                "requester_name": "Requester",
                "requester_email": f"r{n}@example.com",
                "subject": "It is broken",
                "sla_level": rng.randint(1, 4),
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(start, start + count)
        ],
    )
    bug_ids = dict(session.execute(sa.select(Bug.key, Bug.id)).all())
    tickets = session.scalars(sa.select(Ticket.id).order_by(Ticket.id.desc()).limit(count))
    links = []
    for ticket_id in tickets:
        keys = {
            rng.choice(likely) if rng.random() < 0.7 else f"OPS-{rng.randint(1, BUGS)}"
            for _ in range(rng.randint(1, 3))
        }
        links += [
            {"ticket_id": ticket_id, "bug_id": bug_ids[k], "linked_by": "bench", "linked_at": NOW}
            for k in keys
        ]
    for first in range(0, len(links), CHUNK):
        session.execute(sa.insert(TicketBug), links[first : first + CHUNK])
    session.commit()
    session.execute(sa.text("ANALYZE"))
    session.commit()


def timed(call, arguments: list, session, floor) -> tuple[list[float], list[float], Counter]:
    """Seconds per `call(*args)` and per `floor(*args)` run just before it, each from an
    empty identity map; and the states seen."""
    samples, floors, states = [], [], Counter()
    for args in arguments[:10]:  # warm the caches and the statement cache
        floor(*args)
        call(*args)
        session.expunge_all()
    for args in arguments:
        started = perf_counter()
        floor(*args)
        floors.append(perf_counter() - started)
        session.expunge_all()
        started = perf_counter()
        answer = call(*args)
        samples.append(perf_counter() - started)
        if answer is not None:
            states.update(str(i.status.state) for i in answer.items)
        session.expunge_all()
    return samples, floors, states


# The floor: what reading a stored answer would cost, one indexed query for the ticket's links.
FLOOR = (
    sa.select(Ticket.id, Ticket.customer_id, TicketBug.bug_id, Bug.key)
    .join(TicketBug, TicketBug.ticket_id == Ticket.id)
    .join(Bug, TicketBug.bug_id == Bug.id)
    .where(Ticket.external_id == sa.bindparam("e"))
)


def measure(session, engine_url: str, tickets: int, rng: random.Random, repeats: int) -> dict:
    ids = [f"T-{rng.randrange(tickets)}" for _ in range(LOOKUPS * repeats)]
    pairs = session.execute(
        sa.select(Bug.key, Customer.slug, Ticket.external_id)
        .join(TicketBug, TicketBug.bug_id == Bug.id)
        .join(Ticket, TicketBug.ticket_id == Ticket.id)
        .join(Customer, Ticket.customer_id == Customer.id)
        .where(Ticket.external_id.in_(ids[: LOOKUPS * repeats]))
    ).all()

    def floor(e, *_):
        check(session.execute(FLOOR, {"e": e}).all(), f"no links for {e}")

    def ticket(e):
        return fix_status_for_ticket(session, e, now=NOW)

    results = {}
    results["ticket"] = timed(ticket, [(e,) for e in ids], session, floor)
    results["bug"] = timed(
        lambda _e, k, c: fix_status_for_bug(session, k, c, now=NOW),
        [(e, k, c) for k, c, e in pairs],
        session,
        floor,
    )
    app = create_app(bench_settings(engine_url))
    _, token = create_token(session, name="bench", role="support_agent", now=NOW)
    session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def http(e):
        response = client.get(f"/api/v1/fix-status?ticket={e}", headers=headers)
        check(response.status_code == 200, f"GET fix-status answered {response.status_code}")

    results["http"] = timed(http, [(e,) for e in ids[:LOOKUPS]], session, floor)
    # (c) over (a) taken in turns, as each path is over the floor: a load that comes and
    # goes between two separate runs would otherwise decide the ratio.
    results["http_beside"] = timed(http, [(e,) for e in ids[:LOOKUPS]], session, ticket)
    app.extensions["rollout.engine"].dispose()
    return {
        key: (Stats.of(samples), Stats.of(floors)) for key, (samples, floors, _) in results.items()
    } | {"states": dict(results["ticket"][2])}


LABELS = {
    "ticket": "(a) fix_status_for_ticket",
    "bug": "(b) fix_status_for_bug",
    "http": "(c) GET /api/v1/fix-status?ticket=",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fix_status",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", metavar="URL", help="a server whose user may CREATE DATABASE")
    parser.add_argument("--repeats", type=int, default=3, help=f"x {LOOKUPS} lookups each")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)
    repeats = max(args.repeats, 1)
    rng = random.Random(5)
    results = {}
    with ExitStack() as stack:
        url = args.postgres or stack.enter_context(throwaway_postgres())
        databases = PostgresDatabases(url)
        stack.callback(databases.close)
        server = databases.admin.connect().exec_driver_sql("show server_version").scalar()
        engine = stack.enter_context(database(databases))
        session = stack.enter_context(make_session_factory(engine)())
        started = perf_counter()
        likely = build_world(session, rng)
        deployments = session.scalar(sa.select(sa.func.count(Deployment.id)))
        print(
            f"world: {deployments} deployments in {perf_counter() - started:.0f} s", file=sys.stderr
        )
        made = 0
        for size in TICKET_SIZES:
            add_tickets(session, made, size - made, likely, rng)
            made = size
            links = session.scalar(sa.select(sa.func.count(TicketBug.id)))
            results[size] = measure(session, engine.url.render_as_string(False), size, rng, repeats)
            results[size]["links"] = links
            print(f"measured at {size} tickets", file=sys.stderr)
    check(len(results[TICKET_SIZES[-1]]["states"]) >= 4, "the lookups met fewer than 4 states")
    document = report(results, deployments, server)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


def report(results: dict, deployments: int, server: str) -> dict:
    print(f"PostgreSQL {server}; {CUSTOMERS} customers, {deployments} deployments, {BUGS} bugs")
    print("floor (0): one indexed query, the ticket's links and bugs by its external id")
    print(
        f"{'':38} {'tickets':>8} {'median ms':>10} {'p90 ms':>9} {'per s':>7} "
        f"{'floor ms':>9} {'x floor':>8}"
    )
    document = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "results": {}}
    for size, measured in results.items():
        entry = {"links": measured["links"], "states": measured["states"]}
        for key, label in LABELS.items():
            stats, floor = measured[key]
            per_second = 1000 / stats.median_ms
            ratio = stats.median_ms / floor.median_ms
            entry[key] = vars(stats) | {
                "per_second": round(per_second),
                "floor": vars(floor),
                "x_floor": round(ratio, 1),
            }
            print(
                f"{label:38} {size:>8} {stats.median_ms:10.2f} {stats.p90_ms:9.2f} "
                f"{per_second:7.0f} {floor.median_ms:9.2f} {ratio:8.1f}"
            )
        http, in_process = measured["http_beside"]
        http_ratio = http.median_ms / in_process.median_ms
        entry["http_x_in_process"] = round(http_ratio, 2)
        entry["http_beside_in_process"] = {"http": vars(http), "in_process": vars(in_process)}
        print(
            f"{'(c) / (a), taken in turns':38} {size:>8} {http.median_ms:10.2f} "
            f"{http.p90_ms:9.2f} {1000 / http.median_ms:7.0f} {in_process.median_ms:9.2f} "
            f"{http_ratio:8.2f}"
        )
        document["results"][str(size)] = entry
    print("states met at the largest size:", results[TICKET_SIZES[-1]]["states"])
    document["config"] = {
        "customers": CUSTOMERS,
        "releases": RELEASES,
        "items_per_release": ITEMS,
        "bugs": BUGS,
        "deployments": deployments,
        "lookups": LOOKUPS,
    }
    document["environment"] = {
        "python": platform.python_version(),
        "postgresql": server,
        "sqlalchemy": version("sqlalchemy"),
        "platform": platform.platform(),
    }
    return document


if __name__ == "__main__":
    sys.exit(main())
