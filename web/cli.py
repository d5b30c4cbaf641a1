"""The `rollout` command: everything an operator does from a shell."""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial

import click
from flask import Flask
from sqlalchemy.orm import Session

from rollout import access, audit
from rollout.demo import STAFF_SIGNINS, load_demo
from rollout.errors import DomainError
from rollout.schema import migrate
from rollout.validation import MAX_ID
from rollout.windows import default_horizon, plan_windows
from web import create_app, logs, metrics
from web.check import check_command
from web.database import system_clock
from web.jira_cli import jira as jira_commands
from web.serving import serve_until_stopped
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


class BindAddress(click.ParamType):
    """HOST:PORT, with an IPv6 host in brackets ([::1]:9100)."""

    name = "HOST:PORT"

    def convert(self, value, param, ctx) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        host, _, port = value.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not host or not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            self.fail(f"give HOST:PORT, e.g. 127.0.0.1:9100, not {value!r}", param, ctx)
        return host, int(port)


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
@click.option(
    "--metrics-bind",
    type=BindAddress(),
    help="also answer GET /metrics, without a token, on this HOST:PORT (e.g. 127.0.0.1:9100)",
)
@click.option(
    "--drain",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0, 300),
    help="seconds the requests in flight get to finish after SIGTERM",
)
@click.pass_obj
def serve(
    obj: _LazyApp,
    host: str,
    port: int,
    workers: int,
    metrics_bind: tuple[str, int] | None,
    drain: float,
) -> None:
    """Serve the web app and API with waitress, a production WSGI server, until SIGTERM."""
    app = obj.serving()
    logs.configure(app.extensions["rollout.settings"].log_format)
    server = wsgi_server(app, host=host, port=port, threads=workers)
    if metrics_bind is not None:
        try:
            metrics.serve_listener(app, host=metrics_bind[0], port=metrics_bind[1])
        except OSError as exc:
            raise click.ClickException(
                f"cannot answer metrics on {metrics_bind[0]}:{metrics_bind[1]}: {exc.strerror}"
            ) from None
    metrics.process_started(app, "web")
    public = app.extensions["rollout.settings"].public_url
    click.echo(f"Rollout on http://{host}:{port}/maintenance, linked as {public}")
    serve_until_stopped(server, drain_seconds=drain)
    click.echo("stopped")


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


class Expiry(click.ParamType):
    """When a token stops working: a date (00:00 UTC that day) or a number of days from now."""

    name = "YYYY-MM-DD|Nd"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        now = system_clock()
        if days := re.fullmatch(r"([0-9]{1,5})d", value.strip()):
            at = now + timedelta(days=int(days[1]))
        else:
            try:
                day = datetime.strptime(value.strip(), "%Y-%m-%d")
            except ValueError:
                self.fail(f"{value!r} is neither a date (YYYY-MM-DD) nor days (e.g. 90d)", param)
            at = day.replace(tzinfo=UTC)
        try:
            return access.check_expiry(at, now=now)
        except DomainError as exc:
            self.fail(exc.message, param)


@token.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in access.Role]))
@click.option("--customer", help="customer slug (customer tokens only)")
@click.option("--name", required=True, help="what the token is for, e.g. 'deploy pipeline'")
@click.option(
    "--expires",
    type=Expiry(),
    help="stop working at 00:00 UTC on this date, or this many days from now (90d)",
)
@click.pass_obj
@_domain_errors
def token_create(
    obj: _LazyApp, role: str, customer: str | None, name: str, expires: datetime | None
) -> None:
    """Create a token and print it once; only its hash is kept."""
    with obj.session() as session:
        _, plaintext = access.create_token(
            session,
            name=name,
            role=role,
            customer=customer,
            expires_at=expires,
            now=system_clock(),
        )
        session.commit()
    click.echo(plaintext)
    click.echo("store it now: it cannot be shown again", err=True)


@token.command("list")
@click.option("--all", "everything", is_flag=True, help="include revoked and expired tokens")
@click.pass_obj
def token_list(obj: _LazyApp, everything: bool) -> None:
    """The tokens that work (with --all, every token): never their secrets."""
    now = system_clock()
    with obj.session() as session:
        tokens = access.list_tokens(session, everything=everything, now=now)
        rows = [
            (
                str(t.id),
                t.name,
                t.role,
                t.customer.slug if t.customer else "-",
                _when(t.created_at),
                _when(t.last_used_at, "never"),
                _when(t.expires_at),
                _when(t.revoked_at),
                t.status(now),
            )
            for t in tokens
        ]
    headers = ("ID", "NAME", "ROLE", "CUSTOMER", "CREATED", "LAST USED", "EXPIRES", "REVOKED")
    _table([*headers, "STATUS"], rows)


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(1, MAX_ID))
@click.pass_obj
@_domain_errors
def token_revoke(obj: _LazyApp, token_id: int) -> None:
    """Revoke a token (its ID from `token list`): every process refuses it from its next call."""
    with obj.session() as session:
        revoked = access.revoke_token(session, token_id, now=system_clock())
        session.commit()
    click.echo(f"token {revoked.id} ({revoked.name}) revoked at {_when(revoked.revoked_at)}")


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


@user.command("list")
@click.pass_obj
def user_list(obj: _LazyApp) -> None:
    """Every staff user, with their role and whether they are disabled."""
    with obj.session() as session:
        rows = [
            (u.email, u.name, u.role, _when(u.created_at), _when(u.disabled_at))
            for u in access.list_users(session)
        ]
    _table(["EMAIL", "NAME", "ROLE", "CREATED", "DISABLED"], rows)


@user.command("disable")
@click.argument("email")
@click.pass_obj
@_domain_errors
def user_disable(obj: _LazyApp, email: str) -> None:
    """Refuse a staff user's sign-ins and end their sessions; never the last enabled admin."""
    with obj.session() as session:
        disabled = access.disable_user(session, email=email, now=system_clock())
        session.commit()
    click.echo(f"{disabled.email} is disabled; signed out everywhere")


@user.command("enable")
@click.argument("email")
@click.pass_obj
@_domain_errors
def user_enable(obj: _LazyApp, email: str) -> None:
    """Let a disabled staff user sign in again."""
    with obj.session() as session:
        enabled = access.enable_user(session, email=email)
        session.commit()
    click.echo(f"{enabled.email} may sign in again")


def _when(at: datetime | None, missing: str = "-") -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at else missing


def _table(headers: list[str], rows: list[tuple[str, ...]]) -> None:
    """Columns as wide as their widest cell, for a person reading a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in [headers, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


cli.add_command(check_command)
cli.add_command(jira_commands)
cli.add_command(worker_command)


def _safe_url(url) -> str:
    return url.render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
