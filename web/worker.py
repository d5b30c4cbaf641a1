"""The background worker: a list of passes run over and over (notification delivery; other
capabilities add theirs), each doing what is due and saying how much it did."""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import chain

import click
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rollout import audit
from rollout.events import Context
from rollout.notifications.content import Email
from rollout.notifications.delivery import (
    LEASE,
    Attempt,
    Claimed,
    EmailSender,
    Outcome,
    Result,
    WebhookSender,
    claim_due,
    prepare_claimed,
    record_outcomes,
    release_claim,
    renew_lease,
)
from rollout.notifications.models import Channel
from rollout.windows.announcing import keep_ahead
from web import logs, metrics
from web.jira_worker import jira_passes

log = logging.getLogger("rollout.worker")


@dataclass
class Worker:
    """What every pass needs: sessions, the clock, the channels, and who this worker is."""

    sessions: Callable[..., Session]
    clock: Callable[[], datetime]
    base_url: str
    email: EmailSender | None = None
    webhooks: WebhookSender | None = None
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 50
    lease: timedelta = LEASE
    rng: random.Random = field(default_factory=random.Random)
    stopping: bool = False

    def __post_init__(self) -> None:
        # Everything the worker writes, the audit records as this worker's.
        self.sessions = partial(
            self.sessions, info=audit.author_info(f"worker:{self.name}", clock=self.clock)
        )

    def close(self) -> None:
        if self.email is not None and hasattr(self.email, "close"):
            self.email.close()


Pass = Callable[[Worker], int]


# Outcomes are committed together, this many or this often: a commit per message cost a fifth
# of delivering it. A worker that dies before committing leaves its rows claimed; they are
# sent again (same message id) once the lease runs out: a duplicate, never a loss.
OUTCOMES_PER_COMMIT = 50
OUTCOMES_COMMIT_EVERY = 1.0  # seconds


def deliver_notifications(worker: Worker) -> int:
    """Claim one batch of due notifications, send each, and record the outcomes a few dozen
    at a time; returns how many were handled. A worker told to stop finishes the message in
    hand, records what it sent and hands the rest back at once; one killed midway leaves its
    rows claimed until the lease runs out, when any worker takes them again (same message
    ids)."""
    channels = tuple(
        c
        for c, sender in ((Channel.EMAIL, worker.email), (Channel.WEBHOOK, worker.webhooks))
        if sender is not None
    )
    if not channels:
        return 0
    with worker.sessions() as session:
        token = claim_due(
            session, now=worker.clock(), limit=worker.batch, lease=worker.lease, channels=channels
        )
        if token is None:
            return 0
        # Read and rendered before the claim commits: one transaction, and nothing is sent
        # until then.
        claimed = prepare_claimed(session, token, base_url=worker.base_url, now=worker.clock())
        session.commit()
    lease = _Lease(worker, token)
    recorded = time.monotonic()
    handled, unrecorded = 0, []
    emails = [c for c in claimed if c.skip is None and c.channel == Channel.EMAIL]
    others = [c for c in claimed if c.skip is not None or c.channel != Channel.EMAIL]
    # Claimed emails mean there is an email sender: claim_due took only its channels.
    sent = _one_by_one(worker, lease.each(others))
    if emails:
        sent = chain(sent, _emails_in_turn(worker, lease.each(emails)))
    for item, outcome, duration_ms in sent:
        unrecorded.append(Attempt(item, outcome, duration_ms))
        metrics.DELIVERIES.labels(item.channel, outcome.result).inc()
        _log_attempt(item, outcome, duration_ms)
        handled += 1
        if len(unrecorded) >= OUTCOMES_PER_COMMIT or time.monotonic() - recorded > (
            OUTCOMES_COMMIT_EVERY
        ):
            _record(worker, unrecorded)
            unrecorded, recorded = [], time.monotonic()
    # Before any release: a sent row handed back would go out twice.
    _record(worker, unrecorded)
    if worker.stopping and handled < len(claimed):
        _release(worker, token)
    return handled


