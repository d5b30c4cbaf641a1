"""METHOD and ORGANIZER: an emailed invitation is an iTIP PUBLISH that names its organizer
(RFC 5546, as libical checks it); subscribed feeds and downloads are plain calendars."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from channels.config import SmtpSettings
from channels.email import SmtpSender
from rollout.notifications.content import Email
from rollout.notifications.triggers import window_payload
from rollout.windows import change_window, create_window
from tests.conftest import NOW, missing
from tests.factories import CONTEXT, make_region

SETUP = datetime(2026, 8, 30, 12, 0, tzinfo=UTC)
SENDER = "Rollout Ops <maintenance@rollout.test>"
CHECK = Path(__file__).with_name("libical_restrictions.py")


def libical_errors(body: bytes) -> list[str]:
    """What libical's iTIP restriction check reports for the calendar (none: it passes)."""
    python = Path("/usr/bin/python3")
    probe = "import gi; gi.require_version('ICalGLib', '3.0')"
    if not python.exists() or subprocess.run([python, "-c", probe]).returncode:
        missing("libical's GObject bindings (apt-get install python3-gi gir1.2-ical-3.0)")
    result = subprocess.run([python, CHECK], input=body, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


@pytest.fixture
def window(session):
    make_region(session, "us", now=SETUP)
    made = create_window(
        session,
        title="Database upgrade",
        region="us",
        starts_at=datetime(2027, 1, 9, 14, tzinfo=UTC),
        ends_at=datetime(2027, 1, 9, 16, tzinfo=UTC),
        actor="test",
        now=SETUP,
        context=CONTEXT,
    )
    session.commit()
    return made


def invitation(window, public_url: str = "https://rollout.test") -> tuple[str, bytes]:
    """The .ics attached to an announcement email: its Content-Type method and its body."""
    sender = SmtpSender(
        SmtpSettings(host="127.0.0.1", port=25, security="none", sender=SENDER),
        public_url=public_url,
    )
    email = Email(
        message_id="m1",
        to_name="Jane Doe",
        to_address="jane@acme.test",
        subject="Planned maintenance",
        text="Planned maintenance.\n",
        html="<p>Planned maintenance.</p>",
        locale="en",
        unsubscribe_url="https://rollout.test/unsubscribe/t",
        calendar=window_payload(window),
    )
    [part] = sender.compose(email).iter_attachments()
    return part.get_param("method"), part.get_payload(decode=True)


def test_emailed_invitation_is_an_itip_publish_naming_its_organizer(window):
    method, body = invitation(window)
    calendar = Calendar.from_ical(body)
    assert method == str(calendar["METHOD"]) == "PUBLISH"
    [vevent] = calendar.walk("VEVENT")
    organizer = vevent["ORGANIZER"]
    assert str(organizer) == "mailto:maintenance@rollout.test"
    assert organizer.params["CN"] == "Rollout Ops"
    assert libical_errors(body) == []


def test_feeds_and_downloads_are_plain_calendars_without_method_or_organizer(client, window):
    for path in (
        "/calendars/maintenance.ics",
        "/calendars/regions/us.ics",
        f"/calendars/windows/{window.id}.ics",
    ):
        body = client.get(path).data
        calendar = Calendar.from_ical(body)
        assert "METHOD" not in calendar, path
        assert [e for e in calendar.walk("VEVENT") if "ORGANIZER" in e] == [], path
        assert libical_errors(body) == [], path


@pytest.mark.parametrize("changes", [["move"], ["announce", "cancel"]])
def test_an_emailed_invitation_updates_the_event_a_subscribed_feed_holds(
    app, client, session, window, changes
):
    # Calendars match the two by UID and keep the higher SEQUENCE: both must agree.
    moved = datetime(2027, 1, 10, 14, tzinfo=UTC)
    span = {"starts_at": moved, "ends_at": moved + (window.ends_at - window.starts_at)}
    for change in changes:
        change_window(
            session,
            window.id,
            change=change,
            expected_sequence=window.sequence,
            reason="vendor delay",
            **(span if change == "move" else {}),
            actor="test",
            now=NOW,  # the app's clock: a cancellation stays in feeds a while
            context=CONTEXT,
        )
    session.commit()
    [feed] = Calendar.from_ical(client.get("/calendars/regions/us.ics").data).walk("VEVENT")
    public_url = app.extensions["rollout.settings"].public_url
    [emailed] = Calendar.from_ical(invitation(window, public_url)[1]).walk("VEVENT")
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "STATUS", "URL"):
        assert feed.get(name) == emailed.get(name), name
    assert emailed["SEQUENCE"] == window.sequence > 0
