"""Releases, waves, deployments and hotfixes against a real database; every refusal leaves the
database as it found it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from rollout import releases
from rollout.customers import get_customer
from rollout.demo import load_demo
from rollout.errors import Conflict, Forbidden, Invalid, NotFound
from rollout.freezes import create_freeze
from rollout.releases import (
    Deployment,
    DeploymentStatus,
    HotfixStatus,
    Release,
    ReleaseItem,
    ReleaseStatus,
    Wave,
)
from rollout.releases.models import Hotfix, hotfix_customer
from rollout.windows import (
    PUBLIC,
    STAFF,
    Audience,
    Window,
    WindowKind,
    WindowRevision,
    list_windows,
)
from tests.conftest import NOW
from tests.factories import CONTEXT, ZONES, make_customer, make_policy, make_region

# NOW is Sunday 2026-11-22 12:00Z; the second Saturdays ahead are Dec 12, Jan 9 and Feb 13.
DEC, JAN, FEB = date(2026, 12, 12), date(2027, 1, 9), date(2027, 2, 13)
PREVIEW, PRODUCTION = "preview", "production"


def world(session) -> None:
    """Regions us and eu on the second-Saturday rule; acme and globex in us, initech in eu."""
    for region in ("us", "eu"):
        make_region(session, region)
        make_policy(session, region)
    make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    make_customer(session, "initech", "eu")


def regular(session, region: str, day: date) -> Window:
    """The region's regular window on local `day`."""
    (found,) = [
        w
        for w in list_windows(
            session,
            start=datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=1),
            end=datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=2),
            audience=STAFF,
        )
        if w.region.slug == region
        and w.kind == WindowKind.REGULAR
        and w.starts_at.astimezone(_zone(region)).date() == day
    ]
    return found


def _zone(region: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONES[region])


def release(session, version: str = "2026.12", *, items: int = 0, **fields) -> Release:
    made = releases.create_release(
        session, version=version, title=f"Release {version}", now=NOW, **fields
    )
    for n in range(items):
        releases.add_item(
            session, version, kind="fix", summary=f"fix {n}", jira_key=f"OPS-{n + 1}", now=NOW
        )
    return made


def planned(session, version: str = "2026.12", **fields) -> Release:
    release(session, version, **fields)
    return releases.plan_release(session, version, actor="rm", now=NOW)


def shape(release: Release) -> list[tuple[str, str, date, list[str]]]:
    """Each wave as (kind, region, local day, customers)."""
    return [
        (
            str(w.environment_kind),
            w.window.region.slug,
            w.window.starts_at.astimezone(_zone(w.window.region.slug)).date(),
            sorted(d.environment.customer.slug for d in w.deployments),
        )
        for w in release.waves
    ]


def wave(release: Release, kind: str, region: str) -> Wave:
    (found,) = [
        w for w in release.waves if w.environment_kind == kind and w.window.region.slug == region
    ]
    return found


def deployment(session, environment: str, *, release: str | None = None, hotfix=None):
    return releases.find_deployment(
        session, environment=environment, release=release, hotfix=hotfix.id if hotfix else None
    )


def succeed_everywhere(session, release: Release, at: datetime) -> None:
    for w in release.waves:
        releases.report_wave(session, w.id, status="succeeded", actor="pipeline", now=at)


def snapshot(session) -> dict[str, list]:
    """Every row of the tables these use cases write, by primary key."""
    session.flush()
    tables = [
        t.__table__
        for t in (Release, ReleaseItem, Wave, Deployment, Hotfix, Window, WindowRevision)
    ] + [hotfix_customer]
    return {
        t.name: session.execute(select(t).order_by(*t.primary_key.columns)).all() for t in tables
    }


@contextmanager
def refused(session, error: type[Exception], match: str | None = None) -> Iterator:
    """The block raises `error` and the database is exactly as before."""
    before = snapshot(session)
    with pytest.raises(error, match=match) as caught:
        yield caught
    assert snapshot(session) == before


