"""`rollout check`: every setting, then the database, SMTP and Jira tried for real (an SMTP
server on loopback with and without a login, the stand-in Jira), one line each in plain
words, never a secret, and a non-zero exit when anything is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from tests.jira_stub import EMAIL, PAT, TOKEN, JiraStub, running
from tests.notifications.servers import Inbox, free_port
from web.cli import cli

SMTP_USER, SMTP_PASSWORD = "rollout", "smtp-pass-word"
NO_JIRA = dict.fromkeys(("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT"))


@contextmanager
def smtp_with_login(login: bool) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback that offers AUTH (and checks it) only with `login`."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        accepted = (auth_data.login, auth_data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=accepted, handled=False)  # a refusal answers 535

    inbox, port = Inbox(), free_port()
    options = {"authenticator": authenticate, "auth_require_tls": False} if login else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_with_login(True) as server:
        yield server


@pytest.fixture
def jira() -> Iterator[JiraStub]:
    with running(JiraStub(deployment="Cloud")) as stub:
        yield stub


def check(**env: str | None):
    result = CliRunner().invoke(cli, ["check"], env={"SECRET_KEY": "check-test"} | env)
    # A message and an exit status, never an escaped exception and its traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def lines(output: str) -> dict[str, str]:
    return {line.split()[0]: line.split(None, 1)[1] for line in output.splitlines()}


def smtp_env(port: int, **overrides: str | None) -> dict[str, str | None]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "Rollout <maintenance@rollout.test>",
        "SMTP_USERNAME": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
    } | overrides


def jira_env(stub: JiraStub, **overrides: str | None) -> dict[str, str | None]:
    return {"JIRA_URL": stub.url, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN} | overrides


def test_all_good_is_four_ok_lines_exit_0_and_no_mail_sent(fresh_database_url, smtp, jira):
    inbox, port = smtp
    status, output = check(
        DATABASE_URL=fresh_database_url,
        PUBLIC_URL="https://rollout.example.com",
        **smtp_env(port),
        **jira_env(jira),
    )
    assert status == 0, output
    found = lines(output)
    assert list(found) == ["settings", "database", "smtp", "jira"]
    assert all(line.startswith("ok") for line in found.values()), output
    assert "schema at the newest migration" in found["database"]
    assert f"127.0.0.1:{port} (none), signed in as {SMTP_USER}" in found["smtp"]
    assert "Jira cloud" in found["jira"] and "signed in as Rollout bot" in found["jira"]
    assert inbox.count == 0
    for secret in (SMTP_PASSWORD, TOKEN, "check-test"):
        assert secret not in output
    assert ("GET", "/rest/api/2/myself") in {(m, p) for m, p, _ in jira.log}


def test_a_wrong_smtp_password_is_named_without_repeating_it(tmp_path, smtp):
    _, port = smtp
    status, output = check(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.db'}",
        PUBLIC_URL="https://rollout.example.com",
        **smtp_env(port, SMTP_PASSWORD="not-the-password"),
        **NO_JIRA,
    )
    assert status == 1
    assert lines(output)["smtp"].startswith(
        f"FAILED: the SMTP server at 127.0.0.1:{port} refused the login (535"
    )
    assert "check SMTP_USERNAME and SMTP_PASSWORD" in output
    assert "not-the-password" not in output


def test_an_smtp_server_without_login_passes_without_credentials_and_fails_with_them(tmp_path):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", **NO_JIRA}
    with smtp_with_login(False) as (inbox, port):
        _, anonymous = check(**database, **smtp_env(port, SMTP_USERNAME=None, SMTP_PASSWORD=None))
        _, with_login = check(**database, **smtp_env(port))
        _, starttls = check(**database, **smtp_env(port, SMTP_SECURITY="starttls"))
    assert lines(anonymous)["smtp"] == f"ok: 127.0.0.1:{port} (none)"
    assert "offers no login (AUTH) over this connection, yet SMTP_USERNAME is set" in with_login
    assert "does not offer STARTTLS: set SMTP_SECURITY to tls or none" in starttls
    assert inbox.count == 0


def test_unreachable_smtp_and_jira_are_named_with_their_address(tmp_path):
    closed = free_port()
    status, output = check(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.db'}",
        **smtp_env(closed),
        JIRA_URL=f"http://127.0.0.1:{closed}",
        JIRA_PAT=PAT,
    )
    assert status == 1
    found = lines(output)
    assert found["smtp"] == (
        f"FAILED: cannot reach the SMTP server at 127.0.0.1:{closed}: Connection refused"
    )
    assert f"127.0.0.1:{closed} is unreachable" in found["jira"]
    assert PAT not in output


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_jira_credentials_are_tried_and_a_refusal_names_the_variables(tmp_path, deployment):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}
    with running(JiraStub(deployment=deployment)) as stub:
        if deployment == "Cloud":
            good = jira_env(stub)
            bad = jira_env(stub, JIRA_API_TOKEN="wrong-token")
            variables = "check JIRA_EMAIL and JIRA_API_TOKEN"
        else:
            good = {"JIRA_URL": stub.url, "JIRA_PAT": PAT}
            bad = {"JIRA_URL": stub.url, "JIRA_PAT": "wrong-token"}
            variables = "check JIRA_PAT"
        _, fine = check(**database, **good)
        status, refused = check(**database, **bad)
    assert lines(fine)["jira"].startswith(f"ok: Jira {deployment.lower()} at {stub.url}")
    assert status == 1
    assert "Jira refused the credentials (401)" in lines(refused)["jira"]
    assert variables in refused
    assert "wrong-token" not in refused


def test_an_unreachable_database_is_named_without_its_password():
    port = free_port()
    status, output = check(
        DATABASE_URL=f"postgresql://rollout:db-secret@127.0.0.1:{port}/rollout", **NO_JIRA
    )
    assert status == 1
    database = lines(output)["database"]
    assert database.startswith(f"FAILED: postgresql+psycopg://rollout:***@127.0.0.1:{port}/")
    assert "cannot connect" in database and "refused" in database
    assert "db-secret" not in output


def test_a_database_never_migrated_says_to_run_init(tmp_path):
    status, output = check(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}", **NO_JIRA)
    assert status == 1
    assert "the database schema is at none" in lines(output)["database"]
    assert "run `rollout init` to migrate it" in output


def test_every_bad_setting_is_named_at_once_and_nothing_is_tried():
    status, output = check(
        DATABASE_URL="mysql://root:db-secret@db/rollout",
        PUBLIC_URL="ftp://rollout.example.com",
        SMTP_PORT="twenty-five",
        LOG_FORMAT="xml",
        JIRA_SYNC_SECONDS="1",
    )
    assert status == 1
    assert output.splitlines() == [
        "settings  FAILED: DATABASE_URL must be a PostgreSQL or SQLite address, e.g. "
        "postgresql://rollout:password@db.example.com:5432/rollout or "
        "sqlite:////var/lib/rollout/rollout.db",
        "settings  FAILED: PUBLIC_URL must be an http:// or https:// address such as "
        "https://host.example.com, not 'ftp://rollout.example.com'",
        "settings  FAILED: LOG_FORMAT must be text or json, not 'xml'",
        "settings  FAILED: SMTP_PORT must be a port number, not 'twenty-five'",
        "settings  FAILED: JIRA_SYNC_SECONDS must be a whole number of seconds of at least "
        "10, not '1'",
        "database, smtp, jira: not tried until the settings are right",
    ]


def test_a_production_install_without_public_url_fails_the_settings_line(tmp_path):
    status, output = check(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.db'}", PUBLIC_URL=None, **NO_JIRA
    )
    assert status == 1
    assert lines(output)["settings"].startswith("FAILED: PUBLIC_URL is not set")
