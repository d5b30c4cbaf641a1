"""Planning's bulk INSERT stores exactly what one ORM object per window stored: the same
windows at the same instants, ids in the same order, the same revisions and audit entries;
and it takes a fixed handful of statements however many years it plans."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from rollout.audit import AuditEntry, author_info
from rollout.customers import get_region
from rollout.freezes import create_freeze
from rollout.scheduling import parse_zone
from rollout.windows import (
    MaintenancePolicy,
    Window,
    WindowAction,
    WindowKind,
    WindowStatus,
    create_window,
    plan_policy,
    plan_windows,
)
from rollout.windows.planning import _obstacles, obstacle_reason, policy_occurrences
from rollout.windows.revisions import record
from tests.conftest import NOW
from tests.factories import CONTEXT, make_policy, make_region
from tests.statements import statements

UNTIL = NOW + timedelta(days=2 * 366)
# (zone, rule, minutes): Sundays at 02:30 fall in Sydney's spring gap and its autumn fold;
# at 01:30 in Dublin's gap and fold and New York's fold; 02:30 in New York's gap. The daily
# 36-hour window overlaps the one planned the day before, every other day.
RULES = [
    ("Australia/Sydney", "30 2 * * 0", 120),
    ("Europe/Dublin", "30 1 * * 0", 90),
    ("America/New_York", "30 1 * * 0", 60),
    ("America/New_York", "30 2 * * 0", 60),
    ("Europe/Dublin", "0 9 * * *", 36 * 60),
]


def unplanned_policy(session, region: str, zone: str, cron: str, minutes: int):
    """A policy as create_policy makes it, before it plans anything."""
    policy = MaintenancePolicy(
        region=get_region(session, region),
        title="Weekly maintenance",
        cron=cron,
        timezone=zone,
        duration_minutes=minutes,
        active_from=NOW.astimezone(parse_zone(zone)).date(),
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(policy)
    session.flush()
    return policy


def plan_one_by_one(session, policy, *, until: datetime) -> None:
    """Planning as it was before the bulk INSERT: an ORM window and revision per occurrence,
    each checked against every freeze and every window before it."""
    freezes, windows = _obstacles(session, policy.region_id, NOW, until)
    for occurrence in policy_occurrences(policy, after=NOW, until=until):
        window = Window(
            region_id=policy.region_id,
            region=policy.region,
            policy_id=policy.id,
            occurrence=occurrence.local_start,
            kind=WindowKind.REGULAR,
            status=WindowStatus.PLANNED,
            title=policy.title,
            starts_at=occurrence.span.start,
            ends_at=occurrence.span.end,
            timezone=policy.timezone,
            sequence=0,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(window)
        reason = obstacle_reason(occurrence.span, freezes, windows)
        if reason:
            window.status = WindowStatus.CANCELLED
            record(window, WindowAction.SKIPPED, actor="planner", reason=reason, now=NOW)
        else:
            reason = f"planned from policy #{policy.id}"
            record(window, WindowAction.CREATED, actor="planner", reason=reason, now=NOW)
            windows.append(window)
    policy.planned_until = until
    session.flush()


def stored(session, region: str, names: dict[tuple[str, int], str]) -> tuple[list, list]:
    """The region's planned windows with their revisions, and their audit entries, in id
    order, with the ids that differ between two regions named by `names`' roles."""
    session.expire_all()
    region_id = get_region(session, region).id
    windows = list(
        session.scalars(
            select(Window)
            .where(Window.region_id == region_id, Window.kind == WindowKind.REGULAR)
            .order_by(Window.id)
        )
    )
    roles = names | {("window", w.id): "new" for w in windows}
    roles |= {("policy", w.policy_id): "policy" for w in windows}

    def named(text: str) -> str:
        return re.sub(
            r"\b(freeze|window|policy) #(\d+)\b",
            lambda m: f"{m[1]} #{roles.get((m[1], int(m[2])), m[2])}",
            text,
        )

    listed = [
        (
            w.occurrence,
            w.kind,
            w.status,
            w.title,
            w.starts_at,
            w.ends_at,
            w.timezone,
            w.sequence,
            w.created_at,
            w.updated_at,
            w.customer_id,
            [
                (r.sequence, r.action, r.status, r.starts_at, r.ends_at, r.actor, named(r.reason))
                for r in w.revisions
            ],
        )
        for w in windows
    ]
    rank = {w.id: n for n, w in enumerate(windows)}
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "window", AuditEntry.entity_id.in_(rank))
        .order_by(AuditEntry.id)
    )
    audited = [
        (
            rank[e.entity_id],
            e.actor,
            e.at,
            e.label,
            e.action,
            [c for c in e.changes if c["field"] not in ("region_id", "policy_id")],
        )
        for e in entries
    ]
    return listed, audited


