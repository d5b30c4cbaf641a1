"""Ten years of maintenance windows for three regions: planning and listing, against croniter.

    python -m bench.windows [--postgres URL] [--repeats N]

(a) create_policy + plan_windows up to now + 10 years into a fresh, migrated database, on a
    new engine (a process's first plan) and on one engine throughout (a running service);
(b) GET /api/v1/windows over those 10 years through Flask's test client, once with every
    window stored and once with the policies planned to the default 18-month horizon only,
    so the rest is projected on the fly;
(c) the baseline: croniter's bare iteration of the same three rules over the same 10 years.
Prints median and p90 in ms and the ratios to (c); (a) also to (c) walked in turns with it,
the ratio that stays fair when other work loads the machine; writes bench/results/windows.json.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

import sqlalchemy as sa
from croniter import croniter

from rollout import audit, events, handlers
from rollout.customers import create_region
from rollout.db import Base, make_engine, make_session_factory
from rollout.schema import migrate
from rollout.windows import Window, create_policy, plan_windows
from web import create_app
from web.settings import Settings

# A fixed "now" so that runs on different days plan the same windows.
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
UNTIL = NOW.replace(year=NOW.year + 10)
REGIONS = {"us": "America/New_York", "eu": "Europe/Dublin", "apac": "Australia/Sydney"}
CRON = "0 9 * * 6#2"
DURATION_MINUTES = 120
EXPECTED_WINDOWS = 10 * 12 * len(REGIONS)
LIST_URL = f"/api/v1/windows?from={NOW:%Y-%m-%dT%H:%M:%SZ}&to={UNTIL:%Y-%m-%dT%H:%M:%SZ}"
RESULTS = Path(__file__).parent / "results" / "windows.json"


@dataclass(frozen=True)
class Stats:
    median_ms: float
    p90_ms: float
    runs: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        """Median and nearest-rank 90th percentile of `samples` (seconds), in ms."""
        ordered = sorted(samples)
        p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
        return cls(statistics.median(ordered) * 1000, p90 * 1000, len(ordered))


# --- databases ---------------------------------------------------------------------------------


class SqliteDatabases:
    """Fresh migrated SQLite files, copied from one migrated template (migrating is slow)."""

    name = "sqlite"

    def __init__(self, folder: Path):
        self.folder = folder
        self.template = folder / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        migrate(engine)
        engine.dispose()
        # Outside any transaction (the engine BEGINs IMMEDIATE, and SQLite refuses a
        # checkpoint inside one): the copies need the whole template in its main file.
        connection = sqlite3.connect(self.template)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()

    def fresh(self) -> str:
        path = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(sa.make_url(url).database)
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)

    def close(self) -> None:
        self.drop(f"sqlite:///{self.template}")


class PostgresDatabases:
    """Fresh databases on a PostgreSQL server, each a copy of one migrated template."""

    name = "postgresql"

    def __init__(self, url: str):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        self.url = sa.make_url(url)
        self.admin = make_engine(url, isolation_level="AUTOCOMMIT")
        self.template = f"bench_windows_template_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self._url_of(self.template))
        migrate(engine)
        engine.dispose()

    def fresh(self) -> str:
        name = f"bench_windows_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self._url_of(name)

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()

    def _url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)


@contextmanager
def database(databases, *, planned_until: datetime | None) -> Iterator[tuple[str, int]]:
    """A fresh database with the three regions and policies, planned up to `planned_until`."""
    url = databases.fresh()
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            add_regions(session)
            add_policies(session, planned_until=planned_until)
            session.commit()
            added = stored_windows(session)
        yield url, added
    finally:
        engine.dispose()
        databases.drop(url)


def add_regions(session) -> None:
    for slug, zone in REGIONS.items():
        create_region(session, slug=slug, name=f"Region {slug}", timezone=zone, now=NOW)


def add_policies(session, *, planned_until: datetime | None) -> None:
    """The three policies (planned to the default horizon), then planned on."""
    for slug in REGIONS:
        create_policy(
            session,
            region=slug,
            title="Monthly maintenance",
            cron=CRON,
            duration_minutes=DURATION_MINUTES,
            actor="bench",
            now=NOW,
        )
    if planned_until is not None:
        plan_windows(session, until=planned_until, now=NOW, actor="bench")


def stored_windows(session) -> int:
    """How many windows are stored: the bench's check, outside any timed part."""
    return session.scalar(sa.select(sa.func.count()).select_from(Window))


