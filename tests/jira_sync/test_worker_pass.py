"""The worker's Jira pass: pushes when due, a pull sync every JIRA_SYNC_SECONDS, and a Jira
outage waited out rather than fatal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rollout.jira.models import Bug, JiraPush, JiraPushStatus
from rollout.jira.push import on_ticket_linked
from tests.conftest import NOW
from tests.jira_stub import make_issue
from tests.jira_sync.conftest import settings_for
from web.jira_worker import JiraPass, jira_passes
from web.worker import Worker, run


def worker(session_factory, clock) -> Worker:
    return Worker(sessions=session_factory, clock=clock, base_url="http://rollout.test")


def test_one_round_pushes_what_is_due_and_syncs(cloud, session, session_factory, clock):
    cloud.add(make_issue("ED-1", NOW - timedelta(minutes=1)))
    on_ticket_linked(session, bug_key="ED-1", ticket_url="https://h.test/1", title="t", now=NOW)
    session.commit()
    done = run(worker(session_factory, clock), [JiraPass(settings_for(cloud))], once=True)
    assert done == 2  # one push, one issue
    assert len(cloud.links["ED-1"]) == 1
    assert session.scalar(select(JiraPush.status)) == JiraPushStatus.DONE
    assert session.scalar(select(Bug.key)) == "ED-1"


def test_the_pull_sync_runs_once_per_period(cloud, session_factory, clock):
    cloud.add(make_issue("ED-1", NOW - timedelta(minutes=1)))
    jira = JiraPass(settings_for(cloud, sync_seconds=300))
    round_ = worker(session_factory, clock)
    jira(round_)
    jira(round_)
    assert len(cloud.requests_to("/search/jql")) == 1
    clock.advance(seconds=300)
    jira(round_)
    assert len(cloud.requests_to("/search/jql")) == 2
    assert len(cloud.requests_to("/serverInfo")) == 1  # the connection is kept


def test_a_jira_outage_is_logged_and_waited_out(cloud, session_factory, clock, caplog):
    jira = JiraPass(settings_for(cloud, url="http://127.0.0.1:9"))
    assert jira(worker(session_factory, clock)) == 0
    assert "unreachable" in caplog.text


def test_no_pass_without_jira_credentials(cloud):
    assert jira_passes(settings_for(cloud, url=None)) == []
    assert len(jira_passes(settings_for(cloud))) == 1
