"""The served feeds as other clients read them (tests/calendars/clients.py): every client must
put every window at the database's UTC instants, over twelve years into 2038."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from calendars.feeds import FeedEvent, FeedInfo, render_feed
from rollout import feeds
from rollout.customers import get_region
from rollout.windows import (
    Window,
    WindowKind,
    WindowStatus,
    change_window,
    create_window,
    plan_windows,
)
from tests.calendars.clients import PARSERS, Read
from tests.calendars.test_feeds import in_repeated_hour, switches
from tests.conftest import NOW, SECRET_KEY
from tests.factories import CONTEXT, make_customer, make_policy, make_region

HOST = "rollout.test"  # tests.conftest.test_settings' public URL
# Policies and hand-made windows are set up well before the pinned now, so the feeds also
# hold recent past windows (kept 90 days) and the autumn 2026 switch nights.
SETUP = datetime(2026, 8, 30, 12, 0, tzinfo=UTC)
YEARS = 12
HOUR = timedelta(hours=1)
HOURS_3 = 3 * HOUR
DAY = timedelta(days=1)


# --- the world ----------------------------------------------------------------------------------


def uid(window: Window) -> str:
    return f"window-{window.id}@{HOST}"


@dataclass
class World:
    moved: Window
    cancelled: Window
    straddling: list[Window]
    customer_window: Window


@pytest.fixture
def world(session) -> World:
    """The demo's three regions on the second-Saturday rule, hand-made windows across every
    DST switch night of 2026-2028, a customer's own window, one window moved, one cancelled."""
    for slug in ("us", "eu", "apac"):
        make_region(session, slug, now=SETUP)
        make_policy(session, slug, now=SETUP)
    make_customer(session, "acme", "us", timezone="America/Chicago", now=SETUP)

    straddling = []
    for slug in ("us", "eu", "apac"):
        zone_name = get_region(session, slug, field="slug").timezone
        for year in (2026, 2027):
            for switch in switches(zone_name, year):
                if switch > SETUP:
                    straddling.append(adhoc(session, slug, switch - HOURS_3, switch + HOURS_3))
        # Back to back across the 2028 spring switches: one ends at the switch, one starts.
        for switch in switches(zone_name, 2028):
            if not in_repeated_hour(switch, zone_name):
                straddling.append(adhoc(session, slug, switch - HOUR, switch))
                straddling.append(adhoc(session, slug, switch, switch + HOUR))
    # A customer's own window, in the customer's zone, across Chicago's autumn 2029 switch.
    chicago = switches("America/Chicago", 2029)[1]
    customer_window = create_window(
        session,
        title="Acme database upgrade",
        customer="acme",
        starts_at=chicago - 2 * HOUR,
        ends_at=chicago + 2 * HOURS_3,
        actor="test",
        now=SETUP,
        context=CONTEXT,
    )

    # Changes happen shortly before the pinned now, so the cancelled window is still shown.
    changed = NOW - timedelta(days=2)
    upcoming = regular(session, "apac", after=NOW)
    moved = change_window(
        session,
        upcoming[1].id,
        change="move",
        expected_sequence=0,
        starts_at=upcoming[1].starts_at + timedelta(days=7),
        reason="Sydney data-centre power work on the usual weekend",
        actor="test",
        now=changed,
        context=CONTEXT,
    )
    cancelled = change_window(
        session,
        straddling[-1].id,
        change="cancel",
        expected_sequence=0,
        reason="Not needed after all",
        actor="test",
        now=changed,
        context=CONTEXT,
    )
    session.commit()
    return World(
        moved=moved, cancelled=cancelled, straddling=straddling, customer_window=customer_window
    )


@pytest.fixture
def planned(session, world) -> World:
    """The world with every policy planned twelve years out, into 2038: every kind of switch
    weekend, and years past 2035, where ical.js 1.5's zones end."""
    plan_windows(session, until=SETUP + timedelta(days=365 * YEARS), now=SETUP)
    session.commit()
    return world


def adhoc(session, region: str, starts_at: datetime, ends_at: datetime) -> Window:
    return create_window(
        session,
        title="Network maintenance",
        region=region,
        starts_at=starts_at,
        ends_at=ends_at,
        actor="test",
        now=SETUP,
        context=CONTEXT,
    )


def regular(session, slug: str, *, after: datetime) -> list[Window]:
    region = get_region(session, slug, field="slug")
    return list(
        session.scalars(
            select(Window)
            .where(
                Window.region_id == region.id,
                Window.kind == WindowKind.REGULAR,
                Window.starts_at > after,
            )
            .order_by(Window.starts_at)
        )
    )


