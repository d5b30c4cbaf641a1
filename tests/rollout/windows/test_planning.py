"""Planning windows from policies against a real database: idempotence, horizon, re-planning."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rollout.agenda import window_agenda
from rollout.errors import Invalid
from rollout.freezes import create_freeze
from rollout.windows import (
    Window,
    WindowAction,
    WindowStatus,
    change_window,
    default_horizon,
    list_windows,
    plan_windows,
    update_policy,
)
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region

NEW_YORK = ZoneInfo("America/New_York")
TEN_YEARS_ON = NOW.replace(year=NOW.year + 10)
# NOW is 2026-11-22: the first window ahead is December's second Saturday, and 18 months on
# is 2028-05-22, so December 2026 to May 2028 are stored: 18 windows.
STORED = 18
FIRST = date(2026, 12, 12)


def policy_windows(session, policy) -> list[Window]:
    """The policy's windows as stored, by start."""
    session.flush()
    session.expire_all()
    return list(
        session.scalars(
            select(Window)
            .where(Window.policy_id == policy.id)
            .order_by(Window.starts_at, Window.id)
        )
    )


def local(instant: datetime, zone: ZoneInfo = NEW_YORK) -> datetime:
    return instant.astimezone(zone)


def is_second_saturday(day: date) -> bool:
    return day.weekday() == 5 and 8 <= day.day <= 14


def snapshot(window: Window) -> tuple:
    return (
        window.id,
        window.status,
        window.starts_at,
        window.ends_at,
        window.sequence,
        window.occurrence,
        [r.action for r in window.revisions],
    )


def test_planning_twice_adds_nothing(session):
    make_region(session, "us")
    policy = make_policy(session, "us")
    before = [snapshot(w) for w in policy_windows(session, policy)]

    assert plan_windows(session, until=default_horizon(NOW), now=NOW) == 0
    assert [snapshot(w) for w in policy_windows(session, policy)] == before


def test_planning_further_ahead_twice_adds_the_new_months_once(session):
    make_region(session, "us")
    policy = make_policy(session, "us")
    until = NOW + timedelta(days=3 * 365)

    added = plan_windows(session, until=until, now=NOW)
    assert added == 36 - STORED
    assert plan_windows(session, until=until, now=NOW) == 0
    found = policy_windows(session, policy)
    assert len(found) == 36
    assert len({w.occurrence for w in found}) == 36


def test_planning_a_month_later_adds_only_the_month_that_came_into_the_horizon(session, clock):
    make_region(session, "us")
    policy = make_policy(session, "us")
    clock.advance(days=31)

    assert plan_windows(session, until=default_horizon(clock()), now=clock()) == 1
    assert plan_windows(session, until=default_horizon(clock()), now=clock()) == 0
    found = policy_windows(session, policy)
    assert len(found) == STORED + 1
    assert local(found[-1].starts_at).date() == date(2028, 6, 10)


def test_default_horizon_is_eighteen_months(session):
    assert default_horizon(NOW) == datetime(2028, 5, 22, 12, tzinfo=UTC)
    assert default_horizon(datetime(2027, 1, 31, tzinfo=UTC)).date() == date(2028, 7, 31)
    assert default_horizon(datetime(2027, 6, 15, 8, tzinfo=UTC)).date() == date(2028, 12, 15)
    make_region(session, "us")
    policy = make_policy(session, "us")

    found = policy_windows(session, policy)
    assert policy.planned_until == default_horizon(NOW)
    assert len(found) == STORED
    assert local(found[0].starts_at).date() == FIRST
    assert local(found[-1].starts_at).date() == date(2028, 5, 13)


def test_ten_years_of_windows_are_stored_up_to_the_horizon_and_projected_beyond(session):
    make_region(session, "us")
    policy = make_policy(session, "us")

    found = list_windows(session, start=NOW, end=TEN_YEARS_ON)

    assert len(found) == 120
    stored, projected = found[:STORED], found[STORED:]
    assert all(w.id is not None and not w.projected for w in stored)
    assert all(w.id is None and w.projected for w in projected)
    assert all(w.starts_at >= policy.planned_until for w in projected)
    assert [w.starts_at for w in found] == sorted(w.starts_at for w in found)
    months = Counter((local(w.starts_at).year, local(w.starts_at).month) for w in found)
    assert len(months) == 120 and set(months.values()) == {1}
    for window in found:
        start, end = local(window.starts_at), local(window.ends_at)
        assert is_second_saturday(start.date())
        assert (start.hour, start.minute, end.hour, end.minute) == (9, 0, 11, 0)
        assert window.status == WindowStatus.PLANNED