@pytest.mark.parametrize(("zone", "cron", "minutes"), RULES)
def test_the_bulk_insert_stores_what_one_window_at_a_time_stored(session, zone, cron, minutes):
    freeze = create_freeze(
        session,
        title="Holiday freeze",
        starts_at=datetime(2026, 12, 24, tzinfo=UTC),
        ends_at=datetime(2027, 1, 2, tzinfo=UTC),
        actor="test",
        now=NOW,
    )
    names = {("freeze", freeze.id): "freeze"}
    session.info.update(author_info("planner", clock=lambda: NOW))
    policies = {}
    for region in ("bulk", "one-by-one"):
        make_region(session, region, timezone=zone)
        ad_hoc = create_window(
            session,
            title="Database upgrade",
            starts_at=datetime(2027, 3, 1, tzinfo=UTC),
            ends_at=datetime(2027, 3, 7, tzinfo=UTC),
            region=region,
            actor="test",
            now=NOW,
            context=CONTEXT,
        )
        names[("window", ad_hoc.id)] = "ad hoc"
        policies[region] = unplanned_policy(session, region, zone, cron, minutes)

    plan_policy(session, policies["bulk"], until=UNTIL, actor="planner", now=NOW)
    plan_one_by_one(session, policies["one-by-one"], until=UNTIL)

    bulk, bulk_audit = stored(session, "bulk", names)
    one_by_one, one_by_one_audit = stored(session, "one-by-one", names)
    # One at a time, a window blocked by one planned just before it named it "#None": its id
    # was not known yet. The bulk path names the id.
    assert bulk == [
        (*w[:-1], [(*r[:-1], r[-1].replace("#None", "#new")) for r in w[-1]]) for w in one_by_one
    ]
    assert bulk_audit == one_by_one_audit
    assert len(bulk_audit) == len(bulk) > 50
    occurrences = [w[0] for w in bulk]
    assert occurrences == sorted(occurrences), "ids follow the occurrences, as before"
    assert {w[2] for w in bulk} == {WindowStatus.PLANNED, WindowStatus.CANCELLED}


def test_a_window_blocked_by_one_planned_in_the_same_batch_names_that_windows_id(session):
    make_region(session, "eu")
    policy = make_policy(session, "eu", cron="0 9 * * *", duration_minutes=36 * 60)

    windows = list(
        session.scalars(
            select(Window).where(Window.policy_id == policy.id).order_by(Window.starts_at)
        )
    )
    for before, window in zip(windows, windows[1:], strict=False):
        if window.status == WindowStatus.CANCELLED:
            [revision] = window.revisions
            assert revision.reason == f"overlaps window #{before.id} 'Monthly maintenance'"
            assert before.status == WindowStatus.PLANNED
    assert [w.status for w in windows[:4]] == [WindowStatus.PLANNED, WindowStatus.CANCELLED] * 2


@pytest.mark.parametrize("years", [10, 20])
def test_planning_ten_years_for_a_region_takes_at_most_eight_statements(session, years):
    make_region(session, "us")
    make_policy(session, "us")
    session.flush()

    with statements(session.connection()) as sent:
        added = plan_windows(session, until=NOW.replace(year=NOW.year + years), now=NOW)
        session.flush()

    assert added == years * 12 - 18
    # The policies; the region locked, its freezes, its windows; the windows, their audit
    # entries and their revisions; the policy's horizon.
    assert len(sent) <= 8, "\n".join(sent)


def test_planning_three_regions_reads_each_calendar_but_writes_once(session):
    for region in ("us", "eu", "apac"):
        make_region(session, region)
        make_policy(session, region)
    session.flush()

    with statements(session.connection()) as sent:
        added = plan_windows(session, until=NOW.replace(year=NOW.year + 10), now=NOW)
        session.flush()

    assert added == 3 * (120 - 18)
    assert len(sent) <= 1 + 3 * 3 + 3 + 3, "\n".join(sent)


def test_policies_of_one_region_planned_together_skip_what_the_first_planned_as_one_by_one(
    session,
):
    session.info.update(author_info("planner", clock=lambda: NOW))
    policies = {}
    for region in ("together", "one-by-one"):
        make_region(session, region)
        # Every Saturday at 09:00 and, overlapping each of those windows, at 09:30.
        policies[region] = [
            unplanned_policy(session, region, "America/New_York", cron, 120)
            for cron in ("0 9 * * 6", "30 9 * * 6")
        ]
    for policy in policies["one-by-one"]:
        plan_policy(session, policy, until=UNTIL, actor="planner", now=NOW)

    assert plan_windows(session, until=UNTIL, now=NOW, actor="planner") > 100

    together, together_audit = stored(session, "together", {})
    one_by_one, one_by_one_audit = stored(session, "one-by-one", {})
    assert together == one_by_one
    assert together_audit == one_by_one_audit
    assert {w[2] for w in together} == {WindowStatus.PLANNED, WindowStatus.CANCELLED}


def test_a_bulk_insert_of_windows_returning_no_key_is_refused_rather_than_audited_by_guess(
    session,
):
    make_region(session, "us")
    window = {
        "region_id": get_region(session, "us").id,
        "kind": WindowKind.AD_HOC,
        "status": WindowStatus.PLANNED,
        "title": "Upgrade",
        "timezone": "UTC",
        "sequence": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    rows = [
        window | {"starts_at": NOW + timedelta(days=d), "ends_at": NOW + timedelta(days=d, hours=1)}
        for d in (1, 2)
    ]

    with pytest.raises(TypeError, match="tell its rows apart"):
        session.execute(insert(Window).returning(Window.id), rows)
