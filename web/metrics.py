"""Prometheus metrics. What each process counts (requests, deliveries, feed answers) is summed
over every process sharing PROMETHEUS_MULTIPROC_DIR; what the database holds (the outbox,
Jira, planning horizons) is read when scraped, so it is the same whichever process answers
and never summed. Served only with METRICS_TOKEN or on `rollout serve --metrics-bind`."""

from __future__ import annotations

import atexit
import contextlib
import hmac
import logging
import math
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, Response, current_app, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from rollout.db import read_only
from rollout.gauges import take_readings

log = logging.getLogger("rollout.metrics")

# No `_created` series: a multiprocess scrape has none, and one process alone should read alike.
disable_created_metrics()

# This module's own registry rather than the library's global one, so that a single process
# serves exactly these families. Every metric has labels: a labelled metric opens its file in
# the multiprocess directory only when first counted, after the settings have checked it.
COUNTED = CollectorRegistry()

REQUESTS = Counter(
    "rollout_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
    registry=COUNTED,
)
REQUEST_SECONDS = Histogram(
    "rollout_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["route", "method"],
    registry=COUNTED,
)
DELIVERIES = Counter(
    "rollout_deliveries",
    "Notification delivery attempts, by channel and outcome",
    ["channel", "outcome"],
    registry=COUNTED,
)
FEED_ANSWERS = Counter(
    "rollout_feed_responses",
    "Calendar feed answers: rendered, body from cache, 304 not modified, or headers only",
    ["answer"],
    registry=COUNTED,
)
# A live gauge: a process's share leaves the sum when it exits or is found dead.
PROCESSES = Gauge(
    "rollout_processes",
    "Rollout processes running on this host, by role",
    ["role"],
    multiprocess_mode="livesum",
    registry=COUNTED,
)

# A path no route matched is one label, so a scan of random paths adds no series.
UNMATCHED = "(unmatched)"
# Methods named one by one; anything else a client invents is one label.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Enough for a slow query or two, short enough that a stuck database cannot hold a scrape.
SCRAPE_STATEMENT_TIMEOUT_MS = 5000


