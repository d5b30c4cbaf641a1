"""Workers over a real, committed database: one killed mid-batch loses nothing (its sent but
unrecorded messages go out again, same ids), and four on
PostgreSQL deliver one batch without any message going out twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from channels.email import SmtpSender
from rollout import windows
from rollout.customers import create_customer, create_region
from rollout.db import make_engine, make_session_factory
from rollout.notifications import DeliveryAttempt, Notification, NotificationStatus
from rollout.notifications.contacts import create_contact
from tests.factories import CONTEXT
from tests.notifications.conftest import BASE_URL, smtp_settings
from tests.notifications.servers import smtp_server
from web.worker import Worker, run


def seed(url: str, contacts: int) -> tuple[list[str], datetime]:
    """A window announced ten minutes ago to `contacts` contacts: that many emails due."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    with sessions() as session:
        create_region(session, slug="us", name="US", timezone="America/New_York", now=now)
        customer = create_customer(
            session, slug="acme", name="Acme", region="us", tier="standard", now=now
        )
        for n in range(contacts):
            create_contact(
                session,
                customer,
                name=f"Contact {n}",
                email=f"c{n}@acme.test",
                subscriptions=["maintenance"],
                now=now,
            )
        window = windows.create_window(
            session,
            title="Database upgrade",
            region="us",
            actor="test",
            now=now,
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            context=CONTEXT,
        )
        windows.change_window(
            session,
            window.id,
            change="announce",
            expected_sequence=0,
            actor="test",
            now=now,
            context=CONTEXT,
        )
        session.commit()
        ids = list(
            session.scalars(
                select(Notification.message_id).where(Notification.event == "window.announced")
            )
        )
    engine.dispose()
    return ids, now


def worker_env(database_url: str, smtp_port: int) -> dict[str, str]:
    """What a `rollout worker` process needs to deliver to the sink on `smtp_port`."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "worker-test",
        "PUBLIC_URL": BASE_URL,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "Rollout <maintenance@rollout.test>",
    }


def worker_once(env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    """`rollout worker --once` as cron runs it: a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "web.cli", "worker", "--once"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def statuses(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Notification.status, func.count())
            .where(Notification.event == "window.announced")
            .group_by(Notification.status)
        )
        found = {status: count for status, count in rows}
    engine.dispose()
    return found


@pytest.mark.long
def test_a_worker_killed_mid_batch_loses_nothing(fresh_database_url, tmp_path):
    ids, _ = seed(fresh_database_url, contacts=60)
    with smtp_server(delay=0.03) as (inbox, port):
        env = worker_env(fresh_database_url, port)
        worker = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--batch", "25"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            inbox.wait_for(15, timeout=60)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        assert 15 <= inbox.count < 60, "the worker should die in the middle of the work"
        midway = statuses(fresh_database_url)
        assert midway.get(NotificationStatus.SENDING, 0) > 0  # claimed, then orphaned

        # Once the dead worker's lease has run out, any worker picks up where it stopped.
        engine = make_engine(fresh_database_url)
        recovery = Worker(
            sessions=make_session_factory(engine),
            clock=lambda: datetime.now(UTC) + timedelta(minutes=10),
            base_url=BASE_URL,
            email=SmtpSender(smtp_settings(port), public_url=BASE_URL),
            name="recovery",
        )
        run(recovery, once=True)
        recovery.close()
        engine.dispose()
        received = inbox.message_ids()
    assert statuses(fresh_database_url) == {NotificationStatus.DELIVERED: 60}
    assert {f"<{i}@rollout.test>" for i in ids} == set(received)
    # A repeat (same message id) is only ever one the dead worker sent without having
    # committed its outcome yet: at most its claimed batch.
    assert len(received) - len(set(received)) <= 25


@pytest.mark.long
def test_four_workers_on_postgresql_never_deliver_the_same_message_twice(fresh_postgres_url):
    # Several workers share one PostgreSQL; SQLite runs one worker.
    fresh_database_url = fresh_postgres_url
    ids, _ = seed(fresh_database_url, contacts=400)
    engines = [make_engine(fresh_database_url) for _ in range(4)]
    start = threading.Barrier(4)
    errors = []
    with smtp_server(delay=0.002) as (inbox, port):

        def work(n: int) -> None:
            worker = Worker(
                sessions=make_session_factory(engines[n]),
                clock=lambda: datetime.now(UTC),
                base_url=BASE_URL,
                email=SmtpSender(smtp_settings(port), public_url=BASE_URL),
                name=f"worker-{n}",
                batch=10,
                rng=random.Random(n),
            )
            start.wait()
            try:
                run(worker, once=True)
            except Exception as exc:  # surfaced below, with the thread's name
                errors.append((n, exc))
            finally:
                worker.close()

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        received = inbox.message_ids()
    assert errors == []
    assert sorted(received) == sorted(f"<{i}@rollout.test>" for i in ids)  # each exactly once
    sessions = make_session_factory(engines[0])
    with sessions() as session:
        attempts = list(session.scalars(select(DeliveryAttempt)))
    for engine in engines:
        engine.dispose()
    assert len(attempts) == 400 and {a.outcome for a in attempts} == {"delivered"}
    assert len({a.worker for a in attempts}) >= 2  # the batch really was shared
    assert statuses(fresh_database_url) == {NotificationStatus.DELIVERED: 400}


def test_worker_once_from_the_command_line_delivers_what_is_due(fresh_database_url, tmp_path):
    ids, _ = seed(fresh_database_url, contacts=3)
    with smtp_server() as (inbox, port):
        env = worker_env(fresh_database_url, port)
        done = worker_once(env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "worked through 3 item(s)" in done.stdout
        assert sorted(inbox.message_ids()) == sorted(f"<{i}@rollout.test>" for i in ids)
