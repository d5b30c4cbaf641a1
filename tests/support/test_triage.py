"""Triage: seed 000's priority × severity matrix, the score, and the ranked list from a real
database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from rollout import releases
from rollout.jira.bugs import delete_bug, upsert_bug
from rollout.jira.models import Priority, Severity, StatusCategory
from rollout.support.models import Ticket
from rollout.support.tickets import link_bug
from rollout.support.triage import HeldUp, Recommendation, reach, recommend, score, triage
from tests.conftest import NOW
from tests.factories import make_customer, make_policy, make_region
from tests.support.test_fix_status_use_cases import bug_record
from tests.support.test_tickets import new_ticket

H, N, L = "hotfix_now", "next_window", "later_release"


@pytest.mark.parametrize(
    ("priority", "row"),
    [
        ("critical", [H, H, H, N, N]),
        ("high", [N, N, N, N, L]),
        ("medium", [N, N, L, L, L]),
        ("low", [L, L, L, L, L]),
    ],
)
def test_the_matrix_hotfixes_only_urgent_fixes_of_contained_risk(priority, row):
    assert [recommend(priority, s) for s in Severity] == row


def test_an_unknown_priority_or_severity_reads_as_medium_and_moderate():
    assert recommend(None, None) == recommend("medium", "moderate") == Recommendation.LATER_RELEASE
    assert recommend("critical", None) == Recommendation.HOTFIX_NOW


def test_reach_counts_customers_by_tier_and_further_tickets_by_half():
    assert reach([HeldUp("standard", 1)]) == 1
    assert reach([HeldUp("platinum", 1)]) == 5
    assert reach([HeldUp("gold", 3)]) == 3 * (1 + 0.5 * 2)
    assert reach([HeldUp("silver", 1), HeldUp("standard", 1)]) == 3
    assert reach([]) == 0


def test_a_customer_with_no_ticket_left_adds_nothing_to_the_reach():
    assert reach([HeldUp("gold", 0), HeldUp("standard", 1)]) == 1


def test_the_score_is_priority_weight_times_reach_times_risk_to_two_decimals():
    # Low (1) × gold with two tickets (3 × 1.5) × local (1.25) = 5.625.
    assert score("low", "local", [HeldUp("gold", 2)]) == 5.62
    assert score(None, None, [HeldUp("gold", 1)]) == score(
        "medium", "moderate", [HeldUp("gold", 1)]
    )


def test_tiers_rank_platinum_over_gold_over_silver_over_standard():
    ranked = [score("high", "local", [HeldUp(t, 1)]) for t in ("platinum", "gold", "silver")]
    assert ranked == sorted(ranked, reverse=True) and len(set(ranked)) == 3
    assert score("high", "local", [HeldUp("silver", 1)]) > score(
        "high", "local", [HeldUp("standard", 1)]
    )


def test_priority_outweighs_and_a_contained_fix_goes_first_among_equals():
    one = [HeldUp("gold", 1)]
    assert score("critical", "moderate", one) > score("high", "moderate", one)
    assert score("high", "hyper_local", one) > score("high", "deep_and_wide", one)


def test_more_customers_outrank_more_tickets_from_one_customer():
    assert score("high", None, [HeldUp("gold", 1), HeldUp("gold", 1)]) > score(
        "high", None, [HeldUp("gold", 2)]
    )


@pytest.fixture
def world(session):
    make_region(session, "us")
    make_policy(session, "us")
    tiers = {"plat": "platinum", "gold": "gold", "std": "standard"}
    for slug, tier in tiers.items():
        make_customer(session, slug, "us", tier=tier)
    bugs = {
        "OPS-1": {"priority": Priority.HIGH, "severity": Severity.LOCAL},
        "OPS-2": {"priority": Priority.HIGH, "severity": Severity.LOCAL},
        "OPS-3": {"priority": Priority.CRITICAL, "severity": Severity.HYPER_LOCAL},
        "OPS-4": {"priority": Priority.LOW},  # nobody waits, still open
        "OPS-5": {"status_category": StatusCategory.DONE, "resolution": "Won't Fix"},
        "OPS-6": {"status_category": StatusCategory.DONE, "resolution": "Fixed"},
        "OPS-7": {"priority": Priority.CRITICAL},  # to be deleted in Jira
        "OPS-8": {"status_category": StatusCategory.DONE, "resolution": "Fixed"},  # no tickets
    }
    for key, fields in bugs.items():
        upsert_bug(session, bug_record(key, **fields), now=NOW)
    tickets = {
        "T-1": ("plat", ["OPS-1", "OPS-5", "OPS-6", "OPS-7"]),
        "T-2": ("std", ["OPS-2", "OPS-3"]),
        "T-3": ("std", ["OPS-2"]),
        "T-4": ("gold", ["OPS-3"]),
    }
    for external_id, (customer, keys) in tickets.items():
        new_ticket(session, external_id, customer)
        for key in keys:
            link_bug(session, external_id, key, lookup=None, actor="a", now=NOW)
    delete_bug(session, "OPS-7", updated_at=NOW, now=NOW)
    return session


def test_triage_lists_what_is_still_owed_highest_first(world):
    found = triage(world)
    assert [i.bug.key for i in found] == ["OPS-3", "OPS-1", "OPS-6", "OPS-2", "OPS-4"]
    first = found[0]
    assert (first.tickets, first.customers, first.worst_sla) == (2, 2, 2)
    assert first.recommendation == Recommendation.HOTFIX_NOW
    assert first.tiers == [("gold", 1), ("standard", 1)]
    assert found[-1].score == 0 and found[-1].tickets == 0


@pytest.mark.parametrize("resolution", ["Won\u2019t Fix", " won't fix ", "Wont Fix"])
def test_a_bug_closed_as_wont_fix_however_jira_spells_it_is_not_owed(world, resolution):
    upsert_bug(
        world,
        bug_record("OPS-6", status_category=StatusCategory.DONE, resolution=resolution),
        now=NOW + timedelta(minutes=1),
    )
    assert "OPS-6" not in [i.bug.key for i in triage(world)]


def test_a_customer_with_the_fix_live_no_longer_counts(world):
    releases.create_release(world, version="2026.12", title="December", soak_days=0, now=NOW)
    releases.add_item(world, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.plan_release(world, "2026.12", actor="rm", now=NOW)
    deployment = releases.find_deployment(world, environment="plat-production", release="2026.12")
    releases.report_outcome(
        world, deployment, status="succeeded", actor="ci", now=NOW + timedelta(days=50)
    )
    by_key = {i.bug.key: i for i in triage(world)}
    # Still open in Jira, so listed, but nobody waits for it any more.
    assert by_key["OPS-1"].tickets == 0 and by_key["OPS-1"].carried_by == ["release 2026.12"]


def test_the_limit_keeps_the_top(world):
    assert [i.bug.key for i in triage(world, limit=2)] == ["OPS-3", "OPS-1"]


def test_the_top_read_alone_carries_what_it_carries_in_the_whole_ranking(world):
    # Carriers are read for the bugs shown alone; the rank and what each carries stay exact.
    releases.create_release(world, version="2026.12", title="December", soak_days=0, now=NOW)
    for key in ("OPS-1", "OPS-3", "OPS-4"):
        releases.add_item(world, "2026.12", kind="fix", summary="s", jira_key=key, now=NOW)

    whole = [(i.bug.key, i.score, i.carried_by) for i in triage(world)]
    top = [(i.bug.key, i.score, i.carried_by) for i in triage(world, limit=2)]

    assert top == whole[:2]
    assert whole[0][2] == whole[1][2] == ["release 2026.12"]


def owed(session, key, ticket=None, customer=None, **fields):
    upsert_bug(session, bug_record(key, **fields), now=NOW)
    if ticket:
        if session.scalar(select(Ticket.id).where(Ticket.external_id == ticket)) is None:
            new_ticket(session, ticket, customer)
        link_bug(session, ticket, key, lookup=None, actor="a", now=NOW)


def test_each_customer_counts_once_even_two_of_the_same_tier(world):
    make_customer(world, "std2", "us", tier="standard")
    new_ticket(world, "T-5", "std2")
    link_bug(world, "T-5", "OPS-2", lookup=None, actor="a", now=NOW)
    item = {i.bug.key: i for i in triage(world)}["OPS-2"]
    assert (item.customers, item.tickets) == (2, 3)
    # Standard with two tickets (1.5) and standard with one (1): High (4) × 2.5 × local (1.25).
    assert item.score == 12.5


def test_the_customers_held_up_are_counted_by_tier_highest_first(world):
    make_customer(world, "plat2", "us", tier="platinum")  # made after std, listed before it
    make_customer(world, "silver", "us", tier="silver")
    for ticket, customer in (("T-5", "plat2"), ("T-6", "silver"), ("T-7", "silver")):
        new_ticket(world, ticket, customer)
        link_bug(world, ticket, "OPS-2", lookup=None, actor="a", now=NOW)
    item = {i.bug.key: i for i in triage(world)}["OPS-2"]
    assert item.tiers == [("platinum", 1), ("silver", 1), ("standard", 1)]
    assert (item.customers, item.tickets) == (3, 5)  # std had two already


def test_a_bugs_severity_sets_its_score_and_recommendation(world):
    owed(world, "OPS-9", "T-1", priority=Priority.HIGH, severity=Severity.DEEP_AND_WIDE)
    by_key = {i.bug.key: i for i in triage(world)}
    # Critical (8) × gold and standard (3 + 1) × hyper-local (1.5).
    assert by_key["OPS-3"].score == 48
    assert by_key["OPS-9"].recommendation == Recommendation.LATER_RELEASE


def test_equal_scores_rank_by_priority_then_by_tickets(session):
    make_region(session, "us")
    make_customer(session, "silver", "us", tier="silver")
    make_customer(session, "std", "us")
    # Nobody waits on these: all score 0, so priority decides (none given reads as Medium).
    owed(session, "AA-1", priority=Priority.LOW)
    owed(session, "ZZ-1", priority=None)
    owed(session, "CC-1", priority=Priority.MEDIUM)
    owed(session, "BB-1", priority=Priority.CRITICAL)
    # Equal scores and priority: silver with one ticket, standard with three (reach 2 each).
    owed(session, "DD-1", "TT-1", "silver", priority=Priority.HIGH, severity=Severity.LOCAL)
    for ticket in ("T-2", "T-3", "T-4"):
        owed(session, "EE-1", ticket, "std", priority=Priority.HIGH, severity=Severity.LOCAL)
    assert [i.bug.key for i in triage(session)] == ["EE-1", "DD-1", "BB-1", "CC-1", "ZZ-1", "AA-1"]


def test_a_bug_of_unknown_severity_ranks_as_a_moderate_one(session):
    make_region(session, "us")
    make_customer(session, "silver", "us", tier="silver")
    make_customer(session, "std", "us")
    # Reach 2 each: the scores tie, so the three tickets rank first.
    owed(session, "DD-1", "T-1", "silver", priority=Priority.HIGH, severity=None)
    for ticket in ("T-2", "T-3", "T-4"):
        owed(session, "EE-1", ticket, "std", priority=Priority.HIGH, severity=Severity.MODERATE)
    found = triage(session)
    assert [i.bug.key for i in found] == ["EE-1", "DD-1"]
    assert found[0].score == found[1].score


def test_a_bug_lists_only_what_carries_it_by_item_fix_version_or_hotfix(world):
    releases.create_release(world, version="2026.12", title="December", now=NOW)
    releases.add_item(world, "2026.12", kind="fix", summary="s", jira_key="OPS-1", now=NOW)
    releases.create_release(world, version="2027.01", title="January", now=NOW)
    owed(world, "OPS-9", "T-1", fix_versions=("2027.01",))
    patch = releases.request_hotfix(
        world,
        title="Patch",
        urgency="normal",
        jira_key="OPS-2",
        customers=["std"],
        actor="rm",
        now=NOW,
    )
    by_key = {i.bug.key: i.carried_by for i in triage(world)}
    assert by_key["OPS-1"] == ["release 2026.12"]
    assert by_key["OPS-9"] == ["release 2027.01"]
    assert by_key["OPS-2"] == [f"hotfix #{patch.id}"]
    assert by_key["OPS-3"] == []


def test_a_deleted_bug_nobody_waits_for_is_not_owed(world):
    delete_bug(world, "OPS-4", updated_at=NOW + timedelta(minutes=1), now=NOW)
    assert "OPS-4" not in [i.bug.key for i in triage(world)]


def statements(session, read) -> int:
    """How many statements `read()` sends."""
    sent = []
    engine = session.get_bind()
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(sent)


def test_a_full_screen_of_bugs_someone_waits_for_is_one_ranked_read_and_the_carriers(world):
    full = statements(world, lambda: triage(world, limit=2))
    # A screen the bugs someone waits for do not fill counts them and reads the others too.
    assert statements(world, lambda: triage(world, limit=50)) == full + 2
    assert full == 2
