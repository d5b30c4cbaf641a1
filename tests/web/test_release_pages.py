"""Release pages through Flask's test client: public notes, dates and feed, a customer's own
status page, and the release manager's forms for releases, waves, outcomes and hotfixes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from rollout import feeds, releases, windows
from rollout.releases import Hotfix, Release, Wave
from tests.conftest import NOW, SECRET_KEY
from tests.factories import CONTEXT, bearer, make_customer, make_policy, make_region, make_token
from tests.rollout.releases.helpers import LATER
from tests.web.test_pages import csrf_token, post_form, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC_PATHS = [
    "/releases",
    "/releases/2026.12",
    "/releases/upcoming",
    "/releases/upcoming.json",
    "/releases.atom",
]
INTERNAL = [
    "Rewrote the search index",
    "Export timeout root cause",
    "XSS in profile",
    "Internal logging tweak",
    "OPS-",
    "SEC-",
]


@pytest.fixture
def world(session):
    """Regions us and eu on the second-Saturday rule; Acme (us, Chicago time) and Globex (eu);
    release 2026.12 planned with four kinds of item; draft 2027.01 being filled."""
    for slug in ("us", "eu"):
        make_region(session, slug)
        make_policy(session, slug)
    make_customer(session, "acme", "us", timezone="America/Chicago")
    make_customer(session, "globex", "eu")
    releases.create_release(session, version="2026.12", title="December release", now=NOW)
    for kind, summary, note, key in [
        (
            "feature",
            "Rewrote the search index",
            "**Faster** search <script>alert(1)</script>",
            "OPS-101",
        ),
        ("fix", "Export timeout root cause", "Exports no longer time out", "OPS-102"),
        ("security", "XSS in profile", "Fixed a cross-site scripting hole", "SEC-7"),
        ("improvement", "Internal logging tweak", "", None),
    ]:
        releases.add_item(
            session, "2026.12", kind=kind, summary=summary, public_note=note, jira_key=key, now=NOW
        )
    releases.plan_release(session, "2026.12", actor="rm@example.com", now=NOW)
    releases.create_release(session, version="2027.01", title="January release", now=NOW)
    releases.add_item(
        session, "2027.01", kind="feature", summary="SSO", public_note="Single sign-on", now=NOW
    )
    session.commit()


def wave(session, version: str, kind: str, region: str) -> Wave:
    found = releases.get_release(session, version)
    return next(
        w for w in found.waves if w.environment_kind == kind and w.window.region.slug == region
    )


def complete(session, version: str = "2026.12") -> None:
    for each in releases.get_release(session, version).waves:
        releases.report_wave(
            session, each.id, status="succeeded", actor="pipeline", now=each.window.ends_at
        )
    session.commit()


# Public release notes


def test_release_page_groups_public_notes_by_kind_with_each_regions_dates(client, world):
    page = client.get("/releases/2026.12").text
    assert page.index("New features") < page.index("Fixes")
    assert "<strong>Faster</strong> search" in page
    assert "Exports no longer time out" in page
    eu = page[page.index('id="dates-eu"') :]
    assert "Sat 12 Dec 2026, 09:00–11:00 GMT (Europe/Dublin)" in eu
    assert "Sat 9 Jan 2027, 09:00–11:00 GMT (Europe/Dublin)" in eu
    us = page[page.index('id="dates-us"') :]
    assert "Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)" in us
    assert "Sat 9 Jan 2027, 09:00–11:00 EST (America/New_York)" in us
    # The reader's own time comes from local-times.js reading each window's UTC span.
    assert '<time datetime="2027-01-09T14:00:00Z" data-end="2027-01-09T16:00:00Z">' in us


def test_release_list_shows_public_releases_newest_first_but_no_drafts(client, session, world):
    releases.create_release(session, version="2027.02", title="February release", now=NOW)
    releases.plan_release(session, "2027.02", actor="rm", now=NOW)
    session.commit()
    page = client.get("/releases").text
    assert page.index('id="release-2027.02"') < page.index('id="release-2026.12"')
    assert "Rolls out Sat 12 Dec 2026 – Sat 9 Jan 2027" in page
    assert "2027.01" not in page and "January release" not in page
    # A draft reads as no release at all (the CSRF token in the header's forms is signed with
    # the second it was made, so it is left out of the comparison).
    assert without_csrf(client.get("/releases/2027.01").text) == without_csrf(
        client.get("/releases/2099.01").text.replace("2099.01", "2027.01")
    )
    assert client.get("/releases/2027.01").status_code == 404


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_release_pages_never_show_internal_summaries_or_jira_keys(client, world, path):
    response = client.get(path)
    assert response.status_code == 200
    for internal in INTERNAL:
        assert internal not in response.text


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_script_in_a_note_never_reaches_a_public_page(client, world, path):
    text = client.get(path).text
    assert "alert(1)" not in text
    assert "<script>" not in unescape(text)


def test_security_fix_stays_out_of_public_notes_until_the_release_is_everywhere(
    client, session, world
):
    before = client.get("/releases/2026.12").text
    assert "cross-site scripting" not in before
    assert "Security fixes are listed once the release has reached every environment" in before
    complete(session)
    after = client.get("/releases/2026.12").text
    assert "Security fixes</h2>" in after
    assert "Fixed a cross-site scripting hole" in after
    assert "Completed" in after


def test_atom_feed_parses_with_one_entry_per_public_release(client, session, world):
    releases.create_release(session, version="2026.11", title="Slipped release", now=NOW)
    releases.update_release(session, "2026.11", cancel=True, now=NOW)
    session.commit()
    response = client.get("/releases.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "http://rollout.test/releases"
    assert feed.findtext(f"{ATOM}title")
    assert feed.findtext(f"{ATOM}updated").endswith("Z")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = {e.findtext(f"{ATOM}id"): e for e in feed.findall(f"{ATOM}entry")}
    assert set(entries) == {
        "http://rollout.test/releases/2026.12",
        "http://rollout.test/releases/2026.11",
    }
    entry = entries["http://rollout.test/releases/2026.12"]
    assert entry.findtext(f"{ATOM}title") == "2026.12: December release (Scheduled)"
    assert entry.findtext(f"{ATOM}updated").endswith("Z")
    assert entry.find(f"{ATOM}link").get("href") == "http://rollout.test/releases/2026.12"
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<strong>Faster</strong> search" in content.text
    assert "Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)" in content.text
    assert "cross-site scripting" not in content.text


def test_upcoming_page_shows_the_newest_release_being_filled(client, world):
    page = client.get("/releases/upcoming").text
    assert '<span id="upcoming-version">2027.01</span>' in page
    assert "Single sign-on" in page
    assert 'data-source="/releases/upcoming.json"' in page
    assert "/static/upcoming.js" in page


def test_upcoming_json_has_public_fields_only_and_answers_304_when_unchanged(
    client, session, world
):
    response = client.get("/releases/upcoming.json")
    body = response.get_json()
    assert body["release"] == {
        "version": "2027.01",
        "title": "January release",
        "status": "draft",
        "status_label": "Being prepared",
    }
    [group] = body["groups"]
    assert group["kind"] == "feature"
    assert set(group["items"][0]) == {"id", "html"}
    assert group["items"][0]["html"] == "<p>Single sign-on</p>"
    etag = response.headers["ETag"]
    assert client.get("/releases/upcoming.json", headers={"If-None-Match": etag}).status_code == 304
    releases.add_item(
        session, "2027.01", kind="fix", summary="x", public_note="Dark mode fixed", now=NOW
    )
    session.commit()
    changed = client.get("/releases/upcoming.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Dark mode fixed" in changed.text


# A customer's own status page


@pytest.fixture
def acme_token(session, world):
    _, token = feeds.rotate_feed_token(session, "acme", now=NOW, key=SECRET_KEY)
    session.commit()
    return token


def test_status_page_shows_each_environments_release_and_next_change_in_customer_time(
    client, session, acme_token
):
    preview = wave(session, "2026.12", "preview", "us")
    releases.report_wave(
        session, preview.id, status="succeeded", actor="ci", now=preview.window.ends_at
    )
    session.commit()
    response = client.get(f"/status/{acme_token}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.text
    preview = page[page.index('id="env-preview"') : page.index('id="env-production"')]
    assert re.search(
        r'class="current">\s*<span class="what">Release\s*<a href="/releases/2026.12"', preview
    )
    assert "Nothing scheduled." in preview
    production = page[page.index('id="env-production"') :]
    assert "No release recorded yet" in production
    next_change = production[production.index("Next change") :]
    assert "2026.12" in next_change
    assert "Sat 9 Jan 2027, 08:00–10:00 CST (America/Chicago)" in next_change
    assert f"http://rollout.test/calendars/customers/{acme_token}.ics" in page


def test_status_page_is_404_without_a_hint_for_an_unknown_or_rotated_token(
    client, session, acme_token
):
    feeds.rotate_feed_token(session, "acme", now=NOW, key=SECRET_KEY)
    session.commit()
    rotated = client.get(f"/status/{acme_token}")
    unknown = client.get("/status/not-a-token")
    for response in (rotated, unknown):
        assert response.status_code == 404
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "Acme" not in response.text
    assert without_csrf_token(rotated.text) == without_csrf_token(unknown.text)


def without_csrf_token(page: str) -> str:
    # The token is signed with the second it was made: two requests may straddle one.
    return re.sub(r'(name="csrf_token" value=")[^"]*"', r'\1"', page)


def test_status_page_shows_own_patches_but_never_another_customers(client, session, acme_token):
    for customer, title in (("acme", "Importer patch"), ("globex", "Ledger patch for the EU")):
        releases.request_hotfix(
            session, title=title, urgency="normal", customers=[customer], actor="rm", now=NOW
        )
    session.commit()
    page = client.get(f"/status/{acme_token}").text
    assert "Patch: Importer patch" in page
    assert "Ledger patch" not in page
    assert "Globex" not in page and "globex" not in page


def test_status_page_keeps_a_zero_days_note_hidden_until_it_is_applied_as_the_api_does(
    client, session, acme_token
):
    hotfix = releases.request_hotfix(
        session, actor="rm@example.com", now=NOW, **hotfix_fields(public_note="Closes a TLS hole")
    )
    releases.approve_hotfix(
        session, hotfix.id, actor="second@example.com", now=NOW, context=CONTEXT
    )
    token = make_token(session, "customer", customer="acme")
    session.commit()
    api = client.get("/api/v1/hotfixes", headers=bearer(token)).get_json()
    assert [h["public_html"] for h in api["items"]] == [""]
    scheduled = client.get(f"/status/{acme_token}").text
    assert "Hotfix: TLS library zero-day" in scheduled
    assert "TLS hole" not in scheduled

    for deployment in hotfix.deployments:
        releases.report_outcome(
            session,
            deployment,
            status="succeeded",
            actor="pipeline",
            now=deployment.window.ends_at,
        )
    session.commit()
    assert "Closes a TLS hole" in client.get(f"/status/{acme_token}").text


# The release manager's pages


def test_staff_release_pages_send_strangers_to_sign_in(client, world):
    for path in ("/staff/releases", "/staff/releases/2026.12", "/staff/hotfixes"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")


def test_release_manager_creates_a_release_adds_an_item_and_plans_its_waves(client, session, world):
    sign_in(client, session)
    fields = {"version": "v12", "title": "February release", "soak_days": "7"}
    bad = post_form(client, "/staff/releases", "/staff/releases", fields)
    assert bad.status_code == 422
    assert 'id="version-error">Use a version like 2026.12' in bad.text
    taken = post_form(client, "/staff/releases", "/staff/releases", fields | {"version": "2026.12"})
    assert taken.status_code == 409
    assert "Release 2026.12 already exists" in taken.text
    created = post_form(
        client, "/staff/releases", "/staff/releases", fields | {"version": "2027.02"}
    )
    assert created.status_code == 302
    assert created.headers["Location"] == "/staff/releases/2027.02"

    page = "/staff/releases/2027.02"
    item = {
        "kind": "fix",
        "jira_key": "OPS-9",
        "summary": "Null pointer in export",
        "public_note": "Exports of empty reports work",
    }
    bad_key = post_form(client, page, f"{page}/items", item | {"jira_key": "nope"}, prefix="item-")
    assert bad_key.status_code == 422
    assert 'id="item-jira_key-error">A Jira key looks like OPS-123' in bad_key.text
    assert post_form(client, page, f"{page}/items", item, prefix="item-").status_code == 302
    staff = client.get(page).text
    assert "Null pointer in export" in staff and "OPS-9" in staff

    planned = post_form(client, page, f"{page}/plan", {}, prefix="plan-")
    assert planned.status_code == 302
    session.expire_all()
    found = releases.get_release(session, "2027.02")
    assert found.status == "scheduled"
    assert [w.name for w in found.waves] == [
        "Preview · eu",
        "Preview · us",
        "Production · eu",
        "Production · us",
    ]
    staff = client.get(page).text
    assert "Wave 4 · Production · us" in staff
    assert "acme-production" in staff
    assert "Sat 9 Jan 2027, 09:00–11:00 EST (America/New_York)" in staff


def test_moving_a_wave_that_breaks_the_soak_time_is_refused_with_the_reason(client, session, world):
    sign_in(client, session)
    production = wave(session, "2026.12", "production", "us")
    preview = wave(session, "2026.12", "preview", "us")
    page = "/staff/releases/2026.12"
    action = f"{page}/waves/{production.id}/move"
    prefix = f"move-{production.id}-"
    refused = post_form(client, page, action, {"window": preview.window_id}, prefix=prefix)
    assert refused.status_code == 409
    assert "Acme&#39;s production must start at least 7 days after its preview ends" in refused.text
    assert f'id="{prefix}window-error"' in refused.text
    later = next(
        w
        for w in windows.list_windows(
            session,
            start=production.window.ends_at,
            end=NOW.replace(year=2027, month=3),
            region=production.window.region,
        )
        if w.id is not None and w.id != production.window_id
    )
    moved = post_form(client, page, action, {"window": later.id}, prefix=prefix)
    assert moved.status_code == 302
    session.expire_all()
    assert session.get(Wave, production.id).window_id == later.id


def test_recording_outcomes_wave_by_wave_completes_the_release(client, session, world, clock):
    clock.now = LATER
    sign_in(client, session, now=LATER)
    page = "/staff/releases/2026.12"
    for each in releases.get_release(session, "2026.12").waves:
        response = post_form(
            client,
            page,
            f"{page}/waves/{each.id}/outcome",
            {"status": "succeeded", "note": "green"},
            prefix=f"wave-{each.id}-",
        )
        assert response.status_code == 302
    session.expire_all()
    assert releases.get_release(session, "2026.12").status == "completed"
    assert "Fixed a cross-site scripting hole" in client.get("/releases/2026.12").text


def test_a_rolled_back_environment_is_recorded_and_an_impossible_outcome_refused(
    client, session, world, clock
):
    clock.now = LATER
    sign_in(client, session, now=LATER)
    page = "/staff/releases/2026.12"
    deployment = wave(session, "2026.12", "preview", "us").deployments[0]
    action = f"{page}/deployments/{deployment.id}/outcome"
    prefix = f"deployment-{deployment.id}-"
    assert (
        post_form(client, page, action, {"status": "succeeded"}, prefix=prefix).status_code == 302
    )
    rolled = post_form(
        client, page, action, {"status": "rolled_back", "note": "login loop"}, prefix=prefix
    )
    assert rolled.status_code == 302
    again = post_form(client, page, action, {"status": "rolled_back"}, prefix=prefix)
    assert again.status_code == 409
    assert "This deployment was rolled back; it can be restarted or recorded as succeeded or " in (
        again.text
    )
    assert "but not rolled back again" in again.text
    staff = client.get(page).text
    assert "login loop" in staff
    session.expire_all()
    assert releases.get_deployment(session, deployment.id).status == "rolled_back"


def test_release_manager_cancels_a_release_as_the_revision_they_saw(client, session, world):
    sign_in(client, session)
    page = "/staff/releases/2027.01"
    revision = releases.get_release(session, "2027.01").revision
    stale = post_form(client, page, f"{page}/cancel", {"revision": revision - 1})
    assert stale.status_code == 409
    assert "changed since revision" in stale.text
    assert post_form(client, page, f"{page}/cancel", {"revision": revision}).status_code == 302
    session.expire_all()
    assert releases.get_release(session, "2027.01").status == "cancelled"


def hotfix_fields(**overrides) -> dict:
    return {
        "title": "TLS library zero-day",
        "urgency": "zero_day",
        "justification": "Exploited in the wild",
        "jira_key": "SEC-42",
        "summary": "CVE in the TLS stack",
        "public_note": "Security update to encryption",
    } | overrides


def test_zero_day_hotfix_needs_a_second_release_manager_to_approve_it(client, session, world):
    sign_in(client, session, email="rm@example.com")
    page = "/staff/hotfixes"
    unjustified = post_form(client, page, page, hotfix_fields(justification=""), prefix="hotfix-")
    assert unjustified.status_code == 422
    assert (
        'id="hotfix-justification-error">A hotfix outside a regular window needs a justification'
        in unjustified.text
    )
    requested = post_form(client, page, page, hotfix_fields(), prefix="hotfix-")
    assert requested.status_code == 302
    hotfix = session.query(Hotfix).one()
    assert hotfix.status == "awaiting_approval"

    action = f"/staff/hotfixes/{hotfix.id}/approve"
    card = client.get(page).text
    assert "Waiting for a release manager other than rm@example.com" in card
    assert action not in card, "the requester is not offered the approval"
    for own in (
        client.get(action),
        post_form(client, page, action, {"action": "approve", **TYPED}),
    ):
        assert own.status_code == 403
        assert "The requester cannot approve their own hotfix; ask another" in own.text
        assert "Approve and schedule" not in own.text

    sign_in(client, session, email="second@example.com")
    assert action in client.get(page).text
    review = client.get(action)
    assert review.status_code == 200
    assert "us</strong>:\n            Sun 22 Nov, 07:30 America/New_York (12:30 UTC)" in review.text
    session.expire_all()
    assert session.get(Hotfix, hotfix.id).status == "awaiting_approval", "a review writes nothing"

    # A time typed but not yet reviewed is shown, not approved.
    changed = post_form(
        client,
        action,
        action,
        {"action": "approve", **TYPED, "reviewed": reviewed(review.text)},
    )
    assert changed.status_code == 200
    assert "Sun 22 Nov, 19:00 America/New_York (Mon 23 Nov, 00:00 UTC)" in changed.text
    session.expire_all()
    assert session.get(Hotfix, hotfix.id).status == "awaiting_approval"

    past = post_form(
        client, action, action, {"action": "review", **TYPED, "starts.us": "2026-11-01T19:00"}
    )
    assert past.status_code == 422
    assert 'value="2026-11-01T19:00"' in past.text, "what was typed stays"
    assert "is in the past" in past.text

    approved = post_form(
        client,
        action,
        action,
        {"action": "approve", **TYPED, "reviewed": reviewed(changed.text)},
    )
    assert approved.status_code == 302
    session.expire_all()
    hotfix = session.get(Hotfix, hotfix.id)
    assert (hotfix.status, hotfix.approved_by) == ("scheduled", "second@example.com")
    listing = client.get(page).text
    assert "by second@example.com" in listing
    assert "Emergency maintenance" in listing
    assert "Sun 22 Nov 2026, 19:00–20:00 EST (America/New_York)" in listing


TYPED = {"starts.us": "2026-11-22T19:00", "starts.eu": "2026-11-23T01:00"}


def reviewed(page: str) -> str:
    """The starts a review page showed, as its form sends them back."""
    return unescape(re.search(r'name="reviewed" type="hidden" value="([^"]*)"', page)[1])


def test_release_manager_requests_a_patch_for_one_customer(client, session, world):
    sign_in(client, session)
    page = "/staff/hotfixes"
    fields = hotfix_fields(
        title="Importer patch", urgency="normal", justification="", customers=["acme"]
    )
    assert post_form(client, page, page, fields, prefix="hotfix-").status_code == 302
    hotfix = session.query(Hotfix).one()
    assert [c.slug for c in hotfix.customers] == ["acme"]
    assert hotfix.status == "scheduled"
    listing = client.get(page).text
    card = listing[listing.index(f'id="hotfix-{hotfix.id}"') :]
    assert "badge-patch" in card and "Acme" in card
    assert "Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)" in card


def test_support_agent_reads_release_pages_but_every_change_is_403(client, session, world):
    sign_in(client, session, role="support_agent", email="agent@example.com")
    listing = client.get("/staff/releases")
    assert listing.status_code == 200 and "New release" not in listing.text
    page = client.get("/staff/releases/2026.12")
    assert page.status_code == 200
    assert "XSS in profile" in page.text  # staff see the internal summary
    assert "Add an item" not in page.text and "Move wave" not in page.text
    assert "Request a hotfix" not in client.get("/staff/hotfixes").text
    token = csrf_token(client, "/staff/releases")
    one = wave(session, "2026.12", "preview", "us")
    for action in (
        "/staff/releases",
        "/staff/releases/2026.12/items",
        "/staff/releases/2026.12/plan",
        "/staff/releases/2026.12/cancel",
        f"/staff/releases/2026.12/waves/{one.id}/move",
        f"/staff/releases/2026.12/waves/{one.id}/outcome",
        f"/staff/releases/2026.12/deployments/{one.deployments[0].id}/outcome",
        "/staff/hotfixes",
        "/staff/hotfixes/1/approve",
    ):
        assert client.post(action, data={"csrf_token": token}).status_code == 403, action
    session.expire_all()
    assert releases.get_release(session, "2026.12").status == "scheduled"


def test_release_post_without_csrf_token_is_refused(app, client, session, world):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, session)
    response = client.post(
        "/staff/releases/2027.01/cancel",
        data={"revision": releases.get_release(session, "2027.01").revision},
    )
    assert response.status_code == 400
    session.expire_all()
    assert session.query(Release).filter_by(version="2027.01").one().status == "draft"