class _Lease:
    """A claim being worked through, its lease renewed while a third of it is left."""

    def __init__(self, worker: Worker, token: str):
        self.worker, self.token = worker, token
        self.renewed = time.monotonic()

    def each(self, items: list[Claimed]) -> Iterator[Claimed]:
        """The items in turn, until the worker is told to stop."""
        for item in items:
            if self.worker.stopping:
                return
            if time.monotonic() - self.renewed > self.worker.lease.total_seconds() / 3:
                with self.worker.sessions() as session:
                    renew_lease(
                        session, self.token, now=self.worker.clock(), lease=self.worker.lease
                    )
                    session.commit()
                self.renewed = time.monotonic()
            yield item


def _one_by_one(worker: Worker, items: Iterable[Claimed]) -> Iterator[tuple[Claimed, Outcome, int]]:
    for item in items:
        started = time.monotonic()
        outcome = _send(worker, item)
        yield item, outcome, int((time.monotonic() - started) * 1000)


def _emails_in_turn(
    worker: Worker, items: Iterable[Claimed]
) -> Iterator[tuple[Claimed, Outcome, int]]:
    """Through the sender's send_each, which reads the server's reply to a message only once
    this worker has recorded the previous one and taken the next: each item's duration runs
    from being taken to its outcome."""
    taken: deque[tuple[Claimed, float]] = deque()

    def contents() -> Iterator[Email]:
        for item in items:
            taken.append((item, time.monotonic()))
            yield item.content

    for outcome in worker.email.send_each(contents()):
        item, started = taken.popleft()
        yield item, outcome, int((time.monotonic() - started) * 1000)


def _record(worker: Worker, attempts: list[Attempt]) -> None:
    if not attempts:
        return
    with worker.sessions() as session:
        statuses = record_outcomes(
            session, attempts, worker=worker.name, now=worker.clock(), rng=worker.rng
        )
        session.commit()
    for attempt, status in zip(attempts, statuses, strict=True):
        if status is None:
            log.warning(
                "notification %s: lease lost before its outcome was recorded", attempt.claimed.id
            )


def _release(worker: Worker, token: str) -> None:
    with worker.sessions() as session:
        released = release_claim(session, token, now=worker.clock())
        session.commit()
    log.info(
        "stopping: released %d unsent notification(s) to other workers",
        released,
        extra={"fields": {"event": "released", "released": released}},
    )


def _log_attempt(item: Claimed, outcome: Outcome, duration_ms: int) -> None:
    # What an operator traces a message by; never its content, address or signature.
    fields = {
        "event": "delivery",
        "notification": item.id,
        "channel": str(item.channel),
        "attempt": item.attempt,
        "outcome": str(outcome.result),
        "code": outcome.code,
        "duration_ms": duration_ms,
    }
    log.info(
        "delivery notification=%s channel=%s attempt=%s outcome=%s code=%s %dms",
        item.id,
        item.channel,
        item.attempt,
        outcome.result,
        outcome.code or "-",
        duration_ms,
        extra={"fields": fields},
    )


PASSES: list[Pass] = [deliver_notifications]


class CalendarPass:
    """Every `period`: move the planning horizon forward and announce the windows that came
    within `notice` (None: planning only), their notices following `context`'s policy.
    Workers racing here are harmless: windows are unique per occurrence and an announcement
    is a revision under optimistic locking."""

    __name__ = "calendar"

    def __init__(
        self,
        notice: timedelta | None,
        context: Context,
        period: timedelta = timedelta(minutes=10),
    ):
        self.notice = notice
        self.context = context
        self.period = period
        self.next_run: datetime | None = None

    def __call__(self, worker: Worker) -> int:
        now = worker.clock()
        if self.next_run is not None and now < self.next_run:
            return 0
        self.next_run = now + self.period
        with worker.sessions() as session:
            try:
                planned, announced = keep_ahead(
                    session, notice=self.notice, now=now, context=self.context
                )
                session.commit()
            except (IntegrityError, StaleDataError):  # a new window, or a policy's revision
                log.info("another worker planned or announced the same windows first")
                return 0
        if planned or announced:
            log.info("planned %d window(s), announced %d", planned, announced)
        return planned + announced


