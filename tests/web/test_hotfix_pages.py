"""A zero-day's emergency start chosen on the hotfix request form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rollout.releases import Hotfix
from tests.factories import make_customer, make_region
from tests.web.test_pages import post_form, sign_in

PAGE = "/staff/hotfixes"
REQUEST = {
    "title": "TLS library zero-day",
    "urgency": "zero_day",
    "justification": "Exploited in the wild",
    "summary": "",
    "public_note": "",
    "jira_key": "",
}


@pytest.fixture
def world(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    session.commit()


def test_a_requester_chooses_the_emergency_start_for_every_region(client, session, world):
    sign_in(client, session)

    requested = post_form(
        client, PAGE, PAGE, REQUEST | {"emergency_start": "2026-11-23T03:00"}, prefix="hotfix-"
    )

    assert requested.status_code == 302
    hotfix = session.query(Hotfix).one()
    assert hotfix.emergency_start == datetime(2026, 11, 23, 3, tzinfo=UTC)


def test_a_normal_hotfix_with_an_emergency_start_is_refused_beside_it(client, session, world):
    sign_in(client, session)

    refused = post_form(
        client,
        PAGE,
        PAGE,
        REQUEST | {"urgency": "normal", "emergency_start": "2026-11-23T03:00"},
        prefix="hotfix-",
    )

    assert refused.status_code == 422
    assert 'id="hotfix-emergency_start-error">Only a zero-day gets an emergency window' in (
        refused.text
    )
    assert 'value="2026-11-23T03:00"' in refused.text
    assert session.query(Hotfix).count() == 0
