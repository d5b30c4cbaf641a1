"""The demo at 1x and at 100x: pages and API lists, each against its growth bound.

    python -m bench.scale [--postgres URL] [--repeats N]

Without --postgres a throwaway server is started from the local binaries (tests/pgserver.py).

Two databases: the demo (rollout/demo.py, made with the use cases), and a copy of it that
bulk inserts (SQLAlchemy Core, executemany) grow to 5,000 customers, 100 releases,
24 months of windows in 3 regions (a customer window each besides the regular ones), 300,000
deployments, 100,000 tickets, 5,000 contacts and 30,000 notifications, and everything is
measured beside the demo, one request to each in turn so that both meet the same load on
a busy machine. Each request goes through Flask's test client, signed in as the page needs
(a release manager, Acme's admin contact, an admin token); `/metrics` is scraped with its
token. A time may grow at most logarithmically with the data: a ratio of at most 3 for 100x
the rows (BOUND). Each answer's size (rows listed, bytes of a page) is printed beside it, so
a reader sees the answer did not grow. Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import random
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

import sqlalchemy as sa

from bench.windows import PostgresDatabases, bench_settings, check
from rollout import access
from rollout.customers import Customer, Environment, Region
from rollout.db import make_engine, make_session_factory
from rollout.demo import load_demo
from rollout.jira.models import Bug
from rollout.notifications.models import Contact, Notification
from rollout.releases import Deployment, Release, ReleaseItem, Wave
from rollout.support.models import Ticket, TicketBug
from rollout.support.waiting import refresh_waiting
from rollout.windows import Window
from tests.pgserver import throwaway_postgres
from web import create_app

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
CUSTOMERS = 5_000
RELEASES = 100
MONTHS = 24
DEPLOYMENTS = 300_000
TICKETS = 100_000
BUGS = 5_000
NOTIFICATIONS_PER_CONTACT = 6
CHUNK = 20_000
BOUND = 3.0  # "at most logarithmic" for 100x the rows
METRICS_TOKEN = "bench-metrics-token-0123456789"
RESULTS = Path(__file__).parent / "results" / "scale.json"

# (label, who asks, path, bound): pages answer HTML, API lists JSON with "items". An API list
# is timed at a page size the demo fills too, and at its default page, which holds more rows
# at 100x: that answer grows (bound None), and is shown for what a client without `limit` gets.
PATHS = [
    ("page /maintenance", "staff", "/maintenance", BOUND),
    ("page /staff/calendar (list)", "staff", "/staff/calendar?view=list", BOUND),
    ("page /staff/calendar (grid)", "staff", "/staff/calendar?view=grid", BOUND),
    ("page /staff/calendar (timeline)", "staff", "/staff/calendar?view=timeline", BOUND),
    # The day every customer window of November starts at 100x: the first page of its list
    # (50 windows with what each carries), where the demo has none that day.
    ("page /staff/calendar (a day's list)", "staff", "/staff/calendar?day=2026-11-27", None),
    ("page /staff/releases/<demo release>", "staff", "/staff/releases/{demo_release}", BOUND),
    # 12 deployments at 1x, 3,000 at 100x, of which the page shows 100 per wave.
    ("page /staff/releases/<largest release>", "staff", "/staff/releases/{big_release}", None),
    ("page /support?q=OPS-151", "staff", "/support?q=OPS-151", BOUND),
    ("page /triage", "staff", "/triage", BOUND),
    ("page /customer", "contact", "/customer", BOUND),
    ("GET /api/v1/windows?limit=25", "token", "/api/v1/windows?limit=25", BOUND),
    ("GET /api/v1/windows (default page)", "token", "/api/v1/windows", None),
    ("GET /api/v1/customers?limit=5", "token", "/api/v1/customers?limit=5", BOUND),
    ("GET /api/v1/customers (default page)", "token", "/api/v1/customers", None),
    ("GET /api/v1/tickets?limit=10", "token", "/api/v1/tickets?limit=10", BOUND),
    ("GET /api/v1/notifications?limit=10", "token", "/api/v1/notifications?limit=10", BOUND),
    ("GET /metrics", "metrics", "/metrics", BOUND),
]


def sign_in_everyone(session) -> tuple[dict[str, str], str]:
    """Sessions for a release manager and Acme's admin contact, and an admin token."""
    staff = access.create_user(
        session,
        email="bench@example.com",
        name="Bench",
        role="release_manager",
        password="bench-password-1",
        now=NOW,
    )
    contact = session.scalar(sa.select(Contact).where(Contact.email.like("maria%")))
    _, token = access.create_token(session, name="bench", role="admin", now=NOW)
    sids = {
        "staff": access.start_session(session, user=staff, now=NOW),
        "contact": access.start_session(session, contact=contact, now=NOW),
    }
    session.commit()
    return sids, token


