"""Text in the feeds: every TEXT property escaped per RFC 5545, no raw control character in
any property, whatever a title, a description or a name holds."""

from __future__ import annotations

from datetime import UTC, datetime

import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from calendars.feeds import FeedInfo, render_feed
from rollout.windows import create_window
from tests.calendars.clients import PARSERS, vobject_read
from tests.calendars.test_feeds import feed_event
from tests.factories import CONTEXT, make_region

SETUP = datetime(2026, 8, 30, 12, 0, tzinfo=UTC)
PUNCTUATED = "Patch; DB, cache \\ proxy"


def unfolded(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def without_controls(text: str) -> str:
    """What a reader should get back: controls and the two non-characters XML forbids
    (U+FFFE, U+FFFF) gone, but tabs and line breaks (as LF)."""
    text = text.replace("\r\n", "\n")
    return "".join(
        c
        for c in text
        if c in "\t\n" or not (ord(c) < 0x20 or ord(c) == 0x7F or c in "\ufffe\uffff")
    )


def test_single_window_file_escapes_the_calendar_name_like_any_text(client, session):
    make_region(session, "eu", now=SETUP)
    window = create_window(
        session,
        title=PUNCTUATED,
        region="eu",
        starts_at=datetime(2027, 1, 9, 9, tzinfo=UTC),
        ends_at=datetime(2027, 1, 9, 11, tzinfo=UTC),
        actor="test",
        now=SETUP,
        context=CONTEXT,
    )
    session.commit()
    body = client.get(f"/calendars/windows/{window.id}.ics").data
    escaped = "Patch\\; DB\\, cache \\\\ proxy"
    assert f"X-WR-CALNAME:{escaped}" in unfolded(body)
    assert f"SUMMARY:{escaped}" in unfolded(body)
    for parser, read in PARSERS.items():
        [event] = read(body)
        assert event.summary == PUNCTUATED, parser


def test_feed_description_escapes_its_comma(client, session):
    make_region(session, "eu", now=SETUP)
    session.commit()
    body = client.get("/calendars/maintenance.ics").data
    assert "X-WR-CALDESC:Maintenance windows\\, kept up to date by Rollout" in unfolded(body)


def test_readers_get_the_calendar_name_back_as_written():
    body = render_feed(FeedInfo(name=PUNCTUATED, description="Ours, kept; up"), [feed_event()])
    calendar = Calendar.from_ical(body)
    # X- properties are TEXT unless they say otherwise (RFC 5545 3.8.8.2).
    assert calendar["X-WR-CALNAME"].to_ical().decode() == "Patch\\; DB\\, cache \\\\ proxy"
    parsed = vobject.readOne(body.decode())
    assert parsed.x_wr_calname.value == PUNCTUATED
    assert parsed.x_wr_caldesc.value == "Ours, kept; up"


def test_control_characters_are_stripped_and_every_client_still_reads_the_event():
    title = "Patch\x00 night\x01\x0b\x1f\x7f"
    event = feed_event(title=title, description="Line one\r\nline\x0c two\x00")
    body = render_feed(FeedInfo(name="Ops\x01 calendar\x00"), [event], alarm_minutes=30)
    assert not any(b < 0x20 and b not in b"\r\n" or b == 0x7F for b in body)
    lines = unfolded(body)
    assert "SUMMARY:Patch night" in lines
    assert "DESCRIPTION:Line one\\nline two" in lines
    assert "X-WR-CALNAME:Ops calendar" in lines
    for parser, read in PARSERS.items():
        [read_back] = read(body)
        assert read_back.summary == "Patch night", parser


TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    title=TEXT,
    description=TEXT,
    name=TEXT,
    feed_description=TEXT,
    organizer_name=TEXT,
    url_tail=TEXT,
)
def test_no_raw_control_character_reaches_any_property(
    title, description, name, feed_description, organizer_name, url_tail
):
    event = feed_event(
        title=title, description=description, url=f"https://rollout.test/w/{url_tail}"
    )
    info = FeedInfo(
        name=name,
        description=feed_description,
        organizer=f'"{organizer_name}" <ops@rollout.test>',
    )
    body = render_feed(info, [event], alarm_minutes=30)
    for line in body.split(b"\r\n"):
        assert not any(b < 0x20 and b != 0x09 or b == 0x7F for b in line), line
    [vevent] = Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == without_controls(title)
    if without_controls(description):
        assert str(vevent["DESCRIPTION"]) == without_controls(description)
    [read_back] = vobject_read(body)
    assert read_back.summary == without_controls(title)