# --- releases and items --------------------------------------------------------------------------


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
    succeed_everywhere(session, done, NOW)
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
        releases.report_wave(session, w.id, status="succeeded", actor="ci", now=NOW)
    assert made.status == ReleaseStatus.ROLLING_OUT
    assert [i.kind for i in releases.public_items(made)] == ["feature", "fix"]

    releases.report_wave(session, waves[-1].id, status="succeeded", actor="ci", now=NOW)

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
    done = NOW + timedelta(days=30)
    succeed_everywhere(session, made, done)
    acme = deployment(session, "acme-production", release="2026.12")

    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=done)

    assert made.status == ReleaseStatus.ROLLING_OUT
    assert made.completed_at == done
    assert [i.kind for i in releases.public_items(made)] == ["security"]


def test_a_rolled_back_environment_is_redeployed_and_the_release_completes(session):
    world(session)
    made = planned(session)
    first, second = NOW + timedelta(days=30), NOW + timedelta(days=31)
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


# --- planning ------------------------------------------------------------------------------------


def test_plan_puts_preview_first_and_each_regions_production_in_its_next_window_after_the_soak(
    session,
):
    world(session)

    made = planned(session)

    assert made.status == ReleaseStatus.SCHEDULED
    assert shape(made) == [
        (PREVIEW, "eu", DEC, ["initech"]),
        (PREVIEW, "us", DEC, ["acme", "globex"]),
        (PRODUCTION, "eu", JAN, ["initech"]),
        (PRODUCTION, "us", JAN, ["acme", "globex"]),
    ]
    assert [w.position for w in made.waves] == [1, 2, 3, 4]
    deployments = [d for w in made.waves for d in w.deployments]
    assert len(deployments) == 6
    assert all(
        d.status == DeploymentStatus.SCHEDULED and d.scheduled_for == d.wave.window.starts_at
        for d in deployments
    )
    assert releases.region_dates(made)["us"] == {
        "preview": regular(session, "us", DEC).starts_at,
        "production": regular(session, "us", JAN).starts_at,
    }


def test_a_customer_in_its_event_plan_gets_production_in_its_next_allowed_window_and_a_note(
    session,
):
    world(session)
    january = regular(session, "eu", JAN)
    create_freeze(
        session,
        title="Initech launch",
        customer="initech",
        starts_at=january.starts_at - timedelta(days=1),
        ends_at=january.ends_at + timedelta(days=1),
        actor="rm",
        now=NOW,
    )

    made = planned(session)

    assert shape(made)[2:] == [
        (PRODUCTION, "us", JAN, ["acme", "globex"]),
        (PRODUCTION, "eu", FEB, ["initech"]),
    ]
    assert wave(made, PRODUCTION, "eu").note == "initech moved past 'Initech launch'"
    assert wave(made, PRODUCTION, "us").note == ""


def test_a_release_with_a_longer_soak_waits_another_month(session):
    world(session)

    made = planned(session, soak_days=40)

    assert {(k, day) for k, _, day, _ in shape(made)} == {(PREVIEW, DEC), (PRODUCTION, FEB)}


def test_planning_again_replaces_the_waves_and_their_deployments(session):
    world(session)
    planned(session)

    made = releases.plan_release(session, "2026.12", actor="rm", now=NOW + timedelta(days=30))

    assert [day for _, _, day, _ in shape(made)] == [JAN, JAN, FEB, FEB]
    count = session.scalars(select(Deployment).where(Deployment.release_id == made.id)).all()
    assert len(count) == 6


