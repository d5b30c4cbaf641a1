"""Syncing 10,000 Jira issues through the real `jira` library from the stand-in Jira
(tests/jira_stub.py) on loopback, for Jira Cloud (enhanced search, nextPageToken) and Jira
Server/Data Center (search, startAt).

    python -m bench.jira [--postgres URL] [--repeats N] [--issues N]

(a) requests: search pages Rollout's sync asks for against the minimum possible,
    ceil(issues / largest page Jira serves for the fields asked for), plus the fixed cost of
    connecting (serverInfo, myself for the user's zone, field);
(b) time: a full sync (search, map, upsert, commit per page) into a fresh database, and the
    SQL statements it sends (a few per page, whatever the page's size), against
    the bare library paging the same search to the end (search_issues / enhanced_search_issues
    with maxResults=0, pages of the same size, issues as library Resources, nothing stored);
(c) an incremental run right after, with nothing changed (the overlap only).
Medians over --repeats runs; SQLite in a temporary folder, PostgreSQL with --postgres.
Writes bench/results/jira.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

from jira.resources import Issue
from sqlalchemy import event

from bench.windows import PostgresDatabases, SqliteDatabases, Stats, check
from jira_sync.client import JiraClient
from jira_sync.config import JiraSettings
from jira_sync.sync import jql_since, run_sync
from rollout.db import make_engine, make_session_factory
from tests.jira_stub import EMAIL, PAT, TOKEN, JiraStub, make_issue, running

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
PAGE_MAX = {"Cloud": 100, "Server": 1000}  # what the stand-in serves for these fields
RESULTS = Path(__file__).parent / "results" / "jira.json"
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
SEVERITIES = ("Hyper-local", "Local", "Moderate", "Widespread", "Deep and Wide")


def stub_with(deployment: str, issues: int) -> JiraStub:
    stub = JiraStub(
        deployment=deployment,
        cloud_page_max=PAGE_MAX["Cloud"],
        server_page_max=PAGE_MAX["Server"],
    )
    stub.add(
        *(
            make_issue(
                f"ED-{n}",
                NOW - timedelta(minutes=n),
                priority=PRIORITIES[n % 5],
                severity=SEVERITIES[n % 5],
                fix_versions=(f"2026.{n % 12 + 1}",),
                category=("new", "indeterminate", "done")[n % 3],
                note=f"Customer note {n}" if n % 4 == 0 else None,
            )
            for n in range(1, issues + 1)
        )
    )
    return stub


def settings_for(stub: JiraStub) -> JiraSettings:
    cloud = stub.deployment == "Cloud"
    return JiraSettings(
        url=stub.url,
        email=EMAIL if cloud else None,
        api_token=TOKEN if cloud else None,
        pat=None if cloud else PAT,
        projects=("ED",),
        severity_field="customfield_10050",
        note_field="customfield_10051",
    )


def time_sync(stub: JiraStub, databases, issues: int) -> tuple[float, float, dict]:
    """One full sync into a fresh database, then an incremental one; seconds and counts."""
    url = databases.fresh()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *_: statements.append(1))
    try:
        settings = settings_for(stub)
        stub.log.clear()
        started = perf_counter()
        client = JiraClient.connect(settings)
        [outcome] = run_sync(sessions, client, settings, projects=["ED"], now=NOW)
        full = perf_counter() - started
        check(outcome.error is None and outcome.issues == issues, f"sync failed: {outcome}")
        counts = {
            "requests": client.requests_made,
            "search_pages": sum(1 for _, p, _ in stub.log if "/search" in p),
            "statements": len(statements),
            "asked": first_search(stub),
        }
        started = perf_counter()
        [again] = run_sync(sessions, client, settings, projects=["ED"], now=NOW + timedelta(1))
        incremental = perf_counter() - started
        counts["incremental_issues"] = again.issues
        client.close()
    finally:
        engine.dispose()
        databases.drop(url)
    return full, incremental, counts


def first_search(stub: JiraStub) -> dict:
    """What the first search asked Jira for, paging aside."""
    _, _, query = next(entry for entry in stub.log if "/search" in entry[1])
    return {k: v for k, v in query.items() if k not in ("startAt", "maxResults", "nextPageToken")}


def time_bare(stub: JiraStub, issues: int) -> tuple[float, int]:
    """The library alone paging the same search to the end; seconds and requests."""
    settings = settings_for(stub)
    stub.log.clear()
    started = perf_counter()
    from jira import JIRA

    auth = {"token_auth": PAT} if settings.pat else {"basic_auth": (EMAIL, TOKEN)}
    jira = JIRA(
        server=stub.url,
        max_retries=0,
        default_batch_sizes={Issue: PAGE_MAX[stub.deployment]},
        **auth,
    )
    jql = jql_since("ED", None, _utc())
    if jira.deploymentType == "Cloud":
        found = jira.enhanced_search_issues(jql, maxResults=0, fields=settings.fields())
    else:
        found = jira.search_issues(jql, maxResults=0, fields=settings.fields())
    elapsed = perf_counter() - started
    jira.close()
    check(len(found) == issues, f"bare paging found {len(found)} issues, not {issues}")
    return elapsed, len(stub.log)


def _utc():
    from zoneinfo import ZoneInfo

    return ZoneInfo("UTC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.jira",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL (default: SQLite)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    repeats, issues = max(args.repeats, 1), args.issues
    with tempfile.TemporaryDirectory() as folder:
        databases = (
            PostgresDatabases(args.postgres) if args.postgres else SqliteDatabases(Path(folder))
        )
        try:
            results = {}
            for deployment in ("Cloud", "Server"):
                with running(stub_with(deployment, issues)) as stub:
                    results[deployment] = measure(stub, databases, issues, repeats)
                print(f"{deployment}: done", file=sys.stderr)
        finally:
            databases.close()
    document = report(results, databases.name, issues, repeats)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


def measure(stub: JiraStub, databases, issues: int, repeats: int) -> dict:
    syncs, incrementals, bares = [], [], []
    counts = bare_requests = None
    for _ in range(repeats):
        full, incremental, counts = time_sync(stub, databases, issues)
        syncs.append(full)
        incrementals.append(incremental)
        elapsed, bare_requests = time_bare(stub, issues)
        # The floor is only a floor if it asks Jira for the same fields and expansions.
        check(first_search(stub) == counts["asked"], "the sync and the floor ask different things")
        bares.append(elapsed)
    return {
        "sync": Stats.of(syncs),
        "incremental": Stats.of(incrementals),
        "bare": Stats.of(bares),
        "counts": counts,
        "bare_requests": bare_requests,
        "minimum_pages": math.ceil(issues / PAGE_MAX[stub.deployment]),
    }


def report(results: dict, database: str, issues: int, repeats: int) -> dict:
    print(f"{issues} issues from the stand-in Jira on loopback; {database}; {repeats} runs")
    print(
        f"{'jira':>7} {'page':>5} {'pages':>6} {'minimum':>8} {'requests':>9} "
        f"{'SQL':>5} {'sync ms':>9} {'bare ms':>9} {'x bare':>7} {'incr. ms':>9}"
    )
    document = {}
    for deployment, r in results.items():
        ratio = r["sync"].median_ms / r["bare"].median_ms
        print(
            f"{deployment:>7} {PAGE_MAX[deployment]:>5} {r['counts']['search_pages']:>6} "
            f"{r['minimum_pages']:>8} {r['counts']['requests']:>9} {r['counts']['statements']:>5} "
            f"{r['sync'].median_ms:9.0f} "
            f"{r['bare'].median_ms:9.0f} {ratio:7.2f} {r['incremental'].median_ms:9.1f}"
        )
        document[deployment.lower()] = {
            "page_max": PAGE_MAX[deployment],
            "search_pages": r["counts"]["search_pages"],
            "minimum_pages": r["minimum_pages"],
            "requests_total": r["counts"]["requests"],
            "bare_requests_total": r["bare_requests"],
            "sql_statements": r["counts"]["statements"],
            "search_asks_sync_and_bare": r["counts"]["asked"],
            "sync": vars(r["sync"]),
            "bare_library": vars(r["bare"]),
            "sync_x_bare": round(ratio, 2),
            "incremental_no_change": vars(r["incremental"])
            | {"issues_read_again": r["counts"]["incremental_issues"]},
        }
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "issues": issues,
        "database": database,
        "repeats": repeats,
        "results": document,
        "environment": {
            "python": platform.python_version(),
            "jira": version("jira"),
            "requests": version("requests"),
            "sqlalchemy": version("sqlalchemy"),
            "platform": platform.platform(),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
