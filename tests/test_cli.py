"""The `rollout` command as an operator runs it: a real process on a real database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from web.cli import cli

ROLLOUT = str(Path(sys.executable).parent / "rollout")


@pytest.fixture
def run(fresh_database_url, tmp_path):
    env = os.environ | {
        "DATABASE_URL": fresh_database_url,
        "SECRET_KEY": "cli-test",
        "PUBLIC_URL": "http://rollout.test",
    }

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ROLLOUT, *args],
            env=env | kwargs.pop("env", {}),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            **kwargs,
        )

    run.url = fresh_database_url
    run.env = env
    return run


def count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(sa.text(f"select count(*) from {table}"))
    engine.dispose()
    return total


def test_demo_loads_once_and_a_second_run_adds_nothing(run):
    init = run("init")
    assert init.returncode == 0 and "database ready" in init.stdout
    first = run("demo")
    assert first.returncode == 0, first.stderr
    windows = count(run.url, "maintenance_window")
    second = run("demo")
    assert second.returncode == 0 and "nothing added" in second.stdout
    assert count(run.url, "maintenance_window") == windows
    assert count(run.url, "customer") == 6 and count(run.url, "region") == 3


def test_plan_until_extends_the_horizon_and_is_idempotent(run):
    run("demo")
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
    run("demo")
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


def test_serve_answers_over_http(run):
    run("demo")
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
