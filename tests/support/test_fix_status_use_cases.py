"""Fix status against a real database: releases planned and deployed through the real use
cases, tickets of several customers, replies in each customer's language and zone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout import releases
from rollout.customers import update_customer
from rollout.errors import Invalid, NotFound
from rollout.jira.bugs import BugRecord, upsert_bug
from rollout.jira.models import Priority, StatusCategory
from rollout.support.fix_status.answers import (
    fix_status_by_customer,
    fix_status_for_bug,
    fix_status_for_ticket,
)
from rollout.support.fix_status.rule import FixState
from rollout.support.tickets import create_ticket, link_bug
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region
from tests.statements import statements


def bug_record(key: str, **overrides) -> BugRecord:
    fields = {
        "key": key,
        "project": key.split("-")[0],
        "summary": f"Internal summary of {key}",
        "status": "In Progress",
        "status_category": StatusCategory.IN_PROGRESS,
        "priority": Priority.HIGH,
        "severity": None,
        "resolution": None,
        "fix_versions": (),
        "public_note": None,
        "updated_at": NOW - timedelta(days=1),
    }
    return BugRecord(**(fields | overrides))


def ticket(session, external_id: str, customer: str, *bugs: str):
    create_ticket(
        session,
        external_id=external_id,
        url=f"https://help.example.com/tickets/{external_id}",
        customer=customer,
        requester_name="Dana Scully",
        requester_email="dana@example.com",
        subject="Export fails",
        sla_level=2,
        now=NOW,
    )
    for key in bugs:
        link_bug(session, external_id, key, lookup=None, actor="agent@example.com", now=NOW)


@pytest.fixture
def world(session):
    """us (acme, globex) and eu (initech, French); OPS-1 in release 2026.12 planned with no
    soak, OPS-2 a patch for globex alone, OPS-3 nowhere."""
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    make_customer(session, "initech", "eu", timezone="Europe/Paris", locale="fr")
    for key in ("OPS-1", "OPS-2", "OPS-3"):
        upsert_bug(session, bug_record(key), now=NOW)
    releases.create_release(session, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.add_item(session, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    releases.request_hotfix(
        session,
        title="Patch",
        urgency="normal",
        jira_key="OPS-2",
        customers=["globex"],
        actor="rm",
        now=NOW,
    )
    ticket(session, "T-1", "acme", "OPS-1", "OPS-2", "OPS-3")
    ticket(session, "T-2", "globex", "OPS-1", "OPS-2")
    ticket(session, "T-3", "initech", "OPS-1")
    return session


def states(answer) -> dict[str, str]:
    return {item.status.bug: str(item.status.state) for item in answer.items}


def test_a_tickets_status_covers_each_linked_bug_for_its_customer(world):
    answer = fix_status_for_ticket(world, "T-1", now=NOW)
    assert answer.customer.slug == "acme" and answer.lang == "en"
    assert states(answer) == {"OPS-1": "planned", "OPS-2": "not_planned", "OPS-3": "not_planned"}
    other = fix_status_for_ticket(world, "T-2", now=NOW)
    assert states(other) == {"OPS-1": "planned", "OPS-2": "hotfix_scheduled"}


def test_the_reply_is_in_the_customers_language_and_zone_unless_asked(world):
    french = fix_status_for_ticket(world, "T-3", now=NOW)
    assert french.lang == "fr"
    assert french.reply.startswith("Le correctif de OPS-1 fait partie de la version 2026.12")
    assert "samedi 9 janvier 2027, 10:00–12:00 (heure de Paris, CET)" in french.reply
    english = fix_status_for_ticket(world, "T-3", lang="en", now=NOW)
    assert "Saturday 9 January 2027, 10:00–12:00 CET" in english.reply
    with pytest.raises(Invalid) as refused:
        fix_status_for_ticket(world, "T-3", lang="de", now=NOW)
    assert refused.value.field == "lang"


def test_deployments_reported_move_the_status_along(world):
    made = releases.get_release(world, "2026.12")
    preview = next(
        w for w in made.waves if w.environment_kind == "preview" and w.window.region.slug == "us"
    )
    releases.report_wave(
        world, preview.id, status="succeeded", actor="ci", now=preview.window.ends_at
    )
    assert states(fix_status_for_bug(world, "OPS-1", "acme", now=NOW))["OPS-1"] == "in_preview"
    production = releases.find_deployment(world, environment="acme-production", release="2026.12")
    deployed = production.window.ends_at
    releases.report_outcome(world, production, status="succeeded", actor="ci", now=deployed)
    answer = fix_status_for_bug(world, "OPS-1", "acme", now=NOW)
    assert answer.items[0].status.state == FixState.DEPLOYED
    assert answer.items[0].status.since == deployed
    # Globex shares the preview wave but not acme's production deployment.
    assert states(fix_status_for_bug(world, "OPS-1", "globex", now=NOW))["OPS-1"] == "in_preview"
    releases.report_outcome(
        world, production, status="rolled_back", actor="rm", now=deployed + timedelta(days=1)
    )
    assert states(fix_status_for_bug(world, "OPS-1", "acme", now=NOW))["OPS-1"] == "rolled_back"


def test_a_bug_key_gives_the_status_for_every_customer_with_a_ticket_on_it(world):
    answers = fix_status_by_customer(world, "OPS-2", now=NOW)
    assert [(a.customer.slug, states(a)["OPS-2"]) for a in answers] == [
        ("acme", "not_planned"),
        ("globex", "hotfix_scheduled"),
    ]
    # Acme's reply says nothing of Globex's patch.
    assert "hotfix" not in answers[0].reply.lower()


def test_unknown_tickets_bugs_and_customers_are_named(world):
    with pytest.raises(NotFound) as no_ticket:
        fix_status_for_ticket(world, "T-404", now=NOW)
    assert no_ticket.value.field == "ticket"
    with pytest.raises(NotFound) as no_bug:
        fix_status_for_bug(world, "OPS-404", "acme", now=NOW)
    assert no_bug.value.field == "bug"
    with pytest.raises(NotFound) as no_customer:
        fix_status_for_bug(world, "OPS-1", "nobody", now=NOW)
    assert no_customer.value.field == "customer"


def test_a_customer_switched_to_french_gets_french(world):
    update_customer(world, "acme", locale="fr", now=NOW)
    assert fix_status_for_ticket(world, "T-1", now=NOW).lang == "fr"


def test_a_reply_never_names_what_the_customer_must_not_read(world):
    # Embargoed until applied or completed: a security item's words, a zero-day's; never
    # shown: Jira's summaries, another customer's patch and name.
    secret = [
        "Internal summary of",
        "Heap overflow in exports",
        "CVE-2026-0001",
        "OpenSSL CVE",
        "Remote code execution",
        "CVE-2026-0002",
        "Exploited in the wild",
        "Patch",
        "globex",
    ]
    for key in ("SEC-1", "SEC-2"):
        upsert_bug(world, bug_record(key), now=NOW)
    releases.add_item(
        world,
        "2026.12",
        kind="security",
        summary="Heap overflow in exports",
        public_note="CVE-2026-0001: a crafted export could run code.",
        jira_key="SEC-1",
        now=NOW,
    )
    zero_day = releases.request_hotfix(
        world,
        title="OpenSSL CVE",
        urgency="zero_day",
        summary="Remote code execution",
        public_note="CVE-2026-0002: a TLS handshake could run code.",
        jira_key="SEC-2",
        justification="Exploited in the wild",
        actor="alice",
        now=NOW,
    )
    releases.approve_hotfix(world, zero_day.id, actor="bob", now=NOW, context=CONTEXT)
    ticket(world, "T-9", "acme", "SEC-1", "SEC-2", "OPS-2")
    seen: dict[str, set[str]] = {}

    def read_replies(now):
        for lang in ("en", "fr"):
            answer = fix_status_for_ticket(world, "T-9", lang=lang, now=now)
            for item in answer.items:
                seen.setdefault(item.status.state, set()).add(item.reply)

    read_replies(NOW)
    patched = releases.find_deployment(world, environment="acme-production", hotfix=zero_day.id)
    done = patched.window.ends_at
    releases.report_outcome(world, patched, status="succeeded", actor="ci", now=done)
    read_replies(done)
    made = releases.get_release(world, "2026.12")
    for wave in made.waves:
        if wave.window.region.slug == "us":
            done = wave.window.ends_at
            releases.report_wave(world, wave.id, status="succeeded", actor="ci", now=done)
            read_replies(done)
    shipped = releases.find_deployment(world, environment="acme-production", release="2026.12")
    releases.report_outcome(world, shipped, status="rolled_back", actor="rm", now=done)
    read_replies(done)
    # Every state but Won't Fix (which names no carrier) was rendered.
    assert set(seen) == set(FixState) - {FixState.WONT_FIX}
    for text in {t for texts in seen.values() for t in texts}:
        assert not [word for word in secret if word.lower() in text.lower()], text


def test_a_tickets_fix_status_takes_two_statements_whatever_its_bugs_and_carriers(
    world, connection
):
    # The ticket with its links and bugs; then the releases and hotfixes naming them with
    # their deployments to the customer. A fix version naming a release adds no statement.
    upsert_bug(world, bug_record("OPS-4", fix_versions=("2026.12",)), now=NOW)
    link_bug(world, "T-2", "OPS-4", lookup=None, actor="agent@example.com", now=NOW)
    world.flush()
    for external_id in ("T-1", "T-2", "T-3"):
        world.expunge_all()
        with statements(connection) as sent:
            answer = fix_status_for_ticket(world, external_id, now=NOW)
        assert answer.items
        assert len(sent) == 2, "\n\n".join(sent)
    assert states(answer) == {"OPS-1": "planned"}
