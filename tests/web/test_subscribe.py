"""The subscribe page, the links to it, and a single window as an .ics file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from rollout import windows
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region

BASE = "http://rollout.test"  # the public_url of the test settings
DEC_12 = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)  # second Saturday, 09:00 in New York
GOOGLE = "https://calendar.google.com/calendar/render?cid="
OUTLOOK = "https://outlook.live.com/calendar/0/addfromweb?url="


class FeedCards(HTMLParser):
    """Each feed card's address and links by card id, and every input outside or in a form."""

    def __init__(self, page: str):
        super().__init__()
        self.cards: dict[str, dict[str, str | None]] = {}
        self.inputs: dict[str, dict] = {}
        self._card: dict | None = None
        self._forms = 0
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._forms += 1
        if tag == "input" and "id" in attrs:
            self.inputs[attrs["id"]] = attrs | {"in_form": self._forms > 0}
        if tag == "article" and "feed" in (attrs.get("class") or "").split():
            self._card = self.cards.setdefault(attrs["id"], {"name": attrs.get("data-name")})
        elif self._card is not None and "data-link" in attrs:
            self._card[attrs["data-link"]] = attrs.get("value", attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._forms -= 1
        if tag == "article":
            self._card = None


@pytest.fixture
def regions(session):
    """Three regions, one with a name full of characters a URL must escape."""
    make_region(session, "us")
    make_region(session, "eu")
    make_region(session, "apac", name="Asia-Pacific (Sydney) & NZ")
    make_policy(session, "us")
    session.commit()


def cards(client, path: str = "/calendars") -> dict[str, dict]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return FeedCards(response.text).cards


def window_at(session, starts_at: datetime) -> windows.Window:
    found = windows.list_windows(
        session, start=starts_at, end=starts_at + timedelta(minutes=1), audience=windows.STAFF
    )
    assert found and found[0].starts_at == starts_at, f"no window starting at {starts_at}"
    return found[0]


def single_event(client, window_id: int, query: str = ""):
    response = client.get(f"/calendars/windows/{window_id}.ics{query}")
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


# --- the subscribe page -------------------------------------------------------------------------


def test_subscribe_page_offers_the_all_regions_feed_and_each_regions(client, regions):
    found = cards(client)
    assert list(found) == ["feed-all", "feed-apac", "feed-eu", "feed-us", "feed-private"]
    assert found["feed-all"]["address"] == f"{BASE}/calendars/maintenance.ics"
    assert found["feed-all"]["webcal"] == "webcal://rollout.test/calendars/maintenance.ics"
    for slug in ("us", "eu", "apac"):
        assert found[f"feed-{slug}"]["address"] == f"{BASE}/calendars/regions/{slug}.ics"
        assert (
            found[f"feed-{slug}"]["webcal"] == f"webcal://rollout.test/calendars/regions/{slug}.ics"
        )


def test_google_and_outlook_links_percent_encode_the_feed_and_its_name(client, regions):
    apac = cards(client)["feed-apac"]
    assert apac["google"] == (
        GOOGLE + "webcal%3A%2F%2Frollout.test%2Fcalendars%2Fregions%2Fapac.ics"
    )
    assert apac["outlook"] == (
        OUTLOOK + "http%3A%2F%2Frollout.test%2Fcalendars%2Fregions%2Fapac.ics"
        "&name=Maintenance%3A%20Asia-Pacific%20%28Sydney%29%20%26%20NZ"
    )
    # And they decode back to exactly the feed, whatever the name holds.
    assert parse_qs(urlsplit(apac["outlook"]).query) == {
        "url": [f"{BASE}/calendars/regions/apac.ics"],
        "name": ["Maintenance: Asia-Pacific (Sydney) & NZ"],
    }


def test_every_offered_address_is_a_feed_that_answers(client, regions):
    for key, card in cards(client).items():
        if key == "feed-private":
            continue
        response = client.get(card["address"].removeprefix(BASE))
        assert response.status_code == 200, key
        assert response.mimetype == "text/calendar"


def test_a_chosen_reminder_goes_into_every_link(client, regions):
    us = cards(client, "/calendars?alarm=60")["feed-us"]
    assert us["address"] == f"{BASE}/calendars/regions/us.ics?alarm=60"
    assert us["webcal"] == "webcal://rollout.test/calendars/regions/us.ics?alarm=60"
    assert us["google"] == (
        GOOGLE + "webcal%3A%2F%2Frollout.test%2Fcalendars%2Fregions%2Fus.ics%3Falarm%3D60"
    )
    assert parse_qs(urlsplit(us["outlook"]).query)["url"] == [us["address"]]
    feed = client.get("/calendars/regions/us.ics?alarm=60").text
    assert "BEGIN:VALARM" in feed and "TRIGGER:-PT1H" in feed


@pytest.mark.parametrize("alarm", ["7", "abc", "-60", "60.5"])
def test_a_reminder_the_page_does_not_offer_is_refused(client, regions, alarm):
    assert client.get(f"/calendars?alarm={alarm}").status_code == 400


def test_subscribe_page_explains_reminders_refresh_and_the_private_feed(client, regions):
    page = client.get("/calendars").text
    assert "?alarm=60" in page
    for client_name in ("Google Calendar:", "Outlook.com:", "Apple Calendar:", "Thunderbird:"):
        assert client_name in page
    assert "POST /api/v1/customers/&lt;slug&gt;/feed-token" in page


def test_pasted_private_address_is_never_submitted_nor_leaked_as_a_referrer(client, regions):
    response = client.get("/calendars")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    pasted = FeedCards(response.text).inputs["private-address"]
    assert "name" not in pasted
    assert not pasted["in_form"]


def test_subscribe_page_needs_no_regions_nor_sign_in(client):
    found = cards(client)
    assert list(found) == ["feed-all", "feed-private"]


# --- links from the schedule and a window -------------------------------------------------------


def test_schedule_links_the_subscribe_page_and_each_regions_feed(client, regions):
    page = client.get("/maintenance").text
    assert 'href="/calendars"' in page
    for slug in ("us", "eu", "apac"):
        assert f'href="/calendars/regions/{slug}.ics"' in page
        assert f'href="/calendars#feed-{slug}"' in page


def test_window_page_links_its_own_ics_and_its_regions_feed(client, session, regions):
    window = window_at(session, DEC_12)
    page = client.get(f"/maintenance/windows/{window.id}").text
    assert f'href="/calendars/windows/{window.id}.ics"' in page
    assert 'href="/calendars#feed-us"' in page


# --- a single window as an .ics file ------------------------------------------------------------


def test_single_event_ics_holds_one_event_with_the_uid_it_has_in_the_feed(client, session, regions):
    window = window_at(session, DEC_12)
    calendar = single_event(client, window.id)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == DEC_12
    assert str(event["SUMMARY"]) == window.title

    feed = Calendar.from_ical(client.get("/calendars/regions/us.ics").data)
    link = f"{BASE}/maintenance/windows/{window.id}"
    [same] = [e for e in feed.walk("VEVENT") if str(e["URL"]) == link]
    assert str(event["UID"]) == str(same["UID"])
    assert event["SEQUENCE"] == same["SEQUENCE"]


def test_single_event_takes_a_reminder(client, session, regions):
    window = window_at(session, DEC_12)
    [event] = single_event(client, window.id, "?alarm=15").walk("VEVENT")
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15)


