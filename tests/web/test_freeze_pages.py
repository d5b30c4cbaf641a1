"""The new-freeze page over planned work: the windows it covers are listed in their own time
with what they carry, a choice is asked for, what was typed stays; and lifting asks first."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from rollout import freezes, releases
from tests.conftest import NOW
from tests.factories import make_customer, make_policy, make_region
from tests.web.test_pages import post_form, sign_in, window_at

PAGE = "/staff/freezes/new"
FIELDS = {
    "title": "Payroll run",
    "scope": "region",
    "region": "us",
    "customer": "",
    "starts_at": "2026-12-11T00:00",
    "ends_at": "2026-12-13T00:00",
    "reason": "Month-end payroll",
}


@pytest.fixture
def us(session):
    """Region us on the second-Saturday 09:00-11:00 rule, planned from the pinned now."""
    region = make_region(session, "us")
    make_policy(session, "us")
    session.commit()
    return region


def submit(client, **changes):
    return post_form(client, PAGE, PAGE, FIELDS | changes)


def reviewed(page: str) -> str:
    return unescape(re.search(r'name="reviewed" type="hidden" value="([^"]*)"', page)[1])


def test_a_freeze_over_a_planned_window_lists_it_and_writes_nothing_until_a_choice(
    client, session, us
):
    make_customer(session, "acme", "us")
    releases.create_release(session, version="2026.12", title="December", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    session.commit()
    sign_in(client, session)

    listed = submit(client)

    assert listed.status_code == 422
    text = unescape(listed.text)
    assert "This freeze covers 1 planned window" in text
    assert "Sat 12 Dec 2026, 09:00–11:00 EST (America/New_York)" in text
    assert "Carries release 2026.12 · Preview · us (1 environment)" in text
    assert 'value="Payroll run"' in listed.text and "Month-end payroll" in listed.text
    assert freezes.list_freezes(session) == []

    no_reason = submit(client, covered="keep", reviewed=reviewed(listed.text))
    assert no_reason.status_code == 422, re.findall(r'class="error[^>]*>([^<]*)', no_reason.text)
    assert 'id="covered_reason-error">Say why the planned windows may stay inside' in (
        no_reason.text
    )
    assert freezes.list_freezes(session) == []

    no_time = submit(client, covered="move_to", reviewed=reviewed(listed.text))
    assert 'id="move_to-error">Choose the new start' in no_time.text

    moved = submit(client, covered="move", reviewed=reviewed(listed.text))
    assert moved.status_code == 302
    session.expire_all()
    [freeze] = freezes.list_freezes(session)
    assert freeze.title == "Payroll run"
    # Sunday 00:00 UTC is Saturday 19:00 in New York: outside business hours.
    window = window_at(session, datetime(2026, 12, 13, tzinfo=UTC))
    assert window.id == int(reviewed(listed.text))
    calendar = unescape(client.get("/staff/calendar").text)
    assert "1 planned window(s) moved: us #" in calendar
    assert "Sat 12 Dec, 19:00 America/New_York (Sun 13 Dec, 00:00 UTC)" in calendar


def test_a_freeze_in_the_past_is_refused_beside_its_end_keeping_what_was_typed(client, session, us):
    sign_in(client, session)

    past = submit(client, starts_at="2026-11-01T00:00", ends_at="2026-11-02T00:00")

    assert past.status_code == 422
    assert re.search(r'id="ends_at-error">This freeze would already be over', past.text)
    assert 'value="2026-11-01T00:00"' in past.text
    backwards = submit(client, ends_at="2026-12-10T00:00")
    assert 'id="ends_at-error">The end must be after the start<' in backwards.text
    assert freezes.list_freezes(session) == []


def test_lifting_a_freeze_names_what_will_happen_first(client, session, us):
    freeze = freezes.create_freeze(
        session,
        title="Holiday freeze",
        starts_at=datetime(2026, 12, 18, tzinfo=UTC),
        ends_at=datetime(2026, 12, 22, tzinfo=UTC),
        actor="rm",
        now=NOW,
    )
    session.commit()
    sign_in(client, session)

    calendar = unescape(client.get("/staff/calendar").text)

    assert "Lifting “Holiday freeze” lets deployments go ahead for everyone during" in calendar
    assert "Yes, lift the freeze" in calendar
    lifted = post_form(client, "/staff/calendar", f"/staff/freezes/{freeze.id}/lift", {})
    assert lifted.status_code == 302
    assert freezes.list_freezes(session) == []


def test_a_freeze_that_began_already_says_so(client, session, us):
    sign_in(client, session)
    begun = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    created = submit(client, starts_at=begun, ends_at="2026-11-23T00:00")

    assert created.status_code == 302
    calendar = unescape(client.get("/staff/calendar").text)
    assert "it began already (Sun 22 Nov 2026, 11:00 UTC) and binds from now" in calendar
