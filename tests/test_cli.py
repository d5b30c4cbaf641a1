"""The `rollout` command as an operator runs it, on a real database: in the test's process
(tests/rollout_command.py), and as a process of its own where serving is the point."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from rollout import access
from rollout import demo as rollout_demo
from rollout.db import make_engine, make_session_factory
from tests.conftest import NOW
from tests.factories import make_customer, make_policy, make_region
from tests.rollout_command import run_rollout
from web.cli import cli

ROLLOUT = str(Path(sys.executable).parent / "rollout")


@pytest.fixture
def run(fresh_database_url):
    env = {
        "DATABASE_URL": fresh_database_url,
        "SECRET_KEY": "cli-test",
        "PUBLIC_URL": "http://rollout.test",
    }

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return run_rollout(*args, env=run.env | (env or {}))

    run.url = fresh_database_url
    run.env = os.environ | env
    return run


def count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(sa.text(f"select count(*) from {table}"))
    engine.dispose()
    return total


def seed(url: str, build) -> None:
    """Rows the command needs, made directly: loading the whole demo takes seconds."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        build(session)
        session.commit()
    engine.dispose()


def three_regions_on_the_monthly_policy(session) -> None:
    for slug in ("us", "eu", "apac"):
        make_region(session, slug)
        make_policy(session, slug)


@pytest.mark.long
def test_demo_loads_once_prints_its_sign_ins_once_and_a_second_run_adds_nothing(run):
    init = run("init")
    assert init.returncode == 0 and "database ready" in init.stdout
    first = run("demo")
    assert first.returncode == 0, first.stderr
    [password] = re.findall(r"password (\S+) \(shown only now\)", first.stdout)
    for email in ("alice@example.com", "bob@example.com", "sam@example.com"):
        assert email in first.stdout
    windows = count(run.url, "maintenance_window")
    second = run("demo")
    assert second.returncode == 0 and "nothing added" in second.stdout
    assert "not empty" in second.stdout and password not in second.stdout
    assert count(run.url, "maintenance_window") == windows
    assert count(run.url, "customer") == 6 and count(run.url, "region") == 3
    engine = make_engine(run.url)
    with make_session_factory(engine)() as session:
        roles = {
            email: access.authenticate_user(session, email, password).role
            for email in ("alice@example.com", "bob@example.com", "sam@example.com")
        }
    engine.dispose()
    assert roles == {
        "alice@example.com": "release_manager",
        "bob@example.com": "release_manager",
        "sam@example.com": "support_agent",
    }
    # Generated for each demo, not written in the code.
    assert password not in Path(rollout_demo.__file__).read_text()


def test_demo_refuses_a_database_in_use_and_says_so(run):
    made = run(
        "user",
        "create",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        env={"ROLLOUT_PASSWORD": "correct horse battery"},
    )
    assert made.returncode == 0, made.stderr
    refused = run("demo")
    assert refused.returncode == 0 and "not empty" in refused.stdout
    assert "password" not in refused.stdout
    assert count(run.url, "region") == 0 and count(run.url, "staff_user") == 1


