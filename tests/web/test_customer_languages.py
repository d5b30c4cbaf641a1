"""The customer's own pages in their language: the home, the sign-in pages and email, and the
contacts page follow the switch, else the signed-in contact's language, else the browser's;
the staff outbox beside them stays English."""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import pytest

from channels.config import NotifySettings
from rollout.signin_links import link_email
from tests import conftest
from tests.factories import make_customer, make_policy, make_region
from tests.notifications.conftest import smtp_settings
from tests.notifications.servers import smtp_server
from tests.web.contacts import link_secret, make_contact, sign_in_contact
from tests.web.test_pages import csrf_token, sign_in
from web import create_app

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def acme(session):
    """acme in us on the second-Saturday rule; Ada (admin) reads English, Camille (who only
    reads the contacts) French, both in Paris."""
    make_region(session, "us")
    make_policy(session, "us")
    make_customer(session, "acme", "us")
    make_contact(session, timezone="Europe/Paris")
    make_contact(
        session,
        email="camille@acme.test",
        name="Camille",
        role="Engineer",
        locale="fr",
        timezone="Europe/Paris",
    )
    session.commit()


def lang(page: str) -> str:
    return re.search(r'<html lang="(\w+)">', page).group(1)


def switch(client, language: str, next: str):
    token = csrf_token(client, next)
    return client.post("/language", data={"csrf_token": token, "language": language, "next": next})


def test_a_french_contact_reads_their_home_in_french_with_french_dates(client, session, acme):
    sign_in_contact(client, session, "camille@acme.test")
    page = client.get("/customer", headers=ENGLISH).text
    assert lang(page) == "fr"
    assert "<h1>Bonjour Camille</h1>" in page
    assert ">Votre prochaine interruption<" in page
    # Saturday 12 December, 09:00 in New York, is 15:00 in Paris.
    assert "sam. 12 déc. 2026, 15:00–17:00 CET (Europe/Paris)" in page
    assert re.search(r'Commence dans\s*<span data-part="days">20</span> j', page)
    assert ">Ajouter à l'agenda<" in unescape(page)
    assert ">Enregistrer mes préférences<" in page and ">Fuseau horaire<" in page
    assert "Your next downtime" not in page


def test_an_english_contact_reads_their_home_in_english(client, session, acme):
    sign_in_contact(client, session)
    page = client.get("/customer", headers=FRENCH).text
    assert lang(page) == "en"
    assert "<h1>Hello Ada</h1>" in page and ">Your next downtime<" in page
    assert "Sat 12 Dec 2026, 15:00–17:00 CET (Europe/Paris)" in page


def test_the_switch_overrides_the_contacts_language_both_ways(client, session, acme):
    sign_in_contact(client, session, "camille@acme.test")
    assert switch(client, "en", "/customer").headers["Location"] == "/customer"
    page = client.get("/customer").text
    assert lang(page) == "en" and "<h1>Hello Camille</h1>" in page

    sign_in_contact(client, session)
    switch(client, "fr", "/customer")
    assert "<h1>Bonjour Ada</h1>" in client.get("/customer").text


def test_the_front_page_leads_a_french_contact_home_in_one_click(client, session, acme):
    sign_in_contact(client, session, "camille@acme.test")
    page = client.get("/", follow_redirects=True).text
    assert lang(page) == "fr"
    assert re.search(r'<a href="/customer"\s*>Votre accueil</a>', page)


def test_the_sign_in_pages_follow_the_browsers_language(client, session, acme):
    page = client.get("/customer/login", headers=FRENCH).text
    assert lang(page) == "fr" and "<h1>Connexion client</h1>" in page
    assert ">Votre adresse e-mail</label>" in page and "M'envoyer un lien" in page
    assert "Customer sign-in" not in page

    token = csrf_token(client, "/customer/login")
    empty = client.post("/customer/login", data={"csrf_token": token, "email": ""}, headers=FRENCH)
    assert empty.status_code == 422
    assert "Saisissez l'adresse e-mail à laquelle nous envoyons vos avis." in unescape(empty.text)
    wrong = client.post(
        "/customer/login", data={"csrf_token": token, "email": "ada at acme"}, headers=FRENCH
    )
    assert (
        "Ce n'est pas une adresse e-mail" in unescape(wrong.text)
        and 'value="ada at acme"' in wrong.text
    )

    client.post("/customer/login", data={"csrf_token": token, "email": "x@acme.test"})
    sent = unescape(client.get("/customer/login/sent", headers=FRENCH).text)
    assert "<h1>Consultez votre messagerie</h1>" in sent
    assert "Si <strong>x@acme.test</strong> est l'adresse d'un contact" in sent

    path = f"/customer/signin/{link_secret(session, 'ada@acme.test')}"
    opened = client.get(path, headers=FRENCH).text
    assert "<h1>Se connecter à Rollout</h1>" in opened and ">Se connecter</button>" in opened
    # Pressed in another browser: this one, still signed out, reads as its browser asks.
    other = client.application.test_client()
    other.post(path, data={"csrf_token": csrf_token(other, path)})
    used = client.get(path, headers=FRENCH).text
    assert "<h1>Ce lien ne fonctionne pas</h1>" in used
    assert "Ce lien de connexion a déjà servi" in used
    unknown = client.get("/customer/signin/not-ours", headers=ENGLISH).text
    assert "This sign-in link is not one we sent" in unknown


