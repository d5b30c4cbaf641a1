"""The README's tour and the demo say the same: each claim the tour makes, read from its text
where it names something (`slugs`, addresses, ticket ids), checked against the demo's data."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from rollout import access, releases
from rollout.customers import Customer, Region
from rollout.demo import CONTACTS, STAFF_SIGNINS, is_empty, load_demo
from rollout.freezes import list_freezes
from rollout.releases import ReleaseStatus
from rollout.support.fix_status.answers import look_up
from rollout.support.models import Ticket
from rollout.windows import STAFF, WindowKind, WindowStatus, list_windows
from rollout.windows.models import WindowRevision
from tests.factories import CONTEXT

README = Path(__file__).parents[2] / "README.md"
# The tour says "run in December 2026": the demo is made relative to the day it runs.
DECEMBER = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PASSWORD = "the demo's shared password"


def tour() -> str:
    text = README.read_text()
    return text[text.index("## A short tour") : text.index("To watch notifications")]


def bullet(label: str) -> str:
    """The tour's bullet that starts `- {label}:`, on one line."""
    found = re.search(rf"^- {re.escape(label)}:(.*?)(?=^- |\Z)", tour(), re.M | re.S)
    assert found, f"the tour has no '- {label}:' bullet"
    return " ".join(found.group(1).split())


def quoted(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


@pytest.fixture
def demo(session):
    assert load_demo(session, now=DECEMBER, context=CONTEXT, password=PASSWORD)
    session.commit()
    return session


def upcoming(session, region: str) -> list:
    """The region's regular windows after the demo's day, by start, cancelled ones included."""
    return [
        w
        for w in list_windows(
            session, start=DECEMBER, end=datetime(2027, 7, 1, tzinfo=UTC), audience=STAFF
        )
        if w.region.slug == region and w.kind == WindowKind.REGULAR and w.starts_at > DECEMBER
    ]


def test_the_tours_sign_ins_open_with_the_one_password_in_the_roles_it_names(demo):
    text = bullet("Sign-ins")
    assert quoted(text)[:3] == [email for email, _, _ in STAFF_SIGNINS]
    for email, _, role in STAFF_SIGNINS:
        described = text[text.index(email) :].split("(", 1)[1]
        assert described.startswith(role.replace("_", " "))
        assert access.authenticate_user(demo, email, PASSWORD).role == role


def test_the_tours_regions_and_customers_are_the_demos(demo):
    regions = {r.slug: r.timezone for r in demo.scalars(select(Region))}
    assert dict(re.findall(r"`(\w+)` (\w+/\w+)", bullet("Regions"))) == regions
    text = bullet("Customers")
    homes = {c.slug: c.region.slug for c in demo.scalars(select(Customer))}
    named = [name for name in quoted(text) if name not in regions]
    assert sorted(named) == sorted(homes)
    for slug, region in homes.items():
        after = text[text.index(f"`{slug}`") :]
        assert after[after.index(" in `") :].startswith(f" in `{region}`")


def test_the_tours_releases_are_where_it_says(demo):
    text = bullet("Releases")
    assert "run in December 2026: 2026.08, 2026.10 and 2026.12" in text
    by_status = {r.status: r for r in releases.list_releases(demo)}
    assert {s: r.version for s, r in by_status.items()} == {
        ReleaseStatus.COMPLETED: "2026.08",
        ReleaseStatus.ROLLING_OUT: "2026.10",
        ReleaseStatus.DRAFT: "2026.12",
    }
    done_in = re.search(r"production done in ((?:`\w+`(?: and |, )?)+)", text).group(1)
    production = {
        w.window.region.slug: {d.status for d in w.deployments}
        for w in by_status[ReleaseStatus.ROLLING_OUT].waves
        if w.environment_kind == "production"
    }
    assert {r for r, s in production.items() if s == {"succeeded"}} == set(quoted(done_in))
    assert "`apac`'s production waits for its next window" in text
    waiting = [
        w.window
        for w in by_status[ReleaseStatus.ROLLING_OUT].waves
        if w.window.region.slug == "apac" and w.environment_kind == "production"
    ]
    assert waiting == upcoming(demo, "apac")[:1]
    patch, zero_day = sorted(releases.list_hotfixes(demo), key=lambda h: h.urgency)
    assert [c.slug for c in patch.customers] == ["stark"] and "for `stark` alone" in text
    assert (zero_day.requested_by, zero_day.approved_by) == ("alice@example.com", "bob@example.com")


def test_the_tours_calendar_is_the_demos_with_a_february_skip_that_fits_february(demo):
    text = bullet("The calendar")
    us, apac, eu = (upcoming(demo, region) for region in ("us", "apac", "eu"))
    assert us[0].status == WindowStatus.ANNOUNCED and "`us`'s next window announced" in text
    skipped = us[2]
    assert (skipped.status, skipped.starts_at.month) == (WindowStatus.CANCELLED, 2)
    reason = demo.scalars(
        select(WindowRevision.reason)
        .where(WindowRevision.window_id == skipped.id)
        .order_by(WindowRevision.sequence.desc())
    ).first()
    assert "off-site" in reason and "off-site" in text and "Independence" not in reason
    assert "its third skipped" in text
    assert apac[1].sequence == 1 and "`apac`'s second moved a week" in text
    launch = next(f for f in list_freezes(demo) if f.customer is not None)
    assert launch.customer.slug == "initech" and "around `eu`'s second window" in text
    assert launch.starts_at < eu[1].starts_at < eu[1].ends_at < launch.ends_at


def test_planning_the_release_being_filled_stacks_two_releases_in_one_apac_window(demo):
    assert "holds two releases" in bullet("A conflict to see")
    (draft,) = releases.list_releases(demo, statuses={ReleaseStatus.DRAFT})
    releases.plan_release(demo, draft.version, actor="alice@example.com", now=DECEMBER)
    window = upcoming(demo, "apac")[0]
    carried = {
        w.release.version
        for r in releases.list_releases(demo)
        for w in r.waves
        if w.window == window
    }
    assert carried == {"2026.10", "2026.12"}


def test_the_tours_tickets_and_contact_are_in_the_demo(demo):
    text = bullet("Support")
    ids = [name for name in quoted(text) if re.fullmatch(r"[A-Z]+-\d+", name)]
    assert ids == ["ZD-4130", "FR-2201"]
    assert demo.scalars(select(Ticket.external_id).where(Ticket.external_id.in_(ids))).all()
    [pasted] = [name for name in quoted(text) if name.startswith("https://")]
    [answer] = look_up(demo, pasted, now=DECEMBER)
    assert answer.ticket.external_id == "ZD-4101"
    [french] = look_up(demo, "FR-2201", now=DECEMBER)
    assert french.lang == "fr"
    email = quoted(bullet("Customer sign-in"))[1]
    assert email in {address for _, _, address, _, _ in CONTACTS}


def test_the_demo_loads_only_into_an_empty_database(session):
    access.create_user(
        session,
        email="ops@example.com",
        name="Ops",
        role="admin",
        password="correct horse battery",
        now=DECEMBER,
    )
    assert not is_empty(session)
    assert not load_demo(session, now=DECEMBER, context=CONTEXT, password=PASSWORD)
    assert session.scalars(select(Region)).all() == []
