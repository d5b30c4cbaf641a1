"""The worker's Jira pass: push what is due whenever the worker comes round, and pull-sync
every JIRA_SYNC_SECONDS. A Jira outage is logged and waited out, never fatal."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from jira_sync.client import JiraClient, JiraError
from jira_sync.config import JiraSettings
from jira_sync.push import run_push
from jira_sync.sync import run_sync
from rollout.jira.models import JiraPush, JiraPushStatus

log = logging.getLogger("rollout.worker.jira")


class JiraPass:
    """A worker pass (callable with the worker); keeps one Jira connection between rounds."""

    __name__ = "jira"

    def __init__(self, settings: JiraSettings):
        self.settings = settings
        self.client: JiraClient | None = None
        self.next_sync: datetime | None = None
        self.next_connect: datetime | None = None

    def __call__(self, worker) -> int:
        now = worker.clock()
        sync_due = bool(self.settings.projects) and (
            self.next_sync is None or now >= self.next_sync
        )
        if not sync_due and not self._pushes_due(worker, now):
            return 0
        client = self._connect(now)
        if client is None:
            return 0
        done = 0
        if self._pushes_due(worker, now):
            outcome = run_push(worker.sessions, client, self.settings, now=now)
            done += outcome.done
            for line in outcome.errors:
                log.warning("jira push %s", line)
            if outcome.unauthorised:
                self._drop(now)
        if sync_due:
            self.next_sync = now + timedelta(seconds=self.settings.sync_seconds)
            for result in run_sync(
                worker.sessions,
                client,
                self.settings,
                projects=list(self.settings.projects),
                now=now,
            ):
                done += result.issues
                for problem in result.problems:
                    log.warning("jira sync %s: skipped %s", result.project, problem)
                if result.error:
                    log.warning("jira sync %s: %s", result.project, result.error)
                    self._drop(now)
        return done

    def _pushes_due(self, worker, now: datetime) -> bool:
        with worker.sessions() as session:
            return (
                session.scalar(
                    select(JiraPush.id)
                    .where(
                        JiraPush.status == JiraPushStatus.PENDING, JiraPush.next_attempt_at <= now
                    )
                    .limit(1)
                )
                is not None
            )

    def _connect(self, now: datetime) -> JiraClient | None:
        if self.client is not None:
            return self.client
        if self.next_connect is not None and now < self.next_connect:
            return None
        try:
            self.client = JiraClient.connect(self.settings)
        except JiraError as exc:
            log.warning("jira: %s", exc.message)
            self.next_connect = now + timedelta(seconds=min(60, self.settings.sync_seconds))
            return None
        return self.client

    def _drop(self, now: datetime) -> None:
        # Connect afresh next time (credentials may have been fixed, Jira restarted).
        if self.client is not None:
            self.client.close()
        self.client = None
        self.next_connect = now + timedelta(seconds=min(60, self.settings.sync_seconds))


def jira_passes(settings: JiraSettings) -> list[JiraPass]:
    """The Jira pass when Jira is configured, else none."""
    return [JiraPass(settings)] if settings.api_configured else []