def test_ten_years_for_three_regions_keeps_each_at_nine_local(session):
    for slug in ("us", "eu", "apac"):
        make_region(session, slug)
        make_policy(session, slug)

    found = list_windows(session, start=NOW, end=TEN_YEARS_ON)

    assert Counter(w.region.slug for w in found) == {"us": 120, "eu": 120, "apac": 120}
    for window in found:
        start = local(window.starts_at, ZoneInfo(window.timezone))
        assert is_second_saturday(start.date()) and (start.hour, start.minute) == (9, 0)


def test_changing_the_duration_replans_future_windows_as_new_revisions_of_the_same_ids(session):
    make_region(session, "us")
    policy = make_policy(session, "us")
    before = {w.id: w.sequence for w in policy_windows(session, policy)}

    update_policy(session, policy.id, duration_minutes=180, actor="test", now=NOW, context=CONTEXT)

    after = policy_windows(session, policy)
    assert {w.id for w in after} == set(before)
    assert len(after) == STORED
    for window in after:
        assert window.sequence == before[window.id] + 1
        assert [r.action for r in window.revisions] == [
            WindowAction.CREATED,
            WindowAction.REPLANNED,
        ]
        assert window.revisions[-1].sequence == window.sequence
        start, end = local(window.starts_at), local(window.ends_at)
        assert (start.hour, end.hour) == (9, 12)
        assert window.status == WindowStatus.PLANNED
    assert len({w.occurrence for w in after}) == STORED


def test_changing_the_cron_moves_future_windows_to_ten_keeping_their_ids(session):
    make_region(session, "us")
    policy = make_policy(session, "us")
    before = {w.id: local(w.starts_at).date() for w in policy_windows(session, policy)}

    update_policy(session, policy.id, cron="0 10 * * 6#2", actor="test", now=NOW, context=CONTEXT)

    after = policy_windows(session, policy)
    assert len(after) == STORED
    for window in after:
        start, end = local(window.starts_at), local(window.ends_at)
        assert start.date() == before[window.id]
        assert (start.hour, end.hour) == (10, 12)
        assert window.occurrence == datetime.combine(start.date(), datetime.min.time()).replace(
            hour=10
        )
        assert [r.action for r in window.revisions][-1] == WindowAction.REPLANNED
    listed = list_windows(session, start=NOW, end=TEN_YEARS_ON)
    assert len(listed) == 120
    assert all(local(w.starts_at).hour == 10 for w in listed)


def test_replanning_leaves_announced_skipped_and_hand_moved_windows_alone(session):
    make_region(session, "us")
    policy = make_policy(session, "us")
    announced, skipped, moved, *rest = policy_windows(session, policy)
    change_window(
        session,
        announced.id,
        change="announce",
        expected_sequence=0,
        actor="test",
        now=NOW,
        context=CONTEXT,
    )
    change_window(
        session,
        skipped.id,
        change="skip",
        expected_sequence=0,
        reason="customer launch",
        actor="test",
        now=NOW,
        context=CONTEXT,
    )
    change_window(
        session,
        moved.id,
        change="move",
        expected_sequence=0,
        reason="staff offsite",
        starts_at=moved.starts_at + timedelta(days=1),
        actor="test",
        now=NOW,
        context=CONTEXT,
    )
    untouched = {w.id: snapshot(w) for w in (announced, skipped, moved)}

    update_policy(session, policy.id, duration_minutes=180, actor="test", now=NOW, context=CONTEXT)

    after = {w.id: w for w in policy_windows(session, policy)}
    assert len(after) == STORED
    for window_id, state in untouched.items():
        assert snapshot(after[window_id]) == state
    for window in rest:
        replanned = after[window.id]
        assert [r.action for r in replanned.revisions][-1] == WindowAction.REPLANNED
        assert local(replanned.ends_at).hour == 12


def test_changing_the_cron_keeps_one_window_per_month_around_an_announced_one(session):
    make_region(session, "us")
    policy = make_policy(session, "us")
    first, second, *_ = policy_windows(session, policy)
    change_window(
        session,
        first.id,
        change="announce",
        expected_sequence=0,
        actor="test",
        now=NOW,
        context=CONTEXT,
    )
    months = {
        w.id: local(w.starts_at).date().replace(day=1) for w in policy_windows(session, policy)
    }

    update_policy(session, policy.id, cron="0 10 * * 6#2", actor="test", now=NOW, context=CONTEXT)

    after = policy_windows(session, policy)
    live = [w for w in after if w.status != WindowStatus.CANCELLED]
    by_month = Counter(local(w.starts_at).date().replace(day=1) for w in live)
    assert set(by_month.values()) == {1}, f"two live windows in a month: {by_month}"
    announced = next(w for w in after if w.id == first.id)
    assert (local(announced.starts_at).hour, announced.status) == (9, WindowStatus.ANNOUNCED)
    for window in after:
        if window.id in months:
            assert local(window.starts_at).date().replace(day=1) == months[window.id], (
                f"window #{window.id} moved to another month"
            )