def test_planning_with_no_windows_ahead_is_refused_and_changes_nothing(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    release(session)

    with refused(session, Conflict, "no preview window for acme") as caught:
        releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    assert caught.value.field == "windows"
    assert releases.get_release(session, "2026.12").status == ReleaseStatus.DRAFT


def test_only_a_draft_or_scheduled_release_can_be_planned(session):
    world(session)
    release(session)
    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    with refused(session, Conflict, "only a draft or scheduled") as caught:
        releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    assert caught.value.field == "status"


def test_the_demo_holds_a_release_of_each_kind_a_zero_day_and_a_patch(session):
    assert load_demo(session, now=NOW, context=CONTEXT)
    before = snapshot(session)

    by_status = {r.status: r for r in releases.list_releases(session)}
    assert sorted(by_status) == ["completed", "draft", "rolling_out"]
    rolling = by_status["rolling_out"]
    done = {
        (str(w.environment_kind), w.window.region.slug): {d.status for d in w.deployments}
        for w in rolling.waves
    }
    assert done == {
        (PREVIEW, "apac"): {"succeeded"},
        (PREVIEW, "eu"): {"succeeded"},
        (PREVIEW, "us"): {"succeeded"},
        (PRODUCTION, "eu"): {"succeeded"},
        (PRODUCTION, "us"): {"succeeded"},
        (PRODUCTION, "apac"): {"scheduled"},
    }
    assert [w.position for w in rolling.waves] == [1, 2, 3, 4, 5, 6]
    assert [i.kind for i in releases.public_items(rolling)] == ["feature", "fix"]
    assert "security" in [i.kind for i in releases.public_items(by_status["completed"])]
    assert by_status["draft"].items and by_status["draft"].waves == []
    patch, zero_day = sorted(releases.list_hotfixes(session), key=lambda h: h.urgency)
    assert (patch.status, [c.slug for c in patch.customers]) == ("applied", ["stark"])
    assert zero_day.status == "scheduled" and zero_day.requested_by != zero_day.approved_by
    assert {(d.window.kind, d.window.customer_id) for d in zero_day.deployments} == {
        ("emergency", None)
    }
    states = {
        s.environment.name: s
        for c in ("acme", "stark")
        for s in releases.environment_states(session, c)
    }
    assert states["acme-production"].current_release is rolling
    assert states["stark-production"].current_release is by_status["completed"]
    assert [h.title for h in states["stark-production"].hotfixes] == [patch.title]

    assert not load_demo(session, now=NOW, context=CONTEXT)
    assert snapshot(session) == before


def test_the_demo_release_in_draft_plans_around_the_launch_and_the_moved_window(session):
    load_demo(session, now=NOW, context=CONTEXT)
    (draft,) = releases.list_releases(session, statuses={ReleaseStatus.DRAFT})

    made = releases.plan_release(session, draft.version, actor="rm", now=NOW)

    assert shape(made) == [
        (PREVIEW, "apac", DEC, ["stark", "wayne"]),
        (PREVIEW, "eu", DEC, ["initech", "umbrella"]),
        (PREVIEW, "us", DEC, ["acme", "globex"]),
        (PRODUCTION, "eu", JAN, ["umbrella"]),
        (PRODUCTION, "us", JAN, ["acme", "globex"]),
        (PRODUCTION, "apac", date(2027, 1, 16), ["stark", "wayne"]),
        (PRODUCTION, "eu", FEB, ["initech"]),
    ]
    assert made.waves[-1].note == "initech moved past 'Initech product launch'"


# --- editing the plan ----------------------------------------------------------------------------


def test_moving_a_wave_to_a_later_window_moves_its_deployments_and_its_place(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "eu")
    february = regular(session, "eu", FEB)

    releases.move_wave(session, production.id, window_id=february.id, now=NOW)

    assert production.window is february
    assert {(d.window_id, d.scheduled_for) for d in production.deployments} == {
        (february.id, february.starts_at)
    }
    assert [(kind, region, day) for kind, region, day, _ in shape(made)] == [
        (PREVIEW, "eu", DEC),
        (PREVIEW, "us", DEC),
        (PRODUCTION, "us", JAN),
        (PRODUCTION, "eu", FEB),
    ]
    assert [w.position for w in made.waves] == [1, 2, 3, 4]


def test_moving_a_wave_into_a_customers_freeze_is_refused(session):
    world(session)
    made = planned(session)
    february = regular(session, "us", FEB)
    create_freeze(
        session,
        title="Globex migration",
        customer="globex",
        starts_at=february.starts_at,
        ends_at=february.ends_at,
        actor="rm",
        now=NOW,
    )

    with refused(session, Conflict, "globex is frozen then") as caught:
        releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=february.id, now=NOW)
    assert caught.value.field == "window"


def test_moving_production_inside_the_soak_time_is_refused(session):
    world(session)
    made = planned(session)

    with refused(session, Conflict, "at least 7 days after its preview ends"):
        releases.move_wave(
            session,
            wave(made, PRODUCTION, "us").id,
            window_id=regular(session, "us", DEC).id,
            now=NOW,
        )


def test_moving_preview_after_production_is_refused(session):
    world(session)
    made = planned(session)

    with refused(session, Conflict, "preview must end 7 days before its production"):
        releases.move_wave(
            session, wave(made, PREVIEW, "us").id, window_id=regular(session, "us", FEB).id, now=NOW
        )