def test_customer_only_window_has_no_public_ics(client, session, regions):
    make_customer(session, "acme")
    own = windows.create_window(
        session,
        title="Acme data migration",
        customer="acme",
        starts_at=DEC_12 + timedelta(days=3),
        ends_at=DEC_12 + timedelta(days=3, hours=2),
        actor="rm",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    response = client.get(f"/calendars/windows/{own.id}.ics")
    assert response.status_code == 404
    assert b"Acme" not in response.data
    assert client.get("/calendars/windows/999999.ics").status_code == 404


@pytest.mark.parametrize("alarm", ["0", "abc", "-15", "10081"])
def test_single_event_refuses_a_bad_alarm(client, session, regions, alarm):
    window = window_at(session, DEC_12)
    assert client.get(f"/calendars/windows/{window.id}.ics?alarm={alarm}").status_code == 400


# --- in a real browser --------------------------------------------------------------------------


@pytest.fixture
def live_regions(live_server):
    with live_server.sessions() as session:
        make_region(session, "us")
        make_region(session, "apac", name="Asia-Pacific (Sydney) & NZ")
        session.commit()


@pytest.mark.browser
def test_browser_builds_reminder_and_private_links_without_sending_the_token(
    browser, live_server, live_regions
):
    from playwright.sync_api import expect

    token = "s3cret-Token_abc"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{live_server.url}/calendars")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.select_option("#alarm", "60")
        apac = page.locator("#feed-apac")
        expect(apac.locator("[data-link=address]")).to_have_value(
            f"{BASE}/calendars/regions/apac.ics?alarm=60"
        )
        # The script encodes as the server does: the same links as the page without script.
        served = FeedCards(
            context.request.get(f"{live_server.url}/calendars?alarm=60").text()
        ).cards["feed-apac"]
        for link in ("webcal", "google", "outlook"):
            expect(apac.locator(f"[data-link={link}]")).to_have_attribute("href", served[link])

        expect(page.locator("#feed-private")).to_be_hidden()
        page.fill("#private-address", "https://example.com/not-a-feed")
        expect(page.locator("#private-error")).to_be_visible()
        page.fill("#private-address", f"webcal://rollout.test/calendars/customers/{token}.ics")
        private = page.locator("#feed-private")
        expect(private).to_be_visible()
        address = f"{BASE}/calendars/customers/{token}.ics?alarm=60"
        expect(private.locator("[data-link=address]")).to_have_value(address)
        expect(private.locator("[data-link=outlook]")).to_have_attribute(
            "href",
            OUTLOOK + "http%3A%2F%2Frollout.test%2Fcalendars%2Fcustomers%2F"
            f"{token}.ics%3Falarm%3D60&name=Maintenance%20for%20my%20organisation",
        )
        assert not any(token in url for url in requested)
    finally:
        context.close()
