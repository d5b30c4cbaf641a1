"""Release, hotfix and ticket triggers: who hears, once, and nothing internal leaks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout import releases
from rollout.jira.models import Bug, StatusCategory
from rollout.notifications import (
    hotfix_applied,
    hotfix_scheduled,
    release_published,
    ticket_fix_live,
)
from rollout.notifications.content import render_email
from rollout.notifications.models import Contact, NotificationStatus
from rollout.support import Ticket
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region
from tests.notifications.conftest import BASE_URL, add_contact
from tests.notifications.test_triggers import rows


@pytest.fixture
def people(session):
    make_region(session, "us")
    make_policy(session, "us")
    acme = make_customer(session, "acme", "us")
    globex = make_customer(session, "globex", "us", locale="fr", timezone="Europe/Paris")
    return {
        "acme": acme,
        "globex": globex,
        "ada": add_contact(session, acme, "ada@acme.test", name="Ada"),
        "gaston": add_contact(session, globex, "gaston@globex.test", name="Gaston"),
    }


def test_planning_a_release_sends_its_notes_once_even_when_planned_again(session, people):
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(
        session, "2026.12", kind="fix", summary="s", public_note="Faster exports.", now=NOW
    )
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)

    found = rows(session, event="release.published")
    assert sorted(n.contact_id for n in found) == sorted([people["ada"].id, people["gaston"].id])


def test_release_notes_reach_every_subscriber_with_public_notes_only(session, people):
    release = releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(
        session,
        "2026.12",
        kind="fix",
        summary="NPE in PDF renderer (internal)",
        public_note="Invoices print **long** addresses.",
        now=NOW,
    )
    releases.add_item(
        session,
        "2026.12",
        kind="security",
        summary="SSRF via redirect",
        public_note="Webhooks no longer follow redirects.",
        now=NOW,
    )
    assert release_published(session, release, now=NOW) == 2
    assert release_published(session, release, now=NOW) == 0  # once per contact
    assert release_published(session, release, now=NOW, customers=[]) == 0  # nobody to tell
    add_contact(session, people["globex"], "zoe@globex.test", name="Zoé")
    assert release_published(session, release, now=NOW) == 1  # the newcomer alone
    found = rows(session, event="release.published")
    payload = found[0].payload
    assert [i["note"] for i in payload["items"]] == ["Invoices print **long** addresses."]
    assert "internal" not in str(payload) and "SSRF" not in str(payload)
    english = render_email(
        [n for n in found if n.contact_id == people["ada"].id][0], base_url=BASE_URL
    )
    french = render_email(
        [n for n in found if n.contact_id == people["gaston"].id][0], base_url=BASE_URL
    )
    assert english.subject == "Release 2026.12: December"
    assert french.subject == "Version 2026.12 : December"
    assert "<strong>long</strong>" in english.html
    assert f"{BASE_URL}/releases/2026.12" in french.text


def test_a_per_customer_patch_is_heard_by_that_customer_alone(session, people):
    patch = releases.request_hotfix(
        session,
        title="CSV import accepts semicolons",
        urgency="normal",
        summary="Acme's ERP exports use ';' (internal)",
        public_note="Imports accept semicolon-delimited files.",
        customers=["acme"],
        actor="rm",
        now=NOW,
    )
    # Requesting it scheduled it, and scheduling wrote the notice in the same transaction.
    assert hotfix_scheduled(session, patch, now=NOW) == 0
    [row] = rows(session, event="hotfix.scheduled")
    assert row.contact_id == people["ada"].id
    assert row.payload["hotfix"]["patch"] is True
    assert "internal" not in str(row.payload) and "globex" not in str(row.payload)
    mail = render_email(row, base_url=BASE_URL)
    assert mail.subject == "Fix scheduled: CSV import accepts semicolons"
    assert "(America/New_York)" in mail.text and "Imports accept" in mail.text


def test_a_hotfix_is_applied_news_once_every_environment_of_the_customer_has_it(session, people):
    patch = releases.request_hotfix(
        session, title="CSV import", urgency="normal", customers=["acme"], actor="rm", now=NOW
    )
    first, second = patch.deployments
    at = first.window.starts_at + timedelta(minutes=30)
    releases.report_outcome(session, first, status="succeeded", actor="ci", now=at)
    assert rows(session, event="hotfix.applied") == []
    releases.report_outcome(session, second, status="succeeded", actor="ci", now=at)
    assert hotfix_applied(session, patch, now=at) == 0  # already told, by the report itself
    [row] = rows(session, event="hotfix.applied")
    assert row.payload["environments"] == ["acme-preview", "acme-production"]
    french_free = render_email(row, base_url=BASE_URL)
    assert french_free.subject == "Fix applied: CSV import"


def test_a_zero_days_note_stays_out_until_it_is_applied(session, people):
    zero_day = releases.request_hotfix(
        session,
        title="TLS library update",
        urgency="zero_day",
        public_note="Closes a remotely exploitable flaw in the TLS handshake.",
        justification="actively exploited",
        actor="alice",
        now=NOW,
    )
    releases.approve_hotfix(session, zero_day.id, actor="bob", now=NOW, context=CONTEXT)
    scheduled = rows(session, event="hotfix.scheduled")
    assert len(scheduled) == 2
    assert all(n.payload["hotfix"]["note"] == "" for n in scheduled)
    assert "exploit" not in str([n.payload for n in scheduled])
    # The emergency windows it made were announced at once, to both customers.
    assert len(rows(session, event="window.emergency")) == 2


def ticket_on_bug(session, customer, *, ticket: dict, bug: dict) -> tuple[Ticket, Bug]:
    """A ticket of `customer` linked to nothing yet, and a bug Jira marked done."""
    made_ticket = Ticket(
        customer=customer,
        url="https://help.example.com/tickets/1",
        created_at=NOW,
        updated_at=NOW,
        **ticket,
    )
    made_bug = Bug(
        project="OPS",
        status="Done",
        status_category=StatusCategory.DONE,
        jira_updated_at=NOW,
        synced_at=NOW,
        **bug,
    )
    session.add_all([made_ticket, made_bug])
    session.flush()
    return made_ticket, made_bug


def test_the_requester_hears_the_fix_is_live_in_their_language(session, people):
    ticket, bug = ticket_on_bug(
        session,
        people["globex"],
        ticket={
            "external_id": "ZD-4512",
            "requester_name": "Zoé Martin",
            "requester_email": "zoe.martin@globex.test",
            "subject": "Export CSV vide",
            "sla_level": 2,
        },
        bug={
            "key": "OPS-151",
            "summary": "Null deref in exporter (internal)",
            "fix_versions": ["2026.12"],
            "public_note": "Les exports CSV contiennent de nouveau toutes les lignes.",
        },
    )
    live = NOW + timedelta(days=2)
    assert ticket_fix_live(session, ticket, bug=bug, live_since=live, now=live) == 1
    assert ticket_fix_live(session, ticket, bug=bug, live_since=live, now=live) == 0
    [row] = rows(session, event="ticket.fix_live")
    requester = session.get(Contact, row.contact_id)
    assert (requester.email, requester.locale, requester.subscriptions) == (
        "zoe.martin@globex.test",
        "fr",
        ["ticket_updates"],
    )
    assert people["gaston"].id != requester.id  # not the other contacts
    mail = render_email(row, base_url=BASE_URL)
    assert mail.subject == "Corrigé : Export CSV vide (ticket ZD-4512)"
    assert "(Europe/Paris)" in mail.text and "internal" not in mail.text


def test_security_notes_held_back_go_out_once_the_release_reaches_every_environment(
    session, people
):
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    for kind, note in (("fix", "Faster exports."), ("security", "Sessions expire on logout.")):
        releases.add_item(session, "2026.12", kind=kind, summary="s", public_note=note, now=NOW)
    release = releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    [published] = {tuple(i["note"] for i in n.payload["items"]) for n in rows(session)}
    assert published == ("Faster exports.",)

    waves = sorted(release.waves, key=lambda w: w.window.starts_at)
    for wave in waves[:-1]:
        releases.report_wave(
            session, wave.id, status="succeeded", actor="ci", now=wave.window.ends_at
        )
    assert rows(session, event="release.completed") == []  # not everywhere yet
    releases.report_wave(
        session, waves[-1].id, status="succeeded", actor="ci", now=waves[-1].window.ends_at
    )

    found = rows(session, event="release.completed")
    assert sorted(n.contact_id for n in found) == sorted([people["ada"].id, people["gaston"].id])
    assert {tuple(i["note"] for i in n.payload["items"]) for n in found} == {
        ("Sessions expire on logout.",)
    }
    by_contact = {n.contact_id: render_email(n, base_url=BASE_URL) for n in found}
    assert by_contact[people["ada"].id].subject == "Security fixes in release 2026.12"
    assert by_contact[people["gaston"].id].subject == (
        "Correctifs de sécurité de la version 2026.12"
    )
    assert "Sessions expire on logout." in by_contact[people["gaston"].id].text


def test_a_release_without_security_items_sends_nothing_more_when_it_completes(session, people):
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(session, "2026.12", kind="fix", summary="s", public_note="Faster.", now=NOW)
    release = releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    for wave in sorted(release.waves, key=lambda w: w.window.starts_at):
        releases.report_wave(
            session, wave.id, status="succeeded", actor="ci", now=wave.window.ends_at
        )

    assert release.status == "completed"
    assert rows(session, event="release.completed") == []


@pytest.mark.parametrize(
    ("customer", "contact", "scheduled", "applied"),
    [
        ("acme", "ada", "Fix scheduled: CSV import", "Fix applied: CSV import"),
        ("globex", "gaston", "Correctif planifié : CSV import", "Correctif appliqué : CSV import"),
    ],
)
def test_hotfix_notices_speak_the_contacts_language(
    session, people, customer, contact, scheduled, applied
):
    patch = releases.request_hotfix(
        session, title="CSV import", urgency="normal", customers=[customer], actor="rm", now=NOW
    )
    for deployment in patch.deployments:
        at = deployment.window.starts_at + timedelta(minutes=30)
        releases.report_outcome(session, deployment, status="succeeded", actor="ci", now=at)

    [told] = rows(session, event="hotfix.scheduled")
    [done] = rows(session, event="hotfix.applied")
    assert told.contact_id == done.contact_id == people[contact].id
    assert render_email(told, base_url=BASE_URL).subject == scheduled
    assert render_email(done, base_url=BASE_URL).subject == applied


def test_an_english_requester_hears_the_fix_is_live_in_english(session, people):
    ticket, bug = ticket_on_bug(
        session,
        people["acme"],
        ticket={
            "external_id": "ZD-77",
            "requester_name": "Sam Reed",
            "requester_email": "sam.reed@acme.test",
            "subject": "CSV export is empty",
            "sla_level": 3,
        },
        bug={"key": "OPS-152", "summary": "Exporter bug (internal)"},
    )
    live = NOW + timedelta(days=2)
    ticket_fix_live(session, ticket, bug=bug, live_since=live, now=live)

    [row] = rows(session, event="ticket.fix_live")
    mail = render_email(row, base_url=BASE_URL)
    assert mail.subject == "Fixed: CSV export is empty (ticket ZD-77)"
    assert "(America/New_York)" in mail.text and "internal" not in mail.text


def test_items_added_after_the_notes_went_out_follow_when_the_release_completes(session, people):
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(session, "2026.12", kind="fix", summary="s", public_note="Faster.", now=NOW)
    release = releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    releases.add_item(
        session, "2026.12", kind="feature", summary="s", public_note="Dark mode.", now=NOW
    )
    for wave in sorted(release.waves, key=lambda w: w.window.starts_at):
        releases.report_wave(
            session, wave.id, status="succeeded", actor="ci", now=wave.window.ends_at
        )

    found = rows(session, event="release.completed")
    assert {tuple(i["note"] for i in n.payload["items"]) for n in found} == {("Dark mode.",)}
    by_contact = {n.contact_id: render_email(n, base_url=BASE_URL) for n in found}
    assert by_contact[people["ada"].id].subject == "Release 2026.12 is complete: more in its notes"
    assert by_contact[people["gaston"].id].subject == (
        "Version 2026.12 déployée : ses notes complétées"
    )


def plan_december(session) -> None:
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.add_item(
        session, "2026.12", kind="fix", summary="s", public_note="Faster exports.", now=NOW
    )
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)


def mark_delivered(session, event: str) -> None:
    for row in rows(session, event=event):
        row.status = NotificationStatus.DELIVERED
    session.flush()


def test_those_sent_a_releases_notes_hear_when_it_is_cancelled_in_their_language(session, people):
    plan_december(session)
    mark_delivered(session, "release.published")
    late = add_contact(session, people["acme"], "late@acme.test", name="Late")  # never told

    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    found = {n.contact_id: n for n in rows(session, event="release.cancelled")}
    assert set(found) == {people["ada"].id, people["gaston"].id} and late.id not in found
    english = render_email(found[people["ada"].id], base_url=BASE_URL)
    french = render_email(found[people["gaston"].id], base_url=BASE_URL)
    assert english.subject == "Release 2026.12 is cancelled"
    assert "environments that do not run it yet will not get it" in english.text
    assert french.subject == "La version 2026.12 est annulée"
    assert "Faster exports" not in english.text


def test_notes_still_queued_when_a_release_is_cancelled_are_withdrawn_not_followed(session, people):
    plan_december(session)

    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    assert {n.status for n in rows(session, event="release.published")} == {
        NotificationStatus.CANCELLED
    }
    assert rows(session, event="release.cancelled") == []


def test_a_contact_who_stopped_taking_release_notes_is_not_told_of_the_cancellation(
    session, people
):
    plan_december(session)
    mark_delivered(session, "release.published")
    people["gaston"].subscriptions = ["maintenance"]

    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    assert [n.contact_id for n in rows(session, event="release.cancelled")] == [people["ada"].id]


def test_a_release_cancelled_before_it_was_planned_tells_nobody(session, people):
    releases.create_release(session, version="2026.12", title="December", now=NOW)

    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    assert rows(session) == []