def test_moving_a_wave_to_another_regions_window_is_refused(session):
    world(session)
    made = planned(session)

    with refused(session, Invalid, "is not one of region us's windows") as caught:
        releases.move_wave(
            session,
            wave(made, PRODUCTION, "us").id,
            window_id=regular(session, "eu", FEB).id,
            now=NOW,
        )
    assert caught.value.field == "window"


def test_a_wave_cannot_move_into_a_window_that_has_begun(session):
    world(session)
    made = planned(session)

    with refused(session, Invalid, "already begun"):
        releases.move_wave(
            session,
            wave(made, PRODUCTION, "us").id,
            window_id=regular(session, "us", JAN).id,
            now=regular(session, "us", JAN).starts_at + timedelta(minutes=5),
        )


def test_a_wave_cannot_move_into_a_window_that_does_not_exist(session):
    world(session)
    made = planned(session)

    with refused(session, Invalid, "no window #999999") as caught:
        releases.move_wave(session, wave(made, PRODUCTION, "us").id, window_id=999999, now=NOW)
    assert caught.value.field == "window"


def test_an_outcome_for_an_unknown_release_or_hotfix_names_it(session):
    world(session)
    planned(session)

    with pytest.raises(NotFound) as release:
        releases.find_deployment(session, environment="acme-preview", release="1999.01")
    with pytest.raises(NotFound) as hotfix:
        releases.find_deployment(session, environment="acme-preview", hotfix=999999)
    assert (release.value.field, hotfix.value.field) == ("release", "hotfix")


def test_a_wave_that_has_started_cannot_move(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")
    releases.report_outcome(
        session, production.deployments[0], status="in_progress", actor="ci", now=NOW
    )

    with refused(session, Conflict, "has started") as caught:
        releases.move_wave(
            session, production.id, window_id=regular(session, "us", FEB).id, now=NOW
        )
    assert caught.value.field == "wave"


# --- outcomes ------------------------------------------------------------------------------------


def test_a_deployment_goes_from_scheduled_to_in_progress_to_succeeded_and_can_be_rolled_back(
    session,
):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    start, end = NOW + timedelta(days=20), NOW + timedelta(days=20, hours=1)

    releases.report_outcome(session, acme, status="in_progress", actor="ci", now=start)
    assert (acme.status, acme.started_at, acme.finished_at) == ("in_progress", start, None)
    releases.report_outcome(session, acme, status="succeeded", note=" ok ", actor="ci", now=end)
    assert (acme.status, acme.started_at, acme.finished_at, acme.note) == (
        "succeeded",
        start,
        end,
        "ok",
    )
    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=end)
    assert acme.status == DeploymentStatus.ROLLED_BACK and acme.reported_by == "rm"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "rolled_back"),
        ([], "scheduled"),
        (["in_progress"], "in_progress"),
        (["succeeded"], "in_progress"),
        (["succeeded"], "failed"),
        (["succeeded", "rolled_back"], "rolled_back"),
    ],
)
def test_an_outcome_that_cannot_follow_the_current_one_is_a_conflict(session, path, illegal):
    world(session)
    planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    for status in path:
        releases.report_outcome(session, acme, status=status, actor="ci", now=NOW)

    with refused(session, Conflict, "cannot become") as caught:
        releases.report_outcome(session, acme, status=illegal, actor="ci", now=NOW)
    assert caught.value.field == "status"


def test_an_unknown_outcome_is_invalid(session):
    world(session)
    planned(session)

    with refused(session, Invalid) as caught:
        releases.report_outcome(
            session,
            deployment(session, "acme-preview", release="2026.12"),
            status="done",
            actor="ci",
            now=NOW,
        )
    assert caught.value.field == "status"


def test_an_environment_outside_the_wave_is_refused(session):
    world(session)
    made = planned(session)

    with pytest.raises(Invalid, match="not part of this rollout in wave") as caught:
        releases.find_deployment(
            session,
            environment="initech-preview",
            release="2026.12",
            wave=wave(made, PREVIEW, "us").id,
        )
    assert caught.value.field == "environment"


def test_the_release_rolls_out_with_the_first_outcome_and_completes_with_the_last(session):
    world(session)
    made = planned(session)
    *early, last = made.waves
    releases.report_outcome(
        session, early[0].deployments[0], status="in_progress", actor="ci", now=NOW
    )
    assert (made.status, made.completed_at) == (ReleaseStatus.ROLLING_OUT, None)

    for w in early:
        releases.report_wave(session, w.id, status="succeeded", actor="ci", now=NOW)
    assert made.status == ReleaseStatus.ROLLING_OUT
    done = NOW + timedelta(days=50)
    releases.report_wave(session, last.id, status="succeeded", actor="ci", now=done)

    assert (made.status, made.completed_at) == (ReleaseStatus.COMPLETED, done)


