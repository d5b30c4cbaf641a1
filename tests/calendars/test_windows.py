"""A window as a calendar event: the UID, SEQUENCE, status and link that feeds, single-window
files and emailed invitations share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calendars.feeds import FeedEvent
from calendars.windows import window_as_event

START = datetime(2026, 12, 12, 14, tzinfo=UTC)
MADE = START - timedelta(days=40)


def event(status: str = "announced", **overrides) -> FeedEvent:
    fields = {
        "window_id": 7,
        "sequence": 3,
        "title": "Monthly maintenance",
        "status": status,
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "timezone": "America/New_York",
        "created": MADE,
        "last_modified": MADE + timedelta(days=1),
        "description": "Database upgrade",
    }
    return window_as_event(
        "https://status.example.com:8443",
        **{k: v for k, v in (fields | overrides).items() if v is not None},
    )


def test_a_window_is_one_event_named_by_its_id_and_host_with_its_revision_and_page():
    assert event() == FeedEvent(
        uid="window-7@status.example.com",
        sequence=3,
        title="Monthly maintenance",
        cancelled=False,
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        timezone="America/New_York",
        created=MADE,
        last_modified=MADE + timedelta(days=1),
        description="Database upgrade",
        url="https://status.example.com:8443/maintenance/windows/7",
    )


def test_a_cancelled_window_stays_as_a_cancelled_event_and_no_other_status_cancels():
    assert event("cancelled").cancelled
    others = ("planned", "announced", "in_progress", "completed")
    assert not any(event(status).cancelled for status in others)


def test_an_event_written_without_its_link_has_no_url_but_the_same_uid():
    unlinked = event(linked=False)
    assert (unlinked.url, unlinked.uid) == (None, event().uid)


def test_a_window_without_a_description_has_an_empty_one():
    assert event(description=None).description == ""
