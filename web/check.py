"""`rollout check`: every setting, then each system Rollout talks to, tried as the service
would use it, one line each; for an operator after a deploy or a change of credentials."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from channels.config import SmtpSettings
from channels.email import smtp_problem
from jira_sync.client import JiraClient, JiraError
from jira_sync.config import JiraSettings
from rollout.db import make_engine
from web.health import readiness_problem
from web.settings import Settings, SettingsError

# Long enough for a database across a network, short enough that a dropped packet is named.
CONNECT_TIMEOUT_SECONDS = 10


@click.command("check")
@click.pass_obj
def check_command(obj) -> None:
    """Check every setting, then the database, SMTP and Jira as configured (no mail is sent,
    nothing is written); exit 1 if anything is wrong."""
    problems = Settings.problems()
    if problems:
        for problem in problems:
            _line("settings", problem)
        click.echo("database, smtp, jira: not tried until the settings are right")
        raise SystemExit(1)
    settings: Settings = obj.app.extensions["rollout.settings"]
    failed = False
    try:
        settings.require_public_url()
        _line("settings", None, "every variable is usable")
    except SettingsError as exc:
        failed |= _line("settings", str(exc))
    failed |= _line("database", *_database(settings.database_url))
    failed |= _line("smtp", *_smtp(settings.notifications.smtp))
    failed |= _line("jira", *_jira(settings.jira))
    if failed:
        raise SystemExit(1)


def _line(what: str, problem: str | None, fine: str = "") -> bool:
    """Print one check's line; True when it failed."""
    if problem is None:
        click.echo(f"{what:<9} ok{': ' + fine if fine else ''}")
    else:
        click.echo(f"{what:<9} FAILED: {problem}")
    return problem is not None


def _database(url: str) -> tuple[str | None, str]:
    postgresql = make_url(url).get_backend_name() == "postgresql"
    engine = make_engine(
        url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS} if postgresql else {}
    )
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            problem = readiness_problem(connection)
    except DBAPIError as exc:
        # The driver's first line says what failed (refused, unknown host, login); it never
        # repeats the password.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        problem = f"cannot connect ({reason})"
    finally:
        engine.dispose()
    if problem is not None:
        return f"{where}: {problem}", ""
    return None, f"{where}, schema at the newest migration"


def _smtp(smtp: SmtpSettings | None) -> tuple[str | None, str]:
    if smtp is None:
        return None, "not set up (SMTP_HOST is empty): emails stay queued until it is"
    login = f", signed in as {smtp.username}" if smtp.username else ""
    return smtp_problem(smtp), f"{smtp.host}:{smtp.port} ({smtp.security}){login}"


def _jira(jira: JiraSettings) -> tuple[str | None, str]:
    if not jira.api_configured:
        return None, "not set up (JIRA_URL is empty)"
    try:
        client = JiraClient.connect(jira)
    except JiraError as exc:
        return exc.message, ""
    try:
        me = client.myself()
    except JiraError as exc:
        return exc.message, ""
    finally:
        client.close()
    who = me.get("displayName") or me.get("emailAddress") or me.get("name") or "?"
    return None, f"Jira {client.deployment} at {jira.url}, signed in as {who}"