# --- the three measurements ----------------------------------------------------------------------


def time_planning(databases, repeats: int, *, warm: bool) -> tuple[list[float], list[float]]:
    """(a) Seconds to create the policies and plan 10 years, commit included, per fresh DB;
    and (c) walked just before each, so that a loaded machine slows both alike.

    Cold: a new engine per database, as a process's first plan, compiling every statement.
    Warm: one engine and its connections throughout, as a running service plans, with every
    table emptied before each run."""
    samples, floor = [], []
    url = databases.fresh()
    engine = make_engine(url)
    try:
        for run in range(repeats + warm):
            if run and warm:
                empty(engine)
            elif run:
                engine.dispose()
                databases.drop(url)
                url = databases.fresh()
                engine = make_engine(url)
            with make_session_factory(engine)() as session:
                add_regions(session)
                session.commit()
                floor_run = time_croniter(1)
                started = perf_counter()
                add_policies(session, planned_until=UNTIL)
                session.commit()
                took = perf_counter() - started
                added = stored_windows(session)
            check(added == EXPECTED_WINDOWS, f"planned {added} windows, not {EXPECTED_WINDOWS}")
            if warm and not run:
                continue  # the run that warms the engine's statement cache
            floor += floor_run
            samples.append(took)
    finally:
        engine.dispose()
        databases.drop(url)
    return samples, floor


