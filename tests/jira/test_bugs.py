"""Bugs as Jira's updates arrive, in any order and twice: newest wins, deletions leave a
tombstone, and releases or hotfixes carrying a fix are found from either side."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from rollout.errors import NotFound
from rollout.jira.bugs import (
    BugRecord,
    delete_bug,
    get_bug,
    hotfixes_carrying,
    list_bugs,
    releases_carrying,
    upsert_bug,
)
from rollout.jira.models import Priority, StatusCategory
from rollout.releases import add_item, create_release, request_hotfix
from rollout.support.models import Ticket, TicketBug
from tests.conftest import NOW
from tests.factories import make_customer, make_region

RECORD = BugRecord(
    key="ED-1",
    project="ED",
    summary="Export times out",
    status="To Do",
    status_category=StatusCategory.TO_DO,
    priority=Priority.HIGH,
    severity=None,
    resolution=None,
    fix_versions=(),
    public_note=None,
    updated_at=NOW - timedelta(hours=1),
)


def record(**changes) -> BugRecord:
    return replace(RECORD, **changes)


def link(session, bug, customer, external_id="EXT-1") -> Ticket:
    ticket = Ticket(
        external_id=external_id,
        url=f"https://help.example.com/{external_id}",
        customer_id=customer.id,
        requester_name="Ann",
        requester_email="ann@example.com",
        subject="Export fails",
        sla_level=2,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(ticket)
    session.flush()
    session.add(TicketBug(ticket_id=ticket.id, bug_id=bug.id, linked_by="agent", linked_at=NOW))
    session.flush()
    return ticket


def test_a_new_bug_is_stored_with_jiras_update_time(session):
    bug = upsert_bug(session, RECORD, now=NOW)
    assert bug.id and bug.summary == "Export times out"
    assert bug.jira_updated_at == RECORD.updated_at and bug.synced_at == NOW
    assert get_bug(session, "ed-1") is bug


def test_a_newer_update_replaces_the_bug(session):
    upsert_bug(session, RECORD, now=NOW)
    newer = record(status="Done", status_category=StatusCategory.DONE, updated_at=NOW)
    bug = upsert_bug(session, newer, now=NOW)
    assert bug.status == "Done" and bug.jira_updated_at == NOW


def test_an_older_update_arriving_late_does_not_overwrite_a_newer_one(session):
    upsert_bug(session, record(summary="Newest", updated_at=NOW), now=NOW)
    bug = upsert_bug(session, record(summary="Stale"), now=NOW + timedelta(minutes=1))
    assert bug.summary == "Newest" and bug.jira_updated_at == NOW


def test_the_same_update_twice_is_the_same_bug(session):
    first = upsert_bug(session, RECORD, now=NOW)
    second = upsert_bug(session, RECORD, now=NOW + timedelta(seconds=5))
    assert first is second and second.summary == RECORD.summary


def test_a_deleted_bug_keeps_its_row_and_links_and_leaves_the_list(session):
    make_region(session)
    acme = make_customer(session)
    bug = upsert_bug(session, RECORD, now=NOW)
    link(session, bug, acme)
    delete_bug(session, "ED-1", updated_at=NOW, now=NOW)
    assert bug.deleted_at == NOW and len(bug.tickets) == 1
    assert get_bug(session, "ED-1") is bug
    assert list_bugs(session) == []


def test_an_update_older_than_the_deletion_does_not_bring_the_bug_back(session):
    upsert_bug(session, RECORD, now=NOW)
    delete_bug(session, "ED-1", updated_at=NOW, now=NOW)
    bug = upsert_bug(session, record(updated_at=NOW - timedelta(minutes=5)), now=NOW)
    assert bug.deleted_at == NOW
    restored = upsert_bug(session, record(updated_at=NOW + timedelta(minutes=1)), now=NOW)
    assert restored.deleted_at is None


def test_a_late_deletion_of_an_older_state_is_ignored(session):
    upsert_bug(session, record(updated_at=NOW), now=NOW)
    bug = delete_bug(session, "ED-1", updated_at=NOW - timedelta(minutes=1), now=NOW)
    assert bug.deleted_at is None


def test_a_deletion_arriving_before_the_creation_is_not_undone_by_it(session):
    tombstone = delete_bug(session, "ED-1", updated_at=NOW, now=NOW)
    assert tombstone.deleted_at == NOW and list_bugs(session) == []
    bug = upsert_bug(session, record(updated_at=NOW - timedelta(minutes=5)), now=NOW)
    assert bug is tombstone and bug.deleted_at == NOW and list_bugs(session) == []


def test_an_unknown_bug_is_not_found_naming_the_field(session):
    with pytest.raises(NotFound) as caught:
        get_bug(session, "ED-404")
    assert caught.value.field == "bug"


def test_bugs_are_listed_by_status_release_and_customer(session):
    make_region(session)
    acme, hooli = make_customer(session, "acme"), make_customer(session, "hooli")
    create_release(session, version="2026.12", title="December", now=NOW)
    add_item(session, "2026.12", kind="fix", summary="export", jira_key="ED-3", now=NOW)
    open_bug = upsert_bug(session, record(key="ED-1", fix_versions=("2026.12",)), now=NOW)
    upsert_bug(
        session,
        record(key="ED-2", status="Done", status_category=StatusCategory.DONE),
        now=NOW,
    )
    by_item = upsert_bug(
        session,
        record(key="ED-3", status="In Review", status_category=StatusCategory.IN_PROGRESS),
        now=NOW,
    )
    link(session, by_item, hooli, "EXT-9")

    def keys(**filters):
        return [b.key for b in list_bugs(session, **filters)]

    assert keys() == ["ED-1", "ED-2", "ED-3"]
    assert keys(status="open") == ["ED-1", "ED-3"]
    assert keys(status="done") == ["ED-2"]
    assert keys(status="in review") == ["ED-3"]
    assert keys(release="2026.12") == ["ED-1", "ED-3"]
    assert keys(customer="hooli") == ["ED-3"] and keys(customer="acme") == []
    assert open_bug.key == "ED-1" and acme.slug == "acme"
    with pytest.raises(NotFound) as caught:
        keys(release="1999.1")
    assert caught.value.field == "release"


def test_a_fix_version_or_a_release_item_ties_the_bug_to_the_release(session):
    make_region(session)
    december = create_release(session, version="2026.12", title="December", now=NOW)
    january = create_release(session, version="2027.01", title="January", now=NOW + timedelta(1))
    create_release(session, version="2027.02", title="February", now=NOW + timedelta(2))
    add_item(session, "2027.01", kind="fix", summary="export", jira_key="ED-1", now=NOW)
    hotfix = request_hotfix(
        session, title="Export", urgency="normal", jira_key="ED-1", actor="rm", now=NOW
    )
    bug = upsert_bug(session, record(fix_versions=("2026.12",)), now=NOW)
    assert releases_carrying(session, bug) == [december, january]
    assert hotfixes_carrying(session, bug) == [hotfix]
