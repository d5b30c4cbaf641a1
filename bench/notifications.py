"""Announcing one window to 10,000 contacts: writing the outbox, and delivering it by SMTP.

    python -m bench.notifications [--postgres URL] [--contacts N] [--repeats N]

Without --postgres a throwaway server is started from the local binaries (tests/pgserver.py).

(a) change_window(announce) + commit for one window touching N contacts (10 customers of
    one region): the announcement and its two reminders, 3 x N outbox rows; SQLite and PG;
(b) the N announcement emails delivered to a local aiosmtpd server (--smtp-processes
    processes listening on one port with SO_REUSEPORT, each connection served by one of
    them, as a multi-process mail server does) by `rollout worker` passes: one worker on
    SQLite, one and four on PostgreSQL (separate processes, FOR UPDATE SKIP LOCKED), each
    recording every outcome as it goes;
(c) the floor: a bare smtplib loop sending one such announcement, built once, N times
    over one connection to the same server (the transport alone), measured again just
    before each delivery run, which is held against that one; and the same split over
    four processes with a connection each, all at once: what the server can take, the
    ceiling for four workers.
Prints medians and messages/second with the ratio to (c), and each worker's resident memory
(RSS) before, after its first batch and after its share; writes bench/results/notifications.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import smtplib
import statistics
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

import sqlalchemy as sa

from bench.windows import PostgresDatabases, SqliteDatabases, check
from rollout import windows
from rollout.customers import create_customer, create_region
from rollout.db import make_engine, make_session_factory
from rollout.events import Context
from rollout.notifications import DEFAULT_POLICY, Contact, DeliveryAttempt, Notification
from rollout.notifications.contacts import new_secret
from tests.pgserver import throwaway_postgres

CONTEXT = Context(notification_policy=DEFAULT_POLICY)
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
START = NOW + timedelta(days=3)
DELIVER_AT = NOW + timedelta(minutes=10)  # the announcements are due; the reminders not yet
CUSTOMERS = 10
RESULTS = Path(__file__).parent / "results" / "notifications.json"
SENDER = "Rollout <maintenance@rollout.bench>"
BASE_URL = "https://rollout.bench"


# --- the SMTP server: aiosmtpd processes sharing one port, out of the workers' GIL ----------


def _serve(port: int, counter, ready) -> None:
    import asyncio
    import socket

    from aiosmtpd.smtp import SMTP

    class Count:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    # SO_REUSEPORT: the kernel hands each new connection to one of the processes listening,
    # as a multi-process mail server does; each connection stays with its process.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        handler = Count()
        await loop.create_server(
            lambda: SMTP(handler, hostname="rollout.bench", enable_SMTPUTF8=True), sock=listener
        )
        ready.set()
        await asyncio.sleep(10**6)

    asyncio.run(serve())


def start_smtp(processes: int) -> tuple[list[multiprocessing.Process], int, object]:
    from tests.notifications.servers import free_port

    port = free_port()
    context = multiprocessing.get_context("spawn")
    counter = context.Value("l", 0)
    servers = []
    for _ in range(processes):
        ready = context.Event()
        server = context.Process(target=_serve, args=(port, counter, ready), daemon=True)
        server.start()
        check(ready.wait(120), "the SMTP server did not start")
        servers.append(server)
    return servers, port, counter


# --- data ------------------------------------------------------------------------------------


def seed(url: str, contacts: int) -> int:
    """One region, ten customers, `contacts` contacts bulk-inserted; returns the window id."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        create_region(session, slug="us", name="US", timezone="America/New_York", now=NOW)
        customers = [
            create_customer(
                session, slug=f"c{n}", name=f"Customer {n}", region="us", tier="standard", now=NOW
            )
            for n in range(CUSTOMERS)
        ]
        rows = [
            {
                "customer_id": customers[n % CUSTOMERS].id,
                "name": f"Contact {n}",
                "email": f"contact{n}@c{n % CUSTOMERS}.bench",
                "role": "",
                "locale": "fr" if n % 3 == 0 else "en",
                "timezone": "Europe/Paris" if n % 3 == 0 else "America/Chicago",
                "subscriptions": ["maintenance", "emergency_maintenance"],
                "unsubscribe_token": new_secret()[6:38],
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }
            for n in range(contacts)
        ]
        session.execute(sa.insert(Contact), rows)
        window = windows.create_window(
            session,
            title="Database upgrade",
            region="us",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            actor="bench",
            now=NOW,
            context=CONTEXT,
        )
        session.commit()
        window_id = window.id
    engine.dispose()
    return window_id


