"""A worker stopped with SIGTERM mid-batch, as a process supervisor stops it: it finishes the
message in hand, hands the rest back at once and exits; the next worker sends only the rest."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from channels.config import SmtpSettings
from rollout.notifications import NotificationStatus
from tests.notifications.servers import smtp_server
from tests.notifications.test_workers import seed, statuses, worker_env, worker_once

CONTACTS = 20
SEND_SECONDS = 0.3  # how long the sink takes over each message


def attempts_of_pending(url: str) -> set[int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = set(
            connection.scalars(
                sa.text("select attempts from notification where status = 'pending'")
            )
        )
    engine.dispose()
    return found


@pytest.mark.long
def test_a_worker_stopped_mid_batch_releases_the_rest_and_the_next_sends_each_once(
    fresh_database_url, tmp_path
):
    ids, _ = seed(fresh_database_url, contacts=CONTACTS)
    with smtp_server(delay=SEND_SECONDS) as (inbox, port):
        env = worker_env(fresh_database_url, port)
        worker = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--batch", "50"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            inbox.wait_for(2, timeout=60)  # a loaded machine starts Python slowly
            assert inbox.count >= 2, "the worker did not start sending"
            worker.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            _, log = worker.communicate(timeout=SmtpSettings.timeout + 10)
            stopped_after = time.monotonic() - signalled
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, log
        # The documented bound: the in-hand send's timeout (here it takes SEND_SECONDS).
        assert stopped_after < SmtpSettings.timeout
        sent = inbox.count
        inbox.delay = 0  # the rest as fast as the sink takes it
        assert 2 <= sent < CONTACTS, "the worker should stop in the middle of the batch"
        # Accepted is recorded; the rest is pending again, its claim's attempt undone.
        assert statuses(fresh_database_url) == {
            NotificationStatus.DELIVERED: sent,
            NotificationStatus.PENDING: CONTACTS - sent,
        }
        assert attempts_of_pending(fresh_database_url) == {0}
        assert f"released {CONTACTS - sent} unsent notification(s)" in log

        # No lease to wait out: the next worker takes the rest at once.
        again = worker_once(env, tmp_path)
        assert again.returncode == 0, again.stderr
        assert f"worked through {CONTACTS - sent} item(s)" in again.stdout
        received = inbox.message_ids()
    assert statuses(fresh_database_url) == {NotificationStatus.DELIVERED: CONTACTS}
    assert sorted(received) == sorted(f"<{i}@rollout.test>" for i in ids)  # each exactly once
