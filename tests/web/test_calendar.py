"""The staff calendar's three views, filters and navigation through Flask's test client."""

from __future__ import annotations

import html
import re

import pytest

from rollout import releases
from tests.conftest import NOW
from tests.rollout.releases.helpers import release, world
from tests.web.test_pages import sign_in


@pytest.fixture
def stacked(session):
    """us and eu; 2026.12 and 2027.02 planned from now (both previews in December's windows,
    both productions in January's); a patch for Acme; signed in as a release manager."""
    world(session)
    for version in ("2026.12", "2027.02"):
        release(session, version)
        releases.plan_release(session, version, actor="rm", now=NOW)
    releases.request_hotfix(
        session, title="CSV import fix", urgency="normal", customers=["acme"], actor="rm", now=NOW
    )
    session.commit()


@pytest.fixture
def manager(client, session, stacked):
    sign_in(client, session)
    return client


def page_of(client, query: str = "", status: int = 200) -> str:
    response = client.get(f"/staff/calendar{query}")
    assert response.status_code == status, response.text[:500]
    return response.text


def links(page: str) -> dict[str, str]:
    """Link text (tags stripped) to its URL."""
    return {
        " ".join(re.sub(r"<[^>]+>", "", text).split()): html.unescape(href)
        for href, text in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    }


# The list


def test_the_list_shows_what_each_window_carries_and_flags_stacked_releases(manager):
    page = page_of(manager)
    december = page[page.index('id="month-2026-12"') : page.index('id="month-2027-01"')]
    assert ">2026.12</a>\n            preview · 2 environments" in december
    assert ">2027.02</a>\n            preview · 2 environments" in december
    assert "Patch for Acme:" in december and "CSV import fix" in december
    assert "Conflict: 2 releases in one window: 2026.12, 2027.02" in december
    assert (
        "Conflict: 2027.02 preview is in the same window as 2026.12 preview, which it should "
        "follow" in december
    )
    assert 'aria-label="Conflicts of Monthly maintenance"' in december
    assert "with conflicts" in page


def test_the_list_keeps_six_months_by_default_and_its_view_switch_marks_it(manager):
    page = page_of(manager)
    assert "November 2026 – April 2027" in page
    assert re.search(r'href="/staff/calendar\?from=2026-11"\s+aria-current="page">List', page)


# The month grid


def test_the_grid_has_weeks_as_rows_from_monday_with_windows_on_their_local_day(manager):
    page = page_of(manager, "?view=grid&from=2026-12")
    heads = re.findall(r'<th scope="col">(\w+)</th>', page)
    assert heads == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.index("<tbody>") :], re.S)
    assert len(rows) == 5  # 30 Nov to 3 Jan
    week = re.findall(r"<td class=\"day[^\"]*\">(.*?)</td>", rows[1], re.S)
    saturday = week[5]
    assert '<time datetime="2026-12-12">' in saturday
    assert saturday.count('class="cal-title"') == 2  # us and eu
    assert "Conflict: 2 releases in one window" in saturday
    assert '<time datetime="2026-11-30">' in rows[0]  # the week starts on Monday
    assert "December 2026" in page


def test_the_grid_navigates_a_month_at_a_time_keeping_the_filters(manager):
    found = links(page_of(manager, "?view=grid&from=2026-12&region=eu"))
    assert found["← Earlier"] == "/staff/calendar?view=grid&from=2026-11&region=eu"
    assert found["Later →"] == "/staff/calendar?view=grid&from=2027-01&region=eu"
    assert found["Timeline"] == "/staff/calendar?view=timeline&from=2026-12&region=eu"
    assert found["List"] == "/staff/calendar?from=2026-12&region=eu"


# The timeline


def test_the_timeline_has_regions_as_rows_and_weeks_as_columns(manager):
    page = page_of(manager, "?view=timeline&from=2026-12")
    mondays = re.findall(r'<th scope="col"><time datetime="([\d-]+)">', page)
    assert mondays[0] == "2026-11-30" and mondays[-1] == "2027-02-22"
    assert len(mondays) == 13
    regions = re.findall(r'<th scope="row">([^<]+)</th>', page)
    assert regions == ["Region eu", "Region us"]
    us_row = page[page.index('<th scope="row">Region us</th>') :]
    cells = re.findall(r"<td>(.*?)</td>", us_row.split("</tr>")[0], re.S)
    assert "Monthly maintenance" in cells[1] and "2026.12" in cells[1]  # week of 7 Dec
    assert "Monthly maintenance" in cells[5]  # week of 4 Jan
    assert 'tabindex="0"' in page  # its scroll box can be reached by keyboard


# Filters


def test_the_filter_choices_come_from_the_database(manager):
    page = page_of(manager)
    assert '<option value="eu">Region eu</option>' in page
    for slug, name in (("acme", "Acme"), ("globex", "Globex"), ("initech", "Initech")):
        assert f'<option value="{slug}">{name}</option>' in page


