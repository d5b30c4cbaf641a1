"""The `rollout` command: everything an operator does from a shell."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime, time
from functools import partial

import click
from flask import Flask
from sqlalchemy.orm import Session

from rollout import access, audit
from rollout.demo import STAFF_SIGNINS, load_demo
from rollout.errors import DomainError
from rollout.schema import migrate
from rollout.windows import default_horizon, plan_windows
from web import create_app, logs
from web.database import system_clock
from web.jira_cli import jira as jira_commands
from web.settings import SettingsError
from web.worker import worker_command


def main() -> None:
    """Entry point of the `rollout` console script."""
    cli(prog_name="rollout")


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Rollout: maintenance windows, releases and fixes, announced and traceable."""
    ctx.obj = _LazyApp()
    ctx.call_on_close(ctx.obj.close)


class _LazyApp:
    # Build the app only when a command needs it, so `--help` works without a database.
    _app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            try:
                self._app = create_app(serving=False)
            except SettingsError as exc:
                raise click.ClickException(str(exc)) from None
        return self._app

    def serving(self) -> Flask:
        """The app, for commands that answer customers or write to them: they need PUBLIC_URL."""
        try:
            self.app.extensions["rollout.settings"].require_public_url()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        return self.app

    @property
    def sessions(self) -> Callable[[], Session]:
        """Sessions whose writes the audit records as the CLI's."""
        return partial(self.app.extensions["rollout.sessions"], info=audit.author_info("cli"))

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        if self._app is not None and "rollout.engine" in self._app.extensions:
            self._app.extensions["rollout.engine"].dispose()


def _domain_errors(func):
    """Turn a domain error into a one-line message and exit status 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise click.ClickException(f"{where}{exc.message}") from None

    return wrapper


@cli.command()
@click.pass_obj
def init(obj: _LazyApp) -> None:
    """Create or upgrade the database schema."""
    session = obj.session()
    migrate(session.get_bind())
    click.echo(f"database ready: {_safe_url(session.get_bind().url)}")


@cli.command()
@click.pass_obj
@_domain_errors
def demo(obj: _LazyApp) -> None:
    """Load the demo into an empty database, with staff sign-ins printed once."""
    password = secrets.token_urlsafe(12)  # only ever printed here, kept hashed
    with obj.session() as session:
        added = load_demo(
            session,
            now=system_clock(),
            context=obj.app.extensions["rollout.context"],
            password=password,
        )
        session.commit()
    if not added:
        click.echo(
            "the database is not empty, and the demo loads only into an empty one: nothing added"
        )
        return
    click.echo("demo data loaded")
    click.echo(f"Sign in at /staff/login as any of these, password {password} (shown only now):")
    for email, name, role in STAFF_SIGNINS:
        click.echo(f"  {email:<20} {name}, {role.replace('_', ' ')}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="PORT"
)
@click.option(
    "--workers",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="request-handling threads",
)
@click.pass_obj
def serve(obj: _LazyApp, host: str, port: int, workers: int) -> None:
    """Serve the web app and API with waitress, a production WSGI server."""
    app = obj.serving()
    logs.configure(app.extensions["rollout.settings"].log_format)
    server = wsgi_server(app, host=host, port=port, threads=workers)
    public = app.extensions["rollout.settings"].public_url
    click.echo(f"Rollout on http://{host}:{port}/maintenance, linked as {public}")
    server.run()


def wsgi_server(app: Flask, *, host: str, port: int, threads: int):
    """The waitress server `rollout serve` runs `app` in (port 0: any free one)."""
    import waitress

    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="rollout",
        # waitress takes in a whole body, to a temporary file, before the app sees it: stop
        # a huge or endless one while it streams. Up to twice the app's cap gets through so
        # the app answers 413 in JSON; past that, waitress answers 413 itself.
        max_request_body_size=2 * app.extensions["rollout.settings"].max_body_bytes,
    )


@cli.command()
@click.option(
    "--until",
    "until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="plan up to this date (UTC); default 18 months ahead",
)
@click.pass_obj
@_domain_errors
def plan(obj: _LazyApp, until: datetime | None) -> None:
    """Materialise every policy's windows up to a horizon; safe to repeat."""
    now = system_clock()
    horizon = (
        datetime.combine(until.date(), time.min, tzinfo=UTC) if until else default_horizon(now)
    )
    if horizon <= now:
        raise click.BadParameter("must be in the future", param_hint="--until")
    with obj.session() as session:
        added = plan_windows(session, until=horizon, now=now)
        session.commit()
    click.echo(f"planned {added} new window(s) up to {horizon:%Y-%m-%d}")


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in access.Role]))
@click.option("--customer", help="customer slug (customer tokens only)")
@click.option("--name", required=True, help="what the token is for, e.g. 'deploy pipeline'")
@click.pass_obj
@_domain_errors
def token_create(obj: _LazyApp, role: str, customer: str | None, name: str) -> None:
    """Create a token and print it once; only its hash is kept."""
    with obj.session() as session:
        _, plaintext = access.create_token(
            session, name=name, role=role, customer=customer, now=system_clock()
        )
        session.commit()
    click.echo(plaintext)
    click.echo("store it now: it cannot be shown again", err=True)


@cli.group()
def user() -> None:
    """Staff accounts for the pages."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    default="release_manager",
    show_default=True,
    type=click.Choice(["admin", "release_manager", "support_agent"]),
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ROLLOUT_PASSWORD",
    help="prompted for if not given (or ROLLOUT_PASSWORD)",
)
@click.pass_obj
@_domain_errors
def user_create(obj: _LazyApp, email: str, name: str, role: str, password: str) -> None:
    """Create a staff user who signs in at /staff/login."""
    with obj.session() as session:
        created = access.create_user(
            session, email=email, name=name, role=role, password=password, now=system_clock()
        )
        session.commit()
    click.echo(f"created {created.role} {created.email}")


@user.command("set-password")
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ROLLOUT_PASSWORD",
    help="prompted for if not given (or ROLLOUT_PASSWORD)",
)
@click.pass_obj
@_domain_errors
def user_set_password(obj: _LazyApp, email: str, password: str) -> None:
    """Give a staff user a new password; every session of theirs ends."""
    with obj.session() as session:
        changed = access.set_password(session, email=email, password=password)
        session.commit()
    click.echo(f"new password for {changed.email}; signed out everywhere")


@user.command("set-role")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["admin", "release_manager", "support_agent"])
)
@click.pass_obj
@_domain_errors
def user_set_role(obj: _LazyApp, email: str, role: str) -> None:
    """Change a staff user's role; they sign in again to use it."""
    with obj.session() as session:
        changed = access.set_role(session, email=email, role=role)
        session.commit()
    click.echo(f"{changed.email} is now {changed.role}; signed out everywhere")


@user.command("sign-out")
@click.option("--email", required=True)
@click.pass_obj
@_domain_errors
def user_sign_out(obj: _LazyApp, email: str) -> None:
    """End every session of a staff user, e.g. after a lost laptop."""
    with obj.session() as session:
        ended = access.end_user_sessions(session, access.get_user(session, email))
        session.commit()
    click.echo(f"ended {ended} session(s)")


cli.add_command(jira_commands)
cli.add_command(worker_command)


def _safe_url(url) -> str:
    return url.render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
