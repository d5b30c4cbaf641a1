"""Jira settings from the environment: good values read, bad ones refused by name."""

from __future__ import annotations

import pytest

from jira_sync.config import JiraConfigError, JiraSettings
from rollout.jira.models import StatusCategory

CLOUD = {
    "JIRA_URL": "https://acme.atlassian.net/",
    "JIRA_EMAIL": "bot@acme.test",
    "JIRA_API_TOKEN": "t0ken",
    "JIRA_PROJECTS": "ed, ops",
}


def test_cloud_settings_are_read_from_the_environment():
    settings = JiraSettings.from_env(
        CLOUD
        | {
            "JIRA_SEVERITY_FIELD": "customfield_10050",
            "JIRA_STATUS_MAP": "Ready for release=done; Triage=new",
            "JIRA_PUSH_LINKS": "false",
            "JIRA_SYNC_SECONDS": "60",
        }
    )
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


def test_nothing_set_means_jira_is_not_configured():
    settings = JiraSettings.from_env({})
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
def test_a_bad_value_is_refused_naming_the_variable(env, named):
    with pytest.raises(JiraConfigError, match=named):
        JiraSettings.from_env(env)
