"""Pull sync with the real `jira` library against a stand-in Jira Cloud and Server."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jira_sync.client import JiraClient, JiraError
from jira_sync.config import JiraSettings
from jira_sync.sync import apply_issues, run_sync, sync_issue, sync_project, to_record
from rollout import releases
from rollout.errors import NotFound
from rollout.jira.bugs import BugRecord, delete_bug, get_bug, upsert_bug
from rollout.jira.models import Bug, JiraSyncState, Severity, StatusCategory
from rollout.notifications import Notification
from rollout.support.fix_live import recheck_bugs
from rollout.support.models import TicketBug
from rollout.support.tickets import create_ticket, get_ticket, link_bug
from rollout.support.triage import triage
from tests.conftest import NOW
from tests.factories import make_customer, make_policy, make_region
from tests.jira_stub import JiraStub, make_issue, running
from tests.jira_sync.conftest import settings_for
from tests.statements import statements


def issues(count: int, *, project: str = "ED", **fields) -> list[dict]:
    """`count` issues updated a minute apart, the newest a minute before NOW."""
    return [
        make_issue(f"{project}-{n}", NOW - timedelta(minutes=n), **fields)
        for n in range(1, count + 1)
    ]


def sync(session_factory, client, *, now=NOW, **kwargs):
    return run_sync(session_factory, client, client.settings, projects=["ED"], now=now, **kwargs)


def bug_count(session) -> int:
    return session.scalar(select(func.count(Bug.id)))


def searches(stub) -> list[dict]:
    return stub.requests_to("/search/jql" if stub.deployment == "Cloud" else "/search")


def test_paging_goes_to_the_end_with_pages_of_the_largest_size(
    stub, connect, session_factory, session
):
    stub.add(*issues(10, severity="Deep and Wide", fix_versions=("2026.12",)))
    client = connect(stub)
    [outcome] = sync(session_factory, client)
    assert (outcome.issues, outcome.pages, outcome.error) == (10, 4, None)
    assert len(searches(stub)) == math.ceil(10 / 3)
    assert bug_count(session) == 10
    bug = get_bug(session, "ED-4")
    assert bug.severity == Severity.DEEP_AND_WIDE and bug.fix_versions == ["2026.12"]
    assert bug.jira_updated_at == NOW - timedelta(minutes=4)


def test_cloud_pages_with_next_page_tokens_and_server_with_start_at(stub, connect, session_factory):
    stub.add(*issues(7))
    sync(session_factory, connect(stub))
    pages = searches(stub)
    if stub.deployment == "Cloud":
        assert [("nextPageToken" in p) for p in pages] == [False, True, True]
        assert stub.requests_to("/search", "GET") == pages  # never the retired search
    else:
        assert [p["startAt"] for p in pages] == [["0"], ["3"], ["6"]]


def test_only_the_fields_rollout_keeps_are_asked_for(stub, connect, session_factory):
    stub.add(*issues(2))
    client = connect(stub)
    sync(session_factory, client)
    assert searches(stub)[0]["fields"] == client.settings.fields()


def test_the_next_run_asks_only_for_changes_since_the_last_run_with_an_overlap(
    stub, connect, session_factory
):
    stub.user_zone = "America/New_York"
    stub.add(*issues(2))
    client = connect(stub)
    sync(session_factory, client)
    assert "updated" not in searches(stub)[0]["jql"][0]
    sync(session_factory, client, now=NOW + timedelta(minutes=10))
    # Two minutes before the first run's start, written in the Jira user's zone.
    assert searches(stub)[-1]["jql"] == [
        'project = "ED" AND updated >= "2026-11-22 06:58" ORDER BY key ASC'
    ]


def test_an_update_not_yet_searchable_at_the_boundary_is_caught_by_the_overlap(
    stub, connect, session_factory, session
):
    stub.add(*issues(3))
    late = make_issue("ED-9", NOW - timedelta(seconds=30), summary="Indexed late")
    stub.add(late)
    stub.hidden.add("ED-9")  # Jira's search index has not caught up yet
    client = connect(stub)
    sync(session_factory, client)
    assert session.scalar(select(Bug).where(Bug.key == "ED-9")) is None
    stub.hidden.clear()
    [outcome] = sync(session_factory, client, now=NOW + timedelta(minutes=5))
    assert get_bug(session, "ED-9").summary == "Indexed late"
    # From 11:58 on: ED-1, ED-2 (at 11:58 exactly) and ED-9; ED-3 is not read again.
    assert outcome.issues == 3


def test_a_sync_that_fails_half_way_resumes_at_the_page_that_failed(
    stub, connect, session_factory, session
):
    stub.add(*issues(8))
    path = r"/search/jql$" if stub.deployment == "Cloud" else r"/search$"
    stub.fail("GET", path, 500, skip=1)  # the second page
    client = connect(stub)
    [failed] = sync(session_factory, client)
    assert failed.error and "500" in failed.error and failed.pages == 1
    assert bug_count(session) == 3
    state = session.get(JiraSyncState, "ED")
    session.refresh(state)
    assert state.run_page is not None and "500" in state.last_error
    assert state.synced_through is None
    first_pages = len(searches(stub))
    [resumed] = sync(session_factory, client, now=NOW + timedelta(minutes=1))
    assert resumed.resumed and resumed.error is None and resumed.issues == 5
    assert bug_count(session) == 8
    retried = searches(stub)[first_pages]
    if stub.deployment == "Cloud":
        assert "nextPageToken" in retried
    else:
        assert retried["startAt"] == ["3"]
    session.refresh(state)
    # The resumed run counts from when the failed one started: nothing edited since is lost.
    assert state.synced_through == NOW and state.run_page is None and state.last_error is None


def test_a_429_is_waited_out_as_retry_after_says(stub, connect, session_factory, session, sleeps):
    stub.add(*issues(4))
    path = r"/search/jql$" if stub.deployment == "Cloud" else r"/search$"
    stub.fail("GET", path, 429, headers={"Retry-After": "1"})
    [outcome] = sync(session_factory, connect(stub))
    assert outcome.error is None and bug_count(session) == 4
    assert sleeps == [1.0]
    assert stub.times[-1] - stub.times[0] >= 1.0


def test_a_retry_after_longer_than_allowed_stops_the_run_without_sleeping(
    cloud, connect, session_factory, sleeps
):
    cloud.add(*issues(4))
    cloud.fail("GET", r"/search/jql$", 429, headers={"Retry-After": "3600"})
    [outcome] = sync(session_factory, connect(cloud))
    assert "429" in outcome.error and sleeps == []


def test_running_again_with_nothing_new_changes_nothing(stub, connect, session_factory, session):
    stub.add(*issues(5, priority="High"))
    client = connect(stub)
    sync(session_factory, client)
    before = {
        b.key: (b.summary, b.priority, b.jira_updated_at) for b in session.scalars(select(Bug))
    }
    sync(session_factory, client, now=NOW + timedelta(minutes=3))
    sync(session_factory, client, now=NOW + timedelta(minutes=6), full=True)
    session.expire_all()
    after = {
        b.key: (b.summary, b.priority, b.jira_updated_at) for b in session.scalars(select(Bug))
    }
    assert after == before and len(after) == 5


def test_a_page_older_than_what_the_webhook_brought_does_not_overwrite_it(
    cloud, connect, session_factory, session
):
    newer = BugRecord(
        key="ED-1",
        project="ED",
        summary="Fixed, from the webhook",
        status="Done",
        status_category=StatusCategory.DONE,
        priority=None,
        severity=None,
        resolution="Done",
        fix_versions=(),
        public_note=None,
        updated_at=NOW,
    )
    upsert_bug(session, newer, now=NOW)
    session.commit()
    cloud.add(*issues(2))  # ED-1 as it was a minute before
    sync(session_factory, connect(cloud))
    session.expire_all()
    assert get_bug(session, "ED-1").summary == "Fixed, from the webhook"


def test_an_issue_deleted_between_pages_does_not_make_server_paging_skip_one(
    server, connect, session
):
    server.add(*issues(9))
    client = connect(server)
    pages = sync_project(session, client, client.settings, project="ED", now=NOW)
    next(pages)
    del server.issues["ED-1"]  # already read; the rest shift one place left
    for _ in pages:
        pass
    assert {b.key for b in session.scalars(select(Bug))} == {f"ED-{n}" for n in range(1, 10)}


def test_one_issue_jira_cannot_describe_is_skipped_and_reported_not_blocking(
    cloud, connect, session_factory, session
):
    broken = make_issue("ED-2", NOW)
    del broken["fields"]["status"]
    cloud.add(*issues(1), broken, *issues(3)[2:])
    [outcome] = sync(session_factory, connect(cloud))
    assert outcome.problems == ("the issue has no status",)
    assert {b.key for b in session.scalars(select(Bug))} == {"ED-1", "ED-3"}


def test_one_issue_can_be_read_on_demand_and_a_missing_one_is_not_found(cloud, connect, session):
    cloud.add(make_issue("ED-42", NOW, summary="Typed in by an agent"))
    client = connect(cloud)
    assert sync_issue(session, client, client.settings, key="ED-42", now=NOW).summary == (
        "Typed in by an agent"
    )
    with pytest.raises(NotFound, match="ED-43"):
        sync_issue(session, client, client.settings, key="ED-43", now=NOW)


def test_wrong_credentials_are_refused_with_a_message_naming_what_to_check(stub):
    cloud_like = stub.deployment == "Cloud"
    overrides = {"api_token": "wrong"} if cloud_like else {"pat": "wrong"}
    with pytest.raises(JiraError, match="refused the credentials") as caught:
        JiraClient.connect(settings_for(stub, **overrides))
    assert caught.value.status == 401
    assert "wrong" not in caught.value.message


def test_an_unreachable_jira_fails_at_once_with_a_clear_message(cloud, sleeps):
    settings = settings_for(cloud, url="http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(JiraError, match="unreachable") as caught:
        JiraClient.connect(settings, sleep=sleeps)
    assert caught.value.status is None and sleeps == []


def test_a_second_worker_leaves_a_project_another_is_syncing(server, connect, fresh_postgres_url):
    # Row locks with SKIP LOCKED are PostgreSQL's; SQLite has one writer anyway.
    fresh_database_url = fresh_postgres_url
    from rollout.db import make_engine, make_session_factory

    server.add(*issues(7))
    client = connect(server)
    engine = make_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as first, sessions() as second:
            pages = sync_project(first, client, client.settings, project="ED", now=NOW)
            next(pages)
            first.commit()
            next(pages)  # holds the project's row until it commits
            assert list(sync_project(second, client, client.settings, project="ED", now=NOW)) == []
            second.rollback()
            first.commit()
            assert [p.last for p in pages] == [True]
            first.commit()
            assert first.scalar(select(func.count(Bug.id))) == 7
    finally:
        engine.dispose()


# ---- a Jira change that makes a fix live closes the loop ----------------------------------

LIVE_AT = NOW + timedelta(days=90)  # after the windows: the deploy did not run early


def ticket_waiting_on_ed_1(session) -> None:
    """acme's ticket ZD-1 waits on ED-1; release 2026.12, which does not list ED-1, went live
    on acme's production at LIVE_AT."""
    make_region(session)
    make_policy(session)
    make_customer(session, "acme")
    releases.create_release(session, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    production = releases.find_deployment(session, environment="acme-production", release="2026.12")
    releases.report_outcome(session, production, status="succeeded", actor="ci", now=LIVE_AT)
    create_ticket(
        session,
        external_id="ZD-1",
        url="https://help.example.com/tickets/1",
        customer="acme",
        requester_name="Dana Scully",
        requester_email="dana@acme.example",
        subject="Exports time out",
        sla_level=2,
        now=NOW,
    )
    link_bug(session, "ZD-1", "ED-1", lookup=None, actor="agent", now=NOW)
    session.commit()


def triaged(session) -> set[str]:
    return {item.bug.key for item in triage(session)}


def test_a_synced_fix_version_naming_a_release_already_live_closes_the_ticket_once(
    stub, connect, session_factory, session
):
    stub.add(*issues(4))
    client = connect(stub)
    sync(session_factory, client)
    ticket_waiting_on_ed_1(session)
    assert "ED-1" in triaged(session)
    fixed_at = LIVE_AT + timedelta(days=1)
    stub.add(
        make_issue(
            "ED-1",
            fixed_at,
            status="Done",
            category="done",
            resolution="Fixed",
            fix_versions=("2026.12",),
        )
    )
    sync(session_factory, client, now=fixed_at + timedelta(minutes=5))
    session.expire_all()
    assert get_ticket(session, "ZD-1").links[0].fix_live_at == LIVE_AT
    told = select(Notification.address).where(Notification.event == "ticket.fix_live")
    assert list(session.scalars(told)) == ["dana@acme.example"]
    assert "ED-1" not in triaged(session)
    # Read again from scratch: the requester is not told twice.
    sync(session_factory, client, now=fixed_at + timedelta(minutes=10), full=True)
    session.expire_all()
    assert list(session.scalars(told)) == ["dana@acme.example"]


# ---- a page in a few statements, storing what one issue at a time stored -------------------

PAGE_SETTINGS = JiraSettings(severity_field="customfield_10050", note_field="customfield_10051")
BEFORE = NOW - timedelta(hours=1)


def store(session, *stored: dict) -> None:
    for issue in stored:
        upsert_bug(session, to_record(issue, PAGE_SETTINGS), now=BEFORE)


def mixed_page(session) -> list[dict]:
    """A page against stored bugs: new, changed, unchanged, older than the row, a tombstone
    met with its own time and with a newer one, keys met twice; acme's ticket waits on ED-1
    (made live by the page) and on ED-2 (unchanged, its link's fix_live_at lost)."""
    old = NOW - timedelta(days=1)
    store(
        session,
        make_issue("ED-1", old),
        make_issue("ED-2", old, fix_versions=("2026.12",)),
        make_issue("ED-3", NOW, summary="Newer than the page"),
        make_issue("ED-4", old),
        make_issue("ED-5", old),
        make_issue("ED-6", old, summary="Before"),
        make_issue("ED-10", old),
    )
    delete_bug(session, "ED-4", updated_at=old, now=BEFORE)
    delete_bug(session, "ED-5", updated_at=old, now=BEFORE)
    ticket_waiting_on_ed_1(session)
    link_bug(session, "ZD-1", "ED-2", lookup=None, actor="agent", now=NOW)
    session.scalars(select(TicketBug).join(Bug).where(Bug.key == "ED-2")).one().fix_live_at = None
    session.commit()
    fixed = LIVE_AT + timedelta(days=1)
    return [
        make_issue("ED-1", fixed, status="Done", category="done", fix_versions=("2026.12",)),
        make_issue("ED-2", old, fix_versions=("2026.12",)),
        make_issue("ED-3", old, summary="Older than the row"),
        make_issue("ED-4", old, summary="Deleted at this very update"),
        make_issue("ED-5", NOW, summary="Restored"),
        make_issue("ED-6", old, summary="Same time, new text"),
        make_issue("ED-7", NOW, priority="High", severity="Local", note="Workaround: retry"),
        make_issue("ED-9", old, summary="First seen"),
        make_issue("ED-9", NOW, summary="Then changed"),
        make_issue("ED-10", NOW, summary="Changed"),
        make_issue("ED-10", old, summary="Then an older one"),
        make_issue("ED-8", NOW),
    ]


def one_issue_at_a_time(session, issues: list[dict], *, now) -> None:
    """The sync as it was: an ORM upsert per issue, then every bug of the page re-checked."""
    bugs = [upsert_bug(session, to_record(issue, PAGE_SETTINGS), now=now) for issue in issues]
    recheck_bugs(session, bugs, now=now)


def what_is_stored(session) -> tuple:
    session.expire_all()
    columns = [c.key for c in Bug.__table__.columns if c.key != "id"]
    bugs = sorted(tuple(getattr(b, c) for c in columns) for b in session.scalars(select(Bug)))
    links = sorted(
        (link.ticket.external_id, link.bug.key, link.fix_live_at)
        for link in session.scalars(select(TicketBug))
    )
    told = sorted(session.execute(select(Notification.event, Notification.address)).all())
    return bugs, links, told


def test_a_page_applied_in_bulk_stores_and_tells_exactly_what_one_issue_at_a_time_did(session):
    page = mixed_page(session)
    applied_at = LIVE_AT + timedelta(days=2)
    with session.begin_nested() as one_by_one:
        one_issue_at_a_time(session, page, now=applied_at)
        expected = what_is_stored(session)
        one_by_one.rollback()
    ed_1 = get_bug(session, "ED-1")  # loaded before the page: must not go stale
    assert apply_issues(session, page, PAGE_SETTINGS, now=applied_at) == []
    assert ed_1.fix_versions == ["2026.12"]
    assert what_is_stored(session) == expected
    bugs, links, told = expected
    assert len(bugs) == 10 and [at for _, _, at in links] == [LIVE_AT, LIVE_AT]
    assert told.count(("ticket.fix_live", "dana@acme.example")) == 2


def test_syncing_a_page_of_100_issues_takes_a_few_statements_whatever_it_holds(
    connect, session_factory, session, connection
):
    with running(JiraStub(deployment="Server", server_page_max=100)) as server:
        server.add(*issues(60))
        client = connect(server)
        sync(session_factory, client)
        ticket_waiting_on_ed_1(session)
        server.add(*issues(100)[60:], *issues(30, summary="Changed"))
        with statements(connection) as sent:
            [outcome] = sync(session_factory, client, now=NOW + timedelta(minutes=5), full=True)
    assert (outcome.issues, outcome.pages, outcome.error) == (100, 1, None)
    # 40 new, 30 changed, 30 unchanged: one read, one INSERT and one UPDATE for them all;
    # the rest is the run's bookkeeping and the re-check of ZD-1's link to ED-1.
    writes = [
        sql.split(" SET ")[0].split(" (")[0]
        for sql in sent
        if sql.startswith(("INSERT", "UPDATE bug"))
    ]
    assert writes == ["INSERT INTO bug", "UPDATE bug"]
    assert len(sent) <= 12, "\n".join(sent)