def test_plan_until_extends_the_horizon_and_is_idempotent(run):
    seed(run.url, three_regions_on_the_monthly_policy)
    before = count(run.url, "maintenance_window")
    extended = run("plan", "--until", "2035-01-01")
    assert extended.returncode == 0, extended.stderr
    added = count(run.url, "maintenance_window") - before
    assert f"planned {added} new window(s)" in extended.stdout and added > 3 * 12 * 6
    again = run("plan", "--until", "2035-01-01")
    assert "planned 0 new window(s)" in again.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--until", "next year"),
        ("plan", "--until", "2001-01-01"),
        ("token", "create", "--role", "wizard", "--name", "x"),
        ("token", "create", "--role", "customer", "--name", "x"),
        ("token", "create", "--role", "customer", "--customer", "nobody", "--name", "x"),
        ("serve", "--port", "99999"),
        ("user", "create", "--email", "not-an-email", "--name", "X", "--password", "long enough!"),
        ("token", "create", "--role", "admin", "--name", "x", "--expires", "2027-02-30"),
        ("token", "create", "--role", "admin", "--name", "x", "--expires", "soon"),
        ("token", "create", "--role", "admin", "--name", "x", "--expires", "2001-01-01"),
        ("token", "revoke", "12345"),
        ("token", "revoke", "abc"),
        ("user", "disable", "nobody@example.com"),
        ("user", "enable", "nobody@example.com"),
    ],
)
def test_bad_arguments_get_a_message_and_a_non_zero_exit(
    fresh_database_url, monkeypatch, tmp_path, args
):
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("SECRET_KEY", "cli-test")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert "Error" in result.output
    # A clean exit with a message, never an escaped exception and its traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_token_is_printed_once_and_stored_hashed(run):
    seed(run.url, lambda session: (make_region(session, "us"), make_customer(session, "acme")))
    result = run(
        "token", "create", "--role", "customer", "--customer", "acme", "--name", "Acme's deploy bot"
    )
    token = result.stdout.strip()
    assert result.returncode == 0 and token.startswith("rol_") and len(token) > 40
    engine = sa.create_engine(run.url)
    with engine.connect() as connection:
        stored = connection.scalar(sa.text("select token_hash from api_token"))
    engine.dispose()
    assert token not in stored


def test_user_create_takes_the_password_from_the_environment(run):
    ok = run(
        "user",
        "create",
        "--email",
        "rm@example.com",
        "--name",
        "Release Manager",
        env={"ROLLOUT_PASSWORD": "correct horse battery"},
    )
    assert ok.returncode == 0, ok.stderr
    short = run(
        "user",
        "create",
        "--email",
        "x@example.com",
        "--name",
        "X",
        env={"ROLLOUT_PASSWORD": "short"},
    )
    assert short.returncode == 1 and "password" in short.stderr


@pytest.mark.long
def test_serve_answers_over_http(run):
    seed(run.url, three_regions_on_the_monthly_policy)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [ROLLOUT, "serve", "--port", str(port)],
        env=run.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/v1/regions", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert [r["slug"] for r in response.json()["items"]] == ["apac", "eu", "us"]
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def staff_db(fresh_database_url, monkeypatch):
    """A database with one staff user signed in twice, for the `rollout user` commands."""
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("SECRET_KEY", "cli-test")
    engine = make_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        user = access.create_user(
            session,
            email="rm@example.com",
            name="R",
            role="release_manager",
            password="correct horse battery",
            now=NOW,
        )
        signed_in = [access.start_session(session, user=user, now=NOW) for _ in range(2)]
        session.commit()
    yield sessions, signed_in
    engine.dispose()


def live_sessions(sessions, signed_in) -> int:
    with sessions() as session:
        return sum(access.find_session(session, sid, now=NOW) is not None for sid in signed_in)


def test_user_set_password_changes_it_and_signs_the_user_out_everywhere(staff_db):
    sessions, signed_in = staff_db
    result = CliRunner().invoke(
        cli,
        ["user", "set-password", "--email", "RM@example.com"],
        env={"ROLLOUT_PASSWORD": "a brand new secret"},
    )
    assert result.exit_code == 0, result.output
    assert "signed out everywhere" in result.output
    assert live_sessions(sessions, signed_in) == 0
    with sessions() as session:
        assert access.authenticate_user(session, "rm@example.com", "a brand new secret")
        assert access.authenticate_user(session, "rm@example.com", "correct horse battery") is None


def test_user_set_role_changes_it_and_signs_the_user_out_everywhere(staff_db):
    sessions, signed_in = staff_db
    result = CliRunner().invoke(
        cli, ["user", "set-role", "--email", "rm@example.com", "--role", "support_agent"]
    )
    assert result.exit_code == 0, result.output
    assert "rm@example.com is now support_agent" in result.output
    assert live_sessions(sessions, signed_in) == 0
    with sessions() as session:
        assert access.get_user(session, "rm@example.com").role == "support_agent"


