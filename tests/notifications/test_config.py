"""Notification settings from the environment, and the configured policy reaching the
triggers through the app's sessions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from rollout.customers import Tier
from tests import conftest
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_region, make_token
from tests.notifications.conftest import add_contact
from tests.notifications.test_triggers import rows
from web import create_app
from web.channels.config import NotifySettings, SmtpSettings


def test_smtp_settings_come_from_the_environment_with_ports_by_security():
    env = {
        "SMTP_HOST": "mail.example.com",
        "SMTP_SECURITY": "tls",
        "SMTP_FROM": "Rollout <ops@example.com>",
        "SMTP_USERNAME": "u",
        "SMTP_PASSWORD": "s3cret-pw",
    }
    smtp = SmtpSettings.from_env(env)
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "mail.example.com",
        465,
        "tls",
        "u",
    )
    assert (
        "s3cret-pw" not in repr(smtp) and smtp.password == "s3cret-pw"
    )  # the password never reaches a log line
    assert SmtpSettings.from_env({}) is None


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SMTP_HOST": "m", "SMTP_SECURITY": "ssl", "SMTP_FROM": "a@b.c"}, "SMTP_SECURITY"),
        ({"SMTP_HOST": "m", "SMTP_PORT": "http", "SMTP_FROM": "a@b.c"}, "SMTP_PORT"),
        ({"SMTP_HOST": "m"}, "SMTP_FROM"),
        ({"WEBHOOK_ALLOW_PRIVATE": "10.0.0.0/8,localhost"}, "WEBHOOK_ALLOW_PRIVATE"),
        ({"NOTIFY_REMINDERS": "24h,soon"}, "NOTIFY_REMINDERS"),
        ({"NOTIFY_LEAD_DAYS": "diamond=60"}, "NOTIFY_LEAD_DAYS"),
    ],
)
def test_a_malformed_setting_is_refused_naming_the_variable(env, name):
    with pytest.raises(ValueError, match=name):
        NotifySettings.from_env(env)


def test_lead_times_and_reminders_are_configurable():
    settings = NotifySettings.from_env(
        {
            "NOTIFY_LEAD_DAYS": "standard=7, gold=45",
            "NOTIFY_REMINDERS": "48h,30m",
            "WEBHOOK_ALLOW_PRIVATE": "127.0.0.1/32",
        }
    )
    assert settings.policy.lead_for(Tier.STANDARD) == timedelta(days=7)
    assert settings.policy.lead_for(Tier.GOLD) == timedelta(days=45)
    assert settings.policy.lead_for(Tier.PLATINUM) == timedelta(days=30)
    assert settings.policy.reminders == (timedelta(hours=48), timedelta(minutes=30))
    assert [str(n) for n in settings.allow_private] == ["127.0.0.1/32"]


def test_the_apps_policy_decides_the_reminders_a_window_change_writes(
    session, session_factory, clock, tmp_path
):
    policy = NotifySettings.from_env({"NOTIFY_REMINDERS": "30m"}).policy
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