class Visitors:
    """Test clients of one app, signed in as each reader the paths need."""

    def __init__(self, app, sids: dict[str, str], token: str):
        self.headers = {
            "token": {"Authorization": f"Bearer {token}"},
            "metrics": {"Authorization": f"Bearer {METRICS_TOKEN}"},
        }
        self.clients = {}
        for who in ("staff", "contact", "token", "metrics"):
            client = app.test_client()
            if who in sids:
                with client.session_transaction() as cookie:
                    cookie["sid"] = sids[who]
            self.clients[who] = client

    def get(self, who: str, path: str):
        response = self.clients[who].get(path, headers=self.headers.get(who, {}))
        check(response.status_code == 200, f"GET {path} answered {response.status_code}")
        return response


def size_of(response) -> str:
    """What the answer holds: items listed for JSON, KB for a page."""
    if response.is_json:
        return f"{len(response.get_json()['items'])} items"
    return f"{len(response.data) / 1024:.0f} KB"


def measure(small: Visitors, large: Visitors, names: dict, repeats: int) -> dict[str, dict]:
    """Median seconds per path at 1x and at 100x, one request to each in turn (so both meet
    the same load), after two warm-up requests each; and each answer's size."""
    measured = {}
    for label, who, template, bound in PATHS:
        entry = {"bound": bound}
        paths = {size: template.format(**names[size]) for size in ("1x", "100x")}
        samples: dict[str, list[float]] = {"1x": [], "100x": []}
        for size, visitors in (("1x", small), ("100x", large)):
            for _ in range(2):
                response = visitors.get(who, paths[size])
            entry[f"size_{size}"] = (
                size_of(response) if who != "metrics" else f"{len(response.data)} B"
            )
        for _ in range(repeats):
            for size, visitors in (("1x", small), ("100x", large)):
                started = perf_counter()
                visitors.get(who, paths[size])
                samples[size].append(perf_counter() - started)
        for size in samples:
            entry[f"path_{size}"] = paths[size]
            entry[f"median_ms_{size}"] = statistics.median(samples[size]) * 1000
        measured[label] = entry
        print(
            f"  {label}: {entry['median_ms_1x']:.1f} / {entry['median_ms_100x']:.1f} ms",
            file=sys.stderr,
        )
    return measured


# --- growing the demo to 100x ------------------------------------------------------------------


