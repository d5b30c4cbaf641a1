"""`rollout jira …`: pull sync, push pass and status, for operators and cron."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from jira_sync.client import JiraClient, JiraError
from jira_sync.config import JiraSettings
from jira_sync.push import retry_failed, run_push
from jira_sync.sync import run_sync
from rollout.jira.models import JiraPush, JiraPushStatus, JiraSyncState
from web.database import system_clock


@click.group()
def jira() -> None:
    """Jira: pull bugs, push versions and links."""


def _settings(obj) -> JiraSettings:
    # Checked when the app was built: a bad JIRA_* variable has already been named.
    return obj.app.extensions["rollout.settings"].jira


def _connect(settings: JiraSettings) -> JiraClient:
    try:
        return JiraClient.connect(settings)
    except JiraError as exc:
        raise click.ClickException(exc.message) from None


@jira.command("sync")
@click.option(
    "--project", "projects", multiple=True, help="Jira project key (repeatable); default all"
)
@click.option("--full", is_flag=True, help="read every issue again, not only recent changes")
@click.pass_obj
def sync(obj, projects: tuple[str, ...], full: bool) -> None:
    """Bring bugs up to date with Jira; resumes a run that failed half-way."""
    settings = _settings(obj)
    wanted = [p.strip().upper() for p in projects] or list(settings.projects)
    if not wanted:
        raise click.UsageError("no project: set JIRA_PROJECTS or pass --project KEY")
    client = _connect(settings)
    try:
        outcomes = run_sync(
            obj.sessions,
            client,
            settings,
            projects=wanted,
            now=system_clock(),
            full=full,
        )
    finally:
        client.close()
    for outcome in outcomes:
        resumed = ", resumed" if outcome.resumed else ""
        click.echo(
            f"{outcome.project}: {outcome.issues} issue(s) in {outcome.pages} page(s){resumed}"
        )
        for problem in outcome.problems:
            click.echo(f"  skipped: {problem}", err=True)
        if outcome.error:
            raise click.ClickException(
                f"{outcome.project}: {outcome.error} (the next run resumes where this stopped)"
            )


@jira.command("push")
@click.option(
    "--retry-failed", "requeue", is_flag=True, help="put rows Jira refused back in the queue"
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.pass_obj
def push(obj, requeue: bool, limit: int) -> None:
    """Make the changes Rollout owes Jira (one pass over what is due)."""
    settings = _settings(obj)
    sessions = obj.sessions
    now = system_clock()
    with sessions() as session:
        if requeue:
            click.echo(f"{retry_failed(session, now=now)} failed push(es) queued again")
            session.commit()
        due = session.scalar(
            select(func.count(JiraPush.id)).where(
                JiraPush.status == JiraPushStatus.PENDING, JiraPush.next_attempt_at <= now
            )
        )
    if not due:
        click.echo("nothing due")
        return
    client = _connect(settings)
    try:
        outcome = run_push(sessions, client, settings, now=now, limit=limit)
    finally:
        client.close()
    click.echo(f"pushed {outcome.done}, will retry {outcome.retrying}, failed {outcome.failed}")
    for line in outcome.errors:
        click.echo(f"  {line}", err=True)
    if outcome.unauthorised:
        raise click.ClickException("Jira refused the credentials; nothing more was attempted")
    if outcome.retrying or outcome.failed:
        raise click.ClickException("some pushes did not go through (see above)")


@jira.command("status")
@click.pass_obj
def status(obj) -> None:
    """Where each project's sync stands and what is queued for Jira."""
    _settings(obj)
    with obj.sessions() as session:
        for state in session.scalars(select(JiraSyncState).order_by(JiraSyncState.project)):
            through = (
                f"{state.synced_through:%Y-%m-%d %H:%M} UTC" if state.synced_through else "never"
            )
            running = " (a run is unfinished: the next one resumes it)" if state.run_page else ""
            click.echo(f"{state.project}: synced through {through}{running}")
            if state.last_error:
                click.echo(f"  last error: {state.last_error}")
        counts = dict(
            session.execute(select(JiraPush.status, func.count()).group_by(JiraPush.status)).all()
        )
    click.echo(
        ", ".join(f"{s.value} {counts.get(s.value, 0)}" for s in JiraPushStatus) + " push(es)"
    )