def test_the_sign_in_email_is_in_the_contacts_language(session_factory, clock, tmp_path, acme):
    with smtp_server() as (inbox, port):
        settings = dataclasses.replace(
            conftest.test_settings(), notifications=NotifySettings(smtp=smtp_settings(port))
        )
        app = create_app(
            settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
        )
        app.config.update(TESTING=True)
        client = app.test_client()
        for address in ("camille@acme.test", "ada@acme.test"):
            token = csrf_token(client, "/customer/login")
            # The browser asks for English: the email follows the contact, not the browser.
            client.post(
                "/customer/login", data={"csrf_token": token, "email": address}, headers=ENGLISH
            )
        inbox.wait_for(2)
    french, english = sorted(inbox.messages, key=lambda m: "ada@" in m["To"])
    assert french["Subject"] == "Votre lien de connexion à Rollout"
    body = french.get_content()
    assert body.startswith("Bonjour Camille,")
    assert "Ouvrez ce lien pour vous connecter pour Acme" in body
    assert re.search(r"http://rollout\.test/customer/signin/\S+", body)
    assert english["Subject"] == "Your Rollout sign-in link"
    assert english.get_content().startswith("Hello Ada,")


def test_the_email_names_each_customer_in_french_too():
    email = link_email(
        "Camille", [("Acme", "https://r.test/a"), ("Globex", "https://r.test/g")], locale="fr"
    )
    assert "plusieurs clients" in email.text
    assert "Acme :\nhttps://r.test/a" in email.text and "Globex :\nhttps://r.test/g" in email.text


def test_an_unknown_zone_is_refused_in_french_beside_its_field(client, session, acme):
    sign_in_contact(client, session, "camille@acme.test")
    refused = client.post(
        "/customer/preferences",
        data={
            "csrf_token": csrf_token(client, "/customer"),
            "version": "1",
            "locale": "fr",
            "timezone": "Europe/Pariss",
            "topics": ["maintenance"],
        },
    )
    assert refused.status_code == 422
    assert "Fuseau horaire inconnu : essayez Europe/Paris" in refused.text
    assert 'value="Europe/Pariss"' in refused.text
    empty = client.post(
        "/customer/preferences",
        data={"csrf_token": csrf_token(client, "/customer"), "version": "1", "locale": "fr"},
    )
    assert "Saisissez un fuseau horaire." in empty.text


def test_the_contacts_page_is_french_for_a_french_contact_and_the_outbox_stays_english(
    client, session, acme
):
    sign_in_contact(client, session, "camille@acme.test")
    page = client.get("/customers/acme/notifications").text
    assert lang(page) == "fr"
    assert "<h2>Contacts <span" in page
    assert "Maintenance planifiée" in page and "Seuls les administrateurs" in page

    # An admin who switched to French is refused an unknown zone in French, what was typed kept.
    sign_in_contact(client, session)
    switch(client, "fr", "/customers/acme/notifications")
    refused = client.post(
        "/customers/acme/notifications/contacts",
        data={
            "csrf_token": csrf_token(client, "/customers/acme/notifications"),
            "name": "Zoé",
            "email": "zoe@acme.test",
            "timezone": "Paris",
        },
    )
    assert refused.status_code == 422
    assert "Fuseau horaire inconnu : essayez Europe/Paris" in refused.text
    assert 'value="Zoé"' in refused.text

    sign_in(client, session)
    outbox = client.get("/staff/notifications", headers=FRENCH).text
    assert lang(outbox) == "en"