@pytest.mark.parametrize("scope", ["global", "region"])
def test_occurrence_inside_a_freeze_is_planned_as_cancelled_naming_the_freeze(session, scope):
    make_region(session, "us")
    freeze = create_freeze(
        session,
        title="Holiday freeze",
        starts_at=datetime(2026, 12, 10, tzinfo=UTC),
        ends_at=datetime(2026, 12, 14, tzinfo=UTC),
        region="us" if scope == "region" else None,
        actor="test",
        now=NOW,
    )
    policy = make_policy(session, "us")

    first, *rest = policy_windows(session, policy)
    assert local(first.starts_at).date() == FIRST
    assert first.status == WindowStatus.CANCELLED
    [revision] = first.revisions
    assert revision.action == WindowAction.SKIPPED
    assert "Holiday freeze" in revision.reason and f"#{freeze.id}" in revision.reason
    assert all(w.status == WindowStatus.PLANNED for w in rest)


def test_another_regions_freeze_does_not_cancel_the_window(session):
    make_region(session, "us")
    make_region(session, "eu")
    create_freeze(
        session,
        title="EU freeze",
        starts_at=datetime(2026, 12, 10, tzinfo=UTC),
        ends_at=datetime(2026, 12, 14, tzinfo=UTC),
        region="eu",
        actor="test",
        now=NOW,
    )
    policy = make_policy(session, "us")

    assert all(w.status == WindowStatus.PLANNED for w in policy_windows(session, policy))


def test_projected_occurrence_inside_a_freeze_is_listed_as_cancelled(session):
    make_region(session, "us")
    make_policy(session, "us")
    create_freeze(
        session,
        title="Far freeze",
        starts_at=datetime(2031, 3, 1, tzinfo=UTC),
        ends_at=datetime(2031, 3, 31, tzinfo=UTC),
        actor="test",
        now=NOW,
    )

    found = list_windows(
        session, start=datetime(2031, 1, 1, tzinfo=UTC), end=datetime(2031, 6, 1, tzinfo=UTC)
    )

    assert [(local(w.starts_at).month, w.status, w.projected) for w in found] == [
        (1, WindowStatus.PLANNED, True),
        (2, WindowStatus.PLANNED, True),
        (3, WindowStatus.CANCELLED, True),
        (4, WindowStatus.PLANNED, True),
        (5, WindowStatus.PLANNED, True),
    ]


def test_policy_with_active_until_stops_planning_after_that_date(session):
    make_region(session, "us")
    policy = make_policy(session, "us", active_until=date(2027, 6, 30))

    assert plan_windows(session, until=NOW + timedelta(days=5 * 365), now=NOW) == 0
    found = policy_windows(session, policy)
    assert [local(w.starts_at).date() for w in found] == [
        date(2026, 12, 12),
        date(2027, 1, 9),
        date(2027, 2, 13),
        date(2027, 3, 13),
        date(2027, 4, 10),
        date(2027, 5, 8),
        date(2027, 6, 12),
    ]
    assert len(list_windows(session, start=NOW, end=TEN_YEARS_ON)) == 7


def test_active_until_on_a_window_day_still_plans_that_window(session):
    make_region(session, "us")
    policy = make_policy(session, "us", active_until=date(2027, 1, 9))

    assert [local(w.starts_at).date() for w in policy_windows(session, policy)] == [
        date(2026, 12, 12),
        date(2027, 1, 9),
    ]


def test_active_until_before_active_from_is_invalid(session):
    make_region(session, "us")
    with pytest.raises(Invalid) as caught:
        make_policy(session, "us", active_from=date(2027, 1, 1), active_until=date(2026, 12, 31))
    assert caught.value.field == "active_until"


def test_editing_active_until_to_before_active_from_is_invalid(session):
    make_region(session, "us")
    policy = make_policy(session, "us", active_from=date(2027, 1, 1))
    with pytest.raises(Invalid) as caught:
        update_policy(
            session,
            policy.id,
            active_until=date(2026, 12, 31),
            actor="test",
            now=NOW,
            context=CONTEXT,
        )
    assert caught.value.field == "active_until"


def test_a_customers_event_plan_is_flagged_on_its_regions_window_without_blocking_it(session):
    make_region(session, "eu")
    make_customer(session, "initech", "eu")
    policy = make_policy(session, "eu")
    window = policy_windows(session, policy)[0]
    create_freeze(
        session,
        title="Initech launch",
        customer="initech",
        starts_at=window.starts_at - timedelta(days=1),
        ends_at=window.ends_at + timedelta(days=1),
        actor="test",
        now=NOW,
    )
    assert window.status == WindowStatus.PLANNED
    [problem] = window_agenda(session, window, now=NOW).conflicts
    assert problem.text.startswith("Initech is in its event plan “Initech launch”")