def test_a_region_filter_shows_only_that_regions_windows(manager):
    page = page_of(manager, "?region=eu")
    assert "Region eu" in page
    assert "Region us ·" not in page and '<p class="where">Region us' not in page
    assert '<option value="eu" selected>' in page


def test_a_customer_filter_shows_its_regions_windows_with_what_reaches_it(manager):
    page = page_of(manager, "?customer=acme&view=grid&from=2026-12")
    assert '<p class="where">Region eu' not in page
    assert "preview · 1 environment<" in page  # Acme's preview alone
    assert "Patch for Acme" in page
    assert "touching Acme" in page
    initech = page_of(manager, "?customer=initech&view=grid&from=2026-12")
    assert "Patch for Acme" not in initech
    assert '<p class="where">Region us' not in initech


def test_kind_and_status_filters_narrow_the_windows(manager):
    page = page_of(manager, "?kind=emergency")
    assert "0 windows" in page
    assert "Monthly maintenance" not in page
    page = page_of(manager, "?status=planned&months=2")
    assert "Monthly maintenance" in page and "2 months" not in page
    assert "0 windows" in page_of(manager, "?status=moved")


# Bad query strings


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?view=week", "There is no “week” view; showing the list."),
        ("?from=2026-13", "“2026-13” is not a month: write it like 2026-11. Showing this month."),
        ("?from=tomorrow", "“tomorrow” is not a month"),
        ("?from=0001-01", "“0001-01” is not a month"),
        ("?months=lots", "“lots” is not a number of months; showing 6."),
        ("?months=99999999999", "is not a number of months"),
        ("?region=mars", "There is no region “mars”; showing every region&#39;s windows."),
        ("?customer=nobody", "There is no customer “nobody”"),
        ("?kind=weekly", "“weekly” is not a kind of window we know; showing every kind."),
        ("?status=done", "“done” is not a status we know; showing every status."),
    ],
)
def test_a_bad_query_string_falls_back_and_says_so(manager, query, message):
    page = page_of(manager, query, status=400)
    assert message in page
    assert 'role="alert"' in page
    assert "Monthly maintenance" in page  # the calendar is still there


def test_a_customer_outside_the_chosen_region_wins_and_is_explained(manager):
    page = page_of(manager, "?region=eu&customer=acme", status=400)
    assert "Acme is in region Region us, not Region eu; showing Acme&#39;s windows." in page


def test_months_beyond_the_limit_are_clamped_without_complaint(manager):
    page = page_of(manager, "?view=timeline&months=40")
    assert "November 2026 – April 2027" in page  # six months at most


def test_every_view_of_the_demo_renders_with_its_event_plan_flagged(client, session):
    from rollout.demo import load_demo
    from tests.factories import CONTEXT

    load_demo(session, now=NOW, context=CONTEXT)
    session.commit()
    sign_in(client, session)
    for view in ("list", "grid", "timeline"):
        for months in ("", "&from=2026-06", "&from=2027-01&customer=initech"):
            page_of(client, f"?view={view}{months}")
    page = page_of(client, "?customer=initech&months=3")
    assert "Conflict: Initech is in its event plan “Initech product launch”" in page


def test_the_window_page_shows_the_conflicts_the_calendar_shows(manager, session):
    from tests.rollout.releases.helpers import DEC, regular

    window = regular(session, "us", DEC)
    response = manager.get(f"/staff/windows/{window.id}")
    assert response.status_code == 200
    assert "Conflict: 2 releases in one window: 2026.12, 2027.02" in response.text


# A day's list


def test_a_days_list_keeps_the_kind_and_status_filters(manager, session):
    from datetime import date, timedelta

    from rollout.windows import create_window
    from tests.factories import CONTEXT
    from tests.rollout.releases.helpers import regular

    monthly = regular(session, "us", date(2026, 12, 12))  # the second Saturday
    create_window(
        session,
        title="Acme upgrade",
        region="us",
        customer="acme",
        starts_at=monthly.starts_at + timedelta(hours=3),
        ends_at=monthly.starts_at + timedelta(hours=4),
        actor="planner",
        now=NOW,
        context=CONTEXT,
    )
    session.commit()

    def listed(query: str) -> list[str]:
        page = page_of(manager, f"?day=2026-12-12{query}")
        return [t for t in ("Acme upgrade", monthly.title) if t in page]

    assert listed("") == ["Acme upgrade", monthly.title]
    assert listed("&kind=ad_hoc") == ["Acme upgrade"]
    assert listed("&kind=regular") == [monthly.title]
    assert listed(f"&status={monthly.status}&kind=regular") == [monthly.title]
    assert listed("&status=cancelled") == []
    assert listed("&status=moved") == []
    # The grid's count of customers' windows links to that day's list, filters kept.
    grid = links(page_of(manager, "?view=grid&from=2026-12&kind=ad_hoc"))
    (day_list,) = [url for url in grid.values() if "day=2026-12-12" in url]
    assert "kind=ad_hoc" in day_list
    assert (
        "kind=ad_hoc" in links(page_of(manager, "?day=2026-12-12&kind=ad_hoc"))["Back to the month"]
    )
