"""Pages at many customers: a customer filter past CUSTOMER_MENU customers is a typed slug,
so no page sends every customer with each answer; what it filters stays the same."""

from __future__ import annotations

import pytest

from rollout.jira.bugs import upsert_bug
from tests.conftest import NOW
from tests.support.test_fix_status_use_cases import bug_record
from tests.web.test_api_pagination import add_customers
from tests.web.test_pages import sign_in
from tests.web.test_support_page import world  # noqa: F401 (a fixture)
from web.pages.forms import CUSTOMER_MENU
from web.pages.support import TRIAGE_SHOWN


@pytest.fixture
def crowded(client, world):  # noqa: F811
    add_customers(world, CUSTOMER_MENU)
    sign_in(client, world, role="support_agent", email="agent@example.com")
    return client


def test_the_lookup_asks_for_a_slug_past_the_menu_and_still_filters_by_it(crowded):
    page = crowded.get("/support").text
    assert '<input type="text" id="customer" name="customer" value=""' in page
    assert '<option value="c0000"' not in page

    only = crowded.get("/support?q=OPS-1&customer=initech&lang=en").text

    assert 'id="customer-acme"' not in only and 'id="customer-initech"' in only
    assert 'name="customer" value="initech"' in only


def test_the_calendar_filters_by_a_typed_slug_and_says_when_none_is_called_that(crowded):
    page = crowded.get("/staff/calendar?customer=acme&view=grid&from=2026-12")
    assert page.status_code == 200
    assert 'id="filter-customer" name="customer" value="acme"' in page.text
    assert "touching Acme Corp" in page.text
    assert '<option value="c0000"' not in page.text

    unknown = crowded.get("/staff/calendar?customer=nobody")

    assert unknown.status_code == 400
    assert "There is no customer “nobody”" in unknown.text


def test_up_to_the_menu_the_filter_is_still_a_list(client, world):  # noqa: F811
    sign_in(client, world, role="support_agent", email="agent@example.com")
    page = client.get("/staff/calendar").text
    assert '<select id="filter-customer" name="customer">' in page
    assert '<option value="initech">Initech</option>' in page


def test_triage_shows_a_screen_of_bugs_and_pages_on_without_script(client, world):  # noqa: F811
    for n in range(TRIAGE_SHOWN + 3):
        upsert_bug(world, bug_record(f"MORE-{n}"), now=NOW)
    world.commit()
    sign_in(client, world, role="support_agent", email="agent@example.com")

    first = client.get("/triage").text
    second = client.get("/triage?page=2").text

    assert first.count('<tr id="bug-') == TRIAGE_SHOWN
    assert 'href="/triage?page=2" rel="next"' in first
    rows = second.count('<tr id="bug-')
    assert rows == 4  # OPS-1 and the bugs added, less the first page
    assert 'rel="next"' not in second and 'href="/triage" rel="prev"' in second
    assert client.get("/triage?page=x").text.count('<tr id="bug-') == TRIAGE_SHOWN
