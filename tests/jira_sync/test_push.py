"""Pushes to Jira (fix versions, remote links) made by the real `jira` library, retried
until done, never lost, never doubled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from jira_sync.push import retry_failed, run_push, ticket_global_id
from rollout.events import ReleaseCompleted, publish
from rollout.jira.models import JiraPush, JiraPushStatus
from rollout.jira.push import on_release_created, on_ticket_linked, on_ticket_unlinked, queue_push
from rollout.releases import create_release
from tests.conftest import NOW
from tests.jira_stub import make_issue

TICKET = "https://help.example.com/tickets/EXT-1"


@pytest.fixture
def release(session):
    release = create_release(session, version="2026.12", title="December release", now=NOW)
    session.commit()
    return release


def push(session_factory, client, *, now=NOW):
    return run_push(session_factory, client, client.settings, now=now)


def rows(session) -> list[JiraPush]:
    session.expire_all()
    return list(session.scalars(select(JiraPush).order_by(JiraPush.id)))


def versions(stub, project="ED") -> dict[str, dict]:
    return {v["name"]: v for v in stub.versions.values() if v["projectKey"] == project}


def test_a_new_release_creates_its_fix_version_in_every_synced_project(
    stub, connect, session, session_factory, release
):
    # create_release queued the push in its own transaction (the release_created event).
    outcome = push(session_factory, connect(stub, projects=("ED", "OPS")))
    assert (outcome.done, outcome.retrying, outcome.failed) == (1, 0, 0)
    assert versions(stub)["2026.12"]["description"] == "December release"
    assert "2026.12" in versions(stub, "OPS")
    [row] = rows(session)
    assert row.status == JiraPushStatus.DONE and row.done_at == NOW and row.attempts == 1


def test_a_version_already_in_jira_is_not_created_twice(
    cloud, connect, session, session_factory, release
):
    on_release_created(session, release, now=NOW)  # a second time, e.g. replayed by hand
    session.commit()
    outcome = push(session_factory, connect(cloud))
    assert outcome.done == 2 and len(versions(cloud)) == 1
    assert rows(session)[1].last_error == "already in Jira"


def test_a_completed_release_marks_its_version_released_on_that_day(
    cloud, connect, session, session_factory, release
):
    client = connect(cloud)
    push(session_factory, client)
    release.completed_at = NOW + timedelta(days=3)
    # What the deployment roll-up publishes when the last environment succeeds.
    publish(session, ReleaseCompleted(release), now=NOW + timedelta(days=3))
    session.commit()
    push(session_factory, client, now=NOW + timedelta(days=3))
    version = versions(cloud)["2026.12"]
    assert version["released"] is True and version["releaseDate"] == "2026-11-25"
    assert cloud.requests_to("/version/", "PUT")


def test_releasing_a_version_jira_never_had_creates_it_released(
    cloud, connect, session, session_factory
):
    queue_push(
        session,
        action="release_version",
        payload={"project": "ED", "name": "2026.11", "release_date": "2026-11-14"},
        now=NOW,
    )
    session.commit()
    push(session_factory, connect(cloud))
    version = versions(cloud)["2026.11"]
    assert version["released"] is True and version["releaseDate"] == "2026-11-14"


def test_a_push_that_meets_a_jira_500_is_retried_later_and_then_succeeds(
    stub, connect, session, session_factory
):
    stub.add(make_issue("ED-1", NOW))
    on_ticket_linked(
        session, bug_key="ED-1", ticket_url=TICKET, title="EXT-1: export fails", now=NOW
    )
    session.commit()
    stub.fail("POST", r"/remotelink$", 500)
    client = connect(stub)
    first = push(session_factory, client)
    assert (first.done, first.retrying) == (0, 1)
    [row] = rows(session)
    assert row.status == JiraPushStatus.PENDING and "500" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert push(session_factory, client, now=NOW + timedelta(seconds=30)).done == 0  # not due
    again = push(session_factory, client, now=NOW + timedelta(minutes=1))
    assert again.done == 1
    [row] = rows(session)
    assert row.status == JiraPushStatus.DONE and row.attempts == 2
    [link] = stub.links["ED-1"]
    assert link["object"]["url"] == TICKET and link["globalId"] == ticket_global_id(TICKET)


def test_a_remote_link_made_twice_is_still_one_link(cloud, connect, session, session_factory):
    cloud.add(make_issue("ED-1", NOW))
    for _ in range(2):  # e.g. a worker died after Jira answered, before it committed
        on_ticket_linked(session, bug_key="ED-1", ticket_url=TICKET, title="EXT-1", now=NOW)
    session.commit()
    assert push(session_factory, connect(cloud)).done == 2
    assert len(cloud.links["ED-1"]) == 1


def test_unlinking_a_ticket_removes_its_remote_link(cloud, connect, session, session_factory):
    cloud.add(make_issue("ED-1", NOW))
    on_ticket_linked(session, bug_key="ED-1", ticket_url=TICKET, title="EXT-1", now=NOW)
    on_ticket_unlinked(session, bug_key="ED-1", ticket_url=TICKET, now=NOW)
    session.commit()
    assert push(session_factory, connect(cloud)).done == 2
    assert cloud.links["ED-1"] == []


def test_a_link_to_an_issue_jira_does_not_have_fails_for_good_with_jiras_message(
    cloud, connect, session, session_factory
):
    on_ticket_linked(session, bug_key="ED-404", ticket_url=TICKET, title="EXT-1", now=NOW)
    session.commit()
    outcome = push(session_factory, connect(cloud))
    assert outcome.failed == 1
    [row] = rows(session)
    assert row.status == JiraPushStatus.FAILED
    assert "404" in row.last_error and "Issue does not exist" in row.last_error
    assert retry_failed(session, now=NOW) == 1
    session.commit()
    assert rows(session)[0].status == JiraPushStatus.PENDING


def test_rate_limited_pushes_wait_at_least_what_jira_asked(
    cloud, connect, session, session_factory, sleeps
):
    cloud.add(make_issue("ED-1", NOW))
    on_ticket_linked(session, bug_key="ED-1", ticket_url=TICKET, title="EXT-1", now=NOW)
    session.commit()
    cloud.fail("POST", r"/remotelink$", 429, headers={"Retry-After": "600"})
    outcome = push(session_factory, connect(cloud))
    assert outcome.retrying == 1 and sleeps == []  # longer than we wait in-process
    [row] = rows(session)
    assert row.next_attempt_at == NOW + timedelta(minutes=10)


def test_refused_credentials_stop_the_pass_and_keep_every_row(
    cloud, connect, session, session_factory
):
    cloud.add(make_issue("ED-1", NOW))
    for n in (1, 2):
        on_ticket_linked(session, bug_key="ED-1", ticket_url=f"{TICKET}{n}", title="t", now=NOW)
    session.commit()
    client = connect(cloud)
    cloud.fail("POST", r"/remotelink$", 401)
    outcome = push(session_factory, client)
    assert outcome.unauthorised and outcome.retrying == 1
    first, second = rows(session)
    assert first.status == second.status == JiraPushStatus.PENDING
    assert second.attempts == 0 and "credentials" in first.last_error


def test_switched_off_pushes_are_marked_skipped_not_left_waiting(
    cloud, connect, session, session_factory, release
):
    push(session_factory, connect(cloud, push_versions=False))
    [row] = rows(session)
    assert row.status == JiraPushStatus.DONE and "JIRA_PUSH_VERSIONS" in row.last_error
    assert versions(cloud) == {}


def test_a_row_that_cannot_be_made_as_written_fails_naming_what_is_missing(
    cloud, connect, session, session_factory
):
    queue_push(session, action="remote_link", payload={"issue": "ED-1"}, now=NOW)
    queue_push(session, action="archive_everything", payload={}, now=NOW)
    session.commit()
    assert push(session_factory, connect(cloud)).failed == 2
    first, second = rows(session)
    assert "'url'" in first.last_error and "unknown action" in second.last_error


def test_when_jira_stops_answering_the_pass_stops_and_every_row_waits(
    connect, session, session_factory
):
    from tests.jira_stub import JiraStub, running

    with running(JiraStub()) as gone:
        client = connect(gone)
    for n in (1, 2):
        on_ticket_linked(session, bug_key="ED-1", ticket_url=f"{TICKET}{n}", title="t", now=NOW)
    session.commit()
    outcome = push(session_factory, client)
    assert (outcome.done, outcome.retrying) == (0, 1)
    first, second = rows(session)
    assert "unreachable" in first.last_error and first.next_attempt_at > NOW
    assert second.attempts == 0 and second.status == JiraPushStatus.PENDING