def served(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.data


def expected(session, scope: feeds.FeedScope) -> dict[str, Window]:
    session.expire_all()
    return {uid(w): w for w in feeds.feed_windows(session, scope, now=NOW)}


def feeds_to_check(session) -> dict[str, feeds.FeedScope]:
    """Every kind of feed: all regions, each region, and one customer's private feed."""
    found = {"/calendars/maintenance.ics": feeds.public_scope()}
    for slug in ("us", "eu", "apac"):
        region = get_region(session, slug, field="slug")
        found[f"/calendars/regions/{slug}.ics"] = feeds.region_scope(region)
    token, plaintext = feeds.rotate_feed_token(session, "acme", now=NOW, key=SECRET_KEY)
    session.commit()
    found[f"/calendars/customers/{plaintext}.ics"] = feeds.customer_scope(token.customer)
    return found


def mismatches(reads: list[Read], windows: dict[str, Window]) -> list[str]:
    """Every way the parsed events differ from the database's windows, as sentences."""
    problems = []
    uids = [r.uid for r in reads]
    if len(set(uids)) != len(uids):
        problems.append(f"duplicate UIDs: {sorted(u for u in set(uids) if uids.count(u) > 1)}")
    if set(uids) != set(windows):
        problems.append(
            f"UIDs differ: missing {sorted(set(windows) - set(uids))}, "
            f"extra {sorted(set(uids) - set(windows))}"
        )
    for read in reads:
        window = windows.get(read.uid)
        if window is None:
            continue
        if (read.start, read.end) != (window.starts_at, window.ends_at):
            problems.append(
                f"{read.uid} ({window.timezone}): read {read.start:%Y-%m-%d %H:%M:%S}Z to "
                f"{read.end:%Y-%m-%d %H:%M:%S}Z, database {window.starts_at:%Y-%m-%d %H:%M:%S}Z "
                f"to {window.ends_at:%Y-%m-%d %H:%M:%S}Z"
            )
        if read.sequence != window.sequence:
            problems.append(f"{read.uid}: SEQUENCE {read.sequence}, database {window.sequence}")
        if (read.status == "CANCELLED") != (window.status == WindowStatus.CANCELLED):
            problems.append(f"{read.uid}: STATUS {read.status}, database {window.status}")
    return problems


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.long
def test_every_window_reads_back_at_its_database_instants_in_every_client(client, session, planned):
    problems = []
    seen = set()
    for path, scope in feeds_to_check(session).items():
        windows = expected(session, scope)
        body = served(client, path)
        for parser, read in PARSERS.items():
            reads = read(body)
            problems += [f"{parser} on {path}: {p}" for p in mismatches(reads, windows)]
            seen |= {r.uid for r in reads}
    assert not problems, "\n".join(problems)
    hand_made = [*planned.straddling, planned.moved, planned.cancelled, planned.customer_window]
    assert {uid(w) for w in hand_made} <= seen
    # Twelve years of monthly windows in three regions.
    assert len(seen) > 3 * 12 * YEARS


def test_single_window_files_with_an_alarm_read_back_the_same(client, world):
    for window in (world.straddling[0], world.straddling[-2], world.moved):
        body = served(client, f"/calendars/windows/{window.id}.ics?alarm=30")
        for parser, read in PARSERS.items():
            [event] = read(body)
            assert (event.uid, event.sequence, event.start, event.end) == (
                uid(window),
                window.sequence,
                window.starts_at,
                window.ends_at,
            ), parser


def test_cancelled_window_stays_in_the_feed_as_cancelled(client, world):
    body = served(client, "/calendars/regions/apac.ics")
    for parser, read in PARSERS.items():
        events = {e.uid: e for e in read(body)}
        cancelled = events.pop(uid(world.cancelled))
        assert cancelled.status == "CANCELLED", parser
        assert cancelled.summary == f"Cancelled: {world.cancelled.title}", parser
        assert cancelled.sequence == world.cancelled.sequence == 1, parser
        assert {e.status for e in events.values()} == {"CONFIRMED"}, parser


def test_uids_are_stable_across_renders_and_a_reschedule_bumps_the_sequence(client, session, world):
    body = served(client, "/calendars/regions/us.ics")
    # With an alarm the feed is rendered afresh, not taken from the render cache.
    rendered_again = served(client, "/calendars/regions/us.ics?alarm=30")
    before = {}
    for parser, read in PARSERS.items():
        before[parser] = {e.uid: e for e in read(body)}
        assert {e.uid: e for e in read(rendered_again)} == before[parser], parser

    window = regular(session, "us", after=NOW)[0]
    change_window(
        session,
        window.id,
        change="move",
        expected_sequence=window.sequence,
        starts_at=window.starts_at + timedelta(days=1),
        reason="Moved to the Sunday",
        actor="test",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    body = served(client, "/calendars/regions/us.ics")
    for parser, read in PARSERS.items():
        after = {e.uid: e for e in read(body)}
        assert after.keys() == before[parser].keys(), parser
        moved, was = after.pop(uid(window)), before[parser].pop(uid(window))
        assert moved.sequence == was.sequence + 1 == window.sequence, parser
        assert (moved.start, moved.end) == (was.start + DAY, was.end + DAY), parser
        assert (moved.start, moved.end) == (window.starts_at, window.ends_at), parser
        assert after == before[parser], parser


# --- rendering alone: more zones, and zones whose rules changed --------------------------------


# Around the switch, and days away from it, where wall times are written in the zone.
NEAR_SWITCH = [timedelta(minutes=m) for m in (-90, -30, 0, 30, 90)]
DAYS_AWAY = [timedelta(days=d) for d in (-3, 3, 45)]


def switch_night_events(zones_years: dict[str, range]) -> list[FeedEvent]:
    """Twenty-minute events around every switch and days away from it."""
    events = []
    for zone_name, years in zones_years.items():
        instants = [s for year in years for s in switches(zone_name, year)] or [
            datetime(years[0], 6, 1, tzinfo=UTC)
        ]
        for switch in instants:
            for offset in NEAR_SWITCH + DAYS_AWAY:
                start = switch + offset
                end = start + timedelta(minutes=20)
                events.append(
                    FeedEvent(
                        uid=f"{zone_name}/{start:%Y%m%dT%H%M}@{HOST}",
                        sequence=0,
                        title="Maintenance",
                        cancelled=False,
                        starts_at=start,
                        ends_at=end,
                        timezone=zone_name,
                        created=SETUP,
                        last_modified=SETUP,
                    )
                )
    return events


def rendered_mismatches(events: list[FeedEvent]) -> tuple[str, list[str]]:
    body = render_feed(FeedInfo(name="Maintenance windows"), events)
    want = {e.uid: (e.starts_at, e.ends_at) for e in events}
    problems = []
    for parser, read in PARSERS.items():
        got = {e.uid: (e.start, e.end) for e in read(body)}
        problems += [
            f"{parser}: {key} read {got.get(key)}, rendered {span}"
            for key, span in want.items()
            if got.get(key) != span
        ]
    return body.decode(), problems


def test_switch_nights_in_more_zones_read_back_in_every_client():
    # The regions' zones are the database tests'; these add a half-hour switch and no switch.
    zones = ["America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "Asia/Tokyo"]
    body, problems = rendered_mismatches(switch_night_events({z: range(2027, 2028) for z in zones}))
    assert "RDATE" not in body
    assert not problems, "\n".join(problems)


def test_zones_whose_rules_changed_are_written_in_utc_and_read_back_in_every_client():
    # New York's rules changed in 2007 and Sydney's in 2008: no yearly RRULE spans these years,
    # and a list of onsets is what Outlook, ts-ics and ical.js 1.5 each misread.
    events = switch_night_events(
        {"America/New_York": range(2005, 2010), "Australia/Sydney": range(2006, 2011)}
    )
    body, problems = rendered_mismatches(events)
    assert "BEGIN:VTIMEZONE" not in body
    assert not problems, "\n".join(problems)


# --- the repeated hour --------------------------------------------------------------------------


@pytest.fixture
def night_emergencies(session) -> list[Window]:
    """Emergencies in the hour each region's clocks repeat when they fall back in 2027:
    one up to the switch (wall clock 01:30 to 01:00 in New York), one from half an hour
    after it (the second 01:30 to 02:30)."""
    found = []
    for slug in ("us", "eu", "apac"):
        region = make_region(session, slug, now=SETUP)
        fall_back = next(
            s for s in switches(region.timezone, 2027) if in_repeated_hour(s, region.timezone)
        )
        for start, end in ((-30, 0), (30, 90)):
            found.append(
                create_window(
                    session,
                    title="Emergency patch",
                    region=slug,
                    kind="emergency",
                    justification="Zero-day in the load balancer",
                    starts_at=fall_back + timedelta(minutes=start),
                    ends_at=fall_back + timedelta(minutes=end),
                    actor="test",
                    now=SETUP,
                    context=CONTEXT,
                )
            )
    session.commit()
    return found


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_window_in_the_repeated_fall_back_hour_reads_back_at_its_instants(
    parser, client, session, night_emergencies
):
    reads = PARSERS[parser](served(client, "/calendars/maintenance.ics"))
    windows = {uid(w): w for w in night_emergencies}
    assert not mismatches(reads, windows), "\n".join(mismatches(reads, windows))
