"""The agenda the staff calendar shows, loaded from the database: what each window carries,
the facts the conflict rule is fed, and a number of queries that does not grow with the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from rollout import freezes, releases
from rollout.agenda import MOVED, load_agenda
from rollout.customers import get_customer, get_region
from rollout.windows import Window
from rollout.windows.conflicts import ConflictKind
from tests.conftest import NOW
from tests.factories import make_customer
from tests.rollout.releases.helpers import DEC, JAN, regular, release, world

START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)


@pytest.fixture
def stacked(session):
    """us and eu; 2026.12 and 2027.02 both planned from now, so both previews land in
    December's windows and both productions in January's; a patch for Acme."""
    world(session)
    for version in ("2026.12", "2027.02"):
        release(session, version)
        releases.plan_release(session, version, actor="rm", now=NOW)
    releases.request_hotfix(
        session,
        title="CSV import fix",
        urgency="normal",
        customers=["acme"],
        actor="rm",
        now=NOW,
    )
    session.flush()


def entry_of(agenda, window: Window):
    (found,) = [e for e in agenda.windows if e.window.id == window.id]
    return found


@contextmanager
def counted(session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    bind = session.connection()
    event.listen(bind, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", count)


def test_each_window_carries_its_waves_and_patches_with_environment_counts(session, stacked):
    agenda = load_agenda(session, start=START, end=END, now=NOW)
    december = entry_of(agenda, regular(session, "us", DEC))
    assert [(w.version, w.tier, w.environments) for w in december.waves] == [
        ("2026.12", "preview", 2),
        ("2027.02", "preview", 2),
    ]
    assert [(h.title, h.patch_for, h.environments) for h in december.hotfixes] == [
        ("CSV import fix", ("Acme",), 2)
    ]
    january_eu = entry_of(agenda, regular(session, "eu", JAN))
    assert [(w.version, w.tier, w.environments) for w in january_eu.waves] == [
        ("2026.12", "production", 1),
        ("2027.02", "production", 1),
    ]


def test_stacked_releases_in_inverted_order_reach_the_rule(session, stacked):
    agenda = load_agenda(session, start=START, end=END, now=NOW)
    december = entry_of(agenda, regular(session, "us", DEC))
    assert [c.kind for c in december.conflicts] == [
        ConflictKind.STACKED_RELEASES,
        ConflictKind.VERSION_ORDER,
    ]
    assert december.conflicts[0].text == "2 releases in one window: 2026.12, 2027.02"


def test_a_customer_sees_its_regions_windows_and_only_what_reaches_it(session, stacked):
    initech = get_customer(session, "initech")
    agenda = load_agenda(session, start=START, end=END, now=NOW, customer=initech)
    assert {e.window.region.slug for e in agenda.windows} == {"eu"}
    january = entry_of(agenda, regular(session, "eu", JAN))
    assert [(w.version, w.environments) for w in january.waves] == [
        ("2026.12", 1),
        ("2027.02", 1),
    ]
    acme = load_agenda(
        session, start=START, end=END, now=NOW, customer=get_customer(session, "acme")
    )
    december = entry_of(acme, regular(session, "us", DEC))
    assert [w.environments for w in december.waves] == [1, 1]  # Acme's preview alone
    assert [h.environments for h in december.hotfixes] == [2]


def test_freezes_and_event_plans_over_windows_are_found_for_the_region(session, stacked):
    freezes.create_freeze(
        session,
        title="Initech launch",
        customer="initech",
        starts_at=datetime(2027, 1, 8, tzinfo=UTC),
        ends_at=datetime(2027, 1, 11, tzinfo=UTC),
        actor="rm",
        now=NOW,
    )
    freezes.create_freeze(
        session,
        title="Holiday freeze",
        region="us",
        starts_at=datetime(2026, 12, 11, tzinfo=UTC),
        ends_at=datetime(2026, 12, 13, tzinfo=UTC),
        actor="rm",
        now=NOW,
    )
    eu = get_region(session, "eu")
    agenda = load_agenda(session, start=START, end=END, now=NOW, region=eu)
    january = entry_of(agenda, regular(session, "eu", JAN))
    assert [f.title for f in january.freezes] == ["Initech launch"]
    assert ConflictKind.EVENT_PLAN in [c.kind for c in january.conflicts]
    assert all(e.window.region_id == eu.id for e in agenda.windows)
    us = load_agenda(session, start=START, end=END, now=NOW, region=get_region(session, "us"))
    december = entry_of(us, regular(session, "us", DEC))
    assert [f.title for f in december.freezes] == ["Holiday freeze"]
    assert ConflictKind.FREEZE in [c.kind for c in december.conflicts]


def test_filters_by_kind_and_status_keep_conflicts_decided_over_every_window(session, stacked):
    agenda = load_agenda(session, start=START, end=END, now=NOW, statuses={MOVED})
    assert agenda.windows == []
    agenda = load_agenda(session, start=START, end=END, now=NOW, kinds={"emergency"})
    assert agenda.windows == []
    planned = load_agenda(session, start=START, end=END, now=NOW, statuses={"planned"})
    assert planned.windows and all(e.window.status == "planned" for e in planned.windows)


def test_the_number_of_queries_does_not_grow_with_customers_or_releases(session, stacked):
    with counted(session) as before:
        load_agenda(session, start=START, end=END, now=NOW)
    for n in range(6):
        make_customer(session, f"more-{n}", "us" if n % 2 else "eu")
    release(session, "2027.03")
    releases.plan_release(session, "2027.03", actor="rm", now=NOW)
    session.flush()
    session.expire_all()
    with counted(session) as after:
        agenda = load_agenda(session, start=START, end=END, now=NOW + timedelta(seconds=1))
    assert len(after) == len(before), (len(before), len(after))
    assert len(after) <= 12, after
    december = entry_of(agenda, regular(session, "us", DEC))
    assert [w.version for w in december.waves] == ["2026.12", "2027.02", "2027.03"]
