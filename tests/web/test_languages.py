"""Customer pages in the reader's language through Flask's test client: the browser's
Accept-Language, the switch in the header (a cookie, behind the CSRF rule), the signed-in
contact's own language; staff pages and the Atom feed stay English."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import g

from rollout import feeds, notifications, windows
from rollout.customers import Locale
from tests.conftest import NOW, SECRET_KEY
from tests.factories import CONTEXT, make_customer, make_policy, make_region
from tests.web.test_pages import DEC_12, csrf_token, sign_in, window_at
from tests.web.test_release_pages import world  # noqa: F401  (a fixture)
from web.i18n import COOKIE, language_name, languages, page_language
from web.pages.forms import ContactForm

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


@pytest.fixture
def us(session):
    region = make_region(session, "us")
    make_policy(session, "us")
    session.commit()
    return region


def lang(page: str) -> str:
    return re.search(r'<html lang="([a-z]+)">', page).group(1)


def switch(client, language: str, *, page: str = "/maintenance", next: str | None = None):
    token = csrf_token(client, page)
    form = {"csrf_token": token, "language": language, "next": next or page}
    return client.post("/language", data=form)


def test_the_schedule_is_english_by_default(client, us):
    page = client.get("/maintenance").text
    assert lang(page) == "en"
    assert "<h1>Maintenance schedule</h1>" in page
    assert "Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)" in page
    assert 'lang="fr">Français</button>' in page


def test_a_french_browser_reads_the_schedule_in_french_with_french_dates(client, us):
    response = client.get("/maintenance", headers=FRENCH)
    page = response.text
    assert lang(page) == "fr"
    assert "<h1>Calendrier de maintenance</h1>" in page
    assert "sam. 12 déc. 2026, 09:00–11:00 EST (America/New_York)" in page
    assert 'data-yours="Votre heure :"' in page
    assert 'lang="en">English</button>' in page
    # One address, two languages: caches must keep them apart.
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_a_browser_asking_for_another_language_reads_english(client, us):
    page = client.get("/maintenance", headers={"Accept-Language": "de-DE,de"}).text
    assert lang(page) == "en"


def test_the_switch_remembers_english_over_a_french_browser(client, us):
    response = switch(client, "en", next="/maintenance?x=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/maintenance?x=1"
    cookie = client.get_cookie(COOKIE)
    assert cookie.value == "en" and cookie.http_only
    page = client.get("/maintenance", headers=FRENCH).text
    assert lang(page) == "en"
    assert "<h1>Maintenance schedule</h1>" in page


def test_the_switch_to_french_reads_french_without_accept_language(client, us):
    switch(client, "fr")
    page = client.get("/maintenance").text
    assert lang(page) == "fr"
    assert "sam. 12 déc. 2026" in page


def test_the_switch_without_its_csrf_token_is_refused_and_remembers_nothing(client, us):
    response = client.post("/language", data={"language": "fr", "next": "/maintenance"})
    assert response.status_code == 400
    assert client.get_cookie(COOKIE) is None


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example", "maintenance"]
)
def test_the_switch_never_sends_the_reader_to_another_site(client, us, elsewhere):
    response = switch(client, "fr", next=elsewhere)
    assert response.status_code == 303
    assert response.headers["Location"] == "/maintenance"


def test_the_switch_refuses_a_language_it_does_not_offer(client, us):
    response = switch(client, "de")
    assert response.status_code == 400
    assert client.get_cookie(COOKIE) is None


def test_a_signed_in_contacts_language_comes_before_the_browsers(app):
    contact = SimpleNamespace(locale=Locale.FR)
    with app.test_request_context("/maintenance", headers={"Accept-Language": "en"}):
        g.principal = SimpleNamespace(contact=contact, is_staff=False)
        assert page_language() == "fr"
    # The reader's own choice on this browser still wins.
    cookie = {"Accept-Language": "en", "Cookie": f"{COOKIE}=en"}
    with app.test_request_context("/maintenance", headers=cookie):
        g.principal = SimpleNamespace(contact=contact, is_staff=False)
        assert page_language() == "en"


def test_staff_pages_stay_english_for_a_french_browser(client, session, us):
    sign_in(client, session)
    page = client.get("/staff/calendar", headers=FRENCH).text
    assert lang(page) == "en"
    assert "Maintenance schedule" in page
    assert 'action="/language"' not in page


def test_a_moved_windows_history_reads_in_french(client, session, us):
    window = window_at(session, DEC_12)
    windows.change_window(
        session,
        window.id,
        change="move",
        expected_sequence=0,
        starts_at=window.starts_at.replace(day=19),
        reason="Travaux",
        actor="rm@example.com",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()
    page = client.get(f"/maintenance/windows/{window.id}", headers=FRENCH).text
    assert "Déplacée du sam. 12 déc. 2026, 09:00–11:00 EST (America/New_York)" in page
    assert "au sam. 19 déc. 2026, 09:00–11:00 EST (America/New_York)" in page
    assert '<h2 id="history-title">Historique</h2>' in page


def test_release_pages_read_in_french(client, world):  # noqa: F811
    page = client.get("/releases/2026.12", headers=FRENCH).text
    assert "<h2>Nouveautés</h2>" in page
    assert "Quand chaque région la reçoit" in page
    assert "sam. 9 janv. 2027, 09:00–11:00 GMT (Europe/Dublin)" in page
    listing = client.get("/releases", headers=FRENCH).text
    assert "Déploiement : sam. 12 déc. 2026 – sam. 9 janv. 2027" in listing
    assert ">Planifiée</span>" in listing


def test_the_upcoming_releases_live_labels_follow_the_page(client, world):  # noqa: F811
    body = client.get("/releases/upcoming.json", headers=FRENCH).json
    assert body["release"]["status_label"] == "En préparation"
    assert [g["label"] for g in body["groups"]] == ["Nouveautés"]


def test_the_atom_feed_stays_english_for_every_reader(client, world):  # noqa: F811
    feed = client.get("/releases.atom", headers=FRENCH).text
    assert "When each region gets it" in feed
    assert "Quand" not in feed


def test_a_customers_status_page_reads_in_french(client, session, world):  # noqa: F811
    _, token = feeds.rotate_feed_token(session, "acme", now=NOW, key=SECRET_KEY)
    session.commit()
    page = client.get(f"/status/{token}", headers=FRENCH).text
    assert lang(page) == "fr"
    assert "Prochain changement" in page
    assert "sam. 9 janv. 2027, 08:00–10:00 CST (America/Chicago)" in page
    assert "Aucune version enregistrée pour l'instant" in page
    missing = client.get("/status/not-a-token", headers=FRENCH)
    assert missing.status_code == 404
    assert "Cette page n&#39;existe pas." in missing.text


def test_the_subscribe_and_unsubscribe_pages_read_in_french(client, session, us):
    page = client.get("/calendars", headers=FRENCH).text
    assert "<h1>Flux de calendrier</h1>" in page
    assert ">1 heure avant</option>" in page
    assert "<h3>Toutes les régions</h3>" in page
    contact = make_contact(session)
    page = client.get(f"/unsubscribe/{contact.unsubscribe_token}", headers=FRENCH).text
    assert "Se désabonner ?" in page


def make_contact(session):
    customer = make_customer(session, "globex")
    contact = notifications.create_contact(
        session, customer, name="Camille", email="camille@example.com", now=NOW
    )
    session.commit()
    return contact


def test_an_unknown_address_answers_in_french(client):
    response = client.get("/nowhere", headers=FRENCH)
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    assert "Retour au calendrier de maintenance" in response.text


def test_languages_are_shown_by_their_names_in_their_own_language(app):
    assert language_name("en") == "English"
    assert language_name("fr") == "Français"
    assert languages() == [("en", "English"), ("fr", "Français")]
    with app.test_request_context():
        menu = ContactForm(meta={"csrf": False}).locale
        assert [(c.value, c.label) for c in menu.choices] == languages()
        assert '<option lang="fr" value="fr">Français</option>' in str(menu())
