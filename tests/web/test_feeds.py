"""Calendar feeds over HTTP as calendar clients and caches use them."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import template_rendered
from icalendar import Calendar
from sqlalchemy import select

from rollout.feeds import FeedToken
from rollout.releases import add_item, create_release, plan_release, request_hotfix
from rollout.windows import change_window, create_window
from tests.conftest import NOW
from tests.factories import CONTEXT, bearer, make_customer, make_policy, make_region, make_token
from tests.statements import statements
from web.metrics import FEED_ANSWERS


@pytest.fixture
def world(session):
    make_region(session, "us")
    make_region(session, "eu")
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    make_policy(session, "us")
    make_policy(session, "eu")
    session.commit()


@pytest.fixture
def manager(session):
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


def events(response) -> list:
    return Calendar.from_ical(response.data).walk("VEVENT")


def feed_url(client, manager, customer: str = "acme") -> str:
    response = client.post(f"/api/v1/customers/{customer}/feed-token", headers=manager)
    assert response.status_code == 201
    return response.json["url"].removeprefix("http://rollout.test")


def renders(app) -> int:
    return app.extensions["rollout.feeds"].renders


def test_region_feed_is_a_calendar_with_that_regions_windows(client, world):
    response = client.get("/calendars/regions/us.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    assert len(found) == 18
    starts = [e.decoded("DTSTART").astimezone(ZoneInfo("America/New_York")) for e in found]
    assert {start.hour for start in starts} == {9}
    # In the region's zone, but March's second Saturday, the day before the clocks change:
    # written in UTC, which every client reads right (README, Calendar feeds).
    in_utc = [
        start for e, start in zip(found, starts, strict=True) if "TZID" not in e["DTSTART"].params
    ]
    assert in_utc and [start.month for start in in_utc] == [3] * len(in_utc)
    assert {e["DTSTART"].params.get("TZID") for e in found} == {"America/New_York", None}


def test_public_feed_holds_every_regions_public_windows(client, world):
    assert len(events(client.get("/calendars/maintenance.ics"))) == 36


def test_unknown_region_is_a_404(client, world):
    assert client.get("/calendars/regions/mars.ics").status_code == 404


def test_feed_is_rendered_once_per_change_not_once_per_poll(app, client, world, session):
    first = client.get("/calendars/regions/us.ics")
    client.get("/calendars/regions/us.ics")
    client.get("/calendars/regions/us.ics")
    assert renders(app) == 1
    window = events(first)[0]
    [stored] = [w for w in _windows(session) if w.starts_at == window["DTSTART"].dt]
    change_window(
        session,
        stored.id,
        change="extend",
        expected_sequence=0,
        reason="more",
        ends_at=stored.ends_at + timedelta(hours=1),
        actor="t",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    changed = client.get("/calendars/regions/us.ics")
    assert renders(app) == 2
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert events(changed)[0]["SEQUENCE"] == 1


def test_etag_match_gets_a_304_without_rendering(app, client, world):
    etag = client.get("/calendars/regions/us.ics").headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    app.extensions["rollout.feeds"].renders = 0
    response = client.get("/calendars/regions/us.ics", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == etag
    assert renders(app) == 0
    other = client.get("/calendars/regions/us.ics", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_a_304_within_the_freshness_time_sends_no_statement_yet_is_logged_and_counted(
    app, client, world, connection, caplog
):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = replace(settings, feed_freshness_seconds=60)
    full = client.get("/calendars/regions/us.ics")
    templates = []
    counted = FEED_ANSWERS.labels("not_modified")._value.get()
    with (
        statements(connection) as sent,
        template_rendered.connected_to(lambda *_, **__: templates.append(1), app),
        caplog.at_level(logging.INFO, logger="rollout.requests"),
    ):
        tagged = client.get(
            "/calendars/regions/us.ics", headers={"If-None-Match": full.headers["ETag"]}
        )
        head = client.head(
            "/calendars/regions/us.ics", headers={"If-None-Match": full.headers["ETag"]}
        )
    assert (tagged.status_code, head.status_code) == (304, 304)
    assert (sent, templates) == ([], [])
    for answer in (tagged, head):
        # RFC 9110 15.4.5: the validators and caching fields of the 200, not Last-Modified.
        for name in ("ETag", "Cache-Control", "Vary"):
            assert answer.headers.get(name) == full.headers.get(name), name
    assert [r.fields["status"] for r in caplog.records if r.name == "rollout.requests"] == [
        304,
        304,
    ]
    assert FEED_ANSWERS.labels("not_modified")._value.get() == counted + 2


def test_if_modified_since_gets_a_304_when_nothing_changed_since(client, world):
    last_modified = client.get("/calendars/regions/us.ics").headers["Last-Modified"]
    same = client.get("/calendars/regions/us.ics", headers={"If-Modified-Since": last_modified})
    older = client.get(
        "/calendars/regions/us.ics", headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    )
    garbage = client.get("/calendars/regions/us.ics", headers={"If-Modified-Since": "soon"})
    assert (same.status_code, older.status_code, garbage.status_code) == (304, 200, 200)


def test_last_modified_comes_from_the_data_not_the_clock(client, world, clock):
    before = client.get("/calendars/regions/us.ics").headers
    clock.advance(hours=5)
    after = client.get("/calendars/regions/us.ics").headers
    assert after["Last-Modified"] == before["Last-Modified"] == "Sun, 22 Nov 2026 12:00:00 GMT"
    assert after["ETag"] == before["ETag"]


def test_head_answers_headers_without_rendering(app, client, world):
    response = client.head("/calendars/regions/us.ics")
    assert response.status_code == 200 and response.headers["ETag"]
    assert renders(app) == 0


def test_cache_control_is_public_for_regions_and_private_for_customers(client, world, manager):
    assert client.get("/calendars/regions/us.ics").headers["Cache-Control"].startswith("public")
    private = client.get(feed_url(client, manager))
    assert private.headers["Cache-Control"].startswith("private")
    assert private.headers["Referrer-Policy"] == "no-referrer"


def test_customer_feed_shows_its_own_windows_and_never_anothers(client, world, manager, session):
    for customer in ("acme", "globex"):
        create_window(
            session,
            title=f"{customer} patch",
            customer=customer,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=3, hours=1),
            actor="t",
            now=NOW,
            context=CONTEXT,
        )
    session.commit()
    titles = {str(e["SUMMARY"]) for e in events(client.get(feed_url(client, manager)))}
    assert "acme patch" in titles and "globex patch" not in titles
    assert "Monthly maintenance" in titles
    public = {str(e["SUMMARY"]) for e in events(client.get("/calendars/regions/us.ics"))}
    assert "acme patch" not in public


def test_rotating_the_token_kills_the_old_url_at_once(client, world, manager, session):
    old = feed_url(client, manager)
    new = feed_url(client, manager)
    assert client.get(new).status_code == 200
    rotated = client.get(old)
    never = client.get("/calendars/customers/never-existed.ics")
    assert rotated.status_code == never.status_code == 404
    assert rotated.data == never.data


def test_feed_token_is_long_random_and_stored_only_hashed(client, world, manager, session):
    token = feed_url(client, manager).removeprefix("/calendars/customers/").removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    [row] = session.execute(select(FeedToken.__table__)).all()
    assert all(token not in str(value) for value in row)


def test_customer_can_rotate_only_its_own_feed(client, world, session):
    acme = bearer(make_token(session, "customer", "acme"))
    agent = bearer(make_token(session, "support_agent"))
    session.commit()
    assert client.post("/api/v1/customers/acme/feed-token", headers=acme).status_code == 201
    assert client.post("/api/v1/customers/globex/feed-token", headers=acme).status_code == 403
    assert client.post("/api/v1/customers/acme/feed-token", headers=agent).status_code == 403
    assert client.post("/api/v1/customers/acme/feed-token").status_code == 401
    assert (
        client.post(
            "/api/v1/customers/nobody/feed-token", headers=bearer(make_token(session, "admin"))
        ).status_code
        == 404
    )


def test_cancelled_window_stays_in_the_feed_as_cancelled_for_thirty_days(
    client, world, session, clock
):
    first = sorted(_windows(session), key=lambda w: w.starts_at)[0]
    change_window(
        session,
        first.id,
        change="cancel",
        expected_sequence=0,
        reason="holiday",
        actor="t",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    uid = f"window-{first.id}@rollout.test"
    [cancelled] = [
        e for e in events(client.get("/calendars/regions/us.ics")) if str(e["UID"]) == uid
    ]
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] == 1
    clock.advance(days=31)
    later = {str(e["UID"]) for e in events(client.get("/calendars/regions/us.ics"))}
    assert uid not in later


def test_moved_window_keeps_its_uid_and_grows_its_sequence(client, world, session):
    first = sorted(_windows(session), key=lambda w: w.starts_at)[0]
    uid = f"window-{first.id}@rollout.test"
    change_window(
        session,
        first.id,
        change="move",
        expected_sequence=0,
        reason="clash",
        starts_at=first.starts_at + timedelta(days=7),
        actor="t",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    [moved] = [e for e in events(client.get("/calendars/regions/us.ics")) if str(e["UID"]) == uid]
    assert moved["SEQUENCE"] == 1 and moved["DTSTART"].dt == first.starts_at


def test_alarm_adds_a_reminder_and_bad_alarms_are_refused(client, world):
    with_alarm = events(client.get("/calendars/regions/us.ics?alarm=60"))
    assert with_alarm[0].walk("VALARM")[0]["TRIGGER"].dt == timedelta(minutes=-60)
    for bad in ("0", "-5", "soon", "99999999"):
        response = client.get(f"/calendars/regions/us.ics?alarm={bad}")
        assert response.status_code == 400, bad


def _windows(session):
    from rollout.windows import Window

    return [w for w in session.scalars(select(Window)) if w.region.slug == "us"]


def test_public_feed_stamp_is_trusted_for_the_freshness_time_then_rechecked(
    app, client, world, session, clock
):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = replace(settings, feed_freshness_seconds=10)
    before = client.get("/calendars/regions/us.ics").headers["ETag"]
    first = sorted(_windows(session), key=lambda w: w.starts_at)[0]
    change_window(
        session,
        first.id,
        change="cancel",
        expected_sequence=0,
        reason="x",
        actor="t",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    clock.advance(seconds=9)
    assert client.get("/calendars/regions/us.ics").headers["ETag"] == before
    clock.advance(seconds=2)
    assert client.get("/calendars/regions/us.ics").headers["ETag"] != before


def test_private_feeds_are_always_checked_against_the_database(app, client, world, manager):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = replace(settings, feed_freshness_seconds=3600)
    old = feed_url(client, manager)
    assert client.get(old).status_code == 200
    feed_url(client, manager)
    assert client.get(old).status_code == 404


def test_feeds_say_what_each_window_deploys_and_keep_patches_private(
    client, world, manager, session
):
    create_release(session, version="2026.12", title="December", now=NOW)
    add_item(session, "2026.12", kind="fix", summary="internal", public_note="Fix", now=NOW)
    plan_release(session, "2026.12", actor="rm", now=NOW)
    request_hotfix(
        session, title="Acme export fix", urgency="normal", customers=["acme"], actor="rm", now=NOW
    )
    session.commit()
    public = " ".join(
        str(e.get("DESCRIPTION")) for e in events(client.get("/calendars/regions/us.ics"))
    )
    acme = " ".join(
        str(e.get("DESCRIPTION")) for e in events(client.get(feed_url(client, manager, "acme")))
    )
    globex = " ".join(
        str(e.get("DESCRIPTION")) for e in events(client.get(feed_url(client, manager, "globex")))
    )
    assert "Deploys release 2026.12" in public
    assert "http://rollout.test/releases/2026.12" in public
    assert "Your preview environment gets release 2026.12" in acme
    assert "Acme export fix" in acme
    assert "Acme export fix" not in public and "Acme export fix" not in globex
    assert "acme" not in globex.lower()


def test_a_new_plan_changes_the_feeds_etag(client, world, session):
    before = client.get("/calendars/regions/us.ics").headers["ETag"]
    create_release(session, version="2026.12", title="December", now=NOW)
    plan_release(session, "2026.12", actor="rm", now=NOW)
    session.commit()
    assert client.get("/calendars/regions/us.ics").headers["ETag"] != before