def count_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one answered request under its route template, never its raw path."""
    route = route or UNMATCHED
    method = method if method in METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route, method).observe(seconds)


def process_started(app: Flask, role: str) -> None:
    """Count this process under `role` (web or worker) until it exits."""
    PROCESSES.labels(role).set(1)
    directory = app.extensions["rollout.settings"].metrics_dir
    if directory is not None:
        atexit.register(multiprocess.mark_process_dead, os.getpid(), str(directory))


# ---- scraping ---------------------------------------------------------------------------------


def exposition(app: Flask, accept: str | None = None) -> tuple[bytes, str]:
    """The metrics in the format `accept` asks for (Prometheus text by default)."""
    settings = app.extensions["rollout.settings"]
    registry = CollectorRegistry()
    if settings.metrics_dir is None:
        registry.register(COUNTED)
    else:
        _forget_dead_processes(settings.metrics_dir)
        multiprocess.MultiProcessCollector(registry, path=str(settings.metrics_dir))
    registry.register(DatabaseGauges(app))
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


LIVE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def _forget_dead_processes(directory: Path) -> None:
    # No parent process sees its children die (gunicorn's child_exit), and a killed process
    # never runs atexit: whoever scrapes drops the live gauges of processes no longer there.
    for path in directory.glob("gauge_live*.db"):
        match = LIVE_FILE.fullmatch(path.name)
        if match and not _alive(int(match[1])):
            with contextlib.suppress(FileNotFoundError):  # a concurrent scrape got there first
                multiprocess.mark_process_dead(int(match[1]), str(directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class DatabaseGauges:
    """The figures read from the database at each scrape. While it is away they are left
    out and `rollout_database_up` is 0; the counted metrics still answer."""

    def __init__(self, app: Flask):
        self.sessions = app.extensions["rollout.sessions"]
        self.clock = app.extensions["rollout.clock"]
        self.jira_projects = app.extensions["rollout.settings"].jira.projects

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("rollout_database_up", "1 when the database answered this scrape")
        now = self.clock()
        try:
            with self.sessions() as session:
                read_only(session)
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(
                        text(f"SET LOCAL statement_timeout = {SCRAPE_STATEMENT_TIMEOUT_MS}")
                    )
                readings = take_readings(session, now=now)
        except DBAPIError as exc:
            log.warning("metrics: the database did not answer (%s)", type(exc.orig).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        outbox = GaugeMetricFamily(
            "rollout_outbox_notifications",
            "Notifications in the outbox, by channel and status",
            labels=["channel", "status"],
        )
        for (channel, status), count in readings.outbox.items():
            outbox.add_metric([channel, status], count)
        yield outbox

        oldest = GaugeMetricFamily(
            "rollout_outbox_oldest_due_age_seconds",
            "How long the oldest notification due for delivery has waited, by channel",
            labels=["channel"],
        )
        for channel, age in readings.oldest_due.items():
            oldest.add_metric([channel], age.total_seconds())
        yield oldest

        lag = GaugeMetricFamily(
            "rollout_jira_sync_lag_seconds",
            "How far behind Jira the mirrored bugs may be, by project (+Inf: never synced)",
            labels=["project"],
        )
        last_success = GaugeMetricFamily(
            "rollout_jira_sync_last_success_timestamp_seconds",
            "When the newest complete sync run of each project started (Unix time)",
            labels=["project"],
        )
        failing = GaugeMetricFamily(
            "rollout_jira_sync_failing",
            "1 while a project's last sync run failed",
            labels=["project"],
        )
        states = {reading.project: reading for reading in readings.jira_sync}
        for project in sorted(set(self.jira_projects) | set(states)):
            state = states.get(project)
            through = state.synced_through if state else None
            lag.add_metric([project], (now - through).total_seconds() if through else math.inf)
            if through is not None:
                last_success.add_metric([project], through.timestamp())
            failing.add_metric([project], 1 if state and state.failing else 0)
        yield from (lag, last_success, failing)

        pushes = GaugeMetricFamily(
            "rollout_jira_pushes",
            "Changes owed to Jira, by status (pending ones are the queue)",
            labels=["status"],
        )
        for status, count in readings.jira_pushes.items():
            pushes.add_metric([status], count)
        yield pushes

        horizon = GaugeMetricFamily(
            "rollout_policy_horizon_seconds",
            "How far ahead each maintenance policy in force has windows planned (0: none)",
            labels=["policy", "region"],
        )
        for policy in readings.horizons:
            ahead = (policy.furthest - now).total_seconds() if policy.furthest else 0
            horizon.add_metric([str(policy.policy_id), policy.region], ahead)
        yield horizon


# ---- who may scrape ---------------------------------------------------------------------------


def metrics_view():
    """GET /metrics with `Authorization: Bearer <METRICS_TOKEN>`."""
    expected = current_app.extensions["rollout.settings"].metrics_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # As bytes: compare_digest refuses a str with non-ASCII characters, which anyone may send.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        return Response(
            "send Authorization: Bearer <METRICS_TOKEN>\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
            mimetype="text/plain",
        )
    body, content_type = exposition(current_app, request.headers.get("Accept"))
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    # Without a token the route does not exist: /metrics is a 404 like any unknown path.
    if app.extensions["rollout.settings"].metrics_token:
        app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])


def listener(app: Flask):
    """The WSGI app of `--metrics-bind`: /metrics without a token, nothing else. Bind it
    where only the scraper reaches (loopback, a private network)."""

    def answer(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"this address serves /metrics only\n"]
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        body, content_type = exposition(app, environ.get("HTTP_ACCEPT"))
        start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-store")])
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]

    return answer


def serve_listener(app: Flask, *, host: str, port: int):
    """Answer /metrics on host:port from a thread beside the main server; returns the
    server (OSError when the address cannot be bound)."""
    import waitress

    # A socket map of its own: the main server's loop never sees this one.
    server = waitress.create_server(
        listener(app), map={}, host=host, port=port, threads=1, ident="rollout-metrics"
    )
    threading.Thread(target=server.run, name="metrics", daemon=True).start()
    return server