def test_a_whole_wave_report_is_all_or_nothing(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")
    globex = deployment(session, "globex-production", release="2026.12")
    releases.report_outcome(session, globex, status="succeeded", actor="ci", now=NOW)

    # acme's deployment could succeed, globex's already has: neither changes.
    with refused(session, Conflict, "globex-production is succeeded"):
        releases.report_wave(session, production.id, status="succeeded", actor="ci", now=NOW)
    assert deployment(session, "acme-production", release="2026.12").status == "scheduled"


def test_rolling_back_puts_the_environment_back_on_its_previous_release(session):
    world(session)
    first = planned(session, "2026.12")
    succeed_everywhere(session, first, NOW + timedelta(days=1))
    planned(session, "2027.01")
    acme = deployment(session, "acme-production", release="2027.01")
    releases.report_outcome(
        session, acme, status="succeeded", actor="ci", now=NOW + timedelta(days=2)
    )

    def current() -> dict[str, str | None]:
        return {
            s.environment.name: s.current_release.version if s.current_release else None
            for s in releases.environment_states(session, "acme")
        }

    assert current() == {"acme-preview": "2026.12", "acme-production": "2027.01"}

    releases.report_outcome(
        session, acme, status="rolled_back", actor="rm", now=NOW + timedelta(days=3)
    )

    assert current() == {"acme-preview": "2026.12", "acme-production": "2026.12"}
    (production,) = [
        s for s in releases.environment_states(session, "acme") if s.environment.kind == PRODUCTION
    ]
    assert [(d.release.version, d.status) for d in production.history] == [
        ("2026.12", "succeeded"),
        ("2027.01", "rolled_back"),
    ]
    assert [d.release.version for d in production.upcoming] == []


def test_environment_states_show_upcoming_deployments_and_hotfixes_on_top(session):
    world(session)
    first = planned(session, "2026.12")
    succeed_everywhere(session, first, NOW + timedelta(days=1))
    hotfix = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="rm", now=NOW + timedelta(days=2)
    )
    for d in hotfix.deployments:
        if d.environment.customer.slug == "acme":
            releases.report_outcome(
                session, d, status="succeeded", actor="ci", now=NOW + timedelta(days=40)
            )
    planned(session, "2027.02")

    states = {s.environment.kind: s for s in releases.environment_states(session, "acme")}

    assert [h.title for h in states[PRODUCTION].hotfixes] == ["Export fix"]
    assert [d.release.version for d in states[PRODUCTION].upcoming] == ["2027.02"]
    assert states[PREVIEW].current_release.version == "2026.12"


def test_cancelling_a_release_withdraws_what_had_not_started(session):
    world(session)
    made = planned(session)
    acme = deployment(session, "acme-preview", release="2026.12")
    releases.report_outcome(session, acme, status="failed", actor="ci", now=NOW)

    releases.update_release(session, "2026.12", cancel=True, now=NOW)

    left = session.scalars(select(Deployment).where(Deployment.release_id == made.id)).all()
    assert left == [acme]
    for customer in ("acme", "globex", "initech"):
        for state in releases.environment_states(session, customer):
            assert all(d.status == "failed" for d in state.upcoming)
    releases.report_outcome(session, acme, status="rolled_back", actor="rm", now=NOW)
    assert made.status == ReleaseStatus.CANCELLED


