"""The deploy check and the window list answer the same question, "which windows cover this
instant", stored and projected windows alike."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import bearer, make_customer, make_policy, make_region, make_token


@pytest.fixture
def manager(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    make_policy(session, "us")
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


def listed_covering(client, at: datetime) -> list[dict]:
    """Windows the list shows around `at` that cover it."""
    start, end = (at - timedelta(days=1)).isoformat(), (at + timedelta(days=1)).isoformat()
    items = client.get("/api/v1/windows", query_string={"region": "us", "from": start, "to": end})
    return [
        w
        for w in items.json["items"]
        if datetime.fromisoformat(w["starts_at"]) <= at < datetime.fromisoformat(w["ends_at"])
    ]


def test_an_instant_in_a_projected_window_is_inside_it_for_the_deploy_check(client, manager):
    at = "2028-09-09T10:00:00-04:00"  # the second Saturday of September 2028, 10:00 New York
    answer = client.get(
        "/api/v1/deploy-check", query_string={"region": "us", "at": at}, headers=manager
    )
    assert answer.status_code == 200, answer.json
    verdict = answer.json
    assert verdict["allowed"] is True
    assert verdict["window"]["local_start"] == "2028-09-09T09:00:00-04:00"
    assert verdict["window"]["projected"] is True
    assert verdict["next_allowed_window"]["local_start"] == "2028-10-14T09:00:00-04:00"


@pytest.mark.parametrize(
    "at",
    [
        "2026-12-12T09:00:00-05:00",  # a stored window's first instant
        "2026-12-12T10:59:59-05:00",  # its last second
        "2026-12-12T11:00:00-05:00",  # just after it
        "2028-09-09T09:00:00-04:00",  # a projected window's first instant
        "2028-09-09T10:30:00-04:00",
        "2028-09-09T11:00:00-04:00",
        "2031-03-08T09:30:00-05:00",  # projected, the day of the spring-forward change
    ],
)
def test_the_deploy_check_and_the_window_list_agree_on_the_window_covering_an_instant(
    client, manager, at
):
    instant = datetime.fromisoformat(at)
    verdict = client.get(
        "/api/v1/deploy-check", query_string={"region": "us", "at": at}, headers=manager
    ).json
    listed = [w for w in listed_covering(client, instant) if w["status"] != "cancelled"]
    if verdict["window"] is None:
        assert listed == []
    else:
        assert [w["starts_at"] for w in listed] == [verdict["window"]["starts_at"]]
