"""The deploy check's decision: inside an open window for the target and no freeze binding it,
or a window that overrides the freeze; and the next window work may use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollout.deploy_check import LOOKAHEAD, check_deploy
from rollout.errors import Invalid
from rollout.freezes import create_freeze
from rollout.windows import WindowStatus, create_window
from tests.conftest import NOW
from tests.factories import CONTEXT, make_customer, make_policy, make_region

DAY = timedelta(days=1)
FIRST = datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.fixture
def world(session):
    make_region(session, "us")
    make_region(session, "eu")
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    make_customer(session, "initech", "eu")


def window(session, start: datetime, *, title: str = "Patch night", hours: int = 2, **where):
    return create_window(
        session,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        actor="test",
        now=NOW,
        context=CONTEXT,
        **({"region": "us"} | where),
    )


def freeze(session, start: datetime, end: datetime, *, title: str = "Holiday", **scope):
    return create_freeze(
        session, title=title, starts_at=start, ends_at=end, actor="test", now=NOW, **scope
    )


def test_work_may_start_at_a_windows_first_instant_but_not_at_its_end(session, world):
    first = window(session, FIRST)
    second = window(session, FIRST + 3 * DAY)

    at_start = check_deploy(session, at=first.starts_at, region="us")
    at_end = check_deploy(session, at=first.ends_at, region="us")

    assert at_start.allowed and at_start.window == first
    assert at_start.reasons == [f"inside window #{first.id} 'Patch night'"]
    assert not at_end.allowed and at_end.window is None
    assert at_end.reasons == ["not inside a maintenance window"]
    assert at_end.next_window == second


def test_the_next_window_is_one_starting_after_the_instant_asked_about(session, world):
    first = window(session, FIRST)
    second = window(session, FIRST + 3 * DAY)

    assert check_deploy(session, at=first.starts_at, region="us").next_window == second
    before = check_deploy(session, at=first.starts_at - timedelta(seconds=1), region="us")
    assert before.next_window == first


def test_a_customers_own_window_opens_for_that_customer_alone(session, world):
    own = window(session, FIRST, customer="globex", region=None)
    inside = FIRST + timedelta(hours=1)

    assert check_deploy(session, at=inside, customer="globex").window == own
    assert check_deploy(session, at=inside, customer="globex").allowed
    assert not check_deploy(session, at=inside, customer="acme").allowed
    assert not check_deploy(session, at=inside, region="us").allowed
    assert check_deploy(session, at=FIRST - DAY, customer="acme").next_window is None


def test_a_window_of_another_region_opens_nothing_here(session, world):
    window(session, FIRST, region="eu")

    verdict = check_deploy(session, at=FIRST, customer="acme")

    assert not verdict.allowed and verdict.window is None and verdict.next_window is None


def test_a_freeze_over_an_open_window_forbids_work_and_is_named(session, world):
    patch = window(session, FIRST)
    later = window(session, FIRST + 10 * DAY)
    holiday = freeze(session, FIRST - DAY, FIRST + DAY)

    verdict = check_deploy(session, at=FIRST, customer="acme")

    assert not verdict.allowed
    assert verdict.window == patch and verdict.freezes == [holiday]
    assert verdict.reasons == [
        f"inside window #{patch.id} 'Patch night'",
        f"inside freeze {holiday.describe()}",
    ]
    assert verdict.next_window == later  # not the frozen window meanwhile


def test_a_freeze_binds_from_its_first_instant_and_not_at_its_end(session, world):
    window(session, FIRST, hours=4)
    freeze(session, FIRST + timedelta(hours=1), FIRST + timedelta(hours=2))

    def allowed(hours: int) -> bool:
        return check_deploy(session, at=FIRST + timedelta(hours=hours), region="us").allowed

    assert [allowed(h) for h in (0, 1, 2, 3)] == [True, False, True, True]


def test_a_freeze_starting_a_microsecond_after_the_instant_does_not_bind_it(session, world):
    window(session, FIRST)
    freeze(session, FIRST + timedelta(microseconds=1), FIRST + DAY)

    assert check_deploy(session, at=FIRST, region="us").allowed
    assert not check_deploy(session, at=FIRST + timedelta(microseconds=1), region="us").allowed


def test_a_region_freeze_binds_that_regions_windows_and_its_next_one(session, world):
    window(session, FIRST)
    frozen_later = window(session, FIRST + 3 * DAY)
    after_it = window(session, FIRST + 10 * DAY)
    window(session, FIRST, region="eu")
    holiday = freeze(session, FIRST - DAY, FIRST + 5 * DAY, region="us")

    us = check_deploy(session, at=FIRST, customer="acme")
    eu = check_deploy(session, at=FIRST, customer="initech")

    assert not us.allowed and us.freezes == [holiday]
    assert us.next_window == after_it != frozen_later
    assert eu.allowed and eu.freezes == []


def test_a_customers_event_plan_over_a_later_window_makes_the_next_one_later(session, world):
    window(session, FIRST)
    during_launch = window(session, FIRST + 3 * DAY)
    after_it = window(session, FIRST + 10 * DAY)
    freeze(session, FIRST + 2 * DAY, FIRST + 5 * DAY, title="Launch", customer="acme")

    assert check_deploy(session, at=FIRST, customer="acme").next_window == after_it
    assert check_deploy(session, at=FIRST, customer="globex").next_window == during_launch


def test_a_customers_event_plan_binds_that_customer_and_not_its_region(session, world):
    window(session, FIRST)
    launch = freeze(session, FIRST - DAY, FIRST + DAY, title="Launch", customer="acme")

    acme = check_deploy(session, at=FIRST, customer="acme")
    globex = check_deploy(session, at=FIRST, customer="globex")
    region = check_deploy(session, at=FIRST, region="us")

    assert not acme.allowed and acme.freezes == [launch]
    assert globex.allowed and globex.freezes == []
    assert region.allowed and region.freezes == []


def test_a_window_made_over_a_freeze_with_a_reason_lets_work_through_and_says_so(session, world):
    frozen = window(session, FIRST + 4 * DAY)  # planned before the freeze: overrides nothing
    holiday = freeze(session, FIRST - DAY, FIRST + 5 * DAY)
    holiday_fix = window(session, FIRST, override_freeze_reason="the outage fix cannot wait")

    verdict = check_deploy(session, at=FIRST, region="us")
    earlier = check_deploy(session, at=FIRST - timedelta(hours=1), region="us")

    assert verdict.allowed and verdict.window == holiday_fix
    assert verdict.reasons == [
        f"inside window #{holiday_fix.id} 'Patch night'",
        f"freeze {holiday.describe()} is overridden by this window",
    ]
    assert earlier.next_window == holiday_fix
    assert verdict.next_window is None  # the other window inside the freeze overrides nothing
    assert frozen.freeze_override_reason is None


@pytest.mark.parametrize(
    ("status", "open_"),
    [
        (WindowStatus.PLANNED, True),
        (WindowStatus.ANNOUNCED, True),
        (WindowStatus.IN_PROGRESS, True),
        (WindowStatus.CANCELLED, False),
        (WindowStatus.COMPLETED, False),
    ],
)
def test_only_a_planned_announced_or_running_window_opens_work(session, world, status, open_):
    patch = window(session, FIRST)
    patch.status = status
    session.flush()

    verdict = check_deploy(session, at=FIRST, region="us")
    earlier = check_deploy(session, at=FIRST - DAY, region="us")

    assert verdict.allowed is open_
    assert (earlier.next_window == patch) is open_


def test_the_next_window_is_looked_for_two_years_ahead(session, world):
    far = window(session, FIRST)

    assert check_deploy(session, at=FIRST - LOOKAHEAD, region="us").next_window is None
    just_in_reach = FIRST - LOOKAHEAD + timedelta(seconds=1)
    assert check_deploy(session, at=just_in_reach, region="us").next_window == far


def test_a_projected_window_is_named_by_its_title(session, world):
    make_policy(session, "us")
    at = datetime(2028, 9, 9, 14, tzinfo=UTC)  # second Saturday, 10:00 New York

    verdict = check_deploy(session, at=at, region="us")

    assert verdict.allowed and verdict.window.id is None
    assert verdict.reasons == ["inside window 'Monthly maintenance'"]


def test_the_verdict_names_what_it_was_asked_about(session, world):
    at = FIRST + timedelta(minutes=5)

    verdict = check_deploy(session, at=at, customer="acme")

    assert verdict.at == at
    assert (verdict.region.slug, verdict.customer.slug) == ("us", "acme")
    assert check_deploy(session, at=at, region="eu").customer is None


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({}, "region"),
        ({"region": "eu", "customer": "acme"}, "region"),
        ({"at": datetime(2026, 12, 1, 10)}, "at"),
    ],
)
def test_a_check_without_a_target_or_an_aware_instant_is_refused_naming_the_field(
    session, world, asked, field
):
    with pytest.raises(Invalid) as refused:
        check_deploy(session, **({"at": FIRST} | asked))
    assert refused.value.field == field


def test_a_check_naming_no_target_asks_for_one(session, world):
    with pytest.raises(Invalid) as neither:
        check_deploy(session, at=FIRST)
    assert neither.value.message == "name a region or a customer"


def test_a_customer_named_with_another_region_is_refused_naming_its_own(session, world):
    with pytest.raises(Invalid) as refused:
        check_deploy(session, at=FIRST, region="eu", customer="acme")
    assert refused.value.message == "customer 'acme' is in region 'us'"


def test_a_customer_named_with_its_own_region_is_checked(session, world):
    window(session, FIRST)

    assert check_deploy(session, at=FIRST, region="us", customer="acme").allowed