def empty(engine: sa.Engine) -> None:
    """Every table of the schema emptied, its ids started again."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            listed = ", ".join(f'"{name}"' for name in tables)
            connection.exec_driver_sql(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")
        else:
            # No table is AUTOINCREMENT: an emptied one numbers its rows from 1 again.
            for name in reversed(tables):
                connection.exec_driver_sql(f'DELETE FROM "{name}"')


def time_listing(
    databases, repeats: int, *, planned_until: datetime | None, folder: Path
) -> list[float]:
    """(b) Seconds per GET of 10 years of windows for all regions, after one warm-up request."""
    with database(databases, planned_until=planned_until) as (url, _):
        # The app's own engine, built as create_app would, so it can be closed before the
        # database is dropped.
        engine = make_engine(url)
        app = create_app(
            bench_settings(url),
            session_factory=make_session_factory(engine),
            clock=lambda: NOW,
            instance_path=folder / "instance",
        )
        client = app.test_client()
        try:
            get_windows(client)
            samples = []
            for _ in range(repeats):
                started = perf_counter()
                get_windows(client)
                samples.append(perf_counter() - started)
        finally:
            engine.dispose()
    return samples


def get_windows(client) -> None:
    response = client.get(LIST_URL)
    check(response.status_code == 200, f"GET {LIST_URL} answered {response.status_code}")
    count = len(response.get_json()["items"])
    check(count == EXPECTED_WINDOWS, f"GET {LIST_URL} listed {count} windows")


def time_croniter(repeats: int) -> list[float]:
    """(c) Seconds for croniter alone to walk the three rules over the 10 years."""
    start, end = NOW.replace(tzinfo=None), UNTIL.replace(tzinfo=None)
    samples = []
    for _ in range(repeats):
        started = perf_counter()
        found = 0
        for _zone in REGIONS.values():
            iterator = croniter(CRON, start, day_or=False)
            while iterator.get_next(datetime) < end:
                found += 1
        samples.append(perf_counter() - started)
        check(found == EXPECTED_WINDOWS, f"croniter found {found} firings")
    return samples


def bench_settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        secret_key="bench-secret",
        public_url="http://rollout.bench",
    )


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench/windows.py: {message}")


# --- running and reporting -----------------------------------------------------------------------


def run_database(databases, repeats: int, folder: Path) -> dict[str, Stats]:
    """(a) and both (b)s on one kind of database."""
    try:
        planning, floor = time_planning(databases, repeats, warm=False)
        warm, warm_floor = time_planning(databases, repeats, warm=True)
        return {
            "plan_10y": Stats.of(planning),
            "croniter_beside_plan": Stats.of(floor),
            "plan_10y_warm": Stats.of(warm),
            "croniter_beside_warm": Stats.of(warm_floor),
            "list_10y_stored": Stats.of(
                time_listing(databases, repeats, planned_until=UNTIL, folder=folder)
            ),
            "list_10y_projected": Stats.of(
                time_listing(databases, repeats, planned_until=None, folder=folder)
            ),
        }
    finally:
        databases.close()


LABELS = {
    "plan_10y": "(a) create_policy + plan_windows, 10 y, new engine",
    "croniter_beside_plan": "(c) croniter, walked in turns with (a)",
    "plan_10y_warm": "(a) the same, on a running service's engine",
    "croniter_beside_warm": "(c) croniter, walked in turns with (a) warm",
    "list_10y_stored": "(b) GET /api/v1/windows, 10 y stored",
    "list_10y_projected": "(b) GET /api/v1/windows, 18 mo stored + projected",
}


def report(results: dict[str, dict[str, Stats]], baseline: Stats, repeats: int) -> dict:
    """Print the table and return the JSON document."""
    print(
        f"{len(REGIONS)} regions x 10 years of {CRON!r} ({DURATION_MINUTES} min) = "
        f"{EXPECTED_WINDOWS} windows; {repeats} runs each; now = {NOW:%Y-%m-%d %H:%MZ}"
    )
    print(f"{'':62} {'median ms':>10} {'p90 ms':>10} {'x (c)':>8}")
    document: dict = {"results": {}, "ratios_to_croniter": {}}
    for db_name, measured in results.items():
        document["results"][db_name] = {k: vars(v) for k, v in measured.items()}
        for key, stats in measured.items():
            ratio = stats.median_ms / baseline.median_ms
            document["ratios_to_croniter"][f"{db_name}.{key}"] = round(ratio, 1)
            print(
                f"{LABELS[key] + ', ' + db_name:62} {stats.median_ms:10.2f} "
                f"{stats.p90_ms:10.2f} {ratio:8.1f}"
            )
        # (a) against the walks taken in turns with it: the ratio to judge a loaded machine by.
        for plan, walks, label in (
            ("plan_10y", "croniter_beside_plan", "new engine"),
            ("plan_10y_warm", "croniter_beside_warm", "service's engine"),
        ):
            beside = measured[plan].median_ms / measured[walks].median_ms
            ratios = document["ratios_to_croniter"]
            ratios[f"{db_name}.{plan}_to_croniter_beside"] = round(beside, 2)
            print(f"{f'(a) {label} / (c) in turns with it, {db_name}':62} {'':21} {beside:8.2f}")
    print(
        f"{'(c) croniter get_next, bare (baseline)':62} {baseline.median_ms:10.2f} "
        f"{baseline.p90_ms:10.2f} {1:8.1f}"
    )
    document["baseline_croniter"] = vars(baseline)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.windows",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run (a) and (b) on this PostgreSQL server (a user who may "
        "CREATE DATABASE; throwaway databases are made and dropped)",
    )
    parser.add_argument("--repeats", type=int, default=15, help="runs per measurement")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)
    repeats = max(args.repeats, 1)
    # As the app runs: planning's writes are audited (and events handled) from the first run.
    audit.record_writes()
    events.use_handlers(handlers.HANDLERS)

    baseline = Stats.of(time_croniter(repeats))
    results = {}
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        folder = Path(tmp)
        results["sqlite"] = run_database(SqliteDatabases(folder), repeats, folder)
        if args.postgres:
            results["postgresql"] = run_database(PostgresDatabases(args.postgres), repeats, folder)
    document = report(results, baseline, repeats)
    document |= {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "now": NOW.isoformat(),
            "until": UNTIL.isoformat(),
            "cron": CRON,
            "duration_minutes": DURATION_MINUTES,
            "regions": REGIONS,
            "windows": EXPECTED_WINDOWS,
            "repeats": repeats,
        },
        "environment": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "sqlalchemy": version("sqlalchemy"),
            "croniter": version("croniter"),
            "platform": platform.platform(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