def test_environments_with_a_fix_are_found_by_release_item_and_by_hotfix_but_not_rolled_back(
    session,
):
    world(session)
    release(session, "2026.12")
    releases.add_item(session, "2026.12", kind="fix", summary="Export", jira_key="OPS-1", now=NOW)
    releases.plan_release(session, "2026.12", actor="rm", now=NOW)
    for env in ("acme-preview", "acme-production", "initech-preview"):
        releases.report_outcome(
            session,
            deployment(session, env, release="2026.12"),
            status="succeeded",
            actor="ci",
            now=NOW,
        )
    releases.report_outcome(
        session,
        deployment(session, "acme-production", release="2026.12"),
        status="rolled_back",
        actor="rm",
        now=NOW,
    )
    hotfix = releases.request_hotfix(
        session, title="Login fix", urgency="normal", jira_key="OPS-2", actor="rm", now=NOW
    )
    releases.report_outcome(
        session,
        deployment(session, "globex-production", hotfix=hotfix),
        status="succeeded",
        actor="ci",
        now=NOW,
    )
    release(session, "2027.01")
    releases.add_item(session, "2027.01", kind="fix", summary="Later", jira_key="OPS-3", now=NOW)

    def names(key: str) -> list[str]:
        return [e.name for e in releases.environments_with_fix(session, key)]

    assert names("OPS-1") == ["acme-preview", "initech-preview"]
    assert names("OPS-2") == ["globex-production"]
    assert names("OPS-3") == []
    assert names("OPS-404") == []


# --- hotfixes ------------------------------------------------------------------------------------


def zero_day(session, *, customers=None, actor="alice", now=NOW):
    return releases.request_hotfix(
        session,
        title="OpenSSL CVE",
        urgency="zero_day",
        jira_key="SEC-7",
        justification="Exploited in the wild",
        customers=customers,
        actor=actor,
        now=now,
    )


def test_a_zero_day_needs_a_justification(session):
    world(session)

    with refused(session, Invalid) as caught:
        releases.request_hotfix(
            session, title="CVE", urgency="zero_day", justification="  ", actor="alice", now=NOW
        )
    assert caught.value.field == "justification"


def test_a_zero_day_waits_for_approval_and_the_requester_cannot_give_it(session):
    world(session)
    hotfix = zero_day(session)
    assert hotfix.status == HotfixStatus.AWAITING_APPROVAL and hotfix.deployments == []

    for same_person in ("alice", " Alice "):
        with refused(session, Forbidden) as caught:
            releases.approve_hotfix(session, hotfix.id, actor=same_person, now=NOW, context=CONTEXT)
        assert caught.value.field == "approved_by"
    assert hotfix.approved_by is None


def test_customers_do_not_see_a_zero_day_before_it_is_approved(session):
    world(session)
    hotfix = zero_day(session)
    acme = get_customer(session, "acme")
    assert releases.list_hotfixes(session, customer=acme) == []

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    assert releases.list_hotfixes(session, customer=acme) == [hotfix]
    titles = {d.window.title for d in hotfix.deployments}
    assert titles == {"Emergency maintenance"}, "the public title must not name the hole"


def test_approving_a_zero_day_for_everyone_opens_an_emergency_window_in_each_region(session):
    world(session)
    hotfix = zero_day(session)

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    assert (hotfix.status, hotfix.approved_by, hotfix.approved_at) == ("scheduled", "bob", NOW)
    windows = {d.window for d in hotfix.deployments}
    assert sorted((w.region.slug, w.customer_id, w.kind) for w in windows) == [
        ("eu", None, "emergency"),
        ("us", None, "emergency"),
    ]
    assert {(w.starts_at, w.ends_at) for w in windows} == {
        (NOW + timedelta(minutes=30), NOW + timedelta(minutes=90))
    }
    assert all(w.justification == "Exploited in the wild" for w in windows)
    assert len(hotfix.deployments) == 6
    public = list_windows(session, start=NOW, end=NOW + timedelta(days=1), audience=PUBLIC)
    assert windows <= set(public)
    with refused(session, Conflict, "is scheduled"):
        releases.approve_hotfix(session, hotfix.id, actor="carol", now=NOW, context=CONTEXT)


def test_an_emergency_window_waits_for_a_regions_freeze_to_end(session):
    world(session)
    create_freeze(
        session,
        title="EU network work",
        region="eu",
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=3, minutes=7),
        actor="rm",
        now=NOW,
    )
    hotfix = zero_day(session)

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    starts = {d.window.region.slug: d.window.starts_at for d in hotfix.deployments}
    assert starts == {
        "us": NOW + timedelta(minutes=30),
        "eu": NOW + timedelta(days=3, minutes=15),
    }


def test_an_approval_that_finds_no_emergency_slot_leaves_nothing_behind(session):
    world(session)
    create_freeze(
        session,
        title="EU data-centre move",
        region="eu",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=14),
        actor="rm",
        now=NOW,
    )
    hotfix = zero_day(session)

    # The us window would fit; eu finds none within a week, so neither is kept.
    with refused(session, Conflict, "no free emergency slot within a week") as caught:
        releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)
    assert caught.value.field == "windows"
    assert hotfix.status == HotfixStatus.AWAITING_APPROVAL and hotfix.approved_by is None