def time_announce(url: str, window_id: int) -> tuple[float, int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        started = perf_counter()
        windows.change_window(
            session,
            window_id,
            change="announce",
            expected_sequence=0,
            actor="bench",
            now=NOW,
            context=CONTEXT,
        )
        session.commit()
        elapsed = perf_counter() - started
        rows = session.scalar(sa.select(sa.func.count()).select_from(Notification))
    engine.dispose()
    return elapsed, rows


def reset(url: str) -> None:
    """Every announcement pending again, no attempts: the next delivery run starts afresh."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.delete(DeliveryAttempt))
        connection.execute(
            sa.update(Notification)
            .where(Notification.event == "window.announced")
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=NOW,
                claim_token=None,
                locked_until=None,
                delivered_at=None,
                last_error=None,
            )
        )
    engine.dispose()


# --- delivery --------------------------------------------------------------------------------


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _work(url: str, port: int, name: str, memory) -> None:
    from channels.email import SmtpSender
    from tests.notifications.conftest import smtp_settings
    from web.worker import Worker, deliver_notifications, run

    engine = make_engine(url)
    settings = smtp_settings(port)
    worker = Worker(
        sessions=make_session_factory(engine),
        clock=lambda: DELIVER_AT,
        base_url=BASE_URL,
        email=SmtpSender(settings, public_url=BASE_URL),
        name=name,
        batch=100,
    )
    started = _rss_kib()
    try:
        # The first batch alone first: what it loads (templates, modules, the connection) is
        # the warm-up, told apart from any growth per message after it.
        deliver_notifications(worker)
        warm = _rss_kib()
        run(worker, once=True)
    finally:
        worker.close()
        engine.dispose()
    memory.put((started, warm, _rss_kib()))


def time_delivery(url: str, port: int, counter, workers: int, expected: int):
    """Seconds to deliver every announcement, and each worker's RSS (KiB) at start and end."""
    reset(url)
    with counter.get_lock():
        counter.value = 0
    context = multiprocessing.get_context("fork")
    memory = context.Queue()
    processes = [
        context.Process(target=_work, args=(url, port, f"bench-{n}", memory))
        for n in range(workers)
    ]
    started = perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = perf_counter() - started
    check(all(p.exitcode == 0 for p in processes), "a worker failed")
    rss = [memory.get(timeout=10) for _ in processes]
    check(counter.value == expected, f"{counter.value} messages received, not {expected}")
    engine = make_engine(url)
    with engine.connect() as connection:
        delivered = connection.scalar(
            sa.select(sa.func.count()).where(Notification.status == "delivered")
        )
    engine.dispose()
    check(delivered == expected, f"{delivered} delivered, not {expected}")
    return elapsed, rss


def sample_message(url: str, port: int) -> bytes:
    """One real announcement as the worker builds it (text, HTML, .ics), as bytes."""
    from email import policy

    from channels.email import SmtpSender
    from rollout.notifications.content import render_email
    from tests.notifications.conftest import smtp_settings

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        row = session.scalar(
            sa.select(Notification).where(Notification.event == "window.announced").limit(1)
        )
        email = render_email(row, base_url=BASE_URL)
    engine.dispose()
    message = SmtpSender(smtp_settings(port), public_url=BASE_URL).compose(email)
    return message.as_bytes(policy=policy.SMTP)


def time_bare_smtplib(port: int, counter, count: int, message: bytes) -> float:
    """The transport alone: the same bytes sent `count` times over one connection."""
    with counter.get_lock():
        counter.value = 0
    started = perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for _ in range(count):
            connection.sendmail("maintenance@rollout.bench", ["contact@c0.bench"], message)
    elapsed = perf_counter() - started
    check(counter.value == count, "the bare loop lost messages")
    return elapsed


def _send_bare(port: int, count: int, message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for _ in range(count):
            connection.sendmail("maintenance@rollout.bench", ["contact@c0.bench"], message)


def time_bare_parallel(port: int, counter, count: int, message: bytes, connections: int):
    """The same `count` sends split over `connections` processes sending at once: how many
    messages a second the one server process takes at most."""
    with counter.get_lock():
        counter.value = 0
    context = multiprocessing.get_context("fork")
    shares = [count // connections + (n < count % connections) for n in range(connections)]
    processes = [context.Process(target=_send_bare, args=(port, n, message)) for n in shares]
    started = perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = perf_counter() - started
    check(counter.value == count, "the parallel bare loops lost messages")
    return elapsed


# --- running and reporting -------------------------------------------------------------------


def run_database(databases, contacts: int, repeats: int, port: int, counter, workers) -> dict:
    url = databases.fresh()
    try:
        window_id = seed(url, contacts)
        announce, rows = time_announce(url, window_id)
        check(rows == 3 * contacts, f"{rows} outbox rows, not {3 * contacts}")
        message = sample_message(url, port)
        bare = [time_bare_smtplib(port, counter, contacts, message) for _ in range(repeats)]
        result = {
            "announce_s": announce,
            "outbox_rows": rows,
            "message_bytes": len(message),
            "bare_smtplib_s": statistics.median(bare),
        }
        if max(workers) > 1:
            parallel = [
                time_bare_parallel(port, counter, contacts, message, max(workers))
                for _ in range(repeats)
            ]
            result[f"bare_smtplib_{max(workers)}_connections_s"] = statistics.median(parallel)
        for count in workers:
            # The floor again just before each run: on a shared machine the load drifts.
            floors, runs = [], []
            for _ in range(repeats):
                floors.append(time_bare_smtplib(port, counter, contacts, message))
                runs.append(time_delivery(url, port, counter, count, contacts))
            result[f"bare_beside_{count}_worker_s"] = statistics.median(floors)
            result[f"deliver_{count}_worker_s"] = statistics.median(t for t, _ in runs)
            # The first run's: a worker's RSS before its first message, after its first
            # batch and after its last message.
            result[f"deliver_{count}_worker_rss_kib"] = runs[0][1]
        return result
    finally:
        databases.drop(url)


def report(results: dict, contacts: int, repeats: int) -> None:
    print(f"{contacts:,} contacts; medians of {repeats} run(s)")
    for name, result in results.items():
        bare_rate = contacts / result["bare_smtplib_s"]
        print(
            f"{name:>10}: (a) announce -> {result['outbox_rows']:,} outbox rows in "
            f"{result['announce_s'] * 1000:,.0f} ms"
        )
        print(
            f"{'':>10}  (c) floor: bare smtplib, one connection, the same "
            f"{result['message_bytes']:,}-byte message: {bare_rate:,.0f} msg/s"
        )
        parallel = [k for k in result if k.startswith("bare_smtplib_") and "connections" in k]
        for key in parallel:
            rate = contacts / result[key]
            print(
                f"{'':>10}  (c) floor: bare smtplib, {key.split('_')[2]} connections at once "
                f"(the server's ceiling): {rate:,.0f} msg/s = {rate / bare_rate:.2f} x one"
            )
        one = None
        for key, seconds in result.items():
            if key.startswith("deliver_") and key.endswith("_worker_s"):
                count = int(key.split("_")[1])
                rate = contacts / seconds
                one = rate if count == 1 else one
                beside = contacts / result[f"bare_beside_{count}_worker_s"]
                line = f"{'':>10}  (b) {count} worker(s): {rate:,.0f} msg/s"
                line += f" = {rate / beside:.2f} x (c) measured just before ({beside:,.0f})"
                if count > 1 and one:
                    ceiling = contacts / result[f"bare_smtplib_{count}_connections_s"]
                    line += f", {rate / one:.2f} x one worker, {rate / ceiling:.2f} x the ceiling"
                rss = result[key.removesuffix("_s") + "_rss_kib"]
                line += "; RSS (start, first batch, end) " + ", ".join(
                    f"{a / 1024:.0f} / {b / 1024:.0f} / {c / 1024:.0f} MiB" for a, b, c in rss
                )
                print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notifications",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", metavar="URL", help="default: a throwaway server")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement")
    parser.add_argument(
        "--smtp-processes",
        type=int,
        default=4,
        help="aiosmtpd processes sharing the server's port (SO_REUSEPORT)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    contacts, repeats = max(args.contacts, 1), max(args.repeats, 1)
    with ExitStack() as stack:
        servers, port, counter = start_smtp(args.smtp_processes)
        for server in servers:
            stack.callback(server.kill)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        sqlite = SqliteDatabases(folder)
        stack.callback(sqlite.close)
        results = {"sqlite": run_database(sqlite, contacts, repeats, port, counter, [1])}
        url = args.postgres or stack.enter_context(throwaway_postgres())
        postgres = PostgresDatabases(url)
        stack.callback(postgres.close)
        results["postgresql"] = run_database(postgres, contacts, repeats, port, counter, [1, 4])
    report(results, contacts, repeats)
    for result in results.values():
        for key in [k for k in list(result) if k.endswith("_s") and k != "announce_s"]:
            result[key.removesuffix("_s") + "_msgs_per_s"] = contacts / result[key]
    document = {
        "contacts": contacts,
        "repeats": repeats,
        "smtp_processes": args.smtp_processes,
        "results": results,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "sqlalchemy": version("sqlalchemy"),
            "aiosmtpd": version("aiosmtpd"),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
