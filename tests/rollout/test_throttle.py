"""The sliding window of failed sign-ins, as a pure rule."""

from __future__ import annotations

from datetime import timedelta

from rollout.throttle import retry_after
from tests.conftest import NOW

WINDOW = timedelta(minutes=15)


def minutes_ago(*minutes: int):
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_fewer_failures_than_the_limit_need_no_wait():
    assert retry_after(minutes_ago(1, 2), limit=3, window=WINDOW, now=NOW) == timedelta(0)


def test_the_wait_ends_when_the_oldest_counted_failure_leaves_the_window():
    failures = minutes_ago(1, 2, 4)
    assert retry_after(failures, limit=3, window=WINDOW, now=NOW) == timedelta(minutes=11)


def test_failures_older_than_the_window_do_not_count():
    failures = minutes_ago(1, 2, 15, 16)
    assert retry_after(failures, limit=3, window=WINDOW, now=NOW) == timedelta(0)