def test_user_sign_out_ends_every_session_and_names_an_unknown_user(staff_db):
    sessions, signed_in = staff_db
    result = CliRunner().invoke(cli, ["user", "sign-out", "--email", "rm@example.com"])
    assert result.exit_code == 0 and "ended 2 session(s)" in result.output
    assert live_sessions(sessions, signed_in) == 0
    unknown = CliRunner().invoke(cli, ["user", "sign-out", "--email", "nobody@example.com"])
    assert unknown.exit_code == 1 and "email: no user 'nobody@example.com'" in unknown.output


def cli_ok(*args: str) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_bad_expiry_dates_are_named_in_the_message(fresh_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("SECRET_KEY", "cli-test")
    for given, said in [
        ("2027-02-30", "'2027-02-30' is neither a date (YYYY-MM-DD) nor days (e.g. 90d)"),
        ("2001-01-01", "the expiry must be in the future"),
    ]:
        result = CliRunner().invoke(
            cli, ["token", "create", "--role", "admin", "--name", "x", "--expires", given]
        )
        assert result.exit_code == 2
        assert "Invalid value for '--expires'" in result.output and said in result.output


def test_tokens_are_listed_without_secrets_and_revoked_by_id(staff_db):
    sessions, _ = staff_db
    with sessions() as session:
        make_region(session, "us")
        make_customer(session, "acme", "us")
        session.commit()
    pipeline = cli_ok("token", "create", "--role", "release_manager", "--name", "pipeline").split()[
        0
    ]
    cli_ok(
        "token",
        "create",
        "--role",
        "customer",
        "--customer",
        "acme",
        "--name",
        "acme bot",
        "--expires",
        "90d",
    )
    with sessions() as session:
        used = access.find_token(session, pipeline)
        access.record_token_use(session, used.id, now=NOW)
        session.commit()

    listed = cli_ok("token", "list")

    header, first, second = listed.splitlines()
    assert header.split() == [
        "ID",
        "NAME",
        "ROLE",
        "CUSTOMER",
        "CREATED",
        "LAST",
        "USED",
        "EXPIRES",
        "REVOKED",
        "STATUS",
    ]
    assert "pipeline" in first and "release_manager" in first and "2026-11-22 12:00" in first
    assert "acme bot" in second and "acme" in second and "never" in second
    assert pipeline not in listed and access.hash_token(pipeline) not in listed

    revoked = cli_ok("token", "revoke", str(used.id))
    assert revoked.startswith(f"token {used.id} (pipeline) revoked at ")
    assert "pipeline" not in cli_ok("token", "list")
    everything = cli_ok("token", "list", "--all")
    assert "revoked" in everything.splitlines()[1]
    assert cli_ok("token", "revoke", str(used.id)) == revoked  # again: the first time stays


def test_a_disabled_user_is_signed_out_listed_as_such_and_enabled_again(staff_db):
    sessions, signed_in = staff_db
    out = cli_ok("user", "disable", "RM@example.com")
    assert out == "rm@example.com is disabled; signed out everywhere\n"
    assert live_sessions(sessions, signed_in) == 0
    [row] = cli_ok("user", "list").splitlines()[1:]
    assert row.split()[:3] == ["rm@example.com", "R", "release_manager"] and row.count("-") > 2
    assert row.split()[-2] != "-"  # the disabled date
    assert cli_ok("user", "enable", "rm@example.com") == "rm@example.com may sign in again\n"
    [row] = cli_ok("user", "list").splitlines()[1:]
    assert row.endswith("-")


def test_the_last_enabled_admin_is_neither_disabled_nor_demoted(staff_db):
    cli_ok("user", "set-role", "--email", "rm@example.com", "--role", "admin")
    for args in (
        ["user", "disable", "rm@example.com"],
        ["user", "set-role", "--email", "rm@example.com", "--role", "support_agent"],
    ):
        refused = CliRunner().invoke(cli, args)
        assert refused.exit_code == 1
        assert "rm@example.com is the last enabled admin: make another admin first" in (
            refused.output
        )
    assert "admin" in cli_ok("user", "list").splitlines()[1]
