"""A maintenance window as a calendar event: the one mapping that feeds, single-window files
and emailed invitations share. An invitation updates the event a subscribed calendar already
holds only while both carry the same UID and SEQUENCE, so neither is written anywhere else."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from calendars.feeds import FeedEvent
from rollout.windows import WindowStatus


def window_uid(public_url: str, window_id: int) -> str:
    """The event's UID: stable for the window's life, and the same in every calendar file."""
    return f"window-{window_id}@{urlsplit(public_url).hostname}"


def window_link(public_url: str, window_id: int) -> str:
    """The window's page, where customers read the details and its changes."""
    return f"{public_url}/maintenance/windows/{window_id}"


def window_as_event(
    public_url: str,
    *,
    window_id: int,
    sequence: int,
    title: str,
    status: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    created: datetime,
    last_modified: datetime,
    description: str = "",
    linked: bool = True,
) -> FeedEvent:
    """The window's event; SEQUENCE is its revision, so a calendar keeps the newest, and a
    cancelled window stays in the file as a cancelled event instead of vanishing."""
    return FeedEvent(
        uid=window_uid(public_url, window_id),
        sequence=sequence,
        title=title,
        cancelled=status == WindowStatus.CANCELLED,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        created=created,
        last_modified=last_modified,
        description=description,
        url=window_link(public_url, window_id) if linked else None,
    )
