"""Hotfixes against a real database: zero-days that wait for a second approval and open
emergency windows, normal hotfixes in the next regular window, patches for one customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout import customers, releases
from rollout.customers import get_customer
from rollout.errors import Conflict, Forbidden, Invalid, NotFound
from rollout.freezes import create_freeze
from rollout.releases import (
    HotfixStatus,
)
from rollout.windows import (
    PUBLIC,
    STAFF,
    Audience,
    WindowKind,
    list_windows,
)
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_region
from tests.rollout.releases.helpers import (
    DEC,
    JAN,
    refused,
    regular,
    world,
    zero_day,
)


def test_a_zero_day_needs_a_justification(session):
    world(session)

    with refused(session, Invalid) as caught:
        releases.request_hotfix(
            session, title="CVE", urgency="zero_day", justification="  ", actor="alice", now=NOW
        )
    assert caught.value.field == "justification"


def test_a_zero_day_waits_for_approval_and_the_requester_cannot_give_it(session):
    world(session)
    hotfix = zero_day(session)
    assert hotfix.status == HotfixStatus.AWAITING_APPROVAL and hotfix.deployments == []

    for same_person in ("alice", " Alice "):
        with refused(session, Forbidden) as caught:
            releases.approve_hotfix(session, hotfix.id, actor=same_person, now=NOW, context=CONTEXT)
        assert caught.value.field == "approved_by"
    assert hotfix.approved_by is None


def test_customers_do_not_see_a_zero_day_before_it_is_approved(session):
    world(session)
    hotfix = zero_day(session)
    acme = get_customer(session, "acme")
    assert releases.list_hotfixes(session, customer=acme) == []

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    assert releases.list_hotfixes(session, customer=acme) == [hotfix]
    titles = {d.window.title for d in hotfix.deployments}
    assert titles == {"Emergency maintenance"}, "the public title must not name the hole"


def test_approving_a_zero_day_for_everyone_opens_an_emergency_window_in_each_region(session):
    world(session)
    hotfix = zero_day(session)

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    assert (hotfix.status, hotfix.approved_by, hotfix.approved_at) == ("scheduled", "bob", NOW)
    windows = {d.window for d in hotfix.deployments}
    assert sorted((w.region.slug, w.customer_id, w.kind) for w in windows) == [
        ("eu", None, "emergency"),
        ("us", None, "emergency"),
    ]
    assert {(w.starts_at, w.ends_at) for w in windows} == {
        (NOW + timedelta(minutes=30), NOW + timedelta(minutes=90))
    }
    assert all(w.justification == "Exploited in the wild" for w in windows)
    assert len(hotfix.deployments) == 6
    public = list_windows(session, start=NOW, end=NOW + timedelta(days=1), audience=PUBLIC)
    assert windows <= set(public)
    with refused(session, Conflict, "is scheduled"):
        releases.approve_hotfix(session, hotfix.id, actor="carol", now=NOW, context=CONTEXT)


def test_an_emergency_window_waits_for_a_regions_freeze_to_end_then_its_business_hours(session):
    world(session)
    create_freeze(
        session,
        title="EU network work",
        region="eu",
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=3, minutes=7),
        actor="rm",
        now=NOW,
    )
    hotfix = zero_day(session)

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    starts = {d.window.region.slug: d.window.starts_at for d in hotfix.deployments}
    # The freeze ends on Wednesday at 12:07 in Dublin (GMT): the window waits until 17:00.
    assert starts == {
        "us": NOW + timedelta(minutes=30),
        "eu": datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
    }


def test_an_approval_that_finds_no_emergency_slot_leaves_nothing_behind(session):
    world(session)
    create_freeze(
        session,
        title="EU data-centre move",
        region="eu",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=14),
        actor="rm",
        now=NOW,
    )
    hotfix = zero_day(session)

    # The us window would fit; eu finds none within a week, so neither is kept.
    with refused(session, Conflict, "no free emergency slot within a week") as caught:
        releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)
    assert caught.value.field == "windows"
    assert hotfix.status == HotfixStatus.AWAITING_APPROVAL and hotfix.approved_by is None


def test_approving_a_zero_day_patch_opens_a_window_only_that_customer_sees(session):
    world(session)
    hotfix = zero_day(session, customers=["acme"])

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    (window,) = {d.window for d in hotfix.deployments}
    assert window.kind == WindowKind.EMERGENCY and window.customer.slug == "acme"
    assert sorted(d.environment.name for d in hotfix.deployments) == [
        "acme-preview",
        "acme-production",
    ]
    day = {"start": NOW, "end": NOW + timedelta(days=1)}
    assert window not in list_windows(session, **day, audience=PUBLIC)
    assert window in list_windows(session, **day, audience=STAFF)
    assert window in list_windows(session, **day, audience=Audience(customer_id=window.customer_id))
    globex = get_customer(session, "globex")
    assert window not in list_windows(session, **day, audience=Audience(customer_id=globex.id))


def test_a_normal_hotfix_goes_in_the_next_regular_window_without_approval(session):
    world(session)

    hotfix = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="alice", now=NOW
    )

    assert hotfix.status == HotfixStatus.SCHEDULED and hotfix.approved_by is None
    assert {d.window for d in hotfix.deployments} == {
        regular(session, "us", DEC),
        regular(session, "eu", DEC),
    }
    assert len(hotfix.deployments) == 6


def test_a_normal_hotfix_waits_for_a_customers_event_plan_to_end(session):
    world(session)
    december = regular(session, "eu", DEC)
    create_freeze(
        session,
        title="Initech launch",
        customer="initech",
        starts_at=december.starts_at - timedelta(days=1),
        ends_at=december.ends_at + timedelta(days=1),
        actor="rm",
        now=NOW,
    )

    hotfix = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="alice", now=NOW
    )

    windows = {d.environment.customer.slug: d.window for d in hotfix.deployments}
    assert windows == {
        "acme": regular(session, "us", DEC),
        "globex": regular(session, "us", DEC),
        "initech": regular(session, "eu", JAN),
    }


def test_a_normal_hotfix_with_no_allowed_window_ahead_is_refused_and_leaves_nothing(session):
    world(session)
    create_freeze(
        session,
        title="Acme audit",
        customer="acme",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=3650),
        actor="rm",
        now=NOW,
    )

    with refused(session, Conflict, "no regular window ahead for acme") as caught:
        releases.request_hotfix(
            session, title="Export fix", urgency="normal", actor="alice", now=NOW
        )
    assert caught.value.field == "windows"


def test_a_normal_hotfix_with_no_window_planned_is_refused_and_leaves_nothing(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")

    with refused(session, Conflict, "no regular window ahead for acme"):
        releases.request_hotfix(
            session, title="Export fix", urgency="normal", actor="alice", now=NOW
        )


def test_a_patch_deploys_only_to_its_customers_environments_and_only_they_see_it(session):
    world(session)

    patch = releases.request_hotfix(
        session,
        title="Acme import patch",
        urgency="normal",
        customers=["acme", "acme"],
        actor="alice",
        now=NOW,
    )
    everyone = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="alice", now=NOW
    )

    assert patch.is_patch and [c.slug for c in patch.customers] == ["acme"]
    assert sorted(d.environment.name for d in patch.deployments) == [
        "acme-preview",
        "acme-production",
    ]
    acme, globex = get_customer(session, "acme"), get_customer(session, "globex")
    assert releases.list_hotfixes(session, customer=globex) == [everyone]
    assert releases.list_hotfixes(session, customer=acme) == [everyone, patch]
    assert releases.list_hotfixes(session) == [everyone, patch]


def test_a_patch_for_an_unknown_customer_is_refused_and_leaves_nothing(session):
    world(session)

    with refused(session, NotFound) as caught:
        releases.request_hotfix(
            session,
            title="Patch",
            urgency="normal",
            customers=["acme", "nobody"],
            actor="a",
            now=NOW,
        )
    assert caught.value.field == "customers"


# Emergency start times: the business-hours default, or a start chosen at request or approval

MONDAY_1350_UTC = datetime(2026, 11, 23, 13, 50, tzinfo=UTC)  # 08:50 in New York


def test_an_emergency_window_defaults_to_after_each_regions_business_hours(session):
    world(session)
    make_region(session, "apac")
    make_customer(session, "wombat", "apac")
    hotfix = zero_day(session, now=MONDAY_1350_UTC)

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=MONDAY_1350_UTC, context=CONTEXT)

    starts = {d.window.region.slug: d.window.starts_at for d in hotfix.deployments}
    assert starts == {
        # 09:20 in New York is business hours: 17:00 EST.
        "us": datetime(2026, 11, 23, 22, 0, tzinfo=UTC),
        # 14:20 in Dublin: 17:00 GMT.
        "eu": datetime(2026, 11, 23, 17, 0, tzinfo=UTC),
        # 01:20 on Tuesday in Sydney: outside business hours already.
        "apac": datetime(2026, 11, 23, 14, 30, tzinfo=UTC),
    }


def test_a_region_with_other_business_hours_gets_its_own_default(session):
    world(session)
    customers.update_region(session, "us", business_opens="06:00", business_closes="22:00")
    hotfix = zero_day(session, now=MONDAY_1350_UTC)

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=MONDAY_1350_UTC, context=CONTEXT)

    starts = {d.window.region.slug: d.window.starts_at for d in hotfix.deployments}
    assert starts["us"] == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 EST


def test_the_approver_chooses_a_start_per_region_or_one_for_all(session):
    world(session)
    hotfix = zero_day(session)
    eu_start = NOW + timedelta(hours=5)
    every = NOW + timedelta(hours=2)

    releases.approve_hotfix(
        session,
        hotfix.id,
        start=every,
        starts={"eu": eu_start},
        actor="bob",
        now=NOW,
        context=CONTEXT,
    )

    starts = {d.window.region.slug: d.window.starts_at for d in hotfix.deployments}
    assert starts == {"us": every, "eu": eu_start}


def test_the_requesters_chosen_start_is_used_unless_the_approver_chooses_again(session):
    world(session)
    chosen = NOW + timedelta(hours=3)
    hotfix = releases.request_hotfix(
        session,
        title="CVE",
        urgency="zero_day",
        justification="Exploited",
        emergency_starts={"us": chosen},
        actor="alice",
        now=NOW,
    )

    releases.approve_hotfix(
        session,
        hotfix.id,
        starts={"eu": chosen + timedelta(hours=1)},
        actor="bob",
        now=NOW,
        context=CONTEXT,
    )

    starts = {d.window.region.slug: d.window.starts_at for d in hotfix.deployments}
    assert starts == {"us": chosen, "eu": chosen + timedelta(hours=1)}


@pytest.mark.parametrize(
    ("starts", "field", "message"),
    [
        ({"us": NOW - timedelta(hours=1)}, "starts.us", "in the past"),
        ({"apac": NOW + timedelta(hours=1)}, "starts.apac", "reaches no customer in region"),
    ],
)
def test_a_chosen_start_in_the_past_or_for_another_region_is_refused(
    session, starts, field, message
):
    world(session)
    hotfix = zero_day(session)

    with refused(session, Invalid, message) as caught:
        releases.approve_hotfix(
            session, hotfix.id, starts=starts, actor="bob", now=NOW, context=CONTEXT
        )
    assert caught.value.field == field
    assert hotfix.status == HotfixStatus.AWAITING_APPROVAL


def test_a_chosen_start_inside_a_freeze_is_refused_not_moved(session):
    world(session)
    create_freeze(
        session,
        title="EU network work",
        region="eu",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=1),
        actor="rm",
        now=NOW,
    )
    hotfix = zero_day(session)

    with refused(session, Conflict, "the emergency start chosen for eu") as caught:
        releases.approve_hotfix(
            session,
            hotfix.id,
            starts={"eu": NOW + timedelta(hours=2)},
            actor="bob",
            now=NOW,
            context=CONTEXT,
        )
    assert caught.value.field == "starts.eu"
    assert hotfix.deployments == []


def test_a_normal_hotfix_takes_no_emergency_start(session):
    world(session)

    with refused(session, Invalid) as caught:
        releases.request_hotfix(
            session,
            title="Fix",
            urgency="normal",
            emergency_start=NOW + timedelta(hours=1),
            actor="alice",
            now=NOW,
        )
    assert caught.value.field == "emergency_start"


def test_the_preview_shows_what_the_approval_then_does_and_writes_nothing(session):
    world(session)
    hotfix = zero_day(session, now=MONDAY_1350_UTC)

    slots = releases.preview_approval(
        session, hotfix.id, actor="bob", now=MONDAY_1350_UTC, context=CONTEXT
    )

    assert [(s.region, s.starts_at, s.timezone, s.chosen) for s in slots] == [
        ("eu", datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "Europe/Dublin", False),
        ("us", datetime(2026, 11, 23, 22, 0, tzinfo=UTC), "America/New_York", False),
    ]
    assert hotfix.status == HotfixStatus.AWAITING_APPROVAL and hotfix.deployments == []
    assert not [
        w
        for w in list_windows(session, start=NOW, end=NOW + timedelta(days=8), audience=STAFF)
        if w.kind == WindowKind.EMERGENCY
    ]
    releases.approve_hotfix(session, hotfix.id, actor="bob", now=MONDAY_1350_UTC, context=CONTEXT)
    assert {d.window.starts_at for d in hotfix.deployments} == {s.starts_at for s in slots}


def test_only_someone_other_than_the_requester_may_approve(session):
    world(session)
    hotfix = zero_day(session)

    assert not releases.may_approve(hotfix, " ALICE")
    assert releases.may_approve(hotfix, "bob")
