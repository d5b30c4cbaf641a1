"""The demo's French contact in a real browser, at desktop and phone sizes: from the front page
in two clicks to the emailed sign-in link (a real SMTP server on loopback), then their next
downtime on their home, in French and in their own zone; every page passes axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from rollout import windows
from rollout.customers import get_customer
from rollout.db import make_engine, make_session_factory
from rollout.demo import load_demo
from tests.factories import CONTEXT
from tests.web.accessibility import assert_accessible
from tests.web.contacts import site_with_mail
from web.pages.customer_home import AHEAD, DOWNTIME

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
CAMILLE = "camille.durand@initech.example"
ZONE = "Europe/Paris"  # Initech's, which Camille keeps


@pytest.fixture
def demo_mailed(fresh_database_url, tmp_path):
    """The demo on a loopback port, emailing through a real SMTP server on loopback; Camille's
    next downtime, as it stands in the database."""
    engine = make_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    with sessions() as session:
        load_demo(session, now=now, context=CONTEXT)
        initech = get_customer(session, "initech")
        [downtime, *_] = windows.list_windows(
            session,
            start=now,
            end=now + AHEAD,
            audience=windows.Audience(customer_id=initech.id),
            customer=initech,
            statuses=DOWNTIME,
        )
        session.commit()
    with site_with_mail(fresh_database_url, sessions, tmp_path / "site") as (url, inbox):
        yield url, inbox, downtime
    engine.dispose()


def paris_start_in_french(window) -> str:
    """How the start reads in Paris in French, from Babel's CLDR data, not the page's tables."""
    return format_datetime(
        window.starts_at.astimezone(ZoneInfo(ZONE)), "EEE d MMM y, HH:mm", locale="fr"
    )


def test_the_french_contact_signs_in_by_the_emailed_link_and_reads_their_downtime_in_french(
    browser, demo_mailed
):
    from playwright.sync_api import expect

    base, inbox, downtime = demo_mailed
    for number, size in enumerate(SIZES.values(), start=1):
        context = browser.new_context(viewport=size, locale="fr-FR")
        page = context.new_page()
        page.goto(f"{base}/")
        # Two clicks from the front page, and the link is on its way.
        page.get_by_role("link", name="Connexion client").click()
        expect(page.get_by_role("heading", name="Connexion client")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Votre adresse e-mail").fill(CAMILLE)
        page.get_by_role("button", name="M'envoyer un lien de connexion").click()
        expect(page.get_by_role("heading", name="Consultez votre messagerie")).to_be_visible()
        assert_accessible(page)

        inbox.wait_for(number)
        message = inbox.messages[number - 1]
        assert message["Subject"] == "Votre lien de connexion à Rollout"
        body = message.get_content()
        assert "Bonjour Camille Durand," in body
        # The link is built from PUBLIC_URL; the browser reaches this server on its own port.
        path = re.search(r"http://rollout\.test(/customer/signin/\S+)", body).group(1)
        page.goto(base + path)
        expect(page.get_by_role("heading", name="Se connecter à Rollout")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Se connecter").click()

        expect(page).to_have_url(f"{base}/customer")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        section = page.locator("#next-downtime")
        expect(section.get_by_role("heading")).to_have_text("Votre prochaine interruption")
        expect(section).to_contain_text(paris_start_in_french(downtime))
        expect(section).to_contain_text(f"({ZONE})")
        expect(section).to_contain_text("Commence dans")
        expect(section.get_by_role("link", name="Ajouter à l'agenda")).to_be_visible()
        assert_accessible(page)

        # Signed in, the front page leads home in one click, still in French.
        page.goto(f"{base}/")
        page.get_by_role("link", name="Votre accueil").click()
        expect(page.locator("#next-downtime")).to_contain_text(paris_start_in_french(downtime))
        context.close()
