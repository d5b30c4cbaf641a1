"""Windows announce themselves: the worker's calendar pass moves the planning horizon and
announces each window once it comes within the longest lead, so every tier hears in time
without a release manager remembering to press "announce"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from channels.config import NotifySettings
from rollout.windows import Window, WindowStatus
from rollout.windows.announcing import announce_upcoming
from tests.conftest import NOW
from tests.factories import CONTEXT, make_policy
from tests.notifications.test_triggers import change, make_window, rows
from web.worker import CalendarPass

NOTICE = timedelta(days=30)


def test_windows_within_the_notice_are_announced_and_the_rest_wait(session, people):
    near = make_window(session, start=NOW + timedelta(days=20))
    far = make_window(session, start=NOW + timedelta(days=45), title="Later upgrade")

    assert announce_upcoming(session, within=NOTICE, now=NOW, context=CONTEXT) == [near]

    assert (near.status, far.status) == (WindowStatus.ANNOUNCED, WindowStatus.PLANNED)
    assert near.revisions[-1].actor == "auto-announce"
    announced = rows(session, event="window.announced")
    assert {n.contact_id: n.due_at for n in announced} == {
        people["acme"].id: near.starts_at - timedelta(days=14),  # standard tier
        people["initech"].id: NOW + timedelta(minutes=3),  # gold: 30 days, so at once
    }


def test_a_second_pass_announces_nothing_again(session, people):
    make_window(session, start=NOW + timedelta(days=20))
    announce_upcoming(session, within=NOTICE, now=NOW, context=CONTEXT)
    before = len(rows(session))

    assert (
        announce_upcoming(session, within=NOTICE, now=NOW + timedelta(hours=1), context=CONTEXT)
        == []
    )
    assert len(rows(session)) == before


def test_emergency_cancelled_and_announced_windows_are_left_alone(session, people):
    emergency = make_window(session, start=NOW + timedelta(hours=2), kind="emergency")
    cancelled = make_window(session, start=NOW + timedelta(days=5), title="Dropped")
    change(session, cancelled, "cancel", reason="not needed")
    announced = make_window(session, start=NOW + timedelta(days=9), title="Told already")
    change(session, announced, "announce")
    notices = len(rows(session))

    assert announce_upcoming(session, within=NOTICE, now=NOW, context=CONTEXT) == []
    assert (emergency.status, cancelled.status) == (WindowStatus.PLANNED, WindowStatus.CANCELLED)
    assert len(rows(session)) == notices


def test_announcing_an_emergency_window_by_hand_does_not_tell_customers_twice(session, people):
    emergency = make_window(session, start=NOW + timedelta(hours=6), kind="emergency")
    change(session, emergency, "announce")

    assert rows(session, event="window.announced") == []
    assert len(rows(session, event="window.emergency")) == 2  # one per contact, at creation


def test_the_calendar_pass_plans_ahead_and_announces_the_next_regular_window(
    session, session_factory, people, make_worker, clock
):
    make_policy(session)  # second Saturday, 09:00-11:00 New York, planned to NOW + 18 months
    session.commit()
    horizon = session.scalar(select(Window.starts_at).order_by(Window.starts_at.desc()).limit(1))
    calendar = CalendarPass(NotifySettings().announce_within, CONTEXT)
    worker = make_worker()

    clock.advance(days=40)  # the pass has not run for 40 days
    done = calendar(worker)

    session.expire_all()
    regular = list(session.scalars(select(Window).order_by(Window.starts_at)))
    announced = [w for w in regular if w.status == WindowStatus.ANNOUNCED]
    assert [w.starts_at for w in announced] == [
        w.starts_at for w in regular if clock.now < w.starts_at <= clock.now + NOTICE
    ]
    assert len(announced) == 1
    new = [w for w in regular if w.starts_at > horizon]
    assert len(new) >= 1  # the horizon moved forward with the clock
    assert done == len(new) + len(announced)
    assert {n.contact_id for n in rows(session, event="window.announced")} == {
        people["acme"].id,
        people["initech"].id,
    }
    assert calendar(worker) == 0  # not again until its period has passed


def test_the_calendar_pass_only_plans_when_auto_announce_is_off(
    session, people, make_worker, clock
):
    make_policy(session)
    session.commit()
    settings = NotifySettings(auto_announce=False)
    assert settings.announce_within is None

    clock.advance(days=40)
    CalendarPass(settings.announce_within, CONTEXT)(make_worker())

    session.expire_all()
    statuses = set(session.scalars(select(Window.status)))
    assert statuses == {WindowStatus.PLANNED}
    assert rows(session) == []
