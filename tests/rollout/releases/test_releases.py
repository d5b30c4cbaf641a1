"""Releases and their items against a real database: versions, kinds, notes, the security
embargo; every refusal leaves the database as it found it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout import releases
from rollout.errors import Conflict, Invalid, NotFound
from rollout.releases import (
    ReleaseStatus,
)
from tests.conftest import NOW
from tests.rollout.releases.helpers import (
    LATER,
    PRODUCTION,
    deployment,
    planned,
    refused,
    release,
    succeed_everywhere,
    world,
)


@pytest.mark.parametrize(
    "version",
    [
        "",
        "v2026.12",
        "2026",
        "2026.12\n",
        " 2026.12",
        "1.2.3.4",
        "2026.12-",
        "2026.12-rc 1",
        2026.12,
    ],
)
def test_a_version_that_does_not_look_like_one_is_refused(session, version):
    with refused(session, Invalid) as caught:
        releases.create_release(session, version=version, title="x", now=NOW)
    assert caught.value.field == "version"


@pytest.mark.parametrize("version", ["2026.12", "4.2", "4.2.1", "4.2.1-rc.1"])
def test_a_well_formed_version_makes_a_draft_release(session, version):
    made = releases.create_release(session, version=version, title=" Winter ", now=NOW)

    assert made.status == ReleaseStatus.DRAFT and made.title == "Winter"
    assert releases.get_release(session, version) is made


def test_a_version_can_be_used_once(session):
    release(session, "2026.12")

    with refused(session, Conflict, "already exists") as caught:
        releases.create_release(session, version="2026.12", title="again", now=NOW)
    assert caught.value.field == "version"


def test_an_item_for_an_unknown_release_is_not_found(session):
    with refused(session, NotFound) as caught:
        releases.add_item(session, "9.9", kind="fix", summary="x", now=NOW)
    assert caught.value.field == "release"


def test_no_item_can_be_added_to_a_completed_or_a_cancelled_release(session):
    world(session)
    done = planned(session, "2026.12")
    succeed_everywhere(session, done, LATER)
    release(session, "2027.01")
    releases.update_release(session, "2027.01", cancel=True, now=NOW)

    for version in ("2026.12", "2027.01"):
        with refused(session, Conflict, "items can't be added") as caught:
            releases.add_item(session, version, kind="fix", summary="late", now=NOW)
        assert caught.value.field == "release"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "bugfix"}, "kind"),
        ({"kind": None}, "kind"),
        ({"jira_key": "ops-1"}, "jira_key"),
        ({"jira_key": "OPS-1\n"}, "jira_key"),
        ({"jira_key": "OPS-0"}, "jira_key"),
        ({"summary": "  "}, "summary"),
    ],
)
def test_an_item_needs_a_known_kind_a_summary_and_a_well_formed_jira_key(session, fields, field):
    release(session)
    item = {"kind": "fix", "summary": "Fix", "jira_key": "OPS-1"} | fields

    with refused(session, Invalid) as caught:
        releases.add_item(session, "2026.12", **item, now=NOW)
    assert caught.value.field == field


def test_markdown_notes_keep_bold_and_links_and_lose_script_handlers_and_javascript_links(session):
    release(session)
    note = (
        "**Faster** exports, see [the guide](https://docs.example.com/export).\n\n"
        "<script>alert('x')</script>\n\n"
        '<p onclick="steal()">click</p> [run](javascript:alert(1)) '
        '<img src=x onerror="alert(1)"> <a href="https://ok.example.com" onmouseover="x()">ok</a>'
    )

    item = releases.add_item(
        session, "2026.12", kind="feature", summary="internal", public_note=note, now=NOW
    )

    html = item.public_html
    assert "<strong>Faster</strong>" in html
    assert '<a href="https://docs.example.com/export" rel="noopener noreferrer">' in html
    assert '<a href="https://ok.example.com" rel="noopener noreferrer">ok</a>' in html
    for unsafe in ("<script", "alert(", "onclick", "onerror", "onmouseover", "javascript:", "<img"):
        assert unsafe not in html
    assert item.public_note == note.strip()


def test_security_items_stay_out_of_public_notes_until_the_release_is_deployed_everywhere(session):
    world(session)
    release(session)
    for kind in ("feature", "security", "fix"):
        releases.add_item(
            session, "2026.12", kind=kind, summary=kind, public_note=f"A {kind}", now=NOW
        )
    releases.add_item(session, "2026.12", kind="fix", summary="internal only", now=NOW)
    made = releases.plan_release(session, "2026.12", actor="rm", now=NOW)

    assert [i.kind for i in releases.public_items(made)] == ["feature", "fix"]
    waves = made.waves
    for w in waves[:-1]:
        releases.report_wave(session, w.id, status="succeeded", actor="ci", now=LATER)
    assert made.status == ReleaseStatus.ROLLING_OUT
    assert [i.kind for i in releases.public_items(made)] == ["feature", "fix"]

    releases.report_wave(session, waves[-1].id, status="succeeded", actor="ci", now=LATER)

    assert made.status == ReleaseStatus.COMPLETED
    assert [i.kind for i in releases.public_items(made)] == ["feature", "security", "fix"]


def test_a_rollback_after_completion_reopens_the_rollout_but_keeps_security_notes_public(
    session,
):
    world(session)
    release(session)
    releases.add_item(
        session, "2026.12", kind="security", summary="s", public_note="Closed a hole", now=NOW
    )
    made = releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    done = LATER
    succeed_everywhere(session, made, done)
    acme = deployment(session, "acme-production", release="2026.12")

    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=done)

    assert made.status == ReleaseStatus.ROLLING_OUT
    assert made.completed_at == done
    assert [i.kind for i in releases.public_items(made)] == ["security"]


def test_a_rolled_back_environment_is_redeployed_and_the_release_completes(session):
    world(session)
    made = planned(session)
    first, second = LATER, LATER + timedelta(days=1)
    succeed_everywhere(session, made, first)
    acme = deployment(session, "acme-production", release="2026.12")
    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=first)

    releases.report_outcome(session, acme, status="in_progress", actor="ci", now=second)
    releases.report_outcome(session, acme, status="succeeded", actor="ci", now=second)

    assert made.status == ReleaseStatus.COMPLETED
    (production,) = [
        s for s in releases.environment_states(session, "acme") if s.environment.kind == PRODUCTION
    ]
    assert production.current_release.version == "2026.12"
