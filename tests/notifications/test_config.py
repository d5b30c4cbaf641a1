"""The configured notification policy reaching the triggers through the app's sessions (the
variables themselves are read in tests/web/test_settings.py)."""

from __future__ import annotations

import dataclasses

from channels.config import NotifySettings
from tests import conftest
from tests.conftest import NOW, settings_from_env
from tests.factories import bearer, make_customer, make_region, make_token
from tests.notifications.conftest import add_contact
from tests.notifications.test_triggers import rows
from web import create_app


def test_the_apps_policy_decides_the_reminders_a_window_change_writes(
    session, session_factory, clock, tmp_path
):
    policy = settings_from_env(tmp_path, {"NOTIFY_REMINDERS": "30m"}).notifications.policy
    settings = dataclasses.replace(
        conftest.test_settings(), notifications=NotifySettings(policy=policy)
    )
    given = dict(session_factory.kw)
    app = create_app(
        settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "instance"
    )
    make_region(session, "us")
    add_contact(session, make_customer(session, "acme", "us"))
    token = bearer(make_token(session, "admin"))
    session.commit()
    client = app.test_client()
    made = client.post(
        "/api/v1/windows",
        headers=token,
        json={
            "title": "Upgrade",
            "region": "us",
            "starts_at": "2026-12-01T09:00:00Z",
            "ends_at": "2026-12-01T11:00:00Z",
        },
    ).json
    answer = client.patch(
        f"/api/v1/windows/{made['id']}",
        headers=token,
        json={"action": "announce", "sequence": made["sequence"]},
    )
    assert answer.status_code == 200
    assert [n.payload["reminder_minutes"] for n in rows(session, event="window.reminder")] == [30]
    assert app.extensions["rollout.context"].notification_policy is policy
    assert session_factory.kw == given  # passed to the use cases, not smuggled in the sessions
    assert rows(session, event="window.announced")[0].due_at > NOW
