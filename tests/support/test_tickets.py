"""Tickets and their links to bugs against a real database, and closing the loop: a fix that
reaches a customer's production marks that customer's tickets and tells the requester."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from rollout import releases
from rollout.customers import get_customer
from rollout.errors import Conflict, Invalid, NotFound
from rollout.jira.bugs import delete_bug, upsert_bug
from rollout.jira.models import Bug, JiraPush
from rollout.notifications import create_contact, create_endpoint
from rollout.notifications.models import Contact, Notification
from rollout.notifications.triggers import tickets_fix_live
from rollout.support.fix_live import recheck_bugs, record_fix_live
from rollout.support.models import TicketBug
from rollout.support.tickets import (
    check_url,
    create_ticket,
    first_delivery,
    get_ticket,
    link_bug,
    save_ticket,
    unlink_bug,
    update_ticket,
)
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region
from tests.support.test_fix_status_use_cases import bug_record

# After the windows these tests deploy in: a success then did not run early.
LATER = NOW + timedelta(days=90)


def new_ticket(session, external_id="ZD-1", customer="acme", **overrides):
    fields = {
        "url": f"https://help.example.com/tickets/{external_id}",
        "customer": customer,
        "requester_name": " Dana Scully ",
        "requester_email": "Dana@ACME.example",
        "subject": "Exports time out",
        "sla_level": 2,
    }
    return create_ticket(session, external_id=external_id, now=NOW, **(fields | overrides))


@pytest.fixture
def world(session):
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    for key in ("OPS-1", "OPS-2"):
        upsert_bug(session, bug_record(key), now=NOW)
    return session


def links(session) -> list[TicketBug]:
    return list(session.scalars(select(TicketBug).order_by(TicketBug.id)))


def test_a_ticket_keeps_what_the_help_desk_sent_tidied(world):
    ticket = new_ticket(world)
    assert (ticket.requester_name, ticket.requester_email) == ("Dana Scully", "Dana@acme.example")
    assert get_ticket(world, "ZD-1") is ticket
    with pytest.raises(Conflict):
        new_ticket(world)


def test_a_refused_change_leaves_the_ticket_as_it_was(world):
    new_ticket(world)
    with pytest.raises(Invalid) as refused:
        update_ticket(world, "ZD-1", subject="New subject", sla_level=9, now=LATER)
    assert refused.value.field == "sla_level"
    assert get_ticket(world, "ZD-1").subject == "Exports time out"


@given(st.builds(str.__add__, st.sampled_from(["https://", "https://["]), st.text(max_size=60)))
@example("https://[::1/x")
@example("https://help.example.com:port/1")
def test_any_text_given_as_the_url_is_taken_or_refused_naming_the_url(text):
    try:
        assert check_url(text) == text.strip()
    except Invalid as refused:
        assert refused.field == "url"


def test_a_ticket_needs_every_field_when_created(world):
    with pytest.raises(Invalid) as refused:
        new_ticket(world, "ZD-2", customer=None)
    assert refused.value.field == "customer"


def test_save_creates_then_updates(world):
    fields = {
        "url": "https://h.example/3",
        "customer": "acme",
        "requester_name": "Dana",
        "requester_email": "dana@acme.example",
        "subject": "One",
        "sla_level": 3,
    }
    first = save_ticket(world, external_id="ZD-3", now=NOW, **fields)
    second = save_ticket(world, external_id="ZD-3", now=LATER, **(fields | {"subject": "Two"}))
    assert first is second and second.subject == "Two" and second.updated_at == LATER


def test_a_known_bug_is_linked_without_asking_jira(world):
    new_ticket(world)
    asked = []
    link = link_bug(world, "ZD-1", "OPS-1", lookup=asked.append, actor="agent", now=NOW)
    assert link.bug.key == "OPS-1" and asked == []
    assert link_bug(world, "ZD-1", "OPS-1", lookup=None, actor="agent", now=NOW) is link
    assert len(links(world)) == 1
    assert world.scalar(select(func.count(JiraPush.id))) == 1


def test_an_unsynced_bug_is_read_through_the_lookup_and_kept(world):
    new_ticket(world)
    link_bug(world, "ZD-1", "OPS-9", lookup=lambda key: bug_record(key), actor="a", now=NOW)
    assert (
        world.scalar(select(Bug.summary).where(Bug.key == "OPS-9")) == "Internal summary of OPS-9"
    )


@pytest.mark.parametrize(
    ("lookup", "message"),
    [(None, "not configured"), (lambda key: None, "Jira has no issue OPS-9")],
)
def test_a_bug_nobody_knows_is_refused_naming_the_bug(world, lookup, message):
    new_ticket(world)
    with pytest.raises(Invalid) as refused:
        link_bug(world, "ZD-1", "OPS-9", lookup=lookup, actor="a", now=NOW)
    assert refused.value.field == "bug" and message in refused.value.message
    assert links(world) == []


def test_a_bug_deleted_in_jira_cannot_be_linked(world):
    new_ticket(world)
    delete_bug(world, "OPS-2", updated_at=NOW, now=NOW)
    with pytest.raises(Invalid) as refused:
        link_bug(world, "ZD-1", "OPS-2", lookup=None, actor="a", now=NOW)
    assert "deleted" in refused.value.message


def test_unlinking_twice_is_harmless(world):
    new_ticket(world)
    link_bug(world, "ZD-1", "OPS-1", lookup=None, actor="a", now=NOW)
    assert unlink_bug(world, "ZD-1", "OPS-1", now=NOW) is True
    assert unlink_bug(world, "ZD-1", "OPS-1", now=NOW) is False
    with pytest.raises(NotFound):
        unlink_bug(world, "ZD-404", "OPS-1", now=NOW)


def test_a_delivery_is_first_once(world):
    assert first_delivery(world, source="helpdesk", identifier="x", now=NOW)
    assert not first_delivery(world, source="helpdesk", identifier="x", now=NOW)
    assert first_delivery(world, source="jira", identifier="x", now=NOW)


# ---- closing the loop ---------------------------------------------------------------------


@pytest.fixture
def shipped(world):
    """OPS-1 in release 2026.12 (soak 0); acme and globex tickets on OPS-1, acme on OPS-2."""
    releases.create_release(world, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.add_item(world, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.plan_release(world, "2026.12", actor="rm", now=NOW)
    new_ticket(world, "ZD-1", "acme")
    new_ticket(world, "ZD-2", "globex", requester_email="gil@globex.example")
    for ticket, key in (("ZD-1", "OPS-1"), ("ZD-1", "OPS-2"), ("ZD-2", "OPS-1")):
        link_bug(world, ticket, key, lookup=None, actor="a", now=NOW)
    return world


def live(session) -> dict[tuple[str, str], object]:
    return {(lk.ticket.external_id, lk.bug.key): lk.fix_live_at for lk in links(session)}


def deploy(session, environment, status, at, **target):
    found = releases.find_deployment(session, environment=environment, **target)
    releases.report_outcome(session, found, status=status, actor="ci", now=at)
    return found


def test_a_production_success_marks_that_customers_tickets_and_tells_the_requester(shipped):
    deploy(shipped, "acme-preview", "succeeded", LATER, release="2026.12")
    assert set(live(shipped).values()) == {None}
    deploy(shipped, "acme-production", "succeeded", LATER + timedelta(days=28), release="2026.12")
    assert live(shipped) == {
        ("ZD-1", "OPS-1"): LATER + timedelta(days=28),
        ("ZD-1", "OPS-2"): None,
        ("ZD-2", "OPS-1"): None,
    }
    told = list(
        shipped.scalars(select(Notification).where(Notification.event == "ticket.fix_live"))
    )
    assert [(n.address, n.payload["ticket"]["external_id"]) for n in told] == [
        ("Dana@acme.example", "ZD-1")
    ]


def test_a_rollback_clears_it_and_a_redeploy_sets_it_again(shipped):
    at = LATER + timedelta(days=28)
    deployment = deploy(shipped, "acme-production", "succeeded", at, release="2026.12")
    releases.report_outcome(
        shipped, deployment, status="rolled_back", actor="rm", now=at + timedelta(hours=2)
    )
    assert live(shipped)[("ZD-1", "OPS-1")] is None
    releases.report_outcome(
        shipped, deployment, status="succeeded", actor="ci", now=at + timedelta(days=1)
    )
    assert live(shipped)[("ZD-1", "OPS-1")] == at + timedelta(days=1)
    told = shipped.scalars(
        select(Notification)
        .where(Notification.event == "ticket.fix_live")
        .order_by(Notification.id)
    )
    assert [n.payload["live_since"] for n in told] == [  # the fix back is news again
        at.isoformat(),
        (at + timedelta(days=1)).isoformat(),
    ]


def test_a_rollback_keeps_it_while_a_hotfix_still_carries_the_fix(shipped):
    patch = releases.request_hotfix(
        shipped,
        title="p",
        urgency="normal",
        jira_key="OPS-1",
        customers=["acme"],
        actor="rm",
        now=NOW,
    )
    hotfix_live = max(d.window.ends_at for d in patch.deployments)
    for deployment in patch.deployments:
        releases.report_outcome(
            shipped, deployment, status="succeeded", actor="ci", now=hotfix_live
        )
    assert live(shipped)[("ZD-1", "OPS-1")] == hotfix_live
    assert live(shipped)[("ZD-2", "OPS-1")] is None  # acme's patch is not globex's fix
    at = LATER + timedelta(days=28)
    deployment = deploy(shipped, "acme-production", "succeeded", at, release="2026.12")
    releases.report_outcome(shipped, deployment, status="rolled_back", actor="rm", now=at)
    assert live(shipped)[("ZD-1", "OPS-1")] == hotfix_live


def test_a_fix_version_naming_the_release_closes_the_loop_too(shipped):
    upsert_bug(shipped, bug_record("OPS-2", fix_versions=("2026.12",), updated_at=NOW), now=NOW)
    deploy(shipped, "acme-production", "succeeded", LATER + timedelta(days=28), release="2026.12")
    assert live(shipped)[("ZD-1", "OPS-2")] == LATER + timedelta(days=28)


def test_a_fix_version_added_in_jira_marks_the_customers_already_having_that_release(shipped):
    at = LATER + timedelta(days=28)
    link_bug(shipped, "ZD-2", "OPS-2", lookup=None, actor="a", now=NOW)
    deploy(shipped, "acme-production", "succeeded", at, release="2026.12")
    record = bug_record("OPS-2", fix_versions=("2026.12",), updated_at=at + timedelta(days=1))
    bug = upsert_bug(shipped, record, now=at + timedelta(days=1))
    became_live = recheck_bugs(shipped, [bug], now=at + timedelta(days=1))
    assert [(lk.ticket.external_id, lk.fix_live_at) for lk in became_live] == [("ZD-1", at)]
    assert live(shipped)[("ZD-2", "OPS-2")] is None  # globex has not got 2026.12 yet
    assert recheck_bugs(shipped, [bug], now=at + timedelta(days=2)) == []
    told = shipped.scalars(
        select(Notification.payload).where(Notification.event == "ticket.fix_live")
    )
    # OPS-1 when the release went live, OPS-2 when Jira said it carried it too; once each.
    assert [p["ticket"]["external_id"] for p in told] == ["ZD-1", "ZD-1"]


def test_a_ticket_linked_after_the_fix_went_live_knows_at_once_without_a_message(shipped):
    at = LATER + timedelta(days=28)
    deploy(shipped, "globex-production", "succeeded", at, release="2026.12")
    new_ticket(shipped, "ZD-3", "globex", requester_email="late@globex.example")
    link = link_bug(shipped, "ZD-3", "OPS-1", lookup=None, actor="a", now=at + timedelta(days=2))
    assert link.fix_live_at == at
    told = shipped.scalars(
        select(Notification.address).where(Notification.event == "ticket.fix_live")
    )
    assert "late@globex.example" not in list(told)


def test_recording_is_idempotent_and_ignores_preview(shipped):
    at = LATER + timedelta(days=28)
    production = deploy(shipped, "acme-production", "succeeded", at, release="2026.12")
    assert record_fix_live(shipped, [production], now=at + timedelta(days=3)) == []
    assert live(shipped)[("ZD-1", "OPS-1")] == at
    preview = releases.find_deployment(shipped, environment="globex-preview", release="2026.12")
    assert record_fix_live(shipped, [preview], now=at) == []


@pytest.fixture
def wave_shipped(world):
    """shipped's release planned for acme, globex and initech (all in us), with a second acme
    ticket on OPS-1 and an initech ticket on OPS-2 only; returns the production wave."""
    make_customer(world, "initech", "us")
    releases.create_release(world, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.add_item(world, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    planned = releases.plan_release(world, "2026.12", actor="rm", now=NOW)
    new_ticket(world, "ZD-1", "acme")
    new_ticket(world, "ZD-2", "globex", requester_email="gil@globex.example")
    new_ticket(world, "ZD-3", "acme", requester_email="sam@acme.example")
    new_ticket(world, "ZD-4", "initech", requester_email="ian@initech.example")
    for ticket, key in (("ZD-1", "OPS-1"), ("ZD-1", "OPS-2"), ("ZD-2", "OPS-1")):
        link_bug(world, ticket, key, lookup=None, actor="a", now=NOW)
    for ticket, key in (("ZD-3", "OPS-1"), ("ZD-4", "OPS-2")):
        link_bug(world, ticket, key, lookup=None, actor="a", now=NOW)
    (production,) = [w for w in planned.waves if w.environment_kind == "production"]
    assert len(production.deployments) == 3
    return production


def told(session) -> list[tuple[str, str]]:
    found = session.scalars(select(Notification).where(Notification.event == "ticket.fix_live"))
    return sorted((n.address, n.payload["ticket"]["external_id"]) for n in found)


def test_reporting_a_production_wave_marks_each_customers_tickets_and_tells_each_requester_once(
    wave_shipped, world
):
    at = LATER + timedelta(days=28)
    releases.report_wave(world, wave_shipped.id, status="succeeded", actor="ci", now=at)
    assert live(world) == {
        ("ZD-1", "OPS-1"): at,
        ("ZD-1", "OPS-2"): None,  # not in the release
        ("ZD-2", "OPS-1"): at,
        ("ZD-3", "OPS-1"): at,
        ("ZD-4", "OPS-2"): None,
    }
    assert told(world) == [
        ("Dana@acme.example", "ZD-1"),
        ("gil@globex.example", "ZD-2"),
        ("sam@acme.example", "ZD-3"),
    ]


def test_a_wave_tells_each_requester_and_subscribed_endpoint_once_per_ticket_it_makes_live(
    wave_shipped, world
):
    acme, globex = (get_customer(world, slug) for slug in ("acme", "globex"))
    create_contact(world, acme, name="Sam", email="sam@acme.example", now=NOW)

    def public(host, port):
        return ["93.184.216.34"]

    for customer, url, topics in (
        (acme, "https://hooks.acme.example/in", ["ticket_updates"]),
        (acme, "https://status.acme.example/in", ["maintenance"]),
        (globex, "https://hooks.globex.example/in", ["ticket_updates"]),
    ):
        create_endpoint(world, customer, url=url, topics=topics, resolver=public, now=NOW)
    new_ticket(world, "ZD-5", "globex", requester_email="gil@globex.example")
    link_bug(world, "ZD-5", "OPS-1", lookup=None, actor="a", now=NOW)
    at = LATER + timedelta(days=28)
    releases.report_wave(world, wave_shipped.id, status="succeeded", actor="ci", now=at)
    assert told(world) == [
        ("Dana@acme.example", "ZD-1"),
        ("gil@globex.example", "ZD-2"),
        ("gil@globex.example", "ZD-5"),
        ("https://hooks.acme.example/in", "ZD-1"),
        ("https://hooks.acme.example/in", "ZD-3"),
        ("https://hooks.globex.example/in", "ZD-2"),
        ("https://hooks.globex.example/in", "ZD-5"),
        ("sam@acme.example", "ZD-3"),
    ]
    contacts = world.execute(select(Contact.customer_id, Contact.email).order_by(Contact.email))
    assert [(c, e) for c, e in contacts] == [
        (acme.id, "Dana@acme.example"),
        (globex.id, "gil@globex.example"),
        (acme.id, "sam@acme.example"),
    ]
    again = [(lk.ticket, lk.bug, lk.fix_live_at) for lk in links(world) if lk.fix_live_at]
    assert tickets_fix_live(world, again, now=at) == 0


def test_rolling_a_production_wave_back_clears_each_customers_tickets_and_tells_nobody_again(
    wave_shipped, world
):
    at = LATER + timedelta(days=28)
    releases.report_wave(world, wave_shipped.id, status="succeeded", actor="ci", now=at)
    releases.report_wave(world, wave_shipped.id, status="rolled_back", actor="rm", now=at)
    assert set(live(world).values()) == {None}
    assert len(told(world)) == 3


def test_the_demo_holds_a_ticket_in_each_fix_state_and_loads_once(session):
    from rollout.demo import load_demo
    from rollout.support.demo import TICKETS
    from rollout.support.fix_status.answers import fix_status_for_ticket

    assert load_demo(session, now=NOW, context=CONTEXT)
    found = {
        (ticket, item.status.bug): str(item.status.state)
        for ticket in TICKETS
        for item in fix_status_for_ticket(session, ticket, now=NOW).items
    }
    assert set(found.values()) == {
        "deployed",
        "in_preview",
        "planned",
        "hotfix_scheduled",
        "not_planned",
        "wont_fix",
    }
    # Stark's patch is live for Stark; Wayne, who reported the same bug, is not patched.
    assert found[("ZD-4120", "OPS-163")] == "deployed"
    assert found[("ZD-4130", "OPS-163")] == "not_planned"
    french = fix_status_for_ticket(session, "FR-2201", now=NOW)
    assert french.lang == "fr" and french.reply.startswith("Le correctif de OPS-151 est déployé")
    tickets = len(links(session))
    assert not load_demo(session, now=NOW, context=CONTEXT)
    assert len(links(session)) == tickets


def test_a_ticket_moved_to_another_customer_follows_that_customers_deployments(shipped):
    at = LATER + timedelta(days=28)
    deploy(shipped, "acme-production", "succeeded", at, release="2026.12")
    assert live(shipped)[("ZD-1", "OPS-1")] == at
    update_ticket(shipped, "ZD-1", customer="globex", now=at)
    assert live(shipped)[("ZD-1", "OPS-1")] is None
