"""The release manager's release and hotfix pages during a rollout: the board, counted in a
bounded number of statements; outcome menus offering only what may follow; a success before
its window refused unless it ran early, with the reason; cancelling behind a confirmation."""

from __future__ import annotations

import re
from html import unescape

import pytest

from rollout import releases
from tests.conftest import NOW
from tests.factories import make_customer, make_policy, make_region
from tests.rollout.releases.helpers import LATER, PREVIEW, PRODUCTION, planned, wave
from tests.statements import statements
from tests.web.test_pages import post_form, sign_in

PAGE = "/staff/releases/2026.12"


def world(session, customers_per_region: int = 1) -> None:
    """Regions us and eu on the second-Saturday rule, each with `customers_per_region`."""
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
        for n in range(customers_per_region):
            make_customer(session, f"{region}-customer-{n}", region)


def options(html: str, select_name: str) -> list[str]:
    """The option labels of the select named `select_name`."""
    found = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, select_name
    return [unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", found.group(1))]


def page_text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_board_costs_the_same_statements_for_two_environments_or_two_hundred(
    client, session, connection
):
    world(session, customers_per_region=1)
    small = planned(session, "2026.12")
    for region in ("us", "eu"):
        for n in range(1, 50):
            make_customer(session, f"{region}-customer-{n}", region)
    large = planned(session, "2027.01")
    for made in (small, large):
        for each in made.waves[:2]:
            releases.report_wave(
                session, each.id, status="succeeded", actor="ci", now=each.window.ends_at
            )
    session.commit()
    sign_in(client, session)
    client.get("/staff/releases/2026.12")  # the first request reads what is cached after

    sent = {}
    for made in (small, large):
        session.expunge_all()
        with statements(connection) as sent[made.version]:
            page = client.get(f"/staff/releases/{made.version}")
        assert page.status_code == 200

    assert "100 of 200 environments done" in page_text(page.text)
    assert len(sent["2027.01"]) == len(sent["2026.12"]), "\n".join(sent["2027.01"])
    assert len(sent["2027.01"]) <= 30, "\n".join(sent["2027.01"])


def test_the_board_shows_each_regions_tiers_and_a_chart_with_its_numbers_in_text(
    client, session, clock
):
    world(session)
    made = planned(session)
    us_preview = wave(made, PREVIEW, "us")
    releases.report_wave(
        session, us_preview.id, status="succeeded", actor="ci", now=us_preview.window.ends_at
    )
    session.commit()
    clock.now = wave(made, PRODUCTION, "us").window.ends_at  # us production is now late
    sign_in(client, session, now=clock.now)

    html = client.get(PAGE).text
    board = re.search(r'<table class="board">.*?</table>', html, re.S).group(0)
    rows = {
        page_text(m.group(1)).strip(): page_text(m.group(2)).split()
        for m in re.finditer(r'<th scope="row">(.*?)</th>(.*?)</tr>', board, re.S)
    }

    assert rows == {
        "Region eu": ["1", "late", "1", "late"],
        "Region us": ["1", "done", "1", "late"],
    }
    assert '<svg viewBox="0 0 360 150" role="img" aria-labelledby="chart-title chart-desc"' in html
    assert "1 of 4 environments done by " in page_text(html)
    assert "<td>Sat 12 Dec 2026</td><td>1</td>" in html


def test_menus_offer_only_what_may_follow_and_nothing_on_their_own(client, session, clock):
    world(session)
    made = planned(session)
    us_preview = wave(made, PREVIEW, "us")
    (only,) = us_preview.deployments
    releases.report_wave(
        session, us_preview.id, status="succeeded", actor="ci", now=us_preview.window.ends_at
    )
    session.commit()
    clock.now = LATER
    sign_in(client, session, now=LATER)

    html = client.get(PAGE).text

    assert options(html, f"wave-{us_preview.id}-status") == ["Choose an outcome", "Rolled back"]
    assert options(html, f"deployment-{only.id}-status") == ["Choose an outcome", "Rolled back"]
    eu_production = wave(made, PRODUCTION, "eu")
    assert options(html, f"wave-{eu_production.id}-status") == [
        "Choose an outcome",
        "In progress",
        "Succeeded",
        "Failed",
    ]
    assert "selected" not in re.search(
        rf'<select[^>]*name="wave-{us_preview.id}-status".*?</select>', html, re.S
    ).group(0)

    unchosen = post_form(
        client,
        PAGE,
        f"{PAGE}/waves/{eu_production.id}/outcome",
        {"status": "", "note": "kept"},
        prefix=f"wave-{eu_production.id}-",
    )
    assert unchosen.status_code == 422
    assert f'id="wave-{eu_production.id}-status-error">Choose an outcome' in unchosen.text
    assert 'value="kept"' in unchosen.text

    restart = post_form(
        client,
        PAGE,
        f"{PAGE}/deployments/{only.id}/outcome",
        {"status": "in_progress"},
        prefix=f"deployment-{only.id}-",
    )
    assert restart.status_code == 409
    assert "This deployment already succeeded; it can be rolled back but not restarted" in unescape(
        restart.text
    )


def test_a_success_before_the_window_is_refused_on_the_page_until_it_says_why_it_ran_early(
    client, session
):
    world(session)
    made = planned(session)
    us_preview = wave(made, PREVIEW, "us")
    session.commit()
    sign_in(client, session)
    action, prefix = f"{PAGE}/waves/{us_preview.id}/outcome", f"wave-{us_preview.id}-"
    assert "The window starts Sat 12 Dec 2026, 09:00 EST" in client.get(PAGE).text

    refused = post_form(client, PAGE, action, {"status": "succeeded", "note": "ci #9"}, prefix)
    assert refused.status_code == 409
    assert f'id="{prefix}early-error">' in refused.text
    assert 'value="ci #9"' in refused.text
    no_reason = post_form(
        client, PAGE, action, {"status": "succeeded", "early": "y", "early_reason": ""}, prefix
    )
    assert no_reason.status_code == 422
    reason_error = f'id="{prefix}early_reason-error">say why you deployed before the window'
    assert reason_error in no_reason.text
    session.expire_all()
    assert releases.get_release(session, "2026.12").status == "scheduled"

    done = post_form(
        client,
        PAGE,
        action,
        {"status": "succeeded", "early": "y", "early_reason": "Customer asked"},
        prefix,
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{PAGE}#wave-{us_preview.id}")
    session.expire_all()
    (deployment,) = wave(releases.get_release(session, "2026.12"), PREVIEW, "us").deployments
    assert [o.early_reason for o in releases.deployment_history(session, deployment)] == [
        "Customer asked"
    ]
    assert "recorded as succeeded, ran early" in client.get(PAGE).text


def test_cancelling_a_release_is_a_second_step_naming_what_happens(client, session):
    world(session)
    planned(session)
    session.commit()
    sign_in(client, session)

    html = page_text(client.get(PAGE).text)

    assert "Cancel release 2026.12…" in html
    assert "Its 4 planned environment deployments will be taken out of their windows" in html
    assert "Yes, cancel release 2026.12" in html


def test_a_hotfix_page_records_outcomes_with_the_same_menus_and_early_rule(client, session):
    world(session)
    patch = releases.request_hotfix(
        session,
        title="CSV import",
        urgency="normal",
        customers=["us-customer-0"],
        actor="rm",
        now=NOW,
    )
    session.commit()
    sign_in(client, session)
    page = f"/staff/hotfixes/{patch.id}"
    first, second = patch.deployments
    html = client.get(page).text
    assert "CSV import" in html
    assert options(html, f"deployment-{first.id}-status") == [
        "Choose an outcome",
        "In progress",
        "Succeeded",
        "Failed",
    ]
    action, prefix = f"{page}/deployments/{first.id}/outcome", f"deployment-{first.id}-"

    refused = post_form(client, page, action, {"status": "succeeded"}, prefix)
    assert refused.status_code == 409
    assert f'id="{prefix}early-error">' in refused.text
    done = post_form(
        client, page, action, {"status": "succeeded", "early": "y", "early_reason": "Hot"}, prefix
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{page}#{prefix[:-1]}")
    after = client.get(page).text
    assert options(after, f"deployment-{first.id}-status") == ["Choose an outcome", "Rolled back"]
    other = post_form(
        client,
        page,
        f"{page}/deployments/{first.id + 10_000}/outcome",
        {"status": "failed"},
        f"deployment-{first.id + 10_000}-",
    )
    assert other.status_code == 404


def test_a_hotfix_page_for_an_unknown_hotfix_is_not_found(client, session):
    sign_in(client, session)
    assert client.get("/staff/hotfixes/999999").status_code == 404


@pytest.mark.parametrize("role", ["support_agent"])
def test_staff_who_do_not_plan_read_the_board_without_outcome_forms(client, session, role):
    world(session)
    planned(session)
    session.commit()
    sign_in(client, session, role=role, email="agent@example.com")

    html = client.get(PAGE).text

    assert 'class="board"' in html
    assert "/outcome" not in html and "Cancel release" not in html
