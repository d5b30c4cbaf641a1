"""Calendar feeds: what rendering costs per event, and how many polls the real server answers.

    python -m bench.feeds [--repeats N] [--threads T] [--requests R] [--seconds S]

(a) calendars.feeds.render_feed over 100, 1,000 and 5,000 synthetic events spread over the
    three demo zones and ten years, with the VTIMEZONE cache warm (as in a running server) and
    cold (cleared before each render, N/3 runs); prints µs per event for each size and the 5,000/100
    ratio of per-event cost, which stays near 1 while rendering grows linearly;
(b) `rollout serve` (waitress) as a subprocess on a free loopback port, over a temporary SQLite
    demo database planned ten years ahead; T client threads, each with its own
    requests.Session, send R requests each or stop after S seconds, whichever comes first, for
    one region's full feed (200), the same with If-None-Match (304), and the floor: a static
    file (/static/rollout.css, 200) from the same server through the same request hooks
    (request log, metrics, security headers). The kinds take turns in 5 rounds, so a loaded
    machine slows them alike. Prints requests per second for each and the cost of a 304 per
    request against the floor's (static req/s / 304 req/s; at most 1.0 is the goal).
`--server-only` skips (a). Writes bench/results/feeds.json. The server's data is planned from
the real clock (the CLI has no other); the rendering in (a) uses a fixed now.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from time import perf_counter, sleep

import requests

from bench.windows import Stats, check
from calendars.feeds import FeedEvent, FeedInfo, render_feed
from calendars.timezones import vtimezone

# A fixed "now" so that runs on different days render the same events.
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
SPAN = timedelta(days=3652)
ZONES = ("America/New_York", "Europe/Dublin", "Australia/Sydney")
SIZES = (100, 1_000, 5_000)
ROLLOUT = Path(sys.executable).with_name("rollout")
REGION_FEED = "/calendars/regions/us.ics"
STATIC = "/static/rollout.css"
ROUNDS = 5
RESULTS = Path(__file__).parent / "results" / "feeds.json"


# --- (a) rendering ------------------------------------------------------------------------------


def synthetic_events(count: int) -> list[FeedEvent]:
    """`count` two-hour windows spread evenly over ten years and the three zones."""
    step = SPAN / count
    return [
        FeedEvent(
            uid=f"window-{i}@rollout.bench",
            sequence=i % 3,
            title="Monthly maintenance",
            cancelled=i % 20 == 0,
            starts_at=NOW + i * step,
            ends_at=NOW + i * step + timedelta(hours=2),
            timezone=ZONES[i % len(ZONES)],
            created=NOW,
            last_modified=NOW + timedelta(minutes=i % 60),
            description=f"Scheduled maintenance: the service may be unavailable. Window {i}.",
            url=f"https://rollout.bench/maintenance/windows/{i}",
        )
        for i in range(count)
    ]


def time_rendering(count: int, repeats: int, *, cold: bool) -> list[float]:
    """Seconds per render_feed of `count` events; `cold` clears the VTIMEZONE cache first."""
    events = synthetic_events(count)
    info = FeedInfo(name="Maintenance windows")
    if not cold:
        render_feed(info, events)  # warm-up: the VTIMEZONEs, icalendar's own caches
    samples = []
    for _ in range(repeats):
        if cold:
            vtimezone.cache_clear()
        started = perf_counter()
        body = render_feed(info, events)
        samples.append(perf_counter() - started)
    check(body.count(b"BEGIN:VEVENT") == count, f"rendered {body.count(b'BEGIN:VEVENT')} events")
    return samples


def bench_rendering(repeats: int) -> dict:
    """(a) for every size, warm and cold, with µs per event."""
    # Cold runs are slow and mostly the same fixed cost, so a third as many are enough.
    runs = {"warm": repeats, "cold": max(3, repeats // 3)}
    results = {}
    for count in SIZES:
        results[str(count)] = {}
        for cache, times in runs.items():
            stats = Stats.of(time_rendering(count, times, cold=cache == "cold"))
            results[str(count)][cache] = vars(stats) | {
                "us_per_event": stats.median_ms * 1000 / count
            }
    return results


# --- (b) the real server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    latency: Stats
    samples: tuple[float, ...] = ()

    @classmethod
    def total(cls, parts: list[Load]) -> Load:
        samples = [s for part in parts for s in part.samples]
        seconds = sum(part.seconds for part in parts)
        return cls(len(samples), seconds, Stats.of(samples), tuple(samples))

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(folder: Path) -> Iterator[str]:
    """`rollout serve` over a fresh demo database planned ten years ahead; yields its URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "PORT")}
    env |= {"DATABASE_URL": f"sqlite:///{folder / 'rollout.db'}", "SECRET_KEY": "bench-secret"}
    until = datetime.now(UTC).replace(tzinfo=None) + SPAN
    for command in (["init"], ["demo"], ["plan", "--until", f"{until:%Y-%m-%d}"]):
        subprocess.run([ROLLOUT, *command], env=env, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [ROLLOUT, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env | {"PUBLIC_URL": url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = perf_counter() + timeout
    while perf_counter() < deadline:
        check(process.poll() is None, f"rollout serve exited with {process.returncode}")
        try:
            if requests.get(url + STATIC, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        sleep(0.1)
    raise SystemExit(f"bench/feeds.py: rollout serve did not answer within {timeout} s")


def drive(url: str, *, status: int, headers: dict, threads: int, each: int, seconds: float) -> Load:
    """`threads` clients, each up to `each` GETs of `url` or `seconds`, whichever ends first."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    problems: list[str] = []
    start = threading.Barrier(threads + 1)

    def client(mine: list[float]) -> None:
        with requests.Session() as session:
            start.wait()
            deadline = perf_counter() + seconds
            while len(mine) < each and perf_counter() < deadline:
                began = perf_counter()
                response = session.get(url, headers=headers)
                response.content  # noqa: B018 - read the whole body, as a client would
                mine.append(perf_counter() - began)
                if response.status_code != status:
                    problems.append(f"GET {url} answered {response.status_code}, not {status}")
                    return

    workers = [threading.Thread(target=client, args=(mine,)) for mine in latencies]
    for worker in workers:
        worker.start()
    start.wait()
    began = perf_counter()
    for worker in workers:
        worker.join()
    elapsed = perf_counter() - began
    check(not problems, problems[0] if problems else "")
    samples = [s for mine in latencies for s in mine]
    return Load(len(samples), elapsed, Stats.of(samples), tuple(samples))


def bench_server(threads: int, each: int, seconds: float) -> tuple[dict[str, Load], dict]:
    """(b) the three request kinds through a real server; also what the feed held."""
    with (
        tempfile.TemporaryDirectory(prefix="rollout-bench-feeds-") as tmp,
        server(Path(tmp)) as url,
    ):
        first = requests.get(url + REGION_FEED)
        check(first.status_code == 200, f"GET {REGION_FEED} answered {first.status_code}")
        feed = {
            "path": REGION_FEED,
            "bytes": len(first.content),
            "events": first.content.count(b"BEGIN:VEVENT"),
        }
        tagged = {"If-None-Match": first.headers["ETag"]}
        kinds = {
            "feed_200": (REGION_FEED, 200, {}),
            "feed_304": (REGION_FEED, 304, tagged),
            "static_200": (STATIC, 200, {}),
        }
        rounds: dict[str, list[Load]] = {name: [] for name in kinds}
        for _ in range(ROUNDS):
            for name, (path, status, headers) in kinds.items():
                rounds[name].append(
                    drive(
                        url + path,
                        status=status,
                        headers=headers,
                        threads=threads,
                        each=max(1, each // ROUNDS),
                        seconds=seconds / ROUNDS,
                    )
                )
        loads = {name: Load.total(parts) for name, parts in rounds.items()}
    return loads, feed


# --- running and reporting ----------------------------------------------------------------------


LABELS = {
    "feed_200": f"GET {REGION_FEED} (200, full body)",
    "feed_304": f"GET {REGION_FEED} + If-None-Match (304)",
    "static_200": f"GET {STATIC} (200, static file: the floor)",
}


def report_rendering(results: dict, repeats: int) -> dict:
    print(
        f"(a) render_feed, events over {len(ZONES)} zones and 10 years; {repeats} runs warm, "
        f"{max(3, repeats // 3)} cold; "
        f"now = {NOW:%Y-%m-%d %H:%MZ}"
    )
    print(f"{'events':>8} {'cache':>6} {'median ms':>10} {'p90 ms':>10} {'µs/event':>10}")
    for count, by_cache in results.items():
        for cache, stats in by_cache.items():
            print(
                f"{int(count):8,} {cache:>6} {stats['median_ms']:10.2f} {stats['p90_ms']:10.2f} "
                f"{stats['us_per_event']:10.1f}"
            )
    ratios = {
        cache: results[str(SIZES[-1])][cache]["us_per_event"]
        / results[str(SIZES[0])][cache]["us_per_event"]
        for cache in ("warm", "cold")
    }
    print(
        f"per-event cost {SIZES[-1]:,}/{SIZES[0]:,}: warm {ratios['warm']:.2f}, "
        f"cold {ratios['cold']:.2f} (1.00 = linear)"
    )
    return ratios


def report_server(loads: dict[str, Load], feed: dict, threads: int, each: int, seconds: float):
    print(
        f"\n(b) rollout serve (waitress, 8 threads) on loopback; {threads} client threads x up to "
        f"{each:,} requests or {seconds:g} s; region feed {feed['events']} events, "
        f"{feed['bytes']:,} bytes"
    )
    print(f"{'':52} {'requests':>9} {'req/s':>9} {'median ms':>10} {'p90 ms':>8}")
    for name, load in loads.items():
        print(
            f"{LABELS[name]:52} {load.requests:9,} {load.per_second:9.0f} "
            f"{load.latency.median_ms:10.2f} {load.latency.p90_ms:8.2f}"
        )
    cost = loads["static_200"].per_second / loads["feed_304"].per_second
    print(f"a 304's cost per request / the static floor's: {cost:.2f} (goal: at most 1.0)")
    return cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.feeds",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeats", type=int, default=9, help="renders per size in (a)")
    parser.add_argument("--threads", type=int, default=4, help="client threads in (b)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per thread in (b)")
    parser.add_argument("--seconds", type=float, default=10, help="time limit per kind in (b)")
    parser.add_argument("--server-only", action="store_true", help="skip (a), the rendering")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)
    repeats, threads = max(args.repeats, 1), max(args.threads, 1)

    rendering = render_ratios = None
    if not args.server_only:
        rendering = bench_rendering(repeats)
        render_ratios = report_rendering(rendering, repeats)
    loads, feed = bench_server(threads, args.requests, args.seconds)
    cost = report_server(loads, feed, threads, args.requests, args.seconds)

    document = {
        "render": rendering,
        "render_per_event_ratio_5000_to_100": render_ratios,
        "server": {
            name: {
                "requests": load.requests,
                "seconds": round(load.seconds, 3),
                "per_second": round(load.per_second, 1),
                "latency": vars(load.latency),
            }
            for name, load in loads.items()
        },
        "server_cost_304_to_static": round(cost, 2),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "now": NOW.isoformat(),
            "zones": ZONES,
            "sizes": SIZES,
            "repeats": repeats,
            "threads": threads,
            "requests_per_thread": args.requests,
            "seconds_per_kind": args.seconds,
            "feed": feed,
        },
        "environment": {
            "python": platform.python_version(),
            "icalendar": version("icalendar"),
            "waitress": version("waitress"),
            "requests": version("requests"),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