def grow(session, rng: random.Random) -> dict:
    """Bulk-insert the 100x world beside the demo's rows; returns what it added."""
    regions = dict(session.execute(sa.select(Region.id, Region.timezone)).all())
    region_ids = sorted(regions)
    made = session.scalar(sa.select(sa.func.count(Customer.id)))
    session.execute(
        sa.insert(Customer),
        [
            {
                "slug": f"c{n:05d}",
                "name": f"Customer {n}",
                "region_id": region_ids[n % 3],
                "tier": "standard",
                "timezone": regions[region_ids[n % 3]],
                "locale": "fr" if n % 5 == 0 else "en",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(CUSTOMERS - made)
        ],
    )
    customers = session.execute(
        sa.select(Customer.id, Customer.slug, Customer.region_id).where(
            Customer.slug.like("c%") & Customer.name.like("Customer %")
        )
    ).all()
    session.execute(
        sa.insert(Environment),
        [
            {"customer_id": cid, "kind": kind, "name": f"{slug}-{kind}"}
            for cid, slug, _ in customers
            for kind in ("preview", "production")
        ],
    )
    # 24 months of windows: one regular window per region and month, 12 back and 12 ahead,
    # and a customer window each spread over the same months.
    first = NOW - timedelta(days=365)
    windows = [
        _window(region_id, None, first + timedelta(days=30 * m, hours=4 * i), regions[region_id])
        for i, region_id in enumerate(region_ids)
        for m in range(MONTHS)
    ]
    windows += [
        _window(
            region_id,
            cid,
            first + timedelta(days=30 * (n % MONTHS) + 10, hours=n % 20),
            regions[region_id],
        )
        for n, (cid, _, region_id) in enumerate(customers)
    ]
    # On the connection: the bench's rows are not anyone's writes for the audit trail.
    for start in range(0, len(windows), CHUNK):
        session.connection().execute(sa.insert(Window.__table__), windows[start : start + CHUNK])
    regular = {}
    for wid, region_id, starts_at in session.execute(
        sa.select(Window.id, Window.region_id, Window.starts_at)
        .where(Window.title == "Bulk maintenance", Window.customer_id.is_(None))
        .order_by(Window.starts_at)
    ):
        regular.setdefault(region_id, []).append((wid, starts_at))
    _releases(session, regular, customers)
    _support(session, rng, [c[0] for c in customers])
    _outbox(session, customers)
    session.commit()
    autocommit = session.get_bind().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would have by now
    return {
        table: session.scalar(sa.select(sa.func.count()).select_from(model))
        for table, model in {
            "customers": Customer,
            "releases": Release,
            "windows": Window,
            "deployments": Deployment,
            "tickets": Ticket,
            "notifications": Notification,
        }.items()
    }


def _window(region_id: int, customer_id: int | None, start: datetime, zone: str) -> dict:
    return {
        "region_id": region_id,
        "customer_id": customer_id,
        "kind": "regular" if customer_id is None else "ad_hoc",
        "status": "completed" if start < NOW else "planned",
        "title": "Bulk maintenance" if customer_id is None else "Customer maintenance",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "timezone": zone,
        "sequence": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _releases(session, regular: dict, customers: list) -> None:
    """100 releases over the 24 months, each with 5 items and a preview and a production
    wave per region; 3,000 of the 10,000 environments each (300,000 deployments)."""
    session.execute(
        sa.insert(Release),
        [
            {
                "version": f"bulk.{r:03d}",
                "title": f"Bulk release {r}",
                "status": "completed" if r < RELEASES - 50 else "scheduled",
                "soak_days": 7,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for r in range(RELEASES)
        ],
    )
    releases = session.execute(
        sa.select(Release.id).where(Release.version.like("bulk.%")).order_by(Release.version)
    ).scalars()
    releases = list(releases)
    session.execute(
        sa.insert(ReleaseItem),
        [
            {
                "release_id": rid,
                "kind": "fix",
                "jira_key": f"BULK-{r * 5 + i + 1}",
                "summary": "a fix",
                "public_note": "",
                "public_html": "",
                "created_at": NOW,
            }
            for r, rid in enumerate(releases)
            for i in range(5)
        ],
    )
    waves = []
    for r, rid in enumerate(releases):
        month = r * (MONTHS - 1) // RELEASES
        for i, region_id in enumerate(sorted(regular)):
            for position, kind in ((i, "preview"), (i + 3, "production")):
                wid = regular[region_id][month + (kind == "production")][0]
                waves.append(
                    {
                        "release_id": rid,
                        "position": position,
                        "name": f"{kind} {region_id}",
                        "environment_kind": kind,
                        "selector": f"region={region_id}",
                        "window_id": wid,
                        "note": "",
                    }
                )
    session.execute(sa.insert(Wave), waves)
    wave_of = {
        (rid, kind, region_id): (wave_id, window_id)
        for wave_id, rid, kind, window_id, region_id in session.execute(
            sa.select(
                Wave.id, Wave.release_id, Wave.environment_kind, Wave.window_id, Window.region_id
            ).join(Window, Window.id == Wave.window_id)
        )
    }
    starts = {w: s for ws in regular.values() for w, s in ws}
    region_of = {cid: region_id for cid, _, region_id in customers}
    environments = session.execute(
        sa.select(Environment.id, Environment.kind, Environment.customer_id)
        .where(Environment.customer_id.in_(list(region_of)))
        .order_by(Environment.id)
    ).all()
    per_release = DEPLOYMENTS // RELEASES
    rows = []
    for r, rid in enumerate(releases):
        for n in range(per_release):
            env_id, kind, cid = environments[(r * per_release + n) % len(environments)]
            wave_id, window_id = wave_of[(rid, kind, region_of[cid])]
            done = starts[window_id] < NOW
            rows.append(
                {
                    "environment_id": env_id,
                    "release_id": rid,
                    "wave_id": wave_id,
                    "window_id": window_id,
                    "status": "succeeded" if done else "scheduled",
                    "scheduled_for": starts[window_id],
                    "finished_at": starts[window_id] + timedelta(hours=1) if done else None,
                    "note": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        if len(rows) >= CHUNK:
            session.execute(sa.insert(Deployment), rows)
            rows = []
    if rows:
        session.execute(sa.insert(Deployment), rows)
    # Core inserts pass planning by: each wave's count of environments, as planning stores it.
    session.execute(
        sa.update(Wave).values(
            environments=sa.select(sa.func.count(Deployment.id))
            .where(Deployment.wave_id == Wave.id)
            .scalar_subquery()
        )
    )


def _support(session, rng: random.Random, customers: list[int]) -> None:
    """5,000 bugs (the first 500 carried by the bulk releases), 100,000 tickets, 1-2 links."""
    session.execute(
        sa.insert(Bug),
        [
            {
                "key": f"BULK-{k}",
                "project": "BULK",
                "summary": f"Bug {k}",
                "status": "Done" if k <= 250 else "In Progress",
                "status_category": "done" if k <= 250 else "indeterminate",
                "priority": rng.choice(["low", "medium", "high", "critical"]),
                "fix_versions": [],
                "jira_updated_at": NOW,
                "synced_at": NOW,
            }
            for k in range(1, BUGS + 1)
        ],
    )
    bugs = list(session.scalars(sa.select(Bug.id).where(Bug.project == "BULK")))
    for start in range(0, TICKETS, CHUNK):
        session.execute(
            sa.insert(Ticket),
            [
                {
                    "external_id": f"BT-{n}",
                    "url": f"https://help.example.com/t/{n}",
                    "customer_id": rng.choice(customers),
                    "requester_name": "Requester",
                    "requester_email": f"r{n}@example.com",
                    "subject": "It is broken",
                    "sla_level": rng.randint(1, 4),
                    "created_at": NOW - timedelta(minutes=n),
                    "updated_at": NOW,
                }
                for n in range(start, min(start + CHUNK, TICKETS))
            ],
        )
    tickets = list(session.scalars(sa.select(Ticket.id).where(Ticket.external_id.like("BT-%"))))
    links = [
        {"ticket_id": tid, "bug_id": bug, "linked_by": "bench", "linked_at": NOW}
        for tid in tickets
        for bug in set(rng.sample(bugs, rng.randint(1, 2)))
    ]
    for start in range(0, len(links), CHUNK):
        session.execute(sa.insert(TicketBug), links[start : start + CHUNK])
    # Core inserts pass the ORM hooks by: the stored sums triage ranks by, as the app keeps them.
    refresh_waiting(session.connection(), bugs)


def _outbox(session, customers: list) -> None:
    """A contact per customer and six notifications each, mostly delivered."""
    session.execute(
        sa.insert(Contact),
        [
            {
                "customer_id": cid,
                "name": f"Ops {slug}",
                "email": f"ops@{slug}.example",
                "role": "",
                "locale": "en",
                "timezone": "UTC",
                "subscriptions": ["maintenance"],
                "unsubscribe_token": f"bench-{slug}",
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }
            for cid, slug, _ in customers
        ],
    )
    contacts = session.execute(
        sa.select(Contact.id, Contact.customer_id, Contact.email).where(
            Contact.unsubscribe_token.like("bench-%")
        )
    ).all()
    statuses = ["delivered"] * 4 + ["pending", "cancelled"]
    rows = [
        {
            "message_id": f"bench-{contact_id}-{n}@rollout.bench",
            "event": "window.announced",
            "topic": "maintenance",
            "channel": "email",
            "customer_id": customer_id,
            "contact_id": contact_id,
            "recipient": f"contact:{contact_id}",
            "address": email,
            "dedupe_key": f"bench:{n}",
            "payload": {},
            "status": statuses[n],
            "attempts": 1 if statuses[n] == "delivered" else 0,
            "due_at": NOW - timedelta(days=30 - n),
            "next_attempt_at": NOW + timedelta(days=n) if statuses[n] == "pending" else NOW,
            "created_at": NOW - timedelta(days=30 - n),
            "updated_at": NOW,
        }
        for contact_id, customer_id, email in contacts
        for n in range(NOTIFICATIONS_PER_CONTACT)
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(Notification), rows[start : start + CHUNK])


# --- running and reporting ---------------------------------------------------------------------


def run(databases: PostgresDatabases, repeats: int, folder: Path, stack: ExitStack):
    """The demo in one database, a copy of it grown to 100x in another, both measured."""
    small_url = databases.fresh()
    stack.callback(databases.drop, small_url)
    with app_on(small_url, folder / "1x") as (app, sessions), sessions() as session:
        started = perf_counter()
        load_demo(session, now=NOW, context=app.extensions["rollout.context"])
        session.commit()
        print(f"demo loaded in {perf_counter() - started:.1f} s", file=sys.stderr)
        sids, token = sign_in_everyone(session)
        demo = session.scalar(sa.select(Release.version).where(Release.status == "rolling_out"))
    large_url = sa.make_url(small_url).set(database=sa.make_url(small_url).database + "_100x")
    with databases.admin.connect() as connection:
        small_name, large_name = sa.make_url(small_url).database, large_url.database
        connection.exec_driver_sql(f'CREATE DATABASE "{large_name}" TEMPLATE "{small_name}"')
    large_url = large_url.render_as_string(hide_password=False)
    stack.callback(databases.drop, large_url)
    with app_on(large_url, folder / "100x") as (_, sessions), sessions() as session:
        started = perf_counter()
        counts = grow(session, random.Random(14))
        print(f"grown to 100x in {perf_counter() - started:.0f} s: {counts}", file=sys.stderr)
    names = {"1x": {"demo_release": demo, "big_release": demo}}
    names["100x"] = {"demo_release": demo, "big_release": "bulk.099"}
    with (
        app_on(small_url, folder / "1x") as (small, _),
        app_on(large_url, folder / "100x") as (
            large,
            _,
        ),
    ):
        measured = measure(
            Visitors(small, sids, token), Visitors(large, sids, token), names, repeats
        )
    return measured, counts


@contextmanager
def app_on(url: str, instance: Path) -> Iterator[tuple]:
    """The app on the database at `url`, with its sessions; its engine closed after."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    settings = dataclasses.replace(bench_settings(url), metrics_token=METRICS_TOKEN)
    try:
        yield (
            create_app(
                settings, session_factory=sessions, clock=lambda: NOW, instance_path=instance
            ),
            sessions,
        )
    finally:
        engine.dispose()


def report(measured: dict, counts: dict, server: str) -> dict:
    print(f"PostgreSQL {server}; at 100x: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    print(f"{'':42} {'1x ms':>8} {'100x ms':>8} {'ratio':>6} {'bound':>6}  answer 1x -> 100x")
    document = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "results": {}}
    failed = []
    for label, entry in measured.items():
        ratio = entry["median_ms_100x"] / entry["median_ms_1x"]
        bound = entry["bound"]
        mark = "  OVER" if bound is not None and ratio > bound else ""
        if mark:
            failed.append(label)
        print(
            f"{label:42} {entry['median_ms_1x']:8.1f} {entry['median_ms_100x']:8.1f} "
            f"{ratio:6.1f} {'grows' if bound is None else f'{bound:.1f}':>6}  "
            f"{entry['size_1x']} -> {entry['size_100x']}{mark}"
        )
        document["results"][label] = {
            "path_1x": entry["path_1x"],
            "path_100x": entry["path_100x"],
            "median_ms_1x": round(entry["median_ms_1x"], 2),
            "median_ms_100x": round(entry["median_ms_100x"], 2),
            "ratio": round(ratio, 2),
            "bound": bound,  # None: the answer itself grows
            "answer_1x": entry["size_1x"],
            "answer_100x": entry["size_100x"],
        }
    print("over the bound: " + (", ".join(failed) or "none"))
    document["config"] = {"rows_at_100x": counts, "bound": BOUND, "now": NOW.isoformat()}
    document["environment"] = {
        "python": platform.python_version(),
        "postgresql": server,
        "sqlalchemy": version("sqlalchemy"),
        "flask": version("flask"),
        "platform": platform.platform(),
    }
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", metavar="URL", help="a server whose user may CREATE DATABASE")
    parser.add_argument("--repeats", type=int, default=15, help="timed requests per path")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.postgres or stack.enter_context(throwaway_postgres())
        databases = PostgresDatabases(url)
        stack.callback(databases.close)
        with databases.admin.connect() as connection:
            server = connection.exec_driver_sql("show server_version").scalar()
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rollout-bench-")))
        measured, counts = run(databases, max(args.repeats, 1), folder, stack)
    document = report(measured, counts, server)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