def test_approving_a_zero_day_patch_opens_a_window_only_that_customer_sees(session):
    world(session)
    hotfix = zero_day(session, customers=["acme"])

    releases.approve_hotfix(session, hotfix.id, actor="bob", now=NOW, context=CONTEXT)

    (window,) = {d.window for d in hotfix.deployments}
    assert window.kind == WindowKind.EMERGENCY and window.customer.slug == "acme"
    assert sorted(d.environment.name for d in hotfix.deployments) == [
        "acme-preview",
        "acme-production",
    ]
    day = {"start": NOW, "end": NOW + timedelta(days=1)}
    assert window not in list_windows(session, **day, audience=PUBLIC)
    assert window in list_windows(session, **day, audience=STAFF)
    assert window in list_windows(session, **day, audience=Audience(customer_id=window.customer_id))
    globex = get_customer(session, "globex")
    assert window not in list_windows(session, **day, audience=Audience(customer_id=globex.id))


def test_a_normal_hotfix_goes_in_the_next_regular_window_without_approval(session):
    world(session)

    hotfix = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="alice", now=NOW
    )

    assert hotfix.status == HotfixStatus.SCHEDULED and hotfix.approved_by is None
    assert {d.window for d in hotfix.deployments} == {
        regular(session, "us", DEC),
        regular(session, "eu", DEC),
    }
    assert len(hotfix.deployments) == 6


def test_a_normal_hotfix_waits_for_a_customers_event_plan_to_end(session):
    world(session)
    december = regular(session, "eu", DEC)
    create_freeze(
        session,
        title="Initech launch",
        customer="initech",
        starts_at=december.starts_at - timedelta(days=1),
        ends_at=december.ends_at + timedelta(days=1),
        actor="rm",
        now=NOW,
    )

    hotfix = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="alice", now=NOW
    )

    windows = {d.environment.customer.slug: d.window for d in hotfix.deployments}
    assert windows == {
        "acme": regular(session, "us", DEC),
        "globex": regular(session, "us", DEC),
        "initech": regular(session, "eu", JAN),
    }


def test_a_normal_hotfix_with_no_allowed_window_ahead_is_refused_and_leaves_nothing(session):
    world(session)
    create_freeze(
        session,
        title="Acme audit",
        customer="acme",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=3650),
        actor="rm",
        now=NOW,
    )

    with refused(session, Conflict, "no regular window ahead for acme") as caught:
        releases.request_hotfix(
            session, title="Export fix", urgency="normal", actor="alice", now=NOW
        )
    assert caught.value.field == "windows"


def test_a_normal_hotfix_with_no_window_planned_is_refused_and_leaves_nothing(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")

    with refused(session, Conflict, "no regular window ahead for acme"):
        releases.request_hotfix(
            session, title="Export fix", urgency="normal", actor="alice", now=NOW
        )


def test_a_patch_deploys_only_to_its_customers_environments_and_only_they_see_it(session):
    world(session)

    patch = releases.request_hotfix(
        session,
        title="Acme import patch",
        urgency="normal",
        customers=["acme", "acme"],
        actor="alice",
        now=NOW,
    )
    everyone = releases.request_hotfix(
        session, title="Export fix", urgency="normal", actor="alice", now=NOW
    )

    assert patch.is_patch and [c.slug for c in patch.customers] == ["acme"]
    assert sorted(d.environment.name for d in patch.deployments) == [
        "acme-preview",
        "acme-production",
    ]
    acme, globex = get_customer(session, "acme"), get_customer(session, "globex")
    assert releases.list_hotfixes(session, customer=globex) == [everyone]
    assert releases.list_hotfixes(session, customer=acme) == [everyone, patch]
    assert releases.list_hotfixes(session) == [everyone, patch]


def test_a_patch_for_an_unknown_customer_is_refused_and_leaves_nothing(session):
    world(session)

    with refused(session, NotFound) as caught:
        releases.request_hotfix(
            session,
            title="Patch",
            urgency="normal",
            customers=["acme", "nobody"],
            actor="a",
            now=NOW,
        )
    assert caught.value.field == "customers"
