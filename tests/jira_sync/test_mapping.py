"""Jira's issue JSON read as Rollout keeps it: pure functions, no database, no server."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from jira_sync.mapping import (
    MappingError,
    issue_to_record,
    map_priority,
    map_severity,
    parse_jira_time,
    plain_text,
)
from jira_sync.sync import jql_since, jql_time
from rollout.jira.models import Priority, Severity, StatusCategory
from tests.jira_stub import make_issue

UPDATED = datetime(2026, 11, 22, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Highest", Priority.CRITICAL),
        ("Blocker", Priority.CRITICAL),
        ("Critical", Priority.CRITICAL),
        ("High", Priority.HIGH),
        ("Major", Priority.HIGH),
        ("Medium", Priority.MEDIUM),
        ("Low", Priority.LOW),
        ("Lowest", Priority.LOW),
        ("Trivial", Priority.LOW),
        ("P2", Priority.HIGH),
        ("Whenever", None),
        (None, None),
    ],
)
def test_jira_priority_names_fall_into_our_four(name, expected):
    assert map_priority(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"value": "Hyper-local", "id": "10100"}, Severity.HYPER_LOCAL),
        ({"value": "Local"}, Severity.LOCAL),
        ({"value": "Moderate"}, Severity.MODERATE),
        ({"value": "Widespread"}, Severity.WIDESPREAD),
        ({"value": "Deep and Wide"}, Severity.DEEP_AND_WIDE),
        ("deep & wide", Severity.DEEP_AND_WIDE),
        ("hyper local", Severity.HYPER_LOCAL),
        ({"value": "Galactic"}, None),
        (None, None),
    ],
)
def test_seed_severity_labels_are_read_whatever_their_spelling(value, expected):
    assert map_severity(value) == expected


def test_an_issue_becomes_a_record_with_every_field_rollout_keeps():
    issue = make_issue(
        "ED-7",
        UPDATED,
        summary="Export times out",
        status="Ready for QA",
        category="indeterminate",
        priority="Highest",
        severity="Widespread",
        fix_versions=("2026.12", "2027.01"),
        note="Exports of more than 10k rows",
    )
    record = issue_to_record(
        issue, severity_field="customfield_10050", note_field="customfield_10051"
    )
    assert record.key == "ED-7" and record.project == "ED"
    assert record.summary == "Export times out"
    assert (record.status, record.status_category) == ("Ready for QA", StatusCategory.IN_PROGRESS)
    assert record.priority == Priority.CRITICAL and record.severity == Severity.WIDESPREAD
    assert record.fix_versions == ("2026.12", "2027.01")
    assert record.public_note == "Exports of more than 10k rows"
    assert record.updated_at == UPDATED and record.resolution is None


def test_the_configured_status_map_overrides_jiras_category():
    issue = make_issue("ED-1", UPDATED, status="Ready for release", category="indeterminate")
    record = issue_to_record(issue, status_map={"ready for release": StatusCategory.DONE})
    assert record.status_category == StatusCategory.DONE


def test_a_v3_rich_text_note_is_read_as_plain_text():
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Fixed in "}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "2026.12"}]},
        ],
    }
    assert plain_text(doc) == "Fixed in\n\n2026.12"
    assert plain_text("  ") is None


def test_won_t_fix_resolution_is_kept_by_name():
    issue = make_issue("ED-2", UPDATED, category="done", resolution="Won't Fix")
    assert issue_to_record(issue).resolution == "Won't Fix"


@pytest.mark.parametrize(
    ("issue", "message"),
    [
        ({"fields": {}}, "no key"),
        ({"key": "ED-1"}, "no fields"),
        ({"key": "ED-1", "fields": {"summary": "x"}}, "no status"),
    ],
)
def test_json_that_is_not_an_issue_is_refused_with_what_is_missing(issue, message):
    with pytest.raises(MappingError, match=message):
        issue_to_record(issue)


def test_jira_timestamps_with_offsets_are_read_as_utc():
    assert parse_jira_time("2026-11-22T05:15:30.000-0500") == UPDATED
    with pytest.raises(MappingError):
        parse_jira_time("yesterday")


def test_jql_dates_are_written_in_the_jira_users_zone_to_the_minute():
    since = datetime(2026, 11, 22, 11, 58, 40, tzinfo=UTC)
    assert jql_time(since, ZoneInfo("UTC")) == "2026-11-22 11:58"
    assert jql_time(since, ZoneInfo("America/New_York")) == "2026-11-22 06:58"
    assert jql_since("ED", since, ZoneInfo("Europe/Paris")) == (
        'project = "ED" AND updated >= "2026-11-22 12:58" ORDER BY key ASC'
    )
    assert jql_since("ED", None, ZoneInfo("UTC")) == 'project = "ED" ORDER BY key ASC'


def test_in_a_dst_fold_the_jql_date_steps_back_so_either_reading_is_early_enough():
    # 2026-11-01 01:30 happens twice in New York; the second one is 06:30 UTC.
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    written = jql_time(second, ZoneInfo("America/New_York"))
    assert written == "2026-11-01 01:30"  # an hour back, first reading: 05:30 UTC
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert jql_time(first, ZoneInfo("America/New_York")) == "2026-11-01 00:30"


def test_a_project_key_with_an_underscore_is_a_jira_key_like_any_other():
    record = issue_to_record(make_issue("MY_APP-12", datetime(2026, 11, 20, tzinfo=UTC)))
    assert record.key == "MY_APP-12"


def test_names_read_once_and_cached_map_each_issue_exactly_as_read_alone():
    """The mapping caches each distinct name: a second issue naming others gets its own."""
    updated = datetime(2026, 11, 1, tzinfo=UTC)
    names = [
        ("In\x00 Review ", "Won't\x1b Fix", ("2026.11", " 2026.12\x07"), "Deep & Wide"),
        ("Done", "Fixed", ("2026.12",), "local"),
        ("In\x00 Review ", "Won't\x1b Fix", ("2026.11", " 2026.12\x07"), "Deep & Wide"),
    ]
    records = [
        issue_to_record(
            make_issue(
                f"OPS-{n}",
                updated,
                status=status,
                category="indeterminate",
                resolution=resolution,
                fix_versions=versions,
                severity=severity,
            ),
            severity_field="customfield_10050",
        )
        for n, (status, resolution, versions, severity) in enumerate(names, start=1)
    ]
    assert [(r.status, r.resolution, r.fix_versions, r.severity) for r in records] == [
        ("In Review", "Won't Fix", ("2026.11", "2026.12"), Severity.DEEP_AND_WIDE),
        ("Done", "Fixed", ("2026.12",), Severity.LOCAL),
        ("In Review", "Won't Fix", ("2026.11", "2026.12"), Severity.DEEP_AND_WIDE),
    ]
