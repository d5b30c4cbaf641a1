"""Settings from the environment: good values read, bad ones refused by name, and one rule
for every on/off variable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout.customers import Tier
from rollout.jira.models import StatusCategory
from tests.conftest import settings_from_env
from web.settings import SettingsError

CLOUD = {
    "JIRA_URL": "https://acme.atlassian.net/",
    "JIRA_EMAIL": "bot@acme.test",
    "JIRA_API_TOKEN": "t0ken",
    "JIRA_PROJECTS": "ed, ops",
}


# ---- Jira ------------------------------------------------------------------------------------


def test_cloud_settings_are_read_from_the_environment(tmp_path):
    settings = settings_from_env(
        tmp_path,
        CLOUD
        | {
            "JIRA_SEVERITY_FIELD": "customfield_10050",
            "JIRA_STATUS_MAP": "Ready for release=done; Triage=new",
            "JIRA_PUSH_LINKS": "false",
            "JIRA_SYNC_SECONDS": "60",
        },
    ).jira
    assert settings.url == "https://acme.atlassian.net"
    assert settings.projects == ("ED", "OPS") and settings.api_configured
    assert settings.status_map == {
        "ready for release": StatusCategory.DONE,
        "triage": StatusCategory.TO_DO,
    }
    assert settings.push_links is False and settings.push_versions is True
    assert settings.sync_seconds == 60
    assert "customfield_10050" in settings.fields()
    assert "t0ken" not in repr(settings)


def test_nothing_set_means_jira_is_not_configured(tmp_path):
    settings = settings_from_env(tmp_path, {}).jira
    assert not settings.api_configured and settings.webhook_secret is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"JIRA_URL": "acme.atlassian.net"}, "JIRA_URL"),
        ({"JIRA_URL": "https://[::1"}, "JIRA_URL"),
        ({"JIRA_URL": "https://jira.test"}, "no credentials"),
        ({"JIRA_EMAIL": "a@b.test"}, "JIRA_API_TOKEN"),
        (CLOUD | {"JIRA_PAT": "pat"}, "JIRA_PAT"),
        ({"JIRA_PROJECTS": "ED,not a key"}, "JIRA_PROJECTS"),
        ({"JIRA_SEVERITY_FIELD": "Severity"}, "JIRA_SEVERITY_FIELD"),
        ({"JIRA_STATUS_MAP": "Done=finished"}, "JIRA_STATUS_MAP"),
        ({"JIRA_PUSH_VERSIONS": "maybe"}, "JIRA_PUSH_VERSIONS"),
        ({"JIRA_SYNC_SECONDS": "5"}, "JIRA_SYNC_SECONDS"),
        ({"JIRA_TIMEZONE": "Mars/Olympus"}, "JIRA_TIMEZONE"),
    ],
)
def test_a_bad_jira_value_is_refused_naming_the_variable(tmp_path, env, named):
    with pytest.raises(SettingsError, match=named):
        settings_from_env(tmp_path, env)


# ---- notifications ---------------------------------------------------------------------------


def test_smtp_settings_come_from_the_environment_with_ports_by_security(tmp_path):
    env = {
        "SMTP_HOST": "mail.example.com",
        "SMTP_SECURITY": "tls",
        "SMTP_FROM": "Rollout <ops@example.com>",
        "SMTP_USERNAME": "u",
        "SMTP_PASSWORD": "s3cret-pw",
    }
    smtp = settings_from_env(tmp_path, env).notifications.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "mail.example.com",
        465,
        "tls",
        "u",
    )
    assert (
        "s3cret-pw" not in repr(smtp) and smtp.password == "s3cret-pw"
    )  # the password never reaches a log line
    assert settings_from_env(tmp_path, {}).notifications.smtp is None


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
def test_a_malformed_notification_setting_is_refused_naming_the_variable(tmp_path, env, name):
    with pytest.raises(SettingsError, match=name):
        settings_from_env(tmp_path, env)


def test_lead_times_and_reminders_are_configurable(tmp_path):
    settings = settings_from_env(
        tmp_path,
        {
            "NOTIFY_LEAD_DAYS": "standard=7, gold=45",
            "NOTIFY_REMINDERS": "48h,30m",
            "WEBHOOK_ALLOW_PRIVATE": "127.0.0.1/32",
        },
    ).notifications
    assert settings.policy.lead_for(Tier.STANDARD) == timedelta(days=7)
    assert settings.policy.lead_for(Tier.GOLD) == timedelta(days=45)
    assert settings.policy.lead_for(Tier.PLATINUM) == timedelta(days=30)
    assert settings.policy.reminders == (timedelta(hours=48), timedelta(minutes=30))
    assert [str(n) for n in settings.allow_private] == ["127.0.0.1/32"]


# ---- one rule for on/off ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "meaning"),
    [("1", True), ("true", True), ("Yes", True), ("ON", True)]
    + [("0", False), ("False", False), ("no", False), (" off ", False)],
)
def test_every_on_off_variable_reads_the_same_words(tmp_path, text, meaning):
    env = {"NOTIFY_AUTO_ANNOUNCE": text, "JIRA_PUSH_LINKS": text, "JIRA_PUSH_VERSIONS": text}
    settings = settings_from_env(tmp_path, env)
    assert settings.notifications.auto_announce is meaning
    assert settings.jira.push_links is settings.jira.push_versions is meaning


@pytest.mark.parametrize("name", ["NOTIFY_AUTO_ANNOUNCE", "JIRA_PUSH_LINKS", "JIRA_PUSH_VERSIONS"])
@pytest.mark.parametrize("text", ["maybe", "2", "t", "enabled"])
def test_any_other_word_for_on_off_is_refused_naming_the_variable(tmp_path, name, text):
    with pytest.raises(SettingsError, match=f"{name} must be true or false"):
        settings_from_env(tmp_path, {name: text})


def test_an_unset_or_blank_on_off_variable_keeps_its_default(tmp_path):
    blank = settings_from_env(tmp_path, {"NOTIFY_AUTO_ANNOUNCE": " ", "JIRA_PUSH_LINKS": ""})
    assert blank.notifications.auto_announce and blank.jira.push_links
