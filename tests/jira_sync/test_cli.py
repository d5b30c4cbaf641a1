"""`rollout jira sync|push|status` as an operator runs them (in the test's process,
tests/rollout_command.py): a real database, the stand-in Jira on loopback."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.jira_stub import EMAIL, TOKEN, make_issue
from tests.rollout_command import run_rollout


@pytest.fixture
def rollout(fresh_database_url, cloud):
    env = {
        "DATABASE_URL": fresh_database_url,
        "SECRET_KEY": "cli-test",
        "JIRA_URL": cloud.url,
        "JIRA_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_PROJECTS": "ED",
        "JIRA_SEVERITY_FIELD": "customfield_10050",
        "JIRA_MAX_RETRY_WAIT_SECONDS": "2",
    }

    def run(*args: str, **extra_env) -> subprocess.CompletedProcess:
        return run_rollout(*args, env=env | extra_env)

    return run


@pytest.mark.long
def test_sync_brings_the_projects_bugs_and_says_how_many(rollout, cloud):
    now = datetime.now(UTC)
    cloud.add(*(make_issue(f"ED-{n}", now - timedelta(minutes=n)) for n in range(1, 6)))
    done = rollout("jira", "sync")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ED: 5 issue(s) in 2 page(s)"
    status = rollout("jira", "status")
    assert status.returncode == 0 and "ED: synced through" in status.stdout
    assert "pending 0" in status.stdout


def test_an_unreachable_jira_is_a_clear_error_and_a_non_zero_exit(rollout):
    failed = rollout("jira", "sync", JIRA_URL="http://127.0.0.1:9")
    assert failed.returncode == 1
    assert "unreachable" in failed.stderr and "Traceback" not in failed.stderr


def test_refused_credentials_are_a_clear_error_without_the_secret(rollout):
    failed = rollout("jira", "sync", JIRA_API_TOKEN="expired-secret-token")
    assert failed.returncode == 1
    assert "refused the credentials" in failed.stderr and "JIRA_API_TOKEN" in failed.stderr
    assert "expired-secret-token" not in failed.stderr + failed.stdout


def test_a_failed_page_is_reported_and_the_next_run_resumes(rollout, cloud):
    now = datetime.now(UTC)
    cloud.add(*(make_issue(f"ED-{n}", now - timedelta(minutes=n)) for n in range(1, 6)))
    cloud.fail("GET", r"/search/jql$", 500, skip=1)
    failed = rollout("jira", "sync")
    assert failed.returncode == 1 and "resumes" in failed.stderr
    resumed = rollout("jira", "sync")
    assert resumed.returncode == 0 and "resumed" in resumed.stdout


def test_push_with_nothing_due_does_not_call_jira(rollout, cloud):
    done = rollout("jira", "push")
    assert done.returncode == 0 and done.stdout.strip() == "nothing due"
    assert cloud.log == []


def test_a_bad_setting_is_named(rollout):
    failed = rollout("jira", "push", JIRA_PUSH_LINKS="maybe")
    assert failed.returncode == 1 and "JIRA_PUSH_LINKS" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_sync_without_a_project_says_how_to_name_one(rollout):
    failed = rollout("jira", "sync", JIRA_PROJECTS="")
    assert failed.returncode == 2 and "JIRA_PROJECTS" in failed.stderr
