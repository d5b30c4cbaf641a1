"""The rollout board: each region's preview and production by where their environments
stand, late ones apart, and the environments done day by day (UTC days)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from rollout import releases
from rollout.releases import Cell
from tests.conftest import NOW
from tests.rollout.releases.helpers import PREVIEW, PRODUCTION, deployment, planned, wave, world


def cells(board) -> dict[tuple[str, str], Cell]:
    return {
        (region.slug, str(tier)): board.cell(region, tier)
        for region in board.regions
        for tier in releases.TIERS
    }


def test_the_board_counts_each_regions_tiers_by_where_their_environments_stand(session):
    world(session)
    made = planned(session)
    us_preview, eu_preview = wave(made, PREVIEW, "us"), wave(made, PREVIEW, "eu")
    done_at = us_preview.window.ends_at
    releases.report_outcome(
        session,
        deployment(session, "acme-preview", release="2026.12"),
        status="succeeded",
        actor="ci",
        now=done_at,
    )
    releases.report_outcome(
        session,
        deployment(session, "globex-preview", release="2026.12"),
        status="failed",
        actor="ci",
        now=done_at,
    )
    releases.report_wave(session, eu_preview.id, status="in_progress", actor="ci", now=done_at)

    board = releases.rollout_board(session, made, now=done_at + timedelta(days=1))

    assert [r.slug for r in board.regions] == ["eu", "us"]  # by name
    assert cells(board) == {
        ("us", PREVIEW): Cell(done=1, failed=1),
        ("us", PRODUCTION): Cell(scheduled=2),
        ("eu", PREVIEW): Cell(in_progress=1),
        ("eu", PRODUCTION): Cell(scheduled=1),
    }
    assert (board.done, board.total) == (1, 6)
    assert board.done_by_day == [(done_at.date(), 1)]


def test_environments_still_scheduled_after_their_window_ended_are_late(session):
    world(session)
    made = planned(session)
    production = wave(made, PRODUCTION, "us")

    during = releases.rollout_board(session, made, now=production.window.starts_at)
    after = releases.rollout_board(session, made, now=production.window.ends_at)

    us = next(r for r in after.regions if r.slug == "us")
    assert during.cell(us, PRODUCTION) == Cell(scheduled=2)
    assert after.cell(us, PRODUCTION) == Cell(late=2)
    assert after.cell(us, PRODUCTION).counts() == [("late", 2)]


def test_environments_done_are_counted_by_their_utc_day_whatever_the_sessions_zone(session):
    world(session)
    made = planned(session)
    if session.bind.dialect.name == "postgresql":
        # Already the 13th there when the us preview window closes on the 12th (UTC).
        session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    for kind, region in ((PREVIEW, "us"), (PREVIEW, "eu"), (PRODUCTION, "us")):
        each = wave(made, kind, region)
        releases.report_wave(
            session, each.id, status="succeeded", actor="ci", now=each.window.ends_at
        )

    board = releases.rollout_board(session, made, now=wave(made, PRODUCTION, "eu").window.ends_at)

    assert board.done_by_day == [(date(2026, 12, 12), 3), (date(2027, 1, 9), 5)]


def test_a_release_without_waves_has_an_empty_board(session):
    world(session)
    made = releases.create_release(session, version="2027.01", title="x", now=NOW)

    board = releases.rollout_board(session, made, now=made.created_at)

    assert (board.regions, board.total, board.done_by_day) == ([], 0, [])