def run(worker: Worker, passes: list[Pass] | None = None, *, once: bool = False, idle=5.0):
    """Run the passes until stopped; with `once`, until nothing is due, then return how
    much was done."""
    passes = PASSES if passes is None else passes
    total = 0
    while not worker.stopping:
        done = 0
        for one in passes:
            if worker.stopping:
                break
            started = time.monotonic()
            try:
                items = one(worker)
            except Exception:
                if once:
                    raise
                log.exception("worker pass %s failed; trying again shortly", one.__name__)
                continue
            if items:
                _log_pass(one.__name__, items, started)
            done += items
        total += done
        if once and done == 0:
            break
        if done == 0:
            _sleep(worker, idle)
    return total


def _log_pass(name: str, items: int, started: float) -> None:
    duration_ms = int((time.monotonic() - started) * 1000)
    fields = {"event": "pass", "pass": name, "items": items, "duration_ms": duration_ms}
    log.info("pass %s: %d item(s) in %dms", name, items, duration_ms, extra={"fields": fields})


def _send(worker: Worker, item: Claimed) -> Outcome:
    """A skipped item's outcome, or a webhook's (emails go through _emails_in_turn)."""
    if item.skip is not None:
        failed = item.skip.startswith("cannot render")
        return Outcome(Result.FAILED if failed else Result.CANCELLED, item.skip)
    try:
        return worker.webhooks.send(item.content)
    except Exception as exc:  # an adapter bug must not take the batch down
        log.exception("notification %s: sending failed unexpectedly", item.id)
        return Outcome(Result.RETRY, f"unexpected error: {type(exc).__name__}: {exc}")


def _sleep(worker: Worker, seconds: float) -> None:
    until = time.monotonic() + seconds
    while not worker.stopping and time.monotonic() < until:
        time.sleep(min(0.2, until - time.monotonic()))


def build_worker(app, *, batch: int = 50, lease: timedelta = LEASE) -> Worker:
    """A worker over `app`'s database, clock and notification settings; SettingsError
    without PUBLIC_URL, which every email links back to."""
    from channels.email import SmtpSender
    from channels.webhooks import WebhookSender

    settings = app.extensions["rollout.settings"]
    base_url = settings.require_public_url()
    smtp = settings.notifications.smtp
    if smtp is None:
        log.warning("SMTP_HOST is not set: emails stay queued until it is")
    elif not base_url.startswith("https://"):
        log.warning(
            "one-click unsubscribe (RFC 8058) needs an https PUBLIC_URL: emails carry the "
            "unsubscribe link without List-Unsubscribe-Post"
        )
    return Worker(
        sessions=app.extensions["rollout.sessions"],
        clock=app.extensions["rollout.clock"],
        base_url=base_url,
        email=SmtpSender(smtp, public_url=base_url) if smtp else None,
        webhooks=WebhookSender(
            settings.notifications.allow_private, ca_bundle=settings.notifications.ca_bundle
        ),
        batch=batch,
        lease=lease,
    )


@click.command("worker")
@click.option("--once", is_flag=True, help="do everything due now, then exit (for cron, tests)")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--idle", default=5.0, show_default=True, type=click.FloatRange(0.1, 300), help="seconds"
)
@click.option(
    "--lease",
    default=int(LEASE.total_seconds()),
    show_default=True,
    type=click.IntRange(5, 3600),
    help="seconds a claimed batch stays this worker's: how long the rows of a worker that "
    "died mid-batch wait before another worker takes them",
)
@click.pass_obj
def worker_command(obj, once: bool, batch: int, idle: float, lease: int) -> None:
    """Deliver notifications (and run the other background passes) until stopped."""
    app = obj.serving()
    logs.configure(app.extensions["rollout.settings"].log_format)
    worker = build_worker(app, batch=batch, lease=timedelta(seconds=lease))
    metrics.process_started(app, "worker")

    def stop(_signum, _frame):
        # Finish the message in hand, hand the rest of the batch back, then leave: within
        # the in-hand send's timeout (SMTP: 20 s per exchange with the server; a webhook: 3 s
        # to connect, 10 s to answer). A second signal ends the process at once; what it
        # still held waits out its lease.
        worker.stopping = True
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    settings = obj.app.extensions["rollout.settings"]
    try:
        done = run(
            worker,
            [
                *PASSES,
                CalendarPass(
                    settings.notifications.announce_within, obj.app.extensions["rollout.context"]
                ),
                *jira_passes(settings.jira),
            ],
            once=once,
            idle=idle,
        )
    finally:
        worker.close()
    if once:
        click.echo(f"worked through {done} item(s)")
